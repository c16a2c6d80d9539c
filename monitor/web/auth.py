"""Sign in, sign out and change password."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from monitor.core.inputs import Collector
from monitor.services import accounts
from monitor.services.accounts import AccountError, SignInOutcome
from monitor.web.access import public, signed_in
from monitor.web.context import client_address, db, passwords, throttle_policy
from monitor.web.security import start_session_clock

bp = Blueprint("auth", __name__)

SIGN_IN_FAILED = (
    "Enter a correct email address and password. After 10 wrong attempts in a row, "
    "an account is locked for 15 minutes."
)
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
        if result.outcome is SignInOutcome.SIGNED_IN:
            next_url = safe_next(request.args.get("next"))
            session.clear()  # a fresh session: nothing carried over from before sign-in
            login_user(result.user, remember=False)
            session["last_seen"] = int(time.time())
            start_session_clock()
            if result.user.must_change_password:
                return redirect(url_for("auth.change_password"))
            return redirect(next_url)
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
