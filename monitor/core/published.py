"""What a published NHS file says, as the importers hand it to the services: facts about
practices (who they are, where they belong) and the figures published for them, from one
file, with the date the file describes. The importers read the files; the onboarding
and national-data services decide what the facts and figures change."""

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


@dataclass(frozen=True)
class PublishedFigure:
    """One figure a file publishes for one practice and one period.

    `measure` names it within its dataset ("inbound_calls", "answered_pct"), as the
    dataset module documents it; a template item names the dataset and measure it is
    (its `national:` source). `value` is in the item's terms (percentages 0–100, counts,
    seconds), or None when the file says the figure is not published (a suppressed "*",
    a blank, "no data"): not published is never 0.
    """

    ods_code: str
    measure: str
    period: str  # the period's code: a month "2026-02", quarter "2025-26-q3", year "2025-26"
    value: float | None
    sheet: str
    row: int
    lower: float | None = None  # the published confidence interval (Fingertips), if any
    upper: float | None = None
    count: float | None = None  # the published numerator and denominator, if any
    denominator: float | None = None
    on: date | None = None  # a date the figure carries (a payment's date), if any


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
    figures: list[PublishedFigure] = field(default_factory=list)
    measures: dict[str, str] = field(default_factory=dict)  # measure -> what it is, in words
    period: str | None = None  # the (latest) period the figures describe, "2026-02"
