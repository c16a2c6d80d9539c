"""The practice's logs: HEP allocations, spending (with pooled-funding attribution),
staffing changes and interventions. Each `clean_*` reads raw input (a web form or a
spreadsheet row: strings) into checked values or raises FormErrors naming each field."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlmodel import Session, select

from monitor.core.checklist import ChecklistTemplate, RoleGroup
from monitor.core.formatting import money
from monitor.core.inputs import InvalidValue, date_from_parts, parse_decimal, parse_money
from monitor.core.patient_data import nhs_number_error
from monitor.core.periods import financial_year_label, financial_year_of
from monitor.models import HepAllocation, SpendItem, StaffingChange, User
from monitor.services import records
from monitor.services.records import FormErrors

PENNY = Decimal("0.01")
CONTRACT_TYPES = {
    "permanent": "Permanent",
    "fixed_term": "Fixed term",
    "locum": "Locum or sessional",
}
RECURRENCE = {"recurrent": "Recurrent (every year)", "one_off": "One-off"}


def _text(raw: Mapping[str, Any], name: str) -> str:
    value = raw.get(name)
    return value.strip() if isinstance(value, str) else ""


def _date(raw: Mapping[str, Any], name: str, label: str) -> date:
    return date_from_parts(
        _text(raw, f"{name}-day"),
        _text(raw, f"{name}-month"),
        _text(raw, f"{name}-year"),
        label=label,
    )


def latest_allowed_date(today: date) -> date:
    """Records may be dated up to the end of the current financial year."""
    return date(financial_year_of(today) + 1, 3, 31)


def _not_future(day: date, today: date, label: str) -> None:
    if day > latest_allowed_date(today):
        fy = financial_year_label(financial_year_of(today))
        raise InvalidValue(f"Enter a date in the {fy} financial year or earlier")


class _Collector:
    """Gathers one message per field so the whole form is checked at once."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def run(self, field_name: str, check, *args, **kwargs):
        try:
            return check(*args, **kwargs)
        except InvalidValue as error:
            self.errors.setdefault(field_name, error.message)
            return None

    def add(self, field_name: str, message: str) -> None:
        self.errors.setdefault(field_name, message)

    def free_text(self, field_name: str, text: str) -> str:
        """Refuse patient identifiers. Checked before a field's other rules, so this is
        the message a person sees first: it matters more than a length limit."""
        if message := nhs_number_error(text):
            self.add(field_name, message)
        return text

    def raise_if_any(self) -> None:
        if self.errors:
            raise FormErrors(self.errors)


def _money_field(check: _Collector, raw, name: str, label: str, *, required: bool):
    text = _text(raw, name)
    if not text:
        if required:
            check.add(name, f"Enter {label}")
        return None
    amount = parse_money(text)
    if amount is None:
        check.add(name, f"Enter {label} as an amount in pounds, like £1,250.50")
        return None
    if amount < 0:
        check.add(name, f"{label[0].upper()}{label[1:]} cannot be negative")
        return None
    if amount >= Decimal("10000000000"):
        check.add(name, f"{label[0].upper()}{label[1:]} must be less than £10,000,000,000")
        return None
    return amount.quantize(PENNY, rounding=ROUND_HALF_UP)


def _percent_field(check: _Collector, raw, name: str, label: str, *, required: bool):
    text = _text(raw, name).removesuffix("%").strip()
    if not text:
        if required:
            check.add(name, f"Enter {label}")
        return None
    value = parse_decimal(text)
    if value is None:
        check.add(name, f"Enter {label} as a percentage, like 60")
        return None
    if not Decimal(0) <= value <= Decimal(100):
        check.add(name, f"{label[0].upper()}{label[1:]} must be between 0 and 100")
        return None
    return value.quantize(PENNY, rounding=ROUND_HALF_UP)


def _choice(
    check: _Collector, raw, name: str, options: Mapping[str, str] | Sequence[str], message: str
):
    value = _text(raw, name)
    if value not in options:
        check.add(name, message)
        return None
    return value


# HEP allocations ---------------------------------------------------------------------


@dataclass(frozen=True)
class AllocationInput:
    financial_year: int
    amount: Decimal
    received_on: date | None
    note: str


