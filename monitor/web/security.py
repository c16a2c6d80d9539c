"""Security headers on every response, with a per-request CSP nonce for inline scripts."""

from __future__ import annotations

import secrets

from flask import Flask, Response, abort, current_app, flash, g, redirect, request, session, url_for
from flask_login import current_user, logout_user

from monitor.core import clock
from monitor.web.errors import render_error

SESSION_EXPIRED = (
    "You were signed out because you signed in more than {hours} hours ago. Sign in again."
)


def start_session_clock() -> None:
    """At sign-in: when this session began, for its absolute lifetime."""
    session["signed_in_at"] = int(clock.utcnow().timestamp())


def end_expired_sessions():
    """before_request: sign out a session older than ABSOLUTE_SESSION_LIFETIME from its
    sign-in, however active it has been (the idle timeout ends quiet ones sooner). The
    time is in the session, which the server signs, and checked here on every request; a
    session without one (from before this rule) counts as expired."""
    if not current_user.is_authenticated:
        return None
    lifetime = current_app.config["ABSOLUTE_SESSION_LIFETIME"]
    signed_in_at = session.get("signed_in_at")
    now = clock.utcnow().timestamp()
    if isinstance(signed_in_at, int) and 0 <= now - signed_in_at <= lifetime.total_seconds():
        return None
    logout_user()
    session.clear()
    flash(SESSION_EXPIRED.format(hours=round(lifetime.total_seconds() / 3600)))
    return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def _content_security_policy(nonce: str) -> str:
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    headers["Content-Security-Policy"] = _content_security_policy(csp_nonce())
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    headers["X-Frame-Options"] = "DENY"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
    if request.is_secure:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if not (request.endpoint or "").endswith("static"):
        # Pages may show practice data: never keep them in a browser or proxy cache,
        # so Back after sign-out cannot show them.
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    return response


def upload_limit() -> int | None:
    """The largest body this request's endpoint accepts: its entry in UPLOAD_LIMITS, else
    MAX_CONTENT_LENGTH."""
    limits = current_app.config.get("UPLOAD_LIMITS") or {}
    return limits.get(request.endpoint, current_app.config.get("MAX_CONTENT_LENGTH"))


def refuse_oversized_bodies():
    """Answer 413 from the declared Content-Length, before anything reads the body (so
    no part of an oversized upload is spooled to disk). Bodies without a length are
    still capped by the same limit as they are read: it is set on the request, which
    Flask's form parser honours (Flask 3.1)."""
    limit = upload_limit()
    request.max_content_length = limit
    if limit and request.content_length and request.content_length > limit:
        if limit == current_app.config.get("MAX_CONTENT_LENGTH"):
            abort(413)
        return render_error(
            413,
            "The files you uploaded are larger than the service accepts here. "
            f"Together they must be {_size(limit)} or smaller.",
        )
    return None


def _size(limit: int) -> str:
    """1 GB, 60 MB: a limit as people read it (binary units, as the limits are set)."""
    if limit >= 2**30 and limit % 2**30 == 0:
        return f"{limit // 2**30} GB"
    return f"{limit // 2**20} MB"


def init_app(app: Flask) -> None:
    # First of all before_request hooks: ahead of CSRF, which reads the form.
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_oversized_bodies)
    app.before_request(end_expired_sessions)
    app.after_request(add_security_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
