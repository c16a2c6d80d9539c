"""A practice manager records a month, adds spending and a staffing change; a viewer
sees the same pages without edit controls."""

from playwright.sync_api import expect

from monitor.demo import DEMO_PASSWORD
from tests.browser.conftest import sign_in

EDITOR = "pm@highfields.example"
VIEWER = "viewer@highfields.example"


def test_editor_records_a_month_fixing_one_invalid_value(page):
    sign_in(page, EDITOR, DEMO_PASSWORD)
    page.get_by_role("link", name="Figures", exact=True).click()
    page.get_by_role("link", name="October 2025").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("October 2025")
    page.get_by_label("Average time to answer calls").fill("2:30")
    page.get_by_label("Calls abandoned").fill("140")
    page.get_by_label("Inbound calls").fill("6,100")
    page.get_by_role("button", name="Save figures").click()

    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Calls abandoned: 140% is more than 100%")
    expect(page.locator("#calls_abandoned_pct-error")).to_contain_text("140% is more than 100%")
    expect(page.get_by_label("Inbound calls")).to_have_value("6,100")  # kept, not saved

    page.get_by_label("Calls abandoned").fill("7.5")
    page.get_by_role("button", name="Save figures").click()
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text("October 2025 figures saved")
    row = page.locator("tr", has_text="October 2025")
    expect(row).to_contain_text("Complete")
    page.get_by_role("link", name="October 2025").click()
    expect(page.get_by_label("Calls abandoned")).to_have_value("7.5")
    assert page.console_errors == []


def hep_total(page, category: str) -> int:
    row = page.locator("#category-totals tr", has_text=category)
    if row.count() == 0:
        return 0
    return int(row.locator("td").first.inner_text().replace("£", "").replace(",", ""))


def test_editor_adds_spending_with_a_hep_share_and_sees_the_category_total(page):
    sign_in(page, EDITOR, DEMO_PASSWORD)
    page.get_by_role("link", name="Spending", exact=True).click()
    expect(page.locator("#category-totals")).to_be_visible()  # the page has loaded
    before = hep_total(page, "Interpreting and language support")
    page.get_by_role("button", name="Add spending").click()
    page.locator("#spent_on-day").fill("12")
    page.locator("#spent_on-month").fill("5")
    page.locator("#spent_on-year").fill("2026")
    page.get_by_label("Category").select_option(label="Interpreting and language support")
    page.get_by_label("What it paid for").fill("Gujarati and Punjabi interpreting sessions")
    page.get_by_label("Total cost", exact=True).fill("4,000")
    page.get_by_label("Or a percentage of the total cost").fill("75")
    page.get_by_label("Core contract (GMS or global sum)").check()
    page.get_by_label("One-off").check()
    page.get_by_role("button", name="Save spending").click()

    expect(page.locator(".nhsuk-notification-banner")).to_contain_text("Spending item added")
    assert hep_total(page, "Interpreting and language support") == before + 3000
    expect(page.locator("#spend-items")).to_contain_text(
        "Gujarati and Punjabi interpreting sessions"
    )


def test_editor_adds_a_staffing_change(page):
    sign_in(page, EDITOR, DEMO_PASSWORD)
    page.get_by_role("link", name="Staffing", exact=True).click()
    page.get_by_role("button", name="Add a staffing change").click()
    page.get_by_label("Role").select_option(label="Care navigator")
    page.get_by_label("New post").check()
    page.get_by_label("Change in whole-time equivalent (WTE)").fill("0.8")
    page.locator("#starts_on-day").fill("1")
    page.locator("#starts_on-month").fill("7")
    page.locator("#starts_on-year").fill("2026")
    page.get_by_label("Fixed term").check()
    page.get_by_label("Share of the cost paid by HEP").fill("100")
    page.get_by_label("Community languages offered (optional)").fill("Gujarati, Somali")
    page.get_by_role("button", name="Save staffing change").click()
    # A fixed-term post needs its end date: the form says so next to the field.
    expect(page.locator("#ends_on-error")).to_contain_text("Enter the end date")
    page.locator("#ends_on-day").fill("30")
    page.locator("#ends_on-month").fill("6")
    page.locator("#ends_on-year").fill("2027")
    page.get_by_role("button", name="Save staffing change").click()
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text("Staffing change added")
    expect(page.locator("#staffing-changes")).to_contain_text("Care navigator")
    expect(page.locator("#wte-summary tr", has_text="Admin and non-clinical")).to_contain_text(
        "+0.80"
    )


def test_viewer_sees_the_same_pages_without_edit_controls(page):
    sign_in(page, VIEWER, DEMO_PASSWORD)
    for name in ("Spending", "Staffing", "HEP allocations", "Interventions"):
        page.get_by_role("link", name=name, exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        expect(page.get_by_role("button", name="Add", exact=False)).to_have_count(0)
        expect(page.get_by_role("link", name="Change")).to_have_count(0)
    page.get_by_role("link", name="Figures", exact=True).click()
    page.get_by_role("link", name="October 2025").click()
    expect(page.get_by_role("button", name="Save figures")).to_have_count(0)
    expect(page.locator(".nhsuk-summary-list").first).to_be_visible()