def clean_allocation(raw: Mapping[str, Any], *, today: date) -> AllocationInput:
    check = _Collector()
    fy_text = _text(raw, "financial_year")
    fy = int(fy_text) if fy_text.isdigit() else None
    current = financial_year_of(today)
    if fy is None or not 2015 <= fy <= current + 1:
        check.add("financial_year", "Select the financial year the allocation is for")
    amount = _money_field(check, raw, "amount", "the amount received", required=True)
    received_on = None
    if any(_text(raw, f"received_on-{part}") for part in ("day", "month", "year")):
        received_on = check.run("received_on", _date, raw, "received_on", "the date received")
        if received_on is not None:
            check.run("received_on", _not_future, received_on, today, "date received")
    note = check.free_text("note", _text(raw, "note"))
    if len(note) > 500:
        check.add("note", "Note must be 500 characters or fewer")
    check.raise_if_any()
    return AllocationInput(fy, amount, received_on, note)


def save_allocation(
    session: Session,
    *,
    user: User,
    practice_id: int,
    data: AllocationInput,
    existing: HepAllocation | None = None,
    expected_version: int | None = None,
) -> HepAllocation:
    label = f"HEP allocation for {financial_year_label(data.financial_year)}"
    clash = session.exec(
        select(HepAllocation).where(
            HepAllocation.practice_id == practice_id,
            HepAllocation.financial_year == data.financial_year,
        )
    ).first()
    if clash is not None and (existing is None or clash.id != existing.id):
        raise FormErrors(
            {
                "financial_year": f"There is already an allocation for "
                f"{financial_year_label(data.financial_year)}: change that one instead"
            }
        )
    if existing is None:
        return records.create(
            session,
            user=user,
            record=HepAllocation(practice_id=practice_id, **asdict(data)),
            summary=f"Recorded {label}: {money(data.amount)}",
        )
    return records.update_fields(
        session,
        user=user,
        record=existing,
        changes=asdict(data),
        expected_version=expected_version,
        summary=f"Changed {label}",
    )


@dataclass(frozen=True)
class AllocationRow:
    allocation: HepAllocation
    change: Decimal | None
    change_pct: float | None


def allocation_history(allocations: list[HepAllocation]) -> list[AllocationRow]:
    """Each year's allocation with the change from the year before (planning risk)."""
    ordered = sorted(allocations, key=lambda a: a.financial_year)
    rows = []
    previous = None
    for allocation in ordered:
        change = change_pct = None
        if previous is not None and previous.financial_year == allocation.financial_year - 1:
            change = allocation.amount - previous.amount
            if previous.amount:
                change_pct = float(change / previous.amount * 100)
        rows.append(AllocationRow(allocation, change, change_pct))
        previous = allocation
    return list(reversed(rows))


# Spending ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SpendInput:
    spent_on: date
    category: str
    description: str
    total_cost: Decimal
    hep_amount: Decimal
    other_sources: list[str]
    recurrence: str
    staffing_change_id: int | None
    intervention_id: int | None


def clean_spend(
    raw: Mapping[str, Any],
    *,
    template: ChecklistTemplate,
    today: date,
    staffing_ids: set[int],
    intervention_ids: set[int],
) -> SpendInput:
    check = _Collector()
    spent_on = check.run("spent_on", _date, raw, "spent_on", "the date of the spending")
    if spent_on is not None:
        check.run("spent_on", _not_future, spent_on, today, "date")
    categories = {c.id: c.label for c in template.spending_categories}
    category = _choice(check, raw, "category", categories, "Select a category")
    description = check.free_text("description", _text(raw, "description"))
    if not description:
        check.add("description", "Enter a short description of what the money paid for")
    elif len(description) > 200:
        check.add("description", "Description must be 200 characters or fewer")
    total = _money_field(check, raw, "total_cost", "the total cost", required=True)

    share_mode = _text(raw, "hep_mode") or "amount"
    hep_amount = None
    if share_mode == "share":
        pct = _percent_field(check, raw, "hep_share", "the HEP share", required=True)
        if pct is not None and total is not None:
            hep_amount = (total * pct / 100).quantize(PENNY, rounding=ROUND_HALF_UP)
    elif share_mode == "amount":
        hep_amount = _money_field(check, raw, "hep_amount", "the HEP-funded amount", required=True)
        if hep_amount is not None and total is not None and hep_amount > total:
            check.add("hep_amount", "HEP-funded amount cannot be more than the total cost")
    else:
        check.add("hep_mode", "Select how you will give the HEP share")

    sources_raw = raw.get("other_sources") or []
    if isinstance(sources_raw, str):
        sources_raw = [s for s in sources_raw.replace(";", ",").split(",") if s.strip()]
    allowed_sources = {s.id for s in template.funding_sources if s.id != "hep"}
    sources = [s.strip() for s in sources_raw]
    if any(s not in allowed_sources for s in sources):
        check.add("other_sources", "Select funding sources from the list")
    if hep_amount is not None and total is not None and hep_amount < total and not sources:
        check.add(
            "other_sources",
            "Select the other sources that paid the rest (HEP paid less than the total)",
        )
    recurrence = _choice(
        check, raw, "recurrence", RECURRENCE, "Select whether the spending is recurrent or one-off"
    )
    staffing_change_id = _link(check, raw, "staffing_change_id", staffing_ids)
    intervention_id = _link(check, raw, "intervention_id", intervention_ids)
    check.raise_if_any()
    ordered_sources = [s.id for s in template.funding_sources if s.id in set(sources)]
    return SpendInput(
        spent_on,
        category,
        description,
        total,
        hep_amount,
        ordered_sources,
        recurrence,
        staffing_change_id,
        intervention_id,
    )


