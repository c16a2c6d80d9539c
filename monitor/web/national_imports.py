"""Import NHS data, for the ICB's analysts and administrators: upload a file NHS England
publishes for every practice, watch the background job read it, check what it would
change, confirm (or cancel), and read every import's provenance, undoing one if need be.

The work is the pipeline's (monitor.national_import) in the background worker
(monitor.jobs): a request only stores the upload, moves an import from one status to
the next and queues the phase that follows. The upload is copied to the instance folder
in blocks as it is hashed (a national GP appointments month is hundreds of MB), under a
name of our own keeping the file's suffix, which tells the readers how to read it.

Who: an ICB analyst or administrator, for their own ICB's imports only (anyone else gets
403 from the route's rule, or 404 for another ICB's import); either may also undo one,
as the person who imported it may have been the other. Every step is in the audit log.

The preview a planned import shows (its counts, the plan's notes and its first changes)
was written by the planning job beside the stored file (`national_import.read_preview`),
so a page never reads a national file again; the confirmed job plans again, from the
file, so what it applies is what the data says at that moment.
"""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path, PurePath

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import func, update
from sqlmodel import select
from werkzeug.datastructures import FileStorage

from monitor import national_import
from monitor.core.checklist import template_used_by
from monitor.core.clock import utcnow
from monitor.core.formatting import number
from monitor.core.inputs import without_control_characters
from monitor.core.patient_data import redact_nhs_numbers
from monitor.exporters.formats import CSV
from monitor.importers.datasets import hep_schedule
from monitor.importers.published import SUFFIXES
from monitor.jobs import jobs_of
from monitor.models import Icb, NationalImport, Practice, Role, User
from monitor.services import audit, national_data, visibility
from monitor.services.national_data import ImportRefused
from monitor.services.records import EditConflict
from monitor.web.access import allow
from monitor.web.context import db, templates
from monitor.web.downloads import download
from monitor.web.presenters import national_imports as present

bp = Blueprint("national_imports", __name__, url_prefix="/national-data")

ICB_STAFF = (Role.ICB_ANALYST, Role.ADMIN)
IMPORT = "/imports/<int:import_id>"  # ids beyond the column's range are 404 (web.DatabaseId)
STORE_FOLDER = "imports"
BLOCK = 1024 * 1024
WAITING_OR_PLANNED = (*national_import.WAITING, national_import.PLANNED)


# Pages --------------------------------------------------------------------------------


@bp.get("/imports")
@allow(*ICB_STAFF)
def index():
    imports = visibility.icb_imports(db(), current_user)
    names = _names({i.created_by_id for i in imports})
    return render_template(
        "national_imports/index.jinja",
        icb=_icb(),
        rows=present.import_rows(imports, names),
    )


@bp.route("/imports/new", methods=["GET", "POST"])
@allow(*ICB_STAFF)
def upload():
    errors: dict[str, str] = {}
    if request.method == "POST":
        found, errors = _receive(request.files.get("file"))
        if found is not None:
            jobs_of(current_app).enqueue_import(found.id, "plan", current_user.id)
            return redirect(url_for(".detail", import_id=found.id))
    icb = _icb()
    template = template_used_by(templates(), icb)
    return render_template(
        "national_imports/upload.jinja",
        icb=icb,
        template=template,
        takes_national=bool(template and template.national_items()),
        titles=present.import_titles(templates()),
        limit=present.size(current_app.config["UPLOAD_LIMITS"]["national_imports.upload"]),
        errors=errors,
    ), (400 if errors else 200)


@bp.get(IMPORT)
@allow(*ICB_STAFF)
def detail(import_id: int):
    found = _import(import_id)
    waiting = present.waiting(found)
    preview = national_import.read_preview(found) if found.status == "planned" else None
    rows = present.change_rows(preview)
    return render_template(
        "national_imports/detail.jinja",
        found=found,
        heading=present.heading(found.status),
        tag=present.tag(found.status),
        waiting=waiting,
        state=present.progress(found, _reported(found) if waiting else None),
        recognised=present.recognised(found, _practices_in_icb()),
        elsewhere=present.elsewhere(found),
        values=present.value_rows(found, planned=found.status == "planned"),
        notes=present.plan_notes(preview),
        changes=rows,
        changes_caption=present.changes_caption(len(rows), (preview or {}).get("total", 0)),
        names=_names({found.created_by_id, found.undone_by_id}),
        size=present.size(found.size),
    )


