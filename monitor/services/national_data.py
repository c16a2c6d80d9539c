"""Import what NHS England publishes for every practice, once, for the whole ICB.

A published file's figures (an `Extract` from monitor.importers.datasets) fill the
template items defined as those figures (`national:` in the template): each practice of
the ICB gets its value for the month, marked with where it came from (`source` is the
dataset's key, `import_id` the import). Nothing a practice recorded itself is replaced:
a value the practice typed or overrode is kept, and the published value is remembered
beside it so the difference can be shown. A value an earlier import set is updated when
a revised publication says otherwise.

An import is all or nothing and idempotent: `plan_import` says what it would do, and
`apply_import` does it in one transaction (every value through the audited write path,
every added or changed value recorded so `undo_import` can put it back). The same file
twice (the same SHA-256) is refused the second time, having nothing to do.

Imported figures are as private as typed ones: the visibility rules do not change.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlmodel import Session, select

from monitor.core.checklist import ChecklistTemplate, Item, ItemType
from monitor.core.clock import utcnow
from monitor.core.formatting import item_value, number
from monitor.core.periods import Period
from monitor.core.published import Extract, PublishedFigure
from monitor.models import (
    Icb,
    ImportChange,
    ImportStatus,
    MetricValue,
    NationalImport,
    Practice,
    User,
)
from monitor.services import audit, records

CHUNK = 200


class ImportRefused(ValueError):
    """The import cannot go ahead; `message` says why. Nothing has changed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ValueChange:
    practice: Practice
    item: Item
    period: Period
    action: str  # "add", "change"
    before: float | None
    after: float
    record: MetricValue | None  # the stored value being changed


@dataclass
class ImportPlan:
    icb: Icb
    extract: Extract
    period: Period
    changes: list[ValueChange] = field(default_factory=list)
    rows_read: int = 0
    rows_passed_over: int = 0  # not a practice's: Unassigned, national totals, footnotes
    practices_in_file: int = 0
    practices_matched: int = 0
    other_practices: int = 0  # in the database, another ICB's
    unknown_codes: int = 0  # practice codes the database does not know
    unchanged: int = 0
    kept: int = 0  # the practice's own value stands
    kept_values: list[tuple[MetricValue, float]] = field(default_factory=list)
    not_published: int = 0
    needs_list_size: int = 0
    out_of_range: int = 0
    unmapped_measures: list[str] = field(default_factory=list)
    practices_in_icb: int = 0

    @property
    def added(self) -> int:
        return sum(1 for c in self.changes if c.action == "add")

    @property
    def changed(self) -> int:
        return sum(1 for c in self.changes if c.action == "change")

    def summary_lines(self) -> list[str]:
        e = self.extract
        rows = f"{number(self.rows_read)} practice rows"
        if self.rows_read != self.practices_in_file:  # GPAD: a row per kind of appointment
            rows = f"{number(self.rows_read)} rows for {number(self.practices_in_file)} practices"
        lines = [
            f"{e.description}: {rows}, "
            f"{number(self.practices_matched)} of your {number(self.practices_in_icb)} practices",
            f"Unknown practice codes: {number(self.unknown_codes)}; other ICBs' practices: "
            f"{number(self.other_practices)} (counted, not stored)",
            f"Values added: {number(self.added)}, changed: {number(self.changed)}, "
            f"unchanged: {number(self.unchanged)}, kept because the practice recorded its own: "
            f"{number(self.kept)}",
        ]
        if self.rows_passed_over:
            reasons = ", ".join(
                f"{number(n)} {why}" for why, n in self.extract.skipped.most_common()
            )
            lines.append(f"Rows passed over, not a practice's: {reasons}")
        if self.not_published:
            lines.append(f"Not published for a practice (left blank): {number(self.not_published)}")
        if self.needs_list_size:
            lines.append(
                f"Not worked out because the practice's list size is not known yet: "
                f"{number(self.needs_list_size)}"
            )
        if self.out_of_range:
            lines.append(f"Outside the template's range (not stored): {number(self.out_of_range)}")
        if self.unmapped_measures:
            lines.append("Published but not in your template: " + ", ".join(self.unmapped_measures))
        return lines


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def already_imported(session: Session, icb_id: int, sha256: str) -> NationalImport | None:
    return session.exec(
        select(NationalImport).where(
            NationalImport.icb_id == icb_id,
            NationalImport.sha256 == sha256,
            NationalImport.status == ImportStatus.DONE,
        )
    ).first()


