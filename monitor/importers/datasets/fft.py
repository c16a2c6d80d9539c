"""Friends and Family Test, GP practices (NHS England, monthly).

Read in two layouts:

* The monthly workbook NHS England publishes (.xlsx, or the macro-enabled .xlsm): title
  rows above a heading row on a sheet whose name contains "Practice", then one row per
  practice: a practice code column ("Practice Code", "Code", …), the practice's name,
  the responses by answer ("Extremely Likely/Very Good", "Likely/Good", "Neither Likely
  nor Unlikely/Neither Good nor Poor", "Unlikely/Poor", "Extremely Unlikely/Very Poor",
  "Do not Know"), "Total Responses" and a percentage ("% Recommend" or "Percentage
  Positive", as a fraction 0–1 or as 0–100). The month is read from a period column
  when the sheet has one ("Period", "Month"), else from the title rows ("… February
  2026"; a publication date is not the month), else from the workbook's other sheets.
* A three-column CSV derived from it, `gp_code,fft_responses,fft_pct_positive` (the
  percentage 0–100; a practice with blank figures did not submit), with or without a
  `period` column ("202602", "2026-02"). When it has none, the month is taken from the
  file's name ("fft_gp_feb26.csv"), and the extract's notes say so; a file with no
  month in either is refused.

Figures for the month:

  responses      responses to the test that month (Total Responses)
  positive_pct   the percentage of responses that were "Very good" or "Good" (would
                 recommend): the published percentage where the file has a percentage
                 column (a blank or "*" there is not published: None, even when the
                 counts are published, so nothing suppressed is worked out again); only
                 a file with no percentage column has it computed, as (Extremely
                 Likely/Very Good + Likely/Good) / Total Responses × 100, None when no
                 responses were published or there were none

"*", blank, "no data" and the other marks of `_hierarchy.NOT_PUBLISHED` are not
published: None, never 0.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import PurePath

from monitor.core.formatting import MONTHS
from monitor.importers.datasets import Dataset, Extract
from monitor.importers.datasets._hierarchy import (
    add_figure,
    figure_cell,
    month_code,
    practice_rows,
)
from monitor.importers.published import (
    Grid,
    Headings,
    Problem,
    PublishedFile,
    Refused,
)
from monitor.importers.upload import cell_text

CODE_HEADINGS = ("Practice Code", "Prac Code", "GP Practice Code", "GP Code", "Code",
                 "ODS Code", "Organisation Code", "Org Code")  # fmt: skip
TOTAL = "Total Responses"
VERY_GOOD = ("Extremely Likely/Very Good", "Very Good")
GOOD = ("Likely/Good", "Good")
PERCENTAGE = ("Percentage Positive", "% Recommend", "% Positive", "Percentage Recommend")
PERIOD = ("Period", "Periodname", "Period Name", "Month", "Reporting Period")
DERIVED = ("gp_code", "fft_responses", "fft_pct_positive")
MEASURES = {
    "responses": "Friends and Family Test responses",
    "positive_pct": "Friends and Family Test responses very good or good, %",
}

_MONTH_WORDS = (
    "january february march april may june july august september october november december "
    "sept jan feb mar apr jun jul aug sep oct nov dec"
).split()
_MONTH_TEXT = re.compile(
    r"(?<![a-z])(" + "|".join(_MONTH_WORDS) + r")[\s_\-'.]*(\d{4}|\d{2})(?!\d)", re.IGNORECASE
)
_MONTH_CODE = re.compile(r"^(\d{4})-?(\d{2})$")


def month_in(text: str) -> date | None:
    """The month a text names: "February 2026", "Feb-26", "fft_gp_feb26", "FEB_2026"."""
    match = _MONTH_TEXT.search(text or "")
    if match is None:
        return None
    word, year = match[1].casefold(), int(match[2])
    number = next(i for i, m in enumerate(MONTHS) if m.casefold().startswith(word[:3])) + 1
    return date(year + 2000 if year < 100 else year, number, 1)


def period_value(value: object) -> date | None:
    """A period cell's month: a date, "202602", "2026-02", or words ("February 2026")."""
    if isinstance(value, date):
        return value.replace(day=1)
    text = cell_text(value).strip()
    if match := _MONTH_CODE.match(text):
        year, month = int(match[1]), int(match[2])
        return date(year, month, 1) if 1 <= month <= 12 and year > 1990 else None
    return month_in(text)


# Recognising ------------------------------------------------------------------------------


def practice_sheet(file: PublishedFile) -> tuple[Grid, int, Headings] | None:
    """The workbook's practice sheet, its heading row and headings."""
    if file.is_csv:
        return None
    for name, grid in file.grids.items():
        if "practice" not in name.casefold():
            continue
        for code in CODE_HEADINGS:
            found = grid.find_header(code, TOTAL, within=30)
            if found is not None:
                return grid, found[0], found[1]
    return None


def _derived(file: PublishedFile) -> Headings | None:
    if not file.is_csv:
        return None
    found = file.grids["CSV"].find_header(*DERIVED, within=1)
    return found[1] if found else None


def recognise(file: PublishedFile) -> bool:
    return _derived(file) is not None or practice_sheet(file) is not None


# Reading ----------------------------------------------------------------------------------


def read(file: PublishedFile) -> Extract:
    if (headings := _derived(file)) is not None:
        return _read_derived(file, headings)
    return _read_workbook(file, *practice_sheet(file))


def _extract(file: PublishedFile, month: date) -> Extract:
    description = f"Friends and Family Test (GP), {MONTHS[month.month - 1]} {month.year}"
    extract = DATASET.extract(file.filename, description, month)
    extract.period = month_code(month)
    extract.measures = dict(MEASURES)
    return extract


