"""The ICB's view across practices, and the PCN lead's trends.

What practices typed is read only from the frozen snapshots they chose to submit (a
`PracticeReturn` with status "submitted" and its `ReturnValue` / `ReturnSpend` rows, and
the `ReturnFigure` rows that summarise them), never from their live figures, and a
withdrawn return drops out at once. A national item (one NHS England publishes for every
practice) is different: its published figures are public, so the ICB's views of it cover
every practice of the ICB, from the publication (`visibility.published_figures`),
whether or not it submitted, with England's figures from the same publication beside
them (monitor.services.england). Every function takes the practices the signed-in user
may reach and a collection found through `monitor.services.visibility`, which only
answers for the user's own ICB.

One figure per practice per metric: a collection covers a quarter or a year, so a
monthly item arrives as several months. A practice's figure for the collection is the
**mean of the periods in its return** (for an annual item in a year's return, simply its
value), and pages say so. It is worked out once, when the return is submitted
(`ReturnFigure`), so a view of figures reads one row per practice and item, and only for
the items it shows; only the tidy table (every period of every return) reads the
snapshot's own rows. The statistics are in `monitor.analysis` (distribution, equity),
and small numbers are suppressed by the one rule in `monitor.core.small_numbers`.
"""

from __future__ import annotations

import hashlib
import math
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cached_property, lru_cache
from typing import NamedTuple

from sqlalchemy import func
from sqlmodel import Session, select

from monitor.analysis import equity
from monitor.analysis.distribution import Summary, summarise
from monitor.core.checklist import ChecklistTemplate, Direction, Item, ItemType
from monitor.core.formatting import NO_PCN, difference_format
from monitor.core.periods import Period, periods_in_year
from monitor.core.small_numbers import enough
from monitor.models import (
    Collection,
    HepAllocation,
    MetricValue,
    NationalAggregate,
    NationalImport,
    Pcn,
    Practice,
    PracticeLike,
    PracticeReturn,
    ReturnFigure,
    ReturnSpend,
    ReturnStatus,
    ReturnValue,
    Role,
    User,
)
from monitor.services import england, visibility
from monitor.services.collections import (
    IN_PROGRESS,
    NOT_STARTED,
    ROWS_AT_A_TIME,
    STATE_LABELS,
    STATES,
    SUBMITTED,
    collection_period,
    counted_practices,
    items_due,
    return_states,
)
from monitor.services.stamps import exact_sum

VALUE_RULE = (
    "Where a return holds more than one period of a metric (the months of a quarter), a "
    "practice's figure is the mean of those periods."
)


# --------------------------------------------------------------------------- snapshots


class SnapshotValue(NamedTuple):
    """One figure of a submitted return (a `ReturnValue` row read as a plain tuple: an ICB
    view reads thousands of them, and ORM objects cost several times as much to load)."""

    return_id: int
    item_id: str
    period_code: str
    period_start: date
    value_number: float | None
    value_text: str | None
    unit: str
    template_version: int


class SubmittedReturn(NamedTuple):
    """What the ICB's views use of a submitted `PracticeReturn` (read as a tuple: an
    ICB-wide view holds one per practice, and an ORM object costs several times more)."""

    id: int
    practice_id: int
    pcn_id: int | None
    submitted_at: datetime


class SnapshotSpend(NamedTuple):
    """One spending category of a submitted return (a `ReturnSpend` row, as a tuple)."""

    return_id: int
    category: str
    hep_amount: Decimal
    total_cost: Decimal


@dataclass(frozen=True)
class Submission:
    """One practice's submitted return: the snapshot the ICB may read. `values` (every
    period's figure) and `figures` (one per item) are empty when the view was loaded
    without them (see `load`)."""

    practice: PracticeLike
    pcn: Pcn
    practice_return: SubmittedReturn
    values: tuple[SnapshotValue, ...]
    spend: tuple[SnapshotSpend, ...]
    figures: tuple[PracticeFigure, ...] = ()
    """One per item: the mean of the item's periods in the snapshot (a `ReturnFigure`)."""

    @property
    def submitted_at(self) -> datetime:
        return self.practice_return.submitted_at


@dataclass(frozen=True, slots=True)  # an ICB-wide view holds one per practice and item
class PracticeFigure:
    """A practice's one figure for a metric in a collection (see the module docstring)."""

    item_id: str
    practice: PracticeLike
    pcn: Pcn
    value: float
    periods: int
    published: bool = False
    """From a national publication (every practice's), not from the practice's return."""


@dataclass(frozen=True)
class Published:
    """An item's published figures for the collection's periods: every practice's."""

    figures: list[PracticeFigure]
    publications: tuple[str, ...]  # the imports' descriptions, oldest first
    periods: tuple[str, ...]  # the period codes of the item the collection covers
    by_period: dict[int, dict[str, float]] = field(default_factory=dict)
    """Practice id → period code → its published figure."""
    datasets: tuple[str, ...] = ()  # the imports' dataset keys

    @property
    def with_figures(self) -> tuple[str, ...]:
        """The periods at least one practice has a published figure for."""
        return tuple(c for c in self.periods if any(c in v for v in self.by_period.values()))

    def over(self, period_codes: Sequence[str]) -> list[PracticeFigure]:
        """Each practice's figure over only these periods (the mean of those it has)."""
        wanted = set(period_codes)
        out = []
        for f in self.figures:
            mine = self.by_period.get(f.practice.id, {})
            values = [v for code, v in mine.items() if code in wanted]
            if values:
                out.append(replace(f, value=math.fsum(values) / len(values), periods=len(values)))
        return out


@dataclass
class CollectionData:
    """What a user may see of one collection, loaded once per request."""

    collection: Collection
    template: ChecklistTemplate
    practices: list[PracticeLike]
    pcns: dict[int | None, Pcn]
    submissions: list[Submission]
    published: dict[str, Published] = field(default_factory=dict)
    """National items (by id) with published figures for the collection's periods: their
    figures are every practice's, from the publication, not only the returns'."""

    @property
    def period(self) -> Period:
        return collection_period(self.collection)

    @cached_property
    def _returned(self) -> dict[str, list[PracticeFigure]]:
        """Item id → each submitting practice's figure for it (the mean of its periods,
        worked out when it submitted), in practice-name order."""
        out: dict[str, list[PracticeFigure]] = {}
        for submission in self.submissions:
            for figure in submission.figures:
                out.setdefault(figure.item_id, []).append(figure)
        return out

    def items(self) -> list[Item]:
        """Numeric template items that a submitted return or a publication holds, in
        template order."""
        present = set(self._returned) | set(self.published)
        return [
            item
            for item in self.template.items
            if item.id in present and item.type is not ItemType.TEXT
        ]

    def item(self, item_id: str) -> Item | None:
        return numeric_item(self.template, item_id)

    def figures(self, item: Item) -> list[PracticeFigure]:
        """Each practice's figure for the item, in practice-name order: every practice's
        published figure for a national item NHS England's data gave, else each
        submitting practice's from its return."""
        if item.id in self.published:
            return self.published[item.id].figures
        return list(self._returned.get(item.id, ()))


