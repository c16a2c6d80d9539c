"""The offline workbook: download a period's figures, the spending log or the staffing
log as a spreadsheet, fill it in away from the service, and upload it back. An upload
is all or nothing, and every attempt is recorded in the audit trail."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, render_template, request, url_for
from flask_login import current_user

from monitor.core.clock import today
from monitor.exporters import offline_workbook
from monitor.exporters.formats import XLSX
from monitor.importers import offline_workbook as workbook_upload
from monitor.importers.upload import UploadRejected, read_upload
from monitor.services import figures
from monitor.services.records import SaveResult
from monitor.web.access import allow
from monitor.web.context import db, own_practice, template_for_user
from monitor.web.downloads import download
from monitor.web.practice import EDITOR, READERS, bp
from monitor.web.practice.figures import recordable_or_404
from monitor.web.practice.logs import KINDS, LogKind, own_log
from monitor.web.presenters import practice as text


def _upload(what: str, back: str, run: Callable[[Any], SaveResult], *, once: bool = False):
    """The upload page: a file field; on POST, read the file, run the import, report.
    With `once` (a log, whose new rows would otherwise be added again), a file already
    accepted for this practice's `what` changes nothing and says so."""
    practice = own_practice()
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
    data = upload.read()
    sha256 = workbook_upload.file_hash(data)

    def record(outcome: str, *, accepted: bool = False) -> None:
        workbook_upload.record_upload(
            session,
            user=current_user,
            practice=practice,
            what=what,
            filename=filename,
            outcome=outcome,
            sha256=sha256,
            accepted=accepted,
        )

    earlier = (
        workbook_upload.earlier_upload(session, practice=practice, what=what, sha256=sha256)
        if once
        else None
    )
    if earlier is not None:
        message = workbook_upload.already_uploaded(earlier)
        record(message)
        return render_template(
            "practice/upload_result.jinja",
            what=what,
            back=back,
            failed=None,
            result=SaveResult(),
            repeated=message,
            filename=filename,
        )
    try:
        sheets = read_upload(filename, data)
        result = run(sheets)
    except UploadRejected as error:
        record(text.upload_refused(error.message))
        return render_template(
            "practice/upload.jinja", what=what, back=back, errors={"file": error.message}
        ), 400
    except workbook_upload.ImportFailed as failed:
        session.rollback()
        record(text.upload_failed(len(failed.errors)))
        return render_template(
            "practice/upload_result.jinja",
            what=what,
            back=back,
            failed=failed.errors,
            result=None,
            filename=filename,
        ), 400
    record(result.counts(), accepted=True)
    return render_template(
        "practice/upload_result.jinja",
        what=what,
        back=back,
        failed=None,
        result=result,
        filename=filename,
    )


# Figures ------------------------------------------------------------------------------


@bp.get("/figures/<period_code>/workbook.xlsx")
@allow(*READERS)
def figures_workbook(period_code: str):
    period = recordable_or_404(period_code)
    template = template_for_user(current_user)
    practice = own_practice()
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


@bp.route("/figures/<period_code>/upload", methods=["GET", "POST"])
@allow(EDITOR)
def figures_upload(period_code: str):
    period = recordable_or_404(period_code)
    return _upload(
        f"{period.label} figures",
        url_for("practice.figures_period", period_code=period.code),
        lambda sheets: workbook_upload.import_figures(
            db(),
            user=current_user,
            practice=own_practice(),
            template=template_for_user(current_user),
            period=period,
            sheets=sheets,
            today=today(),
        ),
    )


# Spending and staffing logs -----------------------------------------------------------


def _log_workbook(kind: LogKind, write: Callable[..., bytes]) -> Response:
    """A log (spending or staffing) as a workbook to edit offline."""
    practice = own_practice()
    data = write(practice=practice, template=template_for_user(current_user), rows=own_log(kind))
    return download(data, XLSX, f"{practice.ods_code}-{kind.kind}.xlsx")


def _log_upload(kind: LogKind, importer: Callable[..., SaveResult]):
    """Upload a log workbook back: `importer` validates every row, all or nothing."""
    return _upload(
        f"{kind.kind} log",
        url_for(kind.list_endpoint),
        once=True,
        run=lambda sheets: importer(
            db(),
            user=current_user,
            practice=own_practice(),
            template=template_for_user(current_user),
            sheets=sheets,
            today=today(),
        ),
    )


@bp.get("/spending/workbook.xlsx")
@allow(*READERS)
def spending_workbook():
    return _log_workbook(
        KINDS["spending"],
        lambda rows, **kw: offline_workbook.spending_workbook(items=rows, **kw),
    )


@bp.route("/spending/upload", methods=["GET", "POST"])
@allow(EDITOR)
def spending_upload():
    return _log_upload(KINDS["spending"], workbook_upload.import_spending)


@bp.get("/staffing/workbook.xlsx")
@allow(*READERS)
def staffing_workbook():
    return _log_workbook(
        KINDS["staffing"],
        lambda rows, **kw: offline_workbook.staffing_workbook(changes=rows, **kw),
    )


@bp.route("/staffing/upload", methods=["GET", "POST"])
@allow(EDITOR)
def staffing_upload():
    return _log_upload(KINDS["staffing"], workbook_upload.import_staffing)
