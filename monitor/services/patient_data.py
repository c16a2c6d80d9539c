"""The guard that keeps patient identifiers out of free text.

Everything the app stores is aggregate. People still paste things into notes, so every
free-text field is checked for something that looks like an NHS number: ten digits,
written together or spaced (or hyphenated) 3-3-4, that pass the Modulus 11 check digit
(the `nhs-number` package does the check). Ten-digit strings that fail the check — a
phone number, a reference — are allowed, because refusing them would stop people
typing ordinary numbers.

What it does not catch: names, dates of birth, addresses, hospital numbers, NHS
numbers with a typo or written across lines. It is a seatbelt, not a guarantee.
"""

from __future__ import annotations

import re

import nhs_number

NHS_NUMBER_MESSAGE = "This looks like an NHS number. Remove patient details before saving."

# Ten digits, alone or spaced 3-3-4, not part of a longer run of digits.
_CANDIDATE = re.compile(r"(?<![\d])(\d{3})[ \-]?(\d{3})[ \-]?(\d{4})(?![\d])")


def contains_nhs_number(text: str | None) -> bool:
    if not text:
        return False
    return any(nhs_number.is_valid("".join(match.groups())) for match in _CANDIDATE.finditer(text))


def nhs_number_error(text: str | None) -> str | None:
    """The message to show next to a free-text field, or None if the text is fine."""
    return NHS_NUMBER_MESSAGE if contains_nhs_number(text) else None
