"""The wording of a practice's record pages, without HTTP."""

from datetime import date
from decimal import Decimal

from monitor.config import PROJECT_ROOT
from monitor.core.checklist import load_template
from monitor.models import HepAllocation, Intervention, SpendItem, StaffingChange
from monitor.services.records import SaveResult
from monitor.web.presenters import practice as text

TEMPLATE = load_template(PROJECT_ROOT / "checklist_templates" / "hep-light-touch-v1.yaml")


def test_saving_a_period_with_no_changes_says_nothing_changed():
    assert text.figures_saved("October 2025", SaveResult()) == "No changes to October 2025 figures."


def test_saving_one_figure_counts_it():
    result = SaveResult(added=["Inbound calls"])
    assert text.figures_saved("October 2025", result) == "October 2025 figures saved: added 1."


def test_saving_many_figures_counts_each_kind_of_change_in_order():
    result = SaveResult(added=["a", "b"], changed=["c"], removed=["d", "e", "f"])
    assert text.figures_saved("October 2025", result) == (
        "October 2025 figures saved: added 2, changed 1, removed 3."
    )


def test_saving_only_changes_leaves_out_the_verbs_that_did_not_happen():
    result = SaveResult(changed=["a", "b"])
    assert text.figures_saved("2025/26 Q2", result) == "2025/26 Q2 figures saved: changed 2."


def test_a_record_change_flash_starts_with_the_capitalised_noun():
    assert text.record_done("spending item", "added", "Cloud telephony (03/09/2025)") == (
        "Spending item added: Cloud telephony (03/09/2025)."
    )
    assert text.record_done("HEP allocation", "deleted", "2025/26") == (
        "HEP allocation deleted: 2025/26."
    )


def test_conflict_messages_name_the_kind_of_record():
    assert text.deleted_meanwhile("staffing change") == (
        "That staffing change was deleted by someone else."
    )
    assert text.not_deleted_after_change("intervention") == (
        "Someone else changed this intervention after you opened it, so it was not deleted. "
        "Check it and try again."
    )


def test_each_log_record_is_named_by_what_a_practice_recognises():
    spend = SpendItem(description="Cloud telephony", spent_on=date(2025, 9, 3))
    event = Intervention(title="Evening clinics", occurred_on=date(2026, 6, 1))
    allocation = HepAllocation(financial_year=2025, amount=Decimal(48000))
    assert text.spend_label(spend) == "Cloud telephony (03/09/2025)"
    assert text.intervention_label(event) == "“Evening clinics” (01/06/2026)"
    assert text.allocation_label(allocation) == "2025/26"


def test_a_staffing_change_is_named_by_its_role_label_or_its_code_when_unknown():
    known = StaffingChange(role="anp", starts_on=date(2026, 6, 1))
    retired = StaffingChange(role="no_longer_offered", starts_on=date(2026, 6, 1))
    assert text.staffing_label(known, TEMPLATE) == "Advanced nurse practitioner (01/06/2026)"
    assert text.staffing_label(retired, TEMPLATE) == "no_longer_offered (01/06/2026)"


def test_an_edit_form_opens_with_money_and_numbers_as_people_type_them():
    spend = SpendItem(
        spent_on=date(2025, 9, 3),
        category="telephony",
        description="Cloud telephony",
        total_cost=Decimal("12345.50"),
        hep_amount=Decimal("6000.00"),
        other_sources=["gms"],
        recurrence="one_off",
    )
    values = text.spend_values(spend)
    assert values["total_cost"] == "12,345.50"
    assert values["hep_amount"] == "6,000"
    assert (values["spent_on-day"], values["spent_on-month"], values["spent_on-year"]) == (
        "3",
        "9",
        "2025",
    )
    assert values["staffing_change_id"] == "" and values["other_sources"] == ["gms"]
    change = StaffingChange(
        role="anp",
        change_type="post_ended",
        wte_change=Decimal("-1.00"),
        starts_on=date(2026, 6, 1),
        contract_type="permanent",
        hep_share_pct=Decimal("37.50"),
    )
    values = text.staffing_values(change)
    assert values["wte_change"] == "-1"
    assert values["hep_share_pct"] == "37.5"
    assert "ends_on-day" not in values


def test_year_links_run_from_this_year_back_four_years_newest_first():
    links = text.year_links(2025, lambda fy: f"/spending?year={fy}")
    assert links[0] == ("/spending?year=2025", "2025/26", 2025)
    assert [label for _, label, _ in links] == [
        "2025/26",
        "2024/25",
        "2023/24",
        "2022/23",
        "2021/22",
    ]


def test_allocation_years_run_from_next_year_back_seven_years():
    options = text.year_options(2025)
    assert options[0] == ("2026", "2026/27")
    assert options[-1] == ("2018", "2018/19")
    assert len(options) == 9


def test_sharing_flash_says_whether_anything_changed():
    assert text.sharing_saved(True) == "Sharing choices saved."
    assert text.sharing_saved(False) == "Sharing choices unchanged."


def test_every_practice_record_kind_has_a_noun_for_its_history_page():
    from monitor.services.records import PRACTICE_RECORD_TYPES

    assert set(text.RECORD_NOUNS) == set(PRACTICE_RECORD_TYPES)
