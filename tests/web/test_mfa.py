"""The second factor: an authenticator app (TOTP) and one-time recovery codes.

Required for ICB analysts and administrators (the factories enrol them with
TOTP_SECRET), optional for everyone else.
"""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from bs4 import BeautifulSoup
from sqlmodel import select

from monitor.core.clock import utcnow
from monitor.models import AuditEvent
from monitor.models.users import RecoveryCode
from monitor.services import second_factor
from monitor.services.second_factor import time_step
from tests.client import error_summary, field_error, heading
from tests.factories import PASSWORD, TOTP_SECRET, make_user

CODE_PAGE = "/sign-in/authenticator-code"
SET_UP_PAGE = "/sign-in/set-up-authenticator"
WRONG = "Enter a correct code from your authenticator app, or one of your recovery codes"


def soup_of(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def password_step(client, email):
    response = client.submit("/sign-in", {"email": email, "password": PASSWORD})
    assert response.status_code == 302
    return response


def code_now(secret=TOTP_SECRET, steps_ahead=0):
    return pyotp.TOTP(secret).generate_otp(time_step(utcnow()) + steps_ahead)


def enter_code(client, code, page=CODE_PAGE):
    return client.submit(page, {"code": code})


def events(session, action):
    return session.exec(select(AuditEvent).where(AuditEvent.action == action)).all()


# -- unit: which codes are accepted ---------------------------------------------------


def test_codes_from_one_step_either_side_are_accepted_and_no_further():
    now = utcnow()
    totp = pyotp.TOTP(TOTP_SECRET)
    step = time_step(now)
    for offset in (-1, 0, 1):
        code = totp.generate_otp(step + offset)
        assert second_factor._matching_step(TOTP_SECRET, code, now) == step + offset
    for offset in (-3, -2, 2, 3):
        code = totp.generate_otp(step + offset)
        if code not in {totp.generate_otp(step + o) for o in (-1, 0, 1)}:
            assert second_factor._matching_step(TOTP_SECRET, code, now) is None
    assert second_factor._matching_step(TOTP_SECRET, "12345", now) is None
    assert second_factor._matching_step(TOTP_SECRET, "abcdef", now) is None
    assert second_factor._matching_step(TOTP_SECRET, "²" * 6, now) is None  # not ASCII


def test_a_code_of_other_scripts_digits_is_refused_not_an_error(client, world):
    password_step(client, world.analyst.email)
    for code in ("١٢٣٤٥٦", "²²²²²²", "ⅫⅫⅫⅫⅫⅫ", "é" * 12):
        assert enter_code(client, code).status_code == 400


def test_recovery_codes_are_random_and_stored_only_as_digests(session, world):
    user = make_user(session, role=world.editor.role_enum, organisation=world.practice)
    codes = second_factor.enrol(session, user=user, secret=TOTP_SECRET, code=code_now())
    assert len(codes) == len(set(codes)) == 10
    stored = session.exec(select(RecoveryCode).where(RecoveryCode.user_id == user.id)).all()
    assert {row.code_hash for row in stored} == {second_factor.recovery_digest(c) for c in codes}
    assert not {row.code_hash for row in stored} & set(codes)
    assert all(len(code.replace("-", "")) == 12 for code in codes)


# -- signing in -------------------------------------------------------------------------


def test_an_analyst_enters_a_code_after_the_password(client, world, session):
    response = password_step(client, world.analyst.email)
    assert response.headers["Location"] == CODE_PAGE
    # Not signed in yet: every other page still sends them to sign in.
    assert client.get("/").headers["Location"].startswith("/sign-in")
    page = client.page(CODE_PAGE)
    assert heading(page) == "Enter the code from your authenticator app"
    assert page.select_one("#code")["autocomplete"] == "one-time-code"
    response = enter_code(client, code_now())
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    signed_in = events(session, "sign_in")
    assert [e.summary for e in signed_in] == [
        f"{world.analyst.email} signed in with an authenticator code"
    ]


def test_next_survives_the_second_step(client, world):
    client.submit("/sign-in?next=/admin/users", {"email": world.admin.email, "password": PASSWORD})
    assert enter_code(client, code_now()).headers["Location"] == "/admin/users"


def test_a_wrong_code_is_refused_with_the_nhs_error_pattern(client, world):
    password_step(client, world.analyst.email)
    wrong = "000000" if code_now() != "000000" else "111111"
    response = enter_code(client, wrong)
    assert response.status_code == 400
    soup = soup_of(response)
    assert soup.title.get_text().startswith("Error: ")
    assert error_summary(soup)[0].startswith(WRONG)
    assert field_error(soup, "code").startswith(WRONG)
    assert soup.select_one(".nhsuk-error-summary a")["href"] == "#code"
    assert client.get("/").status_code == 302
    empty = enter_code(client, "")
    assert (
        field_error(soup_of(empty), "code") == "Enter the 6-digit code from your authenticator app"
    )


def test_a_code_is_never_accepted_twice(client, world, session):
    password_step(client, world.analyst.email)
    code = code_now()
    assert enter_code(client, code).status_code == 302
    client.submit("/sign-out", token_from="/")
    password_step(client, world.analyst.email)
    reused = enter_code(client, code)
    assert reused.status_code == 400
    assert field_error(soup_of(reused), "code").startswith("That code has already been used")
    session.refresh(world.analyst)
    assert world.analyst.failed_sign_ins == 1
    # The next step's code (the app's next one, within the allowed drift) is accepted.
    assert enter_code(client, code_now(steps_ahead=1)).status_code == 302


def test_an_earlier_code_is_refused_after_a_later_one(client, world):
    password_step(client, world.analyst.email)
    assert enter_code(client, code_now(steps_ahead=1)).status_code == 302
    client.submit("/sign-out", token_from="/")
    password_step(client, world.analyst.email)
    assert enter_code(client, code_now()).status_code == 400


def test_wrong_codes_lock_the_account_like_wrong_passwords(app, client, world, session):
    password_step(client, world.analyst.email)
    wrong = "000000" if code_now() not in ("000000",) else "111111"
    for _ in range(app.config["LOCKOUT_THRESHOLD"]):
        enter_code(client, wrong)
    session.refresh(world.analyst)
    assert world.analyst.locked_until is not None
    assert len(events(session, "account_locked")) == 1
    # While locked even the right code is refused, with the same message.
    response = enter_code(client, code_now())
    assert response.status_code == 400
    assert field_error(soup_of(response), "code").startswith(WRONG)


def test_a_right_password_does_not_reset_the_count_of_wrong_codes(client, world, session):
    password_step(client, world.analyst.email)
    for _ in range(6):
        enter_code(client, "000000" if code_now() != "000000" else "111111")
    password_step(client, world.analyst.email)
    session.refresh(world.analyst)
    assert world.analyst.failed_sign_ins == 6
    assert enter_code(client, code_now()).status_code == 302
    session.refresh(world.analyst)
    assert world.analyst.failed_sign_ins == 0


def test_wrong_codes_count_towards_the_address_limit(app, client, world):
    app.config["ADDRESS_FAILURE_LIMIT"] = 3
    password_step(client, world.analyst.email)
    for _ in range(3):
        assert (
            enter_code(client, "000000" if code_now() != "000000" else "111111").status_code == 400
        )
    response = enter_code(client, code_now())
    assert response.status_code == 429
    assert "too many sign-in attempts" in field_error(soup_of(response), "code")


def test_a_recovery_code_works_once(client, world, session):
    codes = second_factor.enrol(
        session, user=world.analyst, secret=TOTP_SECRET, code=code_now(steps_ahead=-1)
    )
    password_step(client, world.analyst.email)
    # Typed as people type: capitals and spaces do not matter.
    assert enter_code(client, codes[0].upper().replace("-", " ")).status_code == 302
    summary = events(session, "sign_in")[-1].summary
    assert summary.endswith("with a recovery code (9 left)")
    client.submit("/sign-out", token_from="/")
    password_step(client, world.analyst.email)
    again = enter_code(client, codes[0])
    assert again.status_code == 400
    assert field_error(soup_of(again), "code").startswith(WRONG)
    assert enter_code(client, codes[1]).status_code == 302


def test_another_persons_recovery_code_is_refused(client, world, session):
    codes = second_factor.enrol(
        session, user=world.admin, secret=TOTP_SECRET, code=code_now(steps_ahead=-1)
    )
    password_step(client, world.analyst.email)
    assert enter_code(client, codes[0]).status_code == 400


def test_the_second_step_expires_after_ten_minutes(client, world):
    password_step(client, world.analyst.email)
    with client.session_transaction() as flask_session:
        pending = dict(flask_session["pending_sign_in"])
        pending["since"] -= 11 * 60
        flask_session["pending_sign_in"] = pending
    assert heading(client.page(CODE_PAGE)) == "Sign in again"
    late = client.submit(CODE_PAGE, {"code": code_now()}, token_from="/sign-in")
    assert heading(soup_of(late)) == "Sign in again"
    assert client.get("/").status_code == 302


def test_the_code_page_without_a_password_step_says_sign_in(client, world):
    assert heading(client.page(CODE_PAGE)) == "Sign in again"
    assert heading(client.page(SET_UP_PAGE)) == "Sign in again"


def test_a_practice_user_without_an_app_signs_in_with_the_password_only(client, world):
    response = client.submit("/sign-in", {"email": world.editor.email, "password": PASSWORD})
    assert response.headers["Location"] == "/"


# -- enrolment --------------------------------------------------------------------------


def secret_on(page: BeautifulSoup) -> str:
    return page.select_one("#secret-key").get_text().replace(" ", "")


def test_an_administrator_without_an_app_must_set_one_up_before_anything_else(
    client, world, session
):
    admin = make_user(session, role=world.admin.role_enum, organisation=world.icb, totp_secret=None)
    response = password_step(client, admin.email)
    assert response.headers["Location"] == SET_UP_PAGE
    assert client.get("/admin/users").headers["Location"].startswith("/sign-in")
    page = client.page(SET_UP_PAGE)
    assert heading(page) == "Set up an authenticator app"
    qr = page.select_one("svg.app-qr-code[role=img]")
    assert qr is not None and "QR code" in qr["aria-label"]
    assert qr.select_one("title").get_text().startswith("QR code")
    secret = secret_on(page)
    assert len(secret) == 32
    assert client.page(SET_UP_PAGE).select_one("#secret-key").get_text().replace(" ", "") == secret

    wrong = enter_code(client, "000000" if code_now(secret) != "000000" else "111111", SET_UP_PAGE)
    assert wrong.status_code == 400
    assert field_error(soup_of(wrong), "code").startswith("The code is not correct")

    enrolled_with = code_now(secret)
    done = enter_code(client, enrolled_with, SET_UP_PAGE)
    assert done.status_code == 200
    codes_page = soup_of(done)
    assert heading(codes_page) == "Save your recovery codes"
    codes = [li.get_text(strip=True) for li in codes_page.select(".app-recovery-codes li")]
    assert len(codes) == 10
    assert client.get("/admin/users").status_code == 200  # signed in now
    session.refresh(admin)
    assert admin.totp_secret == secret
    assert {e.action for e in events(session, "enrol_second_factor")} == {"enrol_second_factor"}
    # Next time: the code, and the code just used to enrol is spent.
    client.submit("/sign-out", token_from="/")
    assert password_step(client, admin.email).headers["Location"] == CODE_PAGE
    # The same code, not now's: the clock may have moved to the next 30-second step.
    assert enter_code(client, enrolled_with).status_code == 400
    assert enter_code(client, codes[3]).status_code == 302


def test_a_practice_editor_can_set_up_an_app_from_their_account(client, world, session):
    client.sign_in(world.editor.email)
    account = client.page("/account")
    assert heading(account) == "Your account"
    link = account.find("a", string=lambda s: s and "Set up an authenticator app" in s)
    assert link["href"] == "/account/set-up-authenticator"
    page = client.page("/account/set-up-authenticator")
    secret = secret_on(page)
    done = enter_code(client, code_now(secret), "/account/set-up-authenticator")
    assert done.status_code == 200
    assert heading(soup_of(done)) == "Save your recovery codes"
    assert "10 recovery codes left" in client.page("/account").get_text(" ", strip=True)
    client.submit("/sign-out", token_from="/")
    # From now on they sign in with a code too.
    assert password_step(client, world.editor.email).headers["Location"] == CODE_PAGE


# -- an administrator resets someone's second factor ---------------------------------


def test_an_administrator_resets_an_analysts_app_audited(app, client, world, session):
    analyst_client = app.test_client()
    analyst_client.sign_in(world.analyst.email)
    client.sign_in(world.admin.email)
    user_page = client.page(f"/admin/users/{world.analyst.id}")
    assert user_page.find("button", string=lambda s: s and "Reset authenticator app" in s)
    response = client.submit(
        f"/admin/users/{world.analyst.id}/reset-second-factor",
        token_from=f"/admin/users/{world.analyst.id}",
    )
    assert response.status_code == 302
    session.refresh(world.analyst)
    assert world.analyst.totp_secret is None
    [event] = events(session, "reset_second_factor")
    assert event.actor_id == world.admin.id
    assert event.object_id == str(world.analyst.id)
    assert world.analyst.email in event.summary
    assert TOTP_SECRET not in str(event.before) + str(event.after) + event.summary
    # Their session has ended, and they must set up a new app at the next sign-in.
    assert analyst_client.get("/").status_code == 302
    assert password_step(analyst_client, world.analyst.email).headers["Location"] == SET_UP_PAGE


def test_after_a_reset_an_optional_user_must_set_up_again(client, world, session):
    second_factor.enrol(
        session, user=world.editor, secret=TOTP_SECRET, code=code_now(steps_ahead=-1)
    )
    client.sign_in(world.admin.email)
    client.submit(
        f"/admin/users/{world.editor.id}/reset-second-factor",
        token_from=f"/admin/users/{world.editor.id}",
    )
    client.submit("/sign-out", token_from="/")
    assert password_step(client, world.editor.email).headers["Location"] == SET_UP_PAGE
    assert (
        session.exec(select(RecoveryCode).where(RecoveryCode.user_id == world.editor.id)).all()
        == []
    )


def test_an_administrator_cannot_reset_a_user_in_another_icb(client, world, session):
    client.sign_in(world.admin.email)
    response = client.submit(
        f"/admin/users/{world.foreign_admin.id}/reset-second-factor", token_from="/admin/users"
    )
    assert response.status_code == 404
    session.refresh(world.foreign_admin)
    assert world.foreign_admin.totp_secret == TOTP_SECRET
    assert events(session, "reset_second_factor") == []


@pytest.mark.parametrize("role", ["editor", "analyst"])
def test_only_administrators_may_reset(client, world, session, role):
    client.sign_in(getattr(world, role).email)
    response = client.submit(f"/admin/users/{world.analyst.id}/reset-second-factor", token_from="/")
    assert response.status_code == 403
    assert events(session, "reset_second_factor") == []


def test_lockout_expires_for_codes_too(app, client, world, session):
    world.analyst.locked_until = utcnow() - timedelta(seconds=1)
    session.add(world.analyst)
    session.commit()
    password_step(client, world.analyst.email)
    assert enter_code(client, code_now()).status_code == 302
