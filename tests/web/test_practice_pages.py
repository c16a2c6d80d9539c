"""A practice's record pages: editing, validation, locking, history, and isolation
from other practices' records."""

from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from sqlmodel import func, select

from monitor.models import (
    AuditEvent,
    HepAllocation,
    Intervention,
    MetricValue,
    SpendItem,
    StaffingChange,
)
from tests.client import error_summary, field_error, heading

MODELS = {
    "allocations": HepAllocation,
    "spending": SpendItem,
    "staffing": StaffingChange,
    "interventions": Intervention,
}

VALID = {
    "allocations": {"financial_year": "2024", "amount": "50,000"},
    "spending": {
        "spent_on-day": "1",
        "spent_on-month": "6",
        "spent_on-year": "2026",
        "category": "clinical_staff",
        "description": "Extra ANP sessions",
        "total_cost": "20000",
        "hep_mode": "share",
        "hep_share": "50",
        "other_sources": "arrs",
        "recurrence": "recurrent",
    },
    "staffing": {
        "role": "anp",
        "change_type": "new_post",
        "wte_change": "0.6",
        "starts_on-day": "1",
        "starts_on-month": "6",
        "starts_on-year": "2026",
        "contract_type": "permanent",
        "hep_share_pct": "100",
    },
    "interventions": {
        "occurred_on-day": "1",
        "occurred_on-month": "6",
        "occurred_on-year": "2026",
        "title": "Evening clinics",
        "affected_items": "home_visits",
    },
}


def snapshot_db(session):
    session.expire_all()
    counts = {
        model.__name__: session.exec(select(func.count()).select_from(model)).one()
        for model in (*MODELS.values(), MetricValue, AuditEvent)
    }
    versions = {
        kind: sorted(session.exec(select(model.id, model.version)).all())
        for kind, model in MODELS.items()
    }
    return counts, versions


