"""Names and codes as published, made fit to show and to match.

NHS files write names in capitals ("THE BILLESDON SURGERY") and codes however the
system that exported them did (" c82022 "). Codes are matched with spaces removed and
in capitals; names in capitals are turned into the way a person writes them ("The
Billesdon Surgery"), keeping the abbreviations that are always capitals ("PCN", "NHS").
A name already in mixed case is kept as published: someone chose it.
"""

from __future__ import annotations

import re

ALWAYS_CAPITALS = frozenset(
    {"PCN", "PCNS", "NHS", "ICB", "ICS", "GP", "GPS", "UK", "CIC", "LLP", "PLC", "HC", "MC"}
)
ALWAYS_CAPITALS_OUT = {"PCNS": "PCNs", "GPS": "GPs"}
SMALL_WORDS = frozenset(
    {"and", "of", "the", "on", "in", "at", "upon", "by", "with", "for", "to", "under", "le"}
)
_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|')*")  # letters of any alphabet (CAFÉ), apostrophes
_SPACES = re.compile(r"\s+")
_ORDINAL = re.compile(r"[0-9]+(ST|ND|RD|TH)")
UNALLOCATED_PCN = frozenset({"U", "UNALLOCATED", "UNASSIGNED", "UNMAPPED", "UNKNOWN", "NONE"})
"""What publications put where a practice is in no PCN."""
NOT_A_PRACTICE = frozenset({"UNASSIGNED", "UNMAPPED", "UNALLOCATED", "UNKNOWN", "TOTAL"})
"""Rows of a publication that are not one practice (a national total, unmapped calls)."""


def ods_code(text: object) -> str:
    """An ODS code as the service stores it: no spaces, capitals."""
    return _SPACES.sub("", str(text or "")).upper()


def is_practice_code(code: str) -> bool:
    """A GP practice's ODS code: a letter and five digits (A81001), or the Y-prefixed
    codes NHS England gives some practices (Y01262)."""
    return bool(re.fullmatch(r"[A-Z][0-9]{5}", code))


def tidy_name(text: object) -> str:
    """A published name as a person writes it; mixed-case names are kept as they are."""
    name = _SPACES.sub(" ", str(text or "")).strip()
    if not name or name != name.upper() or not any(ch.isalpha() for ch in name):
        return name
    words = name.split(" ")
    return " ".join(_word(word, first=i == 0) for i, word in enumerate(words))


def _word(word: str, *, first: bool) -> str:
    bare = word.strip("(),.&-/")
    if bare in ALWAYS_CAPITALS:
        return word.replace(bare, ALWAYS_CAPITALS_OUT.get(bare, bare))
    if _ORDINAL.fullmatch(bare):  # 2ND -> 2nd
        return word.lower()
    if any(ch.isdigit() for ch in word):  # G3, U30213, 03W: codes stay as they are
        return word
    if word.startswith("(") and word.endswith(")") and len(bare) <= 4:
        return word  # (ACF), (AIC): an abbreviation in brackets
    parts = word.split("-")
    return "-".join(_part(part, first=first and i == 0) for i, part in enumerate(parts))


def _part(part: str, *, first: bool) -> str:
    def one(match: re.Match[str]) -> str:
        text = match.group(0).lower()
        if text in SMALL_WORDS and not (first and match.start() == 0):
            return text
        return text[0].upper() + text[1:]

    return _WORD.sub(one, part)
