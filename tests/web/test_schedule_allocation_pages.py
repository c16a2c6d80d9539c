"""The HEP allocation from the ICB's payment schedule, as a practice manager meets it: on
the annual figures page prefilled and read only with its source, overridden with a
reason (the schedule's amount kept beside the practice's), back to the schedule's amount
by entering it again; on the allocations page each allocation's source, and a change to
a schedule's allocation refused without a note saying why; an undo of the import leaves
the practice's override alone.

The schedule is a synthetic file (fictional Z9999x codes) read by the hep_schedule
dataset and imported as an ICB analyst's upload would be."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from sqlmodel import select

from monitor.importers import datasets
from monitor.importers.published import read_published
from monitor.models import AuditEvent, HepAllocation, NationalImport
from monitor.services import national_data
from tests.client import error_summary, field_error
from tests.factories import (
    make_allocation,
    make_imported_value,
    make_national_import,
    shipped_templates,
)
from tests.published_files import csv_bytes

V2 = shipped_templates()[("hep-light-touch", 2)]
YEAR = "2025-26"
FIGURES = f"/figures/{YEAR}"
SOURCE = "From HEP payment schedule, 2025/26"
REASON = "The ICB recovered £2,000 of an overpayment in March"
HEADINGS = ["ods_code", "financial_year", "amount", "payment_date"]
SCHEDULE = [
    ["Z99991", "2025/26", "48,000.00", "30/06/2025"],
    ["Z99992", "2025/26", "£12,500", ""],
]


@pytest.fixture
def schedule_world(world, session):
    """The world's ICB on template v2, its practices with fictional codes, and no
    allocation for 2025/26 yet (the factories give each practice one)."""
    world.icb.template_version = 2
    world.practice.ods_code = "Z99991"
    world.sibling.ods_code = "Z99992"
    session.add_all([world.icb, world.practice, world.sibling])
    session.delete(world.records["allocations"])
    session.delete(world.sibling_records["allocations"])
    session.commit()
    return world


def import_schedule(session, world, rows=SCHEDULE) -> NationalImport:
    """Read a synthetic schedule as the upload does and import it for the ICB."""
    data = csv_bytes([HEADINGS, *rows])
    extract = datasets.read(read_published("synthetic-schedule.csv", data))
    found = NationalImport(
        icb_id=world.icb.id,
        filename=extract.filename,
        sha256=hashlib.sha256(data).hexdigest(),
        dataset=extract.source,
        description=extract.description,
        created_by_id=world.analyst.id,
    )
    session.add(found)
    session.commit()
    plan = national_data.plan_import(
        session, icb=world.icb, template=V2, extract=extract, today=date(2026, 5, 1)
    )
    return national_data.apply_import(
        session, user=world.analyst, plan=plan, template=V2, national_import=found
    )


def allocation_of(session, practice, fy=2025) -> HepAllocation | None:
    session.expire_all()
    return session.exec(
        select(HepAllocation).where(
            HepAllocation.practice_id == practice.id, HepAllocation.financial_year == fy
        )
    ).first()


def stored(session, practice) -> tuple:
    """Everything about the practice's 2025/26 allocation a change could touch."""
    a = allocation_of(session, practice)
    return (
        a.amount, a.received_on, a.note, a.source, a.import_id, a.override_reason,
        a.published_amount, a.version,
    )  # fmt: skip


def audit_count(session) -> int:
    return len(session.exec(select(AuditEvent)).all())


