"""Administrators create users, set temporary passwords, deactivate, read the audit log."""

from bs4 import BeautifulSoup
from sqlmodel import func, select

from monitor.models import AuditEvent, Role, User
from tests.client import error_summary, field_error, heading

TEMP = "temporary-pass-phrase"


def new_user_form(world, **overrides):
    return {
        "display_name": "Nadia Rahman",
        "email": "nadia@practice.example",
        "role": "practice_editor",
        "organisation": f"practice:{world.practice.id}",
        "password": TEMP,
        **overrides,
    }


def user_count(session) -> int:
    return session.exec(select(func.count()).select_from(User)).one()


def test_admin_creates_a_user_who_must_change_password(client, world, session, app):
    client.sign_in(world.admin.email)
    response = client.submit("/admin/users/new", new_user_form(world))
    assert response.status_code == 302
    created = session.exec(select(User).where(User.email == "nadia@practice.example")).one()
    assert created.role == "practice_editor"
    assert created.practice_id == world.practice.id
    assert created.must_change_password is True
    assert created.password_hash.startswith("$argon2id$")
    event = session.exec(
        select(AuditEvent).where(
            AuditEvent.action == "create", AuditEvent.object_id == str(created.id)
        )
    ).one()
    assert event.actor_id == world.admin.id
    assert "password_hash" not in event.after

    newcomer = app.test_client()
    response = newcomer.sign_in("nadia@practice.example", TEMP)
    assert response.headers["Location"] == "/change-password"


def test_create_user_validation_messages_and_nothing_saved(client, world, session):
    client.sign_in(world.admin.email)
    before = user_count(session)
    response = client.submit(
        "/admin/users/new",
        new_user_form(world, display_name="", email="not-an-email", password="short"),
    )
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert response.status_code == 400
    assert error_summary(soup) == ["Enter the person's name"]
    response = client.submit(
        "/admin/users/new", new_user_form(world, email="not-an-email", password="short")
    )
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert field_error(soup, "email").startswith("Enter an email address in the correct format")
    response = client.submit("/admin/users/new", new_user_form(world, password="short"))
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert field_error(soup, "password") == "Password must be 12 characters or more"
    assert user_count(session) == before


def test_role_and_organisation_must_match(client, world, session):
    client.sign_in(world.admin.email)
    before = user_count(session)
    response = client.submit(
        "/admin/users/new",
        new_user_form(world, role="pcn_lead", organisation=f"practice:{world.practice.id}"),
    )
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert response.status_code == 400
    assert field_error(soup, "organisation") == "Select a PCN for a pcn lead"
    assert user_count(session) == before


def test_admin_cannot_place_a_user_in_another_icb(client, world, session):
    client.sign_in(world.admin.email)
    before = user_count(session)
    response = client.submit(
        "/admin/users/new",
        new_user_form(world, organisation=f"practice:{world.foreign_practice.id}"),
    )
    assert response.status_code == 400  # not one of the offered choices
    assert user_count(session) == before


def test_duplicate_email_is_refused(client, world, session):
    client.sign_in(world.admin.email)
    response = client.submit(
        "/admin/users/new", new_user_form(world, email=world.viewer.email.upper())
    )
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert field_error(soup, "email") == "A user with this email address already exists"


def test_create_user_without_csrf_token_is_refused(client, world, session):
    client.sign_in(world.admin.email)
    before = user_count(session)
    response = client.post("/admin/users/new", data=new_user_form(world))
    assert response.status_code == 400
    assert user_count(session) == before


def test_deactivated_user_is_signed_out_and_cannot_sign_in(app, client, world, session):
    victim = app.test_client()
    victim.sign_in(world.viewer.email)
    assert victim.get("/").status_code == 200

    client.sign_in(world.admin.email)
    response = client.submit(
        f"/admin/users/{world.viewer.id}/deactivate", token_from=f"/admin/users/{world.viewer.id}"
    )
    assert response.status_code == 302
    session.refresh(world.viewer)
    assert world.viewer.is_active is False
    assert victim.get("/").status_code == 302
    failed = victim.submit(
        "/sign-in", {"email": world.viewer.email, "password": "correct-horse-battery"}
    )
    assert failed.status_code == 400

    client.submit(
        f"/admin/users/{world.viewer.id}/reactivate", token_from=f"/admin/users/{world.viewer.id}"
    )
    victim.sign_in(world.viewer.email)
    actions = session.exec(
        select(AuditEvent.action).where(AuditEvent.object_id == str(world.viewer.id))
    ).all()
    assert {"deactivate", "reactivate"} <= set(actions)


