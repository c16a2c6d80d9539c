"""Periodic figures: which periods a practice can record, what is recorded, saving a
period's values (all or nothing), and the soft check that catches typos (monitor.analysis.unusual).

The template's required annual item "HEP allocation received" is the same number as the
HEP allocation log, so it is stored once, in HepAllocation, and shown in both places.

Where a figure came from (`Provenance`): NHS England's data, filled by an ICB's national
import (monitor.services.national_data), or the practice. A prefilled figure is not
typed over: the practice overrides it, giving a reason, which keeps the import it came
from (`import_id`, so an undo of that import leaves the override alone) and remembers
the published value (`published_number`) beside the practice's own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum

from sqlmodel import Session, select

from monitor.analysis.unusual import HISTORY_FOR_CHECK, is_unusual, worth_checking
from monitor.core.checklist import ALLOCATION_ITEM, ChecklistTemplate, Frequency, Item, Templates
from monitor.core.formatting import item_value
from monitor.core.inputs import Collector, InvalidValue
from monitor.core.periods import Period, financial_year_label, financial_year_of, periods_in_year
from monitor.models import HepAllocation, MetricValue, NationalImport, Practice, User
from monitor.services import records
from monitor.services.records import EditConflict, SaveResult

OVERRIDE_REASON_LIMIT = 500  # MetricValue.override_reason


PUBLISHERS = {
    "hep_schedule": "Your ICB",
    "fingertips": "OHID Fingertips",
    "fingertips_imd": "OHID Fingertips",
}
"""Who published a dataset's figures, where it is not NHS England."""


def reason_field(item_id: str) -> str:
    """The form field holding why a practice overrides a prefilled figure."""
    return f"{item_id}-reason"


@dataclass(frozen=True)
class Provenance:
    """Where a stored figure came from, and what NHS England published for it."""

    import_id: int | None = None
    publication: str | None = None
    """The import's description: "Cloud Based Telephony, February 2026 publication"."""
    dataset: str | None = None
    override_reason: str | None = None
    published_number: float | None = None

    @classmethod
    def of(
        cls, row: MetricValue | HepAllocation, found: NationalImport | None = None
    ) -> Provenance:
        if isinstance(row, HepAllocation):
            published = None if row.published_amount is None else float(row.published_amount)
        else:
            published = row.published_number
        return cls(
            import_id=row.import_id,
            publication=found.description if found else None,
            dataset=found.dataset if found else None,
            override_reason=row.override_reason or None,
            published_number=published,
        )

    @property
    def imported(self) -> bool:
        """Filled from national data and not overridden (as national_data.imported_share
        counts it)."""
        return self.import_id is not None and not self.override_reason

    @property
    def overridden(self) -> bool:
        return bool(self.override_reason)

    @property
    def origin(self) -> str:
        """ "From Cloud Based Telephony, February 2026 publication", as the form says it."""
        return f"From {self.publication}" if self.publication else "From NHS England data"

    @property
    def text(self) -> str:
        """The source column of every table and export."""
        if self.imported:
            publisher = PUBLISHERS.get(self.dataset or "", "NHS England")
            return f"{publisher}: {self.publication}" if self.publication else publisher
        if self.overridden:
            return "Entered by the practice (overrides the published value)"
        return "Entered by the practice"

    def differs(self, number: float | None) -> bool:
        """NHS England published something else for this period than `number`."""
        return (
            self.published_number is not None
            and number is not None
            and self.published_number != number
        )


class PeriodStatus(Enum):
    NOT_STARTED = "Not started"
    PARTLY_RECORDED = "Partly recorded"
    COMPLETE = "Complete"

    @property
    def colour(self) -> str:
        return {"Not started": "grey", "Partly recorded": "yellow", "Complete": "green"}[self.value]


@dataclass(frozen=True)
class PeriodSummary:
    period: Period
    recorded: int
    total: int
    imported: int = 0
    """Of the `recorded` figures, those filled from NHS data and not overridden."""

    @property
    def to_add(self) -> int:
        """Items of the period with no figure yet."""
        return self.total - self.recorded

    @property
    def status(self) -> PeriodStatus:
        if self.recorded == 0:
            return PeriodStatus.NOT_STARTED
        if self.recorded < self.total:
            return PeriodStatus.PARTLY_RECORDED
        return PeriodStatus.COMPLETE