def plan_import(
    session: Session, *, icb: Icb, template: ChecklistTemplate, extract: Extract, today: date
) -> ImportPlan:
    """What importing `extract` would change for the ICB's practices; nothing is written."""
    if not extract.figures or extract.period is None:
        raise ImportRefused(f"{extract.description} holds no figures for practices to import")
    period = Period.parse(extract.period)
    if period.end >= today:
        raise ImportRefused(f"{extract.description} is for {period.label}, which has not ended")
    items = {
        measure: item
        for (dataset, measure), item in template.national_items().items()
        if dataset == extract.source
    }
    if not items:
        raise ImportRefused(
            f"Your ICB's template ({template.name}, version {template.version}) has no "
            f"items from {extract.description.split(',')[0]}. Move the ICB to a template "
            "version that defines them (version 2 or later) to import it"
        )
    ours = {p.ods_code: p for p in session.exec(select(Practice).where(Practice.icb_id == icb.id))}
    codes = {f.ods_code for f in extract.figures}
    known = set(
        session.exec(select(Practice.ods_code).where(Practice.ods_code.in_(codes - ours.keys())))
    )
    plan = ImportPlan(icb=icb, extract=extract, period=period)
    plan.rows_read = extract.rows_read
    plan.rows_passed_over = sum(extract.skipped.values())
    plan.practices_in_file = len(codes)
    plan.practices_matched = len(codes & ours.keys())
    plan.practices_in_icb = len(ours)
    plan.other_practices = len(known)
    plan.unknown_codes = len(codes - ours.keys() - known)
    if not plan.practices_matched:
        raise ImportRefused(
            f"None of your ICB's {number(len(ours))} practices is in {extract.description} "
            f"({number(len(codes))} practices): is it the file you meant?"
        )
    plan.unmapped_measures = sorted(
        extract.measures.get(m, m) for m in {f.measure for f in extract.figures} - items.keys()
    )
    stored = _stored(session, [p.id for p in ours.values()], list(items.values()), period)
    for figure in extract.figures:
        practice = ours.get(figure.ods_code)
        item = items.get(figure.measure)
        if practice is None or item is None:
            continue
        value = _value_for(item, figure, practice, plan)
        if value is None:
            continue
        current = stored.get((practice.id, item.id))
        if current is None:
            plan.changes.append(ValueChange(practice, item, period, "add", None, value, None))
        elif _practices_own(current):
            plan.kept += 1
            if current.published_number != value:
                plan.kept_values.append((current, value))
        elif current.value_number == value:
            plan.unchanged += 1
        else:
            plan.changes.append(
                ValueChange(practice, item, period, "change", current.value_number, value, current)
            )
    return plan


def _practices_own(value: MetricValue) -> bool:
    """A value the practice recorded (typed, uploaded in a spreadsheet, the demo's) or
    overrode: no import replaces or undoes it. Only an import's values have an import."""
    return value.import_id is None or bool(value.override_reason)


def _stored(session, practice_ids, items, period) -> dict[tuple[int, str], MetricValue]:
    if not practice_ids:
        return {}
    rows = session.exec(
        select(MetricValue).where(
            MetricValue.practice_id.in_(practice_ids),
            MetricValue.item_id.in_([i.id for i in items]),
            MetricValue.period_code == period.code,
        )
    )
    return {(r.practice_id, r.item_id): r for r in rows}


def _value_for(item: Item, figure: PublishedFigure, practice: Practice, plan: ImportPlan):
    if figure.value is None or not math.isfinite(figure.value):
        plan.not_published += 1
        return None
    value = float(figure.value)
    if item.national.per_patients:
        if not practice.list_size:
            plan.needs_list_size += 1
            return None
        value = value / practice.list_size * item.national.per_patients
    if item.type is ItemType.COUNT:
        value = float(round(value))
    else:
        value = round(value, 4)  # the published precision, without float noise
    if (item.min is not None and value < item.min) or (item.max is not None and value > item.max):
        plan.out_of_range += 1
        return None
    return value


ProgressCallback = Callable[[float, str], None]


def apply_import(
    session: Session,
    *,
    user: User | None,
    plan: ImportPlan,
    template: ChecklistTemplate,
    national_import: NationalImport,
    progress: ProgressCallback | None = None,
) -> NationalImport:
    """Make every change of `plan` (all of it, or on error none of it), recording each
    in `national_import`, which is marked done with its counts."""
    label = plan.extract.description
    by_practice: dict[int, list[ValueChange]] = {}
    for change in plan.changes:
        by_practice.setdefault(change.practice.id, []).append(change)
    done = 0
    total = max(len(plan.changes), 1)
    try:
        for changes in by_practice.values():
            _apply_practice(session, user, plan, template, national_import, changes, label)
            done += len(changes)
            if progress is not None:
                progress(done / total, f"{number(done)} of {number(len(plan.changes))} values")
        for record, published in plan.kept_values:
            record.published_number = published
            session.add(record)
        national_import.status = ImportStatus.DONE
        national_import.finished_at = utcnow()
        national_import.progress = 1.0
        _counts(national_import, plan)
        session.add(national_import)
        audit.record(
            session,
            actor=user,
            action="import",
            object_type="national_import",
            object_id=national_import.id,
            summary=(
                f"Imported {label}: {plan.added} values added, {plan.changed} changed, "
                f"{plan.kept} kept as the practices recorded them"
            ),
        )
        session.commit()
    except Exception:
        session.rollback()
        raise
    return national_import


