"""ODS epraccur: the register of GP practices and prescribing cost centres (NHS England's
Organisation Data Service, "GP and GP practice related data").

A headerless CSV of 27 quoted columns, one row per organisation. The columns used:

| column | meaning |
|---|---|
| 1 | organisation code (the practice's ODS code) |
| 2 | name |
| 4 | high level health geography: the ICB's ODS code |
| 11, 12 | open date, close date (YYYYMMDD) |
| 13 | status: A active, C closed, D dormant, P proposed |
| 26 | prescribing setting: 4 is a GP practice |

Only GP practices (prescribing setting 4) are read; a proposed practice (status P) is
not open yet and is passed over. A dormant practice is treated as closed: it has no
patients and will not be asked for returns.
"""

from __future__ import annotations

from monitor.core.names import is_practice_code, ods_code, tidy_name
from monitor.importers.datasets import Dataset, Extract, PracticeFacts
from monitor.importers.published import Problem, PublishedFile, Refused, parse_published_date

COLUMNS = 27
CODE, NAME, ICB, OPENED, CLOSED, STATUS, SETTING = 0, 1, 3, 10, 11, 12, 25
GP_PRACTICE = "4"
STATUSES = {"A": True, "C": False, "D": False}


def recognise(file: PublishedFile) -> bool:
    if not file.is_csv:
        return False
    rows = file.grids["CSV"].rows
    sample = [r for r in rows[:20] if any(str(v).strip() for v in r)]
    fits = [
        len(r) == COLUMNS
        and len(ods_code(r[CODE])) in (5, 6)
        and ods_code(r[STATUS]) in {"A", "C", "D", "P"}
        and parse_published_date(str(r[OPENED])) is not None
        for r in sample
    ]
    # Most rows, not all: a malformed row should be refused by name, not hide the file.
    return bool(sample) and sum(fits) >= 0.8 * len(sample)


def read(file: PublishedFile) -> Extract:
    grid = file.grids["CSV"]
    extract = DATASET.extract(file.filename, "ODS practice register (epraccur)", as_of=None)
    problems: list[Problem] = []
    newest = None
    for n, row in enumerate(grid.rows, start=1):
        if not any(str(v).strip() for v in row):
            continue
        extract.rows_read += 1
        if len(row) != COLUMNS:
            problems.append(Problem(f"has {len(row)} columns; epraccur rows have {COLUMNS}", row=n))
            continue
        if str(row[SETTING]).strip() != GP_PRACTICE:
            extract.skipped["not a GP practice (prescribing setting is not 4)"] += 1
            continue
        code = ods_code(row[CODE])
        status = ods_code(row[STATUS])
        if not is_practice_code(code):
            problems.append(Problem(f"“{row[CODE]}” is not a practice code", row=n, column="1"))
            continue
        if status == "P":
            extract.skipped["proposed, not open yet"] += 1
            continue
        if status not in STATUSES:
            problems.append(Problem(f"“{row[STATUS]}” is not a status", row=n, column="13"))
            continue
        opened = parse_published_date(str(row[OPENED]))
        closed = parse_published_date(str(row[CLOSED])) if str(row[CLOSED]).strip() else None
        if str(row[CLOSED]).strip() and closed is None:
            problems.append(Problem(f"“{row[CLOSED]}” is not a date", row=n, column="12"))
            continue
        newest = max(filter(None, (newest, opened, closed)), default=None)
        extract.practices.append(
            PracticeFacts(
                ods_code=code,
                sheet="CSV",
                row=n,
                name=tidy_name(row[NAME]),
                icb_code=ods_code(row[ICB]) or None,
                open=STATUSES[status],
                closed_on=closed if not STATUSES[status] else None,
            )
        )
    if problems:
        raise Refused(problems)
    # epraccur carries no extract date; the newest open or close date in it is the
    # latest day it can describe, so a newer register wins over an older one.
    extract.as_of = newest
    return extract


DATASET = Dataset(
    key="epraccur",
    title="ODS practice register (epraccur.csv)",
    recognise=recognise,
    read=read,
    rank=10,
)
