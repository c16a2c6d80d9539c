"""How long reading a month of national figures takes, against the bare reader's floor.

(a) A synthetic GPAD practice-level crosstab the size of England's month (about 2
    million rows, 6,400 practices, the published header and the value shapes of the real
    excerpt: band labels with double spaces, empty status and mode for "Unknown", a
    practice name with a comma) is written to a temporary file, and files of half and
    twice that size (the same practices, fewer or more rows each) to show how memory
    changes with size. Floors: a bare `pyarrow.csv.read_csv` of the file (every column,
    types inferred, multithreaded: the issue's floor), and a stricter one reading only
    the eight columns the reader uses, typed as it types them. The module is
    `datasets.read_path` (recognise the header, stream, total by practice, figures and
    facts out) and then keeping the figures of one ICB's 153 practices, as an import
    for one ICB does.
(b) A synthetic Cloud Based Telephony publication workbook with 6,400 practice rows in
    Tables 3, 4 and 5 in the published layout (and 100 "Unassigned" rows), with the
    real excerpt's other sheets (title, data quality, Tables 1 and 2: national, not per
    practice) copied in, written once with openpyxl. The floor is python-calamine
    reading the three tables' cells (and again holding Python's cycle collector back, as
    the reader does); the module is `read_published` and `datasets.read` (every sheet
    into cells after the zip-bomb checks, recognise, facts and figures out). openpyxl
    reading the same three tables, read-only and in its normal mode, is measured too,
    for comparison.

Every measurement runs in a fresh Python process that first imports what it uses (the
readers, the dataset registry, pyarrow with the acero module group_by loads on first
use, python-calamine, openpyxl), so start-up is not counted; its peak memory is
`resource.getrusage(RUSAGE_SELF).ru_maxrss` at its end (the whole process: pyarrow's
allocations and Python objects alike) less the peak after those imports. Times are the
median of three runs, interleaved with the other steps' runs so that a change in the
machine's load falls on them alike: wall clock, and the CPU time of all the process's
threads (which a busy machine disturbs less). Peaks are the largest of the three.
Cloud Based Telephony workbooks as NHS England publishes them (not in the repository)
can be given too, and are measured the same way.

    .venv/bin/python bench/national_figures.py            # both
    .venv/bin/python bench/national_figures.py gpad       # or cbt
    .venv/bin/python bench/national_figures.py cbt PUBLISHED.xlsx   # and a real workbook
"""

from __future__ import annotations

import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PRACTICES = 6400
GPAD_ROWS = 2_000_000
SIZES = (0.5, 1.0, 2.0)
"""GPAD files of half, once and twice England's month."""
ICBS = 42
ONE_ICB = {f"{chr(65 + n % 26)}{80000 + n:05d}" for n in range(7, PRACTICES, ICBS)}
"""The practice codes of one ICB (153 practices), as the bench files number them."""
REPEATS = 3
REAL_CBT = ROOT / "tests/fixtures/opendata/cbt_publication_summary_feb2026_LLR_excerpt.xlsx"
GPAD_COLUMNS = {
    "APPOINTMENT_MONTH_START_DATE": "string", "GP_CODE": "string", "GP_NAME": "string",
    "PCN_CODE": "string", "PCN_NAME": "string", "APPT_MODE": "string",
    "COUNT_OF_APPOINTMENTS": "int64", "APPT_STATUS": "string",
}  # fmt: skip
"""The columns the GPAD reader reads, typed as it types them (the stricter floor)."""
GPAD_HEADER = (
    "APPOINTMENT_MONTH_START_DATE,GP_CODE,GP_NAME,SUPPLIER,PCN_CODE,PCN_NAME,"
    "SUB_ICB_LOCATION_CODE,SUB_ICB_LOCATION_NAME,HCP_TYPE,APPT_MODE,NATIONAL_CATEGORY,"
    "TIME_BETWEEN_BOOK_AND_APPT,COUNT_OF_APPOINTMENTS,APPT_STATUS"
)
HCP = ("GP", "Other Practice staff", "Unknown")
MODES = ("Face-to-Face", "Face-to-Face", "Face-to-Face", "Telephone", "Home Visit",
         "Video Conference/Online", "")  # fmt: skip
