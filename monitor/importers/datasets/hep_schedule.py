"""The ICB's own HEP payment schedule: what it paid each practice, year by year.

Not an NHS England publication: a file the ICB keeps (or exports from its finance
system) in the layout defined here once, as `COLUMNS`, which the "HEP payment schedule"
page shows and `layout_csv()` offers to download. A CSV, or an Excel workbook (.xlsx)
with the schedule on its first sheet. The first row holds the headings, in any order,
compared whatever their case and with or without spaces or underscores ("ODS Code",
"ods_code" and "odscode" are one column); other columns (a practice's name, a note) are
left alone.

One row per payment. Rows for the same practice and financial year are instalments:
their amounts are added up, and the year's payment date is the latest date among them
(None when none has one). The figure keeps the row the practice and year first appear on.

Figures, one per practice and financial year in the file:

  allocation   the HEP paid to the practice for the year, in pounds (the sum of its
               instalments, to the penny); period the year's code ("2025-26"); `on`
               the payment date (the latest instalment's), or None

A schedule leaves nothing unpublished: a blank amount is a problem, not None. The whole
file is refused, naming the row and column, for an amount that is not an amount of money
or is negative, a year that is not a financial year, a payment date that is not a date,
or a code that is not a practice code; and for a required column it does not have.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from monitor.core.checklist import Frequency
from monitor.core.inputs import MONEY_LIMIT, PENNY, InvalidValue, parse_date_text, parse_money
from monitor.core.names import is_practice_code, ods_code
from monitor.core.periods import Period
from monitor.core.published import PublishedFigure
from monitor.exporters.csv_file import csv_text
from monitor.importers.datasets import Dataset, Extract
from monitor.importers.published import Grid, Problem, PublishedFile, Refused, heading_key
from monitor.importers.upload import cell_text

MEASURE = "allocation"
MEASURES = {MEASURE: "HEP allocation"}
TITLE = "HEP payment schedule"


@dataclass(frozen=True)
class Column:
    """One column of the schedule's layout, as the layout page shows it."""

    heading: str
    required: bool
    holds: str  # what it holds, in words
    example: str


CODE = Column("ods_code", True, "The practice's ODS code: a letter and five digits.", "Z99991")
YEAR = Column(
    "financial_year",
    True,
    "The NHS financial year (1 April to 31 March) the payment is for, as 2025/26; "
    "2025-26 and 2025/2026 are read too.",
    "2025/26",
)
AMOUNT = Column(
    "amount",
    True,
    "The amount paid, in pounds, with or without a £ sign and commas: 48000, 48,000.00 or "
    "£48,000. It cannot be negative or left blank.",
    "48,000.00",
)
PAYMENT_DATE = Column(
    "payment_date",
    False,
    "The day it was paid, as 30/06/2025 (day/month/year) or 2025-06-30. It may be left blank.",
    "30/06/2025",
)
COLUMNS = (CODE, YEAR, AMOUNT, PAYMENT_DATE)
"""The schedule's layout: every column the reader looks for, in the order of the download."""


@dataclass(frozen=True)
class Layout:
    """What the layout page says about the file, beside the table of `columns`."""

    title: str
    columns: tuple[Column, ...]
    rules: tuple[str, ...]
    filename: str  # what the downloaded layout is saved as


LAYOUT = Layout(
    title=TITLE,
    columns=COLUMNS,
    rules=(
        "Save the schedule as a CSV file, or as an Excel workbook (.xlsx) with the schedule "
        "on its first sheet.",
        "The first row holds the column headings, in any order. Capitals, spaces and "
        "underscores in a heading do not matter: “ODS Code” and “ods_code” are the same "
        "column. Any other columns, such as the practice's name, are left alone.",
        "Put one payment on each row. Rows for the same practice and the same year are "
        "instalments: their amounts are added up, and the payment date of the year's "
        "allocation is the latest instalment's date.",
        "A file can hold several years: each practice's allocation is read for every year in it.",
        "If any row is wrong, nothing is imported, and the message names the row and the "
        "column to correct.",
    ),
    filename="hep-payment-schedule-layout.csv",
)

EXAMPLE_ROWS = (
    ("Z99991", "2025/26", "48,000.00", "30/06/2025"),
    ("Z99992", "2025/26", "12,500.00", ""),
)
"""Fictional practices (Z9999x is no practice's code), so nobody takes them for real."""

