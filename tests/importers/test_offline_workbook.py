"""Download a workbook, fill it offline, upload it back: all or nothing, by row."""

import io
from datetime import date, datetime, time

import openpyxl
import pytest
from bs4 import BeautifulSoup
from sqlmodel import func, select

from monitor.models import AuditEvent, MetricValue, SpendItem, StaffingChange
from tests.factories import make_value

PERIOD = "2025-10"


def download(client, url) -> openpyxl.Workbook:
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    return openpyxl.load_workbook(io.BytesIO(response.data))


def upload(client, url, book: openpyxl.Workbook, filename="return.xlsx"):
    buffer = io.BytesIO()
    book.save(buffer)
    return client.post(
        url,
        data={
            "csrf_token": client.csrf_token(url),
            "file": (io.BytesIO(buffer.getvalue()), filename),
        },
        content_type="multipart/form-data",
    )


def rows_by_id(sheet) -> dict[str, int]:
    return {sheet.cell(row=r, column=1).value: r for r in range(5, sheet.max_row + 1)}


def stored(session, practice, item_id, code=PERIOD):
    session.expire_all()
    row = session.exec(
        select(MetricValue).where(
            MetricValue.practice_id == practice.id,
            MetricValue.item_id == item_id,
            MetricValue.period_code == code,
        )
    ).first()
    return None if row is None else row.value_number


def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def test_prefilled_workbook_round_trip(client, world, session):
    make_value(
        session, practice=world.practice, item_id="inbound_calls", period_code=PERIOD, number=5100
    )
    client.sign_in(world.editor.email)
    book = download(client, f"/figures/{PERIOD}/workbook.xlsx?filled=1")
    sheet = book["Figures"]
    assert (sheet["B1"].value, sheet["B2"].value) == (world.practice.ods_code, PERIOD)
    assert "Instructions" in book.sheetnames
    rows = rows_by_id(sheet)
    assert sheet.cell(row=rows["inbound_calls"], column=7).value == 5100
    assert sheet.data_validations.dataValidation  # Excel's own checks on input cells
    sheet.cell(row=rows["inbound_calls"], column=7).value = 5200
    sheet.cell(row=rows["call_answer_time"], column=7).value = "2:30"
    sheet.cell(row=rows["calls_abandoned_pct"], column=7).value = "12%"
    response = upload(client, f"/figures/{PERIOD}/upload", book)
    assert response.status_code == 200, page(response).get_text()
    confirmation = page(response).select_one("#upload-confirmation").get_text(" ", strip=True)
    assert "Added (2)" in confirmation and "Changed (1)" in confirmation
    assert stored(session, world.practice, "inbound_calls") == 5200
    assert stored(session, world.practice, "call_answer_time") == 150
    assert stored(session, world.practice, "calls_abandoned_pct") == 12
    source = session.exec(
        select(MetricValue.source).where(MetricValue.item_id == "call_answer_time")
    ).one()
    assert source == "spreadsheet"

    again = upload(client, f"/figures/{PERIOD}/upload", book)
    assert "Nothing changed" in page(again).get_text()
    uploads = session.exec(select(AuditEvent.summary).where(AuditEvent.action == "upload")).all()
    assert len(uploads) == 2 and "0 added, 0 changed" in uploads[1]


