"""A figure typed with a minus sign where the item cannot go below 0 is told so ("Average
time to answer calls cannot be negative"), not asked for another format; on the figures
form beside the box and in the error summary, and in an offline workbook's error report,
which use the same validator."""

import pytest
from bs4 import BeautifulSoup

from monitor.config import PROJECT_ROOT
from monitor.core.checklist import load_template
from monitor.core.inputs import InvalidValue, parse_item_value
from tests.client import error_summary, field_error
from tests.importers.test_offline_workbook import download, rows_by_id, stored, upload

TEMPLATE = load_template(PROJECT_ROOT / "checklist_templates" / "hep-light-touch-v1.yaml")
ITEMS = TEMPLATE.items_by_id
PERIOD = "2025-10"


def message_for(item_id: str, raw: str) -> str:
    with pytest.raises(InvalidValue) as error:
        parse_item_value(ITEMS[item_id], raw)
    return error.value.message


@pytest.mark.parametrize(
    ("item_id", "raw", "message"),
    [
        ("call_answer_time", "-2:15", "Average time to answer calls cannot be negative"),
        ("call_answer_time", "-0:59:03", "Average time to answer calls cannot be negative"),
        ("call_answer_time", "\u22122:15", "Average time to answer calls cannot be negative"),
        ("inbound_calls", "\u2212120", "Inbound calls cannot be negative"),
        ("inbound_calls", "\u2013 120", "Inbound calls cannot be negative"),
        ("calls_abandoned_pct", "-4.5%", "Calls abandoned cannot be negative"),
        ("hep_allocation", "-£48,000", "HEP allocation received cannot be negative"),
    ],
)
def test_a_value_typed_with_a_minus_sign_cannot_be_negative(item_id, raw, message):
    assert message_for(item_id, raw) == message


@pytest.mark.parametrize(
    ("item_id", "raw", "message"),
    [
        ("call_answer_time", "--2:15", "in minutes and seconds, like 2:30"),
        ("call_answer_time", "-two", "in minutes and seconds, like 2:30"),
        ("fft_positive_pct", "101", "is more than 100%"),
        ("call_answer_time", "61:00", "is more than"),
    ],
)
def test_other_messages_are_kept(item_id, raw, message):
    assert message in message_for(item_id, raw)


def test_minus_zero_is_zero():
    assert str(parse_item_value(ITEMS["inbound_calls"], "-0").number) == "0.0"


def test_format_message_keeps_an_abbreviation_in_capitals():
    assert message_for("hep_allocation", "lots").startswith("Enter HEP allocation received ")


def page_of(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def test_figures_form_says_a_negative_time_cannot_be_negative(client, world, session):
    client.sign_in(world.editor.email)
    form = client.page(f"/figures/{PERIOD}").select_one("main form[method=post]")
    hidden = {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}
    response = client.submit(f"/figures/{PERIOD}", {**hidden, "call_answer_time": "-2:15"})
    assert response.status_code == 400
    page = page_of(response)
    message = "Average time to answer calls cannot be negative"
    assert field_error(page, "call_answer_time") == message
    assert message in error_summary(page)
    assert stored(session, world.practice, "call_answer_time") is None


def test_workbook_upload_reports_a_negative_time_on_its_row(client, world, session):
    client.sign_in(world.editor.email)
    book = download(client, f"/figures/{PERIOD}/workbook.xlsx")
    sheet = book["Figures"]
    row = rows_by_id(sheet)["call_answer_time"]
    sheet.cell(row=row, column=7).value = "-2:15"
    response = upload(client, f"/figures/{PERIOD}/upload", book)
    cells = [td.get_text(strip=True) for td in page_of(response).select("#upload-errors td")]
    assert cells[0] == str(row)
    assert cells[2] == "Average time to answer calls cannot be negative"
    assert stored(session, world.practice, "call_answer_time") is None
