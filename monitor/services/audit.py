"""Write and read the audit trail. Every change to stored data goes through `record`.

Two readers see it differently. A practice's own history pages show its events in full,
before → after. An administrator configures the service and does not read practices'
data, so `for_administrator` decides what the audit log shows them: events about the
configuration they manage (users, organisations, the template, collections, national
data) in full; events about a practice's own records (figures, spending, staffing, case
examples, returns, uploads, ...) as who did what kind of thing to which record and
when, with the names of the fields an edit changed and never their values or the
event's own wording (a summary quotes titles and amounts). Any object type not named as
configuration is treated as private, so a new kind of record cannot leak by default.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlmodel import Session, SQLModel, select

from monitor.models import AuditEvent, User
from monitor.services import visibility

# Never copied into the audit trail, nor shown from an event stored before a field was
# named here: credentials, second-factor secrets and recovery codes, session tokens.
SECRET_FIELDS = frozenset({"password", "password_hash", "session_token"})
_SECRET_PARTS = frozenset({"hash", "hashes", "secret", "token", "otp", "totp", "recovery"})


def is_secret_field(name: str) -> bool:
    """A column holding a credential: named in SECRET_FIELDS, or with a part such as
    `_hash`, `_secret`, `_token`, `totp_` or `recovery_` in its name."""
    return name in SECRET_FIELDS or not _SECRET_PARTS.isdisjoint(re.split(r"[_\W]+", name))


def snapshot(obj: SQLModel | None, *, exclude: frozenset[str] = frozenset()) -> dict | None:
    """A JSON-safe copy of a row's columns, for the before/after of an audit event."""
    if obj is None:
        return None
    data = {}
    for name in type(obj).model_fields:
        if is_secret_field(name) or name in exclude:
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
    return [
        (field, before.get(field), after.get(field))
        for field in fields
        if not is_secret_field(field)
    ]


# What an administrator reads -------------------------------------------------------------

CONFIGURATION_TYPES = frozenset(
    {
        "user",
        "icb",
        "pcn",
        "practice",  # the organisation's facts (name, list size, PCN), edited by admins
        "onboarding",
        "collection",
        "national_import",
        "national_aggregate",
    }
)
"""Object types an administrator manages, whose events they read in full."""

RECORD_NOUNS = {
    "metric_value": "figure",
    "hep_allocation": "HEP allocation",
    "spend_item": "spending item",
    "staffing_change": "staffing change",
    "intervention": "intervention",
    "case_example": "case example",
    "practice_return": "return",
    "practice_sharing": "sharing choices",
    "upload": "spreadsheet upload",
    "demo_data": "demo data",
    "user": "user",
    "icb": "ICB",
    "pcn": "PCN",
    "practice": "practice",
    "onboarding": "update from NHS files",
    "collection": "collection",
    "national_import": "national-data import",
    "national_aggregate": "England's aggregates",
}
"""How the audit log names each kind of record."""

ACTION_VERBS = {
    "create": "Added",
    "update": "Changed",
    "delete": "Deleted",
    "submit": "Submitted",
    "resubmit": "Resubmitted",
    "withdraw": "Withdrew",
    "upload": "Uploaded",
    "import": "Imported",
    "undo": "Undid",
}


def is_practice_private(object_type: str) -> bool:
    """Whether events of this type concern a practice's own data (not configuration)."""
    return object_type not in CONFIGURATION_TYPES


def record_noun(object_type: str) -> str:
    """ "spending item": the kind of record, as a sentence names it."""
    return RECORD_NOUNS.get(object_type, object_type.replace("_", " "))


def kind_label(object_type: str) -> str:
    """ "Spending item": the kind of record, as a list or a filter offers it."""
    noun = record_noun(object_type)
    return noun[:1].upper() + noun[1:]


@dataclass(frozen=True)
class AdminEntry:
    """One audit event as an administrator may read it."""

    id: int
    at: datetime
    actor_email: str
    action: str
    object_type: str
    object_id: str
    kind: str
    """The kind of record, as the log shows it ("Spending item")."""
    practice_id: int | None
    private: bool
    description: str
    """The event's summary for configuration; for a practice's record a sentence built
    from the action and the kind of record only ("Changed spending item")."""
    changes: tuple[tuple[str, Any, Any], ...] = ()
    """(field, before, after): configuration events only."""
    changed_fields: tuple[str, ...] = ()
    """The names of the fields an edit of a practice's record changed, without values."""


def for_administrator(event: AuditEvent) -> AdminEntry:
    """`event` as the administrator's audit log shows it (see the module docstring)."""
    private = is_practice_private(event.object_type)
    if private:
        verb = ACTION_VERBS.get(event.action, event.action.replace("_", " ").capitalize())
        description = f"{verb} {record_noun(event.object_type)}"
        changed = tuple(field for field, _, _ in changes(event))
        shown: tuple[tuple[str, Any, Any], ...] = ()
    else:
        description, changed, shown = event.summary, (), tuple(changes(event))
    return AdminEntry(
        id=event.id,
        at=event.at,
        actor_email=event.actor_email,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        kind=kind_label(event.object_type),
        practice_id=event.practice_id,
        private=private,
        description=description,
        changes=shown,
        changed_fields=changed,
    )


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
    practice_id: int | None = None,
    actor_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[AuditEvent]:
    """The newest events of one ICB (see `visibility.audit_filter`), optionally of one
    kind of record, about one practice's data, by one person, or at or after `since`
    and before `until` (timezone-aware)."""
    statement = (
        select(AuditEvent)
        .where(visibility.audit_filter(icb_id))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )
    if object_type:
        statement = statement.where(AuditEvent.object_type == object_type)
    if practice_id is not None:
        statement = statement.where(AuditEvent.practice_id == practice_id)
    if actor_id is not None:
        statement = statement.where(AuditEvent.actor_id == actor_id)
    if since is not None:
        statement = statement.where(AuditEvent.at >= since)
    if until is not None:
        statement = statement.where(AuditEvent.at < until)
    return list(session.exec(statement.offset(offset).limit(limit)))


def actors(session: Session, *, icb_id: int) -> list[tuple[int, str]]:
    """The people whose changes are in the ICB's audit log, as (user id, email), for the
    log's "Who" filter."""
    statement = (
        select(AuditEvent.actor_id, AuditEvent.actor_email)
        .where(visibility.audit_filter(icb_id), AuditEvent.actor_id.is_not(None))
        .distinct()
    )
    found = dict(session.exec(statement).all())
    return sorted(found.items(), key=lambda pair: pair[1].lower())


def object_types(session: Session, *, icb_id: int) -> list[str]:
    """The kinds of record the ICB's audit events are about, for the log's filter."""
    statement = select(AuditEvent.object_type).where(visibility.audit_filter(icb_id)).distinct()
    return sorted(session.exec(statement))


def events_for(session: Session, *, object_type: str, object_id: Any) -> list[AuditEvent]:
    statement = (
        select(AuditEvent)
        .where(AuditEvent.object_type == object_type, AuditEvent.object_id == str(object_id))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )
    return list(session.exec(statement))