def _link(check: _Collector, raw, name: str, allowed: set[int]) -> int | None:
    text = _text(raw, name)
    if not text:
        return None
    if not text.isdigit() or int(text) not in allowed:
        check.add(name, "Select one of your own records, or none")
        return None
    return int(text)


@dataclass(frozen=True)
class CategoryTotal:
    category_id: str
    label: str
    total: Decimal
    hep: Decimal


@dataclass(frozen=True)
class SpendSummary:
    financial_year: int
    by_category: list[CategoryTotal]
    total: Decimal
    hep_total: Decimal
    allocation: Decimal | None

    @property
    def remainder(self) -> Decimal | None:
        """Positive: HEP not yet attributed to spending; negative: overspend."""
        return None if self.allocation is None else self.allocation - self.hep_total


def spend_summary(
    items: list[SpendItem],
    allocations: list[HepAllocation],
    *,
    template: ChecklistTemplate,
    financial_year: int,
) -> SpendSummary:
    labels = {c.id: c.label for c in template.spending_categories}
    totals: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for item in items:
        if financial_year_of(item.spent_on) != financial_year:
            continue
        totals[item.category][0] += item.total_cost
        totals[item.category][1] += item.hep_amount
    by_category = [
        CategoryTotal(cid, labels.get(cid, cid), t, h)
        for cid, (t, h) in sorted(totals.items(), key=lambda kv: -kv[1][1])
    ]
    allocation = next((a.amount for a in allocations if a.financial_year == financial_year), None)
    return SpendSummary(
        financial_year,
        by_category,
        sum((c.total for c in by_category), Decimal(0)),
        sum((c.hep for c in by_category), Decimal(0)),
        allocation,
    )


# Staffing changes --------------------------------------------------------------------


@dataclass(frozen=True)
class StaffingInput:
    role: str
    change_type: str
    wte_change: Decimal
    starts_on: date
    ends_on: date | None
    contract_type: str
    hep_share_pct: Decimal
    languages: str
    note: str


def clean_staffing(raw: Mapping[str, Any], *, template: ChecklistTemplate, today: date):
    check = _Collector()
    roles = {r.id: r.label for r in template.staffing_roles}
    role = _choice(check, raw, "role", roles, "Select the role")
    change_types = {c.id: c.label for c in template.staffing_change_types}
    change_type = _choice(check, raw, "change_type", change_types, "Select the type of change")
    wte_text = _text(raw, "wte_change").replace(" ", "")
    wte = parse_decimal(wte_text) if wte_text else None
    if not wte_text:
        check.add("wte_change", "Enter the change in whole-time equivalent, like 0.6 or -1")
    elif wte is None:
        check.add("wte_change", "Enter the change in whole-time equivalent as a number, like 0.6")
    elif not Decimal("-20") <= wte <= Decimal("20"):
        check.add("wte_change", "Change in whole-time equivalent must be between -20 and 20")
    elif change_type == "post_ended" and wte > 0:
        check.add(
            "wte_change",
            "A post that ended reduces whole-time equivalent: enter it as a "
            "negative number, like -1",
        )
    elif change_type in ("new_post", "increased_hours") and wte <= 0:
        check.add(
            "wte_change",
            "A new post or extra hours adds whole-time equivalent: enter a "
            "positive number, like 0.6",
        )
    starts_on = check.run("starts_on", _date, raw, "starts_on", "the start date")
    if starts_on is not None:
        check.run("starts_on", _not_future, starts_on, today, "start date")
    contract = _choice(check, raw, "contract_type", CONTRACT_TYPES, "Select the contract type")
    ends_on = None
    if any(_text(raw, f"ends_on-{part}") for part in ("day", "month", "year")):
        ends_on = check.run("ends_on", _date, raw, "ends_on", "the end date")
    if contract == "fixed_term" and ends_on is None and "ends_on" not in check.errors:
        check.add("ends_on", "Enter the end date of the fixed-term post")
    if ends_on is not None and starts_on is not None and ends_on <= starts_on:
        check.add("ends_on", "End date must be after the start date")
    share = _percent_field(check, raw, "hep_share_pct", "the HEP share of the cost", required=True)
    languages = check.free_text("languages", _text(raw, "languages"))
    if len(languages) > 200:
        check.add("languages", "Community languages must be 200 characters or fewer")
    note = check.free_text("note", _text(raw, "note"))
    if len(note) > 1000:
        check.add("note", "Note must be 1,000 characters or fewer")
    check.raise_if_any()
    return StaffingInput(
        role,
        change_type,
        wte.quantize(PENNY),
        starts_on,
        ends_on,
        contract,
        share,
        languages,
        note,
    )


