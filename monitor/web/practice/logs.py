"""The practice's four logs — HEP allocations, spending, staffing changes and
interventions — and the one create/edit/delete engine they share.

Each log is a `LogKind` in `KINDS`: how its form is read (`clean`), how a stored record
fills the form again (`to_values`), how a record is named (`describe`) and how it is
written (`save`). The engine treats every kind alike; what differs lives in the kind.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlmodel import Session, SQLModel

from monitor.core.clock import today
from monitor.core.inputs import FormErrors
from monitor.core.periods import financial_year_label, financial_year_of
from monitor.models import HepAllocation, Intervention, SpendItem, StaffingChange, User
from monitor.services import logs, records, visibility
from monitor.services.records import EditConflict
from monitor.web.access import allow
from monitor.web.context import db, form_data, form_version, own_practice, template_for_user
from monitor.web.practice import EDITOR, READERS, bp, can_edit
from monitor.web.presenters import practice as text

Saver = Callable[..., SQLModel]
"""(kind, session, *, user, practice_id, data, existing, expected_version) -> the record."""


# eq=False: the order_by column expressions overload ==, so kinds compare by identity.
@dataclass(frozen=True, eq=False)
class LogKind:
    kind: str  # URL segment, as in /spending/new
    model: type[SQLModel]
    list_endpoint: str
    form_template: str
    order_by: tuple[Any, ...]
    clean: Callable[[Mapping[str, Any]], Any]
    to_values: Callable[[Any], dict[str, Any]]
    describe: Callable[[Any], str]  # names a record in lists, messages and the audit trail
    save: Saver
    defaults: Mapping[str, Any] = field(default_factory=dict)  # a new record's form
    multi_valued: tuple[str, ...] = ()  # form fields that post a list

    @property
    def noun(self) -> str:
        return text.RECORD_NOUNS[records.object_type(self.model)]

    def write(
        self, data: Any, *, existing: SQLModel | None = None, expected_version: int | None = None
    ) -> SQLModel:
        return self.save(
            self,
            db(),
            user=current_user,
            practice_id=own_practice().id,
            data=data,
            existing=existing,
            expected_version=expected_version,
        )


def write_fields(
    kind: LogKind,
    session: Session,
    *,
    user: User,
    practice_id: int,
    data: Any,
    existing: SQLModel | None,
    expected_version: int | None,
) -> SQLModel:
    """The cleaned fields through the one audited write path."""
    fields = asdict(data)
    if existing is None:
        created = kind.model(practice_id=practice_id, **fields)
        return records.create(
            session,
            user=user,
            record=created,
            summary=text.audit_summary("Added", kind.noun, kind.describe(created)),
        )
    return records.update_fields(
        session,
        user=user,
        record=existing,
        changes=fields,
        expected_version=expected_version,
        summary=text.audit_summary("Changed", kind.noun, kind.describe(existing)),
    )


def write_allocation(kind: LogKind, session: Session, **arguments: Any) -> HepAllocation:
    # The service refuses a second allocation for the same year (a FormErrors on the
    # year field) and words the audit summary with the amount.
    return logs.save_allocation(session, **arguments)


def _own_ids(model: type[SQLModel]) -> set[int]:
    return {r.id for r in visibility.own_records(db(), current_user, model)}


def _clean_spend(raw: Mapping[str, Any]) -> logs.SpendInput:
    return logs.clean_spend(
        raw,
        template=template_for_user(current_user),
        today=today(),
        staffing_ids=_own_ids(StaffingChange),
        intervention_ids=_own_ids(Intervention),
    )


KINDS: dict[str, LogKind] = {
    kind.kind: kind
    for kind in (
        LogKind(
            kind="allocations",
            model=HepAllocation,
            list_endpoint="practice.allocations",
            form_template="practice/allocation_form.jinja",
            order_by=(HepAllocation.financial_year.desc(),),
            clean=lambda raw: logs.clean_allocation(raw, today=today()),
            to_values=text.allocation_values,
            describe=text.allocation_label,
            save=write_allocation,
        ),
        LogKind(
            kind="spending",
            model=SpendItem,
            list_endpoint="practice.spending",
            form_template="practice/spend_form.jinja",
            order_by=(SpendItem.spent_on.desc(), SpendItem.id.desc()),
            clean=_clean_spend,
            to_values=text.spend_values,
            describe=text.spend_label,
            save=write_fields,
            defaults={"hep_mode": "amount"},
            multi_valued=("other_sources",),
        ),
        LogKind(
            kind="staffing",
            model=StaffingChange,
            list_endpoint="practice.staffing",
            form_template="practice/staffing_form.jinja",
            order_by=(StaffingChange.starts_on.desc(), StaffingChange.id.desc()),
            clean=lambda raw: logs.clean_staffing(
                raw, template=template_for_user(current_user), today=today()
            ),
            to_values=text.staffing_values,
            describe=lambda change: text.staffing_label(change, template_for_user(current_user)),
            save=write_fields,
        ),
        LogKind(
            kind="interventions",
            model=Intervention,
            list_endpoint="practice.interventions",
            form_template="practice/intervention_form.jinja",
            order_by=(Intervention.occurred_on.desc(), Intervention.id.desc()),
            clean=lambda raw: logs.clean_intervention(
                raw, template=template_for_user(current_user), today=today()
            ),
            to_values=text.intervention_values,
            describe=text.intervention_label,
            save=write_fields,
            multi_valued=("affected_items",),
        ),
    )
}
"""Every log, by its URL segment. Views look their kind up here on each request."""


def own_log(kind: LogKind) -> list[Any]:
    """The practice's records of one kind, newest first."""
    return visibility.own_records(db(), current_user, kind.model, *kind.order_by)


