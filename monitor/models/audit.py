"""The audit trail: who changed what, when, from what to what."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

import monitor.models.base  # noqa: F401  (naming convention first)
from monitor.core.clock import utcnow


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    actor_email: str = Field(default="", max_length=254)
    action: str = Field(max_length=40)
    object_type: str = Field(max_length=40)
    object_id: str = Field(default="", max_length=40)
    # The practice whose data changed, so a practice can see its own history.
    practice_id: int | None = Field(default=None, foreign_key="practice.id", index=True)
    summary: str = Field(default="", max_length=300)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
