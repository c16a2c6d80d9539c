"""Quality and Outcomes Framework achievement (NHS England, published by NHS Digital once a
year): the raw data CSV, in long format, as "ACHIEVEMENT_2324.csv" in the year's zip:

    PRACTICE_CODE,INDICATOR_CODE,MEASURE,VALUE

one row per practice, indicator and MEASURE (REGISTER, NUMERATOR, DENOMINATOR, PCAS or
ACHIEVED_POINTS), about two million rows. Rows of any other MEASURE are not read.

Figures for the financial year, each practice's total over every indicator:

  achieved_points   the QOF points the practice achieved (the sum of its ACHIEVED_POINTS)
  achievement_pct   achieved_points as a percentage of the points available that year
                    (POINTS_AVAILABLE, from NHS Digital's own indicator mappings); None
                    for a year not in that table, which the extract's notes then say

A blank VALUE is not published. A practice with no ACHIEVED_POINTS row (a REGISTER row
only, say), or with one whose VALUE is blank, has neither figure (None, never 0): a total
with parts missing would understate it.

The financial year is read from a year column when the file has one ("2023-24", "2324"),
else from the file's name as NHS Digital names them ("ACHIEVEMENT_2324.csv": 2023-24),
which the extract's notes then say; a file with neither is refused.

The national file is streamed from disk (`read_path`) with pyarrow, its four columns read
as text and checked and totalled a block at a time by `pyarrow.compute`, so that only
each practice's totals, and a row per practice and indicator with points, are kept. An
upload (`read`) is written back as CSV and read the same way. A VALUE of a REGISTER …
ACHIEVED_POINTS row that is not a number, negative points, an indicator's points listed
twice for a practice, or more points than the year has refuses the file naming the row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePath

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from monitor.core.checklist import Frequency
from monitor.core.periods import Period
from monitor.importers.datasets import Extract
from monitor.importers.datasets._hierarchy import NOT_PUBLISHED, add_figure, row_code
from monitor.importers.datasets._streamed import (
    BLANK,
    MOST_PROBLEMS,
    NO_CODE,
    CsvSource,
    has_headings,
    streamed_dataset,
)
from monitor.importers.published import Problem, Refused

CODE, INDICATOR, MEASURE, VALUE = "PRACTICE_CODE", "INDICATOR_CODE", "MEASURE", "VALUE"
POINTS = "ACHIEVED_POINTS"
MEASURES_READ = ("REGISTER", "NUMERATOR", "DENOMINATOR", "PCAS", POINTS)
YEAR_HEADINGS = ("FINANCIAL_YEAR", "REPORTING_YEAR", "FYEAR", "YEAR")

POINTS_AVAILABLE = {
    # The sum of INDICATOR_POINT_VALUE over the year's indicators in NHS Digital's own
    # mappings (github.com/NHSDigital/QOF, public_metadata/), each matching the MAX_POINTS
    # and PREV_MAX_POINTS of that commit's CONTROL_FILE.csv:
    # 2021-22: PREVIOUS_INDICATOR_MAPPINGS.csv @ e1876c83182b00db6ffc45b712dd367e826851f5
    #          (72 indicators; four income-protected ones at 0 points)
    # 2022-23: PREVIOUS_INDICATOR_MAPPINGS.csv @ 9e4ebc01eb0806215e69cd214ddcd7389a103000
    #          (76 indicators), and INDICATOR_REFERENCE_CONTROL.csv @ e1876c83 agrees
    # 2023-24: INDICATOR_REFERENCE_CONTROL.csv @ 9e4ebc01eb0806215e69cd214ddcd7389a103000
    #          (76 indicators)
    # The repository holds no other year's mappings, so no other year is here.
    "2021-22": 635,
    "2022-23": 635,
    "2023-24": 635,
}
MEASURES = {
    "achieved_points": "QOF points achieved, every indicator",
    "achievement_pct": "QOF points achieved, % of the points available that year",
}

_NUMBER = r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$"
_UNPUBLISHED = pa.array(sorted(NOT_PUBLISHED))
_READ = pa.array(MEASURES_READ)
_YEAR_PAIR = re.compile(r"(?<!\d)(20\d{2})\s*[-/_]\s*(?:20)?(\d{2})(?!\d)")  # 2023-24
_YEAR_DIGITS = re.compile(r"(?<!\d)(?:20)?(\d{2})(\d{2})(?!\d)")  # 2324, 202324


def financial_year_in(text: str) -> int | None:
    """The financial year (its first calendar year) a text names, when it names one:
    "ACHIEVEMENT_2324" and "2023-24" are 2023; "QOF2021_v2" is 2020 (2020-21)."""
    found = set()
    for match in _YEAR_PAIR.finditer(text or ""):
        if (int(match[1]) + 1) % 100 == int(match[2]):
            found.add(int(match[1]))
    for match in _YEAR_DIGITS.finditer(text or ""):
        if (int(match[1]) + 1) % 100 == int(match[2]):
            found.add(2000 + int(match[1]))
    return found.pop() if len(found) == 1 else None


def _is_header(headings: list[str]) -> bool:
    return has_headings(headings, (CODE, INDICATOR, MEASURE, VALUE))


@dataclass
class _Totals:
    """What the blocks of a file add up to."""

    columns: dict[str, str]  # heading as named here -> as the file spells it
    codes: list[pa.Table] = field(default_factory=list)  # rows by practice code
    points: list[pa.Table] = field(default_factory=list)  # points by practice, indicator
    years: set[str] = field(default_factory=set)
    blank: int = 0
    trailing_blank: int = 0  # blank rows at the end are not rows (as in an upload)
    problems: list[Problem] = field(default_factory=list)


def _read(source: CsvSource) -> Extract:
    header = source.header()
    if not _is_header(header.headings):
        raise Refused(Problem("does not have the QOF achievement header", row=1))
    columns = {h: header.column(h) for h in (CODE, INDICATOR, MEASURE, VALUE)}
    year = header.first_column(YEAR_HEADINGS)
    if year:
        columns["year"] = year
    totals = _Totals(columns)
    broken: list[Problem] = []
    for first, batch in source.blocks(list(columns.values()), broken):
        _add_block(batch, first, totals)
        if len(totals.problems) >= MOST_PROBLEMS:
            break
    if broken:
        raise Refused(broken)  # `blocks` keeps MOST_PROBLEMS at most
    extract = _extract(source.filename, totals)
    problems = totals.problems + _add_practices(extract, totals)
    if problems:
        raise Refused(sorted(problems, key=lambda p: p.row or 0)[:MOST_PROBLEMS])
    return extract


def _add_block(batch: pa.RecordBatch, first_row: int, totals: _Totals) -> None:
    """Check one block's values and total its points by practice and indicator."""
    column = totals.columns
    rows = pa.array(np.arange(first_row, first_row + batch.num_rows, dtype=np.int64))
    text = {h: pc.utf8_trim_whitespace(batch[c]) for h, c in column.items()}
    blank = _all_blank(list(text.values()))
    filled = np.flatnonzero(~blank.to_numpy(zero_copy_only=False))
    totals.blank += batch.num_rows - len(filled)
    if len(filled):
        totals.trailing_blank = batch.num_rows - 1 - int(filled[-1])
    else:
        totals.trailing_blank += batch.num_rows
    if "year" in text:
        totals.years.update(pc.unique(text["year"]).to_pylist())

    # ODS codes as the service stores them: no spaces, capitals (" c82001" is C82001).
    code = pc.utf8_upper(pc.replace_substring_regex(text[CODE], r"\s+", ""))
    measure = pc.utf8_upper(text[MEASURE])
    value = pc.replace_substring(text[VALUE], ",", "")
    read_here = pc.is_in(measure, value_set=_READ)
    unpublished = pc.is_in(pc.utf8_lower(value), value_set=_UNPUBLISHED)
    numeric = pc.match_substring_regex(value, _NUMBER)
    wrong = pc.and_(read_here, pc.and_(pc.invert(unpublished), pc.invert(numeric)))
    for n, shown in _where(wrong, rows, text[VALUE]):
        totals.problems.append(Problem(f"“{shown}” is not a number", row=n, column=column[VALUE]))
    is_points = pc.equal(measure, POINTS)
    published = pc.and_(is_points, numeric)
    points = pc.cast(pc.if_else(published, value, pa.scalar(None, pa.string())), pa.float64())
    negative = pc.fill_null(pc.less(points, 0.0), False)
    for n, _ in _where(negative, rows, text[VALUE]):
        totals.problems.append(
            Problem("is negative; points cannot be", row=n, column=column[VALUE])
        )

    by_code = pa.table({"code": code, "row": rows}).filter(pc.invert(blank))
    totals.codes.append(
        by_code.group_by("code", use_threads=False).aggregate([("row", "min"), ("row", "count")])
    )
    indicator = pc.utf8_upper(text[INDICATOR])
    achieved = pa.table(
        {"code": code, "indicator": indicator, "points": points, "row": rows}
    ).filter(is_points)
    totals.points.append(
        achieved.group_by(["code", "indicator"], use_threads=False).aggregate(
            [
                ("row", "min"),
                ("row", "max"),
                ("row", "count"),
                ("points", "sum"),
                ("points", "count"),
            ]
        )  # fmt: skip
    )