def _first(headings: Headings, names: tuple[str, ...]) -> tuple[int, str] | None:
    return next(((headings[n], n) for n in names if n in headings), None)


def _read_workbook(file: PublishedFile, grid: Grid, header_row: int, at: Headings) -> Extract:
    code_column, code_heading = _first(at, CODE_HEADINGS)
    month = _workbook_month(file, grid, header_row, at)
    if month is None:
        raise Refused(
            Problem(
                "does not say which month it describes (no period column and no month in "
                "the title rows)",
                sheet=grid.name,
            )
        )
    extract = _extract(file, month)
    problems: list[Problem] = []
    percentage = _first(at, PERCENTAGE)
    very_good, good = _first(at, VERY_GOOD), _first(at, GOOD)
    if percentage is None and (very_good is None or good is None):
        wanted = f"“{PERCENTAGE[0]}”, or “{VERY_GOOD[0]}” and “{GOOD[0]}”"
        raise Refused(Problem(f"has no column headed {wanted}", sheet=grid.name, row=header_row))
    rows: dict[str, int] = {}
    read_rows = []
    for n, code in practice_rows(grid, header_row, code_column, code_heading, extract, problems):
        if code in rows:
            problems.append(_repeated(code, rows[code], grid.name, n, code_heading))
            continue
        rows[code] = n
        responses = figure_cell(grid, n, at[TOTAL], TOTAL, problems, count=True)
        if percentage is not None:
            published = figure_cell(grid, n, *percentage, problems, count=False)
        else:
            counts = [
                figure_cell(grid, n, column, heading, problems, count=True)
                for column, heading in (very_good, good)
            ]
            published = None
            if None not in counts and responses:
                published = (counts[0] + counts[1]) / responses * 100
        read_rows.append((code, n, responses, published))
    if percentage is not None:
        # Fractions 0–1 formatted as percentages, or percentages 0–100: the column as a
        # whole says which (every practice at or under 1% positive does not happen).
        published = [p for _, _, _, p in read_rows if p is not None]
        scale = 100 if published and max(published) <= 1 else 1
        read_rows = [(c, n, r, None if p is None else p * scale) for c, n, r, p in read_rows]
    for code, n, responses, positive in read_rows:
        if positive is not None and not 0 <= positive <= 100:
            heading = percentage[1] if percentage else TOTAL
            problems.append(
                Problem(
                    f"{positive:g}% is not a percentage", sheet=grid.name, row=n, column=heading
                )  # fmt: skip
            )
        add_figure(extract, code, "responses", responses, grid.name, n)
        add_figure(extract, code, "positive_pct", positive, grid.name, n)
    if problems:
        raise Refused(problems)
    return extract


def _workbook_month(file: PublishedFile, grid: Grid, header_row: int, at: Headings) -> date | None:
    period = _first(at, PERIOD)
    if period is not None:
        for n in range(header_row + 1, len(grid.rows) + 1):
            if month := period_value(grid.value(n, period[0])):
                return month
    sheets = [grid, *(g for g in file.grids.values() if g is not grid)]
    for sheet in sheets:
        last = header_row - 1 if sheet is grid else min(len(sheet.rows), 20)
        for n in range(1, last + 1):
            for text in sheet.row_texts(n):
                if "publi" in text.casefold():  # "Published 12 March 2026": not the month
                    continue
                if month := month_in(text):
                    return month
    return None


def _read_derived(file: PublishedFile, at: Headings) -> Extract:
    grid = file.grids["CSV"]
    month, from_name = None, False
    if "period" in at:
        months = (period_value(grid.value(n, at["period"])) for n in range(2, len(grid.rows) + 1))
        month = next((m for m in months if m is not None), None)
    if month is None:
        month, from_name = month_in(PurePath(file.filename).stem), True
    if month is None:
        raise Refused(
            Problem(
                "does not say which month it describes: it has no period column and its "
                "name names no month (as in “fft_gp_feb26.csv”)"
            )
        )
    extract = _extract(file, month)
    if from_name:
        extract.notes.append(
            f"The file has no period column: the month ({MONTHS[month.month - 1]} "
            f"{month.year}) was taken from its name, “{file.filename}”."
        )
    problems: list[Problem] = []
    rows: dict[str, int] = {}
    for n, code in practice_rows(grid, 1, at["gp_code"], "gp_code", extract, problems):
        if code in rows:
            problems.append(_repeated(code, rows[code], grid.name, n, "gp_code"))
            continue
        rows[code] = n
        responses = figure_cell(grid, n, at["fft_responses"], "fft_responses", problems,
                                count=True)  # fmt: skip
        positive = figure_cell(grid, n, at["fft_pct_positive"], "fft_pct_positive", problems,
                               count=False)  # fmt: skip
        if positive is not None and not 0 <= positive <= 100:
            problems.append(
                Problem(f"{positive:g} is not a percentage", row=n, column="fft_pct_positive")
            )
        add_figure(extract, code, "responses", responses, grid.name, n)
        add_figure(extract, code, "positive_pct", positive, grid.name, n)
    if problems:
        raise Refused(problems)
    return extract


def _repeated(code: str, first: int, sheet: str, row: int, column: str) -> Problem:
    return Problem(f"{code} is listed again (first on row {first:,})", sheet=sheet, row=row,
                   column=column)  # fmt: skip


DATASET = Dataset(
    key="fft",
    title="Friends and Family Test GP practice data",
    recognise=recognise,
    read=read,
    rank=60,
)