CATEGORIES = (
    "General Consultation Acute", "General Consultation Routine", "Planned Clinics",
    "Clinical Triage", "Inconsistent Mapping", "Unplanned Clinical Activity",
    "Care Home Visit", "Home Visit", "Structured Medication Review",
    "Patient contact as part of a home visit",
    "Unmapped", "Walk-in", "Service provided by organisation external to the practice",
    "Planned Clinical Procedure", "Social Prescribing Service", "Screening",
    "Group Consultation and Group Education", "Non-contractual chargeable work",
)  # fmt: skip
BANDS = ("Same Day", "1 Day", "2 to 7 Days", "8  to 14 Days", "15  to 21 Days",
         "22  to 28 Days", "More than 28 Days", "Unknown / Data Quality")  # fmt: skip
STATUSES = ("Attended", "Attended", "Attended", "DNA", "")


def gpad_month(path: Path, rows: int = GPAD_ROWS) -> None:
    rng = random.Random(2025)
    per_practice = rows // PRACTICES
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(GPAD_HEADER + "\n")
        for n in range(PRACTICES):
            code = f"{chr(65 + n % 26)}{80000 + n:05d}"
            name = f'"SURGERY {n}, HEALTH CENTRE"' if n % 50 == 0 else f"SURGERY {n}"
            pcn = f"U{10000 + n // 6:05d}"
            prefix = (
                f"01OCT2025,{code},{name},{'EMIS' if n % 2 else 'TPP'},{pcn},PCN {pcn},"
                f"{n % 106:02d}X,NHS SOMEWHERE ICB - {n % 106:02d}X,"
            )
            lines = [
                f"{prefix}{rng.choice(HCP)},{rng.choice(MODES)},{rng.choice(CATEGORIES)},"
                f"{rng.choice(BANDS)},{rng.randint(1, 120)},{rng.choice(STATUSES)}\n"
                for _ in range(per_practice)
            ]
            out.writelines(lines)


def cbt_workbook(path: Path) -> None:
    import python_calamine
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    # The sheets that are not per practice (title, data quality, national Tables 1 and 2)
    # are as small nationally as in the excerpt: copied from it as they are.
    real = python_calamine.CalamineWorkbook.from_path(REAL_CBT)
    for name in real.sheet_names:
        if name not in ("Table 3", "Table 4", "Table 5"):
            sheet = book.create_sheet(name)
            for row in real.get_sheet_by_name(name).to_python(skip_empty_area=False):
                sheet.append([None if v == "" else v for v in row])
    geography = ["U30213", "CROSS COUNTIES PCN", "03W", "NHS LLR ICB - 03W", "QK1",
                 "NHS LEICESTER, LEICESTERSHIRE AND RUTLAND INTEGRATED CARE BOARD", "Y60",
                 "MIDLANDS"]  # fmt: skip
    hierarchy = ["Month [1]", "GP Practice \n(ODS_CODE)", "GP Name", "PCN Code",
                 "PCN Name [2,3]", "Sub ICB Code [2]", "Sub ICB Name", "ICB Code  [2]",
                 "ICB Name", "Region Code  [2]", "Region Name"]  # fmt: skip
    blank = [None] * 11
    bands = ["Less than 1 minute", None, "1 - 2 minutes", None, "2 - 5 minutes", None,
             "Longer than 5 minutes", None]  # fmt: skip
    tables = {
        "Table 3": (
            "Table 3: Summary of Cloud based telephony call outcomes, by practice, England, "
            "February 2026",
            [None, None, "Count of Inbound Call Outcome"],
            ["Count of Inbound calls", None, "Answered", None, "Ended during the IVR Stage [4]",
             None, "Call back requested", None, None, "Missed [5]", None, None,
             "Call back made", None],
            ["Total", None, "Total", "%", "Total", "%", "Total", "%", None, "Total", "%", None,
             "Total", "% of requested"],
        ),
        "Table 4": (
            "Table 4: Summary of Answered Calls, the time it took to answer and the duration "
            "of the call by practice, England, February 2026",
            [None] * 4 + ["Answered Calls - Wait time "] + [None] * 8
            + ["Answered Calls - Duration "],
            ["Total Inbound calls", "Answered  [4]", None, None, *bands, None, *bands],
            ["Count", "Count", "%", None] + ["Count", "%"] * 4 + [None] + ["Count", "%"] * 4,
        ),
        "Table 5": (
            "Table 5: Summary of Missed Calls, the time it took to answer and the duration of "
            "the call by practice, England, February 2026",
            [None] * 4 + ["Missed Calls - Wait time [4]"],
            ["Total Inbound calls", "Missed [4]", None, None, *bands],
            ["Count", "Count", "%", None] + ["Count", "%"] * 4,
        ),
    }  # fmt: skip
    rng = random.Random(2026)
    for name, (title, above, group, sub) in tables.items():
        sheet = book.create_sheet(name)
        for _ in range(6):
            sheet.append([None])
        sheet.append([title])
        sheet.append([None])
        sheet.append(blank + above)
        sheet.append(hierarchy + group)
        sheet.append(blank + sub)
        sheet.append(["Total", "National"] + [None] * 9 + [1000.0] * len(sub))
        sheet.append([None])
        for n in range(PRACTICES):
            code = f"{chr(65 + n % 26)}{80000 + n:05d}"
            figures = [
                None if s is None
                else round(rng.random(), 3) if "%" in s
                else float(rng.randint(0, 9000))
                for s in sub
            ]  # fmt: skip
            sheet.append([date(2026, 2, 1), code, f"SURGERY {n}", *geography, *figures])
        for _ in range(100):
            sheet.append([date(2026, 2, 1), "Unassigned", "Unassigned", *geography,
                          *[float(rng.randint(0, 90)) if s else None for s in sub]])  # fmt: skip
        sheet.append([None])
        sheet.append(["Notes:", "  1   Data for months October 24 - September 2025 is available"])
    book.save(path)


