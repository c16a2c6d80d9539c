"""Wording of a practice's change history: each changed field named as its form names it,
and its values as people typed them ("Average time to answer calls: 2:15 → 2:38",
"Total cost: £10,000 → £12,000"), never the stored column ("value_number: 135.0 → 158.0").

Only the practice's own history pages use this; an administrator's audit log never shows
a practice's values (``monitor.services.audit.for_administrator``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from monitor.core.checklist import ChecklistTemplate, Item, ItemType
from monitor.core.formatting import item_value, long_date, money, number, percent
from monitor.core.periods import financial_year_label
from monitor.models import AuditEvent
from monitor.services import audit
from monitor.services.logs import CONTRACT_TYPES, RECURRENCE

NONE = "(none)"
"""A value that was not set, before or after."""

SOURCES = {
    "manual": "Entered by the practice",
    "spreadsheet": "Uploaded in the offline workbook",
    "demo": "Demo data",
}

FIELD_LABELS: dict[str, dict[str, str]] = {
    "metric_value": {
        "source": "Where the figure came from",
        "override_reason": "Reason for overriding the published figure",
        "published_number": "Published figure",
    },
    "hep_allocation": {
        "financial_year": "Financial year",
        "amount": "Amount received",
        "received_on": "Date received",
        "note": "Note",
        "source": "Where the amount came from",
        "override_reason": "Reason for overriding the payment schedule",
        "published_amount": "Amount in the payment schedule",
    },
    "spend_item": {
        "spent_on": "Date",
        "category": "Category",
        "description": "What it paid for",
        "total_cost": "Total cost",
        "hep_amount": "Amount paid by HEP",
        "other_sources": "Other sources that paid the rest",
        "recurrence": "Recurrent or one-off",
        "staffing_change_id": "Linked staffing change",
        "intervention_id": "Linked intervention",
    },
    "staffing_change": {
        "role": "Role",
        "change_type": "Type of change",
        "wte_change": "Change in whole-time equivalent (WTE)",
        "starts_on": "Start date",
        "ends_on": "End date",
        "contract_type": "Contract type",
        "hep_share_pct": "HEP share",
        "languages": "Community languages offered",
        "note": "Note",
    },
    "intervention": {
        "occurred_on": "Date it happened",
        "title": "Title",
        "description": "What you did and for whom",
        "affected_items": "Figures it should affect",
    },
}
"""Each record's fields as its form labels them, by audit object type."""


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str


@dataclass(frozen=True)
class HistoryRow:
    event: AuditEvent
    who: str
    changes: list[Change]
    outcome: str
    """ "Created" or "Deleted" when the event changed no field one by one, else ""."""


def history_rows(
    events: list[AuditEvent],
    *,
    kind: str,
    template: ChecklistTemplate,
    templates: Mapping[tuple[str, int], ChecklistTemplate],
) -> list[HistoryRow]:
    """The rows of a record's history page. ``template`` is the practice's own, for the
    choices a log record names (roles, categories); a figure is read by the template it
    was recorded against (from ``templates``), falling back to the practice's."""
    return [_row(event, kind, template, templates) for event in events]


def _row(event, kind, template, templates) -> HistoryRow:
    fields = FIELD_LABELS.get(kind, {})
    formats = _formats(kind, template)
    item = _item_of(event, template, templates) if kind == "metric_value" else None
    changes = []
    for field, before, after in audit.changes(event):
        if item is not None and field in ("value_number", "value_text", "published_number"):
            label = item.label if field != "published_number" else fields[field]
            show = _item_formatter(item)
        else:
            label = fields.get(field) or field.replace("_", " ").capitalize()
            show = formats.get(field, _plain)
        changes.append(Change(label, _shown(show, before), _shown(show, after)))
    outcome = ""
    if not changes:
        outcome = {"create": "Created", "delete": "Deleted"}.get(event.action, "")
    return HistoryRow(
        event=event, who=event.actor_email or "The service", changes=changes, outcome=outcome
    )


def _item_of(event, template, templates) -> Item | None:
    data = event.after or event.before or {}
    recorded_in = templates.get((data.get("template_id"), data.get("template_version")))
    for candidate in (recorded_in, template):
        if candidate is not None and data.get("item_id") in candidate.items_by_id:
            return candidate.items_by_id[data["item_id"]]
    return None


def _item_formatter(item: Item) -> Callable[[Any], str]:
    if item.type is ItemType.TEXT:
        return str
    return lambda value: item_value(float(value), item.type, item.unit)


def _formats(kind: str, template: ChecklistTemplate) -> dict[str, Callable[[Any], str]]:
    def named(choices: Mapping[str, str]) -> Callable[[Any], str]:
        return lambda value: choices.get(value, str(value))

    def listed(choices: Mapping[str, str]) -> Callable[[Any], str]:
        return lambda values: ", ".join(choices.get(v, str(v)) for v in values) or NONE

    items = {item.id: item.label for item in template.items}
    return {
        "source": named(SOURCES),
        "amount": _money,
        "published_amount": _money,
        "total_cost": _money,
        "hep_amount": _money,
        "financial_year": lambda year: financial_year_label(int(year)),
        "received_on": _date,
        "spent_on": _date,
        "starts_on": _date,
        "ends_on": _date,
        "occurred_on": _date,
        "category": named({c.id: c.label for c in template.spending_categories}),
        "other_sources": listed({c.id: c.label for c in template.funding_sources}),
        "recurrence": named(RECURRENCE),
        "role": named({r.id: r.label for r in template.staffing_roles}),
        "change_type": named({c.id: c.label for c in template.staffing_change_types}),
        "contract_type": named(CONTRACT_TYPES),
        "wte_change": _wte,
        "hep_share_pct": lambda value: percent(float(value), places=2),
        "affected_items": listed(items),
    }


def _shown(show: Callable[[Any], str], value: Any) -> str:
    if value is None or value == "":
        return NONE
    try:
        return show(value) or NONE
    except (TypeError, ValueError, InvalidOperation):  # a value stored before a rename
        return str(value)


def _money(value: Any) -> str:
    amount = Decimal(str(value))
    return money(float(amount), pence=amount != amount.to_integral_value())


def _wte(value: Any) -> str:
    """+0.6, -1, +0.25: signed, as many places as were typed (up to the column's two)."""
    amount = Decimal(str(value))
    places = next(p for p in (0, 1, 2) if amount == round(amount, p) or p == 2)
    return number(float(amount), places=places, signed=True)


def _date(value: Any) -> str:
    return long_date(date.fromisoformat(str(value)[:10]))


def _plain(value: Any) -> str:
    return str(value)
