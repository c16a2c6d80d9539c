"""How long onboarding one ICB takes from national-size files.

Synthetic files in the published layouts, the size of England's: epraccur with 6,400 GP
practices in 42 ICBs and 6,000 other organisations (prescribing cost centres), the ePCN
core partner details (1,250 PCNs, one spell per practice plus 800 ended ones),
registered patients and the Fingertips IMD 2019 export for every practice. One ICB of
about 150 practices is onboarded into an empty SQLite database, then again (nothing to
change).

The floor is reading the same files with the published-file reader alone (bytes to
cells), measured in the same run: the ratios say what recognising, merging and writing
cost on top of reading.

    .venv/bin/python bench/onboard.py
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import Session, SQLModel, create_engine  # noqa: E402

from monitor.importers import datasets  # noqa: E402
from monitor.importers.published import read_published  # noqa: E402
from monitor.services import onboarding  # noqa: E402
from tests.published_files import (  # noqa: E402
    EPCN_HEADINGS,
    csv_bytes,
    epraccur_row,
    registered_patients,
    workbook_bytes,
)

ICBS = [f"Q{n:02d}" for n in range(10, 52)]  # 42 ICBs
PRACTICES = 6400
TARGET = ICBS[7]


def national_files() -> dict[str, bytes]:
    rng = random.Random(2026)
    practices = [
        (f"{chr(65 + n % 26)}{80000 + n:05d}", ICBS[n % len(ICBS)]) for n in range(PRACTICES)
    ]
    # Five practices a PCN, each PCN within one ICB.
    pcn_of = {
        code: f"U{(n % len(ICBS)) * 100 + (n // len(ICBS)) // 5:05d}"
        for n, (code, _) in enumerate(practices)
    }
    register = [epraccur_row(code, f"PRACTICE {code}", icb) for code, icb in practices]
    register += [
        epraccur_row(f"Y{n:05d}", f"CENTRE {n}", ICBS[n % len(ICBS)], setting="0")
        for n in range(6000)
    ]
    sub = ["03W", "NHS SOMEWHERE ICB - 03W"]
    spells = [
        [code, code, *sub, pcn_of[code], f"PCN {pcn_of[code]}", *sub, date(2019, 7, 1), None]
        for code, _ in practices
    ]
    spells += [
        [code, code, *sub, "U99999", "OLD PCN", *sub, date(2019, 7, 1), date(2021, 3, 31)]
        for code, _ in practices[:800]
    ]
    heading = ["Indicator ID", "Indicator Name", "Parent Code", "Parent Name", "Area Code",
               "Area Name", "Area Type", "Sex", "Age", "Category Type", "Category",
               "Time period", "Value"]  # fmt: skip
    imd = [heading, ["93553", "IMD", "", "", "E92000001", "England", "England", "Persons",
                     "All ages", "", "", "2019", "21.7"]]  # fmt: skip
    imd += [
        ["93553", "IMD", "E92000001", "England", code, f"Practice {code}", "GP", "Persons",
         "All ages", "", "", "2019", f"{rng.uniform(5, 60):.4f}"]
        for code, _ in practices
    ]  # fmt: skip
    return {
        "epraccur.csv": csv_bytes(register, quote_all=True),
        "ePCN.xlsx": workbook_bytes({"PCN Core Partner Details": [EPCN_HEADINGS, *spells]}),
        "gp-reg-pat-prac-all.csv": registered_patients(
            {code: rng.randint(1500, 30000) for code, _ in practices}
        ),
        "indicators-GP.data.csv": csv_bytes(imd),
    }


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    files = national_files()
    sizes = ", ".join(f"{name} {len(data) / 2**20:.1f} MB" for name, data in files.items())
    print(f"Files: {sizes}")

    def read_only():
        for name, data in files.items():
            read_published(name, data)

    def extracts():
        return [datasets.read(read_published(name, data)) for name, data in files.items()]

    floor = statistics.median(timed(read_only) for _ in range(3))
    recognise = statistics.median(timed(extracts) for _ in range(3))
    with tempfile.TemporaryDirectory() as folder:
        engine = create_engine(f"sqlite:///{folder}/bench.sqlite3")
        SQLModel.metadata.create_all(engine)
        read = extracts()
        with Session(engine) as session:
            first_plan = []
            first = timed(
                lambda: first_plan.append(
                    onboarding.onboard(
                        session, user=None, icb_code=TARGET, extracts=read, today=date.today()
                    )
                )
            )
            again = timed(
                lambda: onboarding.onboard(
                    session, user=None, icb_code=TARGET, extracts=read, today=date.today()
                )
            )
        engine.dispose()
    created = dict(first_plan[0].counts())
    print(f"Onboarded {TARGET}: {created}")
    print(f"{'step':<44}{'seconds':>9}{'x floor':>9}")
    for label, seconds in (
        ("read the four files (floor)", floor),
        ("read and recognise, facts out", recognise),
        ("onboard one ICB, empty database", first),
        ("onboard again, nothing to change", again),
        ("end to end (read, recognise, onboard)", recognise + first),
    ):
        print(f"{label:<44}{seconds:>9.2f}{seconds / floor:>9.1f}")


if __name__ == "__main__":
    main()
