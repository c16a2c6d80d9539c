"""What a practice records: periodic figures, HEP allocations, spending, staffing
changes and interventions. Every row belongs to one practice and carries a `version`
that each edit increments, so two people editing the same record cannot silently
overwrite each other (see services/records.py)."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, Column, Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel

import monitor.models.base  # noqa: F401  (naming convention first)
from monitor.core.clock import utcnow

MONEY = Numeric(12, 2)


class RecordMixin(SQLModel):
    practice_id: int = Field(foreign_key="practice.id", index=True)
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by_id: int | None = Field(default=None, foreign_key="app_user.id")


class MetricValue(RecordMixin, table=True):
    """One template item's value for one period. No row means "not recorded"."""

    __tablename__ = "metric_value"
    __table_args__ = (
        UniqueConstraint("practice_id", "item_id", "period_code", name="uq_metric_value_period"),
    )

    id: int | None = Field(default=None, primary_key=True)
    item_id: str = Field(max_length=60, index=True)
    frequency: str = Field(max_length=10)
    period_code: str = Field(max_length=12)
    period_start: date = Field(index=True)
    value_number: float | None = Field(default=None)
    value_text: str | None = Field(default=None, max_length=500)
    template_id: str = Field(max_length=60)
    template_version: int
    source: str = Field(default="manual", max_length=40)
    """"manual" (typed), "spreadsheet" (uploaded), "demo", or the key of the dataset a
    national import read (such a value has its `import_id`)."""
    import_id: int | None = Field(default=None, foreign_key="national_import.id", index=True)
    override_reason: str | None = Field(default=None, max_length=500)
    """Why the practice's own value stands instead of the published one."""
    published_number: float | None = Field(default=None)
    """The published value, when the practice's own value differs from it."""


class HepAllocation(RecordMixin, table=True):
    """The HEP a practice received for one financial year."""

    __tablename__ = "hep_allocation"
    __table_args__ = (
        UniqueConstraint("practice_id", "financial_year", name="uq_hep_allocation_year"),
        CheckConstraint("amount >= 0", name="ck_hep_allocation_amount"),
    )

    id: int | None = Field(default=None, primary_key=True)
    financial_year: int = Field(description="Starting year: 2025 for 2025/26")
    amount: Decimal = Field(sa_type=MONEY)
    received_on: date | None = Field(default=None)
    note: str = Field(default="", max_length=500)
    source: str = Field(default="manual", max_length=40)
    """"manual", "spreadsheet", "demo", or "hep_schedule" when the ICB's payment schedule
    set it (then with its `import_id`), as for MetricValue."""
    import_id: int | None = Field(default=None, foreign_key="national_import.id", index=True)
    override_reason: str | None = Field(default=None, max_length=500)
    published_amount: Decimal | None = Field(default=None, sa_type=MONEY)
    """The schedule's amount, when the practice's own figure differs from it."""


class Intervention(RecordMixin, table=True):
    """A dated change the practice made, drawn on charts of the metrics it should affect."""

    id: int | None = Field(default=None, primary_key=True)
    occurred_on: date
    title: str = Field(max_length=120)
    description: str = Field(default="", max_length=2000)
    affected_items: list[str] = Field(default_factory=list, sa_column=Column(JSON))


class StaffingChange(RecordMixin, table=True):
    __tablename__ = "staffing_change"
    __table_args__ = (
        CheckConstraint(
            "hep_share_pct >= 0 AND hep_share_pct <= 100", name="ck_staffing_hep_share"
        ),
        CheckConstraint(
            "contract_type IN ('permanent', 'fixed_term', 'locum')", name="ck_staffing_contract"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    role: str = Field(max_length=40)
    change_type: str = Field(max_length=40)
    wte_change: Decimal = Field(sa_type=Numeric(5, 2))
    starts_on: date
    ends_on: date | None = Field(default=None)
    contract_type: str = Field(max_length=20)
    hep_share_pct: Decimal = Field(sa_type=Numeric(5, 2))
    languages: str = Field(default="", max_length=200)
    note: str = Field(default="", max_length=1000)


class SpendItem(RecordMixin, table=True):
    """Money spent, with how much of it HEP paid (funding is often pooled)."""

    __tablename__ = "spend_item"
    __table_args__ = (
        CheckConstraint("total_cost >= 0", name="ck_spend_total"),
        CheckConstraint("hep_amount >= 0 AND hep_amount <= total_cost", name="ck_spend_hep"),
        CheckConstraint("recurrence IN ('recurrent', 'one_off')", name="ck_spend_recurrence"),
    )

    id: int | None = Field(default=None, primary_key=True)
    spent_on: date = Field(index=True)
    category: str = Field(max_length=40)
    description: str = Field(max_length=200)
    total_cost: Decimal = Field(sa_type=MONEY)
    hep_amount: Decimal = Field(sa_type=MONEY)
    other_sources: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    recurrence: str = Field(max_length=10)
    staffing_change_id: int | None = Field(
        default=None, foreign_key="staffing_change.id", ondelete="SET NULL"
    )
    intervention_id: int | None = Field(
        default=None, foreign_key="intervention.id", ondelete="SET NULL"
    )

    @property
    def other_amount(self) -> Decimal:
        return self.total_cost - self.hep_amount
