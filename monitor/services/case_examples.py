"""Case examples: a practice's own account of what it did with the money, kept private
or shared with its PCN or across the ICB.

Who sees what (the one place that decides it; every page, chart and list asks here):

- practice editors and viewers: every case example of their own practice;
- a PCN lead: examples of the PCN's member practices shared with the PCN or ICB-wide,
  and ICB-wide examples of other practices in the same ICB;
- an ICB analyst: ICB-wide examples of practices in their ICB;
- an administrator: none (they configure the service, they do not read its content).

Visibility is read from the database on every call, so unsharing takes effect on the
next request. Edits use optimistic locking on `version`, as the practice's other
records do, and every change is an audit event.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_
from sqlalchemy import update as sql_update
from sqlmodel import Session, select

from monitor.core.checklist import ChecklistTemplate, ItemType
from monitor.core.clock import utcnow
from monitor.core.patient_data import nhs_number_error
from monitor.models import (
    PRACTICE_ROLES,
    CaseExample,
    Pcn,
    Practice,
    Role,
    SpendItem,
    User,
    Visibility,
)
from monitor.services import audit
from monitor.services.records import EditConflict, FormErrors

OBJECT_TYPE = "case_example"

VISIBILITY_LABELS = {
    Visibility.PRIVATE: "Private to our practice",
    Visibility.PCN: "Shared with our PCN",
    Visibility.ICB: "Shared across the ICB",
}
# The same choices as a reader sees them (the labels above are the practice's own voice).
SHARING_LABELS = {
    Visibility.PRIVATE: "Private to the practice",
    Visibility.PCN: "Shared with the PCN",
    Visibility.ICB: "Shared across the ICB",
}

# (field, label used in messages, maximum length, message when empty or None if optional)
TEXT_FIELDS: tuple[tuple[str, str, int, str | None], ...] = (
    ("title", "Title", 120, "Enter a title, like “Cloud telephony with call-back”"),
    ("problem", "The problem", 2000, "Enter the problem and who it affected"),
    ("actions", "What you did", 3000, "Enter what you did"),
    ("cost", "Cost and funding", 1000, None),
    ("outcome", "What changed", 2000, None),
    ("lessons", "What you would do differently", 2000, None),
)


# Visibility -------------------------------------------------------------------------


def _in_icb_of_pcn(pcn_id: int | None) -> ColumnElement[bool]:
    icb_of_pcn = select(Pcn.icb_id).where(Pcn.id == pcn_id).scalar_subquery()
    return CaseExample.practice_id.in_(
        select(Practice.id).join(Pcn, Practice.pcn_id == Pcn.id).where(Pcn.icb_id == icb_of_pcn)
    )


def _in_icb(icb_id: int | None) -> ColumnElement[bool]:
    return CaseExample.practice_id.in_(
        select(Practice.id).join(Pcn, Practice.pcn_id == Pcn.id).where(Pcn.icb_id == icb_id)
    )


def visible_filter(user: User) -> ColumnElement[bool]:
    """A WHERE clause on CaseExample keeping only what `user` may read."""
    role = user.role_enum
    if not user.is_active:
        return false()
    if role in PRACTICE_ROLES:
        return CaseExample.practice_id == user.practice_id
    if role is Role.PCN_LEAD:
        members = select(Practice.id).where(Practice.pcn_id == user.pcn_id)
        return or_(
            and_(
                CaseExample.practice_id.in_(members),
                CaseExample.visibility.in_((Visibility.PCN, Visibility.ICB)),
            ),
            and_(CaseExample.visibility == Visibility.ICB, _in_icb_of_pcn(user.pcn_id)),
        )
    if role is Role.ICB_ANALYST:
        return and_(CaseExample.visibility == Visibility.ICB, _in_icb(user.icb_id))
    return false()


def list_visible(
    session: Session, user: User, *, tag: str | None = None, practice_id: int | None = None
) -> list[CaseExample]:
    """Case examples `user` may read, most recently changed first, optionally filtered."""
    statement = select(CaseExample).where(visible_filter(user))
    if practice_id is not None:
        statement = statement.where(CaseExample.practice_id == practice_id)
    statement = statement.order_by(CaseExample.updated_at.desc(), CaseExample.id.desc())
    found = list(session.exec(statement))
    if tag:
        # Tags are a JSON list; a few dozen rows at most, so filter here rather than
        # write JSON containment twice (SQLite and PostgreSQL).
        found = [case for case in found if tag in (case.tags or [])]
    return found


def get_visible(session: Session, user: User, case_id: int) -> CaseExample | None:
    """The case example if `user` may read it, else None (the caller answers 404)."""
    return session.exec(
        select(CaseExample).where(CaseExample.id == case_id, visible_filter(user))
    ).first()


def get_own(session: Session, user: User, case_id: int) -> CaseExample | None:
    """A case example of the user's own practice, for editing (practice roles only)."""
    if user.role_enum not in PRACTICE_ROLES or not user.is_active:
        return None
    return session.exec(
        select(CaseExample).where(
            CaseExample.id == case_id, CaseExample.practice_id == user.practice_id
        )
    ).first()


