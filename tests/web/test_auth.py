"""Sign-in, lockout, throttling, sign-out, sessions and passwords."""

from datetime import timedelta

import pytest
from sqlmodel import func, select

from monitor.core.clock import utcnow
from monitor.models import AuditEvent, SignInFailure, User
from monitor.services import accounts
from monitor.services.accounts import SignInOutcome, ThrottlePolicy
from monitor.services.passwords import PasswordPolicyError, Passwords, check_password_policy
from tests.client import error_summary, field_error, heading
from tests.factories import PASSWORD

GENERIC = "Enter a correct email address and password"


def fail_sign_in(client, email, times=1, password="not-the-password"):
    response = None
    for _ in range(times):
        response = client.submit("/sign-in", {"email": email, "password": password})
    return response


def test_sign_in_lands_on_home(client, world):
    response = client.sign_in(world.editor.email)
    assert response.headers["Location"] == "/"
    assert heading(client.page("/")) == world.practice.name


def test_email_is_matched_case_insensitively(client, world):
    client.sign_in(world.editor.email.upper())
    assert heading(client.page("/")) == world.practice.name


def test_wrong_password_and_unknown_email_get_the_same_message(client, world):
    from bs4 import BeautifulSoup

    wrong = fail_sign_in(client, world.editor.email)
    unknown = fail_sign_in(client, "nobody@test.example")
    messages = []
    for response in (wrong, unknown):
        assert response.status_code == 400
        soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
        assert soup.title.get_text().startswith("Error: ")
        summary = error_summary(soup)
        assert len(summary) == 1 and summary[0].startswith(GENERIC)
        assert field_error(soup, "email").startswith(GENERIC)
        messages.append(summary)
    assert messages[0] == messages[1]


def test_empty_form_asks_for_each_field(client, world):
    from bs4 import BeautifulSoup

    response = client.submit("/sign-in", {"email": "", "password": ""})
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert response.status_code == 400
    assert error_summary(soup) == ["Enter your email address", "Enter your password"]
    assert soup.select_one(".nhsuk-error-summary a")["href"] == "#email"


def test_ten_consecutive_failures_lock_the_account(client, world, session):
    fail_sign_in(client, world.editor.email, times=9)
    session.refresh(world.editor)
    assert world.editor.locked_until is None
    fail_sign_in(client, world.editor.email)
    session.refresh(world.editor)
    assert world.editor.locked_until is not None
    # Even the right password is refused while locked, with the same generic message.
    response = fail_sign_in(client, world.editor.email, password=PASSWORD)
    assert response.status_code == 400
    assert GENERIC in response.get_data(as_text=True)
    locked = session.exec(select(AuditEvent).where(AuditEvent.action == "account_locked")).all()
    assert len(locked) == 1


def test_a_success_resets_the_failure_count(client, world, session):
    fail_sign_in(client, world.editor.email, times=9)
    client.sign_in(world.editor.email)
    session.refresh(world.editor)
    assert world.editor.failed_sign_ins == 0


def test_lock_expires_after_the_lockout_period(app, world, session):
    policy = ThrottlePolicy(lockout_threshold=10, lockout_period=timedelta(minutes=15))
    hasher = Passwords(time_cost=1, memory_cost=8)
    start = utcnow()
    for _ in range(10):
        accounts.sign_in(
            session,
            email=world.editor.email,
            password="wrong-password",
            address="10.0.0.1",
            passwords=hasher,
            policy=policy,
            now=start,
        )
    attempt = {
        "email": world.editor.email,
        "password": PASSWORD,
        "address": "10.0.0.2",
        "passwords": hasher,
    }
    during = accounts.sign_in(session, **attempt, policy=policy, now=start + timedelta(minutes=14))
    after = accounts.sign_in(session, **attempt, policy=policy, now=start + timedelta(minutes=16))
    assert during.outcome is SignInOutcome.FAILED
    assert after.outcome is SignInOutcome.SIGNED_IN


def test_many_failures_from_one_address_are_throttled(app, client, world, session):
    app.config["ADDRESS_FAILURE_LIMIT"] = 5
    # Spraying different accounts from one address: no single account reaches 10.
    for n in range(5):
        fail_sign_in(client, f"person{n}@test.example")
    response = fail_sign_in(client, world.editor.email, password=PASSWORD)
    assert response.status_code == 429
    assert "too many sign-in attempts from your network" in response.get_data(as_text=True)
    assert session.exec(select(func.count()).select_from(SignInFailure)).one() == 5
    session.refresh(world.editor)
    assert world.editor.last_sign_in_at is None