# One measurement, in its own process -------------------------------------------------------

CBT_TABLES = ("Table 3", "Table 4", "Table 5")


def measure(what: str, path: str) -> dict[str, float]:
    """Import, note the peak, run `what` on `path`, and report seconds and the peak's
    growth."""
    import pyarrow as pa
    import pyarrow.acero  # noqa: F401  (what group_by loads on first use: start-up)
    import pyarrow.csv as pacsv
    import python_calamine
    from openpyxl import load_workbook

    from monitor.importers import datasets
    from monitor.importers.published import collecting_cycles_after, read_published

    datasets.datasets()  # the registry imports every dataset module once per process
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start, cpu = time.perf_counter(), time.process_time()
    if what == "gpad_floor":
        table = pacsv.read_csv(path)
        assert table.num_rows >= GPAD_ROWS // 4 and table.num_columns == 14
    elif what == "gpad_floor_columns":
        table = pacsv.read_csv(
            path,
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.type_for_alias(t) for c, t in GPAD_COLUMNS.items()},
                include_columns=list(GPAD_COLUMNS),
                strings_can_be_null=False,
                null_values=[""],
            ),
        )
        assert table.num_rows >= GPAD_ROWS // 4 and table.num_columns == len(GPAD_COLUMNS)
    elif what == "gpad_module":
        extract = datasets.read_path(Path(path))
        assert len(extract.practices) == PRACTICES, len(extract.practices)
        ours = [f for f in extract.figures if f.ods_code in ONE_ICB]
        assert len(ours) == len(ONE_ICB) * len(extract.measures), len(ours)
    elif what == "cbt_floor":
        book = python_calamine.CalamineWorkbook.from_path(path)
        rows = sum(
            len(book.get_sheet_by_name(t).to_python(skip_empty_area=False)) for t in CBT_TABLES
        )
        assert rows > 3 * 4000
    elif what == "cbt_floor_collector_held":
        with collecting_cycles_after():
            book = python_calamine.CalamineWorkbook.from_path(path)
            rows = sum(
                len(book.get_sheet_by_name(t).to_python(skip_empty_area=False)) for t in CBT_TABLES
            )
        assert rows > 3 * 4000
    elif what == "cbt_module":
        extract = datasets.read(read_published(Path(path).name, Path(path).read_bytes()))
        assert len(extract.practices) > 4000, len(extract.practices)
        assert len(extract.figures) == len(extract.practices) * len(extract.measures)
    elif what in ("cbt_openpyxl_read_only", "cbt_openpyxl"):
        book = load_workbook(path, read_only=what.endswith("read_only"), data_only=True)
        rows = sum(sum(1 for _ in book[t].iter_rows(values_only=True)) for t in CBT_TABLES)
        assert rows > 3 * 4000
    else:
        raise ValueError(what)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"seconds": seconds, "cpu": cpu, "peak_mb": (peak - baseline) / 1024}


