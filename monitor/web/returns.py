"""Voluntary returns: the ICB opens collections; practices complete a task list, submit a
frozen snapshot, withdraw.

ICB analysts (and administrators) reach only their own ICB's collections: another ICB's
collection answers 404. Practice users see the open collections of their own ICB and
only their own practice's state and values; practice viewers read, editors submit.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlmodel import select
from werkzeug.exceptions import HTTPException

from monitor.core.checklist import ChecklistTemplate
from monitor.core.clock import today
from monitor.core.formatting import NO_PCN
from monitor.core.inputs import FormErrors
from monitor.models import Role
from monitor.models.returns import Collection, ReturnStatus, ReturnValue
from monitor.services import collections, visibility
from monitor.web.access import allow
from monitor.web.context import (
    can_edit,
    db,
    icb_of_practice,
    icb_of_user,
    own_practice,
    templates,
)

bp = Blueprint("returns", __name__)

ICB_ROLES = (Role.ICB_ANALYST, Role.ADMIN)
READERS = (Role.PRACTICE_EDITOR, Role.PRACTICE_VIEWER)
EDITOR = Role.PRACTICE_EDITOR


# The ICB's collections ------------------------------------------------------------------


def _own_collection(collection_id: int) -> Collection:
    collection = visibility.icb_collection(db(), current_user, collection_id)
    if collection is None:
        abort(404)
    return collection


def _template_options() -> dict[str, ChecklistTemplate]:
    return {f"{t.id}:{t.version}": t for t in templates().values()}


@bp.get("/collections", endpoint="collections")
@allow(*ICB_ROLES)
def collections_list():
    session = db()
    icb = icb_of_user(current_user)
    rows = visibility.icb_collections(session, current_user)
    day = today()
    everyone = visibility.list_practices(session, current_user)
    listed = []
    for collection in rows:
        practices = collections.counted_practices(session, collection, everyone)
        states = collections.return_states(
            session, collection, practices, template=_collection_template(collection)
        )
        submitted = sum(1 for s in states.values() if s == collections.SUBMITTED)
        listed.append(
            {
                "collection": collection,
                "period": collections.collection_period(collection),
                "status": collections.collection_status(collection, day),
                "submitted": submitted,
                "practices": len(practices),
            }
        )
    return render_template("returns/collections.jinja", icb=icb, rows=listed)


@bp.route("/collections/new", methods=["GET", "POST"])
@allow(*ICB_ROLES)
def new_collection():
    icb = icb_of_user(current_user)
    options = _template_options()
    periods = collections.period_choices(today())
    default_template = f"{icb.template_id}:{icb.template_version}"
    values: dict = {"template": default_template}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = request.form.to_dict()
        try:
            data = collections.clean_collection(values, templates=options, periods=periods)
        except FormErrors as error:
            errors = error.errors
        else:
            collection = collections.open_collection(
                db(), user=current_user, icb_id=icb.id, data=data
            )
            flash(f"Collection “{collection.name}” saved")
            return redirect(url_for("returns.collection", collection_id=collection.id))
    return render_template(
        "returns/collection_form.jinja",
        icb=icb,
        values=values,
        errors=errors,
        template_options=[(key, f"{t.name} (version {t.version})") for key, t in options.items()],
        period_options=[(p.code, p.long_label) for p in periods],
    ), (400 if errors else 200)


@bp.get("/collections/<int:collection_id>")
@allow(*ICB_ROLES)
def collection(collection_id: int):
    session = db()
    found = _own_collection(collection_id)
    practices = collections.counted_practices(
        session, found, visibility.list_practices(session, current_user)
    )
    states = collections.return_states(
        session, found, practices, template=_collection_template(found)
    )
    pcns = {p.id: p.name for p in visibility.visible_pcns(session, current_user)}
    pcns[None] = NO_PCN
    counts = {state: sum(1 for s in states.values() if s == state) for state in collections.STATES}
    rows = sorted(
        ({"practice": p, "pcn": pcns.get(p.pcn_id, ""), "state": states[p.id]} for p in practices),
        key=lambda row: (row["pcn"], row["practice"].name),
    )
    return render_template(
        "returns/collection.jinja",
        collection=found,
        period=collections.collection_period(found),
        template=_collection_template(found),
        status=collections.collection_status(found, today()),
        counts=counts,
        rows=rows,
        state_labels=collections.STATE_LABELS,
        state_colours=collections.STATE_COLOURS,
    )


@bp.post("/collections/<int:collection_id>/close")
@allow(*ICB_ROLES)
def close_collection(collection_id: int):
    found = _own_collection(collection_id)
    if collections.close_collection(db(), user=current_user, collection=found):
        flash(f"“{found.name}” is closed. Practices can no longer submit or withdraw.")
    else:
        flash(f"“{found.name}” was already closed.", "error")
    return redirect(url_for("returns.collection", collection_id=found.id))


def _collection_template(collection: Collection) -> ChecklistTemplate:
    try:
        return templates()[(collection.template_id, collection.template_version)]
    except KeyError:
        abort(404)


# The practice's returns -------------------------------------------------------------------


def _practice_collection(collection_id: int) -> Collection:
    collection = visibility.practice_collection(db(), current_user, collection_id, today())
    if collection is None:
        abort(404)
    return collection


# The pages of a return a section's form may send the person back to, with their labels.
RETURN_PAGES = {"returns.task_list": "Back to the task list", "returns.review": "Back to review"}


def return_page(target: str | None) -> tuple[str, str] | None:
    """(path, back-link text) when `target` is one of the signed-in practice's own return
    pages (a collection's task list or review), else None: the only places a form opened
    from a return sends people back to, so the parameter can never redirect elsewhere."""
    if not target or not target.startswith("/returns/") or len(target) > 100:
        return None
    try:
        endpoint, args = current_app.url_map.bind("").match(target, method="GET")
    except HTTPException:
        return None
    if endpoint not in RETURN_PAGES:
        return None
    found = visibility.practice_collection(db(), current_user, args["collection_id"], today())
    if found is None:
        return None
    return url_for(endpoint, collection_id=found.id), RETURN_PAGES[endpoint]


@bp.get("/returns")
@allow(*READERS)
def index():
    session = db()
    practice = own_practice()
    icb = icb_of_practice(practice)
    day = today()
    rows = []
    for found in visibility.open_collections(session, current_user, day):
        state = collections.return_states(
            session, found, [practice], template=_collection_template(found)
        )[practice.id]
        rows.append(
            {
                "collection": found,
                "period": collections.collection_period(found),
                "state": state,
                "refusal": collections.refusal(found, day),
            }
        )
    return render_template(
        "returns/index.jinja",
        practice=practice,
        icb=icb,
        rows=rows,
        state_labels=collections.STATE_LABELS,
        state_colours=collections.STATE_COLOURS,
    )


@bp.get("/returns/<int:collection_id>")
@allow(*READERS)
def task_list(collection_id: int):
    session = db()
    practice = own_practice()
    found = _practice_collection(collection_id)
    template = _collection_template(found)
    tasks = collections.task_list(
        session, collection=found, practice_id=practice.id, template=template
    )
    answer = collections.practice_return(session, found, practice.id)
    state = collections.return_states(session, found, [practice], template=template)[practice.id]
    return render_template(
        "returns/task_list.jinja",
        practice=practice,
        icb=icb_of_practice(practice),
        collection=found,
        period=collections.collection_period(found),
        tasks=tasks,
        answer=answer,
        refusal=collections.refusal(found, today()),
        state=state,
        state_labels=collections.STATE_LABELS,
        state_colours=collections.STATE_COLOURS,
        ReturnStatus=ReturnStatus,
    )


@bp.route("/returns/<int:collection_id>/review", methods=["GET", "POST"])
@allow(*READERS)
def review(collection_id: int):
    session = db()
    practice = own_practice()
    found = _practice_collection(collection_id)
    template = _collection_template(found)
    if request.method == "POST":
        if not can_edit():
            abort(403)
        try:
            answer = collections.submit(
                session,
                user=current_user,
                collection=found,
                practice_id=practice.id,
                template=template,
                today=today(),
            )
        except collections.ReturnRefused as refused:
            flash(refused.message, "error")
            return redirect(url_for("returns.review", collection_id=found.id))
        sent = len(
            session.exec(select(ReturnValue.id).where(ReturnValue.return_id == answer.id)).all()
        )
        flash(
            f"Return submitted: {sent} figure{'s' if sent != 1 else ''} for {found.name}. "
            "The ICB sees your figures as they are now; if you change them later, submit "
            "again so the ICB sees the new figures."
        )
        return redirect(url_for("returns.task_list", collection_id=found.id))
    sections = collections.review(
        session, collection=found, practice_id=practice.id, template=template
    )
    period = collections.collection_period(found)
    spend = collections.spend_by_category(session, practice_id=practice.id, period=period)
    categories = {c.id: c.label for c in template.spending_categories}
    return render_template(
        "returns/review.jinja",
        practice=practice,
        icb=icb_of_practice(practice),
        collection=found,
        period=period,
        sections=sections,
        spend=[(categories.get(k, k), hep, total) for k, (hep, total) in spend.items()],
        answer=collections.practice_return(session, found, practice.id),
        refusal=collections.refusal(found, today()),
        declaration=collections.DECLARATION,
        ReturnStatus=ReturnStatus,
    )


@bp.route("/returns/<int:collection_id>/withdraw", methods=["GET", "POST"])
@allow(EDITOR)
def withdraw(collection_id: int):
    """GET asks for confirmation (the NHS pattern, as deleting a record does)."""
    found = _practice_collection(collection_id)
    if request.method == "GET":
        answer = collections.practice_return(db(), found, own_practice().id)
        if answer is None or answer.status != ReturnStatus.SUBMITTED:
            return redirect(url_for("returns.task_list", collection_id=found.id))
        return render_template(
            "returns/withdraw.jinja",
            collection=found,
            answer=answer,
            refusal=collections.refusal(found, today()),
        )
    try:
        collections.withdraw(
            db(), user=current_user, collection=found, practice_id=own_practice().id, today=today()
        )
    except collections.ReturnRefused as refused:
        flash(refused.message, "error")
    else:
        flash(
            f"Your return for “{found.name}” is withdrawn. The ICB no longer sees it. "
            "You can submit it again before the due date."
        )
    return redirect(url_for("returns.task_list", collection_id=found.id))
