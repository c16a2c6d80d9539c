"""Sign in (password, then a second factor where needed), sign out, change password,
and the account page where a person sets up an authenticator app."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import segno
from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from markupsafe import Markup

from monitor.core.clock import utcnow
from monitor.core.inputs import Collector
from monitor.models import User
from monitor.services import accounts, second_factor
from monitor.services.accounts import AccountError, SignInOutcome
from monitor.services.second_factor import CodeOutcome
from monitor.web.access import public, signed_in
from monitor.web.context import client_address, db, passwords, throttle_policy
from monitor.web.security import start_session_clock

bp = Blueprint("auth", __name__)

SIGN_IN_FAILED = (
    "Enter a correct email address and password. After 10 wrong attempts in a row, "
    "an account is locked for 15 minutes."
)
CODE_REQUIRED = "Enter the 6-digit code from your authenticator app"
ADDRESS_THROTTLED = (
    "There have been too many sign-in attempts from your network. Wait 15 minutes and try again."
)


def safe_next(target: str | None) -> str:
    """Only same-site paths: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target:
        return url_for("home.index")
    target = target.strip()
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(ch) < 32 for ch in target)
    ):
        return url_for("home.index")
    return target


@bp.route("/sign-in", methods=["GET", "POST"])
@public
def sign_in():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        check = Collector(request.form)
        email = check.required("email", "Enter your email address", limit=254)
        password = check.required("password", "Enter your password", limit=128)
        values = {"email": email}
        errors = check.errors
    if request.method == "POST" and not errors:
        result = accounts.sign_in(
            db(),
            email=email,
            password=password,
            address=client_address(),
            passwords=passwords(),
            policy=throttle_policy(),
        )
        next_url = safe_next(request.args.get("next"))
        if result.outcome is SignInOutcome.SIGNED_IN:
            return _finish_sign_in(result.user, next_url)
        if result.outcome is SignInOutcome.SECOND_FACTOR:
            _begin_second_step(result.user, next_url)
            return redirect(url_for("auth.sign_in_code"))
        if result.outcome is SignInOutcome.ENROL_SECOND_FACTOR:
            _begin_second_step(result.user, next_url)
            return redirect(url_for("auth.sign_in_set_up"))
        message = (
            ADDRESS_THROTTLED
            if result.outcome is SignInOutcome.ADDRESS_THROTTLED
            else SIGN_IN_FAILED
        )
        errors = {"email": message}
        status = 429 if result.outcome is SignInOutcome.ADDRESS_THROTTLED else 400
    elif errors:
        status = 400
    return render_template("auth/sign_in.jinja", values=values, errors=errors), status


# Between a right password and the second step: who (their session id, so a sign-out,
# reset or deactivation in between ends it), since when, and where to go afterwards.
PENDING = "pending_sign_in"
PENDING_SECONDS = 10 * 60


def _begin_second_step(user: User, next_url: str) -> None:
    session.clear()
    session[PENDING] = {"id": user.get_id(), "since": int(time.time()), "next": next_url}


