"""Appointments in General Practice (GPAD, NHS England, monthly): the practice-level
crosstab CSV, one row per practice and combination of who the appointment was with, how,
its national category, how long after booking, and its status:

    APPOINTMENT_MONTH_START_DATE,GP_CODE,GP_NAME,SUPPLIER,PCN_CODE,PCN_NAME,
    SUB_ICB_LOCATION_CODE,SUB_ICB_LOCATION_NAME,HCP_TYPE,APPT_MODE,NATIONAL_CATEGORY,
    TIME_BETWEEN_BOOK_AND_APPT,COUNT_OF_APPOINTMENTS,APPT_STATUS

The month is `01OCT2025`; an empty APPT_STATUS, HCP_TYPE or APPT_MODE means "Unknown";
a combination with no appointments has no row, so a practice in the file with no row of
a kind had none of it (0, not "not published").

The national file is hundreds of megabytes (about two million rows a month), so it is
streamed from disk (`read_path`): pyarrow's CSV reader hands over blocks of rows with
the columns typed as declared here (nothing inferred), `pyarrow.compute` totals each
block by practice, and only the totals are kept, so memory does not grow with the file.
Only when something is wrong is the file read again, row by row with the `csv` module,
to say where.

Figures for the month, each practice's total over every row (all HCP types, categories
and booking intervals):

  appointments            every appointment, whatever its status (Unknown included)
  appointments_attended   appointments with APPT_STATUS "Attended"
  face_to_face_pct        attended appointments with APPT_MODE "Face-to-Face", as a
                          percentage of attended appointments (None when none attended)
  telephone_pct           attended appointments with APPT_MODE "Telephone", as a
                          percentage of attended appointments (None when none attended)
  home_visits             attended appointments with APPT_MODE "Home Visit"
  dna                     appointments with APPT_STATUS "DNA" (did not attend)

It also gives each practice's name and PCN (no ICB: the file has none). A file with
rows for more than one month, a row with the wrong number of fields or a count that is
not a whole number of appointments is refused, naming the row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from monitor.core.formatting import MONTHS
from monitor.core.names import tidy_name
from monitor.importers.datasets import Extract, PracticeFacts
from monitor.importers.datasets._hierarchy import (
    add_figure,
    month_code,
    pcn_of,
    row_code,
)
from monitor.importers.datasets._streamed import (
    MOST_PROBLEMS,
    CsvSource,
    Header,
    has_headings,
    streamed_dataset,
)
from monitor.importers.published import Problem, Refused, parse_published_date

MONTH = "APPOINTMENT_MONTH_START_DATE"
CODE = "GP_CODE"
NAME = "GP_NAME"
PCN_CODE = "PCN_CODE"
PCN_NAME = "PCN_NAME"
MODE = "APPT_MODE"
COUNT = "COUNT_OF_APPOINTMENTS"
STATUS = "APPT_STATUS"
REQUIRED = (MONTH, CODE, NAME, PCN_CODE, PCN_NAME, "HCP_TYPE", MODE, COUNT, STATUS)
"""The columns that make the file the practice-level crosstab (the Mapping.csv has no
COUNT_OF_APPOINTMENTS; the sub-ICB crosstabs have no GP_CODE)."""
READ = (MONTH, CODE, NAME, PCN_CODE, PCN_NAME, MODE, COUNT, STATUS)

TOTALS = ("all", "attended", "face_to_face", "telephone", "home_visit", "dna")
MEASURES = {
    "appointments": "Appointments, every status",
    "appointments_attended": "Appointments attended",
    "face_to_face_pct": "Attended appointments face to face, % of attended",
    "telephone_pct": "Attended appointments by telephone, % of attended",
    "home_visits": "Attended home visits",
    "dna": "Appointments not attended (DNA)",
}


@dataclass
class _Totals:
    """What the blocks of a file add up to."""

    months: set[str] = field(default_factory=set)
    blocks: list[pa.Table] = field(default_factory=list)
    broken: bool = False  # a row pyarrow could not take; the csv module will say why


def _read(source: CsvSource) -> Extract:
    header = source.header()
    column = {heading: header.column(heading) for heading in READ}
    totals = _Totals()
    broken: list[Problem] = []
    try:
        for first_row, batch in source.blocks(
            list(column.values()),
            broken,
            types={column[COUNT]: pa.int64()},  # so an empty count is null
            parallel=True,
            newlines_in_values=False,
        ):
            _total(batch, first_row, column, totals)
    except pa.ArrowInvalid:
        totals.broken = True  # a count that is not a whole number, as a rule
    months = totals.months - {""}
    if (
        broken
        or totals.broken
        or len(months) != 1
        or parse_published_date(next(iter(months))) is None
    ):
        problems = source.reread(_row_checker(header))
        if not problems and not months:
            problems = [Problem("has no rows of appointments", row=2)]
        raise Refused(problems or [Problem("could not be read as the GPAD crosstab")])
    month = parse_published_date(next(iter(months))).replace(day=1)
    return _extract(totals, month, source.filename)


def _total(batch: pa.RecordBatch, first_row: int, column: dict[str, str], totals: _Totals) -> None:
    """Total one block by practice, status and mode: a few hundred groups a block, from
    which `_extract` makes the figures. Blank rows fall in the group of code ""."""
    count = batch[column[COUNT]]
    totals.months.update(pc.unique(batch[column[MONTH]]).to_pylist())
    if count.null_count:  # an empty count: broken unless the whole row is blank
        blank = pc.equal(batch[column[CODE]], "")
        if pc.any(pc.and_(pc.invert(blank), pc.is_null(count))).as_py():
            totals.broken = True
            return
    if (pc.min(count).as_py() or 0) < 0:
        totals.broken = True
        return
    table = pa.table(
        {
            "code": batch[column[CODE]],
            "status": batch[column[STATUS]],
            "mode": batch[column[MODE]],
            "count": count,
            "row": np.arange(first_row, first_row + batch.num_rows, dtype=np.int64),
            "name": batch[column[NAME]],
            "pcn_code": batch[column[PCN_CODE]],
            "pcn_name": batch[column[PCN_NAME]],
        }
    )
    totals.blocks.append(
        table.group_by(["code", "status", "mode"], use_threads=False).aggregate(
            [("count", "sum"), ("row", "min"), ("row", "count")]
            + [(label, "first") for label in ("name", "pcn_code", "pcn_name")]
        )
    )


def _extract(totals: _Totals, month: date, filename: str) -> Extract:
    description = f"GP appointments (GPAD), {MONTHS[month.month - 1]} {month.year}"
    extract = DATASET.extract(filename, description, month)
    extract.period = month_code(month)
    extract.measures = dict(MEASURES)
    practices: dict[str, dict[str, object]] = {}
    problems: list[Problem] = []
    for published in _by_code(totals.blocks):
        found = row_code(published["code"])
        if found.wrong:
            problems.append(Problem(found.wrong, row=published["row"], column=CODE))
        elif found.passed_over:
            extract.skipped[found.passed_over] += published["rows"]
        elif found.code:
            extract.rows_read += published["rows"]
            mine = practices.setdefault(found.code, published)
            if mine is not published:  # " c82001 " and "C82001" are one practice
                for total in TOTALS:
                    mine[total] += published[total]
    if problems:
        raise Refused(problems[:MOST_PROBLEMS])
    for code, practice in practices.items():
        _add_practice(extract, code, practice)
    return extract


def _by_code(blocks: list[pa.Table]) -> list[dict[str, object]]:
    """The blocks' groups totalled by practice code as published, in the order of each
    code's first row: a row a practice, so the Python objects are few."""
    if not blocks:
        return []
    groups = pa.concat_tables(blocks)
    count, status, mode = groups["count_sum"], groups["status"], groups["mode"]
    zero = pa.scalar(0, pa.int64())
    attended = pc.equal(status, "Attended")

    def attended_by(how: str) -> pa.Array:
        return pc.if_else(pc.and_(attended, pc.equal(mode, how)), count, zero)

    table = pa.table(
        {
            "code": groups["code"],
            "all": count,
            "attended": pc.if_else(attended, count, zero),
            "face_to_face": attended_by("Face-to-Face"),
            "telephone": attended_by("Telephone"),
            "home_visit": attended_by("Home Visit"),
            "dna": pc.if_else(pc.equal(status, "DNA"), count, zero),
            "row": groups["row_min"],
            "rows": groups["row_count"],
            **{label: groups[f"{label}_first"] for label in ("name", "pcn_code", "pcn_name")},
        }
    ).sort_by("row")
    by_code = table.group_by("code", use_threads=False).aggregate(
        [(total, "sum") for total in (*TOTALS, "rows")]
        + [("row", "min")]
        + [(label, "first") for label in ("name", "pcn_code", "pcn_name")]
    )
    names = {f"{total}_sum": total for total in (*TOTALS, "rows")}
    names |= {"row_min": "row", "name_first": "name", "pcn_code_first": "pcn_code"}
    names |= {"pcn_name_first": "pcn_name"}
    by_code = by_code.rename_columns([names.get(n, n) for n in by_code.column_names])
    return by_code.sort_by("row").to_pylist()


