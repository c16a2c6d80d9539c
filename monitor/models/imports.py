"""Imports of national data: each published file an ICB imports for all its practices,
and every value it added or changed, so an import can be shown, traced and undone.

A figure that came from a file is a `MetricValue` whose `source` is the dataset's key and
`import_id` the import that set it. When a practice overrides one it records why
(`override_reason`); later imports keep the practice's value and remember the published
one (`published_number`) so the difference can be shown.
"""

from datetime import datetime

from sqlmodel import Field, SQLModel

import monitor.models.base  # noqa: F401  (naming convention first)
from monitor.core.clock import utcnow


class ImportStatus:
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    UNDONE = "undone"

    FINISHED = (DONE, FAILED, UNDONE)


class NationalImport(SQLModel, table=True):
    """One published file imported (or being imported) for every practice of an ICB."""

    __tablename__ = "national_import"

    id: int | None = Field(default=None, primary_key=True)
    icb_id: int = Field(foreign_key="icb.id", index=True)
    dataset: str = Field(default="", max_length=40)
    description: str = Field(default="", max_length=200)
    period_code: str | None = Field(default=None, max_length=12)
    filename: str = Field(max_length=255)
    sha256: str = Field(max_length=64, index=True)
    size: int = Field(default=0)
    stored_path: str = Field(default="", max_length=500)
    status: str = Field(default=ImportStatus.QUEUED, max_length=12)
    progress: float = Field(default=0.0, description="0 to 1, while running")
    progress_note: str = Field(default="", max_length=200)
    rows_read: int = Field(default=0)
    rows_passed_over: int = Field(
        default=0, description="rows not of a practice: Unassigned, totals, footnotes"
    )
    practices_matched: int = Field(default=0)
    other_practices: int = Field(default=0)
    unknown_codes: int = Field(default=0)
    values_added: int = Field(default=0)
    values_changed: int = Field(default=0)
    values_unchanged: int = Field(default=0)
    values_kept: int = Field(default=0, description="kept: a practice's own value")
    values_not_published: int = Field(default=0)
    error: str | None = Field(default=None, max_length=2000)
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = Field(default=None)
    finished_at: datetime | None = Field(default=None)
    undone_at: datetime | None = Field(default=None)
    undone_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    version: int = Field(default=1)


class ImportChange(SQLModel, table=True):
    """A value an import added or changed, with what it was before (for undo)."""

    __tablename__ = "national_import_change"

    id: int | None = Field(default=None, primary_key=True)
    import_id: int = Field(foreign_key="national_import.id", index=True)
    practice_id: int = Field(foreign_key="practice.id", index=True)
    item_id: str = Field(max_length=60)
    period_code: str = Field(max_length=12)
    action: str = Field(max_length=10)  # "add" or "change"
    before_number: float | None = Field(default=None)
    before_source: str | None = Field(default=None, max_length=40)
    before_import_id: int | None = Field(default=None)
    after_number: float | None = Field(default=None)
