"""What a published NHS file says, as the importers hand it to the services: facts about
practices, from one file, with the date the file describes. (The importers read the
files; the onboarding service decides what the facts change.)"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class PracticeFacts:
    """What one row of a published file says about one practice. None: the file does not
    say. `pcn_code` "" means the practice is in no PCN."""

    ods_code: str
    sheet: str
    row: int
    name: str | None = None
    icb_code: str | None = None
    icb_name: str | None = None
    pcn_code: str | None = None
    pcn_name: str | None = None
    open: bool | None = None
    closed_on: date | None = None
    list_size: int | None = None
    imd_score: float | None = None
    imd_decile: int | None = None


@dataclass
class Extract:
    """What a dataset's reader found in one file."""

    source: str  # the dataset's key, stored as an organisation's `source`
    rank: int  # the dataset's rank: lower wins when files of one date disagree
    filename: str
    description: str  # "Cloud Based Telephony, February 2026 publication"
    as_of: date | None  # the date the file describes (extract or publication month)
    practices: list[PracticeFacts] = field(default_factory=list)
    rows_read: int = 0
    skipped: Counter[str] = field(default_factory=Counter)  # why rows were passed over
    notes: list[str] = field(default_factory=list)