def _counts(national_import: NationalImport, plan: ImportPlan) -> None:
    national_import.rows_read = plan.rows_read
    national_import.rows_passed_over = plan.rows_passed_over
    national_import.practices_matched = plan.practices_matched
    national_import.other_practices = plan.other_practices
    national_import.unknown_codes = plan.unknown_codes
    national_import.values_added = plan.added
    national_import.values_changed = plan.changed
    national_import.values_unchanged = plan.unchanged
    national_import.values_kept = plan.kept
    national_import.values_not_published = plan.not_published


def _apply_practice(session, user, plan, template, national_import, changes, label) -> None:
    new = [c for c in changes if c.action == "add"]
    if new:
        rows = [
            MetricValue(
                practice_id=c.practice.id,
                item_id=c.item.id,
                frequency=c.period.frequency.value,
                period_code=c.period.code,
                period_start=c.period.start,
                value_number=c.after,
                template_id=template.id,
                template_version=template.version,
                source=plan.extract.source,
                import_id=national_import.id,
            )
            for c in new
        ]
        records.create_many(
            session,
            user=user,
            records=rows,
            summary=f"Imported {{added}} for {plan.period.label} from {label}",
            commit=False,
        )
    for c in changes:
        session.add(
            ImportChange(
                import_id=national_import.id,
                practice_id=c.practice.id,
                item_id=c.item.id,
                period_code=c.period.code,
                action=c.action,
                before_number=c.before,
                before_source=c.record.source if c.record else None,
                before_import_id=c.record.import_id if c.record else None,
                after_number=c.after,
            )
        )
        if c.action == "change":
            records.update_fields(
                session,
                user=user,
                record=c.record,
                changes={
                    "value_number": c.after,
                    "source": plan.extract.source,
                    "import_id": national_import.id,
                    "template_id": template.id,
                    "template_version": template.version,
                },
                expected_version=c.record.version,
                summary=f"Updated {c.item.label} for {plan.period.label} from {label}",
                commit=False,
            )


def undo_import(session: Session, *, user: User | None, national_import: NationalImport) -> int:
    """Put back what the import changed: its added values go, its changed values return to
    what they were. A value changed since (by a practice, or a later import) is left as
    it is. Returns how many values were put back."""
    if national_import.status != ImportStatus.DONE:
        raise ImportRefused("Only a finished import can be undone")
    changes = session.exec(
        select(ImportChange).where(ImportChange.import_id == national_import.id)
    ).all()
    restored = 0
    for change in changes:
        value = session.exec(
            select(MetricValue).where(
                MetricValue.practice_id == change.practice_id,
                MetricValue.item_id == change.item_id,
                MetricValue.period_code == change.period_code,
            )
        ).first()
        if value is None or value.import_id != national_import.id or _practices_own(value):
            continue  # changed since (a later import, or the practice overrode it): it stands
        summary = f"Undid the import “{national_import.description}”"
        if change.action == "add":
            records.delete(
                session, user=user, record=value, expected_version=value.version,
                summary=summary, commit=False,
            )  # fmt: skip
        else:
            records.update_fields(
                session,
                user=user,
                record=value,
                changes={
                    "value_number": change.before_number,
                    "source": change.before_source or "manual",
                    "import_id": change.before_import_id,
                },
                expected_version=value.version,
                summary=summary,
                commit=False,
            )
        restored += 1
    national_import.status = ImportStatus.UNDONE
    national_import.undone_at = utcnow()
    national_import.undone_by_id = user.id if user else None
    session.add(national_import)
    audit.record(
        session,
        actor=user,
        action="undo",
        object_type="national_import",
        object_id=national_import.id,
        summary=f"Undid the import “{national_import.description}”: {restored} values put back",
    )
    session.commit()
    return restored


def imports_of(session: Session, icb_id: int) -> list[NationalImport]:
    """The ICB's imports, newest first (the provenance page)."""
    return list(
        session.exec(
            select(NationalImport)
            .where(NationalImport.icb_id == icb_id)
            .order_by(NationalImport.created_at.desc(), NationalImport.id.desc())
        )
    )


def source_label(session: Session, value: MetricValue) -> str | None:
    """Where a stored value came from, as people read it: "From Cloud Based Telephony,
    February 2026 publication", or None for a value the practice typed."""
    if value.import_id is None:
        return None
    found = session.get(NationalImport, value.import_id)
    if found is None:
        return None
    return f"From {found.description}"


def shown(item: Item, value: float | None) -> str:
    return item_value(value, item.type, item.unit)


def imported_share(values: Iterable[MetricValue]) -> tuple[int, int]:
    """(values that came from national data, values in all) among `values`."""
    values = list(values)
    return sum(1 for v in values if v.import_id is not None and not v.override_reason), len(values)
