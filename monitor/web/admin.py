"""Administration: users and roles, temporary passwords, the audit log."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlmodel import select

from monitor.core.clock import UK
from monitor.core.inputs import Collector, InvalidValue, parse_date_text
from monitor.models import ROLE_LABELS, Icb, Pcn, Practice, Role
from monitor.services import accounts, audit, second_factor, template_versions
from monitor.services.accounts import AccountError
from monitor.services.template_versions import TemplateMoveRefused
from monitor.web.access import allow
from monitor.web.context import db, passwords, templates

bp = Blueprint("admin", __name__, url_prefix="/admin")

AUDIT_PAGE_SIZE = 50
MAX_AUDIT_PAGE = 1_000_000


def _organisation_choices() -> list[tuple[str, str]]:
    """Organisations in the administrator's ICB, as ("kind:id", label)."""
    session = db()
    icb = session.get(Icb, current_user.icb_id)
    pcns = session.exec(select(Pcn).where(Pcn.icb_id == icb.id).order_by(Pcn.name)).all()
    practices = session.exec(
        select(Practice).where(Practice.icb_id == icb.id).order_by(Practice.name)
    ).all()
    choices = [("", "Select an organisation"), (f"icb:{icb.id}", f"ICB: {icb.name}")]
    choices += [(f"pcn:{pcn.id}", f"PCN: {pcn.name}") for pcn in pcns]
    choices += [(f"practice:{p.id}", f"Practice: {p.name} ({p.ods_code})") for p in practices]
    return choices


def _organisation_names() -> dict[tuple[str, int], str]:
    session = db()
    names: dict[tuple[str, int], str] = {}
    for icb in session.exec(select(Icb)):
        names[("icb", icb.id)] = icb.name
    for pcn in session.exec(select(Pcn)):
        names[("pcn", pcn.id)] = pcn.name
    for practice in session.exec(select(Practice)):
        names[("practice", practice.id)] = f"{practice.name} ({practice.ods_code})"
    return names


def _organisation_of(user, names) -> str:
    kind = user.role_enum.organisation_kind
    return names.get((kind, getattr(user, f"{kind}_id")), "")


def _managed_user_or_404(user_id: int):
    user = accounts.get_managed_user(db(), actor=current_user, user_id=user_id)
    if user is None:
        abort(404)
    return user


@bp.get("/users")
@allow(Role.ADMIN)
def users():
    names = _organisation_names()
    rows = [
        (user, _organisation_of(user, names))
        for user in accounts.list_users(db(), actor=current_user)
    ]
    return render_template("admin/users.jinja", rows=rows)


@bp.route("/users/new", methods=["GET", "POST"])
@allow(Role.ADMIN)
def new_user():
    organisations = _organisation_choices()
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    if request.method == "POST":
        check = Collector(request.form)
        display_name = check.required("display_name", "Enter the person's name", limit=100)
        email = check.required("email", "Enter the person's email address", limit=254)
        role = check.choice("role", [role.value for role in Role], "Select a role")
        organisation = check.choice(
            "organisation",
            [value for value, _ in organisations if value],
            "Select the organisation this person works for",
        )
        password = check.required("password", "Enter a temporary password")
        values = {k: v for k, v in request.form.items() if k != "password"}
        errors = check.errors
        if not errors:
            kind, _, org_id = organisation.partition(":")
            role = Role(role)
            try:
                if kind != role.organisation_kind:
                    noun = {"practice": "a practice", "pcn": "a PCN", "icb": "the ICB"}
                    raise AccountError(
                        "organisation",
                        f"Select {noun[role.organisation_kind]} for a {role.label.lower()}",
                    )
                user = accounts.create_user(
                    db(),
                    actor=current_user,
                    passwords=passwords(),
                    email=email,
                    display_name=display_name,
                    role=role,
                    organisation_id=int(org_id),
                    password=password,
                    temporary=True,
                )
            except AccountError as error:
                errors = {error.field: error.message}
            else:
                flash(
                    f"{user.display_name} can now sign in with the temporary password. "
                    "They will be asked to choose their own."
                )
                return redirect(url_for("admin.user", user_id=user.id))
    return render_template(
        "admin/new_user.jinja",
        values=values,
        errors=errors,
        role_options=[(role.value, label) for role, label in ROLE_LABELS.items()],
        organisation_options=organisations,
    ), (400 if errors else 200)