def test_one_invalid_row_changes_nothing_and_is_reported(client, world, session):
    client.sign_in(world.editor.email)
    book = download(client, f"/figures/{PERIOD}/workbook.xlsx")
    sheet = book["Figures"]
    rows = rows_by_id(sheet)
    sheet.cell(row=rows["inbound_calls"], column=7).value = 5200
    sheet.cell(row=rows["calls_abandoned_pct"], column=7).value = 140
    response = upload(client, f"/figures/{PERIOD}/upload", book)
    assert response.status_code == 400
    errors = [
        tr.get_text(" | ", strip=True) for tr in page(response).select("#upload-errors tbody tr")
    ]
    assert errors == [
        f"{rows['calls_abandoned_pct']} | Calls abandoned | Calls abandoned: 140% is more than 100%"
    ]
    assert stored(session, world.practice, "inbound_calls") is None


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("N/A", None),
        ("NULL", None),
        ("-", None),
        ("1,200", 1200),
        (" 1200 ", 1200),
        (1200.0, 1200),
    ],
)
def test_cells_are_read_as_text_and_parsed_by_the_apps_rules(
    client, world, session, typed, expected
):
    make_value(
        session, practice=world.practice, item_id="inbound_calls", period_code=PERIOD, number=999
    )
    client.sign_in(world.editor.email)
    book = download(client, f"/figures/{PERIOD}/workbook.xlsx")
    sheet = book["Figures"]
    sheet.cell(row=rows_by_id(sheet)["inbound_calls"], column=7).value = typed
    response = upload(client, f"/figures/{PERIOD}/upload", book)
    assert response.status_code == 200
    assert stored(session, world.practice, "inbound_calls") == expected


@pytest.mark.parametrize(
    ("item", "typed", "message"),
    [
        ("inbound_calls", "nan", "as a whole number"),
        ("inbound_calls", "inf", "as a whole number"),
        ("call_answer_time", "150", "in minutes and seconds"),
        ("fft_positive_pct", "101%", "is more than 100%"),
    ],
)
def test_bad_cells_are_reported_by_row_and_item(client, world, item, typed, message):
    client.sign_in(world.editor.email)
    book = download(client, f"/figures/{PERIOD}/workbook.xlsx")
    sheet = book["Figures"]
    row = rows_by_id(sheet)[item]
    sheet.cell(row=row, column=7).value = typed
    response = upload(client, f"/figures/{PERIOD}/upload", book)
    cells = [td.get_text(strip=True) for td in page(response).select("#upload-errors td")]
    assert cells[0] == str(row) and message in cells[2]


def test_excel_time_typed_for_a_duration_is_read_as_minutes_and_seconds(client, world, session):
    client.sign_in(world.editor.email)
    book = download(client, f"/figures/{PERIOD}/workbook.xlsx")
    sheet = book["Figures"]
    cell = sheet.cell(row=rows_by_id(sheet)["call_answer_time"], column=7)
    cell.value = time(2, 30)  # what Excel makes of "2:30" typed into a General cell
    cell.number_format = "h:mm"
    assert upload(client, f"/figures/{PERIOD}/upload", book).status_code == 200
    assert stored(session, world.practice, "call_answer_time") == 150


def test_unusual_figures_need_yes_in_the_confirm_column(client, world, session):
    period_code = "2025-04"
    for n in range(12):
        code = f"{2024 + (n + 3) // 12}-{(n + 3) % 12 + 1:02d}"
        make_value(
            session,
            practice=world.practice,
            item_id="inbound_calls",
            period_code=code,
            number=5000 + 10 * n,
        )
    period_code = "2025-04"
    client.sign_in(world.editor.email)
    book = download(client, f"/figures/{period_code}/workbook.xlsx")
    sheet = book["Figures"]
    row = rows_by_id(sheet)["inbound_calls"]
    sheet.cell(row=row, column=7).value = 51000
    response = upload(client, f"/figures/{period_code}/upload", book)
    assert response.status_code == 400
    assert "type YES in the “Confirm unusual figure” column" in page(response).get_text()
    sheet.cell(row=row, column=8).value = "yes"
    assert upload(client, f"/figures/{period_code}/upload", book).status_code == 200
    assert stored(session, world.practice, "inbound_calls", period_code) == 51000


def test_another_practices_workbook_is_refused(client, world, session):
    client.sign_in(world.other_editor.email)
    theirs = download(client, f"/figures/{PERIOD}/workbook.xlsx")
    client.submit("/sign-out", token_from="/")
    client.sign_in(world.editor.email)
    response = upload(client, f"/figures/{PERIOD}/upload", theirs)
    assert response.status_code == 400
    assert "This workbook is for practice" in page(response).get_text()
    assert session.exec(select(func.count()).select_from(MetricValue)).one() == 0


