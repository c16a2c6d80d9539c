"""Every export carrying figures says where each one came from: the impact summary's
Figures table in the workbook, the PDF and the CSVs; its chart captions' alt text;
and the offline workbook's source column, which its upload reads past and which
cannot be used to change a figure NHS data filled."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date

import openpyxl
import pytest
from bs4 import BeautifulSoup

from monitor.exporters.summary_pdf import summary_pdf
from monitor.exporters.summary_xlsx import summary_csv, summary_tables_zip, summary_workbook
from monitor.services.summary import build_summary, financial_year_range
from tests.exporters.test_summary_pdf import flat, pages_text
from tests.factories import (
    make_imported_value,
    make_national_import,
    make_value,
    shipped_templates,
)

V2 = shipped_templates()[("hep-light-touch", 2)]
TODAY = date(2026, 11, 23)
CBT = "Cloud Based Telephony, February 2026 publication"
FFT = "Friends and Family Test, February 2026 publication"
SOURCES = {
    "inbound_calls": f"NHS England: {CBT}",
    "fft_responses": f"NHS England: {FFT}",
    "call_answer_time": "Entered by the practice",
    "calls_answered_pct": "Entered by the practice (overrides the published value)",
}


@pytest.fixture
def february(session, world):
    """February 2026 for the practice: two imported figures, one typed, one override."""
    world.icb.template_version = 2
    session.add(world.icb)
    session.commit()
    cbt = make_national_import(session, icb=world.icb, description=CBT)
    fft = make_national_import(session, icb=world.icb, description=FFT, dataset="fft")
    make_imported_value(
        session, practice=world.practice, item_id="inbound_calls", period_code="2026-02",
        number=1200, national_import=cbt,
    )  # fmt: skip
    make_imported_value(
        session, practice=world.practice, item_id="fft_responses", period_code="2026-02",
        number=140, national_import=fft,
    )  # fmt: skip
    make_value(
        session, practice=world.practice, item_id="call_answer_time", period_code="2026-02",
        number=95, template_version=2,
    )  # fmt: skip
    make_imported_value(
        session, practice=world.practice, item_id="calls_answered_pct", period_code="2026-02",
        number=91.0, national_import=cbt, source="manual", override_reason="Lines down",
        published_number=88.5,
    )  # fmt: skip
    return world


def summary_of(session, world, **kwargs):
    start, end = financial_year_range(2025)
    return build_summary(
        session,
        practice=world.practice,
        template=V2,
        start=start,
        end=end,
        period_label="2025/26",
        today=TODAY,
        **{"with_charts": False, **kwargs},
    )


def test_the_summary_figures_table_says_where_each_figure_came_from(session, february):
    summary = summary_of(session, february)
    table = summary.table("Figures")
    source = [c.title for c in table.columns].index("Source")
    item = [c.title for c in table.columns].index("Item id")

    assert {row[item]: row[source] for row in table.rows} == SOURCES


def test_the_workbook_figures_sheet_has_the_source_column(session, february):
    book = openpyxl.load_workbook(io.BytesIO(summary_workbook(summary_of(session, february))))
    sheet = book["Figures"]
    header = [c.value for c in sheet[1]]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))

    by_item = {r[header.index("Item id")]: r[header.index("Source")] for r in rows}
    assert by_item == SOURCES


def test_the_csv_tables_have_the_source_column(session, february):
    summary = summary_of(session, february)
    text = summary_csv(summary, "Figures").lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["Item id"]: r["Source"] for r in rows} == SOURCES

    with zipfile.ZipFile(io.BytesIO(summary_tables_zip(summary))) as archive:
        zipped = archive.read("figures.csv").decode("utf-8").lstrip("\ufeff")
    assert {r["Item id"]: r["Source"] for r in csv.DictReader(io.StringIO(zipped))} == SOURCES


def test_the_pdf_prints_the_source_of_each_figure(session, february):
    text = " ".join(flat(t) for t in pages_text(summary_pdf(summary_of(session, february))))
    assert "Figure Period Value Source" in text
    assert "Inbound calls February 2026 1,200 NHS England: Cloud Based Telephony" in text
    assert "Entered by the practice (overrides the published value)" in text


def test_summary_charts_mark_published_figures_in_their_alt_text(session, february):
    for period, number in (("2025-12", 1100), ("2026-01", 1150)):
        make_value(
            session, practice=february.practice, item_id="inbound_calls", period_code=period,
            number=number, template_version=1,
        )  # fmt: skip
    summary = summary_of(session, february, with_charts=True)

    [chart] = [c for c in summary.charts if c.caption.startswith("Inbound calls")]
    assert "1 of the 3 values are NHS England's published figures (drawn as squares)" in chart.alt


def test_the_summary_names_an_earlier_versions_item_by_its_own_label(session, february):
    make_value(
        session, practice=february.practice, item_id="calls_abandoned_pct",
        period_code="2025-05", number=6.0, template_version=1,
    )  # fmt: skip
    templates = shipped_templates()

    table = summary_of(session, february, templates=templates).table("Figures")

    [row] = [r for r in table.rows if r[1] == "calls_abandoned_pct"]
    v1 = templates[("hep-light-touch", 1)].items_by_id["calls_abandoned_pct"]
    assert (row[0], row[5]) == (v1.label, "%")


# The offline workbook ------------------------------------------------------------------


def workbook(client, url) -> openpyxl.Workbook:
    response = client.get(url)
    assert response.status_code == 200
    return openpyxl.load_workbook(io.BytesIO(response.data))


def upload(client, url, book):
    buffer = io.BytesIO()
    book.save(buffer)
    return client.post(
        url,
        data={
            "csrf_token": client.csrf_token(url),
            "file": (io.BytesIO(buffer.getvalue()), "figures.xlsx"),
        },
        content_type="multipart/form-data",
    )


def rows_by_id(sheet) -> dict[str, int]:
    return {sheet.cell(row=r, column=1).value: r for r in range(5, sheet.max_row + 1)}


def test_the_offline_workbook_says_which_figures_came_from_nhs_data(client, february):
    client.sign_in(february.editor.email)
    sheet = workbook(client, "/figures/2026-02/workbook.xlsx?filled=1")["Figures"]
    rows = rows_by_id(sheet)

    assert sheet.cell(row=4, column=9).value == "Where the figure came from"
    assert sheet.cell(row=rows["inbound_calls"], column=9).value == (
        f"From {CBT}. To use your own figure, override it on the period's page"
    )
    assert sheet.cell(row=rows["call_answer_time"], column=9).value == "Entered by the practice"
    assert (
        sheet.cell(row=rows["calls_answered_pct"], column=9).value == SOURCES["calls_answered_pct"]
    )
    assert sheet.cell(row=rows["home_visits"], column=9).value in (None, "")


def test_the_offline_workbook_round_trips_and_cannot_change_a_published_figure(
    client, february, session
):
    client.sign_in(february.editor.email)
    book = workbook(client, "/figures/2026-02/workbook.xlsx?filled=1")
    sheet = book["Figures"]
    rows = rows_by_id(sheet)
    sheet.cell(row=rows["home_visits"], column=7).value = 20

    fine = upload(client, "/figures/2026-02/upload", book)
    assert fine.status_code == 200  # the published figures came back unchanged

    sheet.cell(row=rows["inbound_calls"], column=7).value = 1300
    refused = upload(client, "/figures/2026-02/upload", book)

    assert refused.status_code == 400
    cells = [
        td.get_text(" ", strip=True)
        for td in BeautifulSoup(refused.get_data(as_text=True), "html.parser").select(
            "#upload-errors td"
        )
    ]
    assert str(rows["inbound_calls"]) in cells
    assert any("override it on the figures page and give a reason" in c for c in cells)