@bp.get(f"{IMPORT}/progress.json")
@allow(*ICB_STAFF)
def progress(import_id: int):
    found = _import(import_id)
    state = present.progress(found, _reported(found) if present.waiting(found) else None)
    url = url_for(".detail", import_id=found.id)
    return jsonify(present.progress_json(found, state, url))


@bp.post(f"{IMPORT}/confirm")
@allow(*ICB_STAFF)
def confirm(import_id: int):
    found = _import(import_id)
    # The applying job sets its own start, from which the time left is estimated.
    moved = _move(
        found,
        (national_import.PLANNED,),
        national_import.APPLYING,
        progress=0.0,
        progress_note="",
        started_at=None,
    )
    if not moved:
        flash(present.NOT_WAITING, "error")
        return redirect(url_for(".detail", import_id=found.id))
    _audit(found, "confirm", f"Confirmed the import of {found.description}")
    jobs_of(current_app).enqueue_import(found.id, "apply", current_user.id)
    flash(present.confirmed())
    return redirect(url_for(".detail", import_id=found.id))


@bp.post(f"{IMPORT}/cancel")
@allow(*ICB_STAFF)
def cancel(import_id: int):
    found = _import(import_id)
    # Only a planned import: one being read or applied is the worker's until it ends.
    moved = _move(
        found, (national_import.PLANNED,), national_import.CANCELLED, finished_at=utcnow()
    )
    if not moved:
        flash(present.NOT_CANCELLABLE, "error")
        return redirect(url_for(".detail", import_id=found.id))
    national_import.discard_file(found)
    _audit(found, "cancel", f"Cancelled the import of {found.description}")
    flash(present.CANCELLED)
    return redirect(url_for(".detail", import_id=found.id))


@bp.route(f"{IMPORT}/undo", methods=["GET", "POST"])
@allow(*ICB_STAFF)
def undo(import_id: int):
    found = _import(import_id)
    if found.status != "done":
        flash(present.NOT_UNDOABLE, "error")
        return redirect(url_for(".detail", import_id=found.id))
    if request.method == "GET":
        return render_template(
            "national_imports/undo.jinja",
            found=found,
            recognised=present.recognised(found, _practices_in_icb()),
        )
    session = db()
    try:
        restored = national_data.undo_import(session, user=current_user, national_import=found)
    except ImportRefused as refused:
        session.rollback()
        flash(refused.message, "error")
        return redirect(url_for(".detail", import_id=import_id))
    except EditConflict:  # undone at the same moment by someone else
        session.rollback()
        flash(present.NOT_UNDOABLE, "error")
        return redirect(url_for(".detail", import_id=import_id))
    flash(present.undone(restored))
    return redirect(url_for(".index"))


# The ICB's HEP payment schedule: its layout, and that layout as a CSV to fill in ------


@bp.get("/hep-payment-schedule")
@allow(*ICB_STAFF)
def hep_schedule_layout():
    layout = hep_schedule.LAYOUT
    return render_template(
        "national_imports/hep_schedule.jinja",
        icb=_icb(),
        layout=layout,
        columns=present.layout_rows(layout.columns),
    )


@bp.get("/hep-payment-schedule.csv")
@allow(*ICB_STAFF)
def hep_schedule_csv():
    return download(hep_schedule.layout_csv(), CSV, hep_schedule.LAYOUT.filename)


# Helpers ------------------------------------------------------------------------------


def _icb() -> Icb:
    return db().get(Icb, current_user.icb_id)


def _import(import_id: int) -> NationalImport:
    found = visibility.icb_import(db(), current_user, import_id)
    if found is None:
        abort(404)
    return found


