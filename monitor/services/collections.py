"""Voluntary returns: which figures a collection asks for, each practice's state, the
practice's task list, and submitting or withdrawing a frozen snapshot.

A collection asks for one quarter or one financial year. For a quarter the practice
sends its monthly figures for the three months and its quarterly figures for the quarter;
for a year, the annual figures, the four quarters and the twelve months.

Submitting copies the live values into ReturnValue / ReturnSpend rows; the ICB reads
only those, so later edits to live records never change what it sees. The same flush
summarises the snapshot into one ReturnFigure row per item (monitor.models.returns), which
is what the ICB's views of figures read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from itertools import groupby
from operator import itemgetter

from sqlalchemy import and_, or_
from sqlmodel import Session, select

from monitor.core.checklist import ChecklistTemplate, Frequency, Item, Section
from monitor.core.clock import utcnow
from monitor.core.formatting import long_date
from monitor.core.inputs import Collector
from monitor.core.periods import Period, periods_in_year
from monitor.models import HepAllocation, MetricValue, Practice, PracticeLike, SpendItem, User
from monitor.models.returns import (
    Collection,
    PracticeReturn,
    ReturnSpend,
    ReturnStatus,
    ReturnValue,
)
from monitor.services import records
from monitor.services.figures import ALLOCATION_ITEM, Recorded, recorded_values

SUBMITTED = "submitted"
READY = "ready_to_submit"
IN_PROGRESS = "in_progress"
NOT_STARTED = "not_started"
WITHDRAWN = "withdrawn"

# Every state a return can be in, in the order pages list them.
STATES = (SUBMITTED, READY, IN_PROGRESS, NOT_STARTED, WITHDRAWN)
STATE_LABELS = {
    SUBMITTED: "Submitted",
    READY: "Ready to submit",
    IN_PROGRESS: "In progress",
    NOT_STARTED: "Not started",
    WITHDRAWN: "Withdrawn",
}
# NHS.UK tag colours (nhsuk-tag--<colour>).
STATE_COLOURS = {
    SUBMITTED: "green",
    READY: "blue",
    IN_PROGRESS: "yellow",
    NOT_STARTED: "grey",
    WITHDRAWN: "orange",
}

DECLARATION = "This return is voluntary. The ICB will see these figures for your practice."


# What a collection asks for -------------------------------------------------------------


def _periods_due(collection_period: Period, frequency: Frequency) -> list[Period]:
    if collection_period.frequency is Frequency.MONTHLY:
        return [collection_period] if frequency is Frequency.MONTHLY else []
    if collection_period.frequency is Frequency.QUARTERLY:
        if frequency is Frequency.QUARTERLY:
            return [collection_period]
        if frequency is Frequency.MONTHLY:
            return [
                p
                for p in periods_in_year(collection_period.fy, Frequency.MONTHLY)
                if collection_period.contains(p.start)
            ]
        return []
    return periods_in_year(collection_period.fy, frequency)


def items_due(template: ChecklistTemplate, collection_period: Period) -> list[tuple[Item, Period]]:
    """Every (item, period) pair a collection for `collection_period` asks for, in template
    order, each item's periods oldest first.

    A quarter: each monthly item for its three months and each quarterly item for the
    quarter. A financial year: the annual items, each quarterly item for the four quarters
    and each monthly item for the twelve months.
    """
    due: list[tuple[Item, Period]] = []
    for item in template.items:
        for period in _periods_due(collection_period, item.frequency):
            due.append((item, period))
    return due


def due_periods(template: ChecklistTemplate, collection_period: Period) -> list[Period]:
    """The distinct periods a collection covers, oldest first, longest first on a tie."""
    periods = {period for _, period in items_due(template, collection_period)}
    return sorted(periods, key=lambda p: (p.start, -p.end.toordinal()))


def collection_period(collection: Collection) -> Period:
    return Period.parse(collection.period_code)


# States -------------------------------------------------------------------------------


def _return_statuses(session: Session, collection: Collection) -> dict[int, str]:
    """Practice id → the status of its return to the collection, if it sent one."""
    rows = session.exec(
        select(PracticeReturn.practice_id, PracticeReturn.status).where(
            PracticeReturn.collection_id == collection.id
        )
    ).all()
    return dict(rows)


@dataclass(frozen=True)
class _LiveAnswers:
    """What one practice has recorded of a collection's due (item id, period code) pairs."""

    complete: bool  # every task done, with values whatever their source (`_complete`)
    typed: bool  # something the practice recorded itself (not an import left as it was)


