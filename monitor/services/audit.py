"""Write and read the audit trail. Every change to stored data goes through `record`."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlmodel import Session, SQLModel, select

from monitor.models import AuditEvent, User
from monitor.services import visibility

# Never copied into the audit trail.
SECRET_FIELDS = frozenset({"password_hash", "session_token"})


def snapshot(obj: SQLModel | None, *, exclude: frozenset[str] = frozenset()) -> dict | None:
    """A JSON-safe copy of a row's columns, for the before/after of an audit event."""
    if obj is None:
        return None
    data = {}
    for name in type(obj).model_fields:
        if name in SECRET_FIELDS or name in exclude:
            continue
        data[name] = _jsonable(getattr(obj, name))
    return data


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def changes_between(
    before: dict | None, after: dict | None, *, ignore: tuple[str, ...] = ()
) -> list[str]:
    before, after = before or {}, after or {}
    keys = (before.keys() | after.keys()) - set(ignore)
    return sorted(k for k in keys if before.get(k) != after.get(k))


HIDDEN_IN_CHANGES = ("version", "updated_at", "updated_by_id")


def changes(event: AuditEvent) -> list[tuple[str, Any, Any]]:
    """(field, before, after) for every field the event changed, in name order."""
    before, after = event.before or {}, event.after or {}
    if not before:  # a creation: list what was set, not a column of "(none)"s
        return []
    fields = changes_between(before, after, ignore=HIDDEN_IN_CHANGES)
    return [(field, before.get(field), after.get(field)) for field in fields]


def record(
    session: Session,
    *,
    actor: User | None,
    action: str,
    object_type: str,
    object_id: Any = "",
    practice_id: int | None = None,
    summary: str = "",
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEvent:
    """Add an audit event to the session; it commits with the change it describes."""
    event = AuditEvent(
        actor_id=actor.id if actor else None,
        actor_email=actor.email if actor else "",
        action=action,
        object_type=object_type,
        object_id=str(object_id or ""),
        practice_id=practice_id,
        summary=summary[:300],
        before=before,
        after=after,
    )
    session.add(event)
    return event


def recent_events(
    session: Session,
    *,
    icb_id: int,
    limit: int = 100,
    offset: int = 0,
    object_type: str | None = None,
) -> list[AuditEvent]:
    """The newest events of one ICB (see `visibility.audit_filter`)."""
    statement = (
        select(AuditEvent)
        .where(visibility.audit_filter(icb_id))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )
    if object_type:
        statement = statement.where(AuditEvent.object_type == object_type)
    return list(session.exec(statement.offset(offset).limit(limit)))


def events_for(session: Session, *, object_type: str, object_id: Any) -> list[AuditEvent]:
    statement = (
        select(AuditEvent)
        .where(AuditEvent.object_type == object_type, AuditEvent.object_id == str(object_id))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )
    return list(session.exec(statement))
