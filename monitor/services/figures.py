"""Periodic figures: which periods a practice can record, what is recorded, saving a
period's values (all or nothing), and the soft check that catches typos (monitor.analysis.unusual).

The template's required annual item "HEP allocation received" is the same number as the
HEP allocation log, so it is stored once, in HepAllocation, and shown in both places.
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
from monitor.core.checklist import ChecklistTemplate, Frequency, Item
from monitor.core.formatting import item_value
from monitor.core.inputs import Collector, InvalidValue
from monitor.core.periods import Period, financial_year_label, financial_year_of, periods_in_year
from monitor.models import HepAllocation, MetricValue, Practice, User
from monitor.services import records
from monitor.services.records import EditConflict, SaveResult

ALLOCATION_ITEM = "hep_allocation"


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
        select(MetricValue).where(
            MetricValue.practice_id == practice_id, MetricValue.period_code == period.code
        )
    )
    values = {
        row.item_id: Recorded(
            row.item_id, row.value_number, row.value_text, row.version, row.source, row.id
        )
        for row in rows
    }
    if period.frequency is Frequency.ANNUAL:
        allocation = _allocation(session, practice_id, period.fy)
        if allocation is not None:
            values[ALLOCATION_ITEM] = Recorded(
                ALLOCATION_ITEM,
                float(allocation.amount),
                None,
                allocation.version,
                "allocation",
                allocation.id,
                "hep_allocation",
            )
    return values


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
    template_items = {item.id for item in template.items}
    for code, item_id in session.exec(
        select(MetricValue.period_code, MetricValue.item_id).where(
            MetricValue.practice_id == practice_id, MetricValue.period_code.in_(codes)
        )
    ):
        if item_id in template_items:
            counts[code] = counts.get(code, 0) + 1
    allocation_years = set(
        session.exec(
            select(HepAllocation.financial_year).where(HepAllocation.practice_id == practice_id)
        )
    )
    summaries = []
    for period in periods:
        items = template.items_for(period.frequency)
        recorded = counts.get(period.code, 0)
        if period.frequency is Frequency.ANNUAL and period.fy in allocation_years:
            recorded += 1 if any(i.id == ALLOCATION_ITEM for i in items) else 0
        summaries.append(PeriodSummary(period, recorded, len(items)))
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
) -> SaveResult:
    """Save every item of a period at once. Blank clears a value ("not recorded").

    Raises FormErrors (nothing saved), NeedsConfirmation (nothing saved until the
    person confirms the unusual values) or EditConflict (someone else saved first).
    `raw` values for items not in it are left as they are.
    """
    check_recordable(period, today)
    items = [item for item in template.items_for(period.frequency) if item.id in raw]
    check = Collector(raw)
    parsed = {item.id: check.figure(item.id, item) for item in items}
    check.raise_if_any()

    current = recorded_values(session, practice.id, period)
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
        )
    if not result.nothing:
        session.commit()
    return result


def _save_item(session, user, practice, template, period, item, new, current, result, source):
    old = current.get(item.id)
    if item.id == ALLOCATION_ITEM:
        _save_allocation_value(session, user, practice, period.fy, new.number, result)
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
    elif old.number != new.number or old.text != new.text:
        records.update_fields(
            session,
            user=user,
            record=_row(session, practice.id, item.id, period),
            changes={
                "value_number": new.number,
                "value_text": new.text,
                "template_id": template.id,
                "template_version": template.version,
                "source": source,
            },
            expected_version=old.version,
            summary=f"Changed {item.label} for {period.label}",
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


def _save_allocation_value(session, user, practice, fy, number, result) -> None:
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
    elif allocation.amount != amount:
        records.update_fields(
            session,
            user=user,
            record=allocation,
            changes={"amount": amount},
            expected_version=allocation.version,
            summary=f"Changed {label}",
            commit=False,
        )
        result.changed.append("HEP allocation received")
