"""A practice manager completes a period through the spreadsheet and downloads the
impact summary, in Chromium."""

import io

import openpyxl
from playwright.sync_api import expect
from pypdf import PdfReader

from monitor.demo import DEMO_PASSWORD
from monitor.exporters.offline_workbook import FIGURES_SHEET, INPUT_COLUMN
from tests.browser.conftest import sign_in

EDITOR = "pm@highfields.example"


def test_manager_downloads_the_offline_workbook_corrects_it_and_uploads_it(page, tmp_path):
    sign_in(page, EDITOR, DEMO_PASSWORD)
    page.get_by_role("link", name="Figures", exact=True).click()
    page.get_by_role("link", name="October 2025").click()
    with page.expect_download() as download_info:
        page.locator("#spreadsheet-links").get_by_role("link", name="with your figures").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    path = tmp_path / download.suggested_filename
    download.save_as(path)

    book = openpyxl.load_workbook(path)
    sheet = book[FIGURES_SHEET]
    rows = {sheet.cell(row=r, column=1).value: r for r in range(1, sheet.max_row + 1)}
    sheet.cell(row=rows["calls_abandoned_pct"], column=INPUT_COLUMN).value = 6.4
    sheet.cell(row=rows["home_visits"], column=INPUT_COLUMN).value = "31"
    book.save(path)

    page.locator("#spreadsheet-links").get_by_role("link", name="upload it").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Upload October 2025 figures")
    # The file input itself, whether or not the NHS script has dressed it up yet.
    page.locator("input[type=file][name=file]").set_input_files(str(path))
    page.get_by_role("button", name="Upload").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Uploaded October 2025 figures")
    changed = page.locator("main")
    expect(changed).to_contain_text("Calls abandoned")
    expect(changed).to_contain_text("Home visits")

    page.get_by_role("link", name="Figures", exact=True).click()
    page.get_by_role("link", name="October 2025").click()
    expect(page.get_by_label("Calls abandoned")).to_have_value("6.4")
    expect(page.get_by_label("Home visits")).to_have_value("31")
    assert page.console_errors == []


def test_manager_downloads_the_impact_summary(page, tmp_path):
    sign_in(page, EDITOR, DEMO_PASSWORD)
    page.get_by_role("link", name="Dashboard", exact=True).click()
    page.get_by_role("link", name="Impact summary for partners, your PCN or the ICB").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Impact summary")
    page.get_by_label("Financial year", exact=True).select_option(label="2024/25")
    page.get_by_role("button", name="Show summary").click()
    expect(page.locator("#summary-heading")).to_have_text("2024/25")

    # The summary draws a chart per figure: seconds, not milliseconds (bench/summary.py).
    with page.expect_download(timeout=60_000) as download_info:
        page.get_by_role("link", name="Excel workbook (.xlsx)").click()
    workbook = download_info.value
    assert workbook.suggested_filename == "hep-impact-summary-Z00001-2024-25.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(workbook.path().read_bytes()))
    assert book.sheetnames[0] == "Summary"
    assert book["Summary"]["A2"].value == "Highfields Medical Centre (Z00001)"

    with page.expect_download(timeout=60_000) as download_info:
        page.get_by_role("link", name="PDF for printing or email").click()
    pdf = PdfReader(io.BytesIO(download_info.value.path().read_bytes()))
    assert "Highfields Medical Centre" in pdf.pages[0].extract_text()
    assert page.console_errors == []