def _all_blank(columns: list[pa.Array]) -> pa.Array:
    blank = pc.equal(columns[0], "")
    for other in columns[1:]:
        blank = pc.and_(blank, pc.equal(other, ""))
    return blank


def _where(mask: pa.Array, rows: pa.Array, text: pa.Array) -> list[tuple[int, str]]:
    """(row, cell text) where `mask` holds, up to MOST_PROBLEMS."""
    if not pc.any(mask).as_py():
        return []
    found = zip(pc.filter(rows, mask).to_pylist(), pc.filter(text, mask).to_pylist(), strict=True)
    return list(found)[:MOST_PROBLEMS]


def _extract(filename: str, totals: _Totals) -> Extract:
    fy, from_name = _financial_year(filename, totals)
    period = Period(Frequency.ANNUAL, fy, 1)
    description = f"Quality and Outcomes Framework achievement, {period.label}"
    extract = DATASET.extract(filename, description, period.start)
    extract.period = period.code
    extract.measures = dict(MEASURES)
    if blank := totals.blank - totals.trailing_blank:
        extract.skipped[BLANK] = blank
    if from_name:
        extract.notes.append(
            f"The file has no year column: the financial year ({period.label}) was taken "
            f"from its name, “{filename}”."
        )
    if period.code not in POINTS_AVAILABLE:
        known = ", ".join(Period.parse(code).label for code in POINTS_AVAILABLE)
        extract.notes.append(
            f"The points available in {period.label} are not known here (NHS Digital's "
            f"indicator mappings give them for {known}), so no practice has an "
            "achievement_pct: its achieved_points are read."
        )
    return extract


