"""Time the practice dashboard, cold, warm and after a data change, against its floor,
for a practice with five years of monthly (and quarterly and annual) figures for every
template item.

    .venv/bin/python bench/dashboard.py [--repeat 5] [--database-url URL] [--profile]

"Cold" is the first request after the app starts (an empty chart cache directory and
evidence cache, nothing compiled); "warm" repeats it; "after a change" is the first
request after one figure changed (a new value for one item each time). Each page is
timed on its own and with every image it embeds (the SPC chart on a metric page; the
dashboard's sparklines were images before issue 17 drew them in the page), as a browser
would fetch. The floor, measured in the same
run, is the bare SQL read of the rows the dashboard summarises (the practice's figures,
allocations and interventions through the same engine, no ORM). `--peers` other
practices of the ICB (default 100, one in ten in the practice's PCN) share five years of
every item, so the metric page draws PCN and ICB medians over their figures; the bare
read of the peers' figures those medians summarise is printed beside the floor. Times
are medians of `--repeat`; `--profile` prints cProfile's top lines for a warm dashboard
and metric page request.
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
from sqlalchemy import create_engine, insert, text  # noqa: E402
from sqlmodel import Session, SQLModel, select  # noqa: E402

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


def figure_rows(template, practice_id: int, rng: random.Random, end: date) -> list[dict]:
    """Five years of figures for every template item, as columns of `metric_value`."""
    rows = []
    for item in template.items:
        if item.type is ItemType.TEXT or item.id == "hep_allocation":
            continue
        period = Period.containing(date(end.year - 5, end.month, 1), item.frequency)
        last = Period.latest_complete(end, item.frequency)
        low, high = item.min or 0, item.max or 100
        level = low + (high - low) * rng.uniform(0.2, 0.4)
        while not last < period:
            step = -0.15 * level if period.fy >= end.year - 3 else 0
            value = max(low, min(high, level + step + rng.gauss(0, 0.05 * level)))
            if item.type in (ItemType.COUNT, ItemType.DURATION):
                value = round(value)
            rows.append(
                {
                    "practice_id": practice_id,
                    "item_id": item.id,
                    "frequency": item.frequency.value,
                    "period_code": period.code,
                    "period_start": period.start,
                    "value_number": value,
                    "template_id": template.id,
                    "template_version": template.version,
                }
            )
            period = period.next()
    return rows


def seed_peers(url: str, peers: int) -> int:
    """`peers` other practices of the bench practice's ICB, one in ten in its PCN, every
    one sharing its figures with the PCN and the ICB, each with five years of every
    item (so a metric page's PCN and ICB medians summarise their figures). Returns how
    many figures of the bench item the ICB median reads."""
    if not peers:
        return 0
    engine = create_engine(url)
    app = create_app("test", DATABASE_URL=url)
    with app.app_context():
        template = default_template()
    rng = random.Random(2)
    with Session(engine) as session:
        practice = session.exec(select(Practice).where(Practice.ods_code == "Z99999")).one()
        other = Pcn(code="U00002", name="Bench PCN 2", icb_id=practice.icb_id)
        session.add(other)
        session.flush()
        made = []
        for n in range(peers):
            peer = Practice(
                ods_code=f"Z{n:05d}",
                name=f"Peer Practice {n}",
                icb_id=practice.icb_id,
                pcn_id=practice.pcn_id if n % 10 == 0 else other.id,
                list_size=8000 + n,
                imd_decile=1 + n % 10,
                rurality="urban",
                shares_with_pcn=True,
                shares_with_icb=True,
            )
            session.add(peer)
            made.append(peer)
        session.flush()
        rows = [row for peer in made for row in figure_rows(template, peer.id, rng, today())]
        session.execute(insert(MetricValue), rows)
        session.commit()
    engine.dispose()
    read = sum(row["item_id"] == "call_answer_time" for row in rows)
    print(f"Seeded {peers} sharing peer practices: {len(rows)} figures ({read} of the item).")
    return read


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


def timed(client, url: str, *, with_images: bool) -> tuple[float, float]:
    """Milliseconds of wall clock and of this process's CPU to fetch `url` (and its
    images: the page is parsed for them outside the timing, as the server does not do
    it). On a busy machine the CPU time is the steadier: it leaves out waiting for a
    core (SQLite runs in this process, so its work is counted)."""
    started, cpu = time.perf_counter(), time.process_time()
    response = client.get(url)
    wall, used = time.perf_counter() - started, time.process_time() - cpu
    assert response.status_code == 200, (url, response.status_code)
    if with_images:
        soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
        sources = [image["src"] for image in soup.select("main img[src]")]
        started, cpu = time.perf_counter(), time.process_time()
        for source in sources:
            assert client.get(source).status_code == 200
        wall += time.perf_counter() - started
        used += time.process_time() - cpu
    return wall * 1000, used * 1000


FLOOR_SQL = (
    "SELECT item_id, period_code, value_number, template_version, import_id "
    "FROM metric_value WHERE practice_id = :p AND value_number IS NOT NULL",
    "SELECT financial_year, amount FROM hep_allocation WHERE practice_id = :p",
    "SELECT id, title, occurred_on, affected_items FROM intervention WHERE practice_id = :p",
)


PEER_SQL = (
    "SELECT period_code, value_number FROM metric_value WHERE item_id = 'call_answer_time' "
    "AND value_number IS NOT NULL AND practice_id IN (SELECT id FROM practice WHERE id != :p "
    "AND shares_with_icb)",
)


def floor_ms(engine, practice_id: int) -> tuple[float, float]:
    """The bare SQL read of the rows the dashboard summarises: milliseconds of wall
    clock (`bench.floors.sql_read_ms`) and of CPU (the same read again)."""
    wall = sql_read_ms(engine, FLOOR_SQL, {"p": practice_id})
    with engine.connect() as connection:
        cpu = time.process_time()
        for statement in FLOOR_SQL:
            connection.execute(text(statement), {"p": practice_id}).all()
        return wall, (time.process_time() - cpu) * 1000


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


def profile(client, repeat: int, page: str = "/dashboard") -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(repeat):
        client.get(page)
    profiler.disable()
    print(f"\ncProfile of {repeat} warm {page} requests (cumulative, top 40):")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--peers",
        type=int,
        default=100,
        help="sharing peer practices in the ICB, for the metric page's medians (0: none)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        seed(url)
        peer_rows = seed_peers(url, args.peers)
        engine = create_engine(url)
        with engine.connect() as connection:
            practice_id = connection.execute(
                text("SELECT id FROM practice WHERE ods_code = 'Z99999'")
            ).scalar_one()
        floor_ms(engine, practice_id)  # the connection pool and the OS cache warmed
        # The floor is measured again beside every warm request (just before it), so a
        # page and its floor see the same load on a busy machine.
        floors = [floor_ms(engine, practice_id) for _ in range(args.repeat)]
        print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} (1 and 5 minutes)")
        if peer_rows:
            peer_floor = statistics.median(
                sql_read_ms(engine, PEER_SQL, {"p": practice_id}) for _ in range(args.repeat)
            )
            print(
                f"the metric page's medians summarise {peer_rows} peer figures; their bare "
                f"read {peer_floor:.2f} ms (median; not the pages' floor)"
            )
        print("wall clock, then CPU of this process (ms; medians):")
        print(
            f"{'page':<36} {'cold':>6} {'warm':>6} {'floor':>6} {'×':>5} {'changed':>7} "
            f"{'×warm':>5} | {'warm':>6} {'floor':>6} {'×':>5} {'changed':>7} {'×warm':>5}"
        )
        changes = 0
        for n, (page, with_images) in enumerate(
            (
                ("/dashboard", False),
                ("/dashboard", True),
                ("/metrics/call_answer_time", False),
                ("/metrics/call_answer_time", True),
            )
        ):
            evidence.clear_evidence_cache()
            clear_fragments()
            app, client = signed_in(url, Path(folder) / f"charts-{n}")
            cold = timed(client, page, with_images=with_images)[0]
            warm_times, row_floors = [], []
            for _ in range(args.repeat):
                row_floors.append(floor_ms(engine, practice_id))
                warm_times.append(timed(client, page, with_images=with_images))
            floors += row_floors
            after = []
            for _ in range(args.repeat):
                change_a_figure(engine, changes)
                changes += 1
                after.append(timed(client, page, with_images=with_images))
            label = page + (" + images" if with_images else "")
            line = f"{label:<36} {cold:6.0f}"
            for clock in (0, 1):
                warm = statistics.median(t[clock] for t in warm_times)
                floor = statistics.median(f[clock] for f in row_floors)
                changed = statistics.median(t[clock] for t in after)
                line += (" | " if clock else " ") + (
                    f"{warm:6.1f} {floor:6.2f} {warm / floor:4.0f}× {changed:7.1f} "
                    f"{changed / warm:4.1f}×"
                )
            print(line)
            if args.profile and not with_images:
                profile(client, 20, page)
            app.extensions["monitor.engine"].dispose()
        print(
            "floor: bare SQL read of the dashboard's rows "
            f"{statistics.median(f[0] for f in floors):.2f} ms "
            f"(CPU {statistics.median(f[1] for f in floors):.2f} ms)"
        )
        print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} (1 and 5 minutes)")
        engine.dispose()


def clear_fragments() -> None:
    """Forget the rendered fragments and the cards' or sparklines' keys too (a cold
    start), whichever the code measured has."""
    from monitor.web import evidence as pages
    from monitor.web import jinja

    if hasattr(jinja, "FRAGMENTS"):  # main before issue 17's fragments had none
        jinja.FRAGMENTS.clear()
    for memo in ("_STRENGTHS", "_SPARKLINES"):  # the cards' order; before, the sparklines
        if hasattr(pages, memo):
            getattr(pages, memo).clear()


if __name__ == "__main__":
    main()