# The engine ---------------------------------------------------------------------------


def _form_context() -> dict[str, Any]:
    template = template_for_user(current_user)
    return {
        "template": template,
        "staffing_options": [
            (str(c.id), text.staffing_label(c, template)) for c in own_log(KINDS["staffing"])
        ],
        "intervention_options": [
            (str(i.id), text.intervention_label(i)) for i in own_log(KINDS["interventions"])
        ],
        "year_options": text.year_options(financial_year_of(today())),
        "contract_types": list(logs.CONTRACT_TYPES.items()),
        "category_options": [(c.id, c.label) for c in template.spending_categories],
        "source_options": [(s.id, s.label) for s in template.funding_sources if s.id != "hep"],
        "role_options": [(r.id, r.label) for r in template.staffing_roles],
        "change_type_options": [(c.id, c.label) for c in template.staffing_change_types],
        "item_options": [(i.id, i.label) for i in template.items],
        "recurrence_options": list(logs.RECURRENCE.items()),
        "allocation_form_text": text.allocation_form_text,
    }


def _render_form(kind: LogKind, *, values, errors, record=None, conflict=False, status=200):
    return render_template(
        kind.form_template,
        kind=kind,
        values=values,
        errors=errors,
        record=record,
        conflict=conflict,
        **_form_context(),
    ), status


def _new(kind: LogKind):
    if request.method == "GET":
        return _render_form(kind, values=dict(kind.defaults), errors={})
    raw = form_data(*kind.multi_valued)
    try:
        record = kind.write(kind.clean(raw))
    except FormErrors as error:
        return _render_form(kind, values=raw, errors=error.errors, status=400)
    flash(text.record_done(kind.noun, "added", kind.describe(record)))
    return redirect(url_for(kind.list_endpoint))


def _own_record_or_404(kind: LogKind, record_id: int) -> SQLModel:
    record = visibility.own_record(db(), current_user, kind.model, record_id)
    if record is None:
        abort(404)
    return record


def _edit(kind: LogKind, record_id: int):
    record = _own_record_or_404(kind, record_id)
    if request.method == "GET":
        return _render_form(kind, values=kind.to_values(record), errors={}, record=record)
    raw = form_data(*kind.multi_valued)
    expected = form_version()
    try:
        kind.write(kind.clean(raw), existing=record, expected_version=expected)
    except FormErrors as error:
        return _render_form(kind, values=raw, errors=error.errors, record=record, status=400)
    except EditConflict:
        latest = visibility.own_record(db(), current_user, kind.model, record_id)
        if latest is None:
            flash(text.deleted_meanwhile(kind.noun), "error")
            return redirect(url_for(kind.list_endpoint))
        return _render_form(
            kind,
            values=kind.to_values(latest),
            errors={},
            record=latest,
            conflict=True,
            status=409,
        )
    flash(text.record_done(kind.noun, "saved", kind.describe(record)))
    return redirect(url_for(kind.list_endpoint))


def _delete(kind: LogKind, record_id: int):
    record = _own_record_or_404(kind, record_id)
    if request.method == "GET":
        return render_template("practice/delete.jinja", kind=kind, record=record)
    try:
        records.delete(
            db(),
            user=current_user,
            record=record,
            expected_version=form_version(),
            summary=text.audit_summary("Deleted", kind.noun, kind.describe(record)),
        )
    except EditConflict:
        flash(text.not_deleted_after_change(kind.noun), "error")
        return redirect(url_for(kind.list_endpoint))
    flash(text.record_done(kind.noun, "deleted", kind.describe(record)))
    return redirect(url_for(kind.list_endpoint))


def _chosen_year() -> int:
    current = financial_year_of(today())
    year = request.args.get("year", type=int)
    return year if year and 2015 <= year <= current + 1 else current


