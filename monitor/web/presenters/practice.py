"""Wording of a practice's record pages: what a flash says after a save, how each log
record is named in lists, messages and the audit trail, the values an edit form opens
with, and the financial-year links and options."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from monitor.core.checklist import ALLOCATION_ITEM, ChecklistTemplate, Direction, Frequency, Item
from monitor.core.formatting import item_value, long_date, money
from monitor.core.periods import Period, financial_year_label
from monitor.core.small_numbers import MIN_PRACTICES
from monitor.models import HepAllocation, Intervention, SpendItem, StaffingChange
from monitor.services.figures import PeriodSummary, Recorded
from monitor.services.metric_view import Placement
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


@dataclass(frozen=True)
class FiguresLayout:
    """How a period's form is laid out: what NHS data filled (read only, first), and
    the boxes left to type in, with the overrides among them."""

    prefilled: list[tuple[Item, Recorded]]
    typed: list[Item]
    opened: list[str]
    """Prefilled figures the person chose to override (from `?override=`)."""
    overriding: list[str]
    """Items whose box carries a reason: those opened, and those overridden already."""


def figures_layout(
    items: list[Item], stored: Mapping[str, Recorded], asked: Iterable[str]
) -> FiguresLayout:
    imported = {i.id for i in items if i.id in stored and stored[i.id].imported}
    asked = set(asked)
    opened = [i.id for i in items if i.id in imported and i.id in asked]
    overridden = [i.id for i in items if i.id in stored and stored[i.id].provenance.overridden]
    return FiguresLayout(
        prefilled=[(i, stored[i.id]) for i in items if i.id in imported and i.id not in opened],
        typed=[i for i in items if i.id not in imported or i.id in opened],
        opened=opened,
        overriding=[i.id for i in items if i.id in opened or i.id in overridden],
    )


PERIOD_NOUNS = {
    Frequency.MONTHLY: "month",
    Frequency.QUARTERLY: "quarter",
    Frequency.ANNUAL: "year",
}


def published_note(item: Item, recorded: Recorded | None, period: Period) -> str | None:
    """ "NHS England published 612 for this month." beside a practice's own figure that
    differs from the published one; None when they agree or nothing was published."""
    if recorded is None or not recorded.provenance.differs(recorded.number):
        return None
    published = item_value(recorded.provenance.published_number, item.type, item.unit)
    return f"NHS England published {published} for this {PERIOD_NOUNS[period.frequency]}."


def imported_share(summary: PeriodSummary) -> str | None:
    """ "12 of 13 figures for February 2026 came from NHS data": of the figures recorded
    for the period, those NHS data filled and the practice did not override; None when
    none came from NHS data."""
    if not summary.imported:
        return None
    noun = "figure" if summary.recorded == 1 else "figures"
    return (
        f"{summary.imported} of {summary.recorded} {noun} for {summary.period.label} "
        "came from NHS data"
    )


def left_to_add(summary: PeriodSummary) -> str:
    """ "1 figure left to add yourself" (or "Nothing left to add")."""
    if summary.to_add <= 0:
        return "Nothing left to add"
    noun = "figure" if summary.to_add == 1 else "figures"
    return f"{summary.to_add} {noun} left to add yourself"


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


# Where the practice sits among England's and its PCN's practices ----------------------


@dataclass(frozen=True)
class PlacementText:
    """The sentences under a metric page's chart: England's, then the PCN's (or why the
    PCN's is not shown)."""

    england: str
    pcn: str | None = None
    pcn_withheld: str | None = None


def placement_text(item: Item, placement: Placement) -> PlacementText:
    """ "In February 2026 your figure (91.3%) was higher than 72% of England's 6,312
    practices (NHS England: Cloud Based Telephony, February 2026 publication)." and where
    the practice sits among its PCN's published figures. Higher or lower only, never
    better or worse: that is the item's direction, and some items have none."""
    period = placement.period.label
    value = item_value(placement.value, item.type, item.unit)
    sources = "; ".join(f"NHS England: {p}" for p in placement.publications) or "NHS England"
    everyone = f"England's {placement.england_practices:,} practices"
    if placement.england_percentile == 0:
        england = f"In {period} none of {everyone} had a lower figure than yours ({value})"
    else:
        england = (
            f"In {period} your figure ({value}) was higher than "
            f"{placement.england_percentile}% of {everyone}"
        )
    england += f" ({sources}).{_which_is_better(item)}"
    if placement.pcn_peers is None:
        return PlacementText(england)
    if placement.pcn_percentile is None:
        return PlacementText(
            england,
            pcn_withheld=(
                "Where your figure sits in your PCN is not shown: fewer than "
                f"{MIN_PRACTICES} other practices in your PCN have a published figure for "
                f"{period}."
            ),
        )
    lower = round(placement.pcn_percentile * placement.pcn_peers / 100)
    return PlacementText(
        england,
        pcn=(
            f"In your PCN your figure was higher than {lower} of the {placement.pcn_peers} "
            f"other practices with a published figure for {period}."
        ),
    )


def _which_is_better(item: Item) -> str:
    """Which way is better, where the item says (a neutral item says nothing)."""
    if item.direction is Direction.HIGHER_BETTER:
        return " Higher is better for this figure."
    if item.direction is Direction.LOWER_BETTER:
        return " Lower is better for this figure."
    return ""


# The HEP allocation from the ICB's payment schedule -----------------------------------
#
# The allocation is prefilled like a national figure, but the ICB's own payment schedule
# filled it, not NHS England's publications, so every sentence naming its source says so.

SCHEDULE = "your ICB's HEP payment schedule"


