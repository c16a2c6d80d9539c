"""Home pages by role, the practice profile and "What we ask and why"."""

from __future__ import annotations

from collections import Counter

from flask import Blueprint, abort, render_template
from flask_login import current_user

from monitor.core.clock import today
from monitor.models import PRACTICE_ROLES, Icb, Pcn, Role
from monitor.services import figures, icb_views, schedule, visibility
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
    practices = visibility.list_practices(session, user)
    pcns = {pcn.id: pcn for pcn in visibility.visible_pcns(session, user)}
    if role is Role.PCN_LEAD:
        # One page for the PCN lead: member practices, shared case examples, trends.
        return cases.pcn_home()
    icb = session.get(Icb, user.icb_id)
    if role is Role.ADMIN:
        return render_template(
            "home/admin.jinja", icb=icb, practice_count=len(practices), pcn_count=len(pcns)
        )
    pcns = icb_views.pcn_groups(session, user, practices, icb_id=user.icb_id)
    by_pcn: dict[int | None, list] = {pcn_id: [] for pcn_id in pcns}
    for p in practices:
        if p.pcn_id in by_pcn:
            by_pcn[p.pcn_id].append(p)
    return render_template(
        "home/icb.jinja",
        icb=icb,
        open_collections=visibility.open_collections(session, user, today()),
        pcns=pcns,
        by_pcn=by_pcn,
        pcn_count=sum(1 for pcn_id in pcns if pcn_id is not None),
        practices=practices,
        quintile_counts=Counter(p.imd_quintile for p in practices),
        total_list_size=sum(p.list_size for p in practices if p.list_size is not None),
        unknown_list_sizes=sum(1 for p in practices if p.list_size is None),
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