def list_own(session: Session, user: User) -> list[CaseExample]:
    if user.role_enum not in PRACTICE_ROLES or not user.is_active:
        return []
    return list(
        session.exec(
            select(CaseExample)
            .where(CaseExample.practice_id == user.practice_id)
            .order_by(CaseExample.updated_at.desc(), CaseExample.id.desc())
        )
    )


def linked_spend_items(session: Session, case: CaseExample) -> list[SpendItem]:
    """The case's spending items that still exist, always of the case's own practice."""
    ids = [i for i in case.spend_item_ids or [] if isinstance(i, int)]
    if not ids:
        return []
    return list(
        session.exec(
            select(SpendItem)
            .where(SpendItem.id.in_(ids), SpendItem.practice_id == case.practice_id)
            .order_by(SpendItem.spent_on, SpendItem.id)
        )
    )


# Input ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseExampleInput:
    title: str
    problem: str
    actions: str
    cost: str
    outcome: str
    lessons: str
    visibility: str
    tags: list[str]
    spend_item_ids: list[int]
    metric_item_ids: list[str]


def metric_choices(template: ChecklistTemplate) -> list[tuple[str, str]]:
    """Figures a case example may link to: every item that can be charted."""
    return [(item.id, item.label) for item in template.items if item.type is not ItemType.TEXT]


def _list(raw: Mapping[str, Any], name: str) -> list[str]:
    value = raw.get(name) or []
    if isinstance(value, str):
        value = [value]
    return [str(v).strip() for v in value if str(v).strip()]


def clean(
    raw: Mapping[str, Any], *, template: ChecklistTemplate, own_spend_ids: set[int]
) -> CaseExampleInput:
    """Check a submitted form; raise FormErrors with one message per field."""
    errors: dict[str, str] = {}
    texts: dict[str, str] = {}
    for name, label, limit, required in TEXT_FIELDS:
        value = raw.get(name)
        text = value.strip() if isinstance(value, str) else ""
        texts[name] = text
        if not text:
            if required:
                errors[name] = required
            continue
        if message := nhs_number_error(text):
            errors[name] = message
        elif len(text) > limit:
            errors[name] = f"{label} must be {limit:,} characters or fewer"

    spend_texts = _list(raw, "spend_item_ids")
    spend_ids = [int(t) for t in spend_texts if t.isdigit()]
    if len(spend_ids) != len(spend_texts) or not set(spend_ids) <= own_spend_ids:
        errors["spend_item_ids"] = "Select spending items from your practice's list"

    metric_ids = _list(raw, "metric_item_ids")
    chartable = [item_id for item_id, _ in metric_choices(template)]
    if not set(metric_ids) <= set(chartable):
        errors["metric_item_ids"] = "Select figures from the list"

    tags = _list(raw, "tags")
    categories = [c.id for c in template.spending_categories]
    if not set(tags) <= set(categories):
        errors["tags"] = "Select tags from the list"

    visibility = (raw.get("visibility") or Visibility.PRIVATE).strip()
    if visibility not in Visibility.CHOICES:
        errors["visibility"] = "Select who can see this case example"

    if errors:
        ordered = [name for name, *_ in TEXT_FIELDS] + [
            "spend_item_ids",
            "metric_item_ids",
            "tags",
            "visibility",
        ]
        raise FormErrors({name: errors[name] for name in ordered if name in errors})
    return CaseExampleInput(
        **texts,
        visibility=visibility,
        # Stored in list order, so the page reads the same whatever order was ticked.
        tags=[c for c in categories if c in set(tags)],
        spend_item_ids=sorted(set(spend_ids)),
        metric_item_ids=[i for i in chartable if i in set(metric_ids)],
    )


