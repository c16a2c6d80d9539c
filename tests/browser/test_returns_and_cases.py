"""Voluntary returns and case examples in Chromium: a practice manager completes the task
list and submits; the ICB analyst sees it in completeness and the workbook; the practice
withdraws and the ICB stops seeing it. A PCN lead sees a case example a member practice
shared with the PCN, and not a private one."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from monitor.demo import DEMO_PASSWORD, PRACTICES
from monitor.demo.returns import OPEN_SUBMITTED
from monitor.exporters.icb_workbook import TIDY
from monitor.services.collections import DECLARATION
from monitor.services.icb_views import TIDY_HEADER
from tests.browser.conftest import sign_in

EDITOR = "pm@highfields.example"
ANALYST = "analyst@icb.example"
PCN_LEAD = "lead@riverside-pcn.example"
PRACTICE = "Highfields Medical Centre"
ODS = "Z00001"
PCN = "Riverside City PCN"
# Practices in Highfields' PCN that had already submitted the open demo collection.
PCN_SUBMITTED_BEFORE = sum(
    1 for ods, _, pcn, *_ in PRACTICES if pcn == "U99001" and ods in OPEN_SUBMITTED
)

SECTIONS = (
    "Access and telephony",
    "Appointments",
    "Patient experience",
    "Screening, immunisation and health checks",
    "Workforce",
)
# The demo leaves Highfields' last month of the quarter and its quarterly figures blank.
MONTH_FIGURES = {
    "Average time to answer calls": "1:38",
    "Calls abandoned": "4.9",
    "Inbound calls": "6,350",
    "Appointments attended": "5,810",
    "Face-to-face appointments": "68.4",
    "Home visits": "17",
    "Friends and Family Test positive": "84.6",
    "Friends and Family Test responses": "124",
}
QUARTER_FIGURES = {
    "Cervical screening coverage (25 to 49)": "58.9",
    "Bowel screening coverage (60 to 74)": "61.3",
    "Breast screening coverage (50 to 70)": "59.0",
    "Childhood immunisation (MMR1 at 24 months)": "85.1",
    "Learning disability health checks completed": "27.5",
    "Staff leavers": "1",
}


def more_menu(page: Page, name: str) -> None:
    """Follow a link the header keeps under "More" at this width."""
    page.get_by_role("button", name="More").click()
    page.get_by_role("link", name=name, exact=True).click()


def open_task_list(page: Page) -> None:
    more_menu(page, "Returns to the ICB")
    page.get_by_role("table", name="Open collections").get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=2, name="Check your figures")).to_be_visible()


def task(page: Page, section: str):
    return page.locator(".nhsuk-task-list__item", has_text=section)


def fill_figures(page: Page, figures: dict[str, str]) -> None:
    for label, value in figures.items():
        page.get_by_label(label).fill(value)
    page.get_by_role("button", name="Save figures").click()
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text("figures saved")


def open_completeness(page: Page, collection: str) -> None:
    page.get_by_role("link", name="Collections", exact=True).click()
    page.get_by_role("link", name=collection, exact=True).click()
    page.get_by_role("link", name="Completeness by PCN").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Completeness")


def practice_row(page: Page):
    practices = page.get_by_role("table", name=f"Practices in {PCN} and the state of their return")
    return practices.get_by_role("row").filter(has=page.get_by_role("cell", name=ODS, exact=True))


def pcn_submitted(page: Page):
    return page.locator("#completeness-by-pcn tr", has_text=PCN).locator("td").first


def tidy_rows(page: Page) -> list[dict]:
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the ICB workbook (Excel)").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    book = openpyxl.load_workbook(io.BytesIO(download.path().read_bytes()))
    sheet = book[TIDY]
    header, *rows = sheet.iter_rows(values_only=True)
    assert header == TIDY_HEADER
    return [dict(zip(header, row, strict=True)) for row in rows]


def test_practice_submits_the_icb_sees_it_the_practice_withdraws_and_the_icb_stops_seeing_it(
    page, second_page
):
    sign_in(page, EDITOR, DEMO_PASSWORD)
    open_task_list(page)
    collection = page.get_by_role("heading", level=1).inner_text()
    for section in SECTIONS:
        expect(task(page, section)).to_contain_text(re.compile("In progress|Not started"))
    expect(task(page, "Review and submit").locator(".nhsuk-tag")).to_have_text("In progress")

    # The monthly sections link to the month still to do, the others to the quarter.
    task(page, "Access and telephony").get_by_role("link").click()
    fill_figures(page, MONTH_FIGURES)
    # Saving a section opened from the task list comes back to the task list.
    expect(page.get_by_role("heading", level=2, name="Check your figures")).to_be_visible()
    for section in SECTIONS[:3]:
        expect(task(page, section)).to_contain_text("Completed")
    task(page, "Screening, immunisation and health checks").get_by_role("link").click()
    fill_figures(page, QUARTER_FIGURES)
    for section in SECTIONS:
        expect(task(page, section)).to_contain_text("Completed")
    expect(task(page, "Review and submit").locator(".nhsuk-tag")).to_have_text("Ready to submit")

    task(page, "Review and submit").get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review and submit")
    bowel = page.locator(".nhsuk-summary-list__row", has_text="Bowel screening coverage")
    expect(bowel.locator(".nhsuk-summary-list__value")).to_have_text("61.3%")
    expect(bowel.get_by_role("link", name=re.compile("^Change"))).to_be_visible()
    expect(page.locator("#declaration")).to_have_text(DECLARATION)
    assert DECLARATION == (
        "This return is voluntary. The ICB will see these figures for your practice."
    )
    page.get_by_role("button", name="Submit return").click()
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text("Return submitted")
    expect(page.get_by_role("heading", level=1)).to_have_text(collection)
    expect(task(page, "Review and submit").locator(".nhsuk-tag")).to_have_text("Submitted")
    expect(page.locator("main")).to_contain_text("You submitted this return on")

    analyst = second_page
    sign_in(analyst, ANALYST, DEMO_PASSWORD)
    open_completeness(analyst, collection)
    expect(practice_row(analyst).locator(".nhsuk-tag")).to_have_text("Submitted")
    expect(practice_row(analyst).get_by_role("cell").first).to_have_text(PRACTICE)
    expect(pcn_submitted(analyst)).to_have_text(str(PCN_SUBMITTED_BEFORE + 1))
    ours = [row for row in tidy_rows(analyst) if row["ODS code"] == ODS]
    bowel_rows = [r for r in ours if r["Metric id"] == "bowel_screening_pct"]
    assert [r["Value"] for r in bowel_rows] == [pytest.approx(61.3)]
    assert bowel_rows[0]["Practice"] == PRACTICE
    assert bowel_rows[0]["PCN"] == PCN
    assert any(r["Metric id"] == "home_visits" and r["Value"] == 17 for r in ours)

    open_task_list(page)
    page.get_by_role("button", name="Withdraw return").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Withdraw your return?")
    page.get_by_role("button", name="Yes, withdraw the return").click()
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text("The ICB no longer sees it")
    expect(page.locator("main")).to_contain_text("You withdrew this return on")
    expect(task(page, "Review and submit").locator(".nhsuk-tag")).to_have_text("Withdrawn")

    analyst.reload()
    expect(practice_row(analyst).locator(".nhsuk-tag")).to_have_text("Withdrawn")
    expect(pcn_submitted(analyst)).to_have_text(str(PCN_SUBMITTED_BEFORE))
    assert not [row for row in tidy_rows(analyst) if row["ODS code"] == ODS]
    assert page.console_errors == []
    assert analyst.console_errors == []


def test_pcn_lead_sees_a_case_example_shared_with_the_pcn_and_not_a_private_one(page):
    # Highfields writes a case example and keeps it private (the default).
    sign_in(page, EDITOR, DEMO_PASSWORD)
    more_menu(page, "Case examples")
    page.get_by_role("button", name="Write a case example").click()
    page.get_by_label("Title").fill("Text reminders for flu clinics")
    page.get_by_label("The problem and who it affected").fill(
        "Few people aged 65 and over booked flu vaccination when we only wrote to them."
    )
    page.get_by_label("What we did").fill("We sent text reminders in three languages.")
    expect(page.get_by_label("Private")).to_be_checked()
    page.get_by_role("button", name="Save case example").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Text reminders for flu clinics")
    private_url = page.url
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, PCN_LEAD, DEMO_PASSWORD)
    page.get_by_role("link", name="Shared case examples", exact=True).click()
    listed = page.locator("main table")
    expect(listed.get_by_role("link", name="Cloud telephony with call-back")).to_be_visible()
    expect(listed).not_to_contain_text("Text reminders for flu clinics")
    # Belgrave Road, another member practice, keeps its demo case example private.
    expect(listed).not_to_contain_text("Proactive housebound visits")

    listed.get_by_role("link", name="Cloud telephony with call-back").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cloud telephony with call-back")
    expect(page.locator("main")).to_contain_text("Shared with the PCN")
    chart = page.get_by_role("img", name=re.compile("^SPC chart of Average time to answer calls"))
    expect(chart).to_have_count(1)
    expect(chart).to_have_attribute("alt", re.compile(r"the latest value is \d+:\d\d"))
    chart.scroll_into_view_if_needed()
    expect(chart).to_have_js_property("complete", True)
    assert chart.evaluate("img => img.naturalWidth") > 0

    response = page.goto(private_url)
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    expect(page.locator("main")).not_to_contain_text("Text reminders for flu clinics")
    assert page.console_errors == []
