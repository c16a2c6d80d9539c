"""Case examples: practices write them, keep them private or share them with the PCN or
across the ICB; PCN leads and ICB analysts browse what is shared. Also the PCN lead's
page (`/pcn`): member practices and their shared case examples.

Every read goes through monitor.services.case_examples (`get_visible`, `list_visible`),
so a case example someone may not read answers 404 on its page and on its charts. Its
charts are the ones published when it was last saved (`published_charts`), for every
reader, the practice included: never the practice's live figures.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from monitor import charts
from monitor.core.checklist import ChecklistTemplate
from monitor.core.clock import today
from monitor.core.inputs import FormErrors
from monitor.models import CaseExample, Intervention, Pcn, Practice, Role, SpendItem, Visibility
from monitor.services import case_examples, visibility
from monitor.services.records import EditConflict
from monitor.web.access import allow
from monitor.web.chart_cache import chart_response
from monitor.web.chart_width import for_requested_width
from monitor.web.context import (
    db,
    form_data,
    form_version,
    icb_of_practice,
    own_practice,
    template_for_icb,
    template_for_user,
)
from monitor.web.presenters import practice as text

bp = Blueprint("cases", __name__)

PRACTICE_READERS = (Role.PRACTICE_EDITOR, Role.PRACTICE_VIEWER)
EDITOR = Role.PRACTICE_EDITOR
SHARED_READERS = (Role.PCN_LEAD, Role.ICB_ANALYST)
READERS = PRACTICE_READERS + SHARED_READERS
MULTI_VALUED = (
    "spend_item_ids",
    "metric_item_ids",
    "intervention_ids",
    "tags",
)  # the form's checkbox groups
NOUN = "case example"


def _can_edit(case: CaseExample | None = None) -> bool:
    if current_user.role_enum is not EDITOR:
        return False
    return case is None or case.practice_id == current_user.practice_id


def _visible_or_404(case_id: int) -> CaseExample:
    case = visibility.visible_case_example(db(), current_user, case_id)
    if case is None:
        abort(404)
    return case


def _own_or_404(case_id: int) -> CaseExample:
    case = visibility.own_record(db(), current_user, CaseExample, case_id)
    if case is None:
        abort(404)
    return case


def _template_of(case: CaseExample) -> ChecklistTemplate:
    return template_for_icb(icb_of_practice(db().get(Practice, case.practice_id)))


# A practice's own case examples ---------------------------------------------------------


@bp.get("/case-examples")
@allow(*PRACTICE_READERS)
def practice_list():
    session = db()
    return render_template(
        "cases/practice_list.jinja",
        practice=own_practice(),
        cases=case_examples.list_own(session, current_user),
        categories=case_examples.tag_labels(template_for_user(current_user)),
        visibility_labels=case_examples.SHARING_LABELS,
        can_edit=_can_edit(),
    )


def _values_of(case: CaseExample) -> dict[str, Any]:
    return {
        "title": case.title,
        "problem": case.problem,
        "actions": case.actions,
        "cost": case.cost,
        "outcome": case.outcome,
        "lessons": case.lessons,
        "visibility": case.visibility,
        "tags": list(case.tags or []),
        "spend_item_ids": [str(i) for i in case.spend_item_ids or []],
        "metric_item_ids": list(case.metric_item_ids or []),
        "intervention_ids": [str(i) for i in case.intervention_ids or []],
    }


def _own_spend_items() -> list[SpendItem]:
    return visibility.own_records(
        db(), current_user, SpendItem, SpendItem.spent_on.desc(), SpendItem.id.desc()
    )


def _own_interventions() -> list[Intervention]:
    return visibility.own_records(
        db(), current_user, Intervention, Intervention.occurred_on.desc(), Intervention.id.desc()
    )


def _render_form(*, values, errors, case=None, conflict=False, status=200):
    template = template_for_user(current_user)
    return render_template(
        "cases/form.jinja",
        values=values,
        errors=errors,
        case=case,
        conflict=conflict,
        spend_options=[(str(s.id), text.spend_label(s)) for s in _own_spend_items()],
        metric_options=case_examples.metric_choices(template),
        intervention_options=[
            (str(i.id), text.intervention_label(i)) for i in _own_interventions()
        ],
        tag_options=[(c.id, c.label) for c in template.spending_categories],
        visibility_options=list(case_examples.VISIBILITY_LABELS.items()),
    ), status


def _clean(raw):
    return case_examples.clean(
        raw,
        template=template_for_user(current_user),
        own_spend_ids={s.id for s in _own_spend_items()},
        own_intervention_ids={i.id for i in _own_interventions()},
    )


@bp.route("/case-examples/new", methods=["GET", "POST"])
@allow(EDITOR)
def new_case():
    if request.method == "GET":
        return _render_form(values={"visibility": Visibility.PRIVATE}, errors={})
    raw = form_data(*MULTI_VALUED)
    try:
        case = case_examples.create(
            db(),
            user=current_user,
            practice_id=own_practice().id,
            data=_clean(raw),
            template=template_for_user(current_user),
            today=today(),
        )
    except FormErrors as error:
        return _render_form(values=raw, errors=error.errors, status=400)
    flash(text.record_done(NOUN, "added", case.title))
    return redirect(url_for("cases.detail", case_id=case.id))


@bp.route("/case-examples/<int:case_id>/edit", methods=["GET", "POST"])
@allow(EDITOR)
def edit_case(case_id: int):
    case = _own_or_404(case_id)
    if request.method == "GET":
        return _render_form(values=_values_of(case), errors={}, case=case)
    raw = form_data(*MULTI_VALUED)
    expected = form_version()
    try:
        case_examples.update(
            db(),
            user=current_user,
            case=case,
            data=_clean(raw),
            expected_version=expected,
            template=template_for_user(current_user),
            today=today(),
        )
    except FormErrors as error:
        return _render_form(values=raw, errors=error.errors, case=case, status=400)
    except EditConflict:
        latest = visibility.own_record(db(), current_user, CaseExample, case_id)
        if latest is None:
            flash(text.deleted_meanwhile(NOUN), "error")
            return redirect(url_for("cases.practice_list"))
        return _render_form(
            values=_values_of(latest), errors={}, case=latest, conflict=True, status=409
        )
    flash(text.record_done(NOUN, "saved", case.title))
    return redirect(url_for("cases.detail", case_id=case.id))


@bp.route("/case-examples/<int:case_id>/delete", methods=["GET", "POST"])
@allow(EDITOR)
def delete_case(case_id: int):
    case = _own_or_404(case_id)
    if request.method == "GET":
        return render_template("cases/delete.jinja", case=case)
    title = case.title
    try:
        case_examples.delete(db(), user=current_user, case=case, expected_version=form_version())
    except EditConflict:
        flash(text.not_deleted_after_change(NOUN), "error")
        return redirect(url_for("cases.practice_list"))
    flash(text.record_done(NOUN, "deleted", title))
    return redirect(url_for("cases.practice_list"))


# Reading a case example -----------------------------------------------------------------


@bp.get("/case-examples/<int:case_id>")
@allow(*READERS)
def detail(case_id: int):
    case = _visible_or_404(case_id)
    session = db()
    practice = session.get(Practice, case.practice_id)
    template = _template_of(case)
    published = case_examples.published_charts(session, case)
    return render_template(
        "cases/detail.jinja",
        case=case,
        practice=practice,
        pcn=session.get(Pcn, practice.pcn_id),
        spend_items=case_examples.linked_spend_items(session, case),
        interventions=case_examples.linked_interventions(session, case),
        categories=case_examples.tag_labels(template),
        charts=published,
        taken_at=published[0].taken_at if published else None,
        # Linked figures but nothing published: saved before charts were kept.
        unpublished=bool(case.metric_item_ids) and not published,
        visibility_labels=case_examples.SHARING_LABELS,
        can_edit=_can_edit(case),
        own_practice=current_user.practice_id == case.practice_id,
    )


@bp.get("/case-examples/<int:case_id>/metrics/<item_id>/chart.<fmt>")
@allow(*READERS)
def metric_chart(case_id: int, item_id: str, fmt: str):
    case = _visible_or_404(case_id)
    published = case_examples.published_chart(db(), case, item_id)
    if published is None or not published.has_figures:
        abort(404)
    key, spec = for_requested_width(published.key, published.spec())
    draw = charts.run_chart if published.run_chart else charts.spc_chart
    return chart_response(key, fmt, lambda: draw(spec), filename=f"{item_id}-chart")


# Browsing what is shared ----------------------------------------------------------------


@bp.get("/case-examples/shared")
@allow(*SHARED_READERS)
def browse():
    session = db()
    template = template_for_user(current_user)
    categories = case_examples.tag_labels(template)
    everything = case_examples.list_visible(session, current_user)
    practices = case_examples.practices_of(session, everything)
    tag = request.args.get("tag", "")
    tag = tag if tag in categories else ""
    practice_id = request.args.get("practice", type=int)
    practice_id = practice_id if practice_id in practices else None
    cases = case_examples.list_visible(
        session, current_user, tag=tag or None, practice_id=practice_id
    )
    return render_template(
        "cases/browse.jinja",
        cases=cases,
        practice_names={p.id: p.name for p in practices.values()},
        categories=categories,
        tag=tag,
        practice_id=practice_id,
        tag_items=[{"value": "", "text": "All tags"}]
        + [{"value": k, "text": v, "selected": k == tag} for k, v in categories.items()],
        practice_items=[{"value": "", "text": "All practices"}]
        + [
            {"value": str(p.id), "text": p.name, "selected": p.id == practice_id}
            for p in sorted(practices.values(), key=lambda p: p.name)
        ],
        visibility_labels=case_examples.SHARING_LABELS,
        total=len(everything),
    )


# The PCN lead's page --------------------------------------------------------------------


@bp.get("/pcn")
@allow(Role.PCN_LEAD)
def pcn_home():
    session = db()
    members = visibility.list_practices(session, current_user)
    member_ids = {p.id for p in members}
    visible = case_examples.list_visible(session, current_user)
    shared = [case for case in visible if case.practice_id in member_ids]
    return render_template(
        "cases/pcn_home.jinja",
        pcn=session.get(Pcn, current_user.pcn_id),
        practices=members,
        practice_names={p.id: p.name for p in members},
        cases=shared,
        other_icb_wide=len(visible) - len(shared),
        categories=case_examples.tag_labels(template_for_user(current_user)),
        visibility_labels=case_examples.SHARING_LABELS,
        # The trends page lands separately; link to it once it exists.
        has_trends="icb.pcn_trends" in current_app.view_functions,
    )
