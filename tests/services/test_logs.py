"""The rules for allocations, spending attribution, staffing and interventions."""

from datetime import date
from decimal import Decimal

import pytest

from monitor.config import PROJECT_ROOT
from monitor.core.checklist import RoleGroup, load_template
from monitor.core.inputs import FormErrors
from monitor.models import HepAllocation, SpendItem, StaffingChange
from monitor.services import logs

TEMPLATE = load_template(PROJECT_ROOT / "checklist_templates" / "hep-light-touch-v1.yaml")
TODAY = date(2026, 11, 23)


def spend(**overrides):
    raw = {
        "spent_on-day": "3",
        "spent_on-month": "9",
        "spent_on-year": "2025",
        "category": "telephony",
        "description": "Cloud telephony",
        "total_cost": "£10,000",
        "hep_mode": "amount",
        "hep_amount": "6,000",
        "other_sources": ["gms"],
        "recurrence": "recurrent",
        **overrides,
    }
    return logs.clean_spend(
        raw, template=TEMPLATE, today=TODAY, staffing_ids={7}, intervention_ids=set()
    )


def errors_of(call, **overrides) -> dict[str, str]:
    with pytest.raises(FormErrors) as error:
        call(**overrides)
    return error.value.errors


def test_spend_with_an_amount():
    data = spend()
    assert data.total_cost == Decimal("10000.00")
    assert data.hep_amount == Decimal("6000.00")
    assert data.other_sources == ["gms"]


def test_spend_with_a_share_is_converted_to_an_amount():
    data = spend(hep_mode="share", hep_share="62.5", hep_amount="")
    assert data.hep_amount == Decimal("6250.00")


def test_the_web_forms_two_boxes_say_which_way_the_hep_part_is_given():
    # The form has no hep_mode: a percentage alone is a share, an amount alone an amount.
    assert spend(hep_mode="", hep_share="62.5", hep_amount="").hep_amount == Decimal("6250.00")
    assert spend(hep_mode="", hep_share="", hep_amount="6000").hep_amount == Decimal("6000.00")
    errors = errors_of(spend, hep_mode="", hep_share="60", hep_amount="6000")
    assert errors == {"hep_share": "Give an amount in pounds or a percentage, not both"}
    errors = errors_of(spend, hep_mode="", hep_share="", hep_amount="")
    assert set(errors) == {"hep_amount"}


def test_hep_paying_everything_needs_no_other_sources():
    assert spend(hep_amount="10000", other_sources=[]).other_sources == []


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"hep_amount": "12,000"},
            "hep_amount",
            "HEP-funded amount cannot be more than the total cost",
        ),
        ({"total_cost": "-5"}, "total_cost", "The total cost cannot be negative"),
        ({"total_cost": "nan"}, "total_cost", "as an amount in pounds"),
        ({"total_cost": "inf"}, "total_cost", "as an amount in pounds"),
        ({"total_cost": ""}, "total_cost", "Enter the total cost"),
        ({"other_sources": []}, "other_sources", "Select the other sources that paid the rest"),
        ({"other_sources": ["hep"]}, "other_sources", "Select funding sources from the list"),
        ({"category": "crisps"}, "category", "Select a category"),
        ({"description": ""}, "description", "Enter a short description"),
        (
            {"spent_on-year": "2027", "spent_on-month": "5"},
            "spent_on",
            "Enter a date in the 2026/27 financial year or earlier",
        ),
        ({"spent_on-day": "31", "spent_on-month": "2"}, "spent_on", "must be a real date"),
        ({"hep_mode": "share", "hep_share": "120"}, "hep_share", "between 0 and 100"),
        ({"recurrence": ""}, "recurrence", "Select whether the spending is recurrent"),
        ({"staffing_change_id": "8"}, "staffing_change_id", "Select one of your own records"),
    ],
)
def test_spend_rules(overrides, field, message):
    errors = errors_of(spend, **overrides)
    assert message in errors[field]


def test_every_bad_field_is_reported_at_once():
    errors = errors_of(spend, category="", description="", total_cost="")
    assert set(errors) >= {"category", "description", "total_cost"}


def test_spend_summary_attributes_hep_against_the_allocation():
    items = [
        SpendItem(
            practice_id=1,
            spent_on=date(2025, 5, 1),
            category="telephony",
            description="a",
            total_cost=Decimal(10000),
            hep_amount=Decimal(6000),
            recurrence="recurrent",
        ),
        SpendItem(
            practice_id=1,
            spent_on=date(2026, 3, 31),
            category="clinical_staff",
            description="b",
            total_cost=Decimal(30000),
            hep_amount=Decimal(30000),
            recurrence="recurrent",
        ),
        SpendItem(
            practice_id=1,
            spent_on=date(2026, 4, 1),
            category="telephony",
            description="next year",
            total_cost=Decimal(999),
            hep_amount=Decimal(999),
            recurrence="one_off",
        ),
    ]
    allocations = [HepAllocation(practice_id=1, financial_year=2025, amount=Decimal(40000))]
    summary = logs.spend_summary(items, allocations, template=TEMPLATE, financial_year=2025)
    assert summary.hep_total == Decimal(36000)
    assert summary.total == Decimal(40000)
    assert summary.remainder == Decimal(4000)
    assert [c.label for c in summary.by_category] == [
        "Additional clinical staff",
        "Telephony and call handling",
    ]
    over = logs.spend_summary(
        items,
        [HepAllocation(practice_id=1, financial_year=2025, amount=Decimal(30000))],
        template=TEMPLATE,
        financial_year=2025,
    )
    assert over.remainder == Decimal(-6000)