def test_admin_cannot_deactivate_themselves(client, world, session):
    client.sign_in(world.admin.email)
    client.submit(
        f"/admin/users/{world.admin.id}/deactivate", token_from=f"/admin/users/{world.admin.id}"
    )
    session.refresh(world.admin)
    assert world.admin.is_active is True


def test_temporary_password_unlocks_and_forces_a_change(app, client, world, session):
    from datetime import timedelta

    from monitor.core.clock import utcnow

    world.editor.locked_until = utcnow() + timedelta(minutes=10)
    session.add(world.editor)
    session.commit()
    client.sign_in(world.admin.email)
    url = f"/admin/users/{world.editor.id}/temporary-password"
    weak = client.submit(url, {"password": "password1234"})
    assert weak.status_code == 400
    response = client.submit(url, {"password": TEMP})
    assert response.status_code == 302
    session.refresh(world.editor)
    assert world.editor.locked_until is None and world.editor.must_change_password
    person = app.test_client()
    assert person.sign_in(world.editor.email, TEMP).headers["Location"] == "/change-password"


def test_admin_only_manages_users_in_their_icb(client, world):
    client.sign_in(world.admin.email)
    client.page(f"/admin/users/{world.foreign_editor.id}", status=404)
    client.page(f"/admin/users/{world.foreign_editor.id}/temporary-password", status=404)
    response = client.submit(
        f"/admin/users/{world.foreign_editor.id}/deactivate", token_from="/admin/users"
    )
    assert response.status_code == 404
    listed = client.page("/admin/users").get_text()
    assert world.editor.email in listed
    assert world.foreign_editor.email not in listed


def test_audit_log_shows_who_changed_what(client, world):
    client.sign_in(world.admin.email)
    client.submit(
        f"/admin/users/{world.viewer.id}/deactivate", token_from=f"/admin/users/{world.viewer.id}"
    )
    soup = client.page("/admin/audit")
    assert heading(soup) == "Audit log"
    first_row = soup.select("tbody tr")[0].get_text(" ", strip=True)
    assert f"Deactivated {world.viewer.email}" in first_row
    assert world.admin.email in first_row
    assert "is_active : True → False" in first_row


def test_users_page_lists_roles_and_status(client, world):
    client.sign_in(world.admin.email)
    soup = client.page("/admin/users")
    rows = {
        row.select("td")[1].get_text(strip=True): row.get_text(" ", strip=True)
        for row in soup.select("tbody tr")
    }
    assert "Practice editor" in rows[world.editor.email]
    assert world.practice.name in rows[world.editor.email]
    assert "PCN lead" in rows[world.pcn_lead.email]


def test_create_user_command(runner, world, session):
    result = runner.invoke(
        args=[
            "create-user",
            "--email",
            "cli@test.example",
            "--name",
            "Cli Person",
            "--role",
            "practice_viewer",
            "--organisation",
            world.practice.ods_code,
            "--password",
            TEMP,
        ]
    )
    assert result.exit_code == 0, result.output
    user = session.exec(select(User).where(User.email == "cli@test.example")).one()
    assert user.role_enum is Role.PRACTICE_VIEWER and user.must_change_password


def test_create_user_command_rejects_unknown_organisation(runner, world):
    result = runner.invoke(
        args=[
            "create-user",
            "--email",
            "cli@test.example",
            "--name",
            "Cli Person",
            "--role",
            "pcn_lead",
            "--organisation",
            "U00000",
            "--password",
            TEMP,
        ]
    )
    assert result.exit_code != 0
    assert "no pcn with code U00000" in result.output
