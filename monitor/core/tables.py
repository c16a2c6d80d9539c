"""Tables as every page and writer understands them: named columns, each with a format
that says how its values read (text, date, money, percent 0–100, duration in seconds,
number, integer, whole-time equivalent), so one table is written the same way to a
page, a workbook sheet, a PDF and a CSV file."""

from __future__ import annotations

import re
from dataclasses import dataclass

from monitor.core.checklist import ItemType

# Column formats every writer understands.
TEXT, DATE, MONEY, PERCENT, DURATION, NUMBER, INTEGER, WTE = (
    "text",
    "date",
    "money",
    "percent",
    "duration",
    "number",
    "integer",
    "wte",
)
ITEM_FORMATS = {
    ItemType.MONEY: MONEY,
    ItemType.PERCENT: PERCENT,
    ItemType.DURATION: DURATION,
    ItemType.COUNT: INTEGER,
    ItemType.NUMBER: NUMBER,
    ItemType.TEXT: TEXT,
}


@dataclass(frozen=True)
class Column:
    title: str
    format: str = TEXT
    """How to show the values: text, date, money, percent (0–100), duration (seconds),
    number, integer, wte, or "item" (the row's own item format, in column `format_from`)."""
    format_from: int | None = None


@dataclass(frozen=True)
class Table:
    name: str  # sheet / file name, like "Figures"
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple, ...]

    @property
    def slug(self) -> str:
        """The table's file name: "Staffing changes" -> "staffing-changes"."""
        return re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-") or "table"

    def format_of(self, row: tuple, column: int) -> str:
        col = self.columns[column]
        if col.format == "item" and col.format_from is not None:
            return row[col.format_from]
        return col.format