@dataclass(frozen=True)
class Recorded:
    """A value as recorded for one item and period."""

    item_id: str
    number: float | None
    text: str | None
    version: int
    source: str
    record_id: int
    record_kind: str = "metric_value"
    provenance: Provenance = Provenance()
    template_id: str | None = None
    template_version: int | None = None

    @property
    def imported(self) -> bool:
        return self.provenance.imported


def recordable_periods(today: date, *, years: int = 2) -> dict[int, list[Period]]:
    """Periods of the current and previous financial years that have ended, newest first."""
    current_fy = financial_year_of(today)
    result: dict[int, list[Period]] = {}
    for fy in range(current_fy, current_fy - years, -1):
        periods = [
            period
            for frequency in (Frequency.ANNUAL, Frequency.QUARTERLY, Frequency.MONTHLY)
            for period in periods_in_year(fy, frequency)
            if period.end < today
        ]
        result[fy] = sorted(periods, key=lambda p: (p.end, -p.start.toordinal()), reverse=True)
    return result


def check_recordable(period: Period, today: date) -> None:
    if period.end >= today:
        last_fy = financial_year_of(today) - 1
        raise InvalidValue(
            f"{period.label} has not ended yet. Enter figures for a period that has ended: "
            f"the {financial_year_label(last_fy)} financial year or earlier, or a month "
            "or quarter of this year that is over."
        )


def recorded_values(session: Session, practice_id: int, period: Period) -> dict[str, Recorded]:
    rows = session.exec(
        select(MetricValue, NationalImport)
        .join(NationalImport, MetricValue.import_id == NationalImport.id, isouter=True)
        .where(MetricValue.practice_id == practice_id, MetricValue.period_code == period.code)
    )
    values = {
        row.item_id: Recorded(
            row.item_id,
            row.value_number,
            row.value_text,
            row.version,
            row.source,
            row.id,
            provenance=Provenance.of(row, found),
            template_id=row.template_id,
            template_version=row.template_version,
        )
        for row, found in rows
    }
    if period.frequency is Frequency.ANNUAL:
        allocation = _allocation(session, practice_id, period.fy)
        if allocation is not None:
            found = (
                session.get(NationalImport, allocation.import_id) if allocation.import_id else None
            )
            values[ALLOCATION_ITEM] = Recorded(
                ALLOCATION_ITEM,
                float(allocation.amount),
                None,
                allocation.version,
                "allocation",
                allocation.id,
                "hep_allocation",
                provenance=Provenance.of(allocation, found),
            )
    return values


@dataclass(frozen=True)
class EarlierFigure:
    """A figure stored for an item the template in use no longer has: shown as the
    version it was entered against defined it, never reinterpreted."""

    item: Item
    """As that version defined it (its label, unit and type)."""
    recorded: Recorded
    carried_on_by: Item | None
    """The current item that carries on its history, if one does."""


def earlier_version_values(
    templates: Templates,
    template: ChecklistTemplate,
    stored: Mapping[str, Recorded],
    period: Period,
) -> list[EarlierFigure]:
    """The period's stored figures for items `template` does not have (they were
    entered against an earlier version), each under its own version's label."""
    current = {item.id for item in template.items_for(period.frequency)}
    carriers = {i.continues.item: i for i in template.items if i.continues is not None}
    found = []
    for item_id, recorded in sorted(stored.items()):
        if item_id in current or recorded.record_kind != "metric_value":
            continue
        item = defined_as(templates, recorded.template_id, recorded.template_version, item_id)
        if item is not None:
            found.append(EarlierFigure(item, recorded, carriers.get(item_id)))
    return found


def defined_as(
    templates: Templates, template_id: str | None, version: int | None, item_id: str
) -> Item | None:
    """The item as template `template_id` version `version` defines it; if that version
    is not loaded, as the latest loaded version of the template that has it."""
    exact = templates.get((template_id, version))
    if exact is not None and item_id in exact.items_by_id:
        return exact.items_by_id[item_id]
    others = sorted(
        (key for key in templates if key[0] == template_id), key=lambda k: k[1], reverse=True
    )
    for key in others:
        if item_id in templates[key].items_by_id:
            return templates[key].items_by_id[item_id]
    return None


