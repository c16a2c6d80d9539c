"""Security events, as structured records on one logger, "monitor.security".

Each event is one log record whose message is a JSON object (and whose `security_event`
attribute is the same dict, for handlers that format their own):

    {"event": "sign_in", "outcome": "failure", "reason": "wrong password",
     "user_id": 12, "address": "10.0.0.7", "method": "POST", "endpoint": "auth.sign_in",
     "path": "/sign-in", "step": "password", "status": 400, "failed_sign_ins": 3}

- `sign_in`: every attempt at either step (`step`: the password, then the authenticator
  code where one is needed): success, password_accepted (the code is still to come),
  failure (unknown account, deactivated account, locked account, wrong password, wrong
  or reused code), lockout (the failure that locked the account) and throttled (too many
  failures from one address). A failure against a known account is also written to the
  audit trail (success and lockout already are, by services.accounts).
- `csrf_failure`: a form whose CSRF token was missing, wrong or expired.
- `access_denied`: a 403 (the role may not use the route, or the route declares no
  rule), and a 404 from a route that matched a record the person may not reach (another
  practice's spending, another ICB's user or collection, a case example not shared with
  them): someone trying ids.
- `download`: every file sent as an attachment (summary workbook, PDF and CSVs, the
  ICB's workbook and CSV, offline workbooks, charts).

Who is the signed-in user's id (for sign-in, the id of the account tried, when there is
one), never an email typed at sign-in (people type passwords into it). Nothing here reads
a password, a token or a query string: the path is logged without its query, and a path
whose route carries a token is logged as the route's pattern.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, request
from flask import session as cookie_session
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from monitor.core.clock import utcnow
from monitor.models import (
    CaseExample,
    Collection,
    HepAllocation,
    Intervention,
    MetricValue,
    NationalImport,
    Pcn,
    Practice,
    SpendItem,
    StaffingChange,
    User,
)
from monitor.services import accounts, audit, records, visibility
from monitor.web.context import client_address, db

logger = logging.getLogger("monitor.security")

PASSWORD_STEP, CODE_STEP = "auth.sign_in", "auth.sign_in_code"
STEP_NAMES = {PASSWORD_STEP: "password", CODE_STEP: "authenticator_code"}
WRONG_ANSWER = {PASSWORD_STEP: "wrong password", CODE_STEP: "wrong or reused code"}
# auth.PENDING, the session key of a sign-in between its two steps, named here because
# auth imports access, which imports this module (tests check the two agree).
PENDING_SIGN_IN = "pending_sign_in"


def log_event(
    event: str,
    *,
    outcome: str,
    reason: str = "",
    user_id: int | None = None,
    level: int = logging.WARNING,
    **details: Any,
) -> dict[str, Any]:
    """Write one security event about the current request; return what was written.

    `user_id` defaults to the signed-in user's. `details` must hold no secret: ids,
    counts, statuses, file names and media types only.
    """
    if user_id is None:
        user_id = _signed_in_user_id()
    record = {
        "event": event,
        "outcome": outcome,
        "reason": reason,
        "user_id": user_id,
        "address": client_address(),
        "method": request.method,
        "endpoint": request.endpoint,
        "path": _path(),
        **details,
    }
    logger.log(level, json.dumps(record, default=str), extra={"security_event": record})
    return record


def _signed_in_user_id() -> int | None:
    try:
        return current_user.id if current_user.is_authenticated else None
    except SQLAlchemyError:  # the session is unusable: the event still gets written
        return None


def _path() -> str:
    """The request's path without its query; a route with a token in its path (a staged
    upload's) as the route's pattern, so the token stays out of the log."""
    rule = request.url_rule
    if rule is not None and any("token" in name for name in rule.arguments):
        return rule.rule
    return request.path


# CSRF ---------------------------------------------------------------------------------------


def csrf_failure(reason: str) -> None:
    """Called by the CSRFError handler (monitor.web.errors). `reason` is Flask-WTF's
    description ("The CSRF token is missing."), which never holds the token."""
    g.csrf_failed = True
    log_event("csrf_failure", outcome="refused", reason=reason, status=400)


# Access -------------------------------------------------------------------------------------


def note_denial(reason: str) -> None:
    """Say why the request is about to be refused with 403 (see monitor.web.access);
    the event is written when the response is, with its status."""
    g.access_denial = reason


def _log_forbidden(response: Response) -> None:
    log_event(
        "access_denied",
        outcome="forbidden",
        reason=g.get("access_denial", "refused by the route"),
        status=response.status_code,
    )


# A route's id argument -> the model it names. `record_id` is a practice's log record,
# named by the route (endpoint suffix) or, for its history, by `kind`.
ID_MODELS = {
    "practice_id": Practice,
    "user_id": User,
    "collection_id": Collection,
    "case_id": CaseExample,
    "import_id": NationalImport,
}
RECORD_MODELS = {
    "allocation": HepAllocation,
    "spend": SpendItem,
    "staffing": StaffingChange,
    "intervention": Intervention,
    # history/<kind>/<id>
    "hep_allocation": HepAllocation,
    "spend_item": SpendItem,
    "staffing_change": StaffingChange,
    "metric_value": MetricValue,
}


def _log_hidden_record(response: Response) -> None:
    """A 404 from a route that found a record the person may not reach."""
    if request.url_rule is None or not current_user.is_authenticated:
        return
    try:
        hidden = _hidden_record(request.endpoint or "", request.view_args or {})
    except SQLAlchemyError:
        db().rollback()
        return
    if hidden is not None:
        kind, record_id = hidden
        log_event(
            "access_denied",
            outcome="not_found",
            reason=f"{kind} {record_id} exists but is not visible to this user",
            status=response.status_code,
            record_type=kind,
            record_id=record_id,
        )


def _kind(model: type) -> str:
    """The model's name as the audit trail names it ("spend_item", "national_import")."""
    return records.OBJECT_TYPES.get(model.__name__) or {NationalImport: "national_import"}[model]


