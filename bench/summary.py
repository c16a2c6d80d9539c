"""Time the impact summary for a demo practice: assembling it (queries, statistics and one
chart per figure), writing the Excel workbook and writing the PDF.

    .venv/bin/python bench/summary.py [--repeat 3] [--database-url URL]

The database holds the demo data (`monitor demo`): Highfields Medical Centre has five
years of monthly, quarterly and annual figures, allocations, spending and staffing. The
summary is timed for one financial year and for four (1 April four years ago to the
last 31 March), and end to end through the download routes as a browser would ask: the
first download draws the charts, later ones (the PDF after the workbook, say) take them
from the chart cache.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine  # noqa: E402
from sqlmodel import Session, SQLModel, select  # noqa: E402

from monitor import create_app  # noqa: E402
from monitor.core.clock import today  # noqa: E402
from monitor.core.periods import financial_year_of  # noqa: E402
from monitor.demo import DEMO_PASSWORD, load_demo  # noqa: E402
from monitor.demo.records import load_demo_records  # noqa: E402
from monitor.exporters.summary_pdf import summary_pdf  # noqa: E402
from monitor.exporters.summary_xlsx import summary_workbook  # noqa: E402
from monitor.models import Practice  # noqa: E402
from monitor.services.summary import build_summary  # noqa: E402
from monitor.web.context import default_template  # noqa: E402

EDITOR = "pm@highfields.example"


def median_ms(run, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        engine = create_engine(url)
        SQLModel.metadata.create_all(engine)
        engine.dispose()
        app = create_app("test", DATABASE_URL=url)
        with Session(app.extensions["monitor.engine"]) as session:
            load_demo(session, app.extensions["monitor.passwords"])
            load_demo_records(session, today=today())

        last_fy = financial_year_of(today()) - 1
        ranges = {
            "1 financial year": (date(last_fy, 4, 1), date(last_fy + 1, 3, 31)),
            "4 financial years": (date(last_fy - 3, 4, 1), date(last_fy + 1, 3, 31)),
        }
        with app.app_context(), Session(app.extensions["monitor.engine"]) as session:
            practice = session.exec(select(Practice).where(Practice.ods_code == "Z00001")).one()
            template = default_template()
            print(f"{practice.name}, summary steps (median of {args.repeat}):")
            for label, (start, end) in ranges.items():

                def build(start=start, end=end, label=label):
                    return build_summary(
                        session,
                        practice=practice,
                        template=template,
                        start=start,
                        end=end,
                        period_label=label,
                        today=today(),
                    )

                built_ms, summary = median_ms(build, args.repeat)
                xlsx_ms, xlsx = median_ms(lambda s=summary: summary_workbook(s), args.repeat)
                pdf_ms, pdf = median_ms(lambda s=summary: summary_pdf(s), args.repeat)
                rows = sum(len(t.rows) for t in summary.tables)
                print(
                    f"  {label:<18} {rows:5d} table rows, {len(summary.charts):2d} charts: "
                    f"assemble {built_ms:6.0f} ms, workbook {xlsx_ms:5.0f} ms "
                    f"({len(xlsx) // 1024} kB), PDF {pdf_ms:5.0f} ms ({len(pdf) // 1024} kB)"
                )

        client = app.test_client()
        app.config["WTF_CSRF_ENABLED"] = False
        client.post("/sign-in", data={"email": EDITOR, "password": DEMO_PASSWORD})
        start, end = ranges["4 financial years"]
        query = f"start={start.isoformat()}&end={end.isoformat()}"
        print("Download routes, 4 financial years (first request, then median of repeats):")
        for path in ("/summary/impact-summary.xlsx", "/summary/impact-summary.pdf"):

            def fetch(path=path):
                response = client.get(f"{path}?{query}")
                assert response.status_code == 200, response.status_code
                return response

            first, _ = median_ms(fetch, 1)
            again, _ = median_ms(fetch, args.repeat)
            print(f"  {path:<30} first {first:6.0f} ms, again {again:6.0f} ms")
        app.extensions["monitor.engine"].dispose()


if __name__ == "__main__":
    main()