def soup_of(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


@pytest.mark.parametrize("kind", list(MODELS))
def test_another_practices_records_are_404_for_every_read_edit_delete_and_post(
    client, world, session, kind
):
    client.sign_in(world.editor.email)
    theirs = world.sibling_records[kind]
    before = snapshot_db(session)
    for url in (f"/{kind}/{theirs.id}/edit", f"/{kind}/{theirs.id}/delete"):
        assert client.get(url).status_code == 404
        response = client.submit(
            url, {**VALID[kind], "version": str(theirs.version)}, token_from=f"/{kind}"
        )
        assert response.status_code == 404
    object_type = {
        "allocations": "hep_allocation",
        "spending": "spend_item",
        "staffing": "staffing_change",
        "interventions": "intervention",
    }[kind]
    assert client.get(f"/history/{object_type}/{theirs.id}").status_code == 404
    listing = client.page(f"/{kind}").get_text() + client.page(f"/{kind}?year=2025").get_text()
    assert f"/{kind}/{theirs.id}/" not in listing
    assert snapshot_db(session) == before


def test_other_practices_figures_never_appear(client, world, session):
    from tests.factories import make_value

    make_value(
        session,
        practice=world.sibling,
        item_id="inbound_calls",
        period_code="2025-10",
        number=98765,
    )
    client.sign_in(world.editor.email)
    page = client.page("/figures/2025-10")
    assert "98765" not in str(page) and "98,765" not in str(page)


def test_editor_adds_each_kind_of_record(client, world, session):
    client.sign_in(world.editor.email)
    for kind, data in VALID.items():
        before = session.exec(select(func.count()).select_from(MODELS[kind])).one()
        response = client.submit(f"/{kind}/new", data)
        assert response.status_code == 302, (kind, error_summary(soup_of(response)))
        assert response.headers["Location"] == f"/{kind}"
        assert session.exec(select(func.count()).select_from(MODELS[kind])).one() == before + 1
    spend = session.exec(
        select(SpendItem).where(SpendItem.description == "Extra ANP sessions")
    ).one()
    assert spend.hep_amount == Decimal("10000.00")
    assert spend.other_sources == ["arrs"]
    assert spend.practice_id == world.practice.id


def test_invalid_spending_shows_errors_and_saves_nothing(client, world, session):
    client.sign_in(world.editor.email)
    before = snapshot_db(session)
    response = client.submit(
        "/spending/new",
        {**VALID["spending"], "hep_mode": "amount", "hep_amount": "25000", "total_cost": "20000"},
    )
    soup = soup_of(response)
    assert response.status_code == 400
    assert error_summary(soup) == ["HEP-funded amount cannot be more than the total cost"]
    assert field_error(soup, "hep_amount") == "HEP-funded amount cannot be more than the total cost"
    assert soup.select_one("#description")["value"] == "Extra ANP sessions"  # kept
    assert snapshot_db(session) == before


def test_date_errors_link_to_the_day_box(client, world):
    client.sign_in(world.editor.email)
    soup = soup_of(client.submit("/staffing/new", {**VALID["staffing"], "starts_on-month": ""}))
    link = soup.select_one(".nhsuk-error-summary a")
    assert link["href"] == "#starts_on-day"
    assert link.get_text(strip=True) == "The start date must include a month"


def test_adding_spending_changes_the_category_total(client, world):
    client.sign_in(world.editor.email)

    def telephony_total():
        rows = client.page("/spending?year=2025").select("#category-totals tbody tr")
        totals = {
            r.select_one("th").get_text(strip=True): r.select("td")[0].get_text(strip=True)
            for r in rows
        }
        return totals.get("Telephony and call handling")

    assert telephony_total() == "£6,000"
    client.submit(
        "/spending/new",
        {
            **VALID["spending"],
            "category": "telephony",
            "spent_on-year": "2025",
            "spent_on-month": "11",
        },
    )
    assert telephony_total() == "£16,000"


def test_spending_page_shows_allocation_against_hep_spend(client, world):
    client.sign_in(world.editor.email)
    text = client.page("/spending?year=2025").get_text(" ", strip=True)
    assert "HEP allocation £48,000" in text
    assert "Spending paid by HEP £6,000" in text
    assert "£42,000 of the allocation not yet matched to spending" in text


def test_allocations_show_year_on_year_change(client, world, session):
    from tests.factories import make_allocation

    make_allocation(session, practice=world.practice, financial_year=2024, amount=Decimal(40000))
    client.sign_in(world.editor.email)
    rows = client.page("/allocations").select("tbody tr")
    first = rows[0].get_text(" ", strip=True)
    assert first.startswith("2025/26 £48,000 +£8,000 (+20%)")


def test_a_second_year_allocation_for_the_same_year_is_refused(client, world, session):
    client.sign_in(world.editor.email)
    response = client.submit("/allocations/new", {"financial_year": "2025", "amount": "1"})
    assert response.status_code == 400
    assert "There is already an allocation for 2025/26" in field_error(
        soup_of(response), "financial_year"
    )


def test_edit_is_audited_and_history_shows_before_and_after(client, world, session):
    item = world.records["spending"]
    client.sign_in(world.editor.email)
    form = client.page(f"/spending/{item.id}/edit")
    data = {field["name"]: field.get("value", "") for field in form.select("input[type=text]")}
    data.update(
        category="telephony",
        recurrence="recurrent",
        hep_mode="amount",
        other_sources="gms",
        version=str(item.version),
        total_cost="12,000",
    )
    response = client.submit(f"/spending/{item.id}/edit", data)
    assert response.status_code == 302, error_summary(soup_of(response))
    history = client.page(f"/history/spend_item/{item.id}")
    text = history.get_text(" ", strip=True)
    assert "Total cost : £10,000 → £12,000" in text
    assert world.editor.email in text


def test_second_editor_saving_a_stale_form_is_told_someone_else_changed_it(
    app, client, world, session
):
    item = world.records["staffing"]
    colleague = app.test_client()
    colleague.sign_in(world.editor.email)
    client.sign_in(world.editor.email)
    stale_version = str(item.version)
    data = {**VALID["staffing"], "version": stale_version}
    first = colleague.submit(f"/staffing/{item.id}/edit", {**data, "wte_change": "0.8"})
    assert first.status_code == 302
    second = client.submit(f"/staffing/{item.id}/edit", {**data, "wte_change": "0.4"})
    assert second.status_code == 409
    assert "Someone else changed this staffing change" in second.get_data(as_text=True)
    session.expire_all()
    assert session.get(StaffingChange, item.id).wte_change == Decimal("0.80")


def test_delete_asks_first_then_deletes_and_keeps_history(client, world, session):
    event = world.records["interventions"]
    event_id = event.id
    client.sign_in(world.editor.email)
    page = client.page(f"/interventions/{event_id}/delete")
    assert heading(page) == "Delete this intervention?"
    response = client.submit(f"/interventions/{event_id}/delete", {"version": str(event.version)})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Intervention, event_id) is None
    history = client.page(f"/history/intervention/{event_id}").get_text()
    assert "Deleted intervention" in history