def numeric_item(template: ChecklistTemplate, item_id: str) -> Item | None:
    """The template's item of that id if it holds a number (the ICB's views show no text)."""
    item = template.items_by_id.get(item_id)
    if item is None or item.type is ItemType.TEXT:
        return None
    return item


def _number(value: SnapshotValue) -> float | None:
    number = value.value_number
    if number is None or not math.isfinite(number):
        return None
    return float(number)


def load(
    session: Session,
    *,
    user: User,
    collection: Collection,
    template: ChecklistTemplate,
    figures: bool = True,
    items: Iterable[str] | None = None,
    snapshot: bool = True,
) -> CollectionData:
    """The collection's submitted returns from the practices `user` may reach, with their
    spending and as much of their figures as a page shows:

    - `figures`: each return's figure for each item and every practice's published
      figures for the national items (False for completeness and the spending mix, which
      show none);
    - `items`: only these items' figures (a page about one item reads no others);
    - `snapshot`: each return's period-by-period values too (the tidy table)."""
    practices = counted_practices(session, collection, visibility.practice_rows(session, user))
    pcns = pcn_groups(session, user, practices, icb_id=collection.icb_id)
    period = collection_period(collection)
    wanted = None if items is None else frozenset(items)
    return CollectionData(
        collection=collection,
        template=template,
        practices=practices,
        pcns=pcns,
        submissions=submitted(
            session, collection, practices, pcns, figures=figures, items=wanted, snapshot=snapshot
        ),
        published=(
            published(session, user, template, period, practices, pcns, items=wanted)
            if figures
            else {}
        ),
    )


def covered_periods(item: Item, period: Period) -> list[Period]:
    """The periods of the item's frequency that a collection's period covers."""
    found = []
    for fy in range(period.start.year - 1, period.end.year + 1):
        for candidate in periods_in_year(fy, item.frequency):
            if period.start <= candidate.start and candidate.end <= period.end:
                found.append(candidate)
    return found


