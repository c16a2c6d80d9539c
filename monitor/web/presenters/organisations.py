"""Wording of the Organisations pages: where an organisation's facts came from and when a
file last confirmed them, a practice's status, a PCN's practices, the onboarding preview
(its lines and its changes), the problems of a refused file, and the flashes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from monitor.core.formatting import imd_decile, list_size, long_date, number, pcn_name, rurality
from monitor.importers.datasets import datasets
from monitor.importers.published import Refused
from monitor.models import Pcn, Practice
from monitor.services.onboarding import Change, OnboardingPlan

SOURCE_LABELS = {"manual": "Entered by hand", "demo": "Demo data"}
"""Sources that are not a published dataset (those read as the dataset's title)."""

NEVER_CONFIRMED = "Never"
"""Last confirmed: entered by hand, or demo data, and no file has spoken of it since."""
UNDATED = "Undated file"
"""Last confirmed by a file that carries no date (the GPAD mapping)."""

RURALITY_OPTIONS = [("urban", "Urban"), ("rural", "Rural"), ("unknown", "Not known")]
"""The setting radios. No published file says whether a practice is urban or rural."""
RURALITY_UNKNOWN = "unknown"

KIND_LABELS = {"ICB": "ICB", "PCN": "PCN", "practice": "Practice"}
ACTION_LABELS = {
    "create": "Add",
    "update": "Update",
    "move": "Move to another PCN",
    "close": "Close",
    "reopen": "Reopen",
}

PROBLEMS_SHOWN = 25
"""A refused national file can have thousands of problems: the error summary lists the
first ones of each file and says how many more there are."""


def source(key: str | None) -> str:
    if not key:
        return SOURCE_LABELS["manual"]
    if key in SOURCE_LABELS:
        return SOURCE_LABELS[key]
    titles = {dataset.key: dataset.title for dataset in datasets()}
    return titles.get(key, key)


def confirmed(on: date | None, key: str | None) -> str:
    if on:
        return long_date(on)
    return NEVER_CONFIRMED if not key or key in SOURCE_LABELS else UNDATED


def dataset_titles() -> list[str]:
    """What the update page says it reads, in the order files win when they disagree."""
    return [dataset.title for dataset in datasets()]


# The Organisations page ---------------------------------------------------------------


@dataclass(frozen=True)
class PcnRow:
    code: str
    name: str
    practices: str
    source: str
    confirmed: str


@dataclass(frozen=True)
class PracticeRow:
    id: int
    ods_code: str
    name: str
    pcn: str
    list_size: str
    imd_decile: str
    setting: str
    closed: bool
    closed_on: str
    source: str
    confirmed: str


def pcn_rows(pcns: Iterable[Pcn], practices: Sequence[Practice]) -> list[PcnRow]:
    """A closed practice may still name its last PCN: it is counted apart, not as one of
    the PCN's practices."""
    open_in = Counter(p.pcn_id for p in practices if p.is_open)
    closed_in = Counter(p.pcn_id for p in practices if not p.is_open)
    rows = []
    for pcn in pcns:
        count = number(open_in[pcn.id])
        if closed_in[pcn.id]:
            count += f" (and {number(closed_in[pcn.id])} closed)"
        rows.append(
            PcnRow(
                pcn.code,
                pcn.name,
                count,
                source(pcn.source),
                confirmed(pcn.confirmed_on, pcn.source),
            )
        )
    return rows


def practice_rows(practices: Iterable[Practice], pcns: dict[int, Pcn]) -> list[PracticeRow]:
    return [
        PracticeRow(
            id=p.id,
            ods_code=p.ods_code,
            name=p.name,
            pcn=pcn_name(pcns.get(p.pcn_id)),
            list_size=list_size(p.list_size),
            imd_decile=imd_decile(p.imd_decile),
            setting=rurality(p.rurality),
            closed=not p.is_open,
            closed_on=long_date(p.closed_on),
            source=source(p.source),
            confirmed=confirmed(p.confirmed_on, p.source),
        )
        for p in practices
    ]


def icb_counts(practices: Sequence[Practice], pcns: Sequence[Pcn]) -> list[tuple[str, str]]:
    """The summary list under the ICB's name."""
    open_practices = [p for p in practices if p.is_open]
    rows = [
        ("PCNs", number(len(pcns))),
        ("Open practices", number(len(open_practices))),
        ("Not in a PCN", number(sum(1 for p in open_practices if p.pcn_id is None))),
    ]
    if closed := len(practices) - len(open_practices):
        rows.append(("Closed practices", number(closed)))
    return rows


# The preview of an update from NHS files ----------------------------------------------


@dataclass(frozen=True)
class PreviewLine:
    text: str
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChangeRow:
    kind: str
    code: str
    name: str
    action: str
    details: tuple[str, ...]


def preview_lines(plan: OnboardingPlan) -> list[PreviewLine]:
    """The plan's summary lines, its indented ones ("  passed over: …", "  note: …") kept
    under the line they belong to. The first line (the ICB) is the page's caption."""
    lines: list[PreviewLine] = []
    for line in plan.summary_lines()[1:]:
        if line.startswith("  ") and lines:
            last = lines[-1]
            lines[-1] = PreviewLine(last.text, (*last.details, _capital(line.strip())))
        else:
            lines.append(PreviewLine(line))
    return lines


NEW_DETAILS = ("New to the service",)


def change_rows(changes: Iterable[Change]) -> list[ChangeRow]:
    return [
        ChangeRow(
            kind=KIND_LABELS.get(c.kind, c.kind),
            code=c.code,
            name=c.name,
            action=ACTION_LABELS.get(c.action, c.action),
            details=tuple(
                f"{_capital(what)}: {before} → {after}" for what, before, after in c.details
            )
            or (NEW_DETAILS if c.action == "create" else ()),
        )
        for c in changes
    ]


def applied(plan: OnboardingPlan) -> str:
    """The flash after the files are applied."""
    if plan.nothing:
        return "Nothing changed: the organisations were already as the files say."
    done = "; ".join(f"{label}: {number(n)}" for label, n in plan.counts())
    return f"Updated from NHS files. {done}."


STAGE_GONE = (
    "The files you uploaded are no longer waiting to be applied (they are kept for an "
    "hour, for the person who uploaded them). Nothing was changed: upload them again."
)
CANCELLED = "Nothing was changed. The files you uploaded have been deleted."
NO_FILES = "Select the files you downloaded from NHS England"


def refused_items(filename: str, refused: Refused) -> list[str]:
    """The error summary's lines for a refused file: "name.csv: Row 3, column “GP_CODE”:
    … is not a practice code", the first PROBLEMS_SHOWN, then how many more."""
    items = [f"{filename}: {problem}" for problem in refused.problems[:PROBLEMS_SHOWN]]
    if (more := len(refused.problems) - PROBLEMS_SHOWN) > 0:
        items.append(f"{filename}: and {number(more)} more problems")
    return items


def refused_field_message(refused_files: Sequence[str]) -> str:
    """Next to the file input: which files could not be used."""
    names = ", ".join(refused_files)
    noun = "file" if len(refused_files) == 1 else "files"
    return f"Nothing was changed. Correct or replace the {noun} with problems: {names}"


# Editing a practice -------------------------------------------------------------------


def rurality_choice(value: str | None) -> str:
    return value or RURALITY_UNKNOWN


def practice_saved(practice: Practice, changed: bool) -> str:
    label = f"{practice.name} ({practice.ods_code})"
    return f"{label} saved." if changed else f"No changes to {label}."


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
