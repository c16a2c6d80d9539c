"""Time the practice dashboard, cold and warm, for a practice with five years of monthly
(and quarterly and annual) figures for every template item.

    .venv/bin/python bench/dashboard.py [--repeat 5] [--database-url URL]

"Cold" is the first request after the app starts (empty chart cache, nothing compiled);
"warm" repeats it. Each page is timed on its own and with every image it embeds (the
sparklines on the dashboard; the SPC chart on a metric page), as a browser would fetch.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bs4 import BeautifulSoup  # noqa: E402
from sqlalchemy import create_engine  # noqa: E402
from sqlmodel import Session, SQLModel  # noqa: E402

from monitor import create_app  # noqa: E402
from monitor.core.checklist import Frequency, ItemType  # noqa: E402
from monitor.core.clock import today  # noqa: E402
from monitor.core.periods import Period  # noqa: E402
from monitor.models import HepAllocation, Icb, MetricValue, Pcn, Practice, Role, User  # noqa: E402
from monitor.services.accounts import new_session_token  # noqa: E402
from monitor.services.passwords import Passwords  # noqa: E402
from monitor.web.context import default_template  # noqa: E402

PASSWORD = "benchmark-password"


def seed(url: str) -> None:
    engine = create_engine(url)
    SQLModel.metadata.create_all(engine)
    app = create_app("test", DATABASE_URL=url)
    with app.app_context():
        template = default_template()
    rng = random.Random(1)
    with Session(engine) as session:
        icb = Icb(code="QB1", name="Bench ICB")
        session.add(icb)
        session.flush()
        pcn = Pcn(code="U00001", name="Bench PCN", icb_id=icb.id)
        session.add(pcn)
        session.flush()
        practice = Practice(
            ods_code="Z99999",
            name="Bench Practice",
            icb_id=icb.id,
            pcn_id=pcn.id,
            list_size=12000,
            imd_decile=2,
            rurality="urban",
        )
        session.add(practice)
        session.flush()
        session.add(
            User(
                email="bench@example.test",
                display_name="Bench",
                role=Role.PRACTICE_EDITOR,
                practice_id=practice.id,
                session_token=new_session_token(),
                password_hash=Passwords(time_cost=1, memory_cost=8).hash(PASSWORD),
            )
        )
        end = today()
        for fy in range(end.year - 5, end.year + 1):
            session.add(
                HepAllocation(
                    practice_id=practice.id, financial_year=fy, amount=45000 + 1000 * (fy % 4)
                )
            )
        rows = []
        for item in template.items:
            if item.type is ItemType.TEXT or item.id == "hep_allocation":
                continue
            period = Period.containing(date(end.year - 5, end.month, 1), item.frequency)
            last = Period.latest_complete(end, item.frequency)
            low, high = item.min or 0, item.max or 100
            level = low + (high - low) * 0.3
            while not last < period:
                step = -0.15 * level if period.fy >= end.year - 3 else 0
                value = max(low, min(high, level + step + rng.gauss(0, 0.05 * level)))
                if item.type in (ItemType.COUNT, ItemType.DURATION):
                    value = round(value)
                rows.append(
                    MetricValue(
                        practice_id=practice.id,
                        item_id=item.id,
                        frequency=item.frequency.value,
                        period_code=period.code,
                        period_start=period.start,
                        value_number=value,
                        template_id=template.id,
                        template_version=template.version,
                    )
                )
                period = period.next()
        session.add_all(rows)
        session.commit()
        monthly = len(template.items_for(Frequency.MONTHLY))
        print(
            f"Seeded {len(rows)} figures: 5 years of {monthly} monthly items, plus quarterly "
            "and annual items."
        )
    engine.dispose()


def timed(client, url: str, *, with_images: bool) -> float:
    started = time.perf_counter()
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    if with_images:
        soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
        for image in soup.select("main img[src]"):
            assert client.get(image["src"]).status_code == 200
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        seed(url)
        for page, with_images in (
            ("/dashboard", False),
            ("/dashboard", True),
            ("/metrics/call_answer_time", True),
        ):
            app = create_app("test", DATABASE_URL=url)
            client = app.test_client()
            token = BeautifulSoup(client.get("/sign-in").get_data(as_text=True), "html.parser")
            client.post(
                "/sign-in",
                data={
                    "email": "bench@example.test",
                    "password": PASSWORD,
                    "csrf_token": token.select_one("input[name=csrf_token]")["value"],
                },
            )
            cold = timed(client, page, with_images=with_images)
            warm = [timed(client, page, with_images=with_images) for _ in range(args.repeat)]
            label = page + (" + images" if with_images else "")
            print(
                f"{label:<40} cold {cold:7.0f} ms   warm median {statistics.median(warm):7.0f} ms"
            )
            app.extensions["monitor.engine"].dispose()


if __name__ == "__main__":
    main()
