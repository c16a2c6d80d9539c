"""An administrator's audit log shows who did what kind of thing to which record and when,
never a practice's private content or values; the practice's own history keeps the full
before → after; no snapshot ever holds a credential."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import Field, SQLModel, select

from monitor.models import AuditEvent, MetricValue, User, Visibility
from monitor.services import audit, case_examples, records
from tests.factories import PASSWORD, make_spend

FIGURE_BEFORE, FIGURE_AFTER = 487.0, 488.0
SPEND_TEXT = "AUDIT-PRIVATE-SPEND-5f2e"
SPEND_EDITED = "AUDIT-PRIVATE-SPEND-EDITED-8a1c"
CASE_TITLE = "AUDIT-PRIVATE-CASE-3d9b"
CASE_EDITED = "AUDIT-PRIVATE-CASE-EDITED-7e4a"
PRIVATE_TEXT = (SPEND_TEXT, SPEND_EDITED, CASE_TITLE, CASE_EDITED)


def _case_input(title: str) -> case_examples.CaseExampleInput:
    return case_examples.CaseExampleInput(
        title=title,
        problem=f"Long waits ({title})",
        actions="More reception staff",
        cost="£4,321",
        outcome="Shorter waits",
        lessons="",
        visibility=Visibility.PRIVATE,
        tags=[],
        spend_item_ids=[],
        metric_item_ids=[],
    )


@pytest.fixture
def edits(session, world):
    """A figure, a spending item and a case example of `world.practice`, each created and
    then edited through the one audited write path."""
    editor = world.editor
    figure = records.create(
        session,
        user=editor,
        record=MetricValue(
            practice_id=world.practice.id,
            item_id="home_visits",
            frequency="monthly",
            period_code="2025-06",
            period_start=date(2025, 6, 1),
            value_number=FIGURE_BEFORE,
            template_id="hep-light-touch",
            template_version=1,
        ),
        summary=f"Recorded home visits for June 2025: {FIGURE_BEFORE}",
    )
    records.update_fields(
        session,
        user=editor,
        record=figure,
        changes={"value_number": FIGURE_AFTER},
        expected_version=figure.version,
        summary=f"Recorded home visits for June 2025: {FIGURE_AFTER}",
    )
    spend = make_spend(session, practice=world.practice, description=SPEND_TEXT)
    records.update_fields(
        session,
        user=editor,
        record=spend,
        changes={"description": SPEND_EDITED, "total_cost": Decimal("98765.43")},
        expected_version=spend.version,
        summary=f"Changed spending item {SPEND_TEXT}",
    )
    case = case_examples.create(
        session, user=editor, practice_id=world.practice.id, data=_case_input(CASE_TITLE)
    )
    case_examples.update(
        session, user=editor, case=case, data=_case_input(CASE_EDITED), expected_version=1
    )
    return {"figure": figure, "spend": spend, "case": case}


def _log_rows(client, url="/admin/audit") -> list[str]:
    soup = client.page(url)
    return [row.get_text(" ", strip=True) for row in soup.select("table tbody tr")]


def test_admin_audit_log_names_changed_fields_but_never_private_values(client, world, edits):
    client.sign_in(world.admin.email)
    rows = _log_rows(client)
    text = client.page("/admin/audit").get_text(" ")
    for private in PRIVATE_TEXT:
        assert private not in text
    for value in ("487", "488", "98765", "98,765", "4,321"):
        assert value not in text
    figure_id, spend_id = edits["figure"].id, edits["spend"].id
    figure_rows = [r for r in rows if f"Figure {figure_id}" in r]
    assert len(figure_rows) == 2
    assert "Changed figure" in figure_rows[0]
    assert "Changed: value_number" in figure_rows[0]
    assert "Added figure" in figure_rows[1]
    assert world.editor.email in figure_rows[0]
    assert f"{world.practice.name} ({world.practice.ods_code})" in figure_rows[0]
    spend_row = next(r for r in rows if f"Spending item {spend_id}" in r)
    assert "Changed: description," in spend_row and "total_cost" in spend_row
    case_row = next(r for r in rows if f"Case example {edits['case'].id}" in r)
    assert "Changed case example" in case_row


def test_the_practices_own_history_keeps_the_full_before_and_after(client, world, edits):
    client.sign_in(world.viewer.email)
    figure = client.page(f"/history/metric_value/{edits['figure'].id}").get_text(" ", strip=True)
    assert "Home visits : 487 → 488" in figure
    spend = client.page(f"/history/spend_item/{edits['spend'].id}").get_text(" ", strip=True)
    assert f"What it paid for : {SPEND_TEXT} → {SPEND_EDITED}" in spend


def test_configuration_events_show_before_and_after(client, world):
    client.sign_in(world.admin.email)
    client.submit(
        f"/admin/users/{world.viewer.id}/deactivate", token_from=f"/admin/users/{world.viewer.id}"
    )
    first = _log_rows(client)[0]
    assert f"Deactivated {world.viewer.email}" in first
    assert "is_active : True → False" in first
    assert f"User {world.viewer.id}" in first


def test_an_unnamed_kind_of_record_is_private_by_default():
    event = AuditEvent(
        id=1,
        action="update",
        object_type="something_new",
        object_id="9",
        practice_id=3,
        summary="Changed the secret plan “Operation X” to £5",
        before={"plan": "Operation X", "cost": 4},
        after={"plan": "Operation X", "cost": 5},
    )
    entry = audit.for_administrator(event)
    assert entry.private
    assert entry.description == "Changed something new"
    assert entry.changes == ()
    assert entry.changed_fields == ("cost",)


def test_the_filters_and_pages_show_only_what_they_select(client, session, world, edits):
    client.sign_in(world.admin.email)
    spend_rows = _log_rows(client, "/admin/audit?type=spend_item")
    assert spend_rows and all("Spending item" in r for r in spend_rows)
    sibling_rows = _log_rows(client, f"/admin/audit?practice={world.sibling.id}")
    assert sibling_rows and all(world.sibling.name in r for r in sibling_rows)
    # A value the filter does not offer shows everything, as the case-example browser does.
    assert len(_log_rows(client, "/admin/audit?type=nonsense&practice=x")) == len(_log_rows(client))
    # Another ICB's practice is no filter at all.
    assert len(_log_rows(client, f"/admin/audit?practice={world.foreign_practice.id}")) == len(
        _log_rows(client)
    )
    for n in range(60):
        audit.record(
            session,
            actor=world.editor,
            action="update",
            object_type="spend_item",
            object_id=edits["spend"].id,
            practice_id=world.practice.id,
            summary=f"{SPEND_TEXT} {n}",
            before={"description": f"{SPEND_TEXT} {n}"},
            after={"description": f"{SPEND_EDITED} {n}"},
        )
    session.commit()
    first = client.page("/admin/audit?type=spend_item")
    next_link = first.select_one(".nhsuk-pagination__link--next")
    assert next_link["href"] == "/admin/audit?page=2&type=spend_item"
    second = _log_rows(client, next_link["href"])
    assert second and all("Spending item" in r for r in second)
    assert not any(p in "\n".join(second) for p in PRIVATE_TEXT)
    assert client.get("/admin/audit?page=99999999999999999999").status_code == 200


class _WithSecrets(SQLModel):
    id: int = Field(default=1)
    email: str = "a@b.example"
    password_hash: str = "$argon2id$v=19$secret-hash"
    session_token: str = "tok-123"
    totp_secret: str = "JBSWY3DPEHPK3PXP"
    mfa_secret: str = "KRSXG5CTMVRXEZLU"
    recovery_code_hashes: list[str] = Field(default_factory=lambda: ["$argon2id$code"])
    must_change_password: bool = True


def test_snapshots_never_hold_credentials():
    assert audit.snapshot(_WithSecrets()) == {
        "id": 1,
        "email": "a@b.example",
        "must_change_password": True,
    }


def test_a_credential_in_an_old_event_is_not_shown():
    event = AuditEvent(
        id=1,
        action="update",
        object_type="user",
        object_id="1",
        before={"password_hash": "old-hash", "totp_secret": "A", "is_active": True},
        after={"password_hash": "new-hash", "totp_secret": "B", "is_active": False},
    )
    assert audit.changes(event) == [("is_active", True, False)]
    assert audit.for_administrator(event).changes == (("is_active", True, False),)


def test_user_events_and_pages_never_show_password_hashes_or_tokens(client, session, world):
    client.sign_in(world.admin.email)
    response = client.submit(
        f"/admin/users/{world.viewer.id}/temporary-password",
        {"password": "a-brand-new-temporary-pass"},
    )
    assert response.status_code == 302
    session.expire_all()
    viewer = session.get(User, world.viewer.id)
    events = session.exec(
        select(AuditEvent).where(
            AuditEvent.object_type == "user", AuditEvent.object_id == str(viewer.id)
        )
    ).all()
    assert events
    for event in events:
        for snap in (event.before or {}, event.after or {}):
            assert not any(audit.is_secret_field(name) for name in snap)
    secrets = (viewer.password_hash, viewer.session_token, world.admin.password_hash, PASSWORD)
    for url in ("/admin/audit", f"/admin/users/{viewer.id}", "/admin/users"):
        page = client.get(url).get_data(as_text=True)
        for secret in secrets:
            assert secret not in page, url