def _year_links(endpoint: str) -> list[tuple[str, str, int]]:
    return text.year_links(financial_year_of(today()), lambda fy: url_for(endpoint, year=fy))


# Allocations --------------------------------------------------------------------------


@bp.get("/allocations")
@allow(*READERS)
def allocations():
    allocations = visibility.own_records(db(), current_user, HepAllocation)
    return render_template(
        "practice/allocations.jinja",
        practice=own_practice(),
        rows=logs.allocation_history(allocations),
        from_schedule=text.any_from_schedule(allocations),
        allocation_source=text.allocation_source,
        can_edit=can_edit(),
        financial_year_label=financial_year_label,
    )


@bp.route("/allocations/new", methods=["GET", "POST"])
@allow(EDITOR)
def new_allocation():
    return _new(KINDS["allocations"])


@bp.route("/allocations/<int:record_id>/edit", methods=["GET", "POST"])
@allow(EDITOR)
def edit_allocation(record_id: int):
    return _edit(KINDS["allocations"], record_id)


@bp.route("/allocations/<int:record_id>/delete", methods=["GET", "POST"])
@allow(EDITOR)
def delete_allocation(record_id: int):
    return _delete(KINDS["allocations"], record_id)


# Spending -----------------------------------------------------------------------------


@bp.get("/spending")
@allow(*READERS)
def spending():
    template = template_for_user(current_user)
    items = own_log(KINDS["spending"])
    fy = _chosen_year()
    summary = logs.spend_summary(
        items,
        visibility.own_records(db(), current_user, HepAllocation),
        template=template,
        financial_year=fy,
    )
    return render_template(
        "practice/spending.jinja",
        practice=own_practice(),
        items=[i for i in items if financial_year_of(i.spent_on) == fy],
        summary=summary,
        categories={c.id: c.label for c in template.spending_categories},
        sources={s.id: s.label for s in template.funding_sources},
        years=_year_links("practice.spending"),
        fy=fy,
        can_edit=can_edit(),
    )


@bp.route("/spending/new", methods=["GET", "POST"])
@allow(EDITOR)
def new_spend():
    return _new(KINDS["spending"])


@bp.route("/spending/<int:record_id>/edit", methods=["GET", "POST"])
@allow(EDITOR)
def edit_spend(record_id: int):
    return _edit(KINDS["spending"], record_id)


@bp.route("/spending/<int:record_id>/delete", methods=["GET", "POST"])
@allow(EDITOR)
def delete_spend(record_id: int):
    return _delete(KINDS["spending"], record_id)


# Staffing -----------------------------------------------------------------------------


@bp.get("/staffing")
@allow(*READERS)
def staffing():
    template = template_for_user(current_user)
    changes = own_log(KINDS["staffing"])
    fy = _chosen_year()
    return render_template(
        "practice/staffing.jinja",
        practice=own_practice(),
        changes=[c for c in changes if financial_year_of(c.starts_on) == fy],
        summary=logs.staffing_summary(changes, template=template, financial_year=fy),
        roles={r.id: r.label for r in template.staffing_roles},
        change_types={c.id: c.label for c in template.staffing_change_types},
        contract_types=logs.CONTRACT_TYPES,
        years=_year_links("practice.staffing"),
        fy=fy,
        can_edit=can_edit(),
    )


@bp.route("/staffing/new", methods=["GET", "POST"])
@allow(EDITOR)
def new_staffing():
    return _new(KINDS["staffing"])


@bp.route("/staffing/<int:record_id>/edit", methods=["GET", "POST"])
@allow(EDITOR)
def edit_staffing(record_id: int):
    return _edit(KINDS["staffing"], record_id)


@bp.route("/staffing/<int:record_id>/delete", methods=["GET", "POST"])
@allow(EDITOR)
def delete_staffing(record_id: int):
    return _delete(KINDS["staffing"], record_id)


# Interventions ------------------------------------------------------------------------


@bp.get("/interventions")
@allow(*READERS)
def interventions():
    template = template_for_user(current_user)
    return render_template(
        "practice/interventions.jinja",
        practice=own_practice(),
        events=own_log(KINDS["interventions"]),
        item_labels={i.id: i.label for i in template.items},
        can_edit=can_edit(),
    )


@bp.route("/interventions/new", methods=["GET", "POST"])
@allow(EDITOR)
def new_intervention():
    return _new(KINDS["interventions"])


@bp.route("/interventions/<int:record_id>/edit", methods=["GET", "POST"])
@allow(EDITOR)
def edit_intervention(record_id: int):
    return _edit(KINDS["interventions"], record_id)


@bp.route("/interventions/<int:record_id>/delete", methods=["GET", "POST"])
@allow(EDITOR)
def delete_intervention(record_id: int):
    return _delete(KINDS["interventions"], record_id)
