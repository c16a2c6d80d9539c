"""Home pages by role, the practice profile and "What we ask and why"."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from monitor.core.clock import today
from monitor.models import PRACTICE_ROLES, Icb, Pcn, Role
from monitor.services import figures, practice_listing, schedule, visibility
from monitor.web import cases
from monitor.web.access import public, signed_in
from monitor.web.context import (
    can_edit,
    db,
    default_template,
    own_practice,
    template_for_user,
)
from monitor.web.presenters import practice as practice_text

bp = Blueprint("home", __name__)


@bp.app_context_processor
def _edit_controls() -> dict:
    """`can_edit` in every template: whether to show controls that change records."""
    return {"can_edit": can_edit()}


@bp.get("/")
@signed_in
def index():
    user = current_user
    role = user.role_enum
    session = db()
    template = template_for_user(user)
    if role in PRACTICE_ROLES:
        practice = own_practice()
        due = schedule.due_now(template, today())
        summaries = figures.period_summaries(
            session, practice_id=practice.id, template=template, periods=[d.period for d in due]
        )
        pcn = session.get(Pcn, practice.pcn_id) if practice.pcn_id else None
        return render_template(
            "home/practice.jinja",
            practice=practice,
            open_collections=visibility.open_collections(session, user, today()),
            pcn=pcn,
            due=list(zip(due, summaries, strict=True)),
            left_blank=schedule.left_blank(
                session, practice_id=practice.id, template=template, today=today()
            ),
            template=template,
            imported_share=practice_text.imported_share,
            left_to_add=practice_text.left_to_add,
        )
    if role is Role.PCN_LEAD:
        # One page for the PCN lead: member practices, shared case examples, trends.
        return cases.pcn_home()
    icb = session.get(Icb, user.icb_id)
    counts = practice_listing.overview(session, user)
    if role is Role.ADMIN:
        return render_template("home/admin.jinja", icb=icb, overview=counts)
    query = practice_listing.clean_query(request.args.get("q"))
    page = practice_listing.listing(
        session, user, icb_id=user.icb_id, page=request.args.get("page", 1, type=int), query=query
    )
    if page is None:
        abort(404)
    return render_template(
        "home/icb.jinja",
        icb=icb,
        open_collections=visibility.open_collections(session, user, today()),
        overview=counts,
        listing=page,
        page_numbers=practice_listing.page_numbers(page.page, page.pages),
    )


@bp.get("/practices/<int:practice_id>")
@signed_in
def practice(practice_id: int):
    session = db()
    found = visibility.get_practice(session, current_user, practice_id)
    if found is None:
        abort(404)
    return render_template(
        "home/practice_profile.jinja",
        practice=found,
        pcn=session.get(Pcn, found.pcn_id) if found.pcn_id else None,
    )


@bp.get("/what-we-ask")
@public
def what_we_ask():
    if current_user.is_authenticated:
        template = template_for_user(current_user)
    else:
        template = default_template()
    return render_template("home/what_we_ask.jinja", template=template)
