"""The ICB's organisations, for its administrator: the list of its PCNs and practices,
an update from the files NHS England publishes (upload, preview, confirm) and the
practice facts no file gives (setting, town) or that need correcting (the name).

An update is previewed before anything is written, so the uploaded files wait on the
server between the preview and the confirmation: in a folder of the instance folder
named by a random token, with who uploaded them, for which ICB and when. Only that
administrator may apply or cancel them, for an hour; applying or cancelling deletes
them, and any upload clears away folders older than that.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import time
from pathlib import Path, PurePath

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from monitor.core.clock import today
from monitor.core.inputs import Collector
from monitor.core.published import Extract
from monitor.importers import datasets
from monitor.importers.published import Refused, read_published
from monitor.models import Icb, Pcn, Role, User
from monitor.services import onboarding, records, visibility
from monitor.web.access import allow
from monitor.web.context import db
from monitor.web.presenters import organisations as wording

bp = Blueprint("organisations", __name__, url_prefix="/admin")

STAGE_FOLDER = "onboarding-uploads"
STAGE_LIFETIME = 60 * 60  # seconds
_META = "stage.json"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)

Upload = tuple[str, bytes]  # (file name as uploaded, contents)


# Pages --------------------------------------------------------------------------------


@bp.get("/organisations")
@allow(Role.ADMIN)
def index():
    session = db()
    practices = visibility.list_practices(session, current_user)
    # The ICB's PCNs, those left with no practices included, and any PCN of another ICB
    # one of its practices belongs to (so the practice does not read "Not in a PCN").
    pcns = {p.id: p for p in visibility.visible_pcns(session, current_user)}
    pcns |= {p.id: p for p in visibility.icb_pcns(session, current_user)}
    listed = sorted(pcns.values(), key=lambda p: (p.name.casefold(), p.code))
    return render_template(
        "admin/organisations.jinja",
        icb=_icb(),
        counts=wording.icb_counts(practices, listed),
        pcns=wording.pcn_rows(listed, practices),
        practices=wording.practice_rows(practices, pcns),
    )


@bp.route("/organisations/update", methods=["GET", "POST"])
@allow(Role.ADMIN)
def update():
    errors: dict[str, str] = {}
    if request.method == "POST":
        uploads = _uploaded_files()
        if not uploads:
            errors = {"files": wording.NO_FILES}
        else:
            extracts, errors = _read(uploads)
            if not errors:
                return _preview(uploads, extracts)
    return render_template(
        "admin/organisations_update.jinja",
        icb=_icb(),
        titles=wording.dataset_titles(),
        limit_mb=current_app.config["UPLOAD_LIMITS"]["organisations.update"] // 2**20,
        errors=errors,
        anchors=dict.fromkeys(errors, "files"),
    ), (400 if errors else 200)


def _preview(uploads: list[Upload], extracts: list[Extract]):
    icb = _icb()
    plan = onboarding.plan(db(), icb_code=icb.code, extracts=extracts, today=today())
    # Nothing to confirm, so nothing to keep.
    token = None if plan.nothing else _stage(uploads, current_user)
    return render_template(
        "admin/organisations_preview.jinja",
        icb=icb,
        plan=plan,
        lines=wording.preview_lines(plan),
        changes=wording.change_rows(plan.changes),
        token=token,
    )


@bp.post("/organisations/update/<token>/confirm")
@allow(Role.ADMIN)
def confirm(token: str):
    uploads = _take(token, current_user)
    if uploads is None:
        flash(wording.STAGE_GONE, "error")
        return redirect(url_for(".update"))
    extracts, errors = _read(uploads)
    if errors:  # read once already; only a change to the readers could refuse them now
        flash(wording.STAGE_GONE, "error")
        return redirect(url_for(".update"))
    plan = onboarding.onboard(
        db(), user=current_user, icb_code=_icb().code, extracts=extracts, today=today()
    )
    flash(wording.applied(plan))
    return redirect(url_for(".index"))


@bp.post("/organisations/update/<token>/cancel")
@allow(Role.ADMIN)
def cancel(token: str):
    taken = _take(token, current_user, fresh_only=False)
    flash(wording.CANCELLED if taken is not None else "Nothing was changed.")
    return redirect(url_for(".index"))


@bp.route("/practices/<int:practice_id>/edit", methods=["GET", "POST"])
@allow(Role.ADMIN)
def edit_practice(practice_id: int):
    session = db()
    practice = visibility.get_practice(session, current_user, practice_id)
    if practice is None:
        abort(404)
    values = {
        "name": practice.name,
        "town": practice.town,
        "rurality": wording.rurality_choice(practice.rurality),
    }
    errors: dict[str, str] = {}
    if request.method == "POST":
        check = Collector(request.form)
        name = check.free_text(
            "name", label="The name", limit=200, required="Enter the practice's name"
        )
        town = check.free_text("town", label="The town", limit=100)
        setting = check.choice(
            "rurality",
            [value for value, _ in wording.RURALITY_OPTIONS],
            "Select whether the practice is urban or rural, or not known",
        )
        values = request.form.to_dict()
        errors = check.errors
        if not errors:
            wanted = {
                "name": name,
                "town": town,
                "rurality": None if setting == wording.RURALITY_UNKNOWN else setting,
            }
            changes = {k: v for k, v in wanted.items() if getattr(practice, k) != v}
            if "name" in changes:
                # The name is now the administrator's, until a file names the practice.
                changes["source"] = "manual"
            if changes:
                records.update_fields(
                    session,
                    user=current_user,
                    record=practice,
                    changes=changes,
                    expected_version=None,
                    summary=f"Edited the practice {practice.name} ({practice.ods_code})",
                )
            flash(wording.practice_saved(practice, bool(changes)))
            return redirect(url_for(".index"))
    return render_template(
        "admin/practice_edit.jinja",
        practice=practice,
        pcn=session.get(Pcn, practice.pcn_id) if practice.pcn_id else None,
        values=values,
        errors=errors,
        rurality_options=wording.RURALITY_OPTIONS,
    ), (400 if errors else 200)


# Reading the files --------------------------------------------------------------------


def _icb() -> Icb:
    return db().get(Icb, current_user.icb_id)


def _uploaded_files() -> list[Upload]:
    """The chosen files, by their base name (some browsers send a whole path)."""
    found = []
    for upload in request.files.getlist("files"):
        name = (upload.filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()[:200]
        if name:
            found.append((name, upload.read()))
    return found


def _read(uploads: list[Upload]) -> tuple[list[Extract], dict[str, str]]:
    """Every file read, or the error summary's messages (keyed apart, all shown at the
    file input) naming the file, sheet, row and column of each problem."""
    extracts: list[Extract] = []
    problems: list[str] = []
    refused: list[str] = []
    for name, data in uploads:
        try:
            extracts.append(datasets.read(read_published(name, data)))
        except Refused as error:
            refused.append(name)
            problems += wording.refused_items(name, error)
    if not refused:
        return extracts, {}
    errors = {"files": wording.refused_field_message(refused)}
    errors |= {f"files-{n}": problem for n, problem in enumerate(problems, 1)}
    return extracts, errors


# The staged files ---------------------------------------------------------------------


def _stage_root() -> Path:
    return Path(current_app.instance_path) / STAGE_FOLDER


def _stage(uploads: list[Upload], user: User) -> str:
    """Keep the files for `user` to confirm; the token that names them."""
    root = _stage_root()
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    _sweep(root)
    token = secrets.token_urlsafe(32)
    folder = root / token
    folder.mkdir(mode=0o700)
    stored = []
    for n, (name, data) in enumerate(uploads):
        # Stored under a name of our own: the uploaded name is only shown, never a path.
        path = folder / f"{n}{PurePath(name).suffix.lower()}"
        path.write_bytes(data)
        stored.append({"name": name, "stored": path.name})
    meta = {"user_id": user.id, "icb_id": user.icb_id, "created": time.time(), "files": stored}
    # Written last: a folder without it is a stage still being written (or a broken one).
    (folder / _META).write_text(json.dumps(meta), encoding="utf-8")
    return token


def _take(token: str, user: User, *, fresh_only: bool = True) -> list[Upload] | None:
    """The files staged under `token` by `user`, deleted from the stage as they are read;
    None for an unknown token, another person's, or (when `fresh_only`) one older than
    STAGE_LIFETIME (deleted). Another person's stage is left for them."""
    if not _TOKEN.fullmatch(token):
        return None
    folder = _stage_root() / token
    meta = _meta(folder)
    if meta is None or meta.get("user_id") != user.id or meta.get("icb_id") != user.icb_id:
        return None
    # Claimed by renaming, which is atomic: a second click of "Confirm" finds nothing.
    claimed = folder.with_name(f"{token}.taken-{secrets.token_hex(4)}")
    try:
        os.rename(folder, claimed)
    except OSError:
        return None
    try:
        if fresh_only and not _fresh(meta):
            return None
        return [
            (entry["name"], (claimed / PurePath(entry["stored"]).name).read_bytes())
            for entry in meta["files"]
        ]
    finally:
        shutil.rmtree(claimed, ignore_errors=True)


def _meta(folder: Path) -> dict | None:
    try:
        meta = json.loads((folder / _META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) else None


def _fresh(meta: dict) -> bool:
    created = meta.get("created")
    return isinstance(created, int | float) and 0 <= time.time() - created <= STAGE_LIFETIME


def _sweep(root: Path) -> None:
    """Delete stages nobody confirmed or cancelled within STAGE_LIFETIME (a closed tab)."""
    for folder in root.iterdir():
        if not folder.is_dir():
            continue
        meta = _meta(folder)
        if meta is not None and _fresh(meta):
            continue
        try:
            if meta is None and time.time() - folder.stat().st_mtime <= STAGE_LIFETIME:
                continue  # being written by another request
        except OSError:
            continue
        shutil.rmtree(folder, ignore_errors=True)
