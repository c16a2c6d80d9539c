"""The impact summary page and its downloads, as a practice sees them."""

import csv
import io
import zipfile
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from pypdf import PdfReader

from tests.factories import make_allocation, make_spend, make_values

CALL_WAITS = [290, 305, 280, 300, 310, 295, 285, 300, 290, 305, 295, 300]
AFTER = [130, 125, 120, 135, 118, 122, 128, 119, 131, 124, 120, 126]


@pytest.fixture
def history(session, world):
    """2021/22 before the HEP, 2022/23 after, with an allocation and pooled spending."""
    make_values(
        session,
        practice=world.practice,
        item_id="call_answer_time",
        first="2021-04",
        numbers=CALL_WAITS + AFTER,
    )
    make_allocation(session, practice=world.practice, financial_year=2022, amount=Decimal(48000))
    make_spend(
        session,
        practice=world.practice,
        spent_on=date(2022, 9, 12),
        category="telephony",
        description="Cloud telephony with call-back",
        total_cost=Decimal("6200.00"),
        hep_amount=Decimal("3720.00"),
    )
    return world


def summary_sheet_rows(data: bytes) -> dict[str, list]:
    """The Summary sheet as {first cell: the rest of its row}."""
    sheet = openpyxl.load_workbook(io.BytesIO(data))["Summary"]
    return {
        row[0]: list(row[1:])
        for row in sheet.iter_rows(min_col=1, max_col=7, values_only=True)
        if isinstance(row[0], str)
    }


def test_summary_defaults_to_the_last_complete_financial_year(client, history):
    client.sign_in(history.editor.email)
    soup = client.page("/summary")
    assert soup.select_one("#year option[selected]").get_text(strip=True) == "2025/26"
    assert soup.select_one("#summary-heading").get_text(strip=True) == "2025/26"
    links = {a.get_text(" ", strip=True): a["href"] for a in soup.select("#downloads a")}
    assert links["Excel workbook (.xlsx)"] == "/summary/impact-summary.xlsx?year=2025"
    assert links["PDF for printing or email"] == "/summary/impact-summary.pdf?year=2025"
    assert links["Spending and how much of it HEP paid (CSV)"] == (
        "/summary/tables/spending.csv?year=2025"
    )


def test_summary_page_numbers_equal_the_dashboard_and_money_view(client, history):
    client.sign_in(history.viewer.email)
    soup = client.page("/summary?year=2022")
    money = {
        row.select_one("dt").get_text(strip=True): row.select_one("dd").get_text(strip=True)
        for row in soup.select(".nhsuk-summary-list__row")
    }
    assert money["HEP allocation"] == "£48,000"
    assert money["Spending attributed to the HEP"] == "£3,720"
    assert money["Total cost of those items, from all funding"] == "£6,200"
    assert money["Allocation not yet attributed to spending"] == "£44,280"

    row = soup.select_one("#summary-metrics tbody tr")
    cells = [cell.get_text(" ", strip=True) for cell in row.select("th, td")]
    assert cells[0] == "Average time to answer calls"
    # The dashboard says the same, from the same evidence service.
    dashboard = client.page("/dashboard?baseline=2021").select_one(".app-metric-card")
    card = dashboard.get_text(" ", strip=True)
    assert cells[1] == "4:56"  # the 2021/22 average
    assert "compared with the 2021/22 average of 4:56" in card
    assert cells[2] == "2:06 (March 2023)"
    assert dashboard.select_one(".app-metric-card__latest").get_text(" ", strip=True) == (
        "2:06 March 2023"
    )


def test_summary_workbook_numbers_equal_the_page(client, history):
    client.sign_in(history.editor.email)
    response = client.get("/summary/impact-summary.xlsx?year=2022")
    assert response.status_code == 200
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="hep-impact-summary-' + history.practice.ods_code + '-2022-23.xlsx"'
    )
    rows = summary_sheet_rows(response.data)
    assert rows["HEP allocation"][0] == 48000
    assert rows["HEP-attributed spend"][0] == 3720
    assert rows["Total cost of that spending"][0] == 6200
    metric = rows["Average time to answer calls"]
    # Durations are Excel times shown m:ss; openpyxl reads them back as timedeltas.
    baseline_label, baseline, latest_period, latest = metric[:4]
    assert baseline_label == "2021/22"
    assert round(baseline.total_seconds()) == round(sum(CALL_WAITS) / 12)
    assert latest_period == "March 2023"
    assert round(latest.total_seconds()) == 126


