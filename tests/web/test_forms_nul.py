"""A NUL typed or pasted into any form is refused next to its field and nothing is
saved, on SQLite and on PostgreSQL (which refuses NUL in text outright, so before this
the same form was stored on one database and a 500 on the other)."""

from __future__ import annotations

import io

from bs4 import BeautifulSoup
from sqlmodel import func, select

from monitor.models import AuditEvent, Intervention, NationalImport, SpendItem
from tests.client import error_summary, field_error

SPENDING = {
    "spent_on-day": "1",
    "spent_on-month": "6",
    "spent_on-year": "2026",
    "category": "clinical_staff",
    "description": "Extra ANP\x00 sessions",
    "total_cost": "20000",
    "hep_mode": "share",
    "hep_share": "50",
    "other_sources": "arrs",
    "recurrence": "recurrent",
}
NUL_MESSAGE = (
    "contains a NUL character, which cannot be saved. Type it again rather than pasting it"
)


def _soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def _count(session, model) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(model)).one()


def test_nul_in_a_spending_description_is_refused_beside_the_field(client, world, session):
    client.sign_in(world.editor.email)
    before = _count(session, SpendItem), _count(session, AuditEvent)
    response = client.submit("/spending/new", SPENDING)
    assert response.status_code == 400
    soup = _soup(response)
    assert field_error(soup, "description").endswith(NUL_MESSAGE)
    assert any(NUL_MESSAGE in line for line in error_summary(soup))
    assert (_count(session, SpendItem), _count(session, AuditEvent)) == before


def test_nul_in_an_intervention_title_is_refused(client, world, session):
    client.sign_in(world.editor.email)
    before = _count(session, Intervention)
    response = client.submit(
        "/interventions/new",
        {
            "occurred_on-day": "1",
            "occurred_on-month": "6",
            "occurred_on-year": "2026",
            "title": "\x00Evening clinics",
            "affected_items": "home_visits",
        },
    )
    assert response.status_code == 400
    assert field_error(_soup(response), "title").endswith(NUL_MESSAGE)
    assert _count(session, Intervention) == before


def test_nul_in_a_figure_is_refused(client, world, session):
    client.sign_in(world.editor.email)
    response = client.submit("/figures/2025-08", {"home_visits": "12\x00"})
    assert response.status_code == 400
    assert field_error(_soup(response), "home_visits").endswith(NUL_MESSAGE)


def test_nul_in_the_sign_in_email_is_a_message_not_a_server_error(client, world):
    response = client.submit("/sign-in", {"email": world.editor.email + "\x00", "password": "x"})
    assert response.status_code == 400
    assert field_error(_soup(response), "email").endswith(NUL_MESSAGE)


def test_a_file_named_with_a_nul_is_kept_under_its_name_without_it(
    app, client, world, session, tmp_path
):
    app.instance_path = str(tmp_path)
    client.sign_in(world.admin.email)
    url = "/national-data/imports/new"
    response = client.post(
        url,
        data={
            "csrf_token": client.csrf_token(url),
            "file": (io.BytesIO(b"PRACTICE_CODE,VALUE\nC82001,1\n"), "fft\x00.csv"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code in (200, 302, 303)
    session.expire_all()
    assert session.exec(select(NationalImport.filename)).all() == ["fft.csv"]


def test_a_practice_upload_named_with_a_nul_is_recorded_without_it(client, world, session):
    client.sign_in(world.editor.email)
    url = "/spending/upload"
    response = client.post(
        url,
        data={"csrf_token": client.csrf_token(url), "file": (io.BytesIO(b"a,b\n"), "x\x00.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    session.expire_all()
    summaries = session.exec(select(AuditEvent.summary).where(AuditEvent.action == "upload")).all()
    assert summaries and all("\x00" not in s and "x.csv" in s for s in summaries)