def test_allocation_history_shows_year_on_year_change():
    rows = logs.allocation_history(
        [
            HepAllocation(practice_id=1, financial_year=2022, amount=Decimal(40000)),
            HepAllocation(practice_id=1, financial_year=2023, amount=Decimal(50000)),
            HepAllocation(practice_id=1, financial_year=2025, amount=Decimal(45000)),
        ]
    )
    assert [r.allocation.financial_year for r in rows] == [2025, 2023, 2022]
    assert rows[1].change == Decimal(10000) and rows[1].change_pct == 25.0
    assert rows[0].change is None  # 2024/25 missing: no like-for-like change
    assert rows[2].change is None


def staffing(**overrides):
    raw = {
        "role": "care_navigator",
        "change_type": "new_post",
        "wte_change": "+0.6",
        "starts_on-day": "1",
        "starts_on-month": "10",
        "starts_on-year": "2025",
        "contract_type": "permanent",
        "hep_share_pct": "100",
        **overrides,
    }
    return logs.clean_staffing(raw, template=TEMPLATE, today=TODAY)


def test_staffing_change_reads_signed_wte():
    assert staffing().wte_change == Decimal("0.60")
    assert staffing(change_type="post_ended", wte_change="-1").wte_change == Decimal("-1.00")


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"contract_type": "fixed_term"}, "ends_on", "Enter the end date of the fixed-term post"),
        (
            {
                "contract_type": "fixed_term",
                "ends_on-day": "1",
                "ends_on-month": "9",
                "ends_on-year": "2025",
            },
            "ends_on",
            "End date must be after the start date",
        ),
        ({"wte_change": "lots"}, "wte_change", "as a number"),
        ({"change_type": "post_ended", "wte_change": "1"}, "wte_change", "negative number"),
        ({"wte_change": "-0.5"}, "wte_change", "positive number"),
        ({"hep_share_pct": "101"}, "hep_share_pct", "between 0 and 100"),
        ({"role": "wizard"}, "role", "Select the role"),
        ({"starts_on-year": "2028"}, "starts_on", "2026/27 financial year or earlier"),
    ],
)
def test_staffing_rules(overrides, field, message):
    assert message in errors_of(staffing, **overrides)[field]


def test_staffing_summary_nets_wte_by_role_group_and_hep_share():
    changes = [
        StaffingChange(
            practice_id=1,
            role="care_navigator",
            change_type="new_post",
            wte_change=Decimal("1.0"),
            starts_on=date(2025, 6, 1),
            contract_type="permanent",
            hep_share_pct=Decimal(100),
        ),
        StaffingChange(
            practice_id=1,
            role="anp",
            change_type="new_post",
            wte_change=Decimal("0.8"),
            starts_on=date(2025, 9, 1),
            contract_type="permanent",
            hep_share_pct=Decimal(50),
        ),
        StaffingChange(
            practice_id=1,
            role="practice_nurse",
            change_type="post_ended",
            wte_change=Decimal("-0.4"),
            starts_on=date(2026, 1, 1),
            contract_type="permanent",
            hep_share_pct=Decimal(0),
        ),
        StaffingChange(
            practice_id=1,
            role="receptionist",
            change_type="new_post",
            wte_change=Decimal("1"),
            starts_on=date(2024, 6, 1),
            contract_type="permanent",
            hep_share_pct=Decimal(100),
        ),
    ]
    summary = {
        row.group: row
        for row in logs.staffing_summary(changes, template=TEMPLATE, financial_year=2025)
    }
    assert summary[RoleGroup.CLINICAL].net_wte == Decimal("0.40")
    assert summary[RoleGroup.CLINICAL].hep_funded_wte == Decimal("0.40")
    assert summary[RoleGroup.ADMIN].net_wte == Decimal("1.00")
    assert summary[RoleGroup.ADMIN].hep_share_pct == 100.0


def test_intervention_rules():
    raw = {
        "occurred_on-day": "4",
        "occurred_on-month": "9",
        "occurred_on-year": "2023",
        "title": "Cloud telephony live",
        "affected_items": ["calls_abandoned_pct", "call_answer_time"],
    }
    data = logs.clean_intervention(raw, template=TEMPLATE, today=TODAY)
    assert data.affected_items == ["call_answer_time", "calls_abandoned_pct"]  # template order
    with pytest.raises(FormErrors) as error:
        logs.clean_intervention(
            {**raw, "title": "", "affected_items": ["nope"]}, template=TEMPLATE, today=TODAY
        )
    assert set(error.value.errors) == {"title", "affected_items"}
