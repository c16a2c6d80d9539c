"""The one reader of what a person types or uploads: typed values, or a message per field.

Every way data enters the service — a web form, a cell of an uploaded workbook, a query
string — goes through here, so the rules and the messages are the same everywhere.
Messages say what to enter: "Enter the average time to answer calls in minutes and
seconds, like 2:30".

Two layers:

- parsers (`parse_item_value`, `parse_money`, `date_from_parts`, `parse_date_text`, ...)
  read one value or raise `InvalidValue` with the message for the person;
- `Collector` reads a whole form (a mapping of field name to the raw strings a browser or
  a spreadsheet row sent), keeps the first message for each field so the whole form is
  checked at once, and raises `FormErrors` ({field: message}, in form order) at the end.
  Free text is checked for NHS numbers before any other rule.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date as date_type
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, TypeVar

from monitor.core.checklist import Item, ItemType
from monitor.core.formatting import item_value
from monitor.core.patient_data import nhs_number_error

T = TypeVar("T")
PENNY = Decimal("0.01")
MONEY_LIMIT = Decimal("10000000000")

BLANK_WORDS = frozenset({"", "-", "–", "n/a", "na", "null", "none", "not recorded"})
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
_DURATION = re.compile(r"^(\d{1,3}):([0-5]\d)$")
_LONG_DURATION = re.compile(r"^(\d{1,2}):([0-5]\d):([0-5]\d)$")
_WHOLE = re.compile(r"[0-9]{1,18}")
# C0 control characters other than tab, line feed and carriage return: never typed, and
# NUL cannot be stored at all (PostgreSQL refuses it in text).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class InvalidValue(ValueError):
    """Not a valid value; `message` is for the person who typed it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class FormErrors(ValueError):
    """Input that cannot be saved: {field name: message}, in form order."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)


def control_character_error(text: object, *, label: str = "This") -> str | None:
    """The message for text holding a NUL or another invisible control character (they
    arrive from copying out of other programs, or from a damaged file), or None."""
    if not isinstance(text, str) or not _CONTROL.search(text):
        return None
    kind = "a NUL character" if "\x00" in text else "an invisible control character"
    return (
        f"{_capital(label)} contains {kind}, which cannot be saved. Type it again "
        "rather than pasting it"
    )


def without_control_characters(text: str) -> str:
    """Text the service keeps without a form to send it back to (a file's name, a
    refusal quoting a cell), with any NUL or invisible control character taken out."""
    return _CONTROL.sub("", text)


LARGEST_ID = 2**31 - 1
"""The largest whole number an id or version column holds (an INTEGER on PostgreSQL,
which refuses a larger one in a query with an error)."""


def whole_number(text: str | None, *, largest: int = LARGEST_ID) -> int | None:
    """A whole number written in ASCII digits (an id, a year, a version) no larger than
    `largest`, or None.

    `str.isdigit` is not enough: it accepts "²" and other digits `int` refuses, and
    any length, where `int` refuses more than 4,300 digits."""
    cleaned = (text or "").strip()
    if not _WHOLE.fullmatch(cleaned):
        return None
    number = int(cleaned)
    return number if number <= largest else None


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
    """The label mid-sentence: "inbound calls", but "HEP allocation received" and "GP
    Patient Survey ...", whose first word is an abbreviation."""
    first = item.label.split(" ", 1)[0]
    if len(first) > 1 and first[1].isupper():
        return item.label
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
    if message := control_character_error(text, label=item.label):
        raise InvalidValue(message)
    if item.type is ItemType.TEXT:
        if len(text) > 500:
            raise InvalidValue(f"{item.label} must be 500 characters or fewer")
        return Parsed(text=text)
    negative, magnitude = _split_sign(text)
    if magnitude is None:
        raise InvalidValue(_how(item))
    if item.type is ItemType.DURATION:
        amount = parse_duration(magnitude)
    elif item.type is ItemType.MONEY:
        amount = parse_money(magnitude)
    elif item.type is ItemType.PERCENT:
        amount = parse_decimal(magnitude.removesuffix("%"))
    else:
        amount = parse_decimal(magnitude)
    if amount is None:
        raise InvalidValue(_how(item))
    if item.type is ItemType.COUNT and amount != amount.to_integral_value():
        raise InvalidValue(f"{item.label} must be a whole number")
    number = float(-amount if negative else amount) or 0.0  # "-0" is 0, never -0.0
    if not math.isfinite(number):
        raise InvalidValue(_how(item))
    _check_range(item, number)
    return Parsed(number=number)