def _due_figures(due: list[tuple[Item, Period]], practice_ids: list[int]):
    """The SQL conditions on MetricValue for the practices' figures of the due pairs that
    hold a value. The pairs of a frequency are its items × its periods (see `items_due`),
    so each frequency's items and period codes together pick exactly its pairs."""
    by_frequency: dict[Frequency, tuple[set[str], set[str]]] = {}
    for item, period in due:
        ids, codes = by_frequency.setdefault(item.frequency, (set(), set()))
        ids.add(item.id)
        codes.add(period.code)
    return (
        MetricValue.practice_id.in_(practice_ids),
        or_(
            *(
                and_(MetricValue.item_id.in_(ids), MetricValue.period_code.in_(codes))
                for ids, codes in by_frequency.values()
            )
        ),
        or_(MetricValue.value_number.is_not(None), MetricValue.value_text != ""),
    )


def _live_answers(
    session: Session,
    template: ChecklistTemplate,
    period: Period,
    practice_ids: list[int],
) -> dict[int, _LiveAnswers]:
    """Every practice's live answers to the pairs due. First one aggregate row per
    practice (has it recorded any of them itself?); only the practices that have are
    read pair by pair (to tell "ready to submit" from "in progress"): a practice that has
    typed nothing has not started, whatever an import filled in."""
    due = items_due(template, period)
    if not due or not practice_ids:
        return {}
    pairs = {(item.id, p.code) for item, p in due}
    # A figure an import filled (and the practice did not override) is not the practice
    # starting its return: only what it recorded itself is.
    typed_figure = or_(MetricValue.import_id.is_(None), MetricValue.override_reason.is_not(None))
    typed = set(
        session.exec(
            select(MetricValue.practice_id)
            .where(*_due_figures(due, practice_ids), typed_figure)
            .group_by(MetricValue.practice_id)
        )
    )
    years = {p.fy: p.code for item, p in due if item.id == ALLOCATION_ITEM}
    allocations: list[tuple[int, int]] = []
    if years:
        for practice_id, fy, import_id, reason in session.exec(
            select(
                HepAllocation.practice_id,
                HepAllocation.financial_year,
                HepAllocation.import_id,
                HepAllocation.override_reason,
            ).where(
                HepAllocation.practice_id.in_(practice_ids),
                HepAllocation.financial_year.in_(years),
            )
        ):
            allocations.append((practice_id, fy))
            if import_id is None or reason is not None:
                typed.add(practice_id)
    # The practices that have started are read pair by pair, in practice order, a batch
    # of rows at a time, and each one's completeness decided from its rows alone: only a
    # flag per practice is kept (a national collection has 1,700 practices still
    # answering, each with some 120 pairs due).
    complete: set[int] = set()
    if typed:
        sections = _due_by_section(template, due)
        canonical = {pair: pair for pair in pairs}  # one tuple per pair, not one per row
        allocated: dict[int, set[tuple[str, str]]] = {}
        for practice_id, fy in allocations:
            if practice_id in typed:
                allocated.setdefault(practice_id, set()).add((ALLOCATION_ITEM, years[fy]))
        started = sorted(typed)
        rows = session.exec(
            select(MetricValue.practice_id, MetricValue.item_id, MetricValue.period_code)
            .where(*_due_figures(due, started))
            .order_by(MetricValue.practice_id)
            .execution_options(yield_per=ROWS_AT_A_TIME)
        )
        read: set[int] = set()
        for practice_id, group in groupby(rows, key=itemgetter(0)):
            recorded = set(allocated.get(practice_id, ()))
            for _, item_id, code in group:
                if (pair := canonical.get((item_id, code))) is not None:
                    recorded.add(pair)
            read.add(practice_id)
            if _complete(sections, recorded):
                complete.add(practice_id)
        for practice_id in typed - read:  # an allocation typed, no figure
            if _complete(sections, allocated.get(practice_id, set())):
                complete.add(practice_id)
    return {
        practice_id: _LiveAnswers(practice_id in complete, practice_id in typed)
        for practice_id in practice_ids
    }


