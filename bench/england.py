"""What keeping England beside the ICB costs: importing a national month with England's
figures, and reading England's figures for the ICB's pages.

A synthetic England of 6,400 practices with deprivation deciles and list sizes (as
onboarding from the national Fingertips IMD and registered-patients files keeps them),
one ICB of 150 of them on template version 2, and a synthetic Cloud Based Telephony
month for every practice (five measures the template takes: 32,000 figures). Steps:

(a) `plan_import` + `apply_import` for the ICB: its 750 values, every England
    practice's 32,000 values and England's medians, quartiles and slope index of
    inequality for the five items. Floor: inserting the same 32,750 rows with one bare
    executemany per table in the same database, in the same run.
(b) `england.figures` for one item and month (every practice's value, England's
    summary, SII and quintiles) and for a quarter of three imported months. Floor:
    selecting the same rows bare.

SQLite by default (a temporary file); `DATABASE_URL=postgresql+psycopg://…` to run on
PostgreSQL (an empty database: the script creates and drops its tables). Median of 3.

    .venv/bin/python bench/england.py
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, text  # noqa: E402
from sqlmodel import Session, SQLModel, create_engine, select  # noqa: E402

from monitor.core.clock import utcnow  # noqa: E402
from monitor.core.published import Extract, PublishedFigure  # noqa: E402
from monitor.models import (  # noqa: E402
    EnglandPractice,
    EnglandValue,
    Icb,
    MetricValue,
    NationalImport,
    Pcn,
    Practice,
)
from monitor.services import england, national_data  # noqa: E402
from tests.factories import shipped_templates  # noqa: E402

PRACTICES = 6400
ICB_PRACTICES = 150
MEASURES = ("inbound_calls", "answered_pct", "missed_pct", "answered_within_2_min_pct",
            "callback_requested")  # fmt: skip
V2 = shipped_templates()[("hep-light-touch", 2)]
TODAY = date(2026, 11, 20)
CODES = [f"E{n:05d}" for n in range(1, PRACTICES + 1)]


def extract_for(month: str, rng: random.Random) -> Extract:
    figures = []
    for n, code in enumerate(CODES):
        calls = rng.randint(800, 12000)
        answered = rng.uniform(70, 98)
        for measure, value in zip(
            MEASURES,
            (calls, answered, 100 - answered, rng.uniform(40, 90), rng.randint(0, 300)),
            strict=True,
        ):
            figures.append(PublishedFigure(code, measure, month, float(value), "Table 3", n + 14))
    return Extract(source="cbt", rank=5, filename=f"synthetic-cbt-{month}.xlsx",
                   description=f"Cloud Based Telephony, {month} (synthetic)", as_of=None,
                   rows_read=PRACTICES, figures=figures, period=month)  # fmt: skip


def world(engine) -> Icb:
    SQLModel.metadata.drop_all(engine)
    SQLModel.metadata.create_all(engine)
    rng = random.Random(13)
    with Session(engine) as session:
        session.execute(
            insert(EnglandPractice),
            [{"ods_code": c, "list_size": rng.randint(2000, 25000), "imd_decile": n % 10 + 1,
              "imd_score": 0.0, "updated_at": utcnow()} for n, c in enumerate(CODES)],
        )  # fmt: skip
        icb = Icb(code="QK1", name="Synthetic ICB", template_version=2)
        session.add(icb)
        session.flush()
        pcn = Pcn(code="U00001", name="SYNTHETIC PCN", icb_id=icb.id)
        session.add(pcn)
        session.flush()
        for n, code in enumerate(CODES[:ICB_PRACTICES]):
            session.add(Practice(ods_code=code, name=f"Practice {code}", icb_id=icb.id,
                                 pcn_id=pcn.id, list_size=8000, imd_decile=n % 10 + 1))  # fmt: skip
        session.commit()
        session.refresh(icb)
        return icb


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def import_once(engine, icb_id: int, extract: Extract, sha: str) -> None:
    with Session(engine) as session:
        icb = session.get(Icb, icb_id)
        found = NationalImport(icb_id=icb_id, filename=extract.filename, sha256=sha,
                               description=extract.description, dataset="cbt")  # fmt: skip
        session.add(found)
        session.commit()
        plan = national_data.plan_import(session, icb=icb, template=V2, extract=extract,
                                         today=TODAY)  # fmt: skip
        national_data.apply_import(session, user=None, plan=plan, template=V2,
                                   national_import=found)  # fmt: skip


def floor_insert(engine, icb_id: int, extract: Extract) -> None:
    with Session(engine) as session:
        # England's rows name their import (a foreign key PostgreSQL enforces): one made
        # in the same transaction, rolled back with the rest.
        found = NationalImport(icb_id=icb_id, filename="floor", sha256="f" * 64,
                               description="floor", dataset="cbt")  # fmt: skip
        session.add(found)
        session.flush()
        session.execute(
            insert(EnglandValue),
            [{"import_id": found.id, "item_id": f.measure, "period_code": f.period,
              "ods_code": f.ods_code, "value": f.value} for f in extract.figures],
        )  # fmt: skip
        session.execute(
            insert(MetricValue),
            [{"practice_id": 1, "item_id": f"{f.measure}{n}", "frequency": "monthly",
              "period_code": f.period, "period_start": date(2026, 4, 1),
              "value_number": f.value, "template_id": "t", "template_version": 2,
              "source": "cbt", "version": 1, "created_at": utcnow(), "updated_at": utcnow()}
             for n, f in enumerate(extract.figures[: ICB_PRACTICES * len(MEASURES)])],
        )  # fmt: skip
        session.rollback()


def floor_select(engine, import_ids: list[int]) -> None:
    with Session(engine) as session:
        list(
            session.exec(
                select(EnglandValue.ods_code, EnglandValue.value).where(
                    EnglandValue.import_id.in_(import_ids),
                    EnglandValue.item_id == "calls_answered_pct",
                )
            )
        )
        list(session.exec(select(EnglandPractice)))


def main() -> None:
    url = os.environ.get("DATABASE_URL")
    folder = tempfile.mkdtemp()
    engine = create_engine(url or f"sqlite:///{folder}/bench.db")
    icb = world(engine)
    rng = random.Random(2026)
    months = ["2026-04", "2026-05", "2026-06"]
    extracts = {m: extract_for(m, rng) for m in months}
    results: dict[str, list[float]] = {k: [] for k in
        ("floor insert", "import a month", "floor select (3 months)", "England, one month",
         "England, a quarter")}  # fmt: skip
    for run in range(3):
        with engine.begin() as connection:  # each run imports the months afresh
            for table in ("national_aggregate", "england_value", "national_import_change",
                          "audit_event", "metric_value", "national_import"):  # fmt: skip
                connection.execute(text(f"DELETE FROM {table}"))
        results["floor insert"].append(
            timed(lambda: floor_insert(engine, icb.id, extracts[months[0]]))
        )
        for n, month in enumerate(months):
            sha = f"{run}{n}".ljust(64, "0")
            took = timed(lambda m=month, sha=sha: import_once(engine, icb.id, extracts[m], sha))
            if n == 0:
                results["import a month"].append(took)
        with Session(engine) as session:
            ids = list(session.exec(select(NationalImport.id)))
        item = V2.items_by_id["calls_answered_pct"]
        results["floor select (3 months)"].append(timed(lambda ids=ids: floor_select(engine, ids)))

        def england_for(codes, item=item):
            with Session(engine) as session:
                england.figures(session, icb.id, item, codes)

        results["England, one month"].append(timed(lambda: england_for(months[:1])))
        results["England, a quarter"].append(timed(lambda: england_for(months)))
    floors = {"import a month": "floor insert", "England, one month": "floor select (3 months)",
              "England, a quarter": "floor select (3 months)"}  # fmt: skip
    print(
        f"database: {engine.dialect.name}; England {PRACTICES:,} practices, ICB "
        f"{ICB_PRACTICES}, {len(MEASURES)} items a month"
    )  # noqa: T201
    print("| step | seconds (median of 3) | × floor |")  # noqa: T201
    print("|---|---|---|")  # noqa: T201
    for step, times in results.items():
        median = statistics.median(times)
        ratio = median / statistics.median(results[floors[step]]) if step in floors else 1.0
        print(f"| {step} | {median:.3f} | {ratio:.1f} |")  # noqa: T201
    SQLModel.metadata.drop_all(engine)


if __name__ == "__main__":
    main()
