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
from decimal import Decimal
from pathlib import Path

from sqlmodel import Session, select

from monitor.core.checklist import ALLOCATION_ITEM, ChecklistTemplate, Frequency, Item
from monitor.core.clock import utcnow
from monitor.core.formatting import item_value, number
from monitor.core.periods import Period
from monitor.core.published import Extract, PublishedFigure
from monitor.models import (
    HepAllocation,
    Icb,
    ImportChange,
    ImportStatus,
    MetricValue,
    NationalImport,
    Practice,
    User,
)
from monitor.services import audit, england, records

CHUNK = 200
REMEMBER = "remember"
"""An ImportChange that kept the published figure beside a practice's own value."""


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
    record: Stored | None  # the stored value being changed
    on: date | None = None  # the figure's date (a payment's), if it has one


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
    kept_values: list[tuple[Stored, float]] = field(default_factory=list)
    not_published: int = 0
    needs_list_size: int = 0
    out_of_range: int = 0
    unmapped_measures: list[str] = field(default_factory=list)
    practices_in_icb: int = 0
    periods: list[Period] = field(default_factory=list)
    england: england.EnglandPlan | None = None
    """England's figures from the file, when it is a national one."""

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
        if self.england is not None:
            lines.append(self.england.summary_line())
        elif self.practices_in_file < england.NATIONAL_PRACTICES:
            lines.append(
                f"England: the file lists {number(self.practices_in_file)} practices, not "
                "England's, so no England figures are worked out from it"
            )
        if len(self.periods) > 1:
            lines.append("Periods: " + ", ".join(p.label for p in self.periods))
        lines.extend(self.extract.notes)
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
    """What importing `extract` would change for the ICB's practices; nothing is written.

    Each figure names its own period (a file may hold several: the years of a payment
    schedule, the quarters of a Fingertips export), which must be of the item's
    frequency. A measured figure must describe a period that has ended; an allocation
    (the HEP payment schedule) may be for this year or the next, as it is known ahead."""
    if not extract.figures or extract.period is None:
        raise ImportRefused(f"{extract.description} holds no figures for practices to import")
    period = Period.parse(extract.period)
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
    periods = _periods(extract, items, today)
    ours = {p.ods_code: p for p in session.exec(select(Practice).where(Practice.icb_id == icb.id))}
    codes = {f.ods_code for f in extract.figures}
    known = set(
        session.exec(select(Practice.ods_code).where(Practice.ods_code.in_(codes - ours.keys())))
    )
    plan = ImportPlan(icb=icb, extract=extract, period=period)
    plan.periods = sorted(set(periods.values()))
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
    stored = stored_values(
        session, [p.id for p in ours.values()], list(items.values()), plan.periods
    )
    for figure in extract.figures:
        practice = ours.get(figure.ods_code)
        item = items.get(figure.measure)
        if practice is None or item is None:
            continue
        value = _value_for(item, figure, practice.list_size, plan)
        if value is None:
            continue
        at = periods[figure.period]
        current = stored.get((practice.id, item.id, at.code))
        if current is None:
            plan.changes.append(
                ValueChange(practice, item, at, "add", None, value, None, figure.on)
            )
        elif _practices_own(current.record):
            plan.kept += 1
            if current.published != value:
                plan.kept_values.append((current, value))
        elif current.number == value:
            plan.unchanged += 1
        else:
            plan.changes.append(
                ValueChange(practice, item, at, "change", current.number, value, current, figure.on)
            )
    plan.england = england.plan(session, extract, items, periods)
    return plan


def _periods(extract: Extract, items: dict[str, Item], today: date) -> dict[str, Period]:
    """Each figure's period, checked against its item: of the item's frequency, ended
    (or, for an allocation, no later than next year)."""
    found: dict[str, Period] = {}
    for figure in extract.figures:
        item = items.get(figure.measure)
        if item is None or figure.period in found:
            continue
        try:
            at = Period.parse(figure.period)
        except ValueError:
            raise ImportRefused(
                f"{extract.description}: “{figure.period}” is not a period"
            ) from None
        if at.frequency is not item.frequency:
            raise ImportRefused(
                f"{extract.description} gives {item.label} for {at.label}, but the "
                f"template records it {item.frequency.value}: the file cannot fill it"
            )
        if item.id == ALLOCATION_ITEM:
            if at.start > Period.containing(today, at.frequency).next().start:
                raise ImportRefused(
                    f"{extract.description} is for {at.label}: a schedule can be imported "
                    "for this financial year or the next, not later"
                )
        elif at.end >= today:
            raise ImportRefused(f"{extract.description} is for {at.label}, which has not ended")
        found[figure.period] = at
    return found


