"""Sessions end 12 hours after sign-in however active; every failed sign-in does the
same hashing work, so its timing tells nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from monitor.core import clock
from monitor.core.clock import utcnow
from monitor.services import accounts
from monitor.services.accounts import SignInOutcome, ThrottlePolicy
from tests.factories import PASSWORD


def at(monkeypatch, moment):
    """Set the clock the session checks read."""
    monkeypatch.setattr(clock, "utcnow", lambda: moment)


def test_a_session_ends_12_hours_after_sign_in_however_active(app, client, world, monkeypatch):
    signed_in = utcnow()
    at(monkeypatch, signed_in)
    client.sign_in(world.editor.email)
    lifetime = app.config["ABSOLUTE_SESSION_LIFETIME"]
    assert lifetime == timedelta(hours=12)
    # Active all day (each request also keeps the idle timeout at bay) ...
    for hours in (1, 4, 8, 11):
        at(monkeypatch, signed_in + timedelta(hours=hours))
        assert client.get("/").status_code == 200
    at(monkeypatch, signed_in + lifetime - timedelta(seconds=5))
    assert client.get("/").status_code == 200
    # ... and still signed out once 12 hours have passed since signing in.
    at(monkeypatch, signed_in + lifetime + timedelta(seconds=5))
    response = client.get("/figures")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in?next=/figures")
    page = client.page("/sign-in")
    assert "signed in more than 12 hours ago" in page.get_text(" ", strip=True)
    assert client.get("/").status_code == 302  # the session is gone, not just refused once


def test_signing_in_again_starts_a_new_12_hours(app, client, world, monkeypatch):
    start = utcnow()
    at(monkeypatch, start)
    client.sign_in(world.editor.email)
    later = start + timedelta(hours=13)
    at(monkeypatch, later)
    assert client.get("/").status_code == 302
    client.sign_in(world.editor.email)
    at(monkeypatch, later + timedelta(hours=11))
    assert client.get("/").status_code == 200


def test_a_session_without_a_sign_in_time_is_ended(client, world):
    client.sign_in(world.editor.email)
    with client.session_transaction() as flask_session:
        del flask_session["signed_in_at"]  # as a cookie from before the rule would be
    assert client.get("/").status_code == 302


class CountingHasher:
    """Stands in for the argon2 hasher and counts the work asked of it."""

    def __init__(self, hasher) -> None:
        self._hasher = hasher
        self.verifies = 0
        self.hashes = 0

    def verify(self, password_hash, password):
        self.verifies += 1
        return self._hasher.verify(password_hash, password)

    def hash(self, password):
        self.hashes += 1
        return self._hasher.hash(password)

    def check_needs_rehash(self, password_hash):
        return self._hasher.check_needs_rehash(password_hash)


@pytest.fixture
def spy(app, monkeypatch):
    passwords = app.extensions["monitor.passwords"]
    counting = CountingHasher(passwords._hasher)
    monkeypatch.setattr(passwords, "_hasher", counting)
    return counting


DEFAULT_POLICY = ThrottlePolicy()


def attempt(session, passwords, email, password, policy=DEFAULT_POLICY):
    return accounts.sign_in(
        session,
        email=email,
        password=password,
        address="192.0.2.7",
        passwords=passwords,
        policy=policy,
    )


@pytest.mark.parametrize("case", ["unknown", "wrong", "locked_right", "locked_wrong", "inactive"])
def test_every_failed_sign_in_does_one_password_verification(app, session, world, spy, case):
    passwords = app.extensions["monitor.passwords"]
    user = world.editor
    email, password = user.email, "not-the-password"
    if case == "unknown":
        email = "nobody@test.example"
    if case.startswith("locked"):
        user.locked_until = utcnow() + timedelta(minutes=10)
    if case == "locked_right":
        password = PASSWORD
    if case == "inactive":
        user.is_active = False
        password = PASSWORD
    session.add(user)
    session.commit()
    result = attempt(session, passwords, email, password)
    assert result.outcome is SignInOutcome.FAILED
    assert (spy.verifies, spy.hashes) == (1, 0)


def test_a_throttled_address_does_the_same_work(app, session, world, spy):
    passwords = app.extensions["monitor.passwords"]
    policy = ThrottlePolicy(address_failure_limit=1)
    attempt(session, passwords, "nobody@test.example", "x", policy)
    spy.verifies = 0
    result = attempt(session, passwords, world.editor.email, PASSWORD, policy)
    assert result.outcome is SignInOutcome.ADDRESS_THROTTLED
    assert (spy.verifies, spy.hashes) == (1, 0)


def test_a_right_password_also_does_one_verification(app, session, world, spy):
    result = attempt(session, app.extensions["monitor.passwords"], world.editor.email, PASSWORD)
    assert result.outcome is SignInOutcome.SIGNED_IN
    assert spy.verifies == 1