def soup_of(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def main_text(page: BeautifulSoup) -> str:
    return page.select_one("main").get_text(" ", strip=True)


def prefilled_rows(page: BeautifulSoup) -> dict:
    found = page.select_one("#prefilled")
    if found is None:
        return {}
    return {
        row.select_one(".nhsuk-summary-list__key").get_text(strip=True): row
        for row in found.select(".nhsuk-summary-list__row")
    }


def override(client, amount: str, reason: str | None = REASON):
    """Override the allocation on the figures page as a person does: open its box, then
    save the form with the page's token."""
    url = f"{FIGURES}?override=hep_allocation"
    token = client.page(url).select_one("input[name=token]")["value"]
    form = {"token": token, "override": "hep_allocation", "hep_allocation": amount}
    if reason is not None:
        form["hep_allocation-reason"] = reason
    return client.submit(url, form)


def source_column(client) -> dict[str, str]:
    """Financial year → the allocations page's source column."""
    page = client.page("/allocations")
    return {
        row.select_one("th").get_text(strip=True): row.select_one(
            ".app-allocation-source"
        ).get_text(" ", strip=True)
        for row in page.select("tbody tr")
    }


def edit_form(allocation: HepAllocation, **fields) -> dict[str, str]:
    """The edit form as it opens for the allocation, with `fields` changed."""
    day = allocation.received_on
    return {
        "version": str(allocation.version),
        "financial_year": str(allocation.financial_year),
        "amount": f"{allocation.amount:,.2f}",
        "received_on-day": str(day.day) if day else "",
        "received_on-month": str(day.month) if day else "",
        "received_on-year": str(day.year) if day else "",
        "note": allocation.note,
        **fields,
    }


# The annual figures page ----------------------------------------------------------------


def test_the_schedules_allocation_is_prefilled_read_only_with_its_source(
    client, schedule_world, session
):
    import_schedule(session, schedule_world)
    client.sign_in(schedule_world.editor.email)

    page = client.page(FIGURES)

    rows = prefilled_rows(page)
    assert list(rows) == ["HEP allocation received"]
    row = rows["HEP allocation received"]
    assert row.select_one(".app-figure").get_text(strip=True) == "£48,000"
    assert row.select_one(".app-figure-source").get_text(strip=True) == SOURCE
    link = row.select_one("a[href*='override=hep_allocation']")
    assert link.get_text(" ", strip=True) == "Override HEP allocation received"
    assert page.select_one("#prefilled-intro").get_text(" ", strip=True) == (
        "Your ICB filled this from its HEP payment schedule, so you do not need to type "
        "it. If it is wrong for your practice, override it and say why."
    )
    assert page.select_one("input[name=hep_allocation]") is None  # not a box to type in
    assert "NHS England" not in main_text(page)


def test_beside_nhs_englands_figures_the_page_names_both_sources(client, schedule_world, session):
    import_schedule(session, schedule_world)
    gpps = make_national_import(
        session, icb=schedule_world.icb, dataset="gpps", period_code=YEAR,
        description="GP Patient Survey, 2025 practice results",
    )  # fmt: skip
    make_imported_value(
        session, practice=schedule_world.practice, item_id="gpps_overall_experience",
        period_code=YEAR, number=71.0, national_import=gpps,
    )  # fmt: skip
    client.sign_in(schedule_world.editor.email)

    page = client.page(FIGURES)

    sources = {
        label: row.select_one(".app-figure-source").get_text(strip=True)
        for label, row in prefilled_rows(page).items()
    }
    assert sources == {
        "HEP allocation received": SOURCE,
        "GP Patient Survey overall experience good": (
            "From GP Patient Survey, 2025 practice results"
        ),
    }
    assert page.select_one("#prefilled-intro").get_text(" ", strip=True) == (
        "Your ICB filled these from what NHS England publishes for every practice and from "
        "its own HEP payment schedule, so you do not need to type them. If one is wrong for "
        "your practice, override it and say why."
    )


def test_overriding_the_allocation_without_a_reason_saves_nothing(client, schedule_world, session):
    import_schedule(session, schedule_world)
    client.sign_in(schedule_world.editor.email)
    opened = client.page(f"{FIGURES}?override=hep_allocation")
    assert opened.select_one("input[name=hep_allocation]")["value"] == "48,000"
    assert (
        opened.select_one("#hep_allocation-hint")
        .get_text(" ", strip=True)
        .startswith(f"{SOURCE}. Enter your own figure instead.")
    )
    assert opened.select_one("label[for=hep_allocation-reason]").get_text(strip=True) == (
        "Reason for overriding the payment schedule"
    )
    links = [a.get_text(" ", strip=True) for a in opened.select("form a")]
    assert "Cancel: keep the schedule's figure for HEP allocation received" in links
    assert "NHS England" not in main_text(opened)
    before, audits = stored(session, schedule_world.practice), audit_count(session)

    response = override(client, "50,000", reason=None)

    assert response.status_code == 400
    page = soup_of(response)
    message = (
        "Enter why you are overriding your ICB's HEP payment schedule for HEP allocation received"
    )
    assert field_error(page, "hep_allocation-reason") == message
    assert error_summary(page) == [message]
    assert page.select_one(".nhsuk-error-summary a")["href"] == "#hep_allocation-reason"
    assert page.select_one("input[name=hep_allocation]")["value"] == "50,000"
    assert stored(session, schedule_world.practice) == before
    assert audit_count(session) == audits


def test_an_override_with_a_reason_keeps_the_schedules_amount_and_says_so(
    client, schedule_world, session
):
    done = import_schedule(session, schedule_world)
    client.sign_in(schedule_world.editor.email)

    response = override(client, "50,000")

    assert response.status_code == 302
    row = allocation_of(session, schedule_world.practice)
    assert (row.amount, row.published_amount, row.override_reason) == (
        Decimal("50000"), Decimal("48000"), REASON,
    )  # fmt: skip
    assert (row.import_id, row.received_on) == (done.id, date(2025, 6, 30))  # source kept
    event = session.exec(
        select(AuditEvent).where(
            AuditEvent.object_type == "hep_allocation", AuditEvent.object_id == row.id
        )
    ).all()[-1]
    assert event.actor_id == schedule_world.editor.id
    assert event.summary == (
        "Overrode the ICB's payment schedule for the HEP allocation for 2025/26"
    )

    page = client.page(FIGURES)
    assert page.select_one("#prefilled") is None  # the practice's figure now, in its box
    assert page.select_one("input[name=hep_allocation]")["value"] == "50,000"
    assert (
        page.select_one("#hep_allocation-hint")
        .get_text(" ", strip=True)
        .startswith(
            "Your own figure, instead of the one in your ICB's HEP payment schedule. To go "
            "back to the schedule's figure, enter £48,000."
        )
    )
    assert page.select_one("#hep_allocation-published").get_text(" ", strip=True) == (
        "Your figure overrides your ICB's HEP payment schedule, which says £48,000 for 2025/26."
    )
    assert page.select_one("textarea[name=hep_allocation-reason]").get_text(strip=True) == (REASON)
    assert "NHS England" not in main_text(page)


def test_a_viewer_reads_the_source_and_the_override_but_cannot_override(
    client, schedule_world, session
):
    import_schedule(session, schedule_world)
    client.sign_in(schedule_world.viewer.email)
    page = client.page(FIGURES)
    row = prefilled_rows(page)["HEP allocation received"]
    assert row.select_one(".app-figure-source").get_text(strip=True) == SOURCE
    assert not row.select("a[href*='override=']")
    assert page.select_one("#prefilled-intro").get_text(" ", strip=True) == (
        "Your ICB filled this from its HEP payment schedule, so you do not need to type it."
    )

    allocation = allocation_of(session, schedule_world.practice)
    allocation.published_amount, allocation.amount = allocation.amount, Decimal("50000")
    allocation.override_reason = REASON
    session.add(allocation)
    session.commit()

    text = main_text(client.page(FIGURES))
    assert (
        "£50,000 Entered by the practice (overrides your ICB's HEP payment schedule) "
        "Your figure overrides your ICB's HEP payment schedule, which says £48,000 for "
        "2025/26."
    ) in text
    assert "NHS England" not in text


def test_entering_the_schedules_amount_again_goes_back_to_the_schedule(
    client, schedule_world, session
):
    done = import_schedule(session, schedule_world)
    client.sign_in(schedule_world.editor.email)
    override(client, "50,000")
    token = client.page(FIGURES).select_one("input[name=token]")["value"]

    response = client.submit(
        FIGURES,
        {"token": token, "hep_allocation": "48,000", "hep_allocation-reason": REASON},
    )

    assert response.status_code == 302
    row = allocation_of(session, schedule_world.practice)
    assert (row.amount, row.source, row.import_id, row.override_reason, row.published_amount) == (
        Decimal("48000"), "hep_schedule", done.id, None, None,
    )  # fmt: skip
    page = client.page(FIGURES)
    assert list(prefilled_rows(page)) == ["HEP allocation received"]
    assert page.select_one("input[name=hep_allocation]") is None


# The allocations page -------------------------------------------------------------------


def test_the_allocations_page_names_each_allocations_source(client, schedule_world, session):
    import_schedule(session, schedule_world)
    make_allocation(
        session, practice=schedule_world.practice, financial_year=2024, amount=Decimal("45000")
    )
    client.sign_in(schedule_world.editor.email)

    page = client.page("/allocations")

    headings = [th.get_text(strip=True) for th in page.select("thead th")]
    assert "Source" in headings
    assert page.select_one("#from-schedule").get_text(" ", strip=True) == (
        "Your ICB fills in allocations from its HEP payment schedule, so you do not need "
        "to type them. If one is wrong for your practice, change it and say why in the note."
    )
    assert source_column(client) == {
        "2025/26": "From your ICB's HEP payment schedule (paid 30 June 2025)",
        "2024/25": "Entered by the practice",
    }

    override(client, "50,000")

    assert source_column(client)["2025/26"] == (
        f"Overrides your ICB's payment schedule (schedule: £48,000; reason: {REASON})"
    )


def test_a_practices_own_allocation_says_what_the_schedule_says(client, schedule_world, session):
    make_allocation(session, practice=schedule_world.practice, amount=Decimal("47000"))
    import_schedule(session, schedule_world)  # keeps the practice's, remembers the schedule's
    client.sign_in(schedule_world.editor.email)

    assert source_column(client) == {
        "2025/26": "Entered by the practice (your ICB's HEP payment schedule says £48,000)"
    }
    page = client.page(FIGURES)
    assert page.select_one("input[name=hep_allocation]")["value"] == "47,000"
    assert page.select_one("#hep_allocation-published").get_text(" ", strip=True) == (
        "Your ICB's HEP payment schedule says £48,000 for 2025/26."
    )


def test_the_edit_form_of_a_schedules_allocation_says_a_change_needs_a_note(
    client, schedule_world, session
):
    import_schedule(session, schedule_world)
    allocation = allocation_of(session, schedule_world.practice)
    client.sign_in(schedule_world.editor.email)

    page = client.page(f"/allocations/{allocation.id}/edit")

    assert page.select_one("#amount-hint").get_text(" ", strip=True) == (
        "From your ICB's HEP payment schedule. If it is wrong for your practice, enter "
        "your own figure and say why in the note."
    )
    assert page.select_one("label[for=note]").get_text(strip=True) == "Note"
    assert page.select_one("#note-hint").get_text(" ", strip=True) == (
        "Needed if you change the amount: say why your figure differs from the schedule, "
        "for example “the ICB recovered £2,000 of an overpayment in March”."
    )
    assert page.select_one("input[name=amount]")["value"] == "48,000"


def test_changing_a_schedules_allocation_without_a_note_changes_nothing(
    client, schedule_world, session
):
    import_schedule(session, schedule_world)
    allocation = allocation_of(session, schedule_world.practice)
    client.sign_in(schedule_world.editor.email)
    url = f"/allocations/{allocation.id}/edit"
    before, audits = stored(session, schedule_world.practice), audit_count(session)

    response = client.submit(url, edit_form(allocation, amount="50,000", note="  "))

    assert response.status_code == 400
    page = soup_of(response)
    message = (
        "This allocation came from your ICB's HEP payment schedule. Enter in the note why "
        "your figure differs from it"
    )
    assert field_error(page, "note") == message
    assert error_summary(page) == [message]
    assert page.select_one(".nhsuk-error-summary a")["href"] == "#note"
    assert page.select_one("input[name=amount]")["value"] == "50,000"  # as typed
    assert stored(session, schedule_world.practice) == before
    assert audit_count(session) == audits


def test_a_change_with_a_note_overrides_and_the_schedules_amount_goes_back(
    client, schedule_world, session
):
    done = import_schedule(session, schedule_world)
    allocation = allocation_of(session, schedule_world.practice)
    client.sign_in(schedule_world.editor.email)
    url = f"/allocations/{allocation.id}/edit"

    response = client.submit(url, edit_form(allocation, amount="50,000", note=REASON))

    assert response.status_code == 302
    row = allocation_of(session, schedule_world.practice)
    assert (row.amount, row.published_amount, row.override_reason, row.import_id) == (
        Decimal("50000"), Decimal("48000"), REASON, done.id,
    )  # fmt: skip
    page = client.page(url)
    assert page.select_one("#amount-hint").get_text(" ", strip=True) == (
        "Your own figure, instead of the £48,000 in your ICB's HEP payment schedule. To go "
        "back to the schedule's figure, enter 48,000."
    )
    assert "NHS England" not in main_text(page)

    response = client.submit(url, edit_form(row, amount="48,000"))

    assert response.status_code == 302
    row = allocation_of(session, schedule_world.practice)
    assert (row.amount, row.source, row.override_reason, row.published_amount) == (
        Decimal("48000"), "hep_schedule", None, None,
    )  # fmt: skip
    assert source_column(client)["2025/26"] == (
        "From your ICB's HEP payment schedule (paid 30 June 2025)"
    )


def test_a_new_figure_with_a_new_note_gives_the_override_its_reason(
    client, schedule_world, session
):
    import_schedule(session, schedule_world)
    client.sign_in(schedule_world.editor.email)
    override(client, "50,000")  # on the figures page: a reason, no note
    allocation = allocation_of(session, schedule_world.practice)
    url = f"/allocations/{allocation.id}/edit"
    assert client.page(url).select_one("#note-hint").get_text(" ", strip=True) == (
        f"Why your figure differs from the schedule. The reason you gave: “{REASON}”. "
        "A new note replaces it."
    )

    # A change of date alone keeps the reason; a new figure with a new note replaces it.
    client.submit(url, edit_form(allocation, **{"received_on-day": "1"}))
    assert allocation_of(session, schedule_world.practice).override_reason == REASON
    allocation = allocation_of(session, schedule_world.practice)
    client.submit(url, edit_form(allocation, amount="51,000", note="A second recovery in March"))

    row = allocation_of(session, schedule_world.practice)
    assert (row.amount, row.published_amount, row.override_reason) == (
        Decimal("51000"), Decimal("48000"), "A second recovery in March",
    )  # fmt: skip


# Undo ---------------------------------------------------------------------------------


def test_undoing_the_import_leaves_an_overridden_allocation_alone(client, schedule_world, session):
    """The practice's figure stands; the undone schedule's amount goes with the import."""
    done = import_schedule(session, schedule_world)
    client.sign_in(schedule_world.editor.email)
    override(client, "50,000")

    national_data.undo_import(session, user=schedule_world.analyst, national_import=done)

    row = allocation_of(session, schedule_world.practice)
    assert (row.amount, row.published_amount, row.override_reason, row.import_id) == (
        Decimal("50000"), None, None, None,
    )  # fmt: skip
    assert allocation_of(session, schedule_world.sibling) is None  # the schedule's own: gone
    assert source_column(client)["2025/26"] == "Entered by the practice"
    page = client.page(FIGURES)
    assert page.select_one("input[name=hep_allocation]")["value"] == "50,000"