def test_viewer_sees_pages_without_edit_controls_and_cannot_post(client, world, session):
    client.sign_in(world.viewer.email)
    for url in ("/spending?year=2025", "/staffing?year=2025", "/allocations", "/interventions"):
        page = client.page(url)
        links = [a["href"] for a in page.select("main a")]
        assert not any(h.endswith(("/edit", "/delete", "/new")) for h in links), url
        assert any("/history/" in h for h in links), url
    period = client.page("/figures/2025-10")
    assert period.select("main form") == []
    before = snapshot_db(session)
    assert (
        client.submit("/figures/2025-10", {"inbound_calls": "5"}, token_from="/figures").status_code
        == 403
    )
    assert (
        client.submit("/spending/new", VALID["spending"], token_from="/spending").status_code == 403
    )
    assert snapshot_db(session) == before


def test_recording_a_month_through_the_page(client, world, session):
    client.sign_in(world.editor.email)
    page = client.page("/figures/2025-10")
    token = page.select_one("input[name=token]")["value"]
    bad = client.submit(
        "/figures/2025-10", {"token": token, "call_answer_time": "150", "inbound_calls": "1200"}
    )
    soup = soup_of(bad)
    assert bad.status_code == 400
    assert error_summary(soup) == [
        "Enter the average time to answer calls in minutes and seconds, like 2:30"
    ]
    assert soup.select_one("#inbound_calls")["value"] == "1200"
    assert session.exec(select(func.count()).select_from(MetricValue)).one() == 0
    good = client.submit(
        "/figures/2025-10", {"token": token, "call_answer_time": "2:30", "inbound_calls": "1200"}
    )
    assert good.headers["Location"] == "/figures"
    overview = client.page("/figures")
    assert "October 2025 figures saved: added 2." in overview.get_text()
    row = next(r for r in overview.select("tbody tr") if "October 2025" in r.get_text())
    assert "Partly recorded" in row.get_text()
    again = client.page("/figures/2025-10")
    assert again.select_one("#call_answer_time")["value"] == "2:30"


def test_unknown_or_unfinished_period_is_404(client, world):
    client.sign_in(world.editor.email)
    client.page("/figures/2099-01", status=404)
    client.page("/figures/not-a-period", status=404)


def test_editor_chooses_to_share_and_it_is_audited(client, world, session):
    client.sign_in(world.editor.email)
    response = client.submit("/sharing", {"share": "pcn"})
    assert response.status_code == 302
    session.refresh(world.practice)
    assert world.practice.shares_with_pcn and not world.practice.shares_with_icb
    event = session.exec(
        select(AuditEvent).where(AuditEvent.object_type == "practice_sharing")
    ).one()
    assert event.before == {"shares_with_pcn": False, "shares_with_icb": False}
    client.submit("/sharing", {})
    session.refresh(world.practice)
    assert not world.practice.shares_with_pcn


def test_viewer_cannot_change_sharing(client, world, session):
    client.sign_in(world.viewer.email)
    assert client.page("/sharing").select("main form") == []
    assert client.submit("/sharing", {"share": "icb"}, token_from="/").status_code == 403
    session.refresh(world.practice)
    assert not world.practice.shares_with_icb
