"""Wording of a practice's record pages: what a flash says after a save, how each log
record is named in lists, messages and the audit trail, the values an edit form opens
with, and the financial-year links and options."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from monitor.core.checklist import ChecklistTemplate
from monitor.core.periods import financial_year_label
from monitor.models import HepAllocation, Intervention, SpendItem, StaffingChange
from monitor.services.records import SaveResult

RECORD_NOUNS = {
    "metric_value": "figure",
    "hep_allocation": "HEP allocation",
    "spend_item": "spending item",
    "staffing_change": "staffing change",
    "intervention": "intervention",
}
"""What a practice calls each kind of record it keeps, by its audit object type."""


# Figures ------------------------------------------------------------------------------


def figures_saved(period_label: str, result: SaveResult) -> str:
    """ "October 2025 figures saved: added 2, changed 1." (only the verbs that happened)."""
    if result.nothing:
        return f"No changes to {period_label} figures."
    parts = [
        f"{verb} {len(labels)}"
        for verb, labels in (
            ("added", result.added),
            ("changed", result.changed),
            ("removed", result.removed),
        )
        if labels
    ]
    return f"{period_label} figures saved: " + ", ".join(parts) + "."


# Upload outcomes, as the audit trail records them -------------------------------------


def upload_refused(message: str) -> str:
    return f"refused: {message}"


def upload_failed(problems: int) -> str:
    return f"nothing saved, {problems} problems"


# Naming a log record ------------------------------------------------------------------


def spend_label(item: SpendItem) -> str:
    return f"{item.description} ({item.spent_on:%d/%m/%Y})"


def staffing_label(change: StaffingChange, template: ChecklistTemplate) -> str:
    roles = {r.id: r.label for r in template.staffing_roles}
    return f"{roles.get(change.role, change.role)} ({change.starts_on:%d/%m/%Y})"


def intervention_label(event: Intervention) -> str:
    return f"“{event.title}” ({event.occurred_on:%d/%m/%Y})"


def allocation_label(allocation: HepAllocation) -> str:
    return financial_year_label(allocation.financial_year)


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def record_done(noun: str, done: str, label: str) -> str:
    """The flash after a change: "Spending item added: Extra ANP sessions (01/06/2026)."."""
    return f"{_capitalised(noun)} {done}: {label}."


def audit_summary(action: str, noun: str, label: str) -> str:
    """The audit trail's line for a change: "Added spending item Extra ANP sessions …"."""
    return f"{action} {noun} {label}"


def deleted_meanwhile(noun: str) -> str:
    return f"That {noun} was deleted by someone else."


def not_deleted_after_change(noun: str) -> str:
    return (
        f"Someone else changed this {noun} after you opened it, so it was not "
        "deleted. Check it and try again."
    )


# The values an edit form opens with ---------------------------------------------------


def _date_values(name: str, value: date | None) -> dict[str, str]:
    if value is None:
        return {}
    return {
        f"{name}-day": str(value.day),
        f"{name}-month": str(value.month),
        f"{name}-year": str(value.year),
    }


def _money_text(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,.2f}".removesuffix(".00")


def _number_text(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value.normalize()}"


def spend_values(item: SpendItem) -> dict[str, Any]:
    return {
        **_date_values("spent_on", item.spent_on),
        "category": item.category,
        "description": item.description,
        "total_cost": _money_text(item.total_cost),
        "hep_mode": "amount",
        "hep_amount": _money_text(item.hep_amount),
        "other_sources": list(item.other_sources or []),
        "recurrence": item.recurrence,
        "staffing_change_id": str(item.staffing_change_id or ""),
        "intervention_id": str(item.intervention_id or ""),
    }


def staffing_values(change: StaffingChange) -> dict[str, Any]:
    return {
        "role": change.role,
        "change_type": change.change_type,
        "wte_change": _number_text(change.wte_change),
        **_date_values("starts_on", change.starts_on),
        **_date_values("ends_on", change.ends_on),
        "contract_type": change.contract_type,
        "hep_share_pct": _number_text(change.hep_share_pct),
        "languages": change.languages,
        "note": change.note,
    }


def intervention_values(event: Intervention) -> dict[str, Any]:
    return {
        **_date_values("occurred_on", event.occurred_on),
        "title": event.title,
        "description": event.description,
        "affected_items": list(event.affected_items or []),
    }


def allocation_values(allocation: HepAllocation) -> dict[str, Any]:
    return {
        "financial_year": str(allocation.financial_year),
        "amount": _money_text(allocation.amount),
        **_date_values("received_on", allocation.received_on),
        "note": allocation.note,
    }


# Financial years ----------------------------------------------------------------------


def year_links(current: int, href: Callable[[int], str]) -> list[tuple[str, str, int]]:
    """(link, label, year) for this financial year and the four before it, newest first."""
    return [(href(fy), financial_year_label(fy), fy) for fy in range(current, current - 5, -1)]


def year_options(current: int) -> list[tuple[str, str]]:
    """Years an allocation may be for: from next year back to seven years ago, newest first."""
    return [(str(fy), financial_year_label(fy)) for fy in range(current + 1, current - 8, -1)]


# Sharing ------------------------------------------------------------------------------


def sharing_saved(changed: bool) -> str:
    return "Sharing choices saved." if changed else "Sharing choices unchanged."
