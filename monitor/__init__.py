"""HEP Impact Monitor: light-touch monitoring of the Health Equity Payment."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from monitor.config import PROJECT_ROOT, ProductionConfig, config_for


def create_app(config_name: str | None = None, **overrides: Any) -> Flask:
    """Application factory: config, extensions, Jinja, blueprints, CLI."""
    app = Flask(
        __name__,
        static_folder="static",
        template_folder=str(PROJECT_ROOT / "templates"),
        instance_path=str(PROJECT_ROOT / "instance"),
    )
    config_class = config_for(config_name)
    app.config.from_object(config_class)
    if config_class.ENV_NAME != "test":
        for key in ("SECRET_KEY", "DATABASE_URL"):
            if os.environ.get(key):
                app.config[key] = os.environ[key]
    app.config.update(overrides)
    if config_class is ProductionConfig:
        ProductionConfig.check()
        if app.debug:
            raise RuntimeError("Refusing to start in production with debug on")
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY is not set")
    if app.config["DATABASE_URL"].startswith("sqlite:///"):
        Path(app.config["DATABASE_URL"].removeprefix("sqlite:///")).parent.mkdir(
            parents=True, exist_ok=True
        )

    from monitor import db, jobs
    from monitor.cli import register_cli
    from monitor.core.checklist import load_templates
    from monitor.web import register_web, security_events

    db.init_app(app)
    app.extensions["monitor.templates"] = load_templates(Path(app.config["CHECKLIST_TEMPLATE_DIR"]))
    register_web(app)
    security_events.init_app(app)  # after register_web: its hooks follow CSRF's
    register_cli(app)
    jobs.init_app(app)
    return app