def _financial_year(filename: str, totals: _Totals) -> tuple[int, bool]:
    """The file's financial year (its first calendar year), and whether it was taken
    from the file's name."""
    heading = totals.columns.get("year")
    cells = sorted(totals.years - {""})
    if heading and cells:
        years = {financial_year_in(cell) for cell in cells}
        if None in years:
            shown = next(c for c in cells if financial_year_in(c) is None)
            raise Refused(Problem(f"“{shown}” is not a financial year", column=heading))
        if len(years) > 1:
            raise Refused(
                Problem(
                    "holds more than one financial year; read one year at a time",
                    column=heading,
                )
            )
        return years.pop(), False
    fy = financial_year_in(PurePath(filename).stem)
    if fy is None:
        raise Refused(
            Problem(
                "does not say which financial year it describes: it has no year column "
                "and its name names no year as NHS Digital names them (as in "
                "“ACHIEVEMENT_2324.csv” for 2023-24)"
            )
        )
    return fy, True


@dataclass
class _Practice:
    row: int
    rows: int = 0
    point_rows: int = 0
    published: int = 0
    points: float = 0.0


def _add_practices(extract: Extract, totals: _Totals) -> list[Problem]:
    column, problems = totals.columns, []
    practices: dict[str, _Practice] = {}
    for group in _regroup(totals.codes, ["code"], [("row_min", "min"), ("row_count", "sum")]):
        raw, first, rows = group["code"], group["row_min_min"], group["row_count_sum"]
        found = row_code(raw)
        if found.wrong:
            problems.append(Problem(found.wrong, row=first, column=column[CODE]))
        elif found.passed_over:
            extract.skipped[found.passed_over] += rows
        elif not found.code:
            extract.skipped[NO_CODE] += rows
        else:
            extract.rows_read += rows
            practices[found.code] = _Practice(first, rows)
    if totals.points:
        by_indicator = (
            pa.concat_tables(totals.points)
            .group_by(["code", "indicator"], use_threads=False)
            .aggregate([("row_min", "min"), ("row_max", "max"), ("row_count", "sum"),
                        ("points_sum", "sum"), ("points_count", "sum")])
        )  # fmt: skip
        again = by_indicator.filter(pc.greater(by_indicator["row_count_sum"], 1))
        for group in again.sort_by("row_max_max").slice(0, MOST_PROBLEMS).to_pylist():
            problems.append(
                Problem(
                    f"{group['code']} has {POINTS} for {group['indicator']} again (first on "
                    f"row {group['row_min_min']:,})",
                    row=group["row_max_max"],
                    column=column[INDICATOR],
                )
            )
        by_code = by_indicator.group_by("code", use_threads=False).aggregate(
            [("row_count_sum", "sum"), ("points_count_sum", "sum"), ("points_sum_sum", "sum")]
        )
        for group in by_code.to_pylist():
            practice = practices.get(row_code(group["code"]).code)
            if practice is not None:
                practice.point_rows += group["row_count_sum_sum"]
                practice.published += group["points_count_sum_sum"]
                practice.points += group["points_sum_sum_sum"] or 0.0
    available = POINTS_AVAILABLE.get(extract.period)
    for code, practice in sorted(practices.items(), key=lambda item: item[1].row):
        achieved = None
        if practice.point_rows and practice.published == practice.point_rows:
            # Rounded so that the order blocks were added in leaves no trace (0.1 + 0.2).
            achieved = round(practice.points, 6)
        share = None
        if achieved is not None and available:
            share = round(achieved / available * 100, 8)
            if achieved > available:
                problems.append(
                    Problem(
                        f"{code} has {achieved:g} points, more than the {available} of "
                        f"{Period.parse(extract.period).label}",
                        row=practice.row,
                        column=column[CODE],
                    )
                )
        add_figure(extract, code, "achieved_points", achieved, "CSV", practice.row)
        add_figure(extract, code, "achievement_pct", share, "CSV", practice.row)
    return problems


def _regroup(
    blocks: list[pa.Table], keys: list[str], aggregates: list[tuple[str, str]]
) -> list[dict[str, object]]:
    """The blocks' groups grouped again over the whole file."""
    if not blocks:
        return []
    table = pa.concat_tables(blocks).group_by(keys, use_threads=False).aggregate(aggregates)
    return table.to_pylist()


DATASET = streamed_dataset(
    key="qof",
    title="Quality and Outcomes Framework achievement",
    rank=60,
    is_header=_is_header,
    read=_read,
)
recognise, recognise_header = DATASET.recognise, DATASET.recognise_header