def _practices_own(value: MetricValue | HepAllocation) -> bool:
    """A value the practice recorded (typed, uploaded in a spreadsheet, the demo's) or
    overrode: no import replaces or undoes it. Only an import's values have an import."""
    return value.import_id is None or bool(value.override_reason)


@dataclass(frozen=True)
class Stored:
    """A stored value an import may change: a MetricValue, or (for the HEP allocation) a
    HepAllocation, read the same way."""

    record: MetricValue | HepAllocation

    @property
    def number(self) -> float | None:
        if isinstance(self.record, HepAllocation):
            return float(self.record.amount)
        return self.record.value_number

    @property
    def published(self) -> float | None:
        if isinstance(self.record, HepAllocation):
            found = self.record.published_amount
            return None if found is None else float(found)
        return self.record.published_number

    @property
    def item_id(self) -> str:
        return ALLOCATION_ITEM if isinstance(self.record, HepAllocation) else self.record.item_id

    @property
    def period_code(self) -> str:
        if isinstance(self.record, HepAllocation):
            return Period(Frequency.ANNUAL, self.record.financial_year, 1).code
        return self.record.period_code

    def published_field(self, value: float | None) -> dict[str, object]:
        """The change that sets the published figure kept beside the practice's own."""
        if isinstance(self.record, HepAllocation):
            return {"published_amount": None if value is None else Decimal(str(value))}
        return {"published_number": value}

    def remember_published(self, value: float) -> None:
        if isinstance(self.record, HepAllocation):
            self.record.published_amount = Decimal(str(value))
        else:
            self.record.published_number = value


def stored_values(
    session: Session, practice_ids: list[int], items: list[Item], periods: list[Period]
) -> dict[tuple[int, str, str], Stored]:
    """(practice id, item id, period code) → what is stored, for the items and periods."""
    if not practice_ids or not periods:
        return {}
    found: dict[tuple[int, str, str], Stored] = {}
    metric_items = [i.id for i in items if i.id != ALLOCATION_ITEM]
    if metric_items:
        for ids in _chunks(practice_ids):
            rows = session.exec(
                select(MetricValue).where(
                    MetricValue.practice_id.in_(ids),
                    MetricValue.item_id.in_(metric_items),
                    MetricValue.period_code.in_([p.code for p in periods]),
                )
            )
            for r in rows:
                found[(r.practice_id, r.item_id, r.period_code)] = Stored(r)
    years = {p.fy: p for p in periods if p.frequency is Frequency.ANNUAL}
    if any(i.id == ALLOCATION_ITEM for i in items) and years:
        for ids in _chunks(practice_ids):
            rows = session.exec(
                select(HepAllocation).where(
                    HepAllocation.practice_id.in_(ids),
                    HepAllocation.financial_year.in_(list(years)),
                )
            )
            for r in rows:
                found[(r.practice_id, ALLOCATION_ITEM, years[r.financial_year].code)] = Stored(r)
    return found


