"""The guard that keeps patient identifiers out of free text.

Everything the app stores is aggregate. People still paste things into notes, so every
free-text field is checked for something that looks like an NHS number: ten digits,
written together or spaced (or hyphenated) 3-3-4, that pass the Modulus 11 check digit
(the `nhs-number` package does the check). Ten-digit strings that fail the check — a
phone number, a reference — are allowed, because refusing them would stop people
typing ordinary numbers. So are digits that are part of a longer number: an 11-digit
phone number, or the decimals of a figure pasted from a spreadsheet (0.9434765919).

What it does not catch: names, dates of birth, addresses, hospital numbers, NHS
numbers with a typo or written across lines. It is a seatbelt, not a guarantee.
"""

from __future__ import annotations

import re

import nhs_number

NHS_NUMBER_MESSAGE = "This looks like an NHS number. Remove patient details before saving."
REDACTED = "[NHS number removed]"

# Between the groups: one space (including the no-break spaces word processors insert)
# or one hyphen or dash (Word turns "-" into an en dash). Not a line break: a number
# split across lines is out of reach, and matching across lines would refuse tables of
# ordinary figures.
_SEPARATOR = "[ \u00a0\u202f\\-\u2010\u2011\u2013]?"
# Ten ASCII digits, 3-3-4, not part of a longer run of digits and not the whole or
# fractional part of a decimal number. A comma is not a boundary, so a list of NHS
# numbers written "9434765919,4010232137" is still caught.
_CANDIDATE = re.compile(
    rf"(?<![0-9])(?<![0-9]\.)"
    rf"([0-9]{{3}}){_SEPARATOR}([0-9]{{3}}){_SEPARATOR}([0-9]{{4}})"
    rf"(?![0-9])(?!\.[0-9])"
)


def _nhs_numbers(text: str):
    for match in _CANDIDATE.finditer(text):
        if nhs_number.is_valid("".join(match.groups())):
            yield match


def contains_nhs_number(text: str | None) -> bool:
    """True if the text holds ten digits that form a valid NHS number."""
    if not text:
        return False
    return next(_nhs_numbers(text), None) is not None


def nhs_number_error(text: str | None) -> str | None:
    """The message to show next to a free-text field, or None if the text is fine."""
    return NHS_NUMBER_MESSAGE if contains_nhs_number(text) else None


def redact_nhs_numbers(text: str) -> str:
    """The text with anything that looks like an NHS number replaced.

    For text the app must keep but cannot send back to be corrected, such as the name
    of an uploaded file recorded in the audit trail.
    """
    pieces = []
    last = 0
    for match in _nhs_numbers(text):
        pieces += [text[last : match.start()], REDACTED]
        last = match.end()
    return "".join(pieces) + text[last:] if pieces else text
