"""The four practice logs share one create/edit engine: every kind is registered in
`KINDS` and saved through its own `save`, and each keeps its own wording and rules."""

from dataclasses import replace

import pytest
from bs4 import BeautifulSoup
from sqlmodel import select

from monitor.models import AuditEvent, HepAllocation
from monitor.services.records import object_type
from monitor.web.practice.logs import KINDS
from tests.client import field_error
from tests.factories import make_allocation
from tests.web.test_practice_pages import VALID


def soup_of(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def test_every_log_is_registered_under_its_url_segment_with_its_list_page(app):
    assert sorted(KINDS) == ["allocations", "interventions", "spending", "staffing"]
    endpoints = {rule.endpoint: rule.rule for rule in app.url_map.iter_rules()}
    for name, kind in KINDS.items():
        assert kind.kind == name
        assert endpoints[kind.list_endpoint] == f"/{name}"


@pytest.mark.parametrize("name", sorted(KINDS))
def test_adding_and_editing_every_kind_goes_through_its_save(client, world, monkeypatch, name):
    kind = KINDS[name]
    calls = []

    def spy(called_kind, session, **arguments):
        calls.append(arguments["existing"])
        return kind.save(called_kind, session, **arguments)

    monkeypatch.setitem(KINDS, name, replace(kind, save=spy))
    client.sign_in(world.editor.email)
    assert client.submit(f"/{name}/new", VALID[name]).status_code == 302
    record = world.records[name]
    form = {**kind.to_values(record), "version": str(record.version)}
    assert client.submit(f"/{name}/{record.id}/edit", form).status_code == 302
    assert calls[0] is None
    assert calls[1].id == record.id


@pytest.mark.parametrize(
    ("name", "summary", "flash"),
    [
        (
            "allocations",
            "Recorded HEP allocation for 2024/25: £50,000",
            "HEP allocation added: 2024/25.",
        ),
        (
            "spending",
            "Added spending item Extra ANP sessions (01/06/2026)",
            "Spending item added: Extra ANP sessions (01/06/2026).",
        ),
        (
            "staffing",
            "Added staffing change Advanced nurse practitioner (01/06/2026)",
            "Staffing change added: Advanced nurse practitioner (01/06/2026).",
        ),
        (
            "interventions",
            "Added intervention “Evening clinics” (01/06/2026)",
            "Intervention added: “Evening clinics” (01/06/2026).",
        ),
    ],
)
def test_each_kind_words_its_audit_event_and_flash_after_adding(
    client, world, session, name, summary, flash
):
    client.sign_in(world.editor.email)
    response = client.submit(f"/{name}/new", VALID[name])
    assert response.status_code == 302
    banner = client.page(response.headers["Location"]).select_one(".nhsuk-notification-banner")
    assert flash in banner.get_text(" ", strip=True)
    latest = session.exec(
        select(AuditEvent)
        .where(AuditEvent.object_type == object_type(KINDS[name].model))
        .order_by(AuditEvent.id.desc())
    ).first()
    assert latest.summary == summary


def test_a_new_allocation_for_a_year_already_recorded_shows_the_clash_and_saves_nothing(
    client, world, session
):
    client.sign_in(world.editor.email)
    before = session.exec(select(HepAllocation)).all()
    response = client.submit("/allocations/new", {"financial_year": "2025", "amount": "1"})
    assert response.status_code == 400
    assert field_error(soup_of(response), "financial_year") == (
        "There is already an allocation for 2025/26: change that one instead"
    )
    session.expire_all()
    assert session.exec(select(HepAllocation)).all() == before


def test_moving_an_allocation_onto_a_recorded_year_shows_the_clash_and_keeps_it(
    client, world, session
):
    make_allocation(session, practice=world.practice, financial_year=2024)
    record = world.records["allocations"]
    client.sign_in(world.editor.email)
    form = {
        **KINDS["allocations"].to_values(record),
        "financial_year": "2024",
        "version": str(record.version),
    }
    response = client.submit(f"/allocations/{record.id}/edit", form)
    assert response.status_code == 400
    assert field_error(soup_of(response), "financial_year") == (
        "There is already an allocation for 2024/25: change that one instead"
    )
    session.expire_all()
    assert session.get(HepAllocation, record.id).financial_year == 2025
