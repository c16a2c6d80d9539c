"""The demo practice's telephony change, as a practice manager would look for it."""

from pathlib import Path

from playwright.sync_api import expect

from monitor.demo import DEMO_PASSWORD
from tests.browser.conftest import sign_in

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def test_call_wait_chart_shows_the_telephony_change_and_its_evidence(page):
    sign_in(page, "pm@highfields.example", DEMO_PASSWORD)
    page.get_by_role("link", name="Dashboard", exact=True).click()
    card = page.locator(".app-metric-card", has_text="Average time to answer calls")
    expect(card).to_contain_text("has improved")
    card.get_by_role("link", name="Average time to answer calls").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Average time to answer calls")
    chart = page.locator("img.app-chart__image")
    assert chart.get_attribute("alt").startswith("SPC chart of Average time to answer calls")
    chart.scroll_into_view_if_needed()
    page.wait_for_load_state("load")
    assert chart.evaluate("img => img.complete && img.naturalWidth") > 0  # the chart loaded

    markers = page.locator("h2:has-text('Interventions marked') + ul")
    expect(markers).to_contain_text("Cloud telephony with call-back live")
    before_after = page.locator("#before-after + p + dl")
    expect(before_after).to_contain_text("Yes: improvement")
    expect(page.locator("#before-after + p")).to_contain_text("Cloud telephony with call-back")
    # The telephony change is sustained, so the chart has a second phase from October 2023.
    expect(page.locator("#rebase-note")).to_contain_text(
        "recalculates its mean and limits from October 2023"
    )
    expect(page.locator("#latest-against-baseline")).to_contain_text("compared with the 2021/22")
    expect(page.locator("#icons")).to_contain_text("Variation (latest point)")
    table = page.locator("#chart-data")
    expect(table).to_be_visible()
    expect(table.locator("tbody tr").first).to_contain_text("2026")
    assert table.locator("tbody tr").count() >= 60

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "metric-call-wait.png"), full_page=False)
    chart.screenshot(path=str(ARTIFACTS / "chart-call-wait.png"))
    assert page.console_errors == []
