"""Read what a person typed (or a spreadsheet cell held) into a number, or say why not.

Every way a figure enters the service — web form, uploaded workbook — goes through
here, so the rules and the messages are the same everywhere. Messages name the item
and say what to enter: "Enter the average time to answer calls in minutes and
seconds, like 2:30".
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date as date_type
from decimal import Decimal, InvalidOperation

from monitor.core.checklist import Item, ItemType
from monitor.core.formatting import item_value

BLANK_WORDS = frozenset({"", "-", "–", "n/a", "na", "null", "none", "not recorded"})
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
_DURATION = re.compile(r"^(\d{1,3}):([0-5]\d)$")
_LONG_DURATION = re.compile(r"^(\d{1,2}):([0-5]\d):([0-5]\d)$")


class InvalidValue(ValueError):
    """Not a valid value; `message` is for the person who typed it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def is_blank(text: str | None) -> bool:
    return text is None or text.strip().casefold() in BLANK_WORDS


def parse_decimal(text: str) -> Decimal | None:
    """A plain number, allowing thousands commas; None if it is not one."""
    cleaned = text.strip().replace(" ", "")
    if _THOUSANDS.match(cleaned):
        cleaned = cleaned.replace(",", "")
    if not _NUMBER.match(cleaned):
        return None  # rejects nan, inf, 1e309, words and stray symbols
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def parse_money(text: str) -> Decimal | None:
    cleaned = text.strip()
    negative = cleaned.startswith("-")
    cleaned = cleaned.lstrip("-").strip().removeprefix("£").strip()
    value = parse_decimal(cleaned)
    if value is None:
        return None
    return -value if negative else value


def parse_duration(text: str) -> int | None:
    """Minutes and seconds (2:30) or hours, minutes and seconds (1:02:30) as seconds."""
    cleaned = text.strip()
    if match := _DURATION.match(cleaned):
        return int(match[1]) * 60 + int(match[2])
    if match := _LONG_DURATION.match(cleaned):
        return int(match[1]) * 3600 + int(match[2]) * 60 + int(match[3])
    return None


def _noun(item: Item) -> str:
    return item.label[0].lower() + item.label[1:]


def _example(item: Item) -> str:
    return {
        ItemType.MONEY: "like £12,500",
        ItemType.COUNT: "like 1,250",
        ItemType.PERCENT: "like 12.5",
        ItemType.DURATION: "like 2:30",
        ItemType.NUMBER: "like 12.5",
        ItemType.TEXT: "",
    }[item.type]


def _how(item: Item) -> str:
    if item.type is ItemType.DURATION:
        return f"Enter the {_noun(item)} in minutes and seconds, {_example(item)}"
    if item.type is ItemType.PERCENT:
        return f"Enter {_noun(item)} as a percentage, {_example(item)}"
    if item.type is ItemType.MONEY:
        return f"Enter {_noun(item)} as an amount in pounds, {_example(item)}"
    if item.type is ItemType.COUNT:
        return f"Enter {_noun(item)} as a whole number, {_example(item)}"
    return f"Enter {_noun(item)} as a number, {_example(item)}"


@dataclass(frozen=True)
class Parsed:
    number: float | None = None
    text: str | None = None

    @property
    def blank(self) -> bool:
        return self.number is None and self.text is None