_REQUIRED = [c.heading for c in COLUMNS if c.required]
_HEADINGS_NEEDED = (
    "The first row must head the columns "
    + ", ".join(_REQUIRED[:-1])
    + f" and {_REQUIRED[-1]}"
    + " (and may head "
    + ", ".join(c.heading for c in COLUMNS if not c.required)
    + ")"
)
_YEAR = re.compile(r"^(\d{4})\s*[/-]\s*(\d{2}|\d{4})$")


def layout_csv() -> bytes:
    """The layout as a CSV to fill in: the headings and two example rows, written as every
    CSV the service offers is (formula-safe, UTF-8 with a byte-order mark for Excel)."""
    return csv_text([c.heading for c in COLUMNS], EXAMPLE_ROWS).encode("utf-8")


# Recognising ------------------------------------------------------------------------------


def _key(text: str) -> str:
    """A heading as the schedule compares it: case, spaces and underscores ignored."""
    return heading_key(text).replace(" ", "")


def _grid(file: PublishedFile) -> Grid | None:
    """The CSV, or the workbook's first sheet."""
    return next(iter(file.grids.values()), None)


def _headings(grid: Grid) -> dict[str, list[tuple[int, str]]]:
    """The layout's columns on the first row: key → [(0-based column, heading as written)]."""
    wanted = {_key(c.heading) for c in COLUMNS}
    found: dict[str, list[tuple[int, str]]] = {}
    for c, text in enumerate(grid.row_texts(1)):
        if (key := _key(text)) in wanted:
            found.setdefault(key, []).append((c, text.strip()))
    return found


def recognise(file: PublishedFile) -> bool:
    """Two of the layout's headings on the first row, so a schedule with a required column
    missing or misspelt is still this dataset's, and refused naming the column."""
    grid = _grid(file)
    return grid is not None and len(_headings(grid)) >= 2


# Reading ----------------------------------------------------------------------------------


@dataclass
class _Payments:
    """One practice's instalments for one year, as they are added up."""

    row: int  # where the practice and year first appear
    total: Decimal
    on: date | None
    instalments: int = 1


def read(file: PublishedFile) -> Extract:
    grid = _grid(file)
    at = _columns(grid)
    problems: list[Problem] = []
    payments: dict[tuple[str, Period], _Payments] = {}
    rows_read = 0
    for n in range(2, len(grid.rows) + 1):
        if not any(grid.row_texts(n)):
            continue  # a blank row, as a spreadsheet leaves between blocks
        rows_read += 1
        code = _code(grid, n, at[CODE.heading], problems)
        year = _year(grid, n, at[YEAR.heading], problems)
        amount = _amount(grid, n, at[AMOUNT.heading], problems)
        on = (
            _date(grid, n, at[PAYMENT_DATE.heading], problems)
            if PAYMENT_DATE.heading in at
            else None
        )
        if code is None or year is None or amount is None:
            continue
        key = (code, year)
        if key not in payments:
            payments[key] = _Payments(n, amount, on)
            continue
        paid = payments[key]
        paid.total += amount
        paid.instalments += 1
        if on is not None and (paid.on is None or on > paid.on):
            paid.on = on
    for (code, year), paid in payments.items():
        if paid.total >= MONEY_LIMIT:
            column = at[AMOUNT.heading][1]
            message = f"{code}'s instalments for {year.label} add up to more than £10,000,000,000"
            problems.append(Problem(message, sheet=grid.name, row=paid.row, column=column))
    if problems:
        raise Refused(problems)
    if not payments:
        raise Refused(Problem("has no payments below its headings", sheet=grid.name, row=1))
    return _extract(file, grid, payments, rows_read)


def _columns(grid: Grid) -> dict[str, tuple[int, str]]:
    """Each layout column the first row has: heading → (0-based column, heading as written);
    Refused naming every required column it does not have, or one it has twice."""
    found = _headings(grid)
    problems = []
    for column in COLUMNS:
        places = found.get(_key(column.heading), [])
        if len(places) > 1:
            message = f"has {len(places)} columns headed “{column.heading}”: keep one"
            problems.append(Problem(message, sheet=grid.name, row=1))
        elif not places and column.required:
            message = f"has no column headed “{column.heading}”. {_HEADINGS_NEEDED}"
            problems.append(Problem(message, sheet=grid.name, row=1))
    if problems:
        raise Refused(problems)
    return {c.heading: found[_key(c.heading)][0] for c in COLUMNS if _key(c.heading) in found}