def _hidden_record(endpoint: str, args: dict[str, Any]) -> tuple[str, int] | None:
    """(kind, id) of the first record the route names that exists and that the user may
    not reach, or None (no such record: an ordinary 404)."""
    session, user = db(), current_user._get_current_object()
    for name, value in args.items():
        if not isinstance(value, int):
            continue
        if name == "record_id":
            key = args.get("kind") or endpoint.rpartition("_")[2]
            model = RECORD_MODELS.get(key)
        else:
            model = ID_MODELS.get(name)
        if model is None:
            continue
        record = session.get(model, value)
        if record is not None and not _reachable(session, user, record):
            return _kind(model), value
    return None


def _reachable(session, user: User, record) -> bool:
    if isinstance(record, Practice):
        return visibility.get_practice(session, user, record.id) is not None
    if isinstance(record, CaseExample):
        return visibility.visible_case_example(session, user, record.id) is not None
    if isinstance(record, User):
        return accounts.get_managed_user(session, actor=user, user_id=record.id) is not None
    if isinstance(record, Collection | NationalImport):
        return record.icb_id == _icb_of(session, user)
    # A practice's own log record.
    return record.practice_id == visibility.own_practice_id(user)


def _icb_of(session, user: User) -> int | None:
    if user.icb_id is not None:
        return user.icb_id
    if user.pcn_id is not None:
        pcn = session.get(Pcn, user.pcn_id)
        return pcn.icb_id if pcn else None
    practice = session.get(Practice, user.practice_id) if user.practice_id else None
    return practice.icb_id if practice else None


# Downloads ----------------------------------------------------------------------------------


def _log_download(response: Response) -> None:
    disposition = response.headers.get("Content-Disposition", "")
    filename = disposition.partition("filename=")[2].strip('"')
    log_event(
        "download",
        outcome="sent",
        level=logging.INFO,
        status=response.status_code,
        filename=filename,
        media_type=response.mimetype,
        bytes=response.content_length,
    )


