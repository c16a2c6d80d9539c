"""NHS-style error pages; a failed request rolls its database session back."""

from __future__ import annotations

from flask import Flask, g, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from monitor.web import security_events

TITLES = {
    400: "Sorry, there is a problem with the service",
    403: "You do not have permission to see this page",
    404: "Page not found",
    405: "Sorry, there is a problem with the service",
    413: "The file is too large",
    429: "Too many attempts",
    500: "Sorry, there is a problem with the service",
}


def _rollback() -> None:
    db_session = g.get("db_session")
    if db_session is not None:
        db_session.rollback()


def render_error(status: int, message: str | None = None):
    _rollback()
    title = TITLES.get(status, TITLES[500])
    return render_template(
        "errors/error.jinja", status=status, title=title, message=message
    ), status


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError):
        security_events.csrf_failure(error.description)
        return render_error(
            400,
            "The form could not be checked. This can happen if you left it open for a long "
            "time or signed out in another tab. Go back, reload the page and try again.",
        )

    # Unhandled exceptions reach this as InternalServerError (and propagate in tests).
    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        return render_error(error.code or 500, error.description if error.code == 429 else None)