def _pounds(value: float | Decimal | None) -> str:
    """£48,000, or £48,000.50 when there are pence (a schedule is to the penny, and a
    figure to type back in must be exact)."""
    if value is None:
        return ""
    return money(float(value), pence=Decimal(str(value)) % 1 != 0)


def prefilled_intro(layout: FiguresLayout, can_edit: bool) -> str:
    """What the read-only figures at the top of a period's form are and who filled them."""
    ids = {item.id for item, _ in layout.prefilled}
    national = bool(ids - {ALLOCATION_ITEM})
    if ALLOCATION_ITEM in ids and national:
        filled = (
            "Your ICB filled these from what NHS England publishes for every practice and "
            "from its own HEP payment schedule, so you do not need to type them."
        )
    elif ALLOCATION_ITEM in ids:
        filled = (
            "Your ICB filled this from its HEP payment schedule, so you do not need to type it."
        )
    else:
        filled = (
            "Your ICB filled these from what NHS England publishes for every practice, so "
            "you do not need to type them."
        )
    if not can_edit:
        return filled
    wrong = "If it is wrong" if ids == {ALLOCATION_ITEM} else "If one is wrong"
    return f"{filled} {wrong} for your practice, override it and say why."


@dataclass(frozen=True)
class OverrideText:
    """The words around a prefilled figure's box once the practice overrides it."""

    reason_label: str
    reason_hint: str
    cancel: str
    """The link that closes the box and keeps the prefilled figure."""


def override_text(item: Item) -> OverrideText:
    if item.id == ALLOCATION_ITEM:
        return OverrideText(
            reason_label="Reason for overriding the payment schedule",
            reason_hint=(
                "Say why your figure is the right one, for example “the ICB recovered £2,000 "
                "of an overpayment in March”. Nothing about individual patients."
            ),
            cancel="Cancel: keep the schedule's figure",
        )
    return OverrideText(
        reason_label="Reason for overriding the published figure",
        reason_hint=(
            "Say why your figure is the right one, for example “the telephony supplier's "
            "report counted transferred calls twice”. Nothing about individual patients."
        ),
        cancel="Cancel: keep the published figure",
    )


def overridden_hint(item: Item, recorded: Recorded) -> str:
    """The start of the hint of a box holding the practice's override: whose figure it
    replaced and what to enter to go back to it."""
    published = recorded.provenance.published_number
    if item.id == ALLOCATION_ITEM:
        return (
            f"Your own figure, instead of the one in {SCHEDULE}. To go back to the "
            f"schedule's figure, enter {_pounds(published)}."
        )
    return (
        "Your own figure, instead of NHS England's published one. To go back to the "
        f"published figure, enter {item_value(published, item.type, item.unit)}."
    )


def source_note(item: Item, recorded: Recorded | None, period: Period) -> str | None:
    """The note beside a practice's own figure that differs from the prefilled one:
    "NHS England published 612 for this month.", or for the allocation what the ICB's
    payment schedule says; None when they agree or nothing was published."""
    if item.id != ALLOCATION_ITEM:
        return published_note(item, recorded, period)
    if recorded is None or not recorded.provenance.differs(recorded.number):
        return None
    says = f"{_pounds(recorded.provenance.published_number)} for {period.label}"
    if recorded.provenance.overridden:
        return f"Your figure overrides {SCHEDULE}, which says {says}."
    return f"{_capitalised(SCHEDULE)} says {says}."


def recorded_source(item: Item, recorded: Recorded) -> str:
    """Where a figure a viewer reads came from, as its row says under the figure."""
    if item.id == ALLOCATION_ITEM and recorded.provenance.overridden:
        return f"Entered by the practice (overrides {SCHEDULE})"
    return recorded.provenance.text


def allocation_source(allocation: HepAllocation) -> str:
    """The source column of the allocations list."""
    if allocation.override_reason:
        return (
            f"Overrides your ICB's payment schedule (schedule: "
            f"{_pounds(allocation.published_amount)}; reason: {allocation.override_reason})"
        )
    if allocation.import_id is not None:
        paid = f" (paid {long_date(allocation.received_on)})" if allocation.received_on else ""
        return f"From {SCHEDULE}{paid}"
    if allocation.published_amount is not None and allocation.published_amount != allocation.amount:
        return f"Entered by the practice ({SCHEDULE} says {_pounds(allocation.published_amount)})"
    return "Entered by the practice"


def any_from_schedule(allocations: Iterable[HepAllocation]) -> bool:
    return any(a.import_id is not None for a in allocations)


@dataclass(frozen=True)
class AllocationFormText:
    """The hints of the allocation form, which depend on where the allocation came from."""

    amount_hint: str
    note_label: str
    note_hint: str


def allocation_form_text(allocation: HepAllocation | None) -> AllocationFormText:
    if allocation is not None and allocation.override_reason:
        return AllocationFormText(
            amount_hint=(
                f"Your own figure, instead of the {_pounds(allocation.published_amount)} in "
                f"{SCHEDULE}. To go back to the schedule's figure, enter "
                f"{_money_text(allocation.published_amount)}."
            ),
            note_label="Note",
            note_hint=(
                f"Why your figure differs from the schedule. The reason you gave: "
                f"“{allocation.override_reason}”. A new note replaces it."
            ),
        )
    if allocation is not None and allocation.import_id is not None:
        return AllocationFormText(
            amount_hint=(
                f"From {SCHEDULE}. If it is wrong for your practice, enter your own figure "
                "and say why in the note."
            ),
            note_label="Note",
            note_hint=(
                "Needed if you change the amount: say why your figure differs from the "
                "schedule, for example “the ICB recovered £2,000 of an overpayment in March”."
            ),
        )
    return AllocationFormText(
        amount_hint="From your ICB remittance, like 48,000",
        note_label="Note (optional)",
        note_hint="For example, paid in two instalments",
    )