def test_sign_out_ends_the_session_and_a_replayed_cookie_is_rejected(app, client, world):
    client.sign_in(world.editor.email)
    copied = client.get_cookie("hep_session").value
    response = client.submit("/sign-out", token_from="/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302  # signed out in this browser
    thief = app.test_client()
    thief.set_cookie("hep_session", copied)
    replay = thief.get("/")
    assert replay.status_code == 302
    assert replay.headers["Location"].startswith("/sign-in")


def test_sign_out_needs_post(client, world):
    client.sign_in(world.editor.email)
    assert client.get("/sign-out").status_code == 405
    assert client.get("/").status_code == 200


def test_sign_out_without_csrf_token_is_refused_and_changes_nothing(client, world, session):
    client.sign_in(world.editor.email)
    token_before = session.get(User, world.editor.id).session_token
    response = client.post("/sign-out")
    assert response.status_code == 400
    session.expire_all()
    assert session.get(User, world.editor.id).session_token == token_before
    assert client.get("/").status_code == 200


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/path",
        "/\\evil.example",
        "\\\\evil.example",
        "http:/evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/\r\nLocation: https://evil.example",
        " //evil.example",
    ],
)
def test_next_never_leaves_the_site(client, world, target):
    from urllib.parse import quote

    response = client.submit(
        f"/sign-in?next={quote(target)}",
        {"email": world.editor.email, "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_next_keeps_a_same_site_path(client, world):
    response = client.submit(
        "/sign-in?next=/what-we-ask%3Fsection%3Daccess",
        {"email": world.editor.email, "password": PASSWORD},
    )
    assert response.headers["Location"] == "/what-we-ask?section=access"


def test_anonymous_visitor_is_sent_to_sign_in_and_back(client, world):
    response = client.get(f"/practices/{world.practice.id}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/sign-in?next=/practices/{world.practice.id}"
    signed = client.submit(
        response.headers["Location"], {"email": world.editor.email, "password": PASSWORD}
    )
    assert signed.headers["Location"] == f"/practices/{world.practice.id}"


def test_idle_session_is_signed_out(app, client, world):
    client.sign_in(world.editor.email)
    with client.session_transaction() as flask_session:
        flask_session["last_seen"] -= int(app.config["IDLE_TIMEOUT"].total_seconds()) + 5
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")
    assert client.get("/").status_code == 302


def test_no_remember_me_cookie_and_cookie_flags(client, world):
    response = client.sign_in(world.editor.email)
    cookies = response.headers.getlist("Set-Cookie")
    assert not any(c.startswith("remember_token") for c in cookies)
    session_cookie = next(c for c in cookies if c.startswith("hep_session="))
    assert "HttpOnly" in session_cookie
    assert "SameSite=Lax" in session_cookie
    assert "Expires" not in session_cookie  # ends with the browser


def test_temporary_password_must_be_changed_before_anything_else(client, world, session):
    world.editor.must_change_password = True
    session.add(world.editor)
    session.commit()
    response = client.sign_in(world.editor.email)
    assert response.headers["Location"] == "/change-password"
    assert client.get("/").headers["Location"] == "/change-password"
    assert client.get("/what-we-ask").status_code == 200  # public pages stay open
    new_password = "a-much-better-passphrase"
    changed = client.submit(
        "/change-password",
        {
            "current_password": PASSWORD,
            "new_password": new_password,
            "confirm_password": new_password,
        },
    )
    assert changed.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    session.refresh(world.editor)
    assert world.editor.must_change_password is False
    client.submit("/sign-out", token_from="/")
    client.sign_in(world.editor.email, new_password)


def test_change_password_checks_current_password_and_policy(client, world):
    from bs4 import BeautifulSoup

    client.sign_in(world.editor.email)
    response = client.submit(
        "/change-password",
        {"current_password": "wrong", "new_password": "short", "confirm_password": "short"},
    )
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert response.status_code == 400
    assert field_error(soup, "current_password") == "Your current password is not correct"
    response = client.submit(
        "/change-password",
        {"current_password": PASSWORD, "new_password": "short", "confirm_password": "short"},
    )
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert field_error(soup, "new_password") == "Password must be 12 characters or more"


def test_password_hashes_are_argon2id(world):
    assert world.editor.password_hash.startswith("$argon2id$")


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("elevenchars", "12 characters or more"),
        ("password1234", "too common"),
        ("aaaaaaaaaaaaaaaa", "too common"),
        ("x" * 129, "128 characters or fewer"),
        ("someone@test.example", "your email address"),
    ],
)
def test_password_policy_refuses_weak_passwords(password, message):
    with pytest.raises(PasswordPolicyError, match=message):
        check_password_policy(password, email="someone@test.example")


def test_password_policy_has_no_composition_rules():
    check_password_policy("all lower case words here")