def _allocation(session: Session, practice_id: int, fy: int) -> HepAllocation | None:
    return session.exec(
        select(HepAllocation).where(
            HepAllocation.practice_id == practice_id, HepAllocation.financial_year == fy
        )
    ).first()


def period_summaries(
    session: Session, *, practice_id: int, template: ChecklistTemplate, periods: list[Period]
) -> list[PeriodSummary]:
    if not periods:
        return []
    codes = [p.code for p in periods]
    counts: dict[str, int] = {}
    imported: dict[str, int] = {}
    template_items = {item.id for item in template.items}
    for code, item_id, import_id, reason in session.exec(
        select(
            MetricValue.period_code,
            MetricValue.item_id,
            MetricValue.import_id,
            MetricValue.override_reason,
        ).where(MetricValue.practice_id == practice_id, MetricValue.period_code.in_(codes))
    ):
        if item_id in template_items:
            counts[code] = counts.get(code, 0) + 1
            if Provenance(import_id=import_id, override_reason=reason).imported:
                imported[code] = imported.get(code, 0) + 1
    allocation_years = {
        fy: Provenance(import_id=import_id, override_reason=reason).imported
        for fy, import_id, reason in session.exec(
            select(
                HepAllocation.financial_year,
                HepAllocation.import_id,
                HepAllocation.override_reason,
            ).where(HepAllocation.practice_id == practice_id)
        )
    }
    summaries = []
    for period in periods:
        items = template.items_for(period.frequency)
        recorded = counts.get(period.code, 0)
        from_schedule = 0
        if period.frequency is Frequency.ANNUAL and period.fy in allocation_years:
            if any(i.id == ALLOCATION_ITEM for i in items):
                recorded += 1
                from_schedule = int(allocation_years[period.fy])
        summaries.append(
            PeriodSummary(
                period, recorded, len(items), imported.get(period.code, 0) + from_schedule
            )
        )
    return summaries


