"""What a practice is asked to record, and when, under its template."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from monitor.core.checklist import ChecklistTemplate, Frequency, Item
from monitor.core.periods import Period


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