def _chunks(ids: list[int], size: int = 900) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _value_for(item: Item, figure: PublishedFigure, list_size: int | None, plan: ImportPlan):
    if figure.value is None or not math.isfinite(figure.value):
        plan.not_published += 1
        return None
    if item.national.per_patients and not list_size:
        plan.needs_list_size += 1
        return None
    value = england.item_figure(item, figure.value, list_size)
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
        for kept, published in plan.kept_values:
            # Recorded too, so that undoing this import forgets the published figure.
            session.add(
                ImportChange(
                    import_id=national_import.id,
                    practice_id=kept.record.practice_id,
                    item_id=kept.item_id,
                    period_code=kept.period_code,
                    action=REMEMBER,
                    before_number=kept.published,
                    before_import_id=kept.record.import_id,
                    after_number=published,
                )
            )
            kept.remember_published(published)
            session.add(kept.record)
        if plan.england is not None:
            england.write(session, plan.england, national_import.id)
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
        records.create_many(
            session,
            user=user,
            records=[_new_record(c, plan, template, national_import) for c in new],
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
                before_source=c.record.record.source if c.record else None,
                before_import_id=c.record.record.import_id if c.record else None,
                after_number=c.after,
            )
        )
        if c.action == "change":
            if isinstance(c.record.record, HepAllocation):
                fields = {"amount": Decimal(str(c.after)), "source": plan.extract.source,
                          "import_id": national_import.id}  # fmt: skip
                if c.on is not None:
                    fields["received_on"] = c.on
            else:
                fields = {
                    "value_number": c.after,
                    "source": plan.extract.source,
                    "import_id": national_import.id,
                    "template_id": template.id,
                    "template_version": template.version,
                }
            records.update_fields(
                session,
                user=user,
                record=c.record.record,
                changes=fields,
                expected_version=c.record.record.version,
                summary=f"Updated {c.item.label} for {c.period.label} from {label}",
                commit=False,
            )


def _new_record(c: ValueChange, plan: ImportPlan, template, national_import):
    if c.item.id == ALLOCATION_ITEM:
        return HepAllocation(
            practice_id=c.practice.id,
            financial_year=c.period.fy,
            amount=Decimal(str(c.after)),
            received_on=c.on,
            source=plan.extract.source,
            import_id=national_import.id,
        )
    return MetricValue(
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
    summary = f"Undid the import “{national_import.description}”"
    for change in changes:
        value = _changed_record(session, change)
        if value is None:
            continue
        if change.action == REMEMBER:
            restored += _forget_published(session, user, Stored(value), change, summary)
            continue
        if value.import_id != national_import.id:
            continue  # changed since by a later import: it stands
        if _practices_own(value):
            # Overridden since: the practice's figure stands, beside what was published
            # before this import (if anything was).
            fields = Stored(value).published_field(change.before_number)
            fields["import_id"] = change.before_import_id
            if change.before_import_id is None:
                fields |= {"override_reason": None, "source": "manual"}
            records.update_fields(
                session, user=user, record=value, changes=fields,
                expected_version=value.version, summary=summary, commit=False,
            )  # fmt: skip
            restored += 1
            continue
        if change.action == "add":
            records.delete(
                session, user=user, record=value, expected_version=value.version,
                summary=summary, commit=False,
            )  # fmt: skip
        else:
            field_name = "amount" if isinstance(value, HepAllocation) else "value_number"
            before = change.before_number
            if isinstance(value, HepAllocation) and before is not None:
                before = Decimal(str(before))
            records.update_fields(
                session,
                user=user,
                record=value,
                changes={
                    field_name: before,
                    "source": change.before_source or "manual",
                    "import_id": change.before_import_id,
                },
                expected_version=value.version,
                summary=summary,
                commit=False,
            )
        restored += 1
    england.forget(session, national_import.id)
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


def _forget_published(session, user, stored: Stored, change: ImportChange, summary: str) -> int:
    """Put back the published figure an import remembered beside a practice's own value,
    unless a later import has remembered another since."""
    if stored.published != change.after_number:
        return 0
    record = stored.record
    fields = stored.published_field(change.before_number)
    records.update_fields(
        session, user=user, record=record, changes=fields,
        expected_version=record.version, summary=summary, commit=False,
    )  # fmt: skip
    return 1


def _changed_record(session: Session, change: ImportChange) -> MetricValue | HepAllocation | None:
    if change.item_id == ALLOCATION_ITEM:
        return session.exec(
            select(HepAllocation).where(
                HepAllocation.practice_id == change.practice_id,
                HepAllocation.financial_year == Period.parse(change.period_code).fy,
            )
        ).first()
    return session.exec(
        select(MetricValue).where(
            MetricValue.practice_id == change.practice_id,
            MetricValue.item_id == change.item_id,
            MetricValue.period_code == change.period_code,
        )
    ).first()


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