def state_token(values: Mapping[str, Recorded]) -> str:
    """A fingerprint of a period's stored values, carried by the form to detect edits
    made by someone else in the meantime."""
    text = "|".join(f"{k}:{v.version}" for k, v in sorted(values.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def previous_values(
    session: Session, *, practice_id: int, items: list[Item], before: Period
) -> dict[str, tuple[Period, float | None, str | None]]:
    """The most recent earlier value of each item, shown next to the input for reference."""
    result: dict[str, tuple[Period, float | None, str | None]] = {}
    ids = [item.id for item in items if item.id != ALLOCATION_ITEM]
    rows = session.exec(
        select(MetricValue)
        .where(
            MetricValue.practice_id == practice_id,
            MetricValue.item_id.in_(ids),
            MetricValue.period_start < before.start,
        )
        .order_by(MetricValue.period_start.desc())
    )
    for row in rows:
        if row.item_id not in result:
            result[row.item_id] = (Period.parse(row.period_code), row.value_number, row.value_text)
    if any(item.id == ALLOCATION_ITEM for item in items):
        earlier = session.exec(
            select(HepAllocation)
            .where(
                HepAllocation.practice_id == practice_id,
                HepAllocation.financial_year < before.fy,
            )
            .order_by(HepAllocation.financial_year.desc())
        ).first()
        if earlier is not None:
            result[ALLOCATION_ITEM] = (
                Period(Frequency.ANNUAL, earlier.financial_year, 1),
                float(earlier.amount),
                None,
            )
    return result


def _history(session: Session, practice_id: int, item: Item, before: Period) -> list[float]:
    return list(
        session.exec(
            select(MetricValue.value_number)
            .where(
                MetricValue.practice_id == practice_id,
                MetricValue.item_id == item.id,
                MetricValue.period_start < before.start,
                MetricValue.value_number.is_not(None),
            )
            .order_by(MetricValue.period_start.desc())
            .limit(HISTORY_FOR_CHECK)
        ).all()
    )


class NeedsConfirmation(Exception):
    """Some values look far outside the practice's usual range: {item id: message}."""

    def __init__(self, warnings: Mapping[str, str]) -> None:
        super().__init__("; ".join(warnings.values()))
        self.warnings = dict(warnings)


def save_period(
    session: Session,
    *,
    user: User,
    practice: Practice,
    template: ChecklistTemplate,
    period: Period,
    raw: Mapping[str, str | None],
    confirmed: set[str] = frozenset(),
    token: str | None,
    today: date,
    source: str = "manual",
    overrides: Mapping[str, str] | None = None,
) -> SaveResult:
    """Save every item of a period at once. Blank clears a value ("not recorded").

    Raises FormErrors (nothing saved), NeedsConfirmation (nothing saved until the
    person confirms the unusual values) or EditConflict (someone else saved first).
    `raw` values for items not in it are left as they are.

    A figure filled from national data changes only as an override: its item id in
    `overrides`, mapped to the reason the person gave (required). A caller with no way
    to give a reason (the spreadsheet upload) passes None, and a change to a prefilled
    figure is refused, saying where to override it. An overridden figure set back to
    the published value is the published figure again.
    """
    check_recordable(period, today)
    items = [item for item in template.items_for(period.frequency) if item.id in raw]
    reasons = dict(overrides or {})
    check = Collector({**raw, **{reason_field(k): v for k, v in reasons.items()}})
    parsed = {item.id: check.figure(item.id, item) for item in items}
    current = recorded_values(session, practice.id, period)
    why: dict[str, str | None] = {}
    for item in items:
        old, new = current.get(item.id), parsed[item.id]
        if old is not None and new is not None and (old.imported or old.provenance.overridden):
            why[item.id] = _check_override(check, item, old, new, reasons, overrides is not None)
    check.raise_if_any()

    if token is not None and token != state_token(current):
        raise EditConflict()

    warnings: dict[str, str] = {}
    for item in items:
        new = parsed[item.id]
        old = current.get(item.id)
        if new.number is None or item.id in confirmed or item.id == ALLOCATION_ITEM:
            continue
        if old is not None and old.number == new.number:
            continue
        if old is not None and new.number == old.provenance.published_number:
            continue  # back to the published figure
        history = _history(session, practice.id, item, period)
        if worth_checking(history) and is_unusual(new.number, history):
            low, high = min(history), max(history)
            warnings[item.id] = (
                f"{item.label}: {item_value(new.number, item.type, item.unit)} is far from "
                f"your last {len(history)} figures, which were between "
                f"{item_value(low, item.type, item.unit)} and "
                f"{item_value(high, item.type, item.unit)}. Check it is right, then "
                "confirm it below"
            )
    if warnings:
        raise NeedsConfirmation(warnings)

    result = SaveResult()
    for item in items:
        _save_item(
            session,
            user,
            practice,
            template,
            period,
            item,
            parsed[item.id],
            current,
            result,
            source,
            why.get(item.id),
        )
    if not result.nothing:
        session.commit()
    return result


def _same(old: Recorded, new) -> bool:
    return old.number == new.number and old.text == new.text


def publisher(item: Item) -> str:
    """Whose figure a prefilled value is, as a sentence names it."""
    if item.id == ALLOCATION_ITEM:
        return "the figure in your ICB's HEP payment schedule"
    return "NHS England's published figure"


def _kept(item: Item) -> str:
    if item.id == ALLOCATION_ITEM:
        return "your ICB's HEP payment schedule"
    return "the published figure"


def _check_override(check, item, old: Recorded, new, reasons, can_override) -> str | None:
    """The reason for changing a prefilled (or already overridden) figure; a message on
    the field when the change is not allowed as asked."""
    shown = item_value(old.provenance.published_number, item.type, item.unit)
    if old.imported:
        if _same(old, new):
            return None
        if not can_override:
            check.add(
                item.id,
                f"{item.label} is {publisher(item)} "
                f"({old.provenance.origin[:1].lower()}{old.provenance.origin[1:]}). To use "
                "your own figure instead, override it on the figures page and give a reason",
            )
            return None
        if item.id not in reasons:
            check.add(
                item.id,
                f"{item.label} is {publisher(item)}. Select Override to use "
                "your own figure instead, and give a reason",
            )
            return None
        if new.blank:
            check.add(
                item.id,
                f"Enter your figure for {item.label}, or cancel to keep {_kept(item)}",
            )
    elif new.blank:  # an override: the practice's own figure instead of the published one
        check.add(
            item.id,
            f"Enter a figure for {item.label}. To go back to {publisher(item)}, enter {shown}",
        )
        return None
    elif item.id not in reasons or new.number == old.provenance.published_number:
        return None  # the reason already given stands; or back to the published figure
    return check.free_text(
        reason_field(item.id),
        label="The reason",
        limit=OVERRIDE_REASON_LIMIT,
        required=f"Enter why you are overriding {_kept(item)} for {item.label}",
    )


def _save_item(
    session, user, practice, template, period, item, new, current, result, source, reason
):
    old = current.get(item.id)
    if item.id == ALLOCATION_ITEM:
        _save_allocation_value(session, user, practice, period.fy, new.number, result, old, reason)
        return
    if new.blank:
        if old is not None:
            row = _row(session, practice.id, item.id, period)
            records.delete(
                session,
                user=user,
                record=row,
                expected_version=old.version,
                summary=f"Removed {item.label} for {period.label}",
                commit=False,
            )
            result.removed.append(item.label)
        return
    if old is None:
        records.create(
            session,
            user=user,
            record=MetricValue(
                practice_id=practice.id,
                item_id=item.id,
                frequency=period.frequency.value,
                period_code=period.code,
                period_start=period.start,
                value_number=new.number,
                value_text=new.text,
                template_id=template.id,
                template_version=template.version,
                source=source,
            ),
            summary=f"Recorded {item.label} for {period.label}",
            commit=False,
        )
        result.added.append(item.label)
        return
    if _same(old, new) and not (reason and reason != old.provenance.override_reason):
        return
    changes = {
        "value_number": new.number,
        "value_text": new.text,
        "template_id": template.id,
        "template_version": template.version,
        "source": source,
    }
    summary = f"Changed {item.label} for {period.label}"
    provenance = old.provenance
    if provenance.imported:
        # The import stays named (import_id) so the source can be told and an undo
        # of that import leaves the practice's figure alone.
        changes |= {"override_reason": reason, "published_number": old.number}
        summary = f"Overrode NHS England's published {item.label} for {period.label}"
    elif provenance.overridden and new.number == provenance.published_number:
        changes |= {
            "source": provenance.dataset or source,
            "override_reason": None,
            "published_number": None,
        }
        summary = f"Went back to NHS England's published {item.label} for {period.label}"
    elif provenance.overridden and reason:
        changes["override_reason"] = reason
    records.update_fields(
        session,
        user=user,
        record=_row(session, practice.id, item.id, period),
        changes=changes,
        expected_version=old.version,
        summary=summary,
        commit=False,
    )
    result.changed.append(item.label)


def _row(session: Session, practice_id: int, item_id: str, period: Period) -> MetricValue:
    return session.exec(
        select(MetricValue).where(
            MetricValue.practice_id == practice_id,
            MetricValue.item_id == item_id,
            MetricValue.period_code == period.code,
        )
    ).one()


def _save_allocation_value(session, user, practice, fy, number, result, old, reason) -> None:
    label = f"HEP allocation for {financial_year_label(fy)}"
    allocation = _allocation(session, practice.id, fy)
    if number is None:
        if allocation is not None:
            records.delete(
                session,
                user=user,
                record=allocation,
                expected_version=allocation.version,
                summary=f"Removed {label}",
                commit=False,
            )
            result.removed.append("HEP allocation received")
        return
    amount = Decimal(str(number)).quantize(Decimal("0.01"))
    if allocation is None:
        records.create(
            session,
            user=user,
            record=HepAllocation(practice_id=practice.id, financial_year=fy, amount=amount),
            summary=f"Recorded {label}",
            commit=False,
        )
        result.added.append("HEP allocation received")
        return
    provenance = old.provenance if old is not None else Provenance.of(allocation)
    changes: dict[str, object] = {}
    summary = f"Changed {label}"
    if allocation.amount != amount:
        changes["amount"] = amount
        if provenance.imported:
            changes |= {"override_reason": reason, "published_amount": allocation.amount}
            summary = f"Overrode the ICB's payment schedule for the {label}"
        elif provenance.overridden and float(amount) == provenance.published_number:
            changes |= {"override_reason": None, "published_amount": None,
                        "source": provenance.dataset or allocation.source}  # fmt: skip
            summary = f"Went back to the ICB's payment schedule for the {label}"
    if provenance.overridden and reason and reason != provenance.override_reason:
        changes.setdefault("override_reason", reason)
    if changes:
        records.update_fields(
            session,
            user=user,
            record=allocation,
            changes=changes,
            expected_version=allocation.version,
            summary=summary,
            commit=False,
        )
        result.changed.append("HEP allocation received")