def _pending() -> tuple[User | None, str]:
    """The person half-way through signing in, and where they were going."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict):
        return None, ""
    since = pending.get("since")
    if not isinstance(since, int) or not 0 <= time.time() - since <= PENDING_SECONDS:
        return None, ""
    user = accounts.load_session_user(db(), str(pending.get("id", "")))
    return user, safe_next(pending.get("next"))


def _finish_sign_in(user: User, next_url: str):
    session.clear()  # a fresh session: nothing carried over from before sign-in
    login_user(user, remember=False)
    session["last_seen"] = int(time.time())
    start_session_clock()
    if user.must_change_password:
        return redirect(url_for("auth.change_password"))
    return redirect(next_url)


def _no_sign_in_under_way():
    """The second step's pages opened with no password step before them (or after it
    expired): say so, rather than redirect, so a bookmark or Back lands somewhere clear."""
    return render_template("auth/sign_in_expired.jinja")


@bp.route("/sign-in/authenticator-code", methods=["GET", "POST"])
@public
def sign_in_code():
    user, next_url = _pending()
    if user is None or user.totp_secret is None:
        return _no_sign_in_under_way()
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        check = Collector(request.form)
        code = check.required("code", CODE_REQUIRED, limit=40)
        errors = check.errors
        if not errors:
            outcome = second_factor.sign_in_with_code(
                db(), user=user, code=code, address=client_address(), policy=throttle_policy()
            )
            if outcome is CodeOutcome.SIGNED_IN:
                return _finish_sign_in(user, next_url)
            errors = {"code": CODE_MESSAGES[outcome]}
            status = 429 if outcome is CodeOutcome.ADDRESS_THROTTLED else 400
        else:
            status = 400
    return render_template("auth/sign_in_code.jinja", errors=errors), status


CODE_MESSAGES = {
    CodeOutcome.WRONG: (
        "Enter a correct code from your authenticator app, or one of your recovery codes. "
        "After 10 wrong attempts in a row, an account is locked for 15 minutes."
    ),
    CodeOutcome.REUSED: (
        "That code has already been used. Wait for your authenticator app to show a new "
        "code, then enter it"
    ),
    CodeOutcome.ADDRESS_THROTTLED: ADDRESS_THROTTLED,
}


@bp.route("/sign-in/set-up-authenticator", methods=["GET", "POST"])
@public
def sign_in_set_up():
    user, next_url = _pending()
    if user is None or user.totp_secret is not None:
        return _no_sign_in_under_way()
    return _set_up_authenticator(user, next_url=next_url, signing_in=True)


@bp.get("/account")
@signed_in
def account():
    user = current_user._get_current_object()
    return render_template(
        "account/index.jinja",
        required=accounts.second_factor_required(user),
        codes_left=second_factor.recovery_codes_left(db(), user) if user.totp_secret else 0,
    )


@bp.route("/account/set-up-authenticator", methods=["GET", "POST"])
@signed_in
def set_up_authenticator():
    return _set_up_authenticator(
        current_user._get_current_object(), next_url=url_for("auth.account"), signing_in=False
    )


ENROLMENT_SECRET = "enrolment_secret"


def _set_up_authenticator(user: User, *, next_url: str, signing_in: bool):
    """Show a new secret as a QR code and as text; once the person enters a code from
    their app, keep the secret and show their recovery codes, once. The secret waits in
    the (signed) session meanwhile, so reloading the page keeps the same QR code."""
    secret = session.get(ENROLMENT_SECRET)
    if not isinstance(secret, str) or len(secret) != 32:
        secret = second_factor.new_secret()
        session[ENROLMENT_SECRET] = secret
    errors: dict[str, str] = {}
    if request.method == "POST":
        check = Collector(request.form)
        code = check.required("code", CODE_REQUIRED, limit=40)
        errors = check.errors
        if not errors:
            try:
                codes = second_factor.enrol(db(), user=user, secret=secret, code=code)
            except AccountError as error:
                errors = {error.field: error.message}
            else:
                session.pop(ENROLMENT_SECRET, None)
                if signing_in:
                    accounts.complete_sign_in(
                        db(), user=user, now=utcnow(), how="after setting up an authenticator app"
                    )
                    _finish_sign_in(user, next_url)
                    if user.must_change_password:
                        next_url = url_for("auth.change_password")
                return render_template(
                    "account/recovery_codes.jinja", codes=codes, next_url=next_url
                )
    uri = second_factor.provisioning_uri(secret, user.email)
    return render_template(
        "account/set_up_authenticator.jinja",
        errors=errors,
        qr_svg=qr_code_svg(uri),
        secret=second_factor.grouped(secret),
        signing_in=signing_in,
        replacing=user.totp_secret is not None,
        user=user,
    ), 400 if errors else 200


QR_LABEL = (
    "QR code for setting up HEP Impact Monitor in your authenticator app. If you cannot "
    "scan it, type in the key shown below it."
)


def qr_code_svg(uri: str) -> Markup:
    """The otpauth address as an inline SVG QR code (dark on light, so it scans on a dark
    screen too), labelled for screen readers."""
    svg = segno.make(uri, error="m").svg_inline(
        scale=5, border=4, dark="#000", light="#fff", title=QR_LABEL, svgclass="app-qr-code"
    )
    return Markup(svg.replace("<svg ", f'<svg role="img" aria-label="{QR_LABEL}" ', 1))


@bp.post("/sign-out")
@signed_in
def sign_out():
    accounts.sign_out(db(), current_user._get_current_object())
    logout_user()
    session.clear()
    flash("You have signed out.")
    return redirect(url_for("auth.sign_in"))


@bp.route("/change-password", methods=["GET", "POST"])
@signed_in
def change_password():
    errors: dict[str, str] = {}
    if request.method == "POST":
        check = Collector(request.form)
        current = check.required("current_password", "Enter your current password")
        new = check.required("new_password", "Enter a new password")
        confirm = check.required("confirm_password", "Enter your new password again")
        if confirm.strip() and confirm != new:
            check.add("confirm_password", "The passwords do not match")
        errors = check.errors
        if not errors:
            user = current_user._get_current_object()
            try:
                accounts.change_password(
                    db(),
                    user=user,
                    passwords=passwords(),
                    current_password=current,
                    new_password=new,
                )
            except AccountError as error:
                errors = {error.field: error.message}
            else:
                # The token rotated: sign this browser in again with the new one.
                login_user(user, remember=False)
                flash("Your password has been changed.")
                return redirect(url_for("home.index"))
    return render_template("auth/change_password.jinja", errors=errors), 400 if errors else 200
