"""Demo voluntary returns: an open collection with practices in every state, and a closed
earlier one, so the ICB's views and the practice task list have something to show.

Load after `load_demo` and `load_demo_records`. In the open collection (the latest
quarter that has ended) some practices have submitted snapshots of their demo figures,
some are part-way through (some of their figures for the quarter are removed), two have
not started (all their figures for the quarter are removed) and one has withdrawn.
Loading twice changes nothing: a collection that already exists is left alone.

It all happens as the people would do it, through monitor.services.collections: the
demo ICB analyst opens and closes the collections, and each practice submits or
withdraws on the day it would have (the services take the day as `today` and `now`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path

from sqlmodel import Session, select

from monitor.config import Config
from monitor.core.checklist import (
    ChecklistTemplate,
    Frequency,
    Templates,
    load_templates,
    template_used_by,
)
from monitor.core.periods import Period
from monitor.demo.constants import ICB, PRACTICE_CODES
from monitor.models import Icb, MetricValue, Practice, Role, User
from monitor.models.returns import Collection
from monitor.services import collections, organisations, records

MESSAGE = (
    "Thank you for keeping your HEP records up to date. Each quarter we ask for a light-"
    "touch set of the figures you already record, so we can see where the Health Equity "
    "Payment is making a difference across Soar Valley and where practices might want "
    "support. Sending them is voluntary. We only share results across practices as "
    "totals and ranges, never naming a practice to other practices, and you can withdraw "
    "your return before the due date."
)

# The open collection: who has done what.
OPEN_SUBMITTED = ("Z00002", "Z00003", "Z00004", "Z00007", "Z00009")
OPEN_IN_PROGRESS = ("Z00001", "Z00006")  # Highfields' demo editor can finish and submit
OPEN_NOT_STARTED = ("Z00005", "Z00010")
OPEN_WITHDRAWN = ("Z00008",)
# The closed collection, a quarter earlier.
CLOSED_SUBMITTED = ("Z00001", "Z00002", "Z00003", "Z00005", "Z00007", "Z00009")


def load_demo_returns(session: Session, today: date) -> dict[str, int]:
    """Add the demo collections and returns; return counts of what was added.

    Nothing is added without the demo ICB and its analyst, who opens the collections.
    """
    added = {"collection": 0, "practice_return": 0}
    icb = organisations.find_icb(session, ICB["code"])
    analyst = None if icb is None else _analyst(session, icb)
    if analyst is None:
        return added
    template = template_used_by(_templates(), icb)
    practices = {
        p.ods_code: p
        for p in session.exec(select(Practice).where(Practice.ods_code.in_(PRACTICE_CODES)))
    }
    quarter = Period.latest_complete(today, Frequency.QUARTERLY)
    earlier = quarter.previous()

    closed = _collection(
        session, icb, analyst, template, earlier, opens_on=earlier.end + timedelta(14)
    )
    if closed is not None:
        added["collection"] += 1
        for n, ods in enumerate(CLOSED_SUBMITTED):
            if ods in practices:
                day = min(closed.opens_on + timedelta(days=2 + n), closed.due_on)
                added["practice_return"] += _submit(session, closed, practices[ods], day)
        collections.close_collection(
            session,
            user=analyst,
            collection=closed,
            now=datetime.combine(closed.due_on + timedelta(days=1), time(9), UTC),
        )

    opens_on = min(quarter.end + timedelta(days=14), today)
    current = _collection(
        session,
        icb,
        analyst,
        template,
        quarter,
        opens_on=opens_on,
        due_on=today + timedelta(days=21),
    )
    if current is not None:
        added["collection"] += 1
        span = max((today - opens_on).days, 0)
        for n, ods in enumerate(OPEN_SUBMITTED + OPEN_WITHDRAWN):
            if ods in practices:
                day = opens_on + timedelta(days=min(1 + n, span))
                added["practice_return"] += _submit(session, current, practices[ods], day)
        for ods in OPEN_WITHDRAWN:
            if ods in practices:
                collections.withdraw(
                    session,
                    user=_editor(session, practices[ods]),
                    collection=current,
                    practice_id=practices[ods].id,
                    today=today,
                    now=datetime.combine(today, time(8), UTC),
                )
        months = [p.code for p in _months(quarter)]
        partial = {
            # Highfields: the last month and the quarterly figures still to do.
            "Z00001": [months[-1], quarter.code],
            # Birstall: every month done, the quarterly figures still to do.
            "Z00006": [quarter.code],
        }
        for ods, codes in partial.items():
            if ods in practices:
                _remove_figures(session, practices[ods], codes, "part of")
        for ods in OPEN_NOT_STARTED:
            if ods in practices:
                _remove_figures(session, practices[ods], [*months, quarter.code], "all")
        session.commit()
    return added


def _months(quarter: Period) -> list[Period]:
    first = Period.containing(quarter.start, Frequency.MONTHLY)
    return [first, first.next(), first.next().next()]


def _analyst(session: Session, icb: Icb) -> User | None:
    return session.exec(
        select(User).where(User.icb_id == icb.id, User.role == Role.ICB_ANALYST.value)
    ).first()


def _collection(
    session: Session,
    icb: Icb,
    analyst: User,
    template: ChecklistTemplate,
    period: Period,
    *,
    opens_on: date,
    due_on: date | None = None,
) -> Collection | None:
    """A new collection for `period`, opened by the analyst; None when the ICB already
    has one."""
    existing = session.exec(
        select(Collection).where(Collection.icb_id == icb.id, Collection.period_code == period.code)
    ).first()
    if existing is not None:
        return None
    return collections.open_collection(
        session,
        user=analyst,
        icb_id=icb.id,
        data=collections.CollectionInput(
            name=f"{period.label} light-touch return",
            template=template,
            period=period,
            opens_on=opens_on,
            due_on=due_on or opens_on + timedelta(days=28),
            message=MESSAGE,
        ),
    )


def _editor(session: Session, practice: Practice) -> User | None:
    return session.exec(
        select(User).where(User.practice_id == practice.id, User.role == Role.PRACTICE_EDITOR.value)
    ).first()


@cache
def _templates() -> Templates:
    return load_templates(Path(Config.CHECKLIST_TEMPLATE_DIR))


def _submit(session: Session, collection: Collection, practice: Practice, day: date) -> int:
    try:
        collections.submit(
            session,
            user=_editor(session, practice),
            collection=collection,
            practice_id=practice.id,
            template=template_used_by(_templates(), collection),
            today=day,
            now=datetime.combine(day, time(10, 30), UTC),
        )
    except collections.ReturnRefused:  # no demo figures for this practice
        return 0
    return 1


def _remove_figures(session: Session, practice: Practice, codes: list[str], how: str) -> None:
    """Take a practice's figures for some periods away again, so that its return is part
    done or not started; one audit event for the lot, about the practice's demo data."""
    figures = session.exec(
        select(MetricValue).where(
            MetricValue.practice_id == practice.id, MetricValue.period_code.in_(codes)
        )
    ).all()
    records.delete_many(
        session,
        user=None,
        records=figures,
        summary=f"Demo data: removed {how} the figures for {', '.join(codes)}",
        object_type="demo_data",
        object_id=practice.id,
        commit=False,
    )