def once(what: str, path: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--measure", what, str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout)


def run(steps: list[tuple[str, str]], path: Path) -> list[tuple[str, dict[str, float]]]:
    """Each (label, what) step REPEATS times, interleaved (floor, module, floor, ...) so
    that a change in the machine's load falls on every step alike."""
    runs: dict[str, list[dict[str, float]]] = {what: [] for _, what in steps}
    for _ in range(REPEATS):
        for _, what in steps:
            runs[what].append(once(what, path))
    return [
        (
            label,
            {
                "seconds": statistics.median(r["seconds"] for r in runs[what]),
                "cpu": statistics.median(r["cpu"] for r in runs[what]),
                "peak_mb": max(r["peak_mb"] for r in runs[what]),
                "runs": [round(r["seconds"], 2) for r in runs[what]],
            },
        )
        for label, what in steps
    ]


def report(rows: list[tuple[str, dict[str, float]]]) -> None:
    floor = rows[0][1]["seconds"]
    print(f"{'step':<58} {'seconds':>7} {'x floor':>7} {'CPU s':>6} {'peak MB':>7}  runs")
    for label, r in rows:
        ratio = r["seconds"] / floor
        print(f"{label:<58} {r['seconds']:>7.2f} {ratio:>7.2f} {r['cpu']:>6.2f} "
              f"{r['peak_mb']:>7.0f}  {r['runs']}")  # fmt: skip


def machine() -> str:
    from importlib.metadata import version

    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.processor(),
    )  # fmt: skip
    load = ", ".join(f"{n:.2f}" for n in os.getloadavg())
    return (
        f"{date.today()}; {os.cpu_count()} x {cpu}; Python {platform.python_version()}; "
        f"pyarrow {version('pyarrow')}, python-calamine {version('python-calamine')}, "
        f"openpyxl {version('openpyxl')}; load average {load} at the start"
    )


def cbt_report(path: Path) -> None:
    steps = [
        ("python-calamine, Tables 3-5 to cells (floor)", "cbt_floor"),
        ("the same, cycle collector held back as the reader does", "cbt_floor_collector_held"),
        ("read_published + datasets.read", "cbt_module"),
        ("openpyxl read-only, Tables 3-5", "cbt_openpyxl_read_only"),
        ("openpyxl normal mode, Tables 3-5", "cbt_openpyxl"),
    ]
    report(run(steps, path))


def main(which: set[str], workbooks: list[Path]) -> None:
    print(machine())
    with tempfile.TemporaryDirectory() as folder:
        if "gpad" in which:
            for scale in SIZES:
                rows = int(GPAD_ROWS * scale)
                path = Path(folder) / f"Practice_Level_Crosstab_Oct_25_x{scale:g}.csv"
                start = time.perf_counter()
                gpad_month(path, rows)
                size = path.stat().st_size / 2**20
                took = time.perf_counter() - start
                print(f"\nGPAD month x{scale:g}: {rows:,} rows, {PRACTICES:,} practices, "
                      f"{size:.0f} MB (written in {took:.0f} s)")  # fmt: skip
                steps = [
                    ("pyarrow.csv.read_csv, every column (floor)", "gpad_floor"),
                    ("pyarrow.csv.read_csv, the reader's 8 columns typed", "gpad_floor_columns"),
                    ("datasets.read_path, then one ICB's figures", "gpad_module"),
                ]
                report(run(steps, path))
                path.unlink()
        if "cbt" in which:
            path = Path(folder) / "Cloud Based Telephony Publication Summary.xlsx"
            start = time.perf_counter()
            cbt_workbook(path)
            size = path.stat().st_size / 2**20
            print(f"\nCBT workbook: {PRACTICES:,} practice rows in Tables 3-5, {size:.1f} MB "
                  f"(written in {time.perf_counter() - start:.0f} s)")  # fmt: skip
            cbt_report(path)
        for path in workbooks:
            size = path.stat().st_size / 2**20
            print(f"\nCBT workbook as published: {path.name}, {size:.1f} MB")
            cbt_report(path)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--measure":
        print(json.dumps(measure(sys.argv[2], sys.argv[3])))
    else:
        # Paths of Cloud Based Telephony workbooks as NHS England publishes them (not in
        # the repository) are measured too: `... cbt "Cloud Based Telephony ....xlsx"`.
        workbooks = [Path(a) for a in sys.argv[1:] if a.endswith(".xlsx")]
        which = {a for a in sys.argv[1:] if not a.endswith(".xlsx")}
        main(which or {"gpad", "cbt"}, workbooks)
