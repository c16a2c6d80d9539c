"""The HEP payment schedule's layout page and its CSV download: for the ICB's analysts and
administrators, as every "Import NHS data" page is; everyone else gets the answer those
pages give them."""

from __future__ import annotations

import csv
import io

import pytest

from monitor.importers.datasets import hep_schedule
from tests.client import heading

PAGE = "/national-data/hep-payment-schedule"
DOWNLOAD = "/national-data/hep-payment-schedule.csv"
IMPORT_PAGES = ("/national-data/imports", "/national-data/imports/new")


def table(soup, table_id: str) -> list[list[str]]:
    rows = []
    for tr in soup.select(f"#{table_id} tbody tr"):
        for label in tr.select(".nhsuk-table__heading"):
            label.extract()
        rows.append([td.get_text(" ", strip=True) for td in tr.select("td")])
    return rows


def test_the_layout_page_shows_every_column_the_rules_and_the_download(client, world):
    client.sign_in(world.admin.email)
    soup = client.page(PAGE)
    assert soup.title.get_text(strip=True) == "HEP payment schedule – HEP Impact Monitor"
    assert heading(soup) == "HEP payment schedule"
    headings = [th.get_text(strip=True) for th in soup.select("#columns thead th")]
    assert headings == ["Heading", "Required or optional", "What it holds", "Example"]
    rows = table(soup, "columns")
    assert [row[:2] for row in rows] == [
        ["ods_code", "Required"],
        ["financial_year", "Required"],
        ["amount", "Required"],
        ["payment_date", "Optional"],
    ]
    assert [row[3] for row in rows] == ["Z99991", "2025/26", "48,000.00", "30/06/2025"]
    assert "2025-26 and 2025/2026 are read too" in rows[1][2]
    rules = [li.get_text(" ", strip=True) for li in soup.select("#rules li")]
    assert rules == list(hep_schedule.LAYOUT.rules)
    assert any("instalments: their amounts are added up" in r for r in rules)
    text = soup.select_one("main").get_text(" ", strip=True)
    assert "fills in each practice's “HEP allocation received”" in text
    assert "override the figure, giving a reason" in text
    link = soup.select_one("#layout-download")
    assert link["href"] == DOWNLOAD
    assert soup.select_one("a[href='/national-data/imports/new']") is not None


def test_the_layout_downloads_as_a_csv_the_reader_reads(client, world):
    client.sign_in(world.analyst.email)
    response = client.get(DOWNLOAD)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.mimetype_params == {"charset": "utf-8"}
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="hep-payment-schedule-layout.csv"'
    )
    assert response.get_data() == hep_schedule.layout_csv()
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows[0] == ["ods_code", "financial_year", "amount", "payment_date"]
    assert [row[0] for row in rows[1:]] == ["Z99991", "Z99992"]  # fictional practices


def test_the_upload_page_links_to_the_layout(client, world):
    client.sign_in(world.analyst.email)
    soup = client.page("/national-data/imports/new")
    link = soup.select_one(f"#hep-schedule a[href='{PAGE}']")
    assert link.get_text(strip=True) == "see the layout"
    assert soup.select_one("#hep-schedule").get_text(" ", strip=True) == (
        "Your ICB's HEP payment schedule: see the layout ."
    )


@pytest.mark.parametrize(
    "who", ["editor", "viewer", "pcn_lead", "analyst", "admin", "foreign_admin"]
)
def test_each_role_gets_the_answer_the_import_pages_give_it(client, world, who):
    client.sign_in(getattr(world, who).email)
    expected = {client.get(url).status_code for url in IMPORT_PAGES}
    assert len(expected) == 1
    for url in (PAGE, DOWNLOAD):
        assert client.get(url).status_code in expected, url
    if who in ("editor", "viewer", "pcn_lead"):
        assert expected == {403}
        assert b"Z99991" not in client.get(DOWNLOAD).get_data()


def test_signed_out_people_are_sent_to_sign_in(client, world):
    for url in (PAGE, DOWNLOAD):
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/sign-in")
