"""Wording of the "Import NHS data" pages: an import's status as a tag and a heading, what
the file was recognised as, its counts, how far a running import is (with an estimate
of the time left), the preview's changes, and the flashes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from monitor.core.checklist import Templates
from monitor.core.clock import utcnow
from monitor.core.formatting import date_time, number
from monitor.importers.datasets import datasets
from monitor.importers.datasets.hep_schedule import Column
from monitor.models import NationalImport
from monitor.national_import import WAITING

STATUS_TAGS = {
    "queued": ("Waiting to start", "grey"),
    "reading": ("Reading the file", "blue"),
    "planned": ("Ready to check", "yellow"),
    "applying": ("Importing", "blue"),
    "done": ("Imported", "green"),
    "failed": ("Failed", "red"),
    "cancelled": ("Cancelled", "grey"),
    "undone": ("Undone", "orange"),
}
HEADINGS = {
    "queued": "Importing NHS data",
    "reading": "Importing NHS data",
    "applying": "Importing NHS data",
    "planned": "Check the import",
    "done": "Import complete",
    "failed": "The file could not be imported",
    "cancelled": "Import cancelled",
    "undone": "Import undone",
}

NO_FILE = "Select the NHS file to import"
WRONG_SUFFIX = "The selected file must be a .csv, .xlsx or .xlsm file, as NHS England publishes it"
EMPTY_FILE = "The selected file is empty"
NOT_WAITING = "This import is no longer waiting to be confirmed, so nothing was done."
CANCELLED = "The import was cancelled. Nothing was changed and the file was deleted."
NOT_CANCELLABLE = "This import can no longer be cancelled."
NOT_UNDOABLE = "Only an import that finished can be undone, and only once."
COMMAND_LINE = "The command line"
"""Who started an import run by `monitor import` (it records no person)."""
HASH_SHOWN = 12
"""Characters of a file's SHA-256 shown in a list (the whole of it is a click away)."""


def size(n_bytes: int) -> str:
    """A file's size as people read it: "1 GB", "60 MB", "2.5 MB", "845 KB"."""
    for unit, scale in (("GB", 2**30), ("MB", 2**20), ("KB", 2**10)):
        if n_bytes >= scale:
            return f"{number(n_bytes / scale, places=1).removesuffix('.0')} {unit}"
    return f"{number(n_bytes)} bytes"


def tag(status: str) -> dict[str, str]:
    text, colour = STATUS_TAGS.get(status, (status.capitalize(), "grey"))
    return {"text": text, "colour": colour}


def heading(status: str) -> str:
    return HEADINGS.get(status, "National data import")


def waiting(found: NationalImport) -> bool:
    """Still queued or running: the page shows the progress bar."""
    return found.status in WAITING


def import_titles(templates: Templates) -> list[str]:
    """What the upload page says it imports: every dataset a loaded template takes items
    from (the monthly publications), in the registry's order."""
    keys = {dataset for t in templates.values() for dataset, _ in t.national_items()}
    return [d.title for d in datasets() if d.key in keys]


def already_imported(done: NationalImport) -> str:
    return (
        f"This file was imported already (“{done.description}”, on "
        f"{date_time(done.finished_at or done.created_at)}). Importing it again would "
        "change nothing"
    )


def being_imported(other: NationalImport) -> str:
    return (
        f"This file is being imported already (“{other.description or other.filename}”): "
        "check or cancel that import first"
    )


def undone(restored: int) -> str:
    return f"{number(restored)} value{'s' if restored != 1 else ''} put back. The import is undone."


def confirmed() -> str:
    return "The import has started. You can leave this page: it carries on without you."


# Progress ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    status: str
    share: float | None  # None while nothing has started (an indeterminate bar)
    note: str
    time_left: str | None

    @property
    def percent(self) -> int | None:
        return None if self.share is None else max(0, min(100, int(self.share * 100)))

    @property
    def text(self) -> str:
        """The bar's text equivalent, which a screen reader hears as it changes."""
        if self.share is None:
            return f"{tag(self.status)['text']}."
        parts = [f"{self.percent}% done"]
        if self.note:
            parts.append(self.note)
        if self.time_left:
            parts.append(self.time_left)
        return ". ".join(parts) + "."


def progress(found: NationalImport, reported: tuple[float, str] | None, *, now=None) -> Progress:
    """How far an import is: the worker's report while it runs, else the row's own."""
    if reported is not None:
        share, note = reported
    elif found.status == "queued" or (found.status in WAITING and not found.started_at):
        return Progress(found.status, None, "", None)
    else:
        share, note = found.progress, found.progress_note
    share = max(0.0, min(1.0, float(share)))
    return Progress(found.status, share, note, time_left(found.started_at, share, now=now))