@bp.get("/users/<int:user_id>")
@allow(Role.ADMIN)
def user(user_id: int):
    found = _managed_user_or_404(user_id)
    return render_template(
        "admin/user.jinja",
        user=found,
        organisation=_organisation_of(found, _organisation_names()),
        events=audit.events_for(db(), object_type="user", object_id=found.id)[:20],
    )


@bp.route("/users/<int:user_id>/deactivate", methods=["GET", "POST"])
@allow(Role.ADMIN)
def deactivate(user_id: int):
    """GET asks for confirmation (the NHS pattern, as deleting a record does)."""
    if request.method == "GET":
        found = _managed_user_or_404(user_id)
        if found.id == current_user.id or not found.is_active:
            return redirect(url_for("admin.user", user_id=found.id))
        return render_template("admin/deactivate.jinja", user=found)
    return _set_active(user_id, active=False)


@bp.post("/users/<int:user_id>/reactivate")
@allow(Role.ADMIN)
def reactivate(user_id: int):
    return _set_active(user_id, active=True)


def _set_active(user_id: int, *, active: bool):
    found = _managed_user_or_404(user_id)
    try:
        accounts.set_active(db(), actor=current_user, user=found, active=active)
    except AccountError as error:
        flash(error.message, "error")
    else:
        flash(f"{found.display_name} {'can sign in again' if active else 'can no longer sign in'}.")
    return redirect(url_for("admin.user", user_id=found.id))


@bp.post("/users/<int:user_id>/reset-second-factor")
@allow(Role.ADMIN)
def reset_second_factor(user_id: int):
    found = _managed_user_or_404(user_id)
    try:
        second_factor.reset(db(), actor=current_user, user=found)
    except AccountError as error:
        flash(error.message, "error")
    else:
        flash(
            f"{found.display_name}'s authenticator app and recovery codes no longer work. "
            "They have been signed out and must set up an authenticator app when they next "
            "sign in."
        )
    return redirect(url_for("admin.user", user_id=found.id))


@bp.route("/users/<int:user_id>/temporary-password", methods=["GET", "POST"])
@allow(Role.ADMIN)
def temporary_password(user_id: int):
    found = _managed_user_or_404(user_id)
    errors: dict[str, str] = {}
    if request.method == "POST":
        check = Collector(request.form)
        password = check.required("password", "Enter a temporary password")
        errors = check.errors
        if not errors:
            try:
                accounts.set_temporary_password(
                    db(), actor=current_user, user=found, passwords=passwords(), password=password
                )
            except AccountError as error:
                errors = {"password": error.message}
            else:
                flash(
                    f"Temporary password set. {found.display_name} must choose a new password "
                    "when they next sign in; any session they had has ended."
                )
                return redirect(url_for("admin.user", user_id=found.id))
    return render_template("admin/temporary_password.jinja", errors=errors, user=found), (
        400 if errors else 200
    )