def _reported(found: NationalImport) -> tuple[float, str] | None:
    return jobs_of(current_app).progress(found.id)


def _practices_in_icb() -> int:
    statement = select(func.count()).select_from(Practice)
    return db().exec(statement.where(visibility.practice_filter(current_user))).one()


def _names(user_ids: set[int | None]) -> dict[int, str]:
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return {}
    users = db().exec(select(User).where(User.id.in_(ids)))
    return {u.id: u.display_name for u in users}


def _move(found: NationalImport, from_: tuple[str, ...], to: str, **values) -> bool:
    """Move the import to status `to` if it is still in one of `from_`: one UPDATE, so of
    two clicks (or two people) only the first moves it."""
    session = db()
    result = session.exec(
        update(NationalImport)
        .where(NationalImport.id == found.id, NationalImport.status.in_(from_))
        .values(status=to, version=NationalImport.version + 1, **values)
    )
    if result.rowcount != 1:
        session.rollback()
        session.refresh(found)
        return False
    session.commit()
    session.refresh(found)
    return True


def _audit(found: NationalImport, action: str, summary: str) -> None:
    session = db()
    audit.record(
        session,
        actor=current_user,
        action=action,
        object_type="national_import",
        object_id=found.id,
        summary=summary,
    )
    session.commit()


# The upload ---------------------------------------------------------------------------


def _receive(upload: FileStorage | None) -> tuple[NationalImport | None, dict[str, str]]:
    """The uploaded file stored and its import queued, or the error summary's message."""
    name = _base_name(upload.filename if upload is not None else "")
    if not name:
        return None, {"file": present.NO_FILE}
    suffix = PurePath(name).suffix.lower()
    if suffix not in SUFFIXES:
        return None, {"file": present.WRONG_SUFFIX}
    path, sha256, size = _store(upload, suffix)
    session = db()
    problem = None
    if not size:
        problem = present.EMPTY_FILE
    elif done := national_data.already_imported(session, current_user.icb_id, sha256):
        problem = present.already_imported(done)
    elif other := _same_file_waiting(sha256):
        problem = present.being_imported(other)
    if problem:
        path.unlink(missing_ok=True)
        return None, {"file": problem}
    filename = redact_nhs_numbers(name)[:255]
    found = NationalImport(
        icb_id=current_user.icb_id,
        filename=filename,
        sha256=sha256,
        size=size,
        stored_path=str(path),
        created_by_id=current_user.id,
    )
    session.add(found)
    session.flush()
    audit.record(
        session,
        actor=current_user,
        action="upload",
        object_type="national_import",
        object_id=found.id,
        summary=f"Uploaded {filename[:120]} ({number(size)} bytes) to import",
    )
    session.commit()
    return found, {}


def _base_name(filename: str | None) -> str:
    """The file's own name (some browsers send a whole path), only ever shown."""
    name = without_control_characters(filename or "")  # PostgreSQL cannot store a NUL
    return name.replace("\\", "/").rsplit("/", 1)[-1].strip()[:200]


def _store(upload: FileStorage, suffix: str) -> tuple[Path, str, int]:
    """Copy the upload to the instance folder in blocks, hashing it on the way (the same
    SHA-256 as national_data.file_hash, without reading the copy back)."""
    root = Path(current_app.instance_path) / STORE_FOLDER
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = root / f"{secrets.token_hex(16)}{suffix}"
    digest = hashlib.sha256()
    size = 0
    try:
        with path.open("xb") as stored:
            while block := upload.stream.read(BLOCK):
                digest.update(block)
                stored.write(block)
                size += len(block)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path, digest.hexdigest(), size


def _same_file_waiting(sha256: str) -> NationalImport | None:
    return (
        db()
        .exec(
            select(NationalImport).where(
                NationalImport.icb_id == current_user.icb_id,
                NationalImport.sha256 == sha256,
                NationalImport.status.in_(WAITING_OR_PLANNED),
            )
        )
        .first()
    )
