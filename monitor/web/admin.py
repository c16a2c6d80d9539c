"""Administration: users and roles, temporary passwords, the audit log."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlmodel import select
from wtforms.fields.choices import SelectChoice

from monitor.models import Icb, Pcn, Practice, Role
from monitor.services import accounts, audit
from monitor.services.accounts import AccountError
from monitor.web.access import allow
from monitor.web.context import db, passwords
from monitor.web.forms import ConfirmForm, CreateUserForm, TemporaryPasswordForm

bp = Blueprint("admin", __name__, url_prefix="/admin")

AUDIT_PAGE_SIZE = 50


def _organisation_choices() -> list[SelectChoice]:
    """Organisations in the administrator's ICB, as "kind:id" values."""
    session = db()
    icb = session.get(Icb, current_user.icb_id)
    pcns = session.exec(select(Pcn).where(Pcn.icb_id == icb.id).order_by(Pcn.name)).all()
    practices = session.exec(
        select(Practice)
        .where(Practice.pcn_id.in_([pcn.id for pcn in pcns]))
        .order_by(Practice.name)
    ).all()
    choices = [SelectChoice("", "Select an organisation")]
    choices.append(SelectChoice(f"icb:{icb.id}", f"ICB: {icb.name}"))
    choices += [SelectChoice(f"pcn:{pcn.id}", f"PCN: {pcn.name}") for pcn in pcns]
    choices += [
        SelectChoice(f"practice:{p.id}", f"Practice: {p.name} ({p.ods_code})") for p in practices
    ]
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
    form = CreateUserForm()
    form.organisation.choices = _organisation_choices()
    status = 200
    if form.validate_on_submit():
        kind, _, org_id = form.organisation.data.partition(":")
        role = Role(form.role.data)
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
                email=form.email.data,
                display_name=form.display_name.data,
                role=role,
                organisation_id=int(org_id),
                password=form.password.data,
                temporary=True,
            )
        except AccountError as error:
            getattr(form, error.field).errors = [error.message]
            status = 400
        else:
            flash(
                f"{user.display_name} can now sign in with the temporary password. "
                "They will be asked to choose their own."
            )
            return redirect(url_for("admin.user", user_id=user.id))
    elif form.is_submitted():
        status = 400
    return render_template("admin/new_user.jinja", form=form), status


@bp.get("/users/<int:user_id>")
@allow(Role.ADMIN)
def user(user_id: int):
    found = _managed_user_or_404(user_id)
    return render_template(
        "admin/user.jinja",
        user=found,
        organisation=_organisation_of(found, _organisation_names()),
        events=audit.events_for(db(), object_type="user", object_id=found.id)[:20],
        form=ConfirmForm(),
    )


@bp.post("/users/<int:user_id>/deactivate")
@allow(Role.ADMIN)
def deactivate(user_id: int):
    return _set_active(user_id, active=False)


@bp.post("/users/<int:user_id>/reactivate")
@allow(Role.ADMIN)
def reactivate(user_id: int):
    return _set_active(user_id, active=True)


def _set_active(user_id: int, *, active: bool):
    found = _managed_user_or_404(user_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        accounts.set_active(db(), actor=current_user, user=found, active=active)
    except AccountError as error:
        flash(error.message, "error")
    else:
        flash(f"{found.display_name} {'can sign in again' if active else 'can no longer sign in'}.")
    return redirect(url_for("admin.user", user_id=found.id))


@bp.route("/users/<int:user_id>/temporary-password", methods=["GET", "POST"])
@allow(Role.ADMIN)
def temporary_password(user_id: int):
    found = _managed_user_or_404(user_id)
    form = TemporaryPasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            accounts.set_temporary_password(
                db(),
                actor=current_user,
                user=found,
                passwords=passwords(),
                password=form.password.data,
            )
        except AccountError as error:
            form.password.errors = [error.message]
            status = 400
        else:
            flash(
                f"Temporary password set. {found.display_name} must choose a new password "
                "when they next sign in; any session they had has ended."
            )
            return redirect(url_for("admin.user", user_id=found.id))
    elif form.is_submitted():
        status = 400
    return render_template("admin/temporary_password.jinja", form=form, user=found), status


@bp.get("/audit")
@allow(Role.ADMIN)
def audit_log():
    page = max(request.args.get("page", 1, type=int), 1)
    events = audit.recent_events(
        db(),
        icb_id=current_user.icb_id,
        limit=AUDIT_PAGE_SIZE + 1,
        offset=(page - 1) * AUDIT_PAGE_SIZE,
    )
    return render_template(
        "admin/audit.jinja",
        events=events[:AUDIT_PAGE_SIZE],
        page=page,
        has_next=len(events) > AUDIT_PAGE_SIZE,
    )
