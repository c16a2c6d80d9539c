"""The NHS-number guard: what the detector finds, and every form and upload a practice
can type into refusing it, with the message next to the field and nothing saved."""

import io

import nhs_number
import openpyxl
import pytest
from bs4 import BeautifulSoup
from sqlmodel import func, select

from monitor.core.checklist import ChecklistTemplate
from monitor.core.patient_data import (
    NHS_NUMBER_MESSAGE,
    REDACTED,
    contains_nhs_number,
    nhs_number_error,
    redact_nhs_numbers,
)
from monitor.models import (
    AuditEvent,
    HepAllocation,
    Intervention,
    MetricValue,
    SpendItem,
    StaffingChange,
)
from tests.client import error_summary, field_error

# Valid NHS numbers (Modulus 11 check digit correct). 999 numbers are the range the NHS
# keeps for test data; 9434765919 and 4010232137 are the numbers NHS Digital's own
# examples use.
VALID = ["9434765919", "4010232137", "9990000018"]


def spaced(number: str, separator: str = " ") -> str:
    return separator.join((number[:3], number[3:6], number[6:]))


# Detector -----------------------------------------------------------------------------


WRITINGS = {
    "together": lambda n: n,
    "spaced": lambda n: spaced(n),
    "hyphenated": lambda n: spaced(n, "-"),
    "en-dash": lambda n: spaced(n, "\u2013"),  # as Word writes a hyphen
    "no-break-space": lambda n: spaced(n, "\u00a0"),
    "in-a-sentence": lambda n: f"Rang patient {spaced(n)} back about the clinic",
    "at-the-start": lambda n: f"{n} attended twice",
    "at-the-end": lambda n: f"Follow up: {spaced(n, '-')}.",
    "in-brackets": lambda n: f"Patients ({n}, {n})",
    "comma-list": lambda n: f"List: 1234567890,{n}",
}


@pytest.mark.parametrize("number", VALID)
@pytest.mark.parametrize("written", WRITINGS.values(), ids=WRITINGS.keys())
def test_valid_nhs_numbers_are_found_however_they_are_written(number, written):
    text = written(number)
    assert contains_nhs_number(text)
    assert nhs_number_error(text) == NHS_NUMBER_MESSAGE


def test_generated_nhs_numbers_are_found_in_every_writing():
    # Generated inside the test, not as parameters, so every xdist worker collects the
    # same tests.
    for number in nhs_number.generate(quantity=50):
        for name, written in WRITINGS.items():
            assert contains_nhs_number(written(number)), (number, name)


@pytest.mark.parametrize(
    "text",
    [
        "",
        None,
        "Cloud telephony with call-back",
        "9434765918",  # fails the Modulus 11 check
        "943 476 5918",
        "1234567890",  # check digit would be 10: never a valid NHS number
        "94347659190",  # eleven digits containing a valid number
        "19434765919",
        "0116 123 4567",  # landline
        "01161234567",
        "07700 900123",  # mobile
        "+44 7700 900123",
        "£1,234,567,890",
        "£9,434,765,919",  # thousands separators: money, not an identifier
        "0.9434765919",  # a proportion pasted from a spreadsheet
        "9434765919.5",
        "943 476\n5919",  # split across lines: out of reach, as the README says
        "Invoice INV-2025-0042, 3 sessions",
    ],
)
def test_ordinary_numbers_are_not_mistaken_for_nhs_numbers(text):
    assert not contains_nhs_number(text)
    assert nhs_number_error(text) is None


def test_redaction_replaces_only_the_nhs_numbers():
    text = "Patients 943 476 5919 and 4010232137; call 0116 123 4567"
    assert redact_nhs_numbers(text) == (f"Patients {REDACTED} and {REDACTED}; call 0116 123 4567")
    assert redact_nhs_numbers("quarterly return.xlsx") == "quarterly return.xlsx"


# Forms --------------------------------------------------------------------------------

NHS = "Patient 943 476 5919"

FORMS = {
    "spending": {
        "spent_on-day": "1",
        "spent_on-month": "9",
        "spent_on-year": "2025",
        "category": "clinical_staff",
        "description": "Extra ANP sessions",
        "total_cost": "20000",
        "hep_mode": "amount",
        "hep_amount": "20000",
        "recurrence": "recurrent",
    },
    "staffing": {
        "role": "anp",
        "change_type": "new_post",
        "wte_change": "0.6",
        "starts_on-day": "1",
        "starts_on-month": "9",
        "starts_on-year": "2025",
        "contract_type": "permanent",
        "hep_share_pct": "100",
    },
    "interventions": {
        "occurred_on-day": "1",
        "occurred_on-month": "9",
        "occurred_on-year": "2025",
        "title": "Evening clinics",
    },
    "allocations": {"financial_year": "2024", "amount": "50,000"},
}

# (form, field, value typed): every free-text field a practice can type into today.
FREE_TEXT = [
    ("spending", "description", f"Taxi for {NHS}"),
    ("staffing", "languages", f"Gujarati {NHS}"),
    ("staffing", "note", f"Covers clinics for {NHS}"),
    ("interventions", "title", NHS),
    ("interventions", "description", "Outreach started with 9434765919 and others"),
    ("allocations", "note", f"Paid in two instalments, see {NHS}"),
]

MODELS = [HepAllocation, SpendItem, StaffingChange, Intervention, MetricValue, AuditEvent]


def snapshot(session):
    """Every row count and every record's version: what a refused form must not change."""
    session.expire_all()
    counts = {m.__name__: session.exec(select(func.count()).select_from(m)).one() for m in MODELS}
    versions = {m.__name__: sorted(session.exec(select(m.id, m.version)).all()) for m in MODELS[:4]}
    return counts, versions


