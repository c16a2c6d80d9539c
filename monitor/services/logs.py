"""The practice's logs: HEP allocations, spending (with pooled-funding attribution),
staffing changes and interventions. Each `clean_*` reads raw input (a web form or a
spreadsheet row: strings) into checked values or raises FormErrors naming each field."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlmodel import Session, select

from monitor.core.checklist import ChecklistTemplate, RoleGroup
from monitor.core.formatting import money
from monitor.core.inputs import PENNY, Collector, FormErrors, parse_decimal, whole_number
from monitor.core.periods import financial_year_label, financial_year_of
from monitor.models import HepAllocation, SpendItem, StaffingChange, User
from monitor.services import records

CONTRACT_TYPES = {
    "permanent": "Permanent",
    "fixed_term": "Fixed term",
    "locum": "Locum or sessional",
}
RECURRENCE = {"recurrent": "Recurrent (every year)", "one_off": "One-off"}


def latest_allowed_date(today: date) -> date:
    """Records may be dated up to the end of the current financial year."""
    return date(financial_year_of(today) + 1, 3, 31)


def _not_future(check: Collector, name: str, day: date | None, today: date) -> None:
    if day is not None and day > latest_allowed_date(today):
        fy = financial_year_label(financial_year_of(today))
        check.add(name, f"Enter a date in the {fy} financial year or earlier")


# HEP allocations ---------------------------------------------------------------------


@dataclass(frozen=True)
class AllocationInput:
    financial_year: int
    amount: Decimal
    received_on: date | None
    note: str


def clean_allocation(raw: Mapping[str, Any], *, today: date) -> AllocationInput:
    check = Collector(raw)
    fy_text = check.text("financial_year")
    fy = whole_number(fy_text)  # not isdigit: int("²") fails
    current = financial_year_of(today)
    if fy is None or not 2015 <= fy <= current + 1:
        check.add("financial_year", "Select the financial year the allocation is for")
    amount = check.money("amount", "the amount received", required=True)
    received_on = check.date("received_on", "the date received", required=False)
    _not_future(check, "received_on", received_on, today)
    note = check.free_text("note", label="Note", limit=500)
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
    changes = asdict(data)
    summary = f"Changed {label}"
    if existing.import_id is not None and not existing.override_reason:
        if data.amount != existing.amount:
            # From the ICB's payment schedule: the practice's own figure needs its reason.
            if not data.note.strip():
                raise FormErrors(
                    {
                        "note": "This allocation came from your ICB's HEP payment schedule. "
                        "Enter in the note why your figure differs from it"
                    }
                )
            changes |= {"override_reason": data.note, "published_amount": existing.amount}
            summary = f"Overrode the ICB's payment schedule for the {label}"
    elif existing.override_reason and data.amount == existing.published_amount:
        changes |= {"override_reason": None, "published_amount": None, "source": "hep_schedule"}
        summary = f"Went back to the ICB's payment schedule for the {label}"
    elif existing.override_reason and data.amount != existing.amount and data.note.strip():
        # Another figure of the practice's own: its note says why, as the first one's did.
        changes["override_reason"] = data.note
    return records.update_fields(
        session,
        user=user,
        record=existing,
        changes=changes,
        expected_version=expected_version,
        summary=summary,
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


def _share_mode(check: Collector) -> str:
    """How the form gave the HEP part: the web form has a box for an amount and one for a
    percentage (an older form and the offline workbook say which with `hep_mode`)."""
    amount, share = check.text("hep_amount"), check.text("hep_share")
    if amount and share:
        return "both"
    return "share" if share else "amount"


def clean_spend(
    raw: Mapping[str, Any],
    *,
    template: ChecklistTemplate,
    today: date,
    staffing_ids: set[int],
    intervention_ids: set[int],
) -> SpendInput:
    check = Collector(raw)
    spent_on = check.date("spent_on", "the date of the spending")
    _not_future(check, "spent_on", spent_on, today)
    categories = [c.id for c in template.spending_categories]
    category = check.choice("category", categories, "Select a category")
    description = check.free_text(
        "description",
        label="Description",
        limit=200,
        required="Enter a short description of what the money paid for",
    )
    total = check.money("total_cost", "the total cost", required=True)

    share_mode = check.text("hep_mode") or _share_mode(check)
    hep_amount = None
    if share_mode == "share":
        pct = check.percent("hep_share", "the HEP share", required=True)
        if pct is not None and total is not None:
            hep_amount = (total * pct / 100).quantize(PENNY, rounding=ROUND_HALF_UP)
    elif share_mode == "amount":
        hep_amount = check.money("hep_amount", "the HEP-funded amount", required=True)
        if hep_amount is not None and total is not None and hep_amount > total:
            check.add("hep_amount", "HEP-funded amount cannot be more than the total cost")
    elif share_mode == "both":
        check.add("hep_share", "Give an amount in pounds or a percentage, not both")
    else:
        check.add("hep_mode", "Select how you will give the HEP share")

    allowed_sources = [s.id for s in template.funding_sources if s.id != "hep"]
    ordered_sources = check.choices(
        "other_sources", allowed_sources, "Select funding sources from the list"
    )
    if hep_amount is not None and total is not None and hep_amount < total:
        if not check.many("other_sources"):
            check.add(
                "other_sources",
                "Select the other sources that paid the rest (HEP paid less than the total)",
            )
    recurrence = check.choice(
        "recurrence", RECURRENCE, "Select whether the spending is recurrent or one-off"
    )
    link_message = "Select one of your own records, or none"
    staffing_change_id = check.record_id("staffing_change_id", staffing_ids, link_message)
    intervention_id = check.record_id("intervention_id", intervention_ids, link_message)
    check.raise_if_any()
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
    check = Collector(raw)
    role = check.choice("role", [r.id for r in template.staffing_roles], "Select the role")
    change_type = check.choice(
        "change_type", [c.id for c in template.staffing_change_types], "Select the type of change"
    )
    wte_text = check.text("wte_change").replace(" ", "")
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
    starts_on = check.date("starts_on", "the start date")
    _not_future(check, "starts_on", starts_on, today)
    contract = check.choice("contract_type", CONTRACT_TYPES, "Select the contract type")
    ends_on = check.date("ends_on", "the end date", required=False)
    if contract == "fixed_term" and ends_on is None and "ends_on" not in check.errors:
        check.add("ends_on", "Enter the end date of the fixed-term post")
    if ends_on is not None and starts_on is not None and ends_on <= starts_on:
        check.add("ends_on", "End date must be after the start date")
    share = check.percent("hep_share_pct", "the HEP share of the cost", required=True)
    languages = check.free_text("languages", label="Community languages", limit=200)
    note = check.free_text("note", label="Note", limit=1000)
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
    check = Collector(raw)
    occurred_on = check.date("occurred_on", "the date it happened")
    _not_future(check, "occurred_on", occurred_on, today)
    title = check.free_text(
        "title",
        label="Title",
        limit=120,
        required="Enter a short title, like “Cloud telephony live”",
    )
    description = check.free_text("description", label="Description", limit=2000)
    affected = check.choices(
        "affected_items", [i.id for i in template.items], "Select figures from the list"
    )
    check.raise_if_any()
    return InterventionInput(occurred_on, title, description, affected)


# Sharing -----------------------------------------------------------------------------


def set_sharing(session: Session, *, user: User, practice, with_pcn: bool, with_icb: bool) -> bool:
    """Record the practice's choice to share its figures; True if anything changed."""
    if (practice.shares_with_pcn, practice.shares_with_icb) == (with_pcn, with_icb):
        return False
    records.update_fields(
        session,
        user=user,
        record=practice,
        changes={"shares_with_pcn": with_pcn, "shares_with_icb": with_icb},
        expected_version=None,
        summary="Changed who the practice's figures are shared with",
        part="practice_sharing",
    )
    return True