def time_left(started_at: datetime | None, share: float, *, now=None) -> str | None:
    """An estimate from the time taken so far, once there is enough to go on."""
    if started_at is None or not 0.1 <= share < 1:
        return None
    if started_at.tzinfo is None:
        started_at = started_at.replace(tzinfo=UTC)
    elapsed = ((now or utcnow()) - started_at).total_seconds()
    if elapsed < 2:
        return None
    remaining = elapsed * (1 - share) / share
    if remaining < 60:
        return "Less than a minute left"
    minutes = round(remaining / 60)
    if minutes < 90:
        return f"About {minutes} minute{'s' if minutes != 1 else ''} left"
    return f"About {round(minutes / 60)} hours left"


def progress_json(found: NationalImport, state: Progress, url: str) -> dict:
    """What the page's script polls: enough to move the bar, and when to fetch the page."""
    return {
        "id": found.id,
        "status": found.status,
        "status_text": tag(found.status)["text"],
        "waiting": waiting(found),
        "share": state.share,
        "percent": state.percent,
        "note": state.note,
        "time_left": state.time_left,
        "text": state.text,
        "url": url,
    }


# What the file was, and what the import does -------------------------------------------


def recognised(found: NationalImport, practices_in_icb: int) -> str:
    """ "Cloud Based Telephony, February 2026 publication: 4,871 practice rows, 91 of your
    128 practices" """
    return (
        f"{found.description}: {number(found.rows_read)} practice "
        f"row{'s' if found.rows_read != 1 else ''}, {number(found.practices_matched)} of "
        f"your {number(practices_in_icb)} practices"
    )


def elsewhere(found: NationalImport) -> str:
    return (
        f"Practices in other ICBs: {number(found.other_practices)}; practice codes the "
        f"service does not know: {number(found.unknown_codes)} (counted, not stored)"
    )


def value_rows(found: NationalImport, *, planned: bool) -> list[tuple[str, int]]:
    """(label, count) of the values the import adds, changes, leaves and keeps."""
    verb = "will be" if planned else "were"
    return [
        (f"Values that {verb} added", found.values_added),
        (f"Values that {verb} changed (a revised publication)", found.values_changed),
        ("Values already as the file says", found.values_unchanged),
        ("Kept because the practice recorded or overrode its own value", found.values_kept),
        ("Not published for a practice (left blank)", found.values_not_published),
    ]


def plan_notes(preview: dict | None) -> list[str]:
    """The plan's own notes beyond the counts (values it could not work out, measures the
    template does not take): the summary lines after the first three."""
    if not preview:
        return []
    lines = preview.get("lines") or []
    return [line for line in lines[3:] if isinstance(line, str) and "left blank" not in line]


@dataclass(frozen=True)
class ChangeRow:
    practice: str
    item: str
    before: str
    after: str


ADD_BEFORE = "Not recorded"
OWN_BEFORE = "A value the practice recorded"


def change_rows(preview: dict | None) -> list[ChangeRow]:
    if not preview:
        return []
    rows = []
    for change in preview.get("changes") or []:
        before = change.get("before")
        if before is None:
            before = ADD_BEFORE if change.get("action") == "add" else OWN_BEFORE
        rows.append(
            ChangeRow(
                practice=f"{change.get('practice', '')} ({change.get('ods_code', '')})",
                item=str(change.get("item", "")),
                before=str(before),
                after=str(change.get("after", "")),
            )
        )
    return rows


def changes_caption(shown: int, total: int) -> str:
    if total <= shown:
        return f"{number(total)} value{'s' if total != 1 else ''} to add or change"
    return f"The first {number(shown)} of {number(total)} values to add or change"


# The provenance list ------------------------------------------------------------------


@dataclass(frozen=True)
class ImportRow:
    found: NationalImport
    tag: dict[str, str]
    by: str
    short_hash: str
    practices: str
    values: str


def import_rows(imports: Iterable[NationalImport], names: dict[int, str]) -> list[ImportRow]:
    rows = []
    for found in imports:
        rows.append(
            ImportRow(
                found=found,
                tag=tag(found.status),
                by=names.get(found.created_by_id, "") if found.created_by_id else COMMAND_LINE,
                short_hash=found.sha256[:HASH_SHOWN],
                practices=(
                    f"{number(found.practices_matched)} of yours, "
                    f"{number(found.other_practices)} in other ICBs, "
                    f"{number(found.unknown_codes)} unknown codes; "
                    f"{number(found.rows_passed_over)} rows passed over (not a practice's)"
                ),
                values=(
                    f"{number(found.values_added)} added, {number(found.values_changed)} "
                    f"changed, {number(found.values_unchanged)} unchanged, "
                    f"{number(found.values_kept)} kept"
                ),
            )
        )
    return rows


# The HEP payment schedule's layout page ---------------------------------------------------


@dataclass(frozen=True)
class LayoutRow:
    heading: str
    need: str  # "Required" or "Optional"
    holds: str
    example: str


def layout_rows(columns: Iterable[Column]) -> list[LayoutRow]:
    """The rows of the layout page's table of columns."""
    return [
        LayoutRow(c.heading, "Required" if c.required else "Optional", c.holds, c.example)
        for c in columns
    ]