ROWS_AT_A_TIME = 2_000
"""Rows read at once where a query reads every practice's figures (a server-side cursor
on PostgreSQL): the live figures here, the returns' in `icb_views`."""


def _periods_needing(
    section_due: list[tuple[Item, Period]], recorded: Callable[[Item, Period], bool]
) -> list[Period]:
    """The periods of one section's due pairs that still need something: none of their
    items recorded, or a required one missing. Oldest first, longest first on a tie."""
    periods = sorted({p for _, p in section_due}, key=lambda p: (p.start, -p.end.toordinal()))
    needing = []
    for period in periods:
        here = [item for item, p in section_due if p == period]
        if not any(recorded(item, period) for item in here) or any(
            item.required and not recorded(item, period) for item in here
        ):
            needing.append(period)
    return needing


def _due_by_section(
    template: ChecklistTemplate, due: list[tuple[Item, Period]]
) -> list[list[tuple[Item, Period]]]:
    """The due (item, period) pairs of each section of the task list, in its order."""
    return [[(i, p) for i, p in due if i.section == section.id] for section in template.sections]


def _complete(sections: list[list[tuple[Item, Period]]], recorded: set[tuple[str, str]]) -> bool:
    """Every section of the task list is completed (see `task_list`), given the (item id,
    period code) pairs the practice has `recorded` (`_due_by_section`'s sections)."""

    def has(item: Item, due_period: Period) -> bool:
        return (item.id, due_period.code) in recorded

    return all(not _periods_needing(section_due, has) for section_due in sections)


def counted_practices(
    session: Session, collection: Collection, practices: Iterable[PracticeLike]
) -> list[PracticeLike]:
    """The practices a collection asks: those open when it opened, and any practice that
    answered it (a practice that closed later keeps its return)."""
    practices = list(practices)
    answered = set(
        session.exec(
            select(PracticeReturn.practice_id).where(PracticeReturn.collection_id == collection.id)
        ).all()
    )
    return [p for p in practices if p.open_on(collection.opens_on) or p.id in answered]


def return_states(
    session: Session,
    collection: Collection,
    practices: Iterable[PracticeLike],
    *,
    template: ChecklistTemplate,
) -> dict[int, str]:
    """Practice id → its return's state for one collection: the one rule every page
    (the practice's returns, the ICB's collection and completeness) shows.

    Submitted: the return is submitted. Withdrawn: it was submitted, then withdrawn (and
    not submitted again). Otherwise from the live records: Ready to submit when every
    task of the task list is completed (each required item and at least one item of each
    period answered); In progress when the practice has recorded some of it; Not started
    when it has recorded none of it itself (figures an import filled do not start it).
    """
    practice_ids = [p.id for p in practices]
    statuses = _return_statuses(session, collection)
    sent = {ReturnStatus.SUBMITTED: SUBMITTED, ReturnStatus.WITHDRAWN: WITHDRAWN}
    # A submitted or withdrawn return decides the state: only the others' records are read.
    unsent = [i for i in practice_ids if statuses.get(i) not in sent]
    period = collection_period(collection)
    answers = _live_answers(session, template, period, unsent)
    nothing = _LiveAnswers(complete=False, typed=False)
    states: dict[int, str] = {}
    for practice_id in practice_ids:
        live = answers.get(practice_id, nothing)
        if (status := statuses.get(practice_id)) in sent:
            states[practice_id] = sent[status]
        elif not live.typed:
            states[practice_id] = NOT_STARTED
        elif live.complete:
            states[practice_id] = READY
        else:
            states[practice_id] = IN_PROGRESS
    return states


def submitted_returns(session: Session, collection: Collection) -> list[PracticeReturn]:
    """The returns the ICB may see for a collection: submitted ones only."""
    return list(
        session.exec(
            select(PracticeReturn)
            .where(
                PracticeReturn.collection_id == collection.id,
                PracticeReturn.status == ReturnStatus.SUBMITTED,
            )
            .order_by(PracticeReturn.practice_id)
        ).all()
    )


