"""How figures read on screen and in exports: £1,234, 12.5%, 2:30, "1 April 2025"."""

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


def money(value: float | None, *, pence: bool = False) -> str:
    if value is None:
        return ""
    sign = "-" if value < 0 else ""
    amount = abs(value)
    if pence:
        return f"{sign}£{amount:,.2f}"
    return f"{sign}£{amount:,.0f}"


def percent(value: float | None, *, places: int = 1) -> str:
    if value is None:
        return ""
    text = f"{value:.{places}f}".rstrip("0").rstrip(".") if places else f"{value:.0f}"
    return f"{text}%"


def duration(seconds: float | None) -> str:
    """Seconds as m:ss (or h:mm:ss past an hour)."""
    if seconds is None:
        return ""
    total = int(round(seconds))
    sign = "-" if total < 0 else ""
    total = abs(total)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{sign}{hours}:{minutes:02d}:{secs:02d}"
    return f"{sign}{minutes}:{secs:02d}"


def number(value: float | None, *, places: int | None = None) -> str:
    if value is None:
        return ""
    if places is None:
        places = 0 if float(value).is_integer() else 1
    return f"{value:,.{places}f}"


def item_value(value: float | str | None, item_type: ItemType | str, unit: str = "") -> str:
    """A stored value as the template item's type says it should read."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    item_type = ItemType(item_type)
    if item_type is ItemType.TEXT:
        return str(value)
    if item_type is ItemType.MONEY:
        return money(float(value))
    if item_type is ItemType.PERCENT:
        return percent(float(value))
    if item_type is ItemType.DURATION:
        return duration(float(value))
    text = number(float(value))
    return f"{text} {unit}".strip() if unit and item_type is ItemType.NUMBER else text


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
    return f"{value:,.1f}"


def _plain(value: float) -> str:
    return f"{value:,.1f}".removesuffix(".0")


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
