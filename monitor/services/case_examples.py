"""Case examples: a practice's own account of what it did with the money, kept private
or shared with its PCN or across the ICB.

Who sees what is decided in monitor.services.visibility (`case_example_filter`), read
from the database on every call, so unsharing takes effect on the next request. Edits go
through monitor.services.records like the practice's other records: optimistic locking
on `version`, and every change an audit event.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlmodel import Session, select

from monitor.core.checklist import ChecklistTemplate, ItemType
from monitor.core.clock import utcnow
from monitor.core.inputs import Collector
from monitor.models import CaseExample, Practice, SpendItem, User, Visibility
from monitor.services import records, visibility

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


# Reading --------------------------------------------------------------------------------


def list_visible(
    session: Session, user: User, *, tag: str | None = None, practice_id: int | None = None
) -> list[CaseExample]:
    """Case examples `user` may read, most recently changed first, optionally filtered."""
    statement = select(CaseExample).where(visibility.case_example_filter(user))
    if practice_id is not None:
        statement = statement.where(CaseExample.practice_id == practice_id)
    statement = statement.order_by(CaseExample.updated_at.desc(), CaseExample.id.desc())
    found = list(session.exec(statement))
    if tag:
        # Tags are a JSON list; a few dozen rows at most, so filter here rather than
        # write JSON containment twice (SQLite and PostgreSQL).
        found = [case for case in found if tag in (case.tags or [])]
    return found


def list_own(session: Session, user: User) -> list[CaseExample]:
    """The user's own practice's case examples, for its list page."""
    return visibility.own_records(
        session, user, CaseExample, CaseExample.updated_at.desc(), CaseExample.id.desc()
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


def clean(
    raw: Mapping[str, Any], *, template: ChecklistTemplate, own_spend_ids: set[int]
) -> CaseExampleInput:
    """Check a submitted form; raise FormErrors with one message per field."""
    check = Collector(raw)
    texts = {
        name: check.free_text(name, label=label, limit=limit, required=required)
        for name, label, limit, required in TEXT_FIELDS
    }
    spend_ids = check.record_ids(
        "spend_item_ids", own_spend_ids, "Select spending items from your practice's list"
    )
    chartable = [item_id for item_id, _ in metric_choices(template)]
    metric_ids = check.choices("metric_item_ids", chartable, "Select figures from the list")
    categories = [c.id for c in template.spending_categories]
    # Stored in list order, so the page reads the same whatever order was ticked.
    tags = check.choices("tags", categories, "Select tags from the list")
    visibility = check.text("visibility") or Visibility.PRIVATE
    if visibility not in Visibility.CHOICES:
        check.add("visibility", "Select who can see this case example")
    check.raise_if_any(order=[name for name, *_ in TEXT_FIELDS])
    return CaseExampleInput(
        **texts,
        visibility=visibility,
        tags=tags,
        spend_item_ids=spend_ids,
        metric_item_ids=metric_ids,
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
        shared_at=_shared_at(None, data.visibility, None),
        **asdict(data),
    )
    return records.create(
        session,
        user=user,
        record=case,
        summary=f"Added case example “{case.title}” ({VISIBILITY_LABELS[case.visibility]})",
    )


def update(
    session: Session,
    *,
    user: User,
    case: CaseExample,
    data: CaseExampleInput,
    expected_version: int,
) -> CaseExample:
    """Save `data` if the case is still at `expected_version`; else EditConflict."""
    summary = f"Changed case example “{data.title}”"
    if case.visibility != data.visibility:
        summary += f": now {VISIBILITY_LABELS[data.visibility].lower()}"
    return records.update_fields(
        session,
        user=user,
        record=case,
        changes={
            **asdict(data),
            "shared_at": _shared_at(case.visibility, data.visibility, case.shared_at),
        },
        expected_version=expected_version,
        summary=summary,
        quiet=(*records.QUIET_FIELDS, "shared_at"),
    )


def delete(session: Session, *, user: User, case: CaseExample, expected_version: int) -> None:
    records.delete(
        session,
        user=user,
        record=case,
        expected_version=expected_version,
        summary=f"Deleted case example “{case.title}”",
    )


def tag_labels(template: ChecklistTemplate) -> dict[str, str]:
    return {c.id: c.label for c in template.spending_categories}


def practices_of(session: Session, cases: Sequence[CaseExample]) -> dict[int, Practice]:
    ids = {case.practice_id for case in cases}
    if not ids:
        return {}
    return {p.id: p for p in session.exec(select(Practice).where(Practice.id.in_(ids)))}
