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
    kind: str | None = None,
) -> tuple[Extract, ImportPlan]:
    """Read the stored file and plan it; the import row learns its dataset and period."""
    icb = session.get(Icb, national_import.icb_id)
    extract = read_file(Path(national_import.stored_path), national_import.filename, kind=kind)
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
) -> NationalImport:
    """Plan (`phase` "plan") or apply (`phase` "apply") an import, recording failure on the
    row with nothing else changed. The stored file is deleted when the import finishes,
    unless `keep_file` (the command line reads a person's own file in place)."""
    national_import.status = READING if phase == "plan" else APPLYING
    national_import.started_at = national_import.started_at or utcnow()
    session.add(national_import)
    session.commit()
    try:
        if done := national_data.already_imported(
            session, national_import.icb_id, national_import.sha256
        ):
            raise ImportRefused(
                f"This file was imported already (“{done.description}”, import {done.id}): "
                "importing it again would change nothing"
            )
        _, result = plan(session, national_import, templates=templates, today=today)
        if progress is not None:
            progress(0.5, f"{result.rows_read:,} rows read")
        if phase == "plan":
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
        return fail(session, national_import, _message(error), keep_file=keep_file)
    except Exception as error:  # recorded for the person waiting; the log has the rest
        message = "The import stopped unexpectedly; nothing was changed"
        fail(session, national_import, message, keep_file=keep_file)
        raise error


def _message(error: Exception) -> str:
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