NEVER_NEGATIVE = frozenset({ItemType.MONEY, ItemType.DURATION})

MINUS_SIGNS = ("-", "\u2212", "\u2013")
"""A hyphen, the minus sign and the en dash that Word and Excel put in its place."""


def _split_sign(text: str) -> tuple[bool, str | None]:
    """(typed with a minus sign, the rest); the rest is None when it has a sign of its own
    ("--5", "-+5"), which is no number anyone means."""
    negative = text.startswith(MINUS_SIGNS)
    rest = text[1:].strip() if negative else text
    if negative and rest.startswith((*MINUS_SIGNS, "+")):
        return True, None
    return negative, rest


def _check_range(item: Item, number: float) -> None:
    """Below a minimum of 0 (or below 0 for money or a duration, which are never negative,
    whatever their minimum) is "<label> cannot be negative"; other bounds quote the value
    and the bound."""
    lowest_allowed = item.min
    if item.type in NEVER_NEGATIVE and (lowest_allowed is None or lowest_allowed < 0):
        lowest_allowed = 0.0
    if lowest_allowed is not None and number < lowest_allowed:
        if lowest_allowed == 0:
            raise InvalidValue(f"{item.label} cannot be negative")
        shown = item_value(number, item.type, item.unit)
        lowest = item_value(lowest_allowed, item.type, item.unit)
        raise InvalidValue(f"{item.label}: {shown} is less than {lowest}")
    if item.max is not None and number > item.max:
        shown = item_value(number, item.type, item.unit)
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


def _capital(text: str) -> str:
    return text[0].upper() + text[1:] if text else text


