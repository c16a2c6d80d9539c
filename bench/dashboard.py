"""Time the practice dashboard, cold, warm and after a data change, against its floor,
for a practice with five years of monthly (and quarterly and annual) figures for every
template item.

    .venv/bin/python bench/dashboard.py [--repeat 5] [--database-url URL] [--profile]

"Cold" is the first request after the app starts (an empty chart cache directory and
evidence cache, nothing compiled); "warm" repeats it; "after a change" is the first
request after one figure changed (a new value for one item each time). Each page is
timed on its own and with every image it embeds (the sparklines on the dashboard; the
SPC chart on a metric page), as a browser would fetch. The floor, measured in the same
run, is the bare SQL read of the rows the dashboard summarises (the practice's figures,
allocations and interventions through the same engine, no ORM). Times are medians of
`--repeat`; `--profile` prints cProfile's top lines for a warm dashboard request.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bs4 import BeautifulSoup  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlmodel import Session, SQLModel  # noqa: E402

from bench.floors import sql_read_ms  # noqa: E402
from monitor import create_app  # noqa: E402
from monitor.core.checklist import Frequency, ItemType  # noqa: E402
from monitor.core.clock import today  # noqa: E402
from monitor.core.periods import Period  # noqa: E402
from monitor.models import HepAllocation, Icb, MetricValue, Pcn, Practice, Role, User  # noqa: E402
from monitor.services import evidence  # noqa: E402
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


FLOOR_SQL = (
    "SELECT item_id, period_code, value_number, template_version, import_id "
    "FROM metric_value WHERE practice_id = :p AND value_number IS NOT NULL",
    "SELECT financial_year, amount FROM hep_allocation WHERE practice_id = :p",
    "SELECT id, title, occurred_on, affected_items FROM intervention WHERE practice_id = :p",
)


def floor_ms(engine, practice_id: int) -> float:
    """The bare SQL read of the rows the dashboard summarises."""
    return sql_read_ms(engine, FLOOR_SQL, {"p": practice_id})


def signed_in(url: str, folder: Path):
    app = create_app("test", DATABASE_URL=url, CHART_CACHE_DIR=str(folder))
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
    return app, client


def change_a_figure(engine, n: int) -> None:
    """A new value for the latest period of one monthly item: its card's data change."""
    with engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE metric_value SET value_number = value_number + :d WHERE id = "
                "(SELECT id FROM metric_value WHERE item_id = 'call_answer_time' "
                "ORDER BY period_start DESC LIMIT 1)"
            ),
            {"d": 1 + n},
        )


def profile(client, repeat: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(repeat):
        client.get("/dashboard")
    profiler.disable()
    print(f"\ncProfile of {repeat} warm /dashboard requests (cumulative, top 25):")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        seed(url)
        engine = create_engine(url)
        with engine.connect() as connection:
            practice_id = connection.execute(
                text("SELECT id FROM practice WHERE ods_code = 'Z99999'")
            ).scalar_one()
        floor_ms(engine, practice_id)  # the connection pool and the OS cache warmed
        floor = statistics.median(floor_ms(engine, practice_id) for _ in range(args.repeat))
        print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} (1 and 5 minutes)")
        print(f"floor: bare SQL read of the dashboard's rows {floor:.2f} ms (median)")
        print(f"{'page':<38} {'cold':>8} {'warm':>8} {'× floor':>8} {'changed':>8} {'× warm':>7}")
        changes = 0
        for n, (page, with_images) in enumerate(
            (
                ("/dashboard", False),
                ("/dashboard", True),
                ("/metrics/call_answer_time", True),
            )
        ):
            evidence.clear_evidence_cache()
            app, client = signed_in(url, Path(folder) / f"charts-{n}")
            cold = timed(client, page, with_images=with_images)
            warm = statistics.median(
                timed(client, page, with_images=with_images) for _ in range(args.repeat)
            )
            after = []
            for _ in range(args.repeat):
                change_a_figure(engine, changes)
                changes += 1
                after.append(timed(client, page, with_images=with_images))
            changed = statistics.median(after)
            label = page + (" + images" if with_images else "")
            print(
                f"{label:<38} {cold:6.0f}ms {warm:6.1f}ms {warm / floor:7.0f}× "
                f"{changed:6.1f}ms {changed / warm:6.1f}×"
            )
            if args.profile and page == "/dashboard" and not with_images:
                profile(client, 20)
            app.extensions["monitor.engine"].dispose()
        engine.dispose()


if __name__ == "__main__":
    main()