def test_spending_round_trip_edits_and_adds_rows(client, world, session):
    item = world.records["spending"]
    client.sign_in(world.editor.email)
    book = download(client, "/spending/workbook.xlsx")
    sheet = book["Spending"]
    assert sheet["A5"].value == item.id
    assert sheet["B5"].value.date() == date(2025, 9, 3)
    sheet["E5"].value = 12000
    new = [
        "",
        "13/02/2026",
        "Screening campaigns",
        '=HYPERLINK("http://x","y")',
        "£2,500",
        "2500",
        "",
        "One-off",
        "",
    ]
    for column, value in enumerate(new, start=1):
        sheet.cell(row=6, column=column).value = value
    sheet.cell(row=6, column=4).data_type = "s"
    sheet["D7"].value = "Serial date row"
    for column, value in zip(
        "BCEFHG", [46000, "telephony", 100, 50, "Recurrent", "GMS"], strict=True
    ):
        sheet[f"{column}7"].value = value
    response = upload(client, "/spending/upload", book)
    assert response.status_code == 200, page(response).get_text(" ", strip=True)
    session.expire_all()
    assert session.get(SpendItem, item.id).total_cost == 12000
    added = session.exec(
        select(SpendItem).where(SpendItem.practice_id == world.practice.id, SpendItem.id != item.id)
    ).all()
    assert {a.description for a in added} == {'=HYPERLINK("http://x","y")', "Serial date row"}
    serial = next(a for a in added if a.description == "Serial date row")
    assert serial.spent_on == date(2025, 12, 9) and serial.other_sources == ["gms"]

    # The formula comes back out as text, never as a formula.
    out = download(client, "/spending/workbook.xlsx")["Spending"]
    cell = next(c for c in out["D"] if c.value == '=HYPERLINK("http://x","y")')
    assert cell.data_type == "s"


def test_stale_spending_row_is_refused(client, world, session):
    item = world.records["spending"]
    client.sign_in(world.editor.email)
    book = download(client, "/spending/workbook.xlsx")
    item.description = "Changed in the service meanwhile"
    item.version += 1
    session.add(item)
    session.commit()
    book["Spending"]["E5"].value = 1
    response = upload(client, "/spending/upload", book)
    assert response.status_code == 400
    assert "changed in the service after you downloaded" in page(response).get_text()


def test_us_dates_are_refused_with_a_message(client, world):
    client.sign_in(world.editor.email)
    book = download(client, "/spending/workbook.xlsx")
    book["Spending"]["B5"].value = "02/13/2024"
    response = upload(client, "/spending/upload", book)
    text = page(response).get_text(" ", strip=True)
    assert "looks like a US date" in text


def test_staffing_upload_reports_each_bad_field_and_saves_nothing(client, world, session):
    client.sign_in(world.editor.email)
    book = download(client, "/staffing/workbook.xlsx")
    sheet = book["Staffing"]
    for column, value in enumerate(
        ["", "Care navigator", "New post", "0.8", "01/07/2026", "", "Fixed term", "100"],
        start=1,
    ):
        sheet.cell(row=6, column=column).value = value
    before = session.exec(select(func.count()).select_from(StaffingChange)).one()
    response = upload(client, "/staffing/upload", book)
    assert response.status_code == 400
    rows = [
        tr.get_text(" | ", strip=True) for tr in page(response).select("#upload-errors tbody tr")
    ]
    assert rows == ["6 | End date | Enter the end date of the fixed-term post"]
    assert session.exec(select(func.count()).select_from(StaffingChange)).one() == before
    sheet.cell(row=6, column=6).value = datetime(2027, 6, 30)
    assert upload(client, "/staffing/upload", book).status_code == 200
    assert session.exec(select(func.count()).select_from(StaffingChange)).one() == before + 1


def test_viewer_cannot_upload(client, world):
    client.sign_in(world.viewer.email)
    assert client.get(f"/figures/{PERIOD}/upload").status_code == 403
    assert client.get(f"/figures/{PERIOD}/workbook.xlsx").status_code == 200