class Collector:
    """Reads one form: each method reads a field of `raw`, returns its typed value (None
    when it is missing or wrong) and remembers the first message for the field.

    `raw` maps field names to what was sent: strings, or lists of strings for fields that
    allow several choices (a spreadsheet cell may hold them comma-separated instead).
    """

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = raw
        self.errors: dict[str, str] = {}

    # Raw access -------------------------------------------------------------------

    def text(self, name: str) -> str:
        value = self.raw.get(name)
        return value.strip() if isinstance(value, str) else ""

    def many(self, name: str) -> list[str]:
        """The values of a several-choice field, stripped, blanks dropped."""
        value = self.raw.get(name) or []
        if isinstance(value, str):
            value = value.replace(";", ",").split(",")
        return [str(v).strip() for v in value if str(v).strip()]

    def any_of(self, *names: str) -> bool:
        return any(self.text(name) for name in names)

    # Messages ---------------------------------------------------------------------

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def run(self, name: str, check: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        """Call a parser; its InvalidValue becomes the field's message."""
        try:
            return check(*args, **kwargs)
        except InvalidValue as error:
            self.add(name, error.message)
            return None

    def raise_if_any(self, order: Sequence[str] = ()) -> None:
        """FormErrors if anything was wrong: fields named in `order` first, in that order."""
        if not self.errors:
            return
        ordered = {name: self.errors[name] for name in order if name in self.errors}
        ordered.update(self.errors)
        raise FormErrors(ordered)

    # Fields -----------------------------------------------------------------------

    def guard(self, name: str, text: str | None, *, label: str = "This") -> str | None:
        """Refuse patient identifiers and characters that cannot be stored. Checked
        before a field's other rules, so this is the message a person sees first: it
        matters more than a length limit."""
        if message := nhs_number_error(text) or control_character_error(text, label=label):
            self.add(name, message)
        return text

    def free_text(self, name: str, *, label: str, limit: int, required: str | None = None) -> str:
        """Words a person typed: no NHS number or control characters, `required` is the
        message when empty."""
        text = self.text(name)
        self.guard(name, text, label=label)
        if not text:
            if required:
                self.add(name, required)
        elif len(text) > limit:
            self.add(name, f"{label} must be {limit:,} characters or fewer")
        return text

    def figure(self, name: str, item: Item) -> Parsed | None:
        """A template item's value. Every item is guarded, not only text ones: an NHS
        number pasted into a count box would otherwise be stored as a number."""
        raw = self.raw.get(name)
        if nhs_number_error(raw):
            self.guard(name, raw)
            return None
        return self.run(name, parse_item_value, item, raw)

    def money(self, name: str, label: str, *, required: bool) -> Decimal | None:
        """An amount in pounds, to the penny; `label` reads "the total cost"."""
        text = self.text(name)
        if not text:
            if required:
                self.add(name, f"Enter {label}")
            return None
        amount = parse_money(text)
        if amount is None:
            self.add(name, f"Enter {label} as an amount in pounds, like £1,250.50")
        elif amount < 0:
            self.add(name, f"{_capital(label)} cannot be negative")
        elif amount >= MONEY_LIMIT:
            self.add(name, f"{_capital(label)} must be less than £10,000,000,000")
        else:
            return amount.quantize(PENNY, rounding=ROUND_HALF_UP)
        return None

    def percent(self, name: str, label: str, *, required: bool) -> Decimal | None:
        """A percentage from 0 to 100, to two places; "60" and "60%" both read as 60."""
        text = self.text(name).removesuffix("%").strip()
        if not text:
            if required:
                self.add(name, f"Enter {label}")
            return None
        value = parse_decimal(text)
        if value is None:
            self.add(name, f"Enter {label} as a percentage, like 60")
        elif not Decimal(0) <= value <= Decimal(100):
            self.add(name, f"{_capital(label)} must be between 0 and 100")
        else:
            return value.quantize(PENNY, rounding=ROUND_HALF_UP)
        return None

    def choice(self, name: str, options: Iterable[str], message: str) -> str | None:
        value = self.text(name)
        if value not in set(options):
            self.add(name, message)
            return None
        return value

    def choices(self, name: str, options: Sequence[str], message: str) -> list[str]:
        """Several choices, returned in the order of `options` whatever order was ticked."""
        chosen = self.many(name)
        if not set(chosen) <= set(options):
            self.add(name, message)
        return [option for option in options if option in set(chosen)]

    def date(self, name: str, label: str, *, required: bool = True) -> date_type | None:
        """The NHS date input: boxes `<name>-day`, `-month` and `-year`. When not
        `required`, three empty boxes mean no date."""
        parts = [self.text(f"{name}-{part}") for part in ("day", "month", "year")]
        if not required and not any(parts):
            return None
        return self.run(name, date_from_parts, *parts, label=label)

    def record_id(self, name: str, allowed: set[int], message: str) -> int | None:
        """The id of one of the user's own records, or None when left empty."""
        text = self.text(name)
        if not text:
            return None
        number = whole_number(text)
        if number not in allowed:
            self.add(name, message)
            return None
        return number

    def record_ids(self, name: str, allowed: set[int], message: str) -> list[int]:
        texts = self.many(name)
        ids = [n for n in map(whole_number, texts) if n is not None]
        if len(ids) != len(texts) or not set(ids) <= allowed:
            self.add(name, message)
        return sorted(set(ids))

    def required(self, name: str, message: str, *, limit: int | None = None) -> str:
        """A short value that must be given (an email address, a password), unguarded."""
        text = self.raw.get(name)
        text = text if isinstance(text, str) else ""
        if not text.strip():
            self.add(name, message)
        elif "\x00" in text:
            # Never compared with anything stored: PostgreSQL refuses NUL in a query.
            self.add(name, control_character_error(text))
        elif limit is not None and len(text) > limit:
            self.add(name, f"Enter {limit:,} characters or fewer")
        return text
