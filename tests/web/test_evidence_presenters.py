"""The wording of the evidence pages: chart alt text and chart-control options."""

from datetime import date
from decimal import Decimal

from monitor.models import Intervention
from monitor.services.logs import CategoryTotal, SpendSummary
from monitor.web.presenters import evidence as text


def year_row(fy: int, allocation, hep_spend) -> dict:
    return {
        "fy": fy,
        "label": f"{fy}/{(fy + 1) % 100:02d}",
        "allocation": None if allocation is None else Decimal(allocation),
        "hep_spend": Decimal(hep_spend),
    }


def summary(*categories: tuple[str, int]) -> SpendSummary:
    by_category = [
        CategoryTotal(label.lower(), label, Decimal(h), Decimal(h)) for label, h in categories
    ]
    total = sum((c.hep for c in by_category), Decimal(0))
    return SpendSummary(2025, by_category, total, total, None)


def test_allocation_alt_says_when_no_allocation_is_recorded():
    assert text.allocation_alt([year_row(2025, None, 0)]) == (
        "Bar chart of HEP allocation and HEP-attributed spend: no allocations recorded."
    )


def test_allocation_alt_for_one_year_gives_its_allocation_and_spend():
    assert text.allocation_alt([year_row(2025, 48000, 6000)]) == (
        "Bar chart of HEP allocation and HEP-attributed spend by financial year, "
        "2025/26 to 2025/26. In 2025/26 the allocation was £48,000 and HEP-attributed "
        "spend £6,000. The table below gives every figure."
    )


def test_allocation_alt_for_many_years_spans_them_and_gives_the_latest_allocation():
    rows = [year_row(2023, 40000, 1000), year_row(2024, 44000, 2000), year_row(2025, None, 500)]
    assert text.allocation_alt(rows) == (
        "Bar chart of HEP allocation and HEP-attributed spend by financial year, "
        "2023/24 to 2025/26. In 2024/25 the allocation was £44,000 and HEP-attributed "
        "spend £2,000. The table below gives every figure."
    )


def test_category_alt_says_when_there_is_no_spending():
    assert text.category_alt(summary(), 2025) == (
        "Bar chart of HEP-attributed spend by category in 2025/26: none."
    )


def test_category_alt_for_one_category_names_it_and_the_total():
    alt = text.category_alt(summary(("Telephony", 6000)), 2025)
    assert alt.startswith("Bar chart of HEP-attributed spend by category in 2025/26: ")
    assert alt.endswith(
        "largest Telephony at £6,000, total £6,000. The table below gives every figure."
    )


def test_category_alt_for_many_categories_counts_them_and_names_the_largest():
    alt = text.category_alt(summary(("Clinical staff", 9000), ("Telephony", 6000)), 2025)
    assert alt == (
        "Bar chart of HEP-attributed spend by category in 2025/26: 2 categories, largest "
        "Clinical staff at £9,000, total £15,000. The table below gives every figure."
    )


def test_category_chart_title_names_the_year():
    assert text.category_chart_title(2024) == "HEP-attributed spend by category, 2024/25"


def test_baseline_options_start_with_default_and_select_the_chosen_year():
    items = text.baseline_items([(2023, "2023/24"), (2024, "2024/25")], 2024)
    assert items == [
        {"value": "", "text": "Default"},
        {"value": "2023", "text": "2023/24", "selected": False},
        {"value": "2024", "text": "2024/25", "selected": True},
    ]


def test_intervention_options_name_each_by_title_and_date():
    events = [
        Intervention(id=1, title="Cloud telephony live", occurred_on=date(2023, 9, 4)),
        Intervention(id=2, title="Evening clinics", occurred_on=date(2026, 6, 1)),
    ]
    assert text.intervention_items(events, 2) == [
        {"value": "1", "text": "Cloud telephony live (04/09/2023)", "selected": False},
        {"value": "2", "text": "Evening clinics (01/06/2026)", "selected": True},
    ]
    assert [i["checked"] for i in text.rebase_items(events, {1})] == [True, False]


def test_two_in_three_options_check_the_chosen_variant():
    items = text.two_in_three_items({"off": "Off", "on": "On"}, "on")
    assert items == [
        {"value": "off", "text": "Off", "checked": False},
        {"value": "on", "text": "On", "checked": True},
    ]
