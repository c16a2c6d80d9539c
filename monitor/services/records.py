"""The one audited write path: every create, update and delete of stored data goes
through `create`, `update_fields` or `delete`, which write the audit event (who, when,
before → after) in the same transaction as the change.

Edits use optimistic locking: the caller says which version of the record the person
started from, and the UPDATE only applies if the row is still at that version, so when
two people edit the same record the second save is refused ("someone else changed
this") instead of silently overwriting the first. Rows without a `version` column (a
practice's sharing choices, a user's account) are written without the check.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import tuple_, update
from sqlmodel import Session, SQLModel, select

from monitor.core.clock import utcnow
from monitor.models import AuditEvent, User
from monitor.services import audit, visibility

R = TypeVar("R", bound=SQLModel)

OBJECT_TYPES: dict[str, str] = {
    "MetricValue": "metric_value",
    "HepAllocation": "hep_allocation",
    "SpendItem": "spend_item",
    "StaffingChange": "staffing_change",
    "Intervention": "intervention",
    "CaseExample": "case_example",
    "Collection": "collection",
    "PracticeReturn": "practice_return",
    "Practice": "practice",
    "Icb": "icb",
    "Pcn": "pcn",
    "User": "user",
}
PRACTICE_RECORD_TYPES = (
    "metric_value",
    "hep_allocation",
    "spend_item",
    "staffing_change",
    "intervention",
)
"""The practice's own log records, whose history the practice reads."""

QUIET_FIELDS = ("version", "updated_at")
"""Fields every edit changes: an edit that changes only these is not worth an event."""


class EditConflict(RuntimeError):
    """The record changed (or was deleted) since the person opened it."""

    message = (
        "Someone else changed this record after you opened it, so your changes were not "
        "saved. Check the latest details below and make your changes again."
    )