@bp.get("/audit")
@allow(Role.ADMIN)
def audit_log():
    """The ICB's audit log, as `audit.for_administrator` lets an administrator read it:
    never the content or values of a practice's own records."""
    session = db()
    icb_id = current_user.icb_id
    # A page past the last is simply empty; capped so the offset stays a sane number.
    page = min(max(request.args.get("page", 1, type=int), 1), MAX_AUDIT_PAGE)
    types = audit.object_types(session, icb_id=icb_id)
    practices = session.exec(
        select(Practice).where(Practice.icb_id == icb_id).order_by(Practice.name)
    ).all()
    # Filters as the case-example browser takes them: a value not offered shows everything.
    kind = request.args.get("type", "")
    kind = kind if kind in types else ""
    practice_id = request.args.get("practice", type=int)
    practice_id = practice_id if practice_id in {p.id for p in practices} else None
    people = audit.actors(session, icb_id=icb_id)
    actor_id = request.args.get("who", type=int)
    actor_id = actor_id if actor_id in dict(people) else None
    # Dates are typed: a wrong one is named beside its field, and the log is not filtered.
    errors: dict[str, str] = {}
    since, since_text = _audit_day(request.args.get("from", ""), "from", errors)
    until, until_text = _audit_day(request.args.get("to", ""), "to", errors)
    if since and until and until < since:
        errors["to"] = "The date to must be the same as or after the date from"
    events = audit.recent_events(
        session,
        icb_id=icb_id,
        limit=AUDIT_PAGE_SIZE + 1,
        offset=(page - 1) * AUDIT_PAGE_SIZE,
        object_type=kind or None,
        practice_id=practice_id,
        actor_id=actor_id,
        since=None if errors else _uk_midnight(since),
        until=None if errors or until is None else _uk_midnight(until + timedelta(days=1)),
    )
    names = {p.id: f"{p.name} ({p.ods_code})" for p in practices}
    filters = {
        "type": kind or None,
        "practice": practice_id,
        "who": actor_id,
        "from": since_text or None,
        "to": until_text or None,
    }
    return render_template(
        "admin/audit.jinja",
        entries=[audit.for_administrator(event) for event in events[:AUDIT_PAGE_SIZE]],
        practice_names=names,
        page=page,
        has_next=len(events) > AUDIT_PAGE_SIZE,
        filters=filters,
        filtered=bool(kind or practice_id or actor_id or since or until),
        errors=errors,
        dates={"from": request.args.get("from", ""), "to": request.args.get("to", "")},
        who_items=[{"value": "", "text": "Everyone"}]
        + [{"value": str(i), "text": email, "selected": i == actor_id} for i, email in people],
        type_items=[{"value": "", "text": "All kinds of record"}]
        + [
            {"value": t, "text": audit.kind_label(t), "selected": t == kind}
            for t in sorted(types, key=audit.kind_label)
        ],
        practice_items=[{"value": "", "text": "All practices"}]
        + [
            {"value": str(p.id), "text": names[p.id], "selected": p.id == practice_id}
            for p in practices
        ],
    ), (400 if errors else 200)


def _audit_day(text: str, field: str, errors: dict[str, str]) -> tuple[date | None, str]:
    """A day typed into the audit log's date filter (1/4/2026, or 2026-04-01), read by
    the one input module; a year outside 2000-2100 is no date the log can hold."""
    text = text.strip()
    if not text:
        return None, ""
    label = f"the date {field}"
    try:
        day = parse_date_text(text, label=label)
    except InvalidValue as error:
        errors[field] = error.message
        return None, ""
    if not 2000 <= day.year <= 2100:
        errors[field] = f"The date {field} must be between 2000 and 2100"
        return None, ""
    return day, day.isoformat()


def _uk_midnight(day: date | None) -> datetime | None:
    """The start of a UK day (the log shows UK times), in UTC as the log stores times."""
    if day is None:
        return None
    return datetime.combine(day, time(0), tzinfo=UK).astimezone(UTC)


@bp.route("/template", methods=["GET", "POST"])
@allow(Role.ADMIN)
def template():
    """The template version the ICB's practices record against, and moving it on."""
    session = db()
    icb = session.get(Icb, current_user.icb_id)
    loaded = templates()
    moves, refused = [], None
    for candidate in template_versions.versions_of(loaded, icb):
        if candidate.version != icb.template_version:
            moves.append(template_versions.describe(session, loaded, icb, candidate.version))
    if request.method == "POST":
        chosen = request.form.get("version", type=int)
        try:
            move = template_versions.describe(session, loaded, icb, chosen or 0)
        except TemplateMoveRefused as error:
            refused = error.message
        else:
            template_versions.move(session, user=current_user, move=move)
            flash(f"Your ICB now uses template version {move.target.version}.", "success")
            return redirect(url_for("admin.template"))
    current = loaded.get((icb.template_id, icb.template_version))
    page = render_template(
        "admin/template.jinja", icb=icb, current=current, moves=moves, refused=refused,
        summary_lines=template_versions.summary_lines,
    )  # fmt: skip
    return page, (400 if refused else 200)