def published(
    session: Session,
    user: User,
    template: ChecklistTemplate,
    period: Period,
    practices: Sequence[PracticeLike],
    pcns: dict[int | None, Pcn],
    *,
    items: frozenset[str] | None = None,
) -> dict[str, Published]:
    """Every practice's published figures for the template's national items (with
    `items`, those of them only) over the period (each practice's mean of its periods, as
    for returns)."""
    wanted = {
        item.id: [p.code for p in covered_periods(item, period)]
        for item in template.items
        if item.national is not None
        and item.type is not ItemType.TEXT
        and (items is None or item.id in items)
    }
    if not wanted:
        return {}
    codes = sorted({code for found in wanted.values() for code in found})
    rows = visibility.published_figures(
        session, user, item_ids=list(wanted), period_codes=codes,
        practice_ids=[p.id for p in practices],
    )  # fmt: skip
    by_item: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    by_period: dict[str, dict[int, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    imports: dict[str, set[int]] = defaultdict(set)
    for practice_id, item_id, code, value, import_id in rows:
        if code in wanted[item_id] and value is not None and math.isfinite(value):
            by_item[item_id][practice_id].append(value)
            by_period[item_id][practice_id][code] = value
            if import_id is not None:
                imports[item_id].add(import_id)
    if not by_item:
        return {}
    found = {
        i: (description, dataset)
        for i, description, dataset in session.exec(
            select(NationalImport.id, NationalImport.description, NationalImport.dataset).where(
                NationalImport.id.in_(sorted(set().union(*imports.values())) or [0])
            )
        ).all()
    }
    descriptions = {i: d for i, (d, _) in found.items()}
    out = {}
    for item_id, values in by_item.items():
        figures = [
            PracticeFigure(
                item_id,
                practice,
                pcns.get(practice.pcn_id) or no_pcn_group(practice.icb_id),
                math.fsum(values[practice.id]) / len(values[practice.id]),
                len(values[practice.id]),
                published=True,
            )
            for practice in sorted(practices, key=lambda p: (p.name, p.ods_code))
            if values.get(practice.id)
        ]
        out[item_id] = Published(
            figures,
            tuple(descriptions[i] for i in sorted(imports[item_id]) if i in descriptions),
            tuple(wanted[item_id]),
            by_period={k: dict(v) for k, v in by_period[item_id].items()},
            datasets=tuple(
                dict.fromkeys(found[i][1] for i in sorted(imports[item_id]) if i in found)
            ),
        )
    return out


def no_pcn_group(icb_id: int) -> Pcn:
    """The group of practices NHS England lists in no PCN: a Pcn never stored, with no id,
    so `practice.pcn_id` (None) finds it like any other PCN."""
    return Pcn(id=None, code="U", name=NO_PCN, icb_id=icb_id)


def pcn_groups(
    session: Session, user: User, practices: Sequence[PracticeLike], *, icb_id: int
) -> dict[int | None, Pcn]:
    """The PCNs the practices are grouped by, with the no-PCN group when one is in none."""
    pcns: dict[int | None, Pcn] = {p.id: p for p in visibility.visible_pcns(session, user)}
    if any(p.pcn_id is None for p in practices):
        pcns[None] = no_pcn_group(icb_id)
    return pcns


def _pcn_or_none_group(session: Session, pcn_id: int | None, icb_id: int) -> Pcn:
    """A return's PCN when the practice has moved out of every PCN the user sees."""
    pcn = session.get(Pcn, pcn_id) if pcn_id is not None else None
    return pcn or no_pcn_group(icb_id)


def submitted(
    session: Session,
    collection: Collection,
    practices: Sequence[PracticeLike],
    pcns: dict[int | None, Pcn],
    *,
    figures: bool = True,
    items: frozenset[str] | None = None,
    snapshot: bool = True,
) -> list[Submission]:
    """Submitted returns (never withdrawn ones) of `practices` to `collection`, with their
    spending; their figures per item (`figures`: all, or only `items`'), and their
    period-by-period values (`snapshot`)."""
    by_id = {p.id: p for p in practices}
    if not by_id:
        return []
    returns = [
        SubmittedReturn._make(row)
        for row in session.exec(
            select(*(getattr(PracticeReturn, name) for name in SubmittedReturn._fields)).where(
                PracticeReturn.collection_id == collection.id,
                PracticeReturn.status == ReturnStatus.SUBMITTED,
                PracticeReturn.practice_id.in_(list(by_id)),
            )
        )
    ]
    if not returns:
        return []
    ids = [r.id for r in returns]
    values: dict[int, list[SnapshotValue]] = defaultdict(list)
    if snapshot:
        for row in session.exec(
            select(*(getattr(ReturnValue, name) for name in SnapshotValue._fields))
            .where(ReturnValue.return_id.in_(ids))
            .order_by(ReturnValue.item_id, ReturnValue.period_start)
        ):
            values[row[0]].append(SnapshotValue._make(row))
    groups = {r.id: pcns.get(r.pcn_id) or _pcn_or_none_group(session, r.pcn_id, collection.icb_id)
              for r in returns}  # fmt: skip
    owners = {r.id: by_id[r.practice_id] for r in returns}
    per_item: dict[int, list[PracticeFigure]] = defaultdict(list)
    if figures and (items is None or items):
        query = (
            select(
                ReturnFigure.return_id,
                ReturnFigure.item_id,
                ReturnFigure.value,
                ReturnFigure.periods,
            )
            .where(ReturnFigure.return_id.in_(ids))
            .execution_options(yield_per=ROWS_AT_A_TIME)  # not every row's Row at once
        )
        if items is not None:
            query = query.where(ReturnFigure.item_id.in_(sorted(items)))
        for return_id, item_id, value, periods in session.exec(query):
            per_item[return_id].append(
                PracticeFigure(
                    sys.intern(item_id), owners[return_id], groups[return_id], value, periods
                )  # one string per item id, not one per row
            )
    spend: dict[int, list[SnapshotSpend]] = defaultdict(list)
    for row in session.exec(
        select(*(getattr(ReturnSpend, name) for name in SnapshotSpend._fields))
        .where(ReturnSpend.return_id.in_(ids))
        .order_by(ReturnSpend.category)
    ):
        return_id, category, hep_amount, total_cost = row
        spend[return_id].append(
            SnapshotSpend(return_id, sys.intern(category), hep_amount, total_cost)
        )
    out = [
        Submission(
            practice=owners[r.id],
            pcn=groups[r.id],
            practice_return=r,
            values=tuple(values[r.id]),
            spend=tuple(spend[r.id]),
            figures=tuple(per_item[r.id]),
        )
        for r in returns
    ]
    out.sort(key=lambda s: (s.practice.name, s.practice.ods_code))
    return out


STAMP_FORMAT = 1
"""Bumped when `collection_stamp` reads something new, so no key made before matches."""


def collection_stamp(
    session: Session, user: User, collection: Collection, template: ChecklistTemplate
) -> str:
    """A digest of everything the collection's ICB views read, for keying their cached
    pages and charts without loading the collection: the collection; the practices `user`
    reaches (each one's name, ODS code, PCN, list size, deprivation and status) and their
    PCNs; the collection's returns by status (how many, whose, their PCNs and versions,
    the latest submission and withdrawal); the submitted returns' figures and spending
    (how many, their sums, the latest row: a resubmission writes new rows); and for a
    template with national items, the reached practices' published figures and HEP
    allocations and the ICB's imports (England's figures beside them come from those).

    A few queries, the practices' rows hashed once: computed once per request, it keys
    the page and each of its charts. Any change to what a view shows changes one of
    these, including a value changed by hand in SQL (the sums)."""
    # Core statements on the session's connection: plain rows, no ORM bookkeeping (this
    # runs once per page and once per chart).
    run = session.connection().execute
    reached = select(Practice.id).where(visibility.practice_filter(user))
    practices = run(
        select(
            Practice.id,
            Practice.ods_code,
            Practice.name,
            Practice.pcn_id,
            Pcn.code,
            Pcn.name,
            Practice.list_size,
            Practice.imd_decile,
            Practice.imd_score,
            Practice.status,
            Practice.closed_on,
        )
        .outerjoin(Pcn, Pcn.id == Practice.pcn_id)
        .where(visibility.practice_filter(user))
        .order_by(Practice.id)
    ).all()
    returns = run(
        select(
            PracticeReturn.status,
            func.count(),
            func.sum(PracticeReturn.id),
            func.sum(PracticeReturn.practice_id),
            func.sum(func.coalesce(PracticeReturn.pcn_id, 0)),
            func.sum(PracticeReturn.version),
            func.max(PracticeReturn.submitted_at),
            func.max(PracticeReturn.withdrawn_at),
        )
        .where(PracticeReturn.collection_id == collection.id)
        .group_by(PracticeReturn.status)
        .order_by(PracticeReturn.status)
    ).all()
    of_submitted = select(PracticeReturn.id).where(
        PracticeReturn.collection_id == collection.id,
        PracticeReturn.status == ReturnStatus.SUBMITTED,
    )
    figures = run(
        select(
            func.count(),
            func.sum(ReturnFigure.id),
            func.max(ReturnFigure.id),
            exact_sum(ReturnFigure.value),
            func.sum(ReturnFigure.periods),
        ).where(ReturnFigure.return_id.in_(of_submitted))
    ).one()
    spend = run(
        select(
            func.count(),
            func.max(ReturnSpend.id),
            func.sum(ReturnSpend.hep_amount),
            func.sum(ReturnSpend.total_cost),
        ).where(ReturnSpend.return_id.in_(of_submitted))
    ).one()
    published: tuple = ()
    national = [item.id for item in template.items if item.national is not None]
    if national:
        values = run(
            select(
                func.count(),
                func.sum(MetricValue.id),
                func.sum(MetricValue.version),
                func.max(MetricValue.updated_at),
                exact_sum(MetricValue.value_number),
                exact_sum(MetricValue.published_number),
            ).where(MetricValue.item_id.in_(national), MetricValue.practice_id.in_(reached))
        ).one()
        allocations = run(
            select(
                func.count(),
                func.sum(HepAllocation.version),
                func.max(HepAllocation.updated_at),
                func.sum(HepAllocation.amount),
                func.sum(HepAllocation.published_amount),
            ).where(HepAllocation.practice_id.in_(reached))
        ).one()
        imports = run(
            select(
                func.count(),
                func.sum(NationalImport.version),
                func.max(NationalImport.id),
                func.max(NationalImport.finished_at),
                func.max(NationalImport.undone_at),
            ).where(NationalImport.icb_id == collection.icb_id)
        ).one()
        published = (tuple(values), tuple(allocations), tuple(imports))
    found = (
        STAMP_FORMAT,
        collection.id,
        collection.version,
        collection.name,
        collection.period_code,
        collection.opens_on,
        collection.template_id,
        collection.template_version,
        tuple(tuple(row) for row in practices),
        tuple(tuple(row) for row in returns),
        tuple(figures),
        tuple(spend),
        published,
    )
    return hashlib.blake2b(repr(found).encode(), digest_size=16).hexdigest()


def live_stamp(
    session: Session, user: User, collection: Collection, template: ChecklistTemplate
) -> str:
    """A digest of the live records completeness reads beside `collection_stamp`'s rows
    (each practice's state and when it last changed): the reached practices' figures of
    the items and periods the collection asks for, and their HEP allocations, as one
    aggregate row each (how many, whose, their versions, latest edit, sums, how many an
    import filled or a practice overrode). Every edit increments a record's version and
    sets `updated_at` (services/records.py); the sums catch a value changed in SQL."""
    run = session.connection().execute  # plain rows, as in collection_stamp
    reached = select(Practice.id).where(visibility.practice_filter(user))
    due = items_due(template, collection_period(collection))
    item_ids = sorted({item.id for item, _ in due})
    codes = sorted({period.code for _, period in due})
    figures: tuple = ()
    if item_ids:
        figures = tuple(
            run(
                select(
                    func.count(),
                    func.sum(MetricValue.id),
                    func.sum(MetricValue.practice_id),
                    func.sum(MetricValue.version),
                    func.max(MetricValue.updated_at),
                    exact_sum(MetricValue.value_number),
                    func.sum(func.length(MetricValue.value_text)),
                    func.count(MetricValue.import_id),
                    func.count(MetricValue.override_reason),
                ).where(
                    MetricValue.practice_id.in_(reached),
                    MetricValue.item_id.in_(item_ids),
                    MetricValue.period_code.in_(codes),
                )
            ).one()
        )
    allocations = run(
        select(
            func.count(),
            func.sum(HepAllocation.id),
            func.sum(HepAllocation.version),
            func.max(HepAllocation.updated_at),
            func.sum(HepAllocation.amount),
            func.count(HepAllocation.import_id),
            func.count(HepAllocation.override_reason),
        ).where(HepAllocation.practice_id.in_(reached))
    ).one()
    found = (STAMP_FORMAT, figures, tuple(allocations))
    return hashlib.blake2b(repr(found).encode(), digest_size=16).hexdigest()


# --------------------------------------------------------------------------- completeness


def practice_states(
    session: Session,
    collection: Collection,
    practices: Sequence[PracticeLike],
    template: ChecklistTemplate,
) -> dict[int, str]:
    """Each practice's return state (collections.return_states decides it: submitted,
    ready to submit, in progress, not started or withdrawn)."""
    states = return_states(session, collection, practices, template=template)
    return {p.id: states.get(p.id, NOT_STARTED) for p in practices}


@dataclass(frozen=True)
class StateCounts:
    """Practices in each return state; the fields follow collections.STATES."""

    submitted: int = 0
    ready_to_submit: int = 0
    in_progress: int = 0
    not_started: int = 0
    withdrawn: int = 0

    @property
    def total(self) -> int:
        return (
            self.submitted
            + self.ready_to_submit
            + self.in_progress
            + self.not_started
            + self.withdrawn
        )

    def of_state(self, state: str) -> int:
        return getattr(self, _COUNT_FIELDS[state])

    @property
    def submitted_pct(self) -> float | None:
        return self.submitted / self.total * 100 if self.total else None

    @classmethod
    def of(cls, states: Iterable[str]) -> StateCounts:
        states = list(states)
        return cls(*(states.count(state) for state in STATES))


_COUNT_FIELDS = dict(
    zip(
        STATES,
        ("submitted", "ready_to_submit", "in_progress", "not_started", "withdrawn"),
        strict=True,
    )
)


@dataclass(frozen=True)
class PracticeState:
    practice: PracticeLike
    state: str
    submitted_at: datetime | None
    pcn: Pcn | None = None
    last_changed: datetime | None = None

    @property
    def label(self) -> str:
        return STATE_LABELS[self.state]


@dataclass(frozen=True)
class PcnCompleteness:
    pcn: Pcn
    counts: StateCounts
    practices: list[PracticeState]


@dataclass(frozen=True)
class Completeness:
    """Counts cover every practice; `by_pcn[].practices` only those `shown` picks."""

    counts: StateCounts
    by_pcn: list[PcnCompleteness]
    states: tuple[str, ...] = STATES  # the order pages list them in
    shown: frozenset[str] = frozenset()  # the statuses filtered on; empty: every one

    @property
    def rows(self) -> list[PracticeState]:
        return [row for group in self.by_pcn for row in group.practices]

    @property
    def filter_label(self) -> str:
        """The filter in words, for a page heading or an export's "Filter applied"."""
        if not self.shown:
            return "All statuses"
        return "Status: " + ", ".join(STATE_LABELS[s] for s in self.states if s in self.shown)


STATUS_FILTER_ERROR = "Select statuses from the list: " + ", ".join(STATE_LABELS[s] for s in STATES)


def status_filter(values: Iterable[str]) -> tuple[frozenset[str], str | None]:
    """The statuses asked for (collections.STATES codes), or the field's error message
    when one is not a status: an unknown status is the asker's mistake, not ours."""
    chosen = {value.strip() for value in values if value.strip()}
    if chosen - set(STATES):
        return frozenset(), STATUS_FILTER_ERROR
    return frozenset(chosen), None


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def last_changed(
    session: Session,
    collection: Collection,
    practices: Sequence[PracticeLike],
    template: ChecklistTemplate,
) -> dict[int, datetime]:
    """Practice id → when its return last changed: when it was submitted or withdrawn,
    or (no return sent) when the practice last recorded a figure the return asks for.
    Figures an import filled are not the practice's changes (as in return_states)."""
    ids = [p.id for p in practices]
    if not ids:
        return {}
    out: dict[int, datetime] = {}
    returns = session.exec(
        select(
            PracticeReturn.practice_id, PracticeReturn.submitted_at, PracticeReturn.withdrawn_at
        ).where(PracticeReturn.collection_id == collection.id, PracticeReturn.practice_id.in_(ids))
    )
    for practice_id, submitted_at, withdrawn_at in returns:
        out[practice_id] = _aware(max(t for t in (submitted_at, withdrawn_at) if t is not None))
    pairs = {(item.id, p.code) for item, p in items_due(template, collection_period(collection))}
    if not pairs:
        return out
    live = session.exec(
        select(
            MetricValue.practice_id,
            MetricValue.item_id,
            MetricValue.period_code,
            MetricValue.updated_at,
            MetricValue.import_id,
            MetricValue.override_reason,
        ).where(
            MetricValue.practice_id.in_(ids),
            MetricValue.item_id.in_({item_id for item_id, _ in pairs}),
            MetricValue.period_code.in_({code for _, code in pairs}),
        )
    )
    for practice_id, item_id, code, updated_at, import_id, reason in live:
        if (item_id, code) not in pairs or (import_id is not None and reason is None):
            continue
        if practice_id in out and out[practice_id] >= _aware(updated_at):
            continue
        out[practice_id] = _aware(updated_at)
    return out


def completeness(
    data: CollectionData,
    states: dict[int, str],
    *,
    shown: frozenset[str] = frozenset(),
    changed: dict[int, datetime] | None = None,
) -> Completeness:
    """Every practice's state, by PCN; `shown` (status_filter) narrows the practice
    lists, never the counts; `changed` (last_changed) gives each row its time."""
    submitted_at = {s.practice.id: s.submitted_at for s in data.submissions}
    changed = changed or {}
    rows: dict[int, list[PracticeState]] = defaultdict(list)
    for practice in data.practices:
        state = states.get(practice.id, NOT_STARTED)
        # A submitted state always has its snapshot; trust the snapshot over the label.
        if state == SUBMITTED and practice.id not in submitted_at:
            state = IN_PROGRESS
        rows[practice.pcn_id].append(
            PracticeState(
                practice,
                state,
                submitted_at.get(practice.id) if state == SUBMITTED else None,
                pcn=data.pcns.get(practice.pcn_id),
                last_changed=changed.get(practice.id),
            )
        )
    pcns = [pcn for pcn in sorted(data.pcns.values(), key=lambda p: p.name) if rows[pcn.id]]
    every = [r.state for pcn in pcns for r in rows[pcn.id]]
    by_pcn = [
        PcnCompleteness(
            pcn,
            StateCounts.of(r.state for r in rows[pcn.id]),
            [r for r in rows[pcn.id] if not shown or r.state in shown],
        )
        for pcn in pcns
    ]
    return Completeness(StateCounts.of(every), by_pcn, shown=shown)


COMPLETENESS_HEADER = (
    "Practice",
    "ODS code",
    "PCN",
    "Status",
    "Last changed (UK time)",
    "Filter applied",
)


# --------------------------------------------------------------------------- distributions


@dataclass(frozen=True)
class MetricSummary:
    item: Item
    summary: Summary


def metric_index(data: CollectionData) -> list[MetricSummary]:
    return [
        MetricSummary(item, summarise([f.value for f in data.figures(item)]))
        for item in data.items()
    ]


@dataclass(frozen=True)
class RankedFigure:
    rank: int
    figure: PracticeFigure


@dataclass(frozen=True)
class PcnSummary:
    pcn: Pcn
    summary: Summary
    practices_in_pcn: int


@dataclass(frozen=True)
class Distribution:
    item: Item
    summary: Summary
    ranked: list[RankedFigure]
    by_pcn: list[PcnSummary]
    several_periods: bool
    published: Published | None = None
    """Set when the figures are every practice's, from a publication."""
    england: england.EnglandFigures | None = None
    """England's figures for the same item and periods, from the same publication."""


def distribution(
    data: CollectionData, item: Item, *, session: Session | None = None
) -> Distribution:
    """Practices ranked (1 = highest figure), the ICB summary and the PCN medians; with
    `session`, England's for a national item beside them."""
    view = _distribution(data, item)
    published = data.published.get(item.id)
    if published is None:
        return view
    beside = None
    if session is not None:
        beside = england.figures(session, data.collection.icb_id, item, list(published.periods))
    return replace(view, published=published, england=beside)


def _distribution(data: CollectionData, item: Item) -> Distribution:
    """Practices ranked (1 = highest figure), the ICB summary and the PCN medians."""
    figures = data.figures(item)
    ordered = sorted(figures, key=lambda f: (-f.value, f.practice.name))
    members: dict[int, int] = defaultdict(int)
    for practice in data.practices:
        members[practice.pcn_id] += 1
    by_pcn_id: dict[int | None, list[float]] = defaultdict(list)
    for f in figures:
        by_pcn_id[f.pcn.id].append(f.value)
    by_pcn = [
        PcnSummary(pcn, summarise(by_pcn_id.get(pcn.id, [])), members[pcn.id])
        for pcn in sorted(data.pcns.values(), key=lambda p: p.name)
        if members[pcn.id]
    ]
    return Distribution(
        item=item,
        summary=summarise([f.value for f in figures]),
        ranked=[RankedFigure(n, f) for n, f in enumerate(ordered, start=1)],
        by_pcn=by_pcn,
        several_periods=any(f.periods > 1 for f in figures),
    )


# --------------------------------------------------------------------------- equity
# One method for the ICB's practices and England's (monitor.analysis.equity.
# practices_slope_index, which monitor.services.england uses too): ranked by IMD score,
# weighted by list size, a count as a rate per 1,000 registered patients with PHE's
# simulated interval, any other figure with the regression residuals' interval. A person
# may choose the residuals' interval for the rates too, or PHE's log of each rate
# (EquityOptions); England's SII beside the ICB's is then taken again by the same method.

PER_PERIOD = {"monthly": "a month", "quarterly": "a quarter", "annual": "a year"}

CI_CHOICES = {
    "simulation": "PHE simulation (default)",
    "regression": "Regression residuals",
}
"""The confidence interval methods the equity page offers, as its radios read."""
TRANSFORM = "log"
"""The query argument's value asking for PHE's log of each rate."""


def transformable(item: Item) -> bool:
    """Whether PHE's simulation and its transform apply to the item as the equity lens
    compares it: a count, as a rate per 1,000 registered patients with PHE's limits of each
    practice's rate (the log). No other figure has limits of its own here (a percentage
    is published without its numerator and denominator), so PHE's logit of a proportion
    never applies, and those figures always have the regression residuals' interval."""
    return item.type is ItemType.COUNT


@dataclass(frozen=True)
class EquityOptions:
    """How the equity page works each slope index's interval out, as a person chose it
    (already checked: a choice that was not valid is in `errors`, and left out)."""

    ci_method: str = "simulation"
    transform: bool = False
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def default(self) -> bool:
        return self.ci_method == "simulation" and not self.transform

    def args(self) -> dict[str, str]:
        """The query arguments asking for these options (none for the default): for the
        links to each chart, so the chart is of the same view as the words beside it."""
        out = {}
        if self.ci_method != "simulation":
            out["ci"] = self.ci_method
        if self.transform:
            out["transform"] = TRANSFORM
        return out

    def method(self, item: Item) -> tuple[str | None, bool]:
        """(ci_method, transform) of the item's slope index: a count's rates as chosen;
        any other figure by the regression residuals (None: the only interval it has)."""
        if not transformable(item):
            return None, False
        return self.ci_method, self.transform


DEFAULT_OPTIONS = EquityOptions()


def equity_options(args, *, items: Sequence[Item]) -> EquityOptions:
    """Read the equity page's options (`ci`, `transform`) from query arguments (a
    MultiDict); invalid ones are reported and ignored."""
    errors: dict[str, str] = {}
    ci_method = args.get("ci") or "simulation"
    if ci_method not in CI_CHOICES:
        errors["ci"] = "Select PHE simulation or regression residuals for the confidence interval"
        ci_method = "simulation"
    transform = False
    asked = [value for value in args.getlist("transform") if value]
    if asked:
        if any(value != TRANSFORM for value in asked):
            errors["transform"] = "Select whether to fit the log of each rate, or leave it unticked"
        elif not any(transformable(item) for item in items):
            errors["transform"] = (
                "None of these metrics is a rate, so there is nothing to transform: PHE's "
                "transform needs each practice's own confidence limits"
            )
        elif ci_method == "regression":
            errors["transform"] = (
                "Transform before fitting needs PHE's simulation method: select PHE "
                "simulation, or untick the transform"
            )
        else:
            transform = True
    return EquityOptions(ci_method, transform, errors)


def stored_method_label(item: Item) -> str:
    """How England's stored slope indices of the item (period by period, worked out once
    at each import by monitor.services.england) were worked out: the default method."""
    ci_method, transform = DEFAULT_OPTIONS.method(item)
    if ci_method is None:
        return equity.method_label("regression")
    return equity.method_label(ci_method, equity.DEFAULT_REPETITIONS, transform)


def compared_measure(item: Item) -> Item:
    """The item as the equity lens compares it across practices: a count becomes a rate
    per 1,000 registered patients (of its period: "per 1,000 registered patients a
    month"), labelled so; any other item is compared as it is."""
    if item.type is not ItemType.COUNT:
        return item
    per = f"per {equity.PER_PATIENTS:,} registered patients"
    return item.model_copy(
        update={
            "type": ItemType.NUMBER,
            "unit": f"{per} {PER_PERIOD[item.frequency.value]}",
            "label": f"{item.label} {per}",
        }
    )


def compared_slope_index(
    item: Item,
    figures: Sequence[tuple[float, PracticeLike, int]],
    options: EquityOptions = DEFAULT_OPTIONS,
):
    """The slope index of (value, practice, periods) figures of `item`, as the equity lens
    compares them (see above), by the method `options` choose."""
    ci_method, transform = options.method(item)
    return equity.practices_slope_index(
        [value for value, _, _ in figures],
        list_sizes=[p.list_size for _, p, _ in figures],
        imd_scores=[p.imd_score for _, p, _ in figures],
        imd_deciles=[p.imd_decile for _, p, _ in figures],
        counts=item.type is ItemType.COUNT,
        periods=[periods for _, _, periods in figures],
        ci_method=ci_method,  # type: ignore[arg-type]
        transform=transform,
        confidence=england.SII_CONFIDENCE,
    )


def comparable(ours: equity.SiiResult, ranked_by: str = "imd_score") -> bool:
    """Whether an SII can be set beside England's: England's practices are ranked by
    their IMD scores, so the ICB's must be too."""
    return ours.ok and ours.ranked_by == ranked_by


@dataclass(frozen=True)
class InequalityPoint:
    """The ICB's and England's slope index of inequality for an item in one period."""

    period: Period
    icb: equity.SiiResult
    england: NationalAggregate | None
    like_for_like: bool = True
    """England's stored SII is by the method the ICB's was worked out with (England's
    are stored by the default method: another choice is not compared with them)."""

    @property
    def gap(self) -> str | None:
        """ "narrower", "similar" or "wider" (the ICB's gap beside England's), or None."""
        if self.england is None or self.england.sii is None or not comparable(self.icb):
            return None
        if not self.like_for_like:
            return None
        return equity.compare_gaps(
            (self.icb.sii, self.icb.ci_lower, self.icb.ci_upper),
            (self.england.sii, self.england.sii_lower, self.england.sii_upper),
        )


@dataclass(frozen=True)
class Equity:
    item: Item
    quintiles: list[equity.QuintileSummary]
    sii: equity.SiiResult
    explanation: list[str]
    n: int
    not_known: int = 0
    """Practices left out of the SII: their deprivation or list size is not known yet."""
    published: Published | None = None
    """Set when the figures are every practice's, from a publication."""
    england: england.EnglandFigures | None = None
    """England's figures for the same item and periods, from the same publication."""
    over_time: list[InequalityPoint] = field(default_factory=list)
    measure: Item | None = None
    """The item as compared (a count per 1,000 registered patients); `item` if None."""
    matched: equity.SiiResult | None = None
    """The ICB's slope index over only the periods England's figures cover, when those
    are not all the collection's periods with figures (so the two are like for like)."""
    options: EquityOptions = DEFAULT_OPTIONS
    """The method chosen; England's SII beside the ICB's (`england.sii`) is by it too."""

    @property
    def over_time_like_for_like(self) -> bool:
        """Whether every period's England SII (stored by the default method) is by the
        ICB's method."""
        return all(point.like_for_like for point in self.over_time)

    @property
    def compared(self) -> Item:
        return self.measure or self.item

    @property
    def enough(self) -> bool:
        return enough(self.n)

    @property
    def beside_england(self) -> equity.SiiResult:
        """The ICB's slope index that is compared with England's (same periods)."""
        return self.matched or self.sii

    @property
    def gap(self) -> str | None:
        """The ICB's gap beside England's, over the same periods."""
        e = self.england.sii if self.england is not None else None
        ours = self.beside_england
        if e is None or not e.ok or not ours.ok or not comparable(ours, e.ranked_by):
            return None
        return equity.compare_gaps(
            (ours.sii, ours.ci_lower, ours.ci_upper), (e.sii, e.ci_lower, e.ci_upper)
        )


def equity_view(
    data: CollectionData,
    item: Item,
    *,
    session: Session | None = None,
    user: User | None = None,
    options: EquityOptions = DEFAULT_OPTIONS,
) -> Equity:
    """The item by deprivation, its slope index by the method `options` choose; with
    `session` and `user`, and a national item, England's figures beside the ICB's (its
    SII by the same method) and both slope indices period by period."""
    figures = data.figures(item)
    practices = [f.practice for f in figures]
    values = [f.value for f in figures]
    result = compared_slope_index(
        item, [(f.value, f.practice, f.periods) for f in figures], options
    )
    quintiles = equity.practices_by_quintile(
        values,
        list_sizes=[p.list_size for p in practices],
        imd_deciles=[p.imd_decile for p in practices],
        counts=item.type is ItemType.COUNT,
    )
    measure = compared_measure(item)
    fmt, unit = difference_format(measure)
    better = {Direction.HIGHER_BETTER: True, Direction.LOWER_BETTER: False}.get(item.direction)
    explanation = equity.explain_sii(
        result,
        format_value=fmt,
        measure_label=measure.label,
        higher_is_better=better,
        unit=unit,
    )
    not_known = result.n_missing_deprivation + result.n_no_population
    published = data.published.get(item.id)
    beside, over_time, matched = None, [], None
    if published is not None and session is not None and user is not None:
        beside = england.figures(session, data.collection.icb_id, item, list(published.periods))
        over_time = inequality_over_time(session, user, data, item, options)
        if beside is not None and set(beside.periods) != set(published.with_figures):
            same = published.over(beside.periods)
            matched = compared_slope_index(
                item, [(f.value, f.practice, f.periods) for f in same], options
            )
        beside = englands_by(beside, item, options)
    return Equity(
        item, quintiles, result, explanation, len(figures), not_known, published, beside,
        over_time, measure, matched, options,
    )  # fmt: skip


def englands_by(
    found: england.EnglandFigures | None, item: Item, options: EquityOptions
) -> england.EnglandFigures | None:
    """England's figures with their slope index by the method `options` choose: England's
    practices, kept on the default method's result, fitted again (equity.refit), so the
    ICB's and England's are always by one method."""
    chosen = options.method(item)
    if found is None or found.sii is None or chosen == DEFAULT_OPTIONS.method(item):
        return found
    ci_method, transform = chosen
    return replace(
        found,
        sii=equity.refit(found.sii, ci_method=ci_method, transform=transform),  # type: ignore[arg-type]
    )


def inequality_over_time(
    session: Session,
    user: User,
    data: CollectionData,
    item: Item,
    options: EquityOptions = DEFAULT_OPTIONS,
) -> list[InequalityPoint]:
    """The ICB's slope index (every practice's published figure, by the method `options`
    choose) beside England's stored one (by the default method: `like_for_like` says
    whether the two are by one method), for every period England's figures exist, oldest
    first."""
    stored = england.aggregates_of_item(session, data.collection.icb_id, item.id)
    if not stored:
        return []
    published = data.published.get(item.id)
    # Every period England's figures exist for, and the collection's own (England's
    # column then says none).
    codes = sorted(set(stored) | set(published.with_figures if published else ()))
    rows = visibility.published_figures(
        session, user, item_ids=[item.id], period_codes=codes,
        practice_ids=[p.id for p in data.practices],
    )  # fmt: skip
    by_id = {p.id: p for p in data.practices}
    by_period: dict[str, list[tuple[float, PracticeLike, int]]] = defaultdict(list)
    for practice_id, _, code, value, _ in rows:
        if value is not None and math.isfinite(value):
            by_period[code].append((value, by_id[practice_id], 1))
    like_for_like = options.method(item) == DEFAULT_OPTIONS.method(item)
    points = [
        InequalityPoint(
            Period.parse(code),
            compared_slope_index(item, by_period.get(code, []), options),
            stored.get(code),
            like_for_like,
        )
        for code in codes
    ]
    return sorted(points, key=lambda p: p.period)


# --------------------------------------------------------------------------- spending mix


@dataclass(frozen=True)
class CategoryShare:
    category: str
    label: str
    hep: Decimal
    total_cost: Decimal
    share_pct: float | None
    practices: int


@dataclass(frozen=True)
class PracticeSpend:
    submission: Submission
    hep_by_category: dict[str, Decimal]
    hep_total: Decimal

    def share_pct(self, category: str) -> float | None:
        """Share of the practice's HEP spend in `category`; None if it spent nothing there."""
        if not self.hep_total or category not in self.hep_by_category:
            return None
        return float(self.hep_by_category.get(category, Decimal(0)) / self.hep_total * 100)


@dataclass(frozen=True)
class SpendingMix:
    categories: list[CategoryShare]
    hep_total: Decimal
    practices: list[PracticeSpend] = field(default_factory=list)

    @property
    def category_ids(self) -> list[str]:
        return [c.category for c in self.categories]


def spending_mix(data: CollectionData) -> SpendingMix:
    """Share of HEP-attributed spend by category, overall and for each submitting practice."""
    labels = {c.id: c.label for c in data.template.spending_categories}
    order = {c.id: n for n, c in enumerate(data.template.spending_categories)}
    hep: dict[str, Decimal] = defaultdict(Decimal)
    total: dict[str, Decimal] = defaultdict(Decimal)
    count: dict[str, int] = defaultdict(int)
    practices = []
    for submission in data.submissions:
        if not submission.spend:
            continue
        mine: dict[str, Decimal] = defaultdict(Decimal)
        for row in submission.spend:
            hep[row.category] += row.hep_amount
            total[row.category] += row.total_cost
            mine[row.category] += row.hep_amount
            count[row.category] += 1
        practices.append(PracticeSpend(submission, dict(mine), sum(mine.values(), Decimal(0))))
    hep_total = sum(hep.values(), Decimal(0))
    categories = [
        CategoryShare(
            category=cat,
            label=labels.get(cat, cat),
            hep=hep[cat],
            total_cost=total[cat],
            share_pct=float(hep[cat] / hep_total * 100) if hep_total else None,
            practices=count[cat],
        )
        for cat in sorted(hep, key=lambda c: (order.get(c, len(order)), c))
    ]
    return SpendingMix(categories, hep_total, practices)


# --------------------------------------------------------------------------- tidy table


TIDY_HEADER = (
    "ODS code",
    "Practice",
    "PCN",
    "Period",
    "Period code",
    "Metric id",
    "Metric",
    "Value",
    "Unit",
    "Template version",
    "Submitted (UK time)",
)
"""The tidy table's columns, the same in the ICB workbook and returns.csv. A row's
unit is its Unit column (the rows mix metrics), beside its Value."""


@dataclass(frozen=True)
class TidyRow:
    submission: Submission
    value: SnapshotValue
    item: Item | None

    @property
    def metric_label(self) -> str:
        return self.item.label if self.item else self.value.item_id

    @property
    def period_label(self) -> str:
        return _period_label(self.value.period_code)

    @property
    def figure(self) -> float | str | None:
        number = _number(self.value)
        return number if number is not None else self.value.value_text

    @property
    def unit(self) -> str:
        return unit_label(self.item, self.value.unit)


@lru_cache(maxsize=4096)
def _period_label(code: str) -> str:
    """A period code as people say it (the code itself if it is not one)."""
    try:
        return Period.parse(code).label
    except ValueError:
        return code


def unit_label(item: Item | None, stored: str) -> str:
    """The unit a figure is in, as a column in a spreadsheet reads it."""
    kind = item.type if item else stored
    return {
        ItemType.DURATION: "seconds",
        ItemType.PERCENT: "%",
        ItemType.MONEY: "£",
        ItemType.COUNT: "count",
        ItemType.TEXT: "text",
    }.get(kind, (item.unit if item and item.unit else stored))


def tidy_rows(data: CollectionData) -> list[TidyRow]:
    """One row per practice, period and metric of every submitted return."""
    return list(iter_tidy_rows(data))


def iter_tidy_rows(data: CollectionData) -> Iterator[TidyRow]:
    """`tidy_rows` one at a time (the workbook streams them)."""
    order = {item.id: n for n, item in enumerate(data.template.items)}
    for submission in data.submissions:
        values = sorted(
            submission.values,
            key=lambda v: (order.get(v.item_id, len(order)), v.item_id, v.period_start),
        )
        for v in values:
            yield TidyRow(submission, v, data.template.items_by_id.get(v.item_id))


# --------------------------------------------------------------------------- trends
# Across collections: the PCN lead's (member practices' submitted returns) and the ICB
# analyst's (every collection's figures, as its own views have them). A collection's
# period is a quarter or a year; a trend is in the order the periods end.


@dataclass(frozen=True)
class TrendPoint:
    collection: Collection
    period: Period
    summary: Summary
    members: int
    published: bool = False
    """The figures are every practice's, from a national publication."""


@dataclass(frozen=True)
class Trend:
    item: Item
    points: list[TrendPoint]

    @property
    def medians(self) -> list[float | None]:
        return [p.summary.median for p in self.points]

    @property
    def lower_quartiles(self) -> list[float | None]:
        return [p.summary.q1 for p in self.points]

    @property
    def upper_quartiles(self) -> list[float | None]:
        return [p.summary.q3 for p in self.points]

    @property
    def plotted(self) -> int:
        """How many points have a median (enough practices for one)."""
        return sum(1 for m in self.medians if m is not None)

    @property
    def mixed_frequencies(self) -> bool:
        """Quarters and years in one trend (the ICB ran both kinds of collection)."""
        return len({p.period.frequency for p in self.points}) > 1

    @property
    def published(self) -> bool:
        return any(p.published for p in self.points)


@dataclass(frozen=True)
class PcnTrends:
    pcn: Pcn
    practices: list[PracticeLike]
    collections: list[tuple[Collection, Period, int]]  # and how many members submitted
    trends: list[Trend]


@dataclass(frozen=True)
class TrendCollection:
    collection: Collection
    period: Period
    submitted: int
    practices: int


@dataclass(frozen=True)
class IcbTrends:
    collections: list[TrendCollection]
    trends: list[Trend]


def trend_order(period: Period) -> tuple[int, int]:
    """Sort key of a trend's periods: in the order they end, so a year's collection comes
    after the quarters it spans, and after its last quarter, which ends with it."""
    return period.end.toordinal(), -period.start.toordinal()


def _collection_order(collection: Collection) -> tuple:
    return (*trend_order(collection_period(collection)), collection.opens_on, collection.id)


def _trends(loaded: Sequence[CollectionData], members: Sequence[int]) -> list[Trend]:
    """A trend for each numeric item some collection has figures for, with a point for
    each collection that asks for the item (its template has it and its period covers
    one of the item's periods: a quarter's collection asks for no annual item)."""
    latest: dict[str, Item] = {}
    order: dict[str, int] = {}
    # The newest collection's template decides labels and order.
    for data in reversed(loaded):
        for n, item in enumerate(data.template.items):
            latest.setdefault(item.id, item)
            order.setdefault(item.id, n)
    present = {item.id for data in loaded for item in data.items()}
    trends = []
    for item_id in sorted(present, key=lambda i: (order[i], i)):
        points = [
            TrendPoint(
                data.collection,
                data.period,
                summarise([f.value for f in data.figures(asked)]),
                count,
                published=item_id in data.published,
            )
            for data, count in zip(loaded, members, strict=True)
            if (asked := data.item(item_id)) is not None and covered_periods(asked, data.period)
        ]
        trends.append(Trend(latest[item_id], points))
    return trends


def pcn_trends(
    session: Session, *, user: User, templates: dict[tuple[str, int], ChecklistTemplate]
) -> PcnTrends:
    """For a PCN lead: the PCN median of each metric in each collection, from member
    practices' submitted returns only, oldest collection first."""
    pcn = visibility.led_pcn(session, user)
    if pcn is None:
        raise PermissionError("PCN trends are for a PCN lead")
    members = visibility.list_practices(session, user)
    # A return stays with the PCN it was submitted from, even after its practice moves.
    practices = members + visibility.pcn_former_members(session, user)
    pcns = {pcn.id: pcn}
    collections = sorted(visibility.pcn_collections(session, user), key=_collection_order)
    loaded = []
    for collection in collections:
        template = templates.get((collection.template_id, collection.template_version))
        if template is None:
            continue
        from_here = [
            s
            for s in submitted(session, collection, practices, pcns, snapshot=False)
            if s.practice_return.pcn_id == pcn.id
        ]
        data = CollectionData(collection, template, members, pcns, from_here)
        loaded.append(data)
    return PcnTrends(
        pcn=pcn,
        practices=members,
        collections=[(d.collection, d.period, len(d.submissions)) for d in loaded],
        trends=_trends(loaded, [len(members)] * len(loaded)),
    )


def icb_trends(
    session: Session,
    *,
    user: User,
    templates: dict[tuple[str, int], ChecklistTemplate],
    item_id: str | None = None,
) -> IcbTrends:
    """For an ICB analyst: the median and quartiles across the ICB's practices of each
    metric in each of the ICB's collections, oldest first, from each collection's
    figures as its own views have them (`load`): submitted returns, and for a national
    item every practice's published figures for the collection's periods. With
    `item_id`, that item's trend only."""
    if user.role_enum is not Role.ICB_ANALYST:
        raise PermissionError("ICB trends are for an ICB analyst")
    collections = sorted(visibility.icb_collections(session, user), key=_collection_order)
    loaded = []
    for collection in collections:
        template = templates.get((collection.template_id, collection.template_version))
        if template is not None:
            loaded.append(
                load(session, user=user, collection=collection, template=template, snapshot=False)
            )
    trends = _trends(loaded, [len(d.practices) for d in loaded])
    if item_id is not None:
        trends = [t for t in trends if t.item.id == item_id]
    return IcbTrends(
        collections=[
            TrendCollection(d.collection, d.period, len(d.submissions), len(d.practices))
            for d in loaded
        ],
        trends=trends,
    )
