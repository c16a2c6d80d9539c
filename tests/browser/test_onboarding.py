"""An administrator updates the ICB's organisations from NHS files, in Chromium."""

from __future__ import annotations

from playwright.sync_api import expect

from monitor.demo import DEMO_PASSWORD
from tests.browser.conftest import sign_in
from tests.published_files import OPENDATA

ADMIN = "admin@icb.example"

# SYNTHETIC: a GPAD Mapping.csv in the published layout placing two fictional practices
# in the demo ICB (QZ9), one in a demo PCN and one in a new PCN. The real excerpts are
# LLR's (QK1), so on their own they would place no practice in the demo ICB.
SYNTHETIC_MAPPING = (
    "GP_CODE,GP_NAME,SUPPLIER,PCN_CODE,PCN_NAME,SUB_ICB_LOCATION_CODE,"
    "SUB_ICB_LOCATION_NAME,ICB_CODE,ICB_NAME,REGION_CODE,REGION_NAME\n"
    "Z00011,WREAKE VALLEY SURGERY,EMIS,U99003,Rutland and Wolds PCN,Z9A,"
    "NHS Soar Valley ICB - Z9A,QZ9,NHS Soar Valley Integrated Care Board (demo),Y60,Midlands\n"
    "Z00012,FOSSE WAY PRACTICE,TPP,U99004,Fosse Way PCN,Z9A,"
    "NHS Soar Valley ICB - Z9A,QZ9,NHS Soar Valley Integrated Care Board (demo),Y60,Midlands\n"
)


def test_admin_uploads_nhs_files_checks_the_changes_and_sees_the_new_practices(page, tmp_path):
    mapping = tmp_path / "Mapping.csv"
    mapping.write_text(SYNTHETIC_MAPPING, encoding="utf-8")
    files = [
        OPENDATA / "cbt_publication_summary_feb2026_LLR_excerpt.xlsx",
        OPENDATA / "gp_registered_patients_feb2026_LLR.csv",
        mapping,
    ]

    sign_in(page, ADMIN, DEMO_PASSWORD)
    page.get_by_role("link", name="Organisations", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Organisations")
    expect(page.locator("#practice-table")).to_contain_text("Highfields Medical Centre")
    page.get_by_role("button", name="Update from NHS files").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Update from NHS files")
    # The file input itself, whether or not the NHS script has dressed it up yet.
    page.locator("input[type=file][name=files]").set_input_files([str(f) for f in files])
    page.get_by_role("button", name="Upload and check").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check the changes before updating")
    summary = page.locator("#plan-summary")
    expect(summary).to_contain_text("Practices created: 2")
    expect(summary).to_contain_text("PCNs created: 1")
    # The LLR files speak of another ICB's practices: counted, never listed.
    expect(summary).to_contain_text("in other ICBs (not listed)")
    changes = page.locator("#changes")
    expect(changes).to_contain_text("Wreake Valley Surgery")
    expect(changes).to_contain_text("Fosse Way PCN")
    expect(changes).not_to_contain_text("Long Clawson")
    page.get_by_role("button", name="Confirm and update").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Organisations")
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text("Practices created: 2")
    practices = page.locator("#practice-table")
    row = practices.get_by_role("row").filter(has_text="Z00012")
    expect(row).to_contain_text("Fosse Way Practice")
    expect(row).to_contain_text("Fosse Way PCN")
    expect(row).to_contain_text("GP appointments (GPAD) Mapping.csv")
    expect(practices).to_contain_text("Wreake Valley Surgery")
    expect(page.locator("#pcn-table")).to_contain_text("Fosse Way PCN")
    assert page.console_errors == []


def test_organisations_reads_at_375px(chromium, live_server):
    context = chromium.new_context(base_url=live_server, viewport={"width": 375, "height": 800})
    page = context.new_page()
    try:
        sign_in(page, ADMIN, DEMO_PASSWORD)
        page.goto("/admin/organisations")
        row = page.locator("#practice-table tbody tr").first
        # Narrow screens stack each row, every value under its column's heading.
        expect(row.locator(".nhsuk-table__heading").first).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375
    finally:
        context.close()
