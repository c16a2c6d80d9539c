"""Voluntary returns to the ICB and case examples shared between practices.

A `Collection` is the ICB asking for one period's figures. A practice answers with a
`PracticeReturn`; submitting it freezes a snapshot (`ReturnValue` rows for the figures,
`ReturnSpend` rows for the spending mix), so later edits to the practice's live records
never change what the ICB sees. Withdrawing keeps the snapshot for the audit trail but
the ICB stops seeing it; resubmitting replaces it.

A `CaseExample` is a practice's own story of what it did with the money; it is private
until the practice shares it with its PCN or across the ICB. Each time it is saved, the
chart of each figure it links is kept as it stood (`CaseExampleChart`), drawn with only
the interventions the case links, so readers never see the practice's live figures.
"""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

import monitor.models.base  # noqa: F401  (naming convention first)
from monitor.core.clock import utcnow
from monitor.models.records import MONEY, RecordMixin


class ReturnStatus:
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"


class Visibility:
    PRIVATE = "private"
    PCN = "pcn"
    ICB = "icb"

    CHOICES = (PRIVATE, PCN, ICB)


class Collection(SQLModel, table=True):
    """The ICB asking its practices for one period's light-touch figures."""

    __table_args__ = (CheckConstraint("due_on >= opens_on", name="ck_collection_dates"),)

    id: int | None = Field(default=None, primary_key=True)
    icb_id: int = Field(foreign_key="icb.id", index=True)
    name: str = Field(max_length=120)
    template_id: str = Field(max_length=60)
    template_version: int
    period_code: str = Field(max_length=12, description="A quarter or a financial year")
    opens_on: date
    due_on: date
    message: str = Field(default="", max_length=2000)
    closed_at: datetime | None = Field(default=None)
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow)
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")


class PracticeReturn(SQLModel, table=True):
    """One practice's answer to one collection. No row: not submitted yet."""

    __tablename__ = "practice_return"
    __table_args__ = (
        UniqueConstraint("collection_id", "practice_id", name="uq_practice_return_once"),
        CheckConstraint("status IN ('submitted', 'withdrawn')", name="ck_practice_return_status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    collection_id: int = Field(foreign_key="collection.id", index=True)
    practice_id: int = Field(foreign_key="practice.id", index=True)
    pcn_id: int | None = Field(
        default=None, foreign_key="pcn.id", description="The practice's PCN when it submitted"
    )
    status: str = Field(max_length=10)
    submitted_at: datetime
    submitted_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    withdrawn_at: datetime | None = Field(default=None)
    version: int = Field(default=1)


class ReturnValue(SQLModel, table=True):
    """A figure as it stood when the practice submitted: the ICB reads only these."""

    __tablename__ = "return_value"
    __table_args__ = (
        UniqueConstraint("return_id", "item_id", "period_code", name="uq_return_value_item"),
    )

    id: int | None = Field(default=None, primary_key=True)
    return_id: int = Field(foreign_key="practice_return.id", index=True, ondelete="CASCADE")
    item_id: str = Field(max_length=60)
    period_code: str = Field(max_length=12)
    period_start: date
    value_number: float | None = Field(default=None)
    value_text: str | None = Field(default=None, max_length=500)
    unit: str = Field(max_length=20, description="The template item's type, e.g. percent")
    template_version: int


class ReturnSpend(SQLModel, table=True):
    """HEP-attributed spending by category in the collection's period, when submitted."""

    __tablename__ = "return_spend"
    __table_args__ = (UniqueConstraint("return_id", "category", name="uq_return_spend_category"),)

    id: int | None = Field(default=None, primary_key=True)
    return_id: int = Field(foreign_key="practice_return.id", index=True, ondelete="CASCADE")
    category: str = Field(max_length=40)
    hep_amount: Decimal = Field(sa_type=MONEY)
    total_cost: Decimal = Field(sa_type=MONEY)


class CaseExample(RecordMixin, table=True):
    """What a practice did, for whom, what it cost and what changed, in its own words."""

    __tablename__ = "case_example"
    __table_args__ = (
        CheckConstraint("visibility IN ('private', 'pcn', 'icb')", name="ck_case_visibility"),
    )

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=120)
    problem: str = Field(max_length=2000, description="The problem and who it affected")
    actions: str = Field(max_length=3000, description="What we did")
    cost: str = Field(default="", max_length=1000, description="Cost and funding")
    outcome: str = Field(default="", max_length=2000, description="What changed")
    lessons: str = Field(default="", max_length=2000, description="What we would do differently")
    visibility: str = Field(default=Visibility.PRIVATE, max_length=10, index=True)
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    spend_item_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON))
    metric_item_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    intervention_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON))
    """The practice's interventions the case is about: the only ones its charts show."""
    shared_at: datetime | None = Field(default=None)


class CaseExampleChart(SQLModel, table=True):
    """The chart of one figure a case example links, as it stood when the case was last
    saved: what readers see instead of the practice's live figures. `payload` holds the
    table rows, the verdict, the alt text and the chart's data to draw it again
    (monitor.services.case_examples writes and reads it)."""

    __tablename__ = "case_example_chart"
    __table_args__ = (
        UniqueConstraint("case_example_id", "item_id", name="uq_case_example_chart_item"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_example_id: int = Field(foreign_key="case_example.id", index=True, ondelete="CASCADE")
    item_id: str = Field(max_length=60)
    position: int = Field(default=0)
    taken_at: datetime = Field(default_factory=utcnow)
    payload: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