# Collection status ----------------------------------------------------------------------


class CollectionStatus(Enum):
    NOT_YET_OPEN = "Not yet open"
    OPEN = "Open"
    CLOSED = "Closed"

    @property
    def colour(self) -> str:
        return {"Not yet open": "grey", "Open": "green", "Closed": "red"}[self.value]


def collection_status(collection: Collection, today: date) -> CollectionStatus:
    if collection.closed_at is not None:
        return CollectionStatus.CLOSED
    if today < collection.opens_on:
        return CollectionStatus.NOT_YET_OPEN
    return CollectionStatus.OPEN


def refusal(collection: Collection, today: date) -> str | None:
    """Why a practice cannot submit or withdraw today, or None when it can."""
    if collection.closed_at is not None:
        return (
            f"The ICB has closed “{collection.name}”, so it no longer accepts "
            "submissions or withdrawals."
        )
    if today < collection.opens_on:
        return f"“{collection.name}” opens on {long_date(collection.opens_on)}."
    if today > collection.due_on:
        return (
            f"The due date for “{collection.name}” was {long_date(collection.due_on)}, so it "
            "no longer accepts submissions or withdrawals. Contact your ICB if you still "
            "want to send figures."
        )
    return None


def practice_return(
    session: Session, collection: Collection, practice_id: int
) -> PracticeReturn | None:
    return session.exec(
        select(PracticeReturn).where(
            PracticeReturn.collection_id == collection.id,
            PracticeReturn.practice_id == practice_id,
        )
    ).first()


# The practice's task list -------------------------------------------------------------


class TaskStatus(Enum):
    NOT_STARTED = "Not started"
    IN_PROGRESS = "In progress"
    COMPLETED = "Completed"


@dataclass(frozen=True)
class SectionTask:
    section: Section
    status: TaskStatus
    period: Period  # where to go next: the first period that still needs something
    recorded: int
    due: int


def live_values(
    session: Session, practice_id: int, periods: Iterable[Period]
) -> dict[str, dict[str, Recorded]]:
    """Period code → the practice's live recorded values for that period."""
    return {p.code: recorded_values(session, practice_id, p) for p in periods}


def _recorded(values: dict[str, dict[str, Recorded]], item: Item, period: Period) -> bool:
    value = values.get(period.code, {}).get(item.id)
    return value is not None and (value.number is not None or bool(value.text))


def task_list(
    session: Session, *, collection: Collection, practice_id: int, template: ChecklistTemplate
) -> list[SectionTask]:
    """One task per template section with items due in the collection's period.

    A period of a section still needs something when none of its due items is recorded
    or a required one is missing. Completed: no period needs anything. In progress:
    something is recorded. Not started: nothing is.
    """
    due = items_due(template, collection_period(collection))
    values = live_values(session, practice_id, due_periods(template, collection_period(collection)))
    tasks = []
    for section in template.sections:
        in_section = [(item, period) for item, period in due if item.section == section.id]
        if not in_section:
            continue
        periods = sorted({p for _, p in in_section}, key=lambda p: (p.start, -p.end.toordinal()))

        def recorded(item: Item, period: Period) -> bool:
            return _recorded(values, item, period)

        needing = _periods_needing(in_section, recorded)
        count = sum(1 for item, p in in_section if recorded(item, p))
        if count == 0:
            status = TaskStatus.NOT_STARTED
        elif needing:
            status = TaskStatus.IN_PROGRESS
        else:
            status = TaskStatus.COMPLETED
        tasks.append(SectionTask(section, status, (needing or periods)[0], count, len(in_section)))
    return tasks


# Review ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewValue:
    item: Item
    period: Period
    number: float | None
    text: str | None


@dataclass(frozen=True)
class ReviewPeriod:
    period: Period
    values: list[ReviewValue]


@dataclass(frozen=True)
class ReviewSection:
    section: Section
    periods: list[ReviewPeriod]