# Sign-in ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _AccountBefore:
    """What the account tried looked like before the attempt (plain values)."""

    step: str  # the endpoint: PASSWORD_STEP or CODE_STEP
    user_id: int | None
    active: bool
    locked_until: datetime | None


def _note_sign_in_attempt() -> None:
    """before_request: remember the state of the account a sign-in step's POST tries."""
    if request.endpoint not in STEP_NAMES or request.method != "POST":
        return
    if request.endpoint == PASSWORD_STEP:
        email = request.form.get("email", "").strip()
        if not email or not request.form.get("password"):
            return  # nothing is checked: the form asks for what is missing
        user = accounts.find_by_email(db(), email)
    else:
        user = _half_signed_in()
        if user is None or not request.form.get("code", "").strip():
            return  # no password step under way, or no code: nothing is checked
    g.sign_in_attempt = _AccountBefore(
        step=request.endpoint,
        user_id=user.id if user else None,
        active=bool(user and user.is_active),
        locked_until=user.locked_until if user else None,
    )


def _half_signed_in() -> User | None:
    """The account whose right password began the sign-in under way in this session."""
    pending = cookie_session.get(PENDING_SIGN_IN)
    user_id = str(pending.get("id", "")) if isinstance(pending, dict) else ""
    # "<id>:<session token>": only the id is read, and nothing of it is logged
    user_id = user_id.partition(":")[0]
    return db().get(User, int(user_id)) if user_id.isdigit() else None


def _locked(until: datetime | None, now: datetime) -> bool:
    if until is None:
        return False
    if until.tzinfo is None:  # SQLite hands datetimes back naive (stored as UTC)
        until = until.replace(tzinfo=UTC)
    return until > now


def _log_sign_in(response: Response, before: _AccountBefore) -> None:
    session, now = db(), utcnow()
    user = session.get(User, before.user_id) if before.user_id else None
    status = response.status_code
    details: dict[str, Any] = {"step": STEP_NAMES[before.step], "status": status}
    if status == 429:
        outcome, reason = "throttled", "too many failed sign-ins from this address"
    elif status < 400:
        signed_in = current_user.is_authenticated
        outcome = "success" if signed_in else "password_accepted"
        reason = "" if signed_in else "second step to come"
    elif user is None:
        outcome, reason = "failure", "unknown account"
    elif not before.active:
        outcome, reason = "failure", "deactivated account"
    elif _locked(before.locked_until, now):
        outcome, reason = "failure", "account locked"
    elif _locked(user.locked_until, now):
        outcome, reason = "lockout", "too many failed sign-ins in a row: account locked"
    else:
        outcome, reason = "failure", WRONG_ANSWER[before.step]
        details["failed_sign_ins"] = user.failed_sign_ins
    level = logging.INFO if outcome in ("success", "password_accepted") else logging.WARNING
    log_event(
        "sign_in", outcome=outcome, reason=reason, user_id=before.user_id, level=level, **details
    )
    if user is not None and outcome in ("failure", "lockout"):
        audit.record(
            session,
            actor=None,
            action="sign_in_failed",
            object_type="user",
            object_id=user.id,
            summary=f"Failed sign-in to {user.email}: {reason}",
        )
        session.commit()


# Wiring -------------------------------------------------------------------------------------


def _after_request(response: Response) -> Response:
    if g.get("csrf_failed"):
        return response  # logged by csrf_failure
    attempt = g.pop("sign_in_attempt", None)
    if attempt is not None:
        _log_sign_in(response, attempt)
    elif response.status_code == 403:
        _log_forbidden(response)
    elif response.status_code == 404:
        _log_hidden_record(response)
    elif response.status_code == 200 and response.headers.get("Content-Disposition", "").startswith(
        "attachment"
    ):
        _log_download(response)
    return response


def init_app(app: Flask) -> None:
    """Register the hooks (after the app's own before_request hooks: CSRF is checked
    first, so a refused form is logged once, as a CSRF failure)."""
    app.logger  # noqa: B018 (creates Flask's handler on "monitor", which this logger uses)
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)
    app.before_request(_note_sign_in_attempt)
    app.after_request(_after_request)
