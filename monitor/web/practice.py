"""A practice's own records: figures by period, HEP allocations, spending, staffing
changes, interventions, and the change history of each record.

Practice editors change records; practice viewers see the same pages without edit
controls. Every record is looked up within the signed-in user's practice, so another
practice's ids answer 404 on every read, edit and delete.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlmodel import SQLModel

from monitor.core.checklist import ChecklistTemplate
from monitor.core.clock import today
from monitor.core.inputs import FormErrors, format_for_input
from monitor.core.periods import Period, financial_year_label, financial_year_of
from monitor.exporters import offline_workbook
from monitor.importers import offline_workbook as workbook_upload
from monitor.importers.upload import UploadRejected, read_upload
from monitor.models import (
    HepAllocation,
    Intervention,
    Practice,
    Role,
    SpendItem,
    StaffingChange,
)
from monitor.services import figures, logs, records, visibility
from monitor.services.records import EditConflict
from monitor.web.access import allow
from monitor.web.context import db, template_for_user
from monitor.web.downloads import XLSX, download

bp = Blueprint("practice", __name__)

READERS = (Role.PRACTICE_EDITOR, Role.PRACTICE_VIEWER)
EDITOR = Role.PRACTICE_EDITOR


def _practice() -> Practice:
    return db().get(Practice, current_user.practice_id)


def _template() -> ChecklistTemplate:
    return template_for_user(current_user)


def _can_edit() -> bool:
    return current_user.role_enum is EDITOR


def _form_data() -> dict[str, Any]:
    raw: dict[str, Any] = request.form.to_dict()
    for multi in ("other_sources", "affected_items"):
        raw[multi] = request.form.getlist(multi)
    return raw


def _version() -> int:
    text = request.form.get("version", "")
    if not text.isdigit():
        abort(400)
    return int(text)


# Figures ------------------------------------------------------------------------------


@bp.get("/figures")
@allow(*READERS)
def figures_overview():
    template = _template()
    practice = _practice()
    by_year = figures.recordable_periods(today())
    summaries = {
        fy: figures.period_summaries(
            db(), practice_id=practice.id, template=template, periods=periods
        )
        for fy, periods in by_year.items()
    }
    return render_template(
        "practice/figures_overview.jinja",
        practice=practice,
        summaries=summaries,
        financial_year_label=financial_year_label,
        can_edit=_can_edit(),
    )


@bp.route("/figures/<period_code>", methods=["GET", "POST"])
@allow(*READERS)
def figures_period(period_code: str):
    try:
        period = Period.parse(period_code)
        figures.check_recordable(period, today())
    except ValueError:
        abort(404)
    if request.method == "POST" and not _can_edit():
        abort(403)
    template = _template()
    practice = _practice()
    session = db()
    items = template.items_for(period.frequency)
    stored = figures.recorded_values(session, practice.id, period)
    values = {
        item.id: format_for_input(item, stored[item.id].number, stored[item.id].text)
        for item in items
        if item.id in stored
    }
    errors: dict[str, str] = {}
    warnings: dict[str, str] = {}
    conflict = False
    token = figures.state_token(stored)
    status = 200
    if request.method == "POST":
        raw = {item.id: request.form.get(item.id, "") for item in items}
        confirmed = {item.id for item in items if request.form.get(f"confirm-{item.id}")}
        try:
            result = figures.save_period(
                session,
                user=current_user,
                practice=practice,
                template=template,
                period=period,
                raw=raw,
                confirmed=confirmed,
                token=request.form.get("token", ""),
                today=today(),
            )
        except FormErrors as error:
            errors, values, status = error.errors, raw, 400
        except figures.NeedsConfirmation as needs:
            warnings, values, status = needs.warnings, raw, 400
        except EditConflict:
            conflict, status = True, 409
        else:
            if result.nothing:
                flash(f"No changes to {period.label} figures.")
            else:
                parts = []
                for verb, labels in (
                    ("added", result.added),
                    ("changed", result.changed),
                    ("removed", result.removed),
                ):
                    if labels:
                        parts.append(f"{verb} {len(labels)}")
                flash(f"{period.label} figures saved: " + ", ".join(parts) + ".")
            return redirect(url_for("practice.figures_overview"))
    previous = figures.previous_values(session, practice_id=practice.id, items=items, before=period)
    return render_template(
        "practice/figures_period.jinja",
        practice=practice,
        template=template,
        period=period,
        sections=template.items_by_section(items),
        values=values,
        stored=stored,
        previous=previous,
        errors=errors,
        warnings=warnings,
        conflict=conflict,
        token=token,
        can_edit=_can_edit(),
        confirmed={k for k in warnings if request.form.get(f"confirm-{k}")},
    ), status


# Spreadsheets -------------------------------------------------------------------------


@bp.get("/figures/<period_code>/workbook.xlsx")
@allow(*READERS)
def figures_workbook(period_code: str):
    period = _recordable_or_404(period_code)
    template = _template()
    practice = _practice()
    session = db()
    items = template.items_for(period.frequency)
    prefill = offline_workbook.prefill_for(
        template,
        period,
        figures.recorded_values(session, practice.id, period),
        figures.previous_values(session, practice_id=practice.id, items=items, before=period),
    )
    data = offline_workbook.figures_workbook(
        practice=practice,
        template=template,
        period=period,
        prefill=prefill,
        filled=request.args.get("filled") == "1",
    )
    return download(data, XLSX, f"{practice.ods_code}-figures-{period.code}.xlsx")


def _recordable_or_404(period_code: str) -> Period:
    try:
        period = Period.parse(period_code)
        figures.check_recordable(period, today())
    except ValueError:
        abort(404)
    return period


def _upload(what: str, back: str, run):
    """The upload page: a file field; on POST, read the file, run the import, report."""
    practice = _practice()
    if request.method == "GET":
        return render_template("practice/upload.jinja", what=what, back=back, errors={})
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return render_template(
            "practice/upload.jinja",
            what=what,
            back=back,
            errors={"file": "Select a spreadsheet to upload"},
        ), 400
    filename = upload.filename
    session = db()
    try:
        sheets = read_upload(filename, upload.read())
        result = run(sheets)
    except UploadRejected as error:
        workbook_upload.record_upload(
            session,
            user=current_user,
            practice=practice,
            what=what,
            filename=filename,
            outcome=f"refused: {error.message}",
        )
        return render_template(
            "practice/upload.jinja", what=what, back=back, errors={"file": error.message}
        ), 400
    except workbook_upload.ImportFailed as failed:
        session.rollback()
        workbook_upload.record_upload(
            session,
            user=current_user,
            practice=practice,
            what=what,
            filename=filename,
            outcome=f"nothing saved, {len(failed.errors)} problems",
        )
        return render_template(
            "practice/upload_result.jinja",
            what=what,
            back=back,
            failed=failed.errors,
            result=None,
            filename=filename,
        ), 400
    counts = result.counts()
    workbook_upload.record_upload(
        session, user=current_user, practice=practice, what=what, filename=filename, outcome=counts
    )
    return render_template(
        "practice/upload_result.jinja",
        what=what,
        back=back,
        failed=None,
        result=result,
        filename=filename,
    )


@bp.route("/figures/<period_code>/upload", methods=["GET", "POST"])
@allow(EDITOR)
def figures_upload(period_code: str):
    period = _recordable_or_404(period_code)
    return _upload(
        f"{period.label} figures",
        url_for("practice.figures_period", period_code=period.code),
        lambda sheets: workbook_upload.import_figures(
            db(),
            user=current_user,
            practice=_practice(),
            template=_template(),
            period=period,
            sheets=sheets,
            today=today(),
        ),
    )


def _log_workbook(kind: LogKind, write) -> Response:
    """A log (spending or staffing) as a workbook to edit offline."""
    practice = _practice()
    rows = visibility.own_records(db(), current_user, kind.model, *kind.order_by())
    data = write(practice=practice, template=_template(), rows=rows)
    return download(data, XLSX, f"{practice.ods_code}-{kind.kind}.xlsx")


def _log_upload(kind: LogKind, importer):
    """Upload a log workbook back: `importer` validates every row, all or nothing."""
    return _upload(
        f"{kind.kind} log",
        url_for(kind.list_endpoint),
        lambda sheets: importer(
            db(),
            user=current_user,
            practice=_practice(),
            template=_template(),
            sheets=sheets,
            today=today(),
        ),
    )


@bp.get("/spending/workbook.xlsx")
@allow(*READERS)
def spending_workbook():
    return _log_workbook(
        _spend_kind(),
        lambda rows, **kw: offline_workbook.spending_workbook(items=rows, **kw),
    )


@bp.route("/spending/upload", methods=["GET", "POST"])
@allow(EDITOR)
def spending_upload():
    return _log_upload(_spend_kind(), workbook_upload.import_spending)


@bp.get("/staffing/workbook.xlsx")
@allow(*READERS)
def staffing_workbook():
    return _log_workbook(
        _staffing_kind(),
        lambda rows, **kw: offline_workbook.staffing_workbook(changes=rows, **kw),
    )


@bp.route("/staffing/upload", methods=["GET", "POST"])
@allow(EDITOR)
def staffing_upload():
    return _log_upload(_staffing_kind(), workbook_upload.import_staffing)


# Generic log pages --------------------------------------------------------------------


@dataclass(frozen=True)
class LogKind:
    kind: str  # URL segment and endpoint prefix
    model: type[SQLModel]
    noun: str
    list_endpoint: str
    form_template: str
    order_by: Callable[[], tuple]
    clean: Callable[[dict[str, Any]], Any]
    to_values: Callable[[Any], dict[str, str]]
    describe: Callable[[Any], str]


def _date_values(name: str, value: date | None) -> dict[str, str]:
    if value is None:
        return {}
    return {
        f"{name}-day": str(value.day),
        f"{name}-month": str(value.month),
        f"{name}-year": str(value.year),
    }


def _money_text(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,.2f}".removesuffix(".00")


def _number_text(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value.normalize()}"


def _own_ids(model) -> set[int]:
    return {r.id for r in visibility.own_records(db(), current_user, model)}


def _spend_kind() -> LogKind:
    return LogKind(
        kind="spending",
        model=SpendItem,
        noun="spending item",
        list_endpoint="practice.spending",
        form_template="practice/spend_form.jinja",
        order_by=lambda: (SpendItem.spent_on.desc(), SpendItem.id.desc()),
        clean=lambda raw: logs.clean_spend(
            raw,
            template=_template(),
            today=today(),
            staffing_ids=_own_ids(StaffingChange),
            intervention_ids=_own_ids(Intervention),
        ),
        to_values=lambda item: {
            **_date_values("spent_on", item.spent_on),
            "category": item.category,
            "description": item.description,
            "total_cost": _money_text(item.total_cost),
            "hep_mode": "amount",
            "hep_amount": _money_text(item.hep_amount),
            "other_sources": list(item.other_sources or []),
            "recurrence": item.recurrence,
            "staffing_change_id": str(item.staffing_change_id or ""),
            "intervention_id": str(item.intervention_id or ""),
        },
        describe=lambda item: f"{item.description} ({item.spent_on:%d/%m/%Y})",
    )


def _staffing_kind() -> LogKind:
    labels = {r.id: r.label for r in _template().staffing_roles}
    return LogKind(
        kind="staffing",
        model=StaffingChange,
        noun="staffing change",
        list_endpoint="practice.staffing",
        form_template="practice/staffing_form.jinja",
        order_by=lambda: (StaffingChange.starts_on.desc(), StaffingChange.id.desc()),
        clean=lambda raw: logs.clean_staffing(raw, template=_template(), today=today()),
        to_values=lambda change: {
            "role": change.role,
            "change_type": change.change_type,
            "wte_change": _number_text(change.wte_change),
            **_date_values("starts_on", change.starts_on),
            **_date_values("ends_on", change.ends_on),
            "contract_type": change.contract_type,
            "hep_share_pct": _number_text(change.hep_share_pct),
            "languages": change.languages,
            "note": change.note,
        },
        describe=lambda change: (
            f"{labels.get(change.role, change.role)} ({change.starts_on:%d/%m/%Y})"
        ),
    )


def _intervention_kind() -> LogKind:
    return LogKind(
        kind="interventions",
        model=Intervention,
        noun="intervention",
        list_endpoint="practice.interventions",
        form_template="practice/intervention_form.jinja",
        order_by=lambda: (Intervention.occurred_on.desc(), Intervention.id.desc()),
        clean=lambda raw: logs.clean_intervention(raw, template=_template(), today=today()),
        to_values=lambda event: {
            **_date_values("occurred_on", event.occurred_on),
            "title": event.title,
            "description": event.description,
            "affected_items": list(event.affected_items or []),
        },
        describe=lambda event: f"“{event.title}” ({event.occurred_on:%d/%m/%Y})",
    )


def _allocation_kind() -> LogKind:
    return LogKind(
        kind="allocations",
        model=HepAllocation,
        noun="HEP allocation",
        list_endpoint="practice.allocations",
        form_template="practice/allocation_form.jinja",
        order_by=lambda: (HepAllocation.financial_year.desc(),),
        clean=lambda raw: logs.clean_allocation(raw, today=today()),
        to_values=lambda allocation: {
            "financial_year": str(allocation.financial_year),
            "amount": _money_text(allocation.amount),
            **_date_values("received_on", allocation.received_on),
            "note": allocation.note,
        },
        describe=lambda allocation: financial_year_label(allocation.financial_year),
    )


def _form_context(kind: LogKind) -> dict[str, Any]:
    template = _template()
    session = db()
    current_fy = financial_year_of(today())
    return {
        "template": template,
        "staffing_options": [
            (str(c.id), _staffing_kind().describe(c))
            for c in visibility.own_records(
                session, current_user, StaffingChange, StaffingChange.starts_on.desc()
            )
        ],
        "intervention_options": [
            (str(i.id), _intervention_kind().describe(i))
            for i in visibility.own_records(
                session, current_user, Intervention, Intervention.occurred_on.desc()
            )
        ],
        "year_options": [
            (str(fy), financial_year_label(fy)) for fy in range(current_fy + 1, current_fy - 8, -1)
        ],
        "contract_types": list(logs.CONTRACT_TYPES.items()),
        "category_options": [(c.id, c.label) for c in template.spending_categories],
        "source_options": [(s.id, s.label) for s in template.funding_sources if s.id != "hep"],
        "role_options": [(r.id, r.label) for r in template.staffing_roles],
        "change_type_options": [(c.id, c.label) for c in template.staffing_change_types],
        "item_options": [(i.id, i.label) for i in template.items],
        "recurrence_options": list(logs.RECURRENCE.items()),
    }


def _render_form(kind: LogKind, *, values, errors, record=None, conflict=False, status=200):
    return render_template(
        kind.form_template,
        kind=kind,
        values=values,
        errors=errors,
        record=record,
        conflict=conflict,
        **_form_context(kind),
    ), status


def _save(kind: LogKind, data, record=None, expected_version=None):
    session = db()
    practice_id = current_user.practice_id
    if kind.model is HepAllocation:
        return logs.save_allocation(
            session,
            user=current_user,
            practice_id=practice_id,
            data=data,
            existing=record,
            expected_version=expected_version,
        )
    fields = asdict(data)
    if record is None:
        created = kind.model(practice_id=practice_id, **fields)
        return records.create(
            session,
            user=current_user,
            record=created,
            summary=f"Added {kind.noun} {kind.describe(created)}",
        )
    return records.update_fields(
        session,
        user=current_user,
        record=record,
        changes=fields,
        expected_version=expected_version,
        summary=f"Changed {kind.noun} {kind.describe(record)}",
    )


def _new(kind: LogKind):
    if request.method == "GET":
        values = {"hep_mode": "amount"} if kind.model is SpendItem else {}
        return _render_form(kind, values=values, errors={})
    raw = _form_data()
    try:
        record = _save(kind, kind.clean(raw))
    except FormErrors as error:
        return _render_form(kind, values=raw, errors=error.errors, status=400)
    flash(f"{kind.noun[0].upper()}{kind.noun[1:]} added: {kind.describe(record)}.")
    return redirect(url_for(kind.list_endpoint))


def _edit(kind: LogKind, record_id: int):
    record = visibility.own_record(db(), current_user, kind.model, record_id)
    if record is None:
        abort(404)
    if request.method == "GET":
        return _render_form(kind, values=kind.to_values(record), errors={}, record=record)
    raw = _form_data()
    expected = _version()
    try:
        _save(kind, kind.clean(raw), record=record, expected_version=expected)
    except FormErrors as error:
        return _render_form(kind, values=raw, errors=error.errors, record=record, status=400)
    except EditConflict:
        latest = visibility.own_record(db(), current_user, kind.model, record_id)
        if latest is None:
            flash(f"That {kind.noun} was deleted by someone else.", "error")
            return redirect(url_for(kind.list_endpoint))
        return _render_form(
            kind,
            values=kind.to_values(latest),
            errors={},
            record=latest,
            conflict=True,
            status=409,
        )
    flash(f"{kind.noun[0].upper()}{kind.noun[1:]} saved: {kind.describe(record)}.")
    return redirect(url_for(kind.list_endpoint))


def _delete(kind: LogKind, record_id: int):
    record = visibility.own_record(db(), current_user, kind.model, record_id)
    if record is None:
        abort(404)
    if request.method == "GET":
        return render_template("practice/delete.jinja", kind=kind, record=record)
    try:
        records.delete(
            db(),
            user=current_user,
            record=record,
            expected_version=_version(),
            summary=f"Deleted {kind.noun} {kind.describe(record)}",
        )
    except EditConflict:
        flash(
            f"Someone else changed this {kind.noun} after you opened it, so it was not "
            "deleted. Check it and try again.",
            "error",
        )
        return redirect(url_for(kind.list_endpoint))
    flash(f"{kind.noun[0].upper()}{kind.noun[1:]} deleted: {kind.describe(record)}.")
    return redirect(url_for(kind.list_endpoint))


# Allocations --------------------------------------------------------------------------


@bp.get("/allocations")
@allow(*READERS)
def allocations():
    rows = logs.allocation_history(visibility.own_records(db(), current_user, HepAllocation))
    return render_template(
        "practice/allocations.jinja",
        practice=_practice(),
        rows=rows,
        can_edit=_can_edit(),
        financial_year_label=financial_year_label,
    )


@bp.route("/allocations/new", methods=["GET", "POST"])
@allow(EDITOR)
def new_allocation():
    return _new(_allocation_kind())


@bp.route("/allocations/<int:record_id>/edit", methods=["GET", "POST"])
@allow(EDITOR)
def edit_allocation(record_id: int):
    return _edit(_allocation_kind(), record_id)


@bp.route("/allocations/<int:record_id>/delete", methods=["GET", "POST"])
@allow(EDITOR)
def delete_allocation(record_id: int):
    return _delete(_allocation_kind(), record_id)


# Spending -----------------------------------------------------------------------------


@bp.get("/spending")
@allow(*READERS)
def spending():
    template = _template()
    session = db()
    items = visibility.own_records(session, current_user, SpendItem, *_spend_kind().order_by())
    fy = _chosen_year()
    summary = logs.spend_summary(
        items,
        visibility.own_records(session, current_user, HepAllocation),
        template=template,
        financial_year=fy,
    )
    return render_template(
        "practice/spending.jinja",
        practice=_practice(),
        items=[i for i in items if financial_year_of(i.spent_on) == fy],
        summary=summary,
        categories={c.id: c.label for c in template.spending_categories},
        sources={s.id: s.label for s in template.funding_sources},
        years=_year_links("practice.spending"),
        fy=fy,
        can_edit=_can_edit(),
    )


def _chosen_year() -> int:
    current = financial_year_of(today())
    year = request.args.get("year", type=int)
    return year if year and 2015 <= year <= current + 1 else current


def _year_links(endpoint: str) -> list[tuple[str, str, int]]:
    current = financial_year_of(today())
    return [
        (url_for(endpoint, year=fy), financial_year_label(fy), fy)
        for fy in range(current, current - 5, -1)
    ]


@bp.route("/spending/new", methods=["GET", "POST"])
@allow(EDITOR)
def new_spend():
    return _new(_spend_kind())


@bp.route("/spending/<int:record_id>/edit", methods=["GET", "POST"])
@allow(EDITOR)
def edit_spend(record_id: int):
    return _edit(_spend_kind(), record_id)


@bp.route("/spending/<int:record_id>/delete", methods=["GET", "POST"])
@allow(EDITOR)
def delete_spend(record_id: int):
    return _delete(_spend_kind(), record_id)


# Staffing -----------------------------------------------------------------------------


@bp.get("/staffing")
@allow(*READERS)
def staffing():
    template = _template()
    changes = visibility.own_records(
        db(), current_user, StaffingChange, *_staffing_kind().order_by()
    )
    fy = _chosen_year()
    return render_template(
        "practice/staffing.jinja",
        practice=_practice(),
        changes=[c for c in changes if financial_year_of(c.starts_on) == fy],
        summary=logs.staffing_summary(changes, template=template, financial_year=fy),
        roles={r.id: r.label for r in template.staffing_roles},
        change_types={c.id: c.label for c in template.staffing_change_types},
        contract_types=logs.CONTRACT_TYPES,
        years=_year_links("practice.staffing"),
        fy=fy,
        can_edit=_can_edit(),
    )


@bp.route("/staffing/new", methods=["GET", "POST"])
@allow(EDITOR)
def new_staffing():
    return _new(_staffing_kind())


@bp.route("/staffing/<int:record_id>/edit", methods=["GET", "POST"])
@allow(EDITOR)
def edit_staffing(record_id: int):
    return _edit(_staffing_kind(), record_id)


@bp.route("/staffing/<int:record_id>/delete", methods=["GET", "POST"])
@allow(EDITOR)
def delete_staffing(record_id: int):
    return _delete(_staffing_kind(), record_id)


# Interventions ------------------------------------------------------------------------


@bp.get("/interventions")
@allow(*READERS)
def interventions():
    template = _template()
    return render_template(
        "practice/interventions.jinja",
        practice=_practice(),
        events=visibility.own_records(
            db(), current_user, Intervention, *_intervention_kind().order_by()
        ),
        item_labels={i.id: i.label for i in template.items},
        can_edit=_can_edit(),
    )


@bp.route("/interventions/new", methods=["GET", "POST"])
@allow(EDITOR)
def new_intervention():
    return _new(_intervention_kind())


@bp.route("/interventions/<int:record_id>/edit", methods=["GET", "POST"])
@allow(EDITOR)
def edit_intervention(record_id: int):
    return _edit(_intervention_kind(), record_id)


@bp.route("/interventions/<int:record_id>/delete", methods=["GET", "POST"])
@allow(EDITOR)
def delete_intervention(record_id: int):
    return _delete(_intervention_kind(), record_id)


# Sharing ------------------------------------------------------------------------------


@bp.route("/sharing", methods=["GET", "POST"])
@allow(*READERS)
def sharing():
    practice = _practice()
    if request.method == "POST":
        if not _can_edit():
            abort(403)
        chosen = set(request.form.getlist("share"))
        if not chosen <= {"pcn", "icb"}:
            abort(400)
        changed = logs.set_sharing(
            db(),
            user=current_user,
            practice=practice,
            with_pcn="pcn" in chosen,
            with_icb="icb" in chosen,
        )
        flash("Sharing choices saved." if changed else "Sharing choices unchanged.")
        return redirect(url_for("practice.sharing"))
    return render_template("practice/sharing.jinja", practice=practice, can_edit=_can_edit())


# History ------------------------------------------------------------------------------

HISTORY_TITLES = {
    "metric_value": "figure",
    "hep_allocation": "HEP allocation",
    "spend_item": "spending item",
    "staffing_change": "staffing change",
    "intervention": "intervention",
}


@bp.get("/history/<kind>/<int:record_id>")
@allow(*READERS)
def history(kind: str, record_id: int):
    events = records.history(db(), user=current_user, kind=kind, record_id=record_id)
    if not events:
        abort(404)
    return render_template(
        "practice/history.jinja",
        events=events,
        noun=HISTORY_TITLES[kind],
        record_id=record_id,
    )
