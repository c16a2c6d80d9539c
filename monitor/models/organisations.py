"""The ICB, its primary care networks (PCNs) and their GP practices.

A practice belongs to one ICB and, usually, one PCN: NHS England publishes practices
with no PCN (PCN code "U", "Unallocated"), so `pcn_id` may be empty. What a published
file cannot give (a list size before the registered-patients file is read, deprivation
before the Fingertips file is, a rural or urban flag no file gives) is unknown (None)
until something does, and every page and statistic says "not known yet".

`source` names what last confirmed the organisation (a dataset key such as "epraccur",
"manual" for a hand edit, "demo"), and `confirmed_on` the date of that file.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

import monitor.models.base  # noqa: F401  (naming convention first)

ODS_PRACTICE_PATTERN = r"^[A-Z][0-9]{5}$"
RURALITY_CHOICES = ("urban", "rural")


class PracticeStatus:
    OPEN = "open"
    CLOSED = "closed"

    CHOICES = (OPEN, CLOSED)


class IcbBase(SQLModel):
    code: str = Field(max_length=5, unique=True, description="ODS code, such as QK1")
    name: str = Field(max_length=200)
    template_id: str = Field(default="hep-light-touch", max_length=60)
    template_version: int = Field(default=1)


class Icb(IcbBase, table=True):
    id: int | None = Field(default=None, primary_key=True)


class PcnBase(SQLModel):
    code: str = Field(max_length=6, unique=True, description="ODS code, such as U12345")
    name: str = Field(max_length=200)
    icb_id: int = Field(foreign_key="icb.id", index=True)
    source: str = Field(default="manual", max_length=40)
    confirmed_on: date | None = Field(default=None)


class Pcn(PcnBase, table=True):
    id: int | None = Field(default=None, primary_key=True)


class PracticeBase(SQLModel):
    ods_code: str = Field(max_length=6, unique=True)
    name: str = Field(max_length=200)
    icb_id: int = Field(foreign_key="icb.id", index=True)
    pcn_id: int | None = Field(default=None, foreign_key="pcn.id", index=True)
    town: str = Field(default="", max_length=100)
    list_size: int | None = Field(default=None, ge=0, description="Registered patients")
    list_size_on: date | None = Field(default=None, description="Date of the list-size count")
    imd_score: float | None = Field(default=None, description="IMD 2019 score (Fingertips)")
    imd_decile: int | None = Field(
        default=None, ge=1, le=10, description="1 = most deprived tenth of practices in England"
    )
    rurality: str | None = Field(default=None, max_length=10)
    status: str = Field(default=PracticeStatus.OPEN, max_length=10)
    closed_on: date | None = Field(default=None)
    source: str = Field(default="manual", max_length=40)
    confirmed_on: date | None = Field(default=None)


class PracticeFacts:
    """What a practice's record says beyond its columns, for the stored `Practice` and
    its plain `PracticeRow` alike."""

    __slots__ = ()

    @property
    def imd_quintile(self) -> int | None:
        """1 = most deprived fifth; deciles 1–2 make quintile 1. None when not known."""
        return None if self.imd_decile is None else (self.imd_decile + 1) // 2

    @property
    def is_open(self) -> bool:
        return self.status == PracticeStatus.OPEN

    def open_on(self, day: date) -> bool:
        """Whether the practice was still open on `day` (a closed practice counts up to
        and including the day it closed)."""
        return self.is_open or self.closed_on is None or self.closed_on >= day


class Practice(PracticeBase, PracticeFacts, table=True):
    """A GP practice. Its figures are private unless it chooses to share them: with its
    PCN (PCN medians, the PCN lead) or across the ICB (ICB medians)."""

    __table_args__ = (
        CheckConstraint("imd_decile BETWEEN 1 AND 10", name="ck_practice_imd_decile"),
        CheckConstraint("list_size >= 0", name="ck_practice_list_size"),
        CheckConstraint("rurality IN ('urban', 'rural')", name="ck_practice_rurality"),
        CheckConstraint("status IN ('open', 'closed')", name="ck_practice_status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    shares_with_pcn: bool = Field(default=False)
    shares_with_icb: bool = Field(default=False)


@dataclass(frozen=True, slots=True)
class PracticeRow(PracticeFacts):
    """A practice's record read as a plain row, never written back: for a view that holds
    every practice of an ICB or of England (a stored `Practice` costs about four times
    the memory, and more to load). The same attributes as `Practice`
    (`monitor.services.visibility.practice_rows` reads them)."""

    id: int
    ods_code: str
    name: str
    icb_id: int
    pcn_id: int | None
    town: str
    list_size: int | None
    list_size_on: date | None
    imd_score: float | None
    imd_decile: int | None
    rurality: str | None
    status: str
    closed_on: date | None
    source: str
    confirmed_on: date | None
    shares_with_pcn: bool
    shares_with_icb: bool


class PracticePcnSpell(SQLModel, table=True):
    """A spell of a practice in a PCN (or in none: `pcn_id` empty), so a move keeps its
    history: which PCN a practice was in when it submitted a return, when it moved."""

    __tablename__ = "practice_pcn_spell"

    id: int | None = Field(default=None, primary_key=True)
    practice_id: int = Field(foreign_key="practice.id", index=True)
    pcn_id: int | None = Field(default=None, foreign_key="pcn.id")
    started_on: date | None = Field(default=None)
    ended_on: date | None = Field(default=None)
    source: str = Field(default="manual", max_length=40)


PracticeLike = Practice | PracticeRow
"""A practice as a view reads it: stored, or as a plain row."""