@dataclass
class SaveResult:
    """What a save or an upload did, by the labels of what it touched."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    """New rows of an upload identical to a record already kept, so not added again."""

    @property
    def nothing(self) -> bool:
        return not (self.added or self.changed or self.removed)

    def counts(self) -> str:
        """ "2 added, 1 changed" (and removed, and already recorded, when any were)."""
        text = f"{len(self.added)} added, {len(self.changed)} changed"
        text += f", {len(self.removed)} removed" if self.removed else ""
        return text + (f", {len(self.already)} already recorded" if self.already else "")


def object_type(record: SQLModel | type[SQLModel]) -> str:
    cls = record if isinstance(record, type) else type(record)
    return OBJECT_TYPES[cls.__name__]


def _practice_of(record: SQLModel) -> int | None:
    if object_type(record) == "practice":
        return record.id
    return getattr(record, "practice_id", None)


def _has(model: type[SQLModel], name: str) -> bool:
    return name in model.model_fields


def create(
    session: Session,
    *,
    user: User | None,
    record: R,
    summary: str,
    action: str = "create",
    commit: bool = True,
) -> R:
    """Add `record` and its audit event. `user` is None only for the demo loader."""
    if _has(type(record), "updated_by_id"):
        record.updated_by_id = user.id if user else None
    session.add(record)
    session.flush()
    audit.record(
        session,
        actor=user,
        action=action,
        object_type=object_type(record),
        object_id=record.id,
        practice_id=_practice_of(record),
        summary=summary,
        after=audit.snapshot(record),
    )
    if commit:
        session.commit()
    return record


def update_fields(
    session: Session,
    *,
    user: User | None,
    record: R,
    changes: Mapping[str, Any],
    expected_version: int | None,
    summary: str,
    action: str = "update",
    quiet: Sequence[str] = QUIET_FIELDS,
    always_record: bool = False,
    part: str | None = None,
    commit: bool = True,
) -> R:
    """Apply `changes` if the record is still at `expected_version`; else EditConflict.

    An edit that changes nothing but `quiet` fields writes no event, unless
    `always_record` (an action such as "withdraw" is worth recording whatever it changed).
    `part` names a part of the record audited on its own (a practice's sharing choices,
    "practice_sharing"): the event then holds only the fields changed here.
    """
    model = type(record)
    versioned = _has(model, "version")
    if versioned and record.version != expected_version:
        raise EditConflict()
    snapshot = audit.snapshot if part is None else _part_snapshot(tuple(changes))
    before = snapshot(record)
    values = dict(changes)
    condition = [model.id == record.id]
    if versioned:
        values["version"] = expected_version + 1
        condition.append(model.version == expected_version)
    if _has(model, "updated_at"):
        values["updated_at"] = utcnow()
    if _has(model, "updated_by_id"):
        values["updated_by_id"] = user.id if user else None
    result = session.exec(update(model).where(*condition).values(**values))
    if result.rowcount != 1:
        session.rollback()
        raise EditConflict()
    session.refresh(record)
    after = snapshot(record)
    if always_record or audit.changes_between(before, after, ignore=tuple(quiet)):
        audit.record(
            session,
            actor=user,
            action=action,
            object_type=part or object_type(record),
            object_id=record.id,
            practice_id=_practice_of(record),
            summary=summary,
            before=before,
            after=after,
        )
    if commit:
        session.commit()
    return record


def _part_snapshot(fields: tuple[str, ...]):
    def snapshot(record: SQLModel) -> dict:
        whole = audit.snapshot(record) or {}
        return {name: whole.get(name) for name in fields}

    return snapshot


def delete(
    session: Session,
    *,
    user: User | None,
    record: SQLModel,
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
        practice_id=_practice_of(record),
        summary=summary,
        before=before,
    )
    if commit:
        session.commit()


def history(session: Session, *, user: User, kind: str, record_id: int) -> list[AuditEvent]:
    """Audit events for one of the user's practice's records (kept after deletion)."""
    practice_id = visibility.own_practice_id(user)
    if practice_id is None or kind not in PRACTICE_RECORD_TYPES:
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


# Many records at once ------------------------------------------------------------------
#
# A load of hundreds or thousands of rows (the demo's five years of figures) would bury
# the audit log under an event per row and take a flush per row. These write the rows in
# batches (the ORM sends one multi-row INSERT per table) under ONE audit event that says
# what was added or removed. The rows must all belong to one practice, so the event is
# filed under that practice like the events of its own edits.

NOUNS: dict[str, tuple[str, str]] = {
    "metric_value": ("figure", "figures"),
    "hep_allocation": ("HEP allocation", "HEP allocations"),
    "intervention": ("intervention", "interventions"),
    "staffing_change": ("staffing change", "staffing changes"),
    "spend_item": ("spending item", "spending items"),
    "case_example": ("case example", "case examples"),
    "collection": ("collection", "collections"),
    "practice_return": ("return", "returns"),
    "icb": ("ICB", "ICBs"),
    "pcn": ("PCN", "PCNs"),
    "practice": ("practice", "practices"),
    "user": ("user", "users"),
}
"""Each kind of record as a summary counts it, in the order a summary lists them."""


def describe_counts(counts: Mapping[str, int]) -> str:
    """ "3,960 figures, 1 HEP allocation": every kind with a count, in NOUNS order."""
    parts = []
    for kind, (singular, plural) in NOUNS.items():
        if count := counts.get(kind, 0):
            parts.append(f"{count:,} {singular if count == 1 else plural}")
    return ", ".join(parts) or "nothing"


def _one_practice(records: Sequence[SQLModel], practice_ids: set[int | None]) -> set[int | None]:
    found = practice_ids | {_practice_of(record) for record in records}
    if len(found) > 1:
        raise ValueError("Records audited as one event must all belong to one practice")
    return found


def _count_by_type(records: Sequence[SQLModel], counts: dict[str, int]) -> dict[str, int]:
    counts = dict(counts)
    for record in records:
        kind = object_type(record)
        counts[kind] = counts.get(kind, 0) + 1
    return counts


class Additions:
    """Records being added under one audit event: what `adding` hands out."""

    def __init__(self, session: Session, user: User | None) -> None:
        self._session = session
        self._user = user
        self.counts: dict[str, int] = {}
        """Object type → how many records of that type were added."""
        self.practice_ids: set[int | None] = set()

    def add(self, records: Sequence[SQLModel]) -> None:
        """Insert `records` now, so that records added after them can link to their ids
        (spending to the staffing change it pays for)."""
        for record in records:
            if _has(type(record), "updated_by_id"):
                record.updated_by_id = self._user.id if self._user else None
        self._session.add_all(records)
        self._session.flush()
        # After the flush: a new practice's own id is its practice.
        self.practice_ids = _one_practice(records, self.practice_ids)
        self.counts = _count_by_type(records, self.counts)


@contextmanager
def adding(
    session: Session,
    *,
    user: User | None,
    summary: str,
    object_type: str | None = None,
    object_id: Any = "",
    commit: bool = True,
) -> Iterator[Additions]:
    """Add records in one or more batches (`additions.add(rows)`), then write ONE audit
    event for them all.

    "{added}" in `summary` becomes what was added ("651 figures, 5 HEP allocations").
    The event's `object_type` is by default the type of the first record added; give
    another (and an `object_id`) when the event is about something else, such as a
    practice's demo data as a whole. Adding nothing writes no event. If anything fails,
    the session is rolled back, so no row is kept without its event.
    """
    additions = Additions(session, user)
    try:
        yield additions
    except BaseException:
        session.rollback()
        raise
    if not additions.counts:
        return
    (practice_id,) = additions.practice_ids
    audit.record(
        session,
        actor=user,
        action="create",
        object_type=object_type or next(iter(additions.counts)),
        object_id=object_id,
        practice_id=practice_id,
        summary=summary.replace("{added}", describe_counts(additions.counts)),
    )
    if commit:
        session.commit()


def create_many(
    session: Session,
    *,
    user: User | None,
    records: Sequence[SQLModel],
    summary: str,
    object_type: str | None = None,
    object_id: Any = "",
    commit: bool = True,
) -> int:
    """Add `records` (all of one practice) in one batch with ONE audit event, as `adding`
    does; return how many were added. Each record gets its id."""
    with adding(
        session,
        user=user,
        summary=summary,
        object_type=object_type,
        object_id=object_id,
        commit=commit,
    ) as additions:
        additions.add(records)
    return len(records)


def delete_many(
    session: Session,
    *,
    user: User | None,
    records: Sequence[SQLModel],
    summary: str,
    object_type: str | None = None,
    object_id: Any = "",
    commit: bool = True,
) -> int:
    """Delete `records` (all of one practice) with ONE audit event; return how many.

    Each record must still be at the version it was read at, as for `delete`: otherwise
    EditConflict and nothing is deleted. "{removed}" in `summary` becomes what was
    removed; `object_type` and `object_id` are as for `adding`.
    """
    if not records:
        return 0
    (practice_id,) = _one_practice(records, set())
    counts = _count_by_type(records, {})
    by_model: dict[type[SQLModel], list[SQLModel]] = {}
    for record in records:
        by_model.setdefault(type(record), []).append(record)
    for model, group in by_model.items():
        if _has(model, "version"):
            condition = tuple_(model.id, model.version).in_([(r.id, r.version) for r in group])
        else:
            condition = model.id.in_([r.id for r in group])
        result = session.exec(model.__table__.delete().where(condition))
        if result.rowcount != len(group):
            session.rollback()
            raise EditConflict()
        for record in group:
            session.expunge(record)
    audit.record(
        session,
        actor=user,
        action="delete",
        object_type=object_type or next(iter(counts)),
        object_id=object_id,
        practice_id=practice_id,
        summary=summary.replace("{removed}", describe_counts(counts)),
    )
    if commit:
        session.commit()
    return len(records)
