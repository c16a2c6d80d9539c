"""Time the impact summary for a demo practice: assembling it (queries, statistics and one
chart per figure), writing the Excel workbook and writing the PDF, against the floor of
reading its rows.

    .venv/bin/python bench/summary.py [--repeat 5] [--database-url URL] [--quick]

The database holds the demo data (`monitor demo`): Highfields Medical Centre has five
years of monthly, quarterly and annual figures, allocations, spending and staffing. The
summary is timed for one financial year and for four (1 April four years ago to the
last 31 March), and end to end through the download routes as a browser would ask. A
"first" download has an empty chart cache directory and evidence cache (what follows a
change of the data: every chart key is new), so it draws every chart (in the request's
process: CHART_RENDER_PROCESSES is 0 by default); "again" takes them from the shared
cache. "After a data change": one figure edited on an app with an empty chart cache, then the
download with the pre-render job that the edit queued having run (as a worker would run
it; the job's own time is shown) and without it, interleaved. The floor, in the same
run, is the bare SQL read of every row the summary reads. Medians of `--repeat`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine  # noqa: E402
from sqlmodel import Session, SQLModel, select  # noqa: E402

from bench.floors import sql_read_ms  # noqa: E402
from monitor import create_app  # noqa: E402
from monitor.core.clock import today  # noqa: E402
from monitor.core.periods import financial_year_of  # noqa: E402
from monitor.demo import DEMO_PASSWORD, load_demo  # noqa: E402
from monitor.demo.records import load_demo_records  # noqa: E402
from monitor.exporters.summary_pdf import summary_pdf  # noqa: E402
from monitor.exporters.summary_xlsx import summary_workbook  # noqa: E402
from monitor.jobs import jobs_of  # noqa: E402
from monitor.models import MetricValue, Practice  # noqa: E402
from monitor.services import evidence  # noqa: E402
from monitor.services.summary import build_summary  # noqa: E402
from monitor.web.chart_cache import ChartCache  # noqa: E402
from monitor.web.context import default_template  # noqa: E402

EDITOR = "pm@highfields.example"
ITEM = "call_answer_time"


FLOOR_SQL = (
    "SELECT * FROM metric_value WHERE practice_id = :p",
    "SELECT * FROM hep_allocation WHERE practice_id = :p",
    "SELECT * FROM spend_item WHERE practice_id = :p",
    "SELECT * FROM staffing_change WHERE practice_id = :p",
    "SELECT * FROM intervention WHERE practice_id = :p",
)


def floor_ms(engine, practice_id: int) -> float:
    return sql_read_ms(engine, FLOOR_SQL, {"p": practice_id})


def median_ms(run, repeat: int, *, before=None) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        if before is not None:
            before()
        started = time.perf_counter()
        result = run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="one repeat of one financial year: proves the bench works (what CI runs)",
    )
    args = parser.parse_args()
    if args.quick:
        args.repeat = 1
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        engine = create_engine(url)
        SQLModel.metadata.create_all(engine)
        engine.dispose()
        app = create_app("test", DATABASE_URL=url, CHART_CACHE_DIR=str(Path(folder) / "c0"))
        with Session(app.extensions["monitor.engine"]) as session:
            load_demo(session, app.extensions["monitor.passwords"])
            load_demo_records(session, today=today())

        print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} (1 and 5 minutes)")
        last_fy = financial_year_of(today()) - 1
        ranges = {
            "1 financial year": (date(last_fy, 4, 1), date(last_fy + 1, 3, 31)),
            "4 financial years": (date(last_fy - 3, 4, 1), date(last_fy + 1, 3, 31)),
        }
        if args.quick:
            del ranges["4 financial years"]
        with app.app_context(), Session(app.extensions["monitor.engine"]) as session:
            practice = session.exec(select(Practice).where(Practice.ods_code == "Z00001")).one()
            engine = app.extensions["monitor.engine"]
            floor_ms(engine, practice.id)
            floor, _ = median_ms(lambda: floor_ms(engine, practice.id), args.repeat)
            print(f"floor: bare SQL read of the summary's rows {floor:.1f} ms (median)")
            template = default_template()
            print(f"{practice.name}, summary steps (median of {args.repeat}):")
            for label, (start, end) in ranges.items():
                caches = []

                def empty_cache(caches=caches, label=label):
                    evidence.clear_evidence_cache()
                    caches.append(ChartCache(Path(folder) / f"steps-{len(caches)}-{label}"))

                def build(start=start, end=end, label=label, caches=caches):
                    return build_summary(
                        session,
                        practice=practice,
                        template=template,
                        start=start,
                        end=end,
                        period_label=label,
                        today=today(),
                        render_png=lambda key, draw: caches[-1].get_or_render(
                            key, "png", draw, dpi=100
                        ),
                    )

                empty_cache()
                build()  # warm: imports, fonts
                built_ms, summary = median_ms(build, args.repeat, before=empty_cache)
                cached_ms, _ = median_ms(build, args.repeat)
                xlsx_ms, xlsx = median_ms(lambda s=summary: summary_workbook(s), args.repeat)
                pdf_ms, pdf = median_ms(lambda s=summary: summary_pdf(s), args.repeat)
                rows = sum(len(t.rows) for t in summary.tables)
                print(
                    f"  {label:<18} {rows:5d} table rows, {len(summary.charts):2d} charts: "
                    f"assemble {built_ms:6.0f} ms (charts cached: {cached_ms:5.0f} ms), "
                    f"workbook {xlsx_ms:5.0f} ms ({len(xlsx) // 1024} kB), "
                    f"PDF {pdf_ms:5.0f} ms ({len(pdf) // 1024} kB)"
                )
        app.extensions["monitor.engine"].dispose()

        routes_range = list(ranges)[-1]
        start, end = ranges[routes_range]
        query = f"start={start.isoformat()}&end={end.isoformat()}"
        print(f"Download routes, {routes_range} (median of {args.repeat}; × floor):")
        clients = []

        def fresh_client():
            """A new app on an empty chart cache directory, signed in."""
            evidence.clear_evidence_cache()
            app = create_app(
                "test",
                DATABASE_URL=url,
                CHART_CACHE_DIR=str(Path(folder) / f"routes-{len(clients)}"),
                WTF_CSRF_ENABLED=False,
            )
            client = app.test_client()
            client.post("/sign-in", data={"email": EDITOR, "password": DEMO_PASSWORD})
            clients.append(client)

        for path in ("/summary/impact-summary.xlsx", "/summary/impact-summary.pdf"):

            def fetch(path=path):
                response = clients[-1].get(f"{path}?{query}")
                assert response.status_code == 200, response.status_code
                return response

            first, _ = median_ms(fetch, args.repeat, before=fresh_client)
            again, _ = median_ms(fetch, args.repeat)
            print(
                f"  {path:<30} first {first:6.0f} ms ({first / floor:5.0f}×), "
                f"again {again:6.0f} ms ({again / floor:5.0f}×)"
            )

        after_a_change(url, Path(folder), ranges, floor, args.repeat, without=not args.quick)


def after_a_change(
    url: str, folder: Path, ranges, floor: float, repeat: int, *, without: bool = True
) -> None:
    """The first download after a data change (one of the practice's figures edited, on
    an app with an empty chart cache and evidence cache), with the pre-render job the
    change queued having run first (monitor.jobs, as a worker runs it) and, unless
    `without` is false, without: interleaved, one of each per repeat."""
    year = financial_year_of(today()) - 1
    paths = {
        "pdf, default year": f"/summary/impact-summary.pdf?year={year}",
        "xlsx, default year": f"/summary/impact-summary.xlsx?year={year}",
        "metric page's chart": f"/metrics/{ITEM}/chart.svg",
    }
    if "4 financial years" in ranges:
        start, end = ranges["4 financial years"]
        paths["pdf, 4 years"] = f"/summary/impact-summary.pdf?start={start}&end={end}"
    times: dict[str, list[float]] = {"job": []}
    for label in ("pdf, default year", "metric page's chart") if without else ():
        times[f"without: {label}"] = []
    for label in paths:
        times[f"with: {label}"] = []
    for n in range(repeat):
        for with_job in (False, True) if without else (True,):
            evidence.clear_evidence_cache()
            app = create_app(
                "test",
                DATABASE_URL=url,
                CHART_CACHE_DIR=str(folder / f"change-{n}-{with_job}"),
                JOBS_SQLITE_PATH=str(folder / f"jobs-{n}-{with_job}.sqlite3"),
                WTF_CSRF_ENABLED=False,
                PRERENDER_CHARTS=True,
            )
            client = app.test_client()
            client.post("/sign-in", data={"email": EDITOR, "password": DEMO_PASSWORD})
            _edit_a_figure(app)
            queue = jobs_of(app).ready()
            assert queue.pending_count() == 1, queue.pending_count()
            if with_job:
                started = time.perf_counter()
                while (task := queue.dequeue()) is not None:
                    task.execute()
                times["job"].append((time.perf_counter() - started) * 1000)
                chosen = paths
            else:
                chosen = {k: paths[k] for k in ("pdf, default year", "metric page's chart")}
            for label, path in chosen.items():
                started = time.perf_counter()
                response = client.get(path)
                assert response.status_code == 200, (path, response.status_code)
                key = f"{'with' if with_job else 'without'}: {label}"
                times[key].append((time.perf_counter() - started) * 1000)
            jobs_of(app).close()
            app.extensions["monitor.engine"].dispose()
    print(
        f"First download after a data change (median of {repeat}, interleaved; "
        f"load {os.getloadavg()[0]:.2f}):"
    )
    for label, measured in times.items():
        ms = statistics.median(measured)
        print(f"  {label:<28} {ms:7.0f} ms ({ms / floor:5.0f}×)")


def _edit_a_figure(app) -> None:
    """Move the practice's latest call answer time by a second, as a save would."""
    with Session(app.extensions["monitor.engine"]) as session:
        practice = session.exec(select(Practice).where(Practice.ods_code == "Z00001")).one()
        value = session.exec(
            select(MetricValue)
            .where(MetricValue.practice_id == practice.id, MetricValue.item_id == ITEM)
            .order_by(MetricValue.period_start.desc())
        ).first()
        value.value_number += 1
        session.add(value)
        session.commit()


if __name__ == "__main__":
    main()
