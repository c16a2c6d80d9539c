"""ICBs, PCNs and practices are created once, matched by ODS code, each with its audit
event; an organisation that already exists is returned untouched."""

from __future__ import annotations

from sqlmodel import func, select

from monitor.models import AuditEvent, Icb, Pcn, Practice, Role
from monitor.services import organisations
from tests.factories import make_icb, make_pcn, make_user

PRACTICE = {
    "ods_code": "Z12345",
    "name": "Riverside Surgery",
    "town": "Leicester",
    "list_size": 9800,
    "imd_decile": 2,
    "rurality": "urban",
}


def count(session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def events(session, object_type: str) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(AuditEvent.object_type == object_type)))


def test_ensure_icb_creates_it_with_an_audit_event(session):
    icb, created = organisations.ensure_icb(session, user=None, code="QZ8", name="Test ICB")
    assert created and icb.id is not None
    assert session.get(Icb, icb.id).name == "Test ICB"
    (event,) = events(session, "icb")
    assert (event.action, event.object_id, event.actor_id) == ("create", str(icb.id), None)
    assert event.summary == "Added the ICB Test ICB (QZ8)"
    assert event.after["code"] == "QZ8"


def test_ensure_icb_matches_an_existing_one_by_code_and_leaves_it_alone(session):
    existing = make_icb(session, code="QZ8", name="Old name")
    icb, created = organisations.ensure_icb(session, user=None, code="QZ8", name="New name")
    assert not created and icb.id == existing.id and icb.name == "Old name"
    assert count(session, Icb) == 1 and events(session, "icb") == []


def test_ensure_pcn_creates_it_in_its_icb_once(session):
    icb = make_icb(session)
    pcn, created = organisations.ensure_pcn(
        session, user=None, code="U12345", name="North PCN", icb_id=icb.id
    )
    assert created and pcn.icb_id == icb.id
    again, created_again = organisations.ensure_pcn(
        session, user=None, code="U12345", name="Renamed PCN", icb_id=icb.id
    )
    assert not created_again and again.id == pcn.id and again.name == "North PCN"
    assert count(session, Pcn) == 1
    (event,) = events(session, "pcn")
    assert event.object_id == str(pcn.id) and event.summary == "Added the PCN North PCN (U12345)"


def test_ensure_practice_creates_it_private_with_an_event_filed_under_it(session):
    pcn = make_pcn(session, icb=make_icb(session))
    practice, created = organisations.ensure_practice(
        session, user=None, icb_id=pcn.icb_id, pcn_id=pcn.id, **PRACTICE
    )
    assert created
    stored = session.get(Practice, practice.id)
    assert (stored.ods_code, stored.pcn_id, stored.list_size) == ("Z12345", pcn.id, 9800)
    assert not stored.shares_with_pcn and not stored.shares_with_icb
    (event,) = events(session, "practice")
    assert event.practice_id == practice.id and event.object_id == str(practice.id)
    assert event.summary == "Added the practice Riverside Surgery (Z12345)"


def test_ensure_practice_matches_by_ods_code_whatever_else_differs(session):
    pcn = make_pcn(session, icb=make_icb(session))
    first, _ = organisations.ensure_practice(
        session, user=None, icb_id=pcn.icb_id, pcn_id=pcn.id, **PRACTICE
    )
    other_pcn = make_pcn(session, icb=make_icb(session))
    second, created = organisations.ensure_practice(
        session,
        user=None,
        icb_id=other_pcn.icb_id,
        pcn_id=other_pcn.id,
        **{**PRACTICE, "list_size": 1},
    )
    assert not created and second.id == first.id
    assert (second.pcn_id, second.list_size) == (pcn.id, 9800)
    assert count(session, Practice) == 1 and len(events(session, "practice")) == 1


def test_the_person_onboarding_is_the_events_actor(session):
    icb = make_icb(session)
    admin = make_user(session, role=Role.ADMIN, organisation=icb)
    pcn, _ = organisations.ensure_pcn(
        session, user=admin, code="U54321", name="South PCN", icb_id=icb.id
    )
    (event,) = events(session, "pcn")
    assert event.actor_id == admin.id and event.actor_email == admin.email


def test_without_commit_nothing_is_kept_until_the_caller_commits(session):
    organisations.ensure_icb(session, user=None, code="QZ7", name="Uncommitted", commit=False)
    session.rollback()
    assert count(session, Icb) == 0 and events(session, "icb") == []


def test_find_returns_none_for_an_unknown_code(session):
    assert organisations.find_icb(session, "QZ0") is None
    assert organisations.find_pcn(session, "U00000") is None
    assert organisations.find_practice(session, "Z00000") is None
