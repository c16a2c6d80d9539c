"""Create, edit and delete a practice's records with audit and optimistic locking.

Every edit says which version of the record the person started from. The UPDATE only
applies if the row is still at that version, so when two people edit the same record
the second save is refused ("someone else changed this") instead of silently
overwriting the first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from sqlalchemy import update
from sqlmodel import Session, SQLModel, select

from monitor.core.clock import utcnow
from monitor.models import PRACTICE_ROLES, User
from monitor.models.records import RecordMixin
from monitor.services import audit

R = TypeVar("R", bound=RecordMixin)

OBJECT_TYPES: dict[str, str] = {
    "MetricValue": "metric_value",
    "HepAllocation": "hep_allocation",
    "SpendItem": "spend_item",
    "StaffingChange": "staffing_change",
    "Intervention": "intervention",
}


class FormErrors(ValueError):
    """Input that cannot be saved: {field name: message}, in form order."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)


class EditConflict(RuntimeError):
    """The record changed (or was deleted) since the person opened it."""

    message = (
        "Someone else changed this record after you opened it, so your changes were not "
        "saved. Check the latest details below and make your changes again."
    )


def object_type(record: SQLModel | type[SQLModel]) -> str:
    cls = record if isinstance(record, type) else type(record)
    return OBJECT_TYPES[cls.__name__]


def practice_id_for(user: User) -> int | None:
    """The practice whose records this user works on (practice roles only)."""
    return user.practice_id if user.role_enum in PRACTICE_ROLES else None


def get_own(session: Session, user: User, model: type[R], record_id: int) -> R | None:
    """A record of the user's own practice, or None (the caller answers 404)."""
    practice_id = practice_id_for(user)
    if practice_id is None:
        return None
    return session.exec(
        select(model).where(model.id == record_id, model.practice_id == practice_id)
    ).first()


def list_own(session: Session, user: User, model: type[R], *order_by: Any) -> list[R]:
    practice_id = practice_id_for(user)
    if practice_id is None:
        return []
    statement = select(model).where(model.practice_id == practice_id)
    if order_by:
        statement = statement.order_by(*order_by)
    return list(session.exec(statement))


def create(session: Session, *, user: User, record: R, summary: str, commit: bool = True) -> R:
    record.updated_by_id = user.id
    session.add(record)
    session.flush()
    audit.record(
        session,
        actor=user,
        action="create",
        object_type=object_type(record),
        object_id=record.id,
        practice_id=record.practice_id,
        summary=summary,
        after=audit.snapshot(record),
    )
    if commit:
        session.commit()
    return record


def update_fields(
    session: Session,
    *,
    user: User,
    record: R,
    changes: Mapping[str, Any],
    expected_version: int,
    summary: str,
    commit: bool = True,
) -> R:
    """Apply `changes` if the record is still at `expected_version`; else EditConflict."""
    model = type(record)
    before = audit.snapshot(record)
    if record.version != expected_version:
        raise EditConflict()
    values = dict(changes)
    values.update(version=expected_version + 1, updated_at=utcnow(), updated_by_id=user.id)
    result = session.exec(
        update(model)
        .where(model.id == record.id, model.version == expected_version)
        .values(**values)
    )
    if result.rowcount != 1:
        session.rollback()
        raise EditConflict()
    session.refresh(record)
    after = audit.snapshot(record)
    if audit.changes_between(before, after, ignore=("version", "updated_at")):
        audit.record(
            session,
            actor=user,
            action="update",
            object_type=object_type(record),
            object_id=record.id,
            practice_id=record.practice_id,
            summary=summary,
            before=before,
            after=after,
        )
    if commit:
        session.commit()
    return record


def delete(
    session: Session,
    *,
    user: User,
    record: R,
    expected_version: int,
    summary: str,
    commit: bool = True,
) -> None:
    if record.version != expected_version:
        raise EditConflict()
    before = audit.snapshot(record)
    model = type(record)
    result = session.exec(
        model.__table__.delete().where(model.id == record.id, model.version == expected_version)
    )
    if result.rowcount != 1:
        session.rollback()
        raise EditConflict()
    session.expunge(record)
    audit.record(
        session,
        actor=user,
        action="delete",
        object_type=object_type(record),
        object_id=record.id,
        practice_id=record.practice_id,
        summary=summary,
        before=before,
    )
    if commit:
        session.commit()


def history(session: Session, *, user: User, kind: str, record_id: int) -> list:
    """Audit events for one of the user's practice's records (kept after deletion)."""
    from monitor.models import AuditEvent

    practice_id = practice_id_for(user)
    if practice_id is None or kind not in OBJECT_TYPES.values():
        return []
    return list(
        session.exec(
            select(AuditEvent)
            .where(
                AuditEvent.object_type == kind,
                AuditEvent.object_id == str(record_id),
                AuditEvent.practice_id == practice_id,
            )
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        )
    )
