"""General Practice Workforce (NHS England, monthly): the practice-level "high level" CSV,
one row per practice, staff group, job role and measure:

    PRAC_CODE,PRAC_NAME,STAFF_GROUP,DETAILED_STAFF_ROLE,MEASURE,VALUE

NHS England publishes it in each month's practice-level zip ("GPWPracticeCSV.102025.zip")
as "3 General Practice – October 2025 Practice Level - High level.csv" (UTF-8 with a
byte-order mark), beside the wide "Detailed" practice-level CSV. STAFF_GROUP is "GP",
"Nurses", "Direct Patient Care" or "Admin/Non-Clinical"; MEASURE is "FTE" or "Headcount";
DETAILED_STAFF_ROLE is a job role ("Partner/Provider", "Practice Nurse", …) or "Total",
the staff group's total at the practice. The figures are a snapshot on the last day of
the month.

The file has no date column: the month is taken from the file's name (NHS England's
names say it, as above) and the extract's notes say so; a PERIOD, MONTH or SNAPSHOT_DATE
column, if a file has one, says it instead (every row must say the same month). A file
with neither is refused. The period is the month ("2025-10").

Figures for the month, for each practice in the file:

  gp_fte        GP full-time equivalent: every GP, partners, salaried, locums and GPs in
                training grades (STAFF_GROUP "GP")
  nurse_fte     nurses' FTE ("Nurses")
  dpc_fte       direct patient care staff's FTE ("Direct Patient Care": pharmacists,
                healthcare assistants, physician associates, …)
  admin_fte     admin and non-clinical staff's FTE ("Admin/Non-Clinical")
  clinical_fte  gp_fte + nurse_fte + dpc_fte (None unless all three are published)
  gp_headcount  GPs, counted once each (the GP "Total" Headcount row)

A staff group's FTE is its "Total" row, never the Total *and* its roles: the roles are
added up only for a staff group that has no Total row at the practice (and then only
when every role is published; one role not published makes the total not known). A
headcount is the Total row alone: a person can hold two roles, so roles' headcounts do
not add up to the people. A practice with no row for a staff group has no figure for it.

NHS England writes "NA" (not available) where a practice gave no valid data for a staff
group; its figures are then estimated for the Sub-ICB Location in the bulletin tables,
never for the practice (the January 2023 "Changes in this series" note). Files before
February 2023 also wrote "ND" (no data). Both are not published: None, never 0. "EST"
(an estimate) carries no figure for the practice either, so it is not published too; no
NHS England note documents it in this file, and the extract's notes count any it finds.
Blank and the suppression marks of `_hierarchy.NOT_PUBLISHED` read the same way.

Rows that are not one practice (a national "Total" or "Unallocated" code) are passed over
and counted, as are staff groups and measures other than those above. A value that is not
a number (or is negative), a row with the wrong number of fields, a code that is not a
practice's or a practice with two Total rows for one staff group and measure refuses the
whole file, naming the row.

A national month is some 6,300 practices and hundreds of thousands of rows, so the file
is streamed from disk (`read_path`) as the GPAD crosstab is: pyarrow's CSV reader hands
over blocks of rows as text, `pyarrow.compute` totals each block by practice, staff
group, measure and Total-or-role, and only those totals are kept. An upload read as cells
(`read`) is written back as CSV and read the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import PurePath

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from monitor.core.formatting import MONTHS
from monitor.importers.datasets import Extract
from monitor.importers.datasets._hierarchy import NOT_PUBLISHED, add_figure, month_code, row_code
from monitor.importers.datasets._streamed import (
    MOST_PROBLEMS,
    CsvSource,
    has_headings,
    streamed_dataset,
)
from monitor.importers.datasets.fft import month_in, period_value
from monitor.importers.published import Problem, Refused, parse_published_date

CODE = "PRAC_CODE"
NAME = "PRAC_NAME"
GROUP = "STAFF_GROUP"
ROLE = "DETAILED_STAFF_ROLE"
MEASURE = "MEASURE"
VALUE = "VALUE"
REQUIRED = (CODE, NAME, GROUP, ROLE, MEASURE, VALUE)
PERIOD_HEADINGS = ("PERIOD", "MONTH", "SNAPSHOT_DATE", "REPORTING_PERIOD")
"""A column saying the month, in a file that has one (NHS England's files have none)."""
GROUPS = {"gp": "gp", "nurses": "nurse", "direct patient care": "dpc",
          "admin/non-clinical": "admin"}  # fmt: skip
"""STAFF_GROUP (trimmed, lower case) → the staff group's measure prefix."""
FTE, HEADCOUNT = "fte", "headcount"
ESTIMATED = "est"
MARKERS = pa.array(sorted(NOT_PUBLISHED | {"na", "nd", ESTIMATED}), pa.string())
NUMBER = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"
MEASURES = {
    "gp_fte": "GPs, full-time equivalent (all GPs, trainees and locums included)",
    "nurse_fte": "Nurses, full-time equivalent",
    "dpc_fte": "Direct patient care staff, full-time equivalent",
    "admin_fte": "Admin and non-clinical staff, full-time equivalent",
    "clinical_fte": "GPs, nurses and direct patient care staff, full-time equivalent",
    "gp_headcount": "GPs, headcount",
}


@dataclass
class _Totals:
    """What the blocks of a file add up to."""

    column: dict[str, str]  # heading -> the column's name in the file
    period: str | None  # the name of the file's month column, if it has one
    blocks: list[pa.Table] = field(default_factory=list)
    months: dict[str, int] = field(default_factory=dict)  # month column text -> first row
    wrong: list[dict[str, object]] = field(default_factory=list)  # rows whose VALUE is wrong
    broken: bool = False  # a row pyarrow could not take; the csv module will say why


def _read(source: CsvSource) -> Extract:
    header = source.header()
    column = {heading: header.column(heading) for heading in REQUIRED}
    period = header.first_column(PERIOD_HEADINGS)
    totals = _Totals(column, period)
    broken: list[Problem] = []
    try:
        for first_row, batch in source.blocks(
            [*column.values(), *([period] if period else [])], broken, parallel=True
        ):
            _total(batch, first_row, totals)
    except pa.ArrowInvalid:
        totals.broken = True
    if broken or totals.broken:
        raise Refused(source.reread() or [
            Problem("could not be read as the General Practice Workforce practice-level CSV")
        ])  # fmt: skip
    return _extract(totals, source.filename)


def _trimmed(array: pa.Array) -> pa.Array:
    return pc.utf8_trim_whitespace(array)


def _total(batch: pa.RecordBatch, first_row: int, totals: _Totals) -> None:
    """Total one block by practice code (as published), staff group, measure and Total or
    role: a few thousand groups a block, from which `_extract` makes the figures."""
    column = totals.column
    row = pa.array(np.arange(first_row, first_row + batch.num_rows, dtype=np.int64))
    code = _trimmed(batch[column[CODE]])
    text = _trimmed(batch[column[VALUE]])
    key = pc.utf8_lower(text)
    unpublished = pc.is_in(key, value_set=MARKERS)
    numeric = pc.match_substring_regex(text, NUMBER)
    number = pc.cast(pc.if_else(numeric, text, pa.scalar(None, pa.string())), pa.float64())
    negative = pc.fill_null(pc.less(number, 0), False)
    wrong = pc.or_(pc.invert(pc.or_(unpublished, numeric)), negative)
    if pc.any(wrong).as_py() and len(totals.wrong) < 1000:
        found = pa.table({"code": code, "text": text, "row": row}).filter(wrong)
        totals.wrong.extend(found.slice(0, 1000).to_pylist())
    if totals.period:
        months = pa.table({"month": _trimmed(batch[totals.period]), "row": row})
        firsts = months.group_by("month", use_threads=False).aggregate([("row", "min")])
        for month in firsts.to_pylist():
            totals.months.setdefault(month["month"], month["row_min"])
    table = pa.table(
        {
            "code": code,
            "group": pc.utf8_lower(_trimmed(batch[column[GROUP]])),
            "measure": pc.utf8_lower(_trimmed(batch[column[MEASURE]])),
            "total": pc.equal(pc.utf8_lower(_trimmed(batch[column[ROLE]])), "total"),
            "number": number,
            "unpublished": pc.cast(unpublished, pa.int64()),
            "estimated": pc.cast(pc.equal(key, ESTIMATED), pa.int64()),
            "row": row,
        }
    )
    totals.blocks.append(_grouped(table))


_KEYS = ["code", "group", "measure", "total"]
_NAMES = ["number", "numbers", "unpublished", "estimated", "first_row", "last_row", "rows"]
"""What `_grouped` and `_regrouped` give for each group, beside its keys."""
_BY_ROW = [("number", "sum"), ("number", "count"), ("unpublished", "sum"), ("estimated", "sum"),
           ("row", "min"), ("row", "max"), ("row", "count")]  # fmt: skip
_BY_GROUP = [("number", "sum"), ("numbers", "sum"), ("unpublished", "sum"), ("estimated", "sum"),
             ("first_row", "min"), ("last_row", "max"), ("rows", "sum")]  # fmt: skip
"""How `_NAMES` are made from a block's rows, and again from the blocks' groups."""


def _grouped(table: pa.Table, aggregates: list[tuple[str, str]] = _BY_ROW) -> pa.Table:
    """One block's rows (or, with _BY_GROUP, the blocks' groups) totalled by practice
    code, staff group, measure and Total."""
    grouped = table.group_by(_KEYS, use_threads=False).aggregate(aggregates)
    names = {f"{c}_{how}": name for (c, how), name in zip(aggregates, _NAMES, strict=True)}
    return grouped.rename_columns([names.get(n, n) for n in grouped.column_names])


def _regrouped(blocks: list[pa.Table]) -> pa.Table:
    """The blocks' groups totalled again across blocks."""
    return _grouped(pa.concat_tables(blocks), _BY_GROUP)


@dataclass
class _Practice:
    first_row: int
    groups: dict[tuple[str, str, bool], dict[str, object]] = field(default_factory=dict)


def _extract(totals: _Totals, filename: str) -> Extract:
    problems = [p for p in (_wrong_value(w) for w in totals.wrong) if p][:MOST_PROBLEMS]
    month, from_name = _month(totals, filename, problems)
    skipped: dict[str, int] = {}
    practices: dict[str, _Practice] = {}
    rows_read = 0
    groups = _regrouped(totals.blocks).sort_by("first_row").to_pylist() if totals.blocks else []
    for group in groups:
        found = row_code(group["code"])
        if found.wrong:
            problems.append(Problem(found.wrong, row=group["first_row"], column=CODE))
            continue
        if found.passed_over:
            skipped[found.passed_over] = skipped.get(found.passed_over, 0) + group["rows"]
            continue
        if not found.code:
            continue  # blank rows
        staff = GROUPS.get(group["group"])
        if staff is None or group["measure"] not in (FTE, HEADCOUNT):
            what = (f"staff group “{group['group']}”" if staff is None
                    else f"measure “{group['measure']}”")  # fmt: skip
            reason = f"{what} (not one the service reads)"
            skipped[reason] = skipped.get(reason, 0) + group["rows"]
            continue
        rows_read += group["rows"]
        practice = practices.setdefault(found.code, _Practice(group["first_row"]))
        at = (staff, group["measure"], group["total"])
        if at in practice.groups:  # " c82001 " and "C82001" are one practice
            _combine(practice.groups[at], group)
        else:
            practice.groups[at] = group
        mine = practice.groups[at]
        if group["total"] and mine["rows"] > 1:
            problems.append(
                Problem(
                    f"{found.code} is listed again with a {group['measure'].upper()} Total "
                    f"for staff group “{group['group']}” (first on row {mine['first_row']:,})",
                    row=mine["last_row"],
                    column=ROLE,
                )
            )
    if problems:
        raise Refused(sorted(problems, key=lambda p: p.row or 0)[:MOST_PROBLEMS])
    if not practices:
        raise Refused(Problem("has no rows of staff for a practice", row=2))
    label = f"{MONTHS[month.month - 1]} {month.year}"
    extract = DATASET.extract(filename, f"General Practice Workforce (practice level), {label}",
                              month)  # fmt: skip
    extract.period = month_code(month)
    extract.measures = dict(MEASURES)
    extract.rows_read = rows_read
    extract.skipped.update(skipped)
    if from_name:
        said = "its period column is blank" if totals.period else "it has no period column"
        extract.notes.append(
            f"The file does not say its month ({said}): the month ({label}) was taken from its "
            f"name, “{filename}”."
        )
    estimated = contradicted = 0
    for code, practice in practices.items():
        figures, contradicts = _figures(practice)
        contradicted += contradicts
        estimated += sum(g["estimated"] for g in practice.groups.values())
        for measure, value in figures.items():
            add_figure(extract, code, measure, value, "CSV", practice.first_row)
    if estimated:
        extract.notes.append(
            f"{estimated:,} {'figure was' if estimated == 1 else 'figures were'} marked EST "
            "(estimated) rather than published for the practice: recorded as not published."
        )
    if contradicted:
        extract.notes.append(
            f"For {contradicted:,} {'practice' if contradicted == 1 else 'practices'} a staff "
            "group's FTE Total is 0 while its roles add up to more: the published Total is used."
        )
    return extract


def _combine(mine: dict[str, object], other: dict[str, object]) -> None:
    if other["number"] is not None:
        mine["number"] = (mine["number"] or 0.0) + other["number"]
    for name in ("numbers", "unpublished", "estimated", "rows"):
        mine[name] += other[name]
    mine["first_row"] = min(mine["first_row"], other["first_row"])
    mine["last_row"] = max(mine["last_row"], other["last_row"])


def _figures(practice: _Practice) -> tuple[dict[str, float | None], int]:
    """A practice's figures, and 1 if a Total of 0 contradicts its roles (else 0)."""
    figures: dict[str, float | None] = {}
    contradicts = 0
    for staff in GROUPS.values():
        total = practice.groups.get((staff, FTE, True))
        roles = practice.groups.get((staff, FTE, False))
        if total is not None:
            figures[f"{staff}_fte"] = _published(total)
            if figures[f"{staff}_fte"] == 0 and roles is not None and (_published(roles) or 0) > 0:
                contradicts = 1
        else:
            figures[f"{staff}_fte"] = None if roles is None else _published(roles)
    parts = [figures["gp_fte"], figures["nurse_fte"], figures["dpc_fte"]]
    figures["clinical_fte"] = None if None in parts else float(sum(parts))
    headcount = practice.groups.get(("gp", HEADCOUNT, True))
    figures["gp_headcount"] = None if headcount is None else _published(headcount)
    return {m: figures[m] for m in MEASURES}, contradicts


def _published(group: dict[str, object]) -> float | None:
    """A group's total: None when any of its cells is not published."""
    if group["unpublished"] or not group["numbers"]:
        return None
    return float(group["number"])


def _wrong_value(row: dict[str, object]) -> Problem | None:
    if not row_code(row["code"]).code:
        return None  # not a practice's row: passed over whatever it holds
    text = row["text"]
    negative = re.match(NUMBER, text) is not None
    message = "is negative; staff cannot be" if negative else f"“{text}” is not a number"
    return Problem(message, row=row["row"], column=VALUE)


def _month(totals: _Totals, filename: str, problems: list[Problem]) -> tuple[date, bool]:
    """The file's month, and whether it came from the file's name. Refused when neither
    a month column nor the name says it."""
    if totals.period:
        months: dict[date, int] = {}
        for text, row in sorted(totals.months.items(), key=lambda m: m[1]):
            if not text:
                continue
            month = period_value(text) or parse_published_date(text)
            if month is None:
                problems.append(Problem(f"“{text}” is not a month", row=row,
                                        column=totals.period))  # fmt: skip
                continue
            month = month.replace(day=1)
            if months and month not in months:
                first = next(iter(months))
                problems.append(
                    Problem(
                        f"is for {MONTHS[month.month - 1]} {month.year} but the rows above are "
                        f"for {MONTHS[first.month - 1]} {first.year}: a file holds one month",
                        row=row,
                        column=totals.period,
                    )
                )
            months.setdefault(month, row)
        if months:
            return next(iter(months)), False
    month = month_in(PurePath(filename).stem)
    if month is None:
        raise Refused(
            problems
            + [
                Problem(
                    "does not say which month it describes: it has no period column and its "
                    "name names no month (as NHS England names it, “3 General Practice – "
                    "October 2025 Practice Level - High level.csv”)"
                )
            ]
        )
    return month, True


DATASET = streamed_dataset(
    key="workforce",
    title="General Practice Workforce, practice level",
    rank=60,
    is_header=lambda headings: has_headings(headings, REQUIRED),
    read=_read,
)
recognise, recognise_header = DATASET.recognise, DATASET.recognise_header