def parse_item_value(item: Item, raw: str | None) -> Parsed:
    """Parse a typed value for a template item; blank means "not recorded"."""
    if is_blank(raw):
        return Parsed()
    text = raw.strip()
    if item.type is ItemType.TEXT:
        if len(text) > 500:
            raise InvalidValue(f"{item.label} must be 500 characters or fewer")
        return Parsed(text=text)
    if item.type is ItemType.DURATION:
        seconds = parse_duration(text)
        if seconds is None:
            raise InvalidValue(_how(item))
        number = float(seconds)
    elif item.type is ItemType.MONEY:
        amount = parse_money(text)
        if amount is None:
            raise InvalidValue(_how(item))
        if amount < 0:
            raise InvalidValue(f"{item.label} cannot be negative")
        number = float(amount)
    elif item.type is ItemType.PERCENT:
        amount = parse_decimal(text.removesuffix("%"))
        if amount is None:
            raise InvalidValue(_how(item))
        number = float(amount)
    else:
        amount = parse_decimal(text)
        if amount is None:
            raise InvalidValue(_how(item))
        if item.type is ItemType.COUNT and amount != amount.to_integral_value():
            raise InvalidValue(f"{item.label} must be a whole number")
        number = float(amount)
    if not math.isfinite(number):
        raise InvalidValue(_how(item))
    _check_range(item, number)
    return Parsed(number=number)


def _check_range(item: Item, number: float) -> None:
    shown = item_value(number, item.type, item.unit)
    if item.min is not None and number < item.min:
        if item.min == 0:
            raise InvalidValue(f"{item.label} cannot be negative")
        lowest = item_value(item.min, item.type, item.unit)
        raise InvalidValue(f"{item.label}: {shown} is less than {lowest}")
    if item.max is not None and number > item.max:
        highest = item_value(item.max, item.type, item.unit)
        raise InvalidValue(f"{item.label}: {shown} is more than {highest}")


def format_for_input(item: Item, number: float | None, text: str | None = None) -> str:
    """How a stored value is shown back in an input box (no £ or % symbols)."""
    if item.type is ItemType.TEXT:
        return text or ""
    if number is None:
        return ""
    if item.type is ItemType.DURATION:
        return item_value(number, item.type)
    if item.type is ItemType.MONEY:
        return f"{number:,.2f}".removesuffix(".00")
    if float(number).is_integer():
        return f"{int(number)}" if item.type is not ItemType.COUNT else f"{int(number):,}"
    return f"{number:g}"


_UK_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def date_from_parts(day: str, month: str, year: str, *, label: str) -> date_type:
    """The NHS date-input pattern: three boxes. `label` names the date in messages."""
    day, month, year = (part.strip() for part in (day or "", month or "", year or ""))
    if not (day or month or year):
        raise InvalidValue(f"Enter {label}")
    missing = [name for name, part in (("day", day), ("month", month), ("year", year)) if not part]
    if missing:
        raise InvalidValue(f"{label[0].upper()}{label[1:]} must include a {' and '.join(missing)}")
    if not (day.isdigit() and month.isdigit() and year.isdigit()) or len(year) != 4:
        raise InvalidValue(f"{label[0].upper()}{label[1:]} must be a real date, like 15 3 2025")
    try:
        return date_type(int(year), int(month), int(day))
    except ValueError:
        raise InvalidValue(
            f"{label[0].upper()}{label[1:]} must be a real date, like 15 3 2025"
        ) from None


def parse_date_text(text: str, *, label: str) -> date_type:
    """A UK date (dd/mm/yyyy) or ISO date (yyyy-mm-dd). US dates are refused."""
    cleaned = (text or "").strip()
    if not cleaned:
        raise InvalidValue(f"Enter {label}")
    if match := _ISO_DATE.match(cleaned):
        year, month, day = (int(g) for g in match.groups())
    elif match := _UK_DATE.match(cleaned):
        day, month, year = (int(g) for g in match.groups())
        if month > 12 and day <= 12:
            raise InvalidValue(
                f"{label[0].upper()}{label[1:]}: {cleaned} looks like a US date. "
                "Enter it as day/month/year, like 13/02/2024"
            )
    else:
        raise InvalidValue(
            f"{label[0].upper()}{label[1:]} must be a date like 31/03/2025 (day/month/year)"
        )
    try:
        return date_type(year, month, day)
    except ValueError:
        raise InvalidValue(f"{label[0].upper()}{label[1:]}: {cleaned} is not a real date") from None