def values_to_send(
    session: Session, *, collection: Collection, practice_id: int, template: ChecklistTemplate
) -> list[ReviewValue]:
    """Every due value the practice has recorded, in template order."""
    period = collection_period(collection)
    values = live_values(session, practice_id, due_periods(template, period))
    sent = []
    for item, due_period in items_due(template, period):
        if _recorded(values, item, due_period):
            value = values[due_period.code][item.id]
            sent.append(ReviewValue(item, due_period, value.number, value.text))
    return sent


def review(
    session: Session, *, collection: Collection, practice_id: int, template: ChecklistTemplate
) -> list[ReviewSection]:
    """The values to send grouped by section, then by period (oldest first)."""
    sent = values_to_send(
        session, collection=collection, practice_id=practice_id, template=template
    )
    all_periods = due_periods(template, collection_period(collection))
    sections = []
    for section in template.sections:
        in_section = [v for v in sent if v.item.section == section.id]
        due_here = {
            p
            for item, p in items_due(template, collection_period(collection))
            if item.section == section.id
        }
        if not due_here:
            continue
        periods = [
            ReviewPeriod(p, [v for v in in_section if v.period == p])
            for p in all_periods
            if p in due_here
        ]
        sections.append(ReviewSection(section, periods))
    return sections


def spend_by_category(
    session: Session, *, practice_id: int, period: Period
) -> dict[str, tuple[Decimal, Decimal]]:
    """Category → (HEP-attributed spend, total cost) for spending dated in `period`."""
    totals: dict[str, tuple[Decimal, Decimal]] = {}
    rows = session.exec(
        select(SpendItem).where(
            SpendItem.practice_id == practice_id,
            SpendItem.spent_on >= period.start,
            SpendItem.spent_on <= period.end,
        )
    )
    for row in rows:
        hep, total = totals.get(row.category, (Decimal(0), Decimal(0)))
        totals[row.category] = (hep + row.hep_amount, total + row.total_cost)
    return dict(sorted(totals.items()))


# Submitting and withdrawing -------------------------------------------------------------


