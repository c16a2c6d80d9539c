"""Everything that faces the browser: blueprints, sign-in, security, Jinja, errors."""

from __future__ import annotations

import time

from flask import Flask, flash, redirect, request, session, url_for
from flask_login import LoginManager, current_user, logout_user
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from monitor.services.accounts import load_session_user
from monitor.services.passwords import Passwords
from monitor.web import access, errors, jinja, security
from monitor.web.context import db, organisation_name

csrf = CSRFProtect()
login_manager = LoginManager()


@login_manager.user_loader
def _load_user(session_id: str):
    return load_session_user(db(), session_id)


def _end_idle_sessions():
    """Sign out a session unused for longer than IDLE_TIMEOUT (checked on the server)."""
    if not current_user.is_authenticated:
        return None
    from flask import current_app

    now = int(time.time())
    last_seen = session.get("last_seen", now)
    if now - last_seen > current_app.config["IDLE_TIMEOUT"].total_seconds():
        logout_user()
        session.clear()
        flash("You were signed out because you had not used the service for a while.")
        return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
    session["last_seen"] = now
    return None


class DatabaseId(IntegerConverter):
    """`<int:…>` in every route: a whole number no larger than an id column holds (an
    INTEGER on PostgreSQL), so a larger one is no record's, 404, rather than a query the
    database refuses with an error (PostgreSQL above 2^31 − 1, SQLite above 2^63 − 1)."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=None, signed=False) -> None:
        super().__init__(url_map, fixed_digits, min, MAX_ID if max is None else max, signed)


MAX_ID = 2**31 - 1


def register_web(app: Flask) -> None:
    app.url_map.converters["int"] = DatabaseId
    from monitor.web import (
        admin,
        auth,
        cases,
        chart_cache,
        evidence,
        home,
        icb,
        national_imports,
        organisations,
        practice,
        returns,
        summary,
    )

    if app.config.get("PROXY_FIX_X_FOR"):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=int(app.config["PROXY_FIX_X_FOR"]))

    app.extensions["monitor.passwords"] = Passwords(
        time_cost=app.config["ARGON2_TIME_COST"], memory_cost=app.config["ARGON2_MEMORY_COST"]
    )
    jinja.init_app(app)
    security.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    # No remember-me cookie is ever set; sessions end with the browser or idle timeout.
    login_manager.session_protection = "basic"

    app.before_request(_end_idle_sessions)
    app.before_request(access.enforce_access)

    app.register_blueprint(auth.bp)
    app.register_blueprint(home.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(organisations.bp)
    app.register_blueprint(practice.bp)
    app.register_blueprint(evidence.bp)
    app.register_blueprint(returns.bp)
    app.register_blueprint(icb.bp)
    app.register_blueprint(cases.bp)
    app.register_blueprint(summary.bp)
    app.register_blueprint(national_imports.bp)
    chart_cache.init_app(app)
    errors.init_app(app)

    @app.context_processor
    def _layout_context():
        label = organisation_name(current_user) if current_user.is_authenticated else ""
        return {"demo_mode": app.config.get("DEMO_MODE", False), "organisation_label": label}
