"""One Jinja setup: the app's templates first, then the NHS.UK frontend macros."""

from __future__ import annotations

from flask import Flask
from jinja2 import (
    ChainableUndefined,
    ChoiceLoader,
    FileSystemLoader,
    PackageLoader,
    select_autoescape,
)

from monitor import formatting
from monitor.config import PROJECT_ROOT
from monitor.services import audit


def init_app(app: Flask) -> None:
    # Options must be set before the environment is first created.
    app.jinja_options = {
        **app.jinja_options,
        # Flask escapes only .html by default; our templates are .jinja.
        "autoescape": select_autoescape(
            enabled_extensions=("html", "jinja", "xml"), default_for_string=True
        ),
        # The NHS macros read optional nested params (params.hint.text) freely.
        "undefined": ChainableUndefined,
        "trim_blocks": True,
        "lstrip_blocks": True,
    }
    # Assign the loader (not jinja_options["loader"]) so blueprint templates still work.
    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(str(PROJECT_ROOT / "templates")),
            PackageLoader("nhsuk_frontend_jinja", package_path="templates"),
        ]
    )
    app.jinja_env.filters.update(
        money=formatting.money,
        percent=formatting.percent,
        duration=formatting.duration,
        number=formatting.number,
        item_value=formatting.item_value,
        long_date=formatting.long_date,
        date_time=formatting.date_time,
        audit_changes=audit.changes,
    )