class ReturnRefused(Exception):
    """The practice cannot submit or withdraw now; the message says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def submit(
    session: Session,
    *,
    user: User | None,
    collection: Collection,
    practice_id: int,
    template: ChecklistTemplate,
    today: date,
    now: datetime | None = None,
) -> PracticeReturn:
    """Freeze the practice's live values into a snapshot the ICB can see.

    Resubmitting (after a withdrawal, or to send corrected figures) replaces the
    snapshot, and with it the return's figures (worked out in the same transaction when
    the snapshot's rows are flushed: `monitor.models.returns.ReturnFigure`). Raises
    ReturnRefused when the collection is closed, not open yet or past its due date, or
    when nothing is recorded. `user` is None only for demo data.
    """
    if message := refusal(collection, today):
        raise ReturnRefused(message)
    sent = values_to_send(
        session, collection=collection, practice_id=practice_id, template=template
    )
    if not sent:
        raise ReturnRefused(
            "Record at least one figure for this period before you submit the return."
        )
    now = now or utcnow()
    spend = spend_by_category(
        session, practice_id=practice_id, period=collection_period(collection)
    )
    summary = (
        f"Submitted “{collection.name}”: {len(sent)} figures and {len(spend)} spending categories"
    )
    answer = practice_return(session, collection, practice_id)
    practice = session.get(Practice, practice_id)
    submitted = {
        "pcn_id": practice.pcn_id,  # the return stays with this PCN if the practice moves
        "status": ReturnStatus.SUBMITTED,
        "submitted_at": now,
        "submitted_by_id": user.id if user else None,
        "withdrawn_at": None,
    }
    if answer is None:
        answer = records.create(
            session,
            user=user,
            record=PracticeReturn(
                collection_id=collection.id, practice_id=practice_id, **submitted
            ),
            summary=summary,
            action="submit",
            commit=False,
        )
    else:
        for model in (ReturnValue, ReturnSpend):
            for old in session.exec(select(model).where(model.return_id == answer.id)):
                session.delete(old)
        records.update_fields(
            session,
            user=user,
            record=answer,
            changes=submitted,
            expected_version=answer.version,
            summary=summary,
            action="resubmit",
            always_record=True,
            commit=False,
        )
    for value in sent:
        session.add(
            ReturnValue(
                return_id=answer.id,
                item_id=value.item.id,
                period_code=value.period.code,
                period_start=value.period.start,
                value_number=value.number,
                value_text=value.text,
                unit=value.item.type.value,
                template_version=template.version,
            )
        )
    for category, (hep, total) in spend.items():
        session.add(
            ReturnSpend(return_id=answer.id, category=category, hep_amount=hep, total_cost=total)
        )
    session.commit()
    return answer


def withdraw(
    session: Session,
    *,
    user: User,
    collection: Collection,
    practice_id: int,
    today: date,
    now: datetime | None = None,
) -> PracticeReturn:
    """Stop the ICB seeing the practice's return. The snapshot (and its figures) stays
    for the audit trail until the practice resubmits; every ICB view reads submitted
    returns only."""
    if message := refusal(collection, today):
        raise ReturnRefused(message)
    answer = practice_return(session, collection, practice_id)
    if answer is None or answer.status != ReturnStatus.SUBMITTED:
        raise ReturnRefused("There is no submitted return to withdraw.")
    return records.update_fields(
        session,
        user=user,
        record=answer,
        changes={"status": ReturnStatus.WITHDRAWN, "withdrawn_at": now or utcnow()},
        expected_version=answer.version,
        summary=f"Withdrew the return for “{collection.name}”",
        action="withdraw",
        always_record=True,
    )


# The ICB opening and closing collections ----------------------------------------------------


def period_choices(today: date) -> list[Period]:
    """Recent periods that have ended: the last four quarters and the last two years."""
    quarter = Period.latest_complete(today, Frequency.QUARTERLY)
    quarters = [quarter]
    while len(quarters) < 4:
        quarters.append(quarters[-1].previous())
    year = Period.latest_complete(today, Frequency.ANNUAL)
    return quarters + [year, year.previous()]


@dataclass(frozen=True)
class CollectionInput:
    name: str
    template: ChecklistTemplate
    period: Period
    opens_on: date
    due_on: date
    message: str


def clean_collection(
    raw: dict,
    *,
    templates: dict[str, ChecklistTemplate],
    periods: list[Period],
) -> CollectionInput:
    """Check the "open a collection" form; raises FormErrors with one message per field.

    `templates` maps the form's template value ("id:version") to the template.
    """
    check = Collector(raw)
    name = check.free_text(
        "name", label="Name", limit=120, required="Enter a name for the collection"
    )
    template = templates.get(check.text("template"))
    if template is None:
        check.add("template", "Select the template version practices will answer")
    period = {p.code: p for p in periods}.get(check.text("period"))
    if period is None:
        check.add("period", "Select the period the collection asks about")
    opens_on = check.date("opens_on", "the opening date")
    due_on = check.date("due_on", "the due date")
    if opens_on is not None and due_on is not None and due_on <= opens_on:
        check.add("due_on", "The due date must be after the opening date")
    message = check.free_text("message", label="Message", limit=2000)
    check.raise_if_any()
    return CollectionInput(name, template, period, opens_on, due_on, message)


def open_collection(
    session: Session, *, user: User, icb_id: int, data: CollectionInput
) -> Collection:
    collection = Collection(
        icb_id=icb_id,
        name=data.name,
        template_id=data.template.id,
        template_version=data.template.version,
        period_code=data.period.code,
        opens_on=data.opens_on,
        due_on=data.due_on,
        message=data.message,
        created_by_id=user.id,
    )
    return records.create(
        session,
        user=user,
        record=collection,
        summary=f"Opened the collection “{collection.name}” for {data.period.label}",
    )


def close_collection(
    session: Session, *, user: User, collection: Collection, now: datetime | None = None
) -> bool:
    """Stop new submissions. False when it was already closed."""
    if collection.closed_at is not None:
        return False
    records.update_fields(
        session,
        user=user,
        record=collection,
        changes={"closed_at": now or utcnow()},
        expected_version=collection.version,
        summary=f"Closed the collection “{collection.name}”",
        action="close",
        always_record=True,
    )
    return True
