"""Voluntary returns to the ICB and case examples shared between practices.

A `Collection` is the ICB asking for one period's figures. A practice answers with a
`PracticeReturn`; submitting it freezes a snapshot (`ReturnValue` rows for the figures,
`ReturnSpend` rows for the spending mix), so later edits to the practice's live records
never change what the ICB sees. Withdrawing keeps the snapshot for the audit trail but
the ICB stops seeing it; resubmitting replaces it.

A frozen snapshot is summarised once, when it is written: `ReturnFigure` holds the
return's one figure for each item (the mean of its periods), so an ICB view reads at most
practices x metrics rows, and only for the items it shows. The ORM keeps the figures with
the snapshot (`_refresh_return_figures`): whatever adds or removes a return's
`ReturnValue` rows, in the same flush, so the two never disagree.

A `CaseExample` is a practice's own story of what it did with the money; it is private
until the practice shares it with its PCN or across the ICB. Each time it is saved, the
chart of each figure it links is kept as it stood (`CaseExampleChart`), drawn with only
the interventions the case links, so readers never see the practice's live figures.
"""

import math
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, Column, UniqueConstraint, delete, event, insert
from sqlalchemy import select as sa_select
from sqlalchemy.orm import Session as OrmSession
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


class ReturnFigure(SQLModel, table=True):
    """A submitted return's one figure for a numeric item: the mean of the finite numbers
    of its periods in the snapshot (`return_figure`), and how many periods that is. Only
    written from the return's `ReturnValue` rows (see the module docstring)."""

    __tablename__ = "return_figure"
    __table_args__ = (UniqueConstraint("return_id", "item_id", name="uq_return_figure_item"),)

    id: int | None = Field(default=None, primary_key=True)
    return_id: int = Field(foreign_key="practice_return.id", ondelete="CASCADE")
    item_id: str = Field(max_length=60, index=True)
    value: float
    periods: int


def return_figure(numbers: Iterable[float | None]) -> tuple[float, int] | None:
    """The figure of one item of a return from its periods' numbers: the mean of the
    finite ones (math.fsum, so the order they come in does not matter) and their count;
    None when none is a finite number (blank, text, NaN)."""
    found = [float(n) for n in numbers if n is not None and math.isfinite(n)]
    if not found:
        return None
    return math.fsum(found) / len(found), len(found)


def write_return_figures(connection, return_ids: Iterable[int]) -> None:
    """Work the returns' figures out again from their `ReturnValue` rows, replacing what
    was there (on `connection`, in its transaction)."""
    ids = sorted(set(return_ids))
    if not ids:
        return
    numbers: dict[tuple[int, str], list[float | None]] = {}
    rows = connection.execute(
        sa_select(ReturnValue.return_id, ReturnValue.item_id, ReturnValue.value_number).where(
            ReturnValue.return_id.in_(ids)
        )
    )
    for return_id, item_id, number in rows:
        numbers.setdefault((return_id, item_id), []).append(number)
    connection.execute(delete(ReturnFigure).where(ReturnFigure.return_id.in_(ids)))
    figures = [
        {"return_id": return_id, "item_id": item_id, "value": found[0], "periods": found[1]}
        for (return_id, item_id), values in sorted(numbers.items())
        if (found := return_figure(values)) is not None
    ]
    if figures:
        connection.execute(insert(ReturnFigure), figures)


_CHANGED_RETURNS = "monitor.changed_return_snapshots"


@event.listens_for(OrmSession, "before_flush")
def _note_changed_snapshots(session, _context, _instances) -> None:
    """Note the returns whose snapshot this flush adds to, changes or removes from."""
    changed = {
        row.return_id
        for row in (*session.new, *session.dirty, *session.deleted)
        if isinstance(row, ReturnValue) and row.return_id is not None
    }
    if changed:
        session.info.setdefault(_CHANGED_RETURNS, set()).update(changed)


@event.listens_for(OrmSession, "after_flush")
def _refresh_return_figures(session, _context) -> None:
    """The noted returns' figures, worked out again in the flush's own transaction."""
    changed = session.info.pop(_CHANGED_RETURNS, None)
    if changed:
        write_return_figures(session.connection(), changed)


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