# Cells: each gives its value, or None with its problem added. `place` is the column's
# (0-based index, heading as the file writes it), the heading naming it in messages.


def _problem(grid: Grid, row: int, place: tuple[int, str], message: str) -> Problem:
    return Problem(message, sheet=grid.name, row=row, column=place[1])


def _code(grid: Grid, row: int, place: tuple[int, str], problems: list[Problem]) -> str | None:
    text = grid.text(row, place[0])
    code = ods_code(text)
    if not code:
        problems.append(_problem(grid, row, place, "is blank: enter the practice's ODS code"))
    elif not is_practice_code(code):
        message = f"“{text}” is not a practice code: a letter and five digits, like C82001"
        problems.append(_problem(grid, row, place, message))
    else:
        return code
    return None


def financial_year(text: str) -> Period | None:
    """The financial year "2025/26", "2025-26" or "2025/2026" names; None if none."""
    match = _YEAR.match(text.strip())
    if match is None:
        return None
    fy, second = int(match[1]), int(match[2])
    if second != (fy + 1 if len(match[2]) == 4 else (fy + 1) % 100):
        return None  # "2025/27": not one year after the other
    try:
        return Period(Frequency.ANNUAL, fy, 1)
    except ValueError:  # a year the service does not hold (before 1990, after 2200)
        return None


def _year(grid: Grid, row: int, place: tuple[int, str], problems: list[Problem]) -> Period | None:
    text = grid.text(row, place[0])
    if not text:
        message = "is blank: enter the financial year the payment is for, like 2025/26"
    elif (year := financial_year(text)) is None:
        message = f"“{text}” is not a financial year: enter it like 2025/26"
    else:
        return year
    problems.append(_problem(grid, row, place, message))
    return None


def _amount(
    grid: Grid, row: int, place: tuple[int, str], problems: list[Problem]
) -> Decimal | None:
    value = grid.value(row, place[0])
    text = cell_text(value)
    amount = None if isinstance(value, bool) else parse_money(text)
    if not text:
        message = "is blank: enter the amount paid in pounds (0 if nothing was paid)"
    elif amount is None:
        message = f"“{text}” is not an amount of money: enter it in pounds, like 48,000.00"
    elif amount < 0:
        message = f"“{text}” is negative: an amount paid cannot be"
    elif amount >= MONEY_LIMIT:
        message = f"“{text}” is more than £10,000,000,000"
    else:
        return amount.quantize(PENNY, rounding=ROUND_HALF_UP)
    problems.append(_problem(grid, row, place, message))
    return None


def _date(grid: Grid, row: int, place: tuple[int, str], problems: list[Problem]) -> date | None:
    value = grid.value(row, place[0])
    if isinstance(value, datetime):  # a workbook's date cell
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value)
    if not text:
        return None  # the payment date is optional
    try:
        return parse_date_text(text, label="the payment date")
    except InvalidValue as error:
        # Its messages for a US date or an impossible one name the value; the others not.
        message = error.message
        if text not in error.message:
            message = f"“{text}” is not a date: enter it like 30/06/2025 or 2025-06-30"
    problems.append(_problem(grid, row, place, message))
    return None


def _extract(
    file: PublishedFile, grid: Grid, payments: dict[tuple[str, Period], _Payments], rows: int
) -> Extract:
    years = sorted({year for _, year in payments})
    first, latest = years[0], years[-1]
    span = latest.label if first == latest else f"{first.label} to {latest.label}"
    extract = DATASET.extract(file.filename, f"{TITLE}, {span}", latest.start)
    extract.period = latest.code
    extract.measures = dict(MEASURES)
    extract.rows_read = rows
    for (code, year), paid in payments.items():
        extract.figures.append(
            PublishedFigure(
                code, MEASURE, year.code, float(paid.total), grid.name, paid.row, on=paid.on
            )  # fmt: skip
        )
    summed = sum(1 for paid in payments.values() if paid.instalments > 1)
    if summed:
        extract.notes.append(
            f"{summed:,} practice-year{'s' if summed != 1 else ''} had more than one row: "
            "the rows were added up as instalments, dated by the latest."
        )
    return extract


DATASET = Dataset(
    key="hep_schedule",
    title=TITLE,
    recognise=recognise,
    read=read,
    rank=70,  # the ICB's own figures; it says nothing of who a practice is
)