def _add_practice(extract: Extract, code: str, p: dict[str, object]) -> None:
    row = p["row"]
    pcn_code, pcn_name = pcn_of(p["pcn_code"], p["pcn_name"])
    extract.practices.append(
        PracticeFacts(
            ods_code=code,
            sheet="CSV",
            row=row,
            name=tidy_name(p["name"]) or None,
            pcn_code=pcn_code,
            pcn_name=pcn_name,
        )
    )
    attended = p["attended"]

    def share(part: int) -> float | None:
        return part / attended * 100 if attended else None

    for measure, value in (
        ("appointments", float(p["all"])),
        ("appointments_attended", float(attended)),
        ("face_to_face_pct", share(p["face_to_face"])),
        ("telephone_pct", share(p["telephone"])),
        ("home_visits", float(p["home_visit"])),
        ("dna", float(p["dna"])),
    ):
        add_figure(extract, code, measure, value, "CSV", row)


def _row_checker(header: Header) -> Callable[[int, list[str]], list[Problem]]:
    """What is wrong with a row of the right width, read again: its count, its month,
    or a month other than the rows' above."""
    at = {heading: header.at[heading] for heading in (COUNT, MONTH)}
    expected: str | None = None

    def check(n: int, row: list[str]) -> list[Problem]:
        nonlocal expected
        problems = []
        count = row[at[COUNT]].strip()
        if not count.isdigit():
            problems.append(
                Problem(f"“{count}” is not a number of appointments", row=n, column=COUNT)
            )
        month = row[at[MONTH]].strip()
        if parse_published_date(month) is None:
            problems.append(Problem(f"“{month}” is not a month", row=n, column=MONTH))
        elif expected is not None and month != expected:
            problems.append(
                Problem(
                    f"is for {month} but the rows above are for {expected}: a file holds one month",
                    row=n,
                    column=MONTH,
                )
            )
        if expected is None:
            expected = month or None
        return problems

    return check


DATASET = streamed_dataset(
    key="gpad_appointments",
    title="GP appointments (GPAD) practice-level crosstab",
    rank=40,
    is_header=lambda headings: has_headings(headings, REQUIRED),
    read=_read,
)
recognise, recognise_header = DATASET.recognise, DATASET.recognise_header