@dataclass(frozen=True)
class WteByGroup:
    group: RoleGroup
    net_wte: Decimal
    hep_funded_wte: Decimal

    @property
    def hep_share_pct(self) -> float | None:
        if not self.net_wte:
            return None
        return float(self.hep_funded_wte / self.net_wte * 100)


def staffing_summary(
    changes: list[StaffingChange], *, template: ChecklistTemplate, financial_year: int
) -> list[WteByGroup]:
    """Net WTE added in a financial year by role group, and how much of it HEP funds."""
    groups = {r.id: r.group for r in template.staffing_roles}
    net: dict[RoleGroup, list[Decimal]] = {g: [Decimal(0), Decimal(0)] for g in RoleGroup}
    for change in changes:
        if financial_year_of(change.starts_on) != financial_year:
            continue
        group = groups.get(change.role, RoleGroup.ADMIN)
        net[group][0] += change.wte_change
        net[group][1] += change.wte_change * change.hep_share_pct / 100
    return [WteByGroup(g, n.quantize(PENNY), h.quantize(PENNY)) for g, (n, h) in net.items()]


# Interventions -----------------------------------------------------------------------


@dataclass(frozen=True)
class InterventionInput:
    occurred_on: date
    title: str
    description: str
    affected_items: list[str]


def clean_intervention(raw: Mapping[str, Any], *, template: ChecklistTemplate, today: date):
    check = _Collector()
    occurred_on = check.run("occurred_on", _date, raw, "occurred_on", "the date it happened")
    if occurred_on is not None:
        check.run("occurred_on", _not_future, occurred_on, today, "date")
    title = check.free_text("title", _text(raw, "title"))
    if not title:
        check.add("title", "Enter a short title, like “Cloud telephony live”")
    elif len(title) > 120:
        check.add("title", "Title must be 120 characters or fewer")
    description = check.free_text("description", _text(raw, "description"))
    if len(description) > 2000:
        check.add("description", "Description must be 2,000 characters or fewer")
    affected = raw.get("affected_items") or []
    if isinstance(affected, str):
        affected = [a for a in affected.replace(";", ",").split(",") if a.strip()]
    affected = [a.strip() for a in affected]
    numeric_items = [i.id for i in template.items]
    if any(a not in numeric_items for a in affected):
        check.add("affected_items", "Select figures from the list")
    check.raise_if_any()
    return InterventionInput(
        occurred_on, title, description, [i for i in numeric_items if i in set(affected)]
    )


# Sharing -----------------------------------------------------------------------------


def set_sharing(session: Session, *, user: User, practice, with_pcn: bool, with_icb: bool) -> bool:
    """Record the practice's choice to share its figures; True if anything changed."""
    from monitor.services import audit

    before = {
        "shares_with_pcn": practice.shares_with_pcn,
        "shares_with_icb": practice.shares_with_icb,
    }
    after = {"shares_with_pcn": with_pcn, "shares_with_icb": with_icb}
    if before == after:
        return False
    practice.shares_with_pcn = with_pcn
    practice.shares_with_icb = with_icb
    session.add(practice)
    audit.record(
        session,
        actor=user,
        action="update",
        object_type="practice_sharing",
        object_id=practice.id,
        practice_id=practice.id,
        summary="Changed who the practice's figures are shared with",
        before=before,
        after=after,
    )
    session.commit()
    return True