def test_summary_pdf_names_the_practice_and_period_on_every_page(client, history):
    client.sign_in(history.editor.email)
    response = client.get("/summary/impact-summary.pdf?year=2022")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    pages = PdfReader(io.BytesIO(response.data)).pages
    assert 2 <= len(pages) <= 12
    for number, page in enumerate(pages, start=1):
        text = page.extract_text()
        assert history.practice.name in text
        assert "2022/23" in text
        assert f"page {number} of {len(pages)}" in text
    everything = "\n".join(page.extract_text() for page in pages)
    assert "£48,000" in everything
    assert "£3,720" in everything


def test_every_table_downloads_as_csv_with_a_bom(client, history):
    client.sign_in(history.editor.email)
    soup = client.page(
        "/summary?range=custom&start-day=1&start-month=4&start-year=2022"
        "&end-day=30&end-month=9&end-year=2022"
    )
    links = [
        a["href"] for a in soup.select("#downloads a") if a["href"].startswith("/summary/tables")
    ]
    assert any("tables.zip" in link for link in links)
    for link in links:
        response = client.get(link)
        assert response.status_code == 200, link
        if link.startswith("/summary/tables.zip"):
            archive = zipfile.ZipFile(io.BytesIO(response.data))
            assert "spending.csv" in archive.namelist()
            continue
        text = response.data.decode("utf-8")
        assert text.startswith("\ufeff")
    spending = client.get("/summary/tables/spending.csv?start=2022-04-01&end=2022-09-30")
    rows = list(csv.reader(io.StringIO(spending.data.decode("utf-8-sig"))))
    assert rows[1][rows[0].index("Description")] == "Cloud telephony with call-back"


def test_a_custom_range_with_a_bad_date_is_explained_and_nothing_is_built(client, history):
    client.sign_in(history.editor.email)
    url = (
        "/summary?range=custom&start-day=1&start-month=4&start-year=2022"
        "&end-day=31&end-month=13&end-year=2022"
    )
    soup = client.page(url, status=400)
    assert [a.get_text(strip=True) for a in soup.select(".nhsuk-error-summary a")] == [
        "The end date must be a real date, like 15 3 2025"
    ]
    assert soup.select_one(".nhsuk-error-summary a")["href"] == "#end-day"
    assert soup.select_one("#end-day")  # the field the summary points at
    assert soup.select_one("#downloads") is None
    assert soup.select_one("#start-year")["value"] == "2022"  # what was typed stays


def test_end_before_start_is_refused(client, history):
    client.sign_in(history.editor.email)
    soup = client.page(
        "/summary?range=custom&start-day=1&start-month=10&start-year=2022"
        "&end-day=1&end-month=4&end-year=2022",
        status=400,
    )
    assert (
        "The end date must be the same as or after the start date"
        in soup.select_one(".nhsuk-error-summary").get_text()
    )


@pytest.mark.parametrize(
    "query",
    [
        "year=1990",
        "start=2022-13-01&end=2023-01-01",
        "start=2023-01-01&end=2022-01-01",
        "start=2026-01-01&end=9999-12-31",
        "start=0001-01-01&end=2023-01-01",
    ],
)
def test_a_broken_download_link_is_not_found(client, history, query):
    client.sign_in(history.editor.email)
    assert client.get(f"/summary/impact-summary.xlsx?{query}").status_code == 404
    assert client.get(f"/summary/tables/figures.csv?{query}").status_code == 404


def test_an_unknown_table_is_not_found(client, history):
    client.sign_in(history.editor.email)
    assert client.get("/summary/tables/patients.csv?year=2022").status_code == 404


def test_the_summary_is_the_signed_in_practice_s_own(client, history, session):
    """Another practice's manager gets their own (empty) summary, never this one."""
    client.sign_in(history.other_editor.email)
    soup = client.page("/summary?year=2025")
    assert history.practice.name not in soup.get_text()
    assert client.get("/summary/impact-summary.xlsx?year=2022").status_code == 404
    response = client.get("/summary/tables/spending.csv?year=2025")
    assert "with call-back" not in response.data.decode("utf-8")


@pytest.mark.parametrize(
    ("query", "field"),
    [("start=2026-01-01&end=9999-12-31", "end"), ("start=0001-01-01&end=2023-01-01", "start")],
)
def test_a_range_beyond_the_years_a_summary_covers_is_explained(client, history, query, field):
    client.sign_in(history.editor.email)
    soup = client.page(f"/summary?{query}", status=400)
    summary = soup.select_one(".nhsuk-error-summary").get_text(" ", strip=True)
    assert "Enter dates from 1 April 2000 to 31 March" in summary
    assert soup.select_one("#downloads") is None


def test_a_custom_range_ending_in_the_far_future_is_explained(client, history):
    client.sign_in(history.editor.email)
    soup = client.page(
        "/summary?range=custom&start-day=1&start-month=4&start-year=2022"
        "&end-day=31&end-month=12&end-year=9999",
        status=400,
    )
    assert "Enter dates from 1 April 2000" in soup.select_one(".nhsuk-error-summary").get_text()
