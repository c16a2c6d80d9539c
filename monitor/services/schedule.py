"""What a practice is asked to record, and when, under its template."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, select

from monitor.core.checklist import ChecklistTemplate, Frequency, Item
from monitor.core.periods import Period
from monitor.models import MetricValue
from monitor.services import figures


@dataclass(frozen=True)
class DuePeriod:
    period: Period
    items: list[Item]

    @property
    def required_items(self) -> list[Item]:
        return [item for item in self.items if item.required]


def due_now(template: ChecklistTemplate, today: date) -> list[DuePeriod]:
    """The latest completed month, quarter and financial year, with their items.

    Figures for a period can only be known once it has ended, so in November the
    practice records October's monthly figures, the quarter to September and the
    financial year to the previous 31 March.
    """
    due = []
    for frequency in (Frequency.MONTHLY, Frequency.QUARTERLY, Frequency.ANNUAL):
        items = template.items_for(frequency)
        if items:
            due.append(DuePeriod(Period.latest_complete(today, frequency), items))
    return due


# How far back the home page looks for a month or quarter left blank.
BLANK_LOOKBACK = {Frequency.MONTHLY: 3, Frequency.QUARTERLY: 2}


def left_blank(
    session: Session, *, practice_id: int, template: ChecklistTemplate, today: date
) -> list[Period]:
    """The latest complete months and quarters (BLANK_LOOKBACK of each, newest first)
    with no figure recorded at all, not only the one due now. Periods that ended before
    the practice's first figure are not "left blank": it had not started recording."""
    first = session.exec(
        select(func.min(MetricValue.period_start)).where(MetricValue.practice_id == practice_id)
    ).one()
    if first is None:
        return []
    periods = []
    for frequency, count in BLANK_LOOKBACK.items():
        if not template.items_for(frequency):
            continue
        period = Period.latest_complete(today, frequency)
        for _ in range(count):
            if period.end >= first:
                periods.append(period)
            period = period.previous()
    summaries = figures.period_summaries(
        session, practice_id=practice_id, template=template, periods=periods
    )
    blank = [s.period for s in summaries if s.recorded == 0]
    return sorted(blank, key=lambda p: (p.end, -p.start.toordinal()), reverse=True)
