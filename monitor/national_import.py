"""The import of a national file, from the file on disk to the practices' figures:
recognise it, read it, plan what it changes for the ICB, and (once confirmed) apply it.

The same pipeline runs from the command line (`monitor import`, in the foreground) and
in the background worker (monitor.jobs), which reports progress on the import's row so
the page can show it. A file waits on disk (`stored_path`) between being uploaded, read
for the preview, and applied; it is deleted once the import is finished or cancelled.

Phases of a `NationalImport` (its `status`): queued → reading → planned (the preview,
waiting for someone to confirm) → applying → done; or failed (with the reason, nothing
changed); or cancelled; done imports can be undone.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import date
from pathlib import Path

from sqlmodel import Session

from monitor.core.checklist import ChecklistTemplate, Templates, template_used_by
from monitor.core.clock import utcnow
from monitor.core.published import Extract
from monitor.importers import datasets
from monitor.importers.published import Refused, read_published
from monitor.models import Icb, NationalImport, User
from monitor.services import national_data
from monitor.services.national_data import ImportPlan, ImportRefused

READING, PLANNED, APPLYING, CANCELLED = "reading", "planned", "applying", "cancelled"
WAITING = ("queued", READING, APPLYING)
PREVIEW_ROWS = 50
"""How many of a planned import's changes its preview lists (it counts every one)."""


def read_file(path: Path, filename: str, *, kind: str | None = None) -> Extract:
    """A stored file as its dataset reads it: streamed from disk where the dataset can
    (a national GPAD month is hundreds of MB), else read whole."""
    path_reader = getattr(datasets, "read_path", None)
    if path_reader is not None:
        return path_reader(path, filename=filename, kind=kind)
    return datasets.read(read_published(filename, path.read_bytes()), kind=kind)


def problems_text(error: Refused) -> str:
    shown = [str(p) for p in error.problems[:20]]
    more = len(error.problems) - len(shown)
    return "; ".join(shown) + (f"; and {more:,} more" if more > 0 else "")


def template_of(icb: Icb, templates: Templates) -> ChecklistTemplate:
    template = template_used_by(templates, icb)
    if template is None:
        raise ImportRefused(
            f"The ICB uses template version {icb.template_version}, which is not loaded"
        )
    return template


def plan(
    session: Session,
    national_import: NationalImport,
    *,
    templates: Templates,
    today: date,
    extract: Extract | None = None,
) -> tuple[Extract, ImportPlan]:
    """Plan the import of its stored file (or of `extract`, read from it already); the
    import row learns its dataset, period and counts. Refused if the ICB imported the
    same file before."""
    if done := national_data.already_imported(
        session, national_import.icb_id, national_import.sha256
    ):
        raise ImportRefused(
            f"This file was imported already (“{done.description}”, import {done.id}): "
            "importing it again would change nothing"
        )
    icb = session.get(Icb, national_import.icb_id)
    if extract is None:
        extract = read_file(Path(national_import.stored_path), national_import.filename)
    national_import.dataset = extract.source
    national_import.description = extract.description[:200]
    national_import.period_code = extract.period
    result = national_data.plan_import(
        session, icb=icb, template=template_of(icb, templates), extract=extract, today=today
    )
    national_data._counts(national_import, result)
    return extract, result


def run(
    session: Session,
    national_import: NationalImport,
    *,
    phase: str,
    templates: Templates,
    today: date,
    user: User | None = None,
    progress: Callable[[float, str], None] | None = None,
    keep_file: bool = False,
    extract: Extract | None = None,
) -> NationalImport:
    """Plan (`phase` "plan") or apply (`phase` "apply") an import, recording failure on the
    row with nothing else changed. The stored file is read unless `extract` is given,
    and deleted when the import finishes, unless `keep_file` (the command line reads a
    person's own file in place)."""
    national_import.status = READING if phase == "plan" else APPLYING
    national_import.started_at = national_import.started_at or utcnow()
    session.add(national_import)
    session.commit()
    try:
        _, result = plan(
            session, national_import, templates=templates, today=today, extract=extract
        )
        if progress is not None:
            progress(0.5, f"{result.rows_read:,} rows read")
        if phase == "plan":
            write_preview(national_import, result)
            national_import.status = PLANNED
            national_import.progress = 1.0
            national_import.progress_note = "Ready to confirm"
            session.add(national_import)
            session.commit()
            return national_import
        icb = session.get(Icb, national_import.icb_id)

        def applying(share: float, note: str) -> None:
            if progress is not None:
                progress(0.5 + share / 2, note)

        national_data.apply_import(
            session,
            user=user,
            plan=result,
            template=template_of(icb, templates),
            national_import=national_import,
            progress=applying,
        )
        if not keep_file:
            discard_file(national_import)
        return national_import
    except (Refused, ImportRefused) as error:
        return fail(session, national_import, message_of(error), keep_file=keep_file)
    except Exception as error:  # recorded for the person waiting; the log has the rest
        message = "The import stopped unexpectedly; nothing was changed"
        fail(session, national_import, message, keep_file=keep_file)
        raise error


def message_of(error: Exception) -> str:
    if isinstance(error, Refused):
        return problems_text(error)
    return getattr(error, "message", str(error))


def fail(
    session: Session, national_import: NationalImport, message: str, *, keep_file: bool = False
) -> NationalImport:
    session.rollback()
    session.refresh(national_import)
    national_import.status = "failed"
    national_import.error = message[:2000]
    national_import.finished_at = utcnow()
    session.add(national_import)
    session.commit()
    if not keep_file:
        discard_file(national_import)
    return national_import


def discard_file(national_import: NationalImport) -> None:
    if national_import.stored_path:
        Path(national_import.stored_path).unlink(missing_ok=True)
        preview_path(national_import).unlink(missing_ok=True)


# The preview ----------------------------------------------------------------------------
# What the plan found, kept beside the stored file until the import is confirmed or
# cancelled: the page shows it without reading a national file again in a web request
# (the confirmed job plans again, from the file, in the worker).


def preview_path(national_import: NationalImport) -> Path:
    return Path(f"{national_import.stored_path}.preview.json")


def write_preview(national_import: NationalImport, result: ImportPlan) -> None:
    """The plan's notes and its first PREVIEW_ROWS changes, by practice and item. A value
    being changed is shown only if an earlier import set it: a practice's own figures are
    private to it (and an import keeps them)."""
    if not national_import.stored_path:
        return
    changes = sorted(
        result.changes, key=lambda c: (c.practice.name.casefold(), c.practice.ods_code, c.item.id)
    )
    rows = [
        {
            "practice": c.practice.name,
            "ods_code": c.practice.ods_code,
            "item": c.item.label,
            "action": c.action,
            "before": (
                national_data.shown(c.item, c.before)
                if c.record is not None and c.record.record.import_id is not None
                else None
            ),
            "after": national_data.shown(c.item, c.after),
        }
        for c in changes[:PREVIEW_ROWS]
    ]
    preview = {"lines": result.summary_lines(), "changes": rows, "total": len(changes)}
    path = preview_path(national_import)
    written = path.with_name(f"{path.name}.part")
    written.write_text(json.dumps(preview), encoding="utf-8")
    os.replace(written, path)  # whole or not at all, for a page reading it meanwhile


def read_preview(national_import: NationalImport) -> dict | None:
    """The preview `write_preview` kept, or None (not planned, or already discarded)."""
    if not national_import.stored_path:
        return None
    try:
        preview = json.loads(preview_path(national_import).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return preview if isinstance(preview, dict) else None
