"""Small accessors views use: the request's database session, hasher, template, the
signed-in user's own practice, and the raw form as services read it."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, request
from flask_login import current_user
from sqlmodel import Session

from monitor.core.checklist import ChecklistTemplate
from monitor.core.inputs import whole_number
from monitor.db import get_session
from monitor.models import Icb, Pcn, Practice, Role, User
from monitor.services import visibility
from monitor.services.accounts import ThrottlePolicy
from monitor.services.passwords import Passwords


def db() -> Session:
    return get_session()


def can_edit() -> bool:
    """Whether the signed-in person may change their practice's records (a practice
    editor). The one rule for edit controls: every template reads it as `can_edit` (see
    home.py's context processor), so a practice viewer sees no control they cannot use."""
    return current_user.is_authenticated and current_user.role_enum is Role.PRACTICE_EDITOR


def own_practice() -> Practice:
    """The signed-in practice user's own practice; 404 for anyone who has none."""
    practice = visibility.own_practice(db(), current_user)
    if practice is None:
        abort(404)
    return practice


def form_data(*multi_valued: str) -> dict[str, Any]:
    """The posted form as services read it: one string per field, and a list for each
    field named in `multi_valued` (checkboxes and multiple selects; empty when none)."""
    raw: dict[str, Any] = request.form.to_dict()
    for name in multi_valued:
        raw[name] = request.form.getlist(name)
    return raw


def form_version() -> int:
    """The record version the form was opened at, for the edit-conflict check; a form
    without one was not sent by our page, so 400."""
    version = whole_number(request.form.get("version", ""))  # not isdigit: int("²") fails
    if version is None:
        abort(400)
    return version


def passwords() -> Passwords:
    return current_app.extensions["monitor.passwords"]


def throttle_policy() -> ThrottlePolicy:
    config = current_app.config
    return ThrottlePolicy(
        lockout_threshold=config["LOCKOUT_THRESHOLD"],
        lockout_period=config["LOCKOUT_PERIOD"],
        address_failure_limit=config["ADDRESS_FAILURE_LIMIT"],
        address_failure_window=config["ADDRESS_FAILURE_WINDOW"],
    )


def client_address() -> str:
    return request.remote_addr or "unknown"


def templates() -> dict[tuple[str, int], ChecklistTemplate]:
    return current_app.extensions["monitor.templates"]


def template_for_icb(icb: Icb) -> ChecklistTemplate:
    return templates()[(icb.template_id, icb.template_version)]


def icb_of_practice(practice: Practice) -> Icb:
    return db().get(Icb, practice.icb_id)


def icb_of_user(user: User) -> Icb:
    session = db()
    if user.icb_id:
        return session.get(Icb, user.icb_id)
    if user.pcn_id:
        return session.get(Icb, session.get(Pcn, user.pcn_id).icb_id)
    return icb_of_practice(session.get(Practice, user.practice_id))


def template_for_user(user: User) -> ChecklistTemplate:
    return template_for_icb(icb_of_user(user))


def default_template() -> ChecklistTemplate:
    return templates()[tuple(current_app.config["DEFAULT_TEMPLATE"])]


def organisation_name(user: User) -> str:
    session = db()
    if user.practice_id:
        return session.get(Practice, user.practice_id).name
    if user.pcn_id:
        return session.get(Pcn, user.pcn_id).name
    return session.get(Icb, user.icb_id).name