def soup_of(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def assert_refused(response, field: str):
    soup = soup_of(response)
    assert response.status_code == 400
    assert field_error(soup, field) == NHS_NUMBER_MESSAGE
    assert error_summary(soup) == [NHS_NUMBER_MESSAGE]
    link = soup.select_one(".nhsuk-error-summary a")
    assert link["href"] == f"#{field}"
    return soup


@pytest.mark.parametrize(("kind", "field", "typed"), FREE_TEXT)
def test_adding_a_record_with_an_nhs_number_is_refused_and_saves_nothing(
    client, world, session, kind, field, typed
):
    client.sign_in(world.editor.email)
    before = snapshot(session)
    response = client.submit(f"/{kind}/new", {**FORMS[kind], field: typed})
    soup = assert_refused(response, field)
    # The form comes back with what was typed, so the person can take the number out.
    box = soup.select_one(f"#{field}")
    assert (box.get("value") or box.get_text()) == typed
    assert snapshot(session) == before


@pytest.mark.parametrize(("kind", "field", "typed"), FREE_TEXT)
def test_changing_a_record_to_hold_an_nhs_number_is_refused_and_changes_nothing(
    client, world, session, kind, field, typed
):
    record = world.records[kind]
    data = {**FORMS[kind], field: typed, "version": str(record.version)}
    if kind == "allocations":
        data["financial_year"] = str(record.financial_year)
    client.sign_in(world.editor.email)
    before = snapshot(session)
    response = client.submit(f"/{kind}/{record.id}/edit", data)
    assert_refused(response, field)
    assert snapshot(session) == before


def test_the_same_record_without_the_nhs_number_saves(client, world, session):
    client.sign_in(world.editor.email)
    data = {**FORMS["staffing"], "note": "Covers clinics; call 0116 123 4567 to book"}
    response = client.submit("/staffing/new", data)
    assert response.status_code == 302
    notes = session.exec(select(StaffingChange.note)).all()
    assert "Covers clinics; call 0116 123 4567 to book" in notes


@pytest.fixture
def text_item_template(app, world):
    """The ICB's template with a monthly free-text item, as an ICB may ship."""
    key = (world.icb.template_id, world.icb.template_version)
    template = app.extensions["monitor.templates"][key]
    raw = template.model_dump(mode="json")
    raw["items"].append(
        {
            "id": "access_note",
            "label": "What changed this month",
            "hint": "Anything that explains the figures",
            "section": "access",
            "type": "text",
            "frequency": "monthly",
        }
    )
    app.extensions["monitor.templates"][key] = ChecklistTemplate.model_validate(raw)
    return app.extensions["monitor.templates"][key]


@pytest.mark.usefixtures("text_item_template")
def test_figures_with_an_nhs_number_in_a_text_item_are_refused_and_save_nothing(
    client, world, session
):
    client.sign_in(world.editor.email)
    token = client.page("/figures/2025-10").select_one("input[name=token]")["value"]
    before = snapshot(session)
    response = client.submit(
        "/figures/2025-10",
        {"token": token, "inbound_calls": "1200", "access_note": f"Complaint from {NHS}"},
    )
    soup = assert_refused(response, "access_note")
    assert soup.select_one("#access_note")["value"] == f"Complaint from {NHS}"
    assert soup.select_one("#inbound_calls")["value"] == "1200"  # kept, not saved
    assert snapshot(session) == before

    fine = client.submit(
        "/figures/2025-10",
        {"token": token, "inbound_calls": "1200", "access_note": "New phone system"},
    )
    assert fine.status_code == 302
    texts = session.exec(select(MetricValue.value_text).where(MetricValue.value_text.is_not(None)))
    assert texts.all() == ["New phone system"]


def test_an_nhs_number_pasted_into_a_number_box_is_refused(client, world, session):
    client.sign_in(world.editor.email)
    token = client.page("/figures/2025-10").select_one("input[name=token]")["value"]
    before = snapshot(session)
    response = client.submit("/figures/2025-10", {"token": token, "inbound_calls": "9434765919"})
    assert_refused(response, "inbound_calls")
    assert snapshot(session) == before


# Uploads ------------------------------------------------------------------------------


def upload(client, url, book, filename):
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


def test_an_upload_with_an_nhs_number_in_a_text_cell_changes_nothing(client, world, session):
    client.sign_in(world.editor.email)
    response = client.get("/spending/workbook.xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet = book["Spending"]
    sheet["E5"].value = 12000  # a good change to the existing row: must not be saved
    new_row = ["", "13/10/2025", "Telephony and call handling", f"Taxi for {NHS}", "500", "500"]
    for column, value in enumerate([*new_row, "", "One-off"], start=1):
        sheet.cell(row=6, column=column).value = value
    before = snapshot(session)

    response = upload(client, "/spending/upload", book, "9434765919 spending.xlsx")

    assert response.status_code == 400
    rows = [
        tr.get_text(" | ", strip=True) for tr in soup_of(response).select("#upload-errors tbody tr")
    ]
    assert rows == [f"6 | Description | {NHS_NUMBER_MESSAGE}"]
    after_counts, after_versions = snapshot(session)
    before_counts, before_versions = before
    assert after_versions == before_versions
    # The only new row is the audit event recording the refused upload, and the file's
    # name in it has the NHS number taken out.
    assert after_counts == {**before_counts, "AuditEvent": before_counts["AuditEvent"] + 1}
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "upload")).one()
    assert "9434765919" not in event.summary
    assert f"({REDACTED} spending.xlsx)" in event.summary
