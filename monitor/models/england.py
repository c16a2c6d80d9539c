"""What NHS England publishes for every practice in England, kept beside the ICB's own
practices so each ICB can be compared with England: published data is public.

`EnglandPractice` holds the facts England's comparisons rank and weight by (deprivation,
list size), from the national files an ICB is set up from. `EnglandValue` holds each
practice's published figure for a template item and period, from a national file an
ICB imported (every practice in it, the ICB's and all others), and `NationalAggregate`
England's median, interquartile range and slope index of inequality for the item and
period, worked out once at import. Both belong to their import: an undone import's
rows no longer count.
"""

from datetime import date, datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

import monitor.models.base  # noqa: F401  (naming convention first)
from monitor.core.clock import utcnow


class EnglandPractice(SQLModel, table=True):
    """One practice in England, as the national files say: any ICB's."""

    __tablename__ = "england_practice"

    ods_code: str = Field(primary_key=True, max_length=10)
    list_size: int | None = Field(default=None, description="Registered patients")
    list_size_on: date | None = Field(default=None)
    imd_score: float | None = Field(default=None)
    imd_decile: int | None = Field(
        default=None, description="1 = the most deprived tenth of England's practices"
    )
    updated_at: datetime = Field(default_factory=utcnow)


class EnglandValue(SQLModel, table=True):
    """A practice's published figure for a template item and period, from a national file."""

    __tablename__ = "england_value"
    __table_args__ = (Index("ix_england_value_lookup", "import_id", "item_id", "period_code"),)

    id: int | None = Field(default=None, primary_key=True)
    import_id: int = Field(foreign_key="national_import.id")
    item_id: str = Field(max_length=60)
    period_code: str = Field(max_length=12)
    ods_code: str = Field(max_length=10)
    value: float


class NationalAggregate(SQLModel, table=True):
    """England's figures for one template item and period, from one national file."""

    __tablename__ = "national_aggregate"
    __table_args__ = (
        UniqueConstraint("import_id", "item_id", "period_code", name="uq_national_aggregate"),
    )

    id: int | None = Field(default=None, primary_key=True)
    import_id: int = Field(foreign_key="national_import.id", index=True)
    item_id: str = Field(max_length=60, index=True)
    period_code: str = Field(max_length=12)
    practices: int = Field(description="England's practices with a published figure")
    median: float
    q1: float
    q3: float
    sii: float | None = Field(default=None)
    sii_lower: float | None = Field(default=None)
    sii_upper: float | None = Field(default=None)
    sii_practices: int = Field(default=0, description="practices whose deprivation is known")
