"""Writing cells to an openpyxl workbook so that no text can run as a formula.

Every workbook writer (the impact summary, the offline workbooks, the ICB workbook) writes its
cells through ``write_cell`` (or ``make_cell`` on a write-only sheet), and its typed
figures through ``write_typed``.

Why not prefix ' as the CSV downloads do: in an .xlsx file the type of a cell is stored,
not guessed, so the value can stay exactly what the practice typed. openpyxl guesses
that any str beginning with "=" is a formula (and "#N/A" an error), so after assigning
we force the cell's type back to a string; a string cell is never evaluated. Text that
begins with =, +, -, @, a tab, CR or LF also gets the "quote prefix" style (what Excel
records when someone types a leading '), so that editing the cell and pressing Enter in
Excel keeps it as text instead of turning it into a live formula.
"""

from __future__ import annotations

import math
import numbers
import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.cell.cell import WriteOnlyCell as _WriteOnlyCell
from openpyxl.worksheet.worksheet import Worksheet

from monitor.core.clock import to_uk
from monitor.core.tables import DATE, DURATION, INTEGER, MONEY, NUMBER, PERCENT, TEXT, WTE

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
"""What a spreadsheet may read as the start of a formula."""

EXCEL_MAX_TEXT = 32_767
"""Excel refuses (offers to "repair") a cell holding more characters than this."""

DATE_FORMAT = "d mmm yyyy"
DATETIME_FORMAT = "d mmm yyyy hh:mm"
MONEY_FORMAT = '"£"#,##0;-"£"#,##0'
MONEY_PENCE_FORMAT = '"£"#,##0.00;-"£"#,##0.00'
PERCENT_FORMAT = '0.0"%"'
"""Percentages are stored 0–100, as the app records them, and written as they are (12.5
for 12.5%): dividing by 100 to use Excel's own 0% format would change the number a reader
sees in the formula bar from the number on the dashboard and in the CSV."""
DURATION_FORMAT = "[m]:ss"
"""Durations are Excel times (seconds / 86400): they show as 2:30 and add up as times.
Excel cannot display a negative time, so a negative duration is written as signed
seconds instead (see ``SECONDS_FORMAT``)."""
SECONDS_FORMAT = '+#,##0" s";-#,##0" s";0" s"'
NUMBER_FORMAT = "#,##0.0"
INTEGER_FORMAT = "#,##0"
WTE_FORMAT = "0.00"

NUMBER_FORMATS = {
    DATE: DATE_FORMAT,
    MONEY: MONEY_FORMAT,
    PERCENT: PERCENT_FORMAT,
    DURATION: DURATION_FORMAT,
    NUMBER: NUMBER_FORMAT,
    INTEGER: INTEGER_FORMAT,
    WTE: WTE_FORMAT,
}


def signed(number_format: str) -> str:
    """The format with an explicit + on positive numbers, for changes: +£1,200, -2.5%."""
    positive = number_format.split(";")[0]
    return f"+{positive};-{positive};{positive}"


NEGATIVE_NUMBER = re.compile(r"-\d+(\.\d+)?")
"""Text that is only a negative number ("-1.5"): a spreadsheet reads it as that number,
which cannot run as anything."""


def looks_like_formula(value: object) -> bool:
    """True for text that a spreadsheet would take as a formula if typed in."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def safe_text(value: object) -> object:
    """For CSV, where a cell has no type: text that could run as a formula gets a
    leading ' so a spreadsheet shows it as text. Only text: a number (int, float,
    Decimal) is never touched, and nor is text that is just a negative number, so a
    fall of 1.5 stays the number -1.5 and not the text '-1.5."""
    if not looks_like_formula(value) or NEGATIVE_NUMBER.fullmatch(value):
        return value
    return "'" + value


def neutralise_text(value: object) -> object:
    """Text made storable in a cell: characters XML cannot carry are dropped (openpyxl
    would raise IllegalCharacterError) and it is cut to Excel's limit. Other values are
    returned unchanged. The text still begins as it did: ``write_cell`` stores it as a
    string cell, which is what stops it being evaluated."""
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if len(value) > EXCEL_MAX_TEXT:
        value = value[: EXCEL_MAX_TEXT - 1] + "…"
    return value


def excel_value(value: object) -> tuple[object, str | None]:
    """A Python value as openpyxl should store it, and the number format it needs when
    the caller gives none. Decimals become floats (Excel holds doubles), NaN and infinity
    become blank, aware datetimes become UK local time (Excel has no time zones)."""
    if value is None or isinstance(value, bool):
        return value, None
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, str):
        return neutralise_text(value), None
    if isinstance(value, Decimal):
        return (float(value) if value.is_finite() else None), None
    if isinstance(value, numbers.Integral):
        return int(value), None
    if isinstance(value, numbers.Real):
        number = float(value)
        return (number if math.isfinite(number) else None), None
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = to_uk(value).replace(tzinfo=None)
        return value, DATETIME_FORMAT
    if isinstance(value, date):
        return value, DATE_FORMAT
    if isinstance(value, time | timedelta):
        return value, "[h]:mm:ss"
    return neutralise_text(str(value)), None


def set_value(cell: Cell, value: object, number_format: str | None = None) -> Cell:
    """Put ``value`` into ``cell`` safely (see the module docstring); returns the cell."""
    value, default_format = excel_value(value)
    cell.value = value
    if isinstance(value, str):
        # openpyxl has just guessed "f" for "=…" and "e" for "#N/A": undo the guess.
        cell.data_type = "s"
        if looks_like_formula(value):
            cell.quotePrefix = True
    if number_format or default_format:
        cell.number_format = number_format or default_format
    return cell


def write_cell(
    ws: Worksheet, row: int, col: int, value: object, number_format: str | None = None
) -> Cell:
    """Write any value to ``ws`` at (row, col), 1-based, so that text is always text."""
    return set_value(ws.cell(row=row, column=col), value, number_format)


def make_cell(ws, value: object, number_format: str | None = None) -> Cell:
    """A safe cell for ``ws.append`` on a write-only worksheet (large workbooks)."""
    return set_value(_WriteOnlyCell(ws), value, number_format)


def typed_value(value: object, kind: str) -> tuple[object, str | None]:
    """A figure of a declared column format (``monitor.services.summary``: text, date,
    money, percent, duration, number, integer, wte) as the value to store and its
    number format. Durations arrive in seconds; percentages 0–100."""
    if value is None or value == "" or kind == TEXT or isinstance(value, str):
        return value, None
    if kind == DURATION:
        seconds = float(value)
        if not math.isfinite(seconds):
            return None, None
        if seconds < 0:
            return round(seconds), SECONDS_FORMAT
        return seconds / 86400, DURATION_FORMAT
    if kind == MONEY:
        pence = Decimal(str(value)) % 1 != 0
        return value, MONEY_PENCE_FORMAT if pence else MONEY_FORMAT
    if kind == INTEGER and float(value) % 1:
        # A mean of counts (a baseline) is not a whole number: do not hide the fraction.
        return value, NUMBER_FORMAT
    return value, NUMBER_FORMATS.get(kind)


def write_typed(ws: Worksheet, row: int, col: int, value: object, kind: str) -> Cell:
    """Write a figure of a declared column format with its number format."""
    value, number_format = typed_value(value, kind)
    return write_cell(ws, row, col, value, number_format)
