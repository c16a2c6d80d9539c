"""How figures read on screen and in exports: £1,234, 12.5%, 2:30, "1 April 2025", and
changes: +£1,200, "+12.5 percentage points", -0:30 (rounded, then signed: never "-0")."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime

from monitor.core.checklist import Item, ItemType
from monitor.core.clock import to_uk

NOT_KNOWN = "Not known yet"
"""What a page shows for a practice fact no published file has given yet."""
NO_PCN = "Not in a PCN"
"""A practice NHS England lists with no PCN (PCN code "U", "Unallocated")."""

MONTHS = (
    "January February March April May June July August September October November December"
).split()


def money(value: float | None, *, pence: bool = False, signed: bool = False) -> str:
    """£1,234 (or £1,234.56 with ``pence``); ``signed`` for a change: +£1,200."""
    if value is None:
        return ""
    places = 2 if pence else 0
    return _with_sign(f"£{abs(value):,.{places}f}", value, signed)


def percent(value: float | None, *, places: int = 1, signed: bool = False) -> str:
    """12.5%; ``signed`` for a relative change (a rise of 5% in spending): +5%. A change
    in a percentage is in percentage points instead (``percentage_points``)."""
    if value is None:
        return ""
    return _with_sign(f"{_trimmed(abs(value), places)}%", value, signed)


def percentage_points(value: float | None, *, short: bool = False) -> str:
    """A change in a percentage, signed: "+12.5 percentage points" (45% to 57.5%), never
    "+12.5%", which would read as a relative change. ``short`` gives "+12.5 pp", for a
    cell too narrow for the words; whatever shows it must spell "pp" out nearby."""
    if value is None:
        return ""
    text = _with_sign(_trimmed(abs(value), 1), value, signed=True)
    return f"{text} {'pp' if short else 'percentage points'}"


def duration(seconds: float | None, *, signed: bool = False) -> str:
    """Seconds as m:ss (or h:mm:ss past an hour); ``signed`` for a change: +0:30."""
    if seconds is None:
        return ""
    total = int(round(abs(seconds)))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
    return _with_sign(text, seconds, signed)


def number(value: float | None, *, places: int | None = None, signed: bool = False) -> str:
    """1,234 or 1,234.5 (one place unless the value is whole, or ``places``)."""
    if value is None:
        return ""
    if places is None:
        places = 0 if float(value).is_integer() else 1
    return _with_sign(f"{abs(value):,.{places}f}", value, signed)


def _trimmed(magnitude: float, places: int) -> str:
    """12.5, 12 (not 12.0): up to ``places`` decimal places."""
    if not places:
        return f"{magnitude:.0f}"
    return f"{magnitude:.{places}f}".rstrip("0").rstrip(".")


def _with_sign(magnitude: str, value: float, signed: bool) -> str:
    """The rounded magnitude with its sign: "-" below zero, "+" above it when ``signed``,
    and none when it rounds to zero, so "-0", "-0.0%" and "-£0" never appear."""
    if not any(digit in magnitude for digit in "123456789"):
        return magnitude
    if value < 0:
        return f"-{magnitude}"
    return f"+{magnitude}" if signed else magnitude


COUNT_KINDS = {"integer": ItemType.COUNT}
"""The tables' column format of a count (``monitor.core.tables.INTEGER``): a summary's
figure knows its format, not its item type."""


def item_value(
    value: float | str | None, item_type: ItemType | str, unit: str = "", *, change: bool = False
) -> str:
    """A stored value as the template item's type says it should read; with ``change``,
    a difference between two of its figures, signed: "+12.5 percentage points", "-0:30",
    "+£1,200", "+56". Counts have no decimals (a mean of counts reads as a whole number
    too). ``item_type`` is an ItemType, its value, or "integer" (the tables' count)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    item_type = COUNT_KINDS.get(item_type) or ItemType(item_type)
    if item_type is ItemType.TEXT:
        return str(value)
    value = float(value)
    if item_type is ItemType.MONEY:
        return money(value, signed=change)
    if item_type is ItemType.PERCENT:
        return percentage_points(value) if change else percent(value)
    if item_type is ItemType.DURATION:
        return duration(value, signed=change)
    if item_type is ItemType.COUNT:
        return number(value, places=0, signed=change)
    text = number(value, signed=change)
    return f"{text} {unit}".strip() if unit else text


RECORDED_PLACES: dict[ItemType, int | None] = {
    ItemType.COUNT: 0,
    ItemType.DURATION: 0,
    ItemType.MONEY: 2,
    ItemType.PERCENT: 2,
    ItemType.NUMBER: None,
}
"""Decimal places an item's figures are recorded to: whole counts and seconds, pence,
percentages to two places (a published one computed from counts carries more, none of
them meaningful); other numbers as typed (None: not rounded)."""
DERIVED_PLACES = 2
"""At least this many places for a figure computed from an item's figures (a mean, a
limit, a median): a mean of whole counts keeps its fraction, so a chart drawn again from
a download looks like ours."""


def export_number(
    value: float | None, item_type: ItemType | str, *, derived: bool = False
) -> int | float | None:
    """A figure as a download holds it: a number, never text ("-1.5", not "'-1.5"), at
    the item's own precision (``RECORDED_PLACES``; ``derived`` for a mean or limit, at
    least ``DERIVED_PLACES``). Whole counts are ints; None and NaN are None; -0 is 0."""
    if value is None or not math.isfinite(float(value)):
        return None
    item_type = COUNT_KINDS.get(item_type) or ItemType(item_type)
    places = RECORDED_PLACES.get(item_type)
    if derived:
        places = max(places or 0, DERIVED_PLACES) if places is not None else None
    number = float(value) if places is None else round(float(value), places)
    if number == 0:
        return 0
    return int(number) if places == 0 else number


def difference_format(item: Item) -> tuple[Callable[[float], str], str]:
    """How a difference in the item's terms reads, and the unit after it: the slope index
    of inequality, on the ICB's equity page and in the explanation the ICB workbook
    repeats (here, not in a presenter, because the service writes that explanation)."""
    if item.type is ItemType.PERCENT:
        return _points, "percentage points"
    if item.type is ItemType.MONEY:
        return money, ""
    if item.type is ItemType.DURATION:
        return duration, "(minutes:seconds)"
    if item.unit and item.type is ItemType.NUMBER:
        return _plain, item.unit
    return _plain, ""


def _points(value: float) -> str:
    return _with_sign(f"{abs(value):,.1f}", value, signed=False)


def _plain(value: float) -> str:
    return _with_sign(f"{abs(value):,.1f}".removesuffix(".0"), value, signed=False)


def long_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def date_time(value: datetime | None) -> str:
    """UK local date and time, like "3 March 2026 at 14:05"."""
    if value is None:
        return ""
    local = to_uk(value)
    return f"{long_date(local)} at {local:%H:%M}"


def list_size(value: int | None) -> str:
    """Registered patients, or "Not known yet" before a registered-patients file says."""
    return NOT_KNOWN if value is None else number(value)


def imd_decile(value: int | None) -> str:
    return NOT_KNOWN if value is None else str(value)


def rurality(value: str | None) -> str:
    return NOT_KNOWN if not value else value.capitalize()


def pcn_name(pcn: object | None) -> str:
    """A practice's PCN, or "Not in a PCN"."""
    return NO_PCN if pcn is None else pcn.name