# Changes ----------------------------------------------------------------------------


def _shared_at(old_visibility: str | None, new_visibility: str, old_shared_at):
    if new_visibility == Visibility.PRIVATE:
        return None
    if old_visibility != new_visibility or old_shared_at is None:
        return utcnow()
    return old_shared_at


def create(
    session: Session, *, user: User, practice_id: int, data: CaseExampleInput
) -> CaseExample:
    case = CaseExample(
        practice_id=practice_id,
        updated_by_id=user.id,
        shared_at=_shared_at(None, data.visibility, None),
        **asdict(data),
    )
    session.add(case)
    session.flush()
    audit.record(
        session,
        actor=user,
        action="create",
        object_type=OBJECT_TYPE,
        object_id=case.id,
        practice_id=practice_id,
        summary=f"Added case example “{case.title}” ({VISIBILITY_LABELS[case.visibility]})",
        after=audit.snapshot(case),
    )
    session.commit()
    return case


def update(
    session: Session,
    *,
    user: User,
    case: CaseExample,
    data: CaseExampleInput,
    expected_version: int,
) -> CaseExample:
    """Save `data` if the case is still at `expected_version`; else EditConflict."""
    if case.version != expected_version:
        raise EditConflict()
    before = audit.snapshot(case)
    values = asdict(data)
    values.update(
        shared_at=_shared_at(case.visibility, data.visibility, case.shared_at),
        version=expected_version + 1,
        updated_at=utcnow(),
        updated_by_id=user.id,
    )
    result = session.exec(
        sql_update(CaseExample)
        .where(CaseExample.id == case.id, CaseExample.version == expected_version)
        .values(**values)
    )
    if result.rowcount != 1:
        session.rollback()
        raise EditConflict()
    session.refresh(case)
    after = audit.snapshot(case)
    if audit.changes_between(before, after, ignore=("version", "updated_at", "shared_at")):
        summary = f"Changed case example “{case.title}”"
        if before["visibility"] != case.visibility:
            summary += f": now {VISIBILITY_LABELS[case.visibility].lower()}"
        audit.record(
            session,
            actor=user,
            action="update",
            object_type=OBJECT_TYPE,
            object_id=case.id,
            practice_id=case.practice_id,
            summary=summary,
            before=before,
            after=after,
        )
    session.commit()
    return case


def delete(session: Session, *, user: User, case: CaseExample, expected_version: int) -> None:
    if case.version != expected_version:
        raise EditConflict()
    before = audit.snapshot(case)
    result = session.exec(
        CaseExample.__table__.delete().where(
            CaseExample.id == case.id, CaseExample.version == expected_version
        )
    )
    if result.rowcount != 1:
        session.rollback()
        raise EditConflict()
    session.expunge(case)
    audit.record(
        session,
        actor=user,
        action="delete",
        object_type=OBJECT_TYPE,
        object_id=case.id,
        practice_id=case.practice_id,
        summary=f"Deleted case example “{case.title}”",
        before=before,
    )
    session.commit()


def tag_labels(template: ChecklistTemplate) -> dict[str, str]:
    return {c.id: c.label for c in template.spending_categories}


def practices_of(session: Session, cases: Sequence[CaseExample]) -> dict[int, Practice]:
    ids = {case.practice_id for case in cases}
    if not ids:
        return {}
    return {p.id: p for p in session.exec(select(Practice).where(Practice.id.in_(ids)))}
