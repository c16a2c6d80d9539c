"""Turn a practice's recorded figures into evidence: series with gaps, Making Data
Count SPC, a baseline before the HEP, a plain-English verdict, and peer medians.

Statistics live in monitor.analysis.spc; this module fetches the figures (scoped to one
practice, or to practices that chose to share) and words the result for a manager.

A series says where each of its values came from (`Origin`: NHS England's data or the
practice, and the template item and version it was stored under). An item that
`continues:` an earlier version's item carries that item's values on its series,
read as they are (never rewritten); where the definition changed, the series knows
the first period of the new definition, the chart says so and its limits are
recalculated from there.
"""

from __future__ import annotations

import functools
import hashlib
import statistics
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import IntEnum

from sqlalchemy import bindparam, or_
from sqlmodel import Session, func, select

from monitor.analysis import cumulative, spc
from monitor.core.checklist import (
    ChecklistTemplate,
    Direction,
    Frequency,
    Item,
    ItemType,
    Templates,
)
from monitor.core.formatting import item_value
from monitor.core.formatting import number as format_number
from monitor.core.periods import Period, financial_year_label
from monitor.core.small_numbers import enough
from monitor.models import HepAllocation, Intervention, MetricValue, NationalImport, Practice
from monitor.services.figures import Provenance
from monitor.services.stamps import exact_sum

IMPROVEMENT = {
    Direction.HIGHER_BETTER: "increase",
    Direction.LOWER_BETTER: "decrease",
    Direction.NEUTRAL: "neutral",
}
UNIT_NOUNS = {
    Frequency.MONTHLY: "months",
    Frequency.QUARTERLY: "quarters",
    Frequency.ANNUAL: "years",
}
# Peer medians need MIN_PRACTICES other practices, so no single practice can be inferred.


@dataclass(frozen=True)
class Origin:
    """Where one value of a series came from."""

    provenance: Provenance
    item_id: str
    """The item it is stored under: the series' own, or the one it continues."""
    template_version: int | None
    earlier_definition: bool = False
    """Recorded under a definition the item has since changed (see its `continues`)."""

    @property
    def imported(self) -> bool:
        return self.provenance.imported

    @property
    def text(self) -> str:
        """The Source column: "NHS England: Cloud Based Telephony, February 2026
        publication", "Entered by the practice", or "… (overrides the published value)"."""
        return self.provenance.text


@dataclass(frozen=True)
class Series:
    item: Item
    periods: list[Period]
    values: list[float | None]
    origins: tuple[Origin | None, ...] = ()
    """Aligned with `periods`; None where there is no value (or nothing is known)."""
    definition_changed_at: Period | None = None
    """The first period of the item's new definition, when the series also holds values
    of the earlier one."""
    year_to_date: tuple[float | None, ...] = ()
    """For a year-to-date item (``cumulative: year_to_date``): the running totals as
    recorded, aligned with `periods`; `values` are then each period's increment
    (monitor.analysis.cumulative), which is what is charted and judged."""

    @property
    def observed(self) -> list[tuple[Period, float]]:
        return [(p, v) for p, v in zip(self.periods, self.values, strict=True) if v is not None]

    @property
    def missing(self) -> int:
        return sum(v is None for v in self.values)

    def origin(self, n: int) -> Origin | None:
        return self.origins[n] if n < len(self.origins) else None

    @property
    def imported(self) -> list[bool]:
        """Per period: is the value NHS England's published figure?"""
        return [bool(self.origin(n) and self.origin(n).imported) for n in range(len(self.periods))]

    @property
    def period_noun(self) -> str:
        return {Frequency.MONTHLY: "month", Frequency.QUARTERLY: "quarter"}.get(
            self.item.frequency, "year"
        )

    @property
    def charted_label(self) -> str:
        """What the values are: the item's label, or its rise in each period for a
        year-to-date item ("… (rise in the quarter)")."""
        if not self.year_to_date:
            return self.item.label
        return f"{self.item.label} (rise in the {self.period_noun})"

    @property
    def cumulative_note(self) -> str | None:
        """Under the chart of a year-to-date item: what is charted instead of the total."""
        if not self.year_to_date:
            return None
        unit = self.period_noun
        return (
            f"{self.item.label} is a year-to-date total that starts again each April, so the "
            f"chart shows how much it rose in each {unit} (the {unit}'s own figure; the first "
            f"{unit} of a year is its total so far). A chart of the running total would call "
            "every year's climb a trend. The table gives both."
        )

    @property
    def definition_note(self) -> str | None:
        """ "From April 2026 the definition changed: …", or None."""
        if self.definition_changed_at is None or self.item.continues is None:
            return None
        note = " ".join(self.item.continues.note.split())
        return f"From {self.definition_changed_at.label} the definition changed: {note}"

    def source_runs(self) -> list[tuple[Period, Period, str, int]]:
        """Runs of consecutive periods whose values came from the same publication
        series: (first, last, what NHS England publication, how many publications)."""
        runs: list[list] = []
        for n, period in enumerate(self.periods):
            origin = self.origin(n)
            if origin is None or not origin.imported:
                continue
            title = _publication_title(origin.provenance.publication)
            publication = origin.provenance.publication or title
            last = runs[-1] if runs else None
            if last and last[2] == title and last[1].next() == period:
                last[1] = period
                last[3].add(publication)
            else:
                runs.append([period, period, title, {publication}])
        return [
            (first, last, title if len(names) > 1 else next(iter(names)), len(names))
            for first, last, title, names in runs
        ]

    @property
    def source_note(self) -> str | None:
        """Under the chart: which periods are NHS England's published figures, and from
        which publications; None when the practice entered every value."""
        runs = self.source_runs()
        if not runs:
            return None
        parts = []
        for first, last, what, count in runs:
            span = first.label if first == last else f"{first.label} to {last.label}"
            parts.append(f"{span}: {what}" + (f" ({count} publications)" if count > 1 else ""))
        imported = sum(self.imported)
        observed = len(self.observed)
        return (
            f"Squares are NHS England's published figures ({imported} of {observed}): "
            + "; ".join(parts)
            + ". Circles were entered by the practice."
        )


def _publication_title(description: str | None) -> str:
    """ "Cloud Based Telephony" from "Cloud Based Telephony, February 2026 publication"."""
    return (description or "NHS England data").split(",")[0].strip() or "NHS England data"


def _stored_ids(item: Item) -> list[str]:
    """The item ids whose stored values make up `item`'s series: its own, and the one it
    continues (if any)."""
    continues = item.continues
    if continues is not None and continues.item != item.id:
        return [item.id, continues.item]
    return [item.id]


# What a series needs of each stored figure: its own columns and its import's, read as
# plain tuples (hydrating ORM objects cost more than the query).
_FIGURE_COLUMNS = (
    MetricValue.item_id,
    MetricValue.period_code,
    MetricValue.value_number,
    MetricValue.template_version,
    MetricValue.import_id,
    MetricValue.override_reason,
    MetricValue.published_number,
    NationalImport.description,
    NationalImport.dataset,
)


def _figure_rows(session: Session, practice_id: int, ids: Sequence[str]) -> list:
    return session.exec(
        select(*_FIGURE_COLUMNS)
        .join(NationalImport, MetricValue.import_id == NationalImport.id, isouter=True)
        .where(
            MetricValue.practice_id == practice_id,
            MetricValue.item_id.in_(list(ids)),
            MetricValue.value_number.is_not(None),
        )
    ).all()


def _allocations(session: Session, practice_id: int) -> list[tuple[int, float]]:
    return [
        (fy, float(amount))
        for fy, amount in session.exec(
            select(HepAllocation.financial_year, HepAllocation.amount).where(
                HepAllocation.practice_id == practice_id
            )
        )
    ]


@functools.cache
def _stamp_statements():
    """`figures_stamps`' two queries, built once (their parameter is the practice)."""
    practice_id = bindparam("practice_id")
    figures = (
        select(
            MetricValue.item_id,
            func.count(MetricValue.id),
            func.sum(MetricValue.id),
            func.sum(MetricValue.version),
            func.max(MetricValue.updated_at),
            exact_sum(MetricValue.value_number),
            func.count(NationalImport.id),
            func.sum(NationalImport.version),
        )
        .join(NationalImport, MetricValue.import_id == NationalImport.id, isouter=True)
        .where(MetricValue.practice_id == practice_id)
        .group_by(MetricValue.item_id)
    )
    allocations = select(
        func.count(HepAllocation.id),
        func.sum(HepAllocation.id),
        func.sum(HepAllocation.version),
        func.max(HepAllocation.updated_at),
        func.sum(HepAllocation.amount),
    ).where(HepAllocation.practice_id == practice_id)
    return figures, allocations


@dataclass(frozen=True)
class FiguresStamp:
    """A data stamp of everything `series_for_items` reads for a practice, item by item:
    for each stored item id its figures' count, ids, versions, latest edit and total,
    and the versions of the imports they came from (which name a figure's source); and
    the same of the practice's HEP allocations. Every edit of a record increments its
    `version` and sets `updated_at` (services/records.py), a removal changes the count
    and the ids, and a new row has a new id or a later `updated_at`; the totals of the
    values catch even a write that bypassed that. So a cache keyed by an item's stamp
    (a dashboard card) is read again whenever one of its figures changes, and only
    then."""

    by_item: Mapping[str, tuple]
    allocations: tuple

    def of(self, item: Item) -> tuple:
        """The stamp of what `item`'s series reads."""
        parts = tuple(self.by_item.get(i, ()) for i in _stored_ids(item))
        return (*parts, self.allocations) if item.id == "hep_allocation" else parts


def figures_stamps(session: Session, practice_id: int) -> FiguresStamp:
    """The practice's `FiguresStamp`, from two aggregate queries (a row per item, not
    its figures)."""
    figures, allocations = _stamp_statements()
    params = {"practice_id": practice_id}
    by_item = {
        row[0]: tuple(str(v) for v in row[1:]) for row in session.exec(figures, params=params)
    }
    allocated = tuple(str(v) for v in session.exec(allocations, params=params).one())
    return FiguresStamp(by_item, allocated)


def series_for(
    session: Session,
    *,
    practice_id: int,
    item: Item,
    until: Period,
    template_version: int | None = None,
) -> Series | None:
    """Every period from the first to the last recorded value (no later than `until`),
    None where a period in between was not recorded.

    An item that continues another (`item.continues`) carries that item's values where
    it has none of its own for the period. When the definition changed, values stored
    under the other item, or under the same item before `template_version` (the version
    `item` belongs to), are the earlier definition."""
    found = series_for_items(
        session,
        practice_id=practice_id,
        items=[item],
        until=lambda _: until,
        template_version=template_version,
    )
    return found[item.id]


def series_for_items(
    session: Session,
    *,
    practice_id: int,
    items: Sequence[Item],
    until: Callable[[Item], Period],
    template_version: int | None = None,
) -> dict[str, Series | None]:
    """`series_for` of each of `items` (item id → series, None without figures), from
    one query of the practice's figures (and one of its allocations, for the HEP
    allocation item): the dashboard's and the summary's cost does not grow with the
    number of items. `until(item)` is the last period of each."""
    ids = sorted({i for item in items for i in _stored_ids(item)})
    by_item: dict[str, list] = defaultdict(list)
    if ids:
        for row in _figure_rows(session, practice_id, ids):
            by_item[row[0]].append(row)
    allocations = (
        _allocations(session, practice_id) if any(i.id == "hep_allocation" for i in items) else []
    )
    found: dict[str, Series | None] = {}
    for item in items:
        rows = [row for i in _stored_ids(item) for row in by_item.get(i, ())]
        found[item.id] = _assemble(
            item,
            rows,
            allocations if item.id == "hep_allocation" else [],
            until=until(item),
            template_version=template_version,
        )
    return found


# A dashboard reads the same few hundred period codes on every view: parse each once.
@functools.lru_cache(maxsize=16384)
def _parse(code: str) -> Period:
    return Period.parse(code)


@functools.lru_cache(maxsize=16384)
def _order(period: Period) -> tuple:
    """The sort key `Period.__lt__` compares."""
    return (period.start, period._count)


@functools.lru_cache(maxsize=4096)
def _span(first: Period, last: Period) -> tuple[tuple[Period, ...], tuple[str, ...]]:
    """Every period from `first` to `last` and their codes (none if `last` is earlier)."""
    periods = []
    period = first
    end = _order(last)
    while not end < _order(period):
        periods.append(period)
        period = period.next()
    return tuple(periods), tuple(p.code for p in periods)


def _assemble(
    item: Item,
    rows: Sequence,
    allocations: Sequence[tuple[int, float]],
    *,
    until: Period,
    template_version: int | None,
) -> Series | None:
    """The series of `item` from its stored figures (`_FIGURE_COLUMNS` tuples, its own
    item's first) and, for the HEP allocation, the practice's allocations."""
    continues = item.continues
    changed = continues is not None and continues.definition_changed
    by_code: dict[str, float] = {}
    origins: dict[str, Origin] = {}
    # The item's own values first, so the continued item's fill only what is missing.
    for row in sorted(rows, key=lambda row: row[0] != item.id):
        item_id, code, number, version, import_id, reason, published, description, dataset = row
        if code in by_code:
            continue
        earlier = changed and (
            item_id != item.id or (template_version is not None and version < template_version)
        )
        by_code[code] = number
        provenance = Provenance(
            import_id=import_id,
            publication=description if import_id is not None else None,
            dataset=dataset if import_id is not None else None,
            override_reason=reason or None,
            published_number=published,
        )
        origins[code] = Origin(provenance, item_id, version, earlier)
    for fy, amount in allocations:
        by_code[Period(Frequency.ANNUAL, fy, 1).code] = amount
    if not by_code:
        return None
    recorded = [_parse(code) for code in by_code]
    first = min(recorded, key=_order)
    last = min(max(recorded, key=_order), until, key=_order)
    periods, codes = _span(first, last)
    if not periods:
        return None
    periods = list(periods)
    point_origins = tuple(origins.get(code) for code in codes)
    changed_at = None
    seen_earlier = False
    for p, origin in zip(periods, point_origins, strict=True):
        if origin is None:
            continue
        if origin.earlier_definition:
            seen_earlier = True
        elif seen_earlier:
            changed_at = p
            break
    values = [by_code.get(code) for code in codes]
    totals: tuple[float | None, ...] = ()
    if item.cumulative is not None:
        totals = tuple(values)
        # Differences of figures recorded to two places carry float noise (2.2000000001).
        values = [
            None if v is None else round(v, 9) for v in cumulative.increments(periods, values)
        ]
    return Series(item, periods, values, point_origins, changed_at, totals)


def chart_sources(series: Series) -> dict:
    """A trend chart's arguments for where its values came from: squares for NHS
    England's published figures, the footnotes naming the publications and any change
    of definition, and where it changed."""
    notes = [note for note in (series.source_note, series.definition_note) if note]
    changed = series.definition_changed_at
    return {
        "imported": series.imported if any(series.imported) else (),
        "notes": notes,
        "definition_change": series.periods.index(changed) if changed is not None else None,
    }


def retired_items(templates: Templates, template: ChecklistTemplate) -> list[Item]:
    """Items of the template's earlier versions that `template` neither has nor carries
    on (`continues`): no longer asked for, their values stay in the practice's
    history under their own label. Each as the latest version that had it defines it."""
    current = set(template.items_by_id)
    current |= {i.continues.item for i in template.items if i.continues is not None}
    found: dict[str, Item] = {}
    earlier = sorted(
        (t for (tid, v), t in templates.items() if tid == template.id and v < template.version),
        key=lambda t: t.version,
        reverse=True,
    )
    for version in earlier:
        for item in version.items:
            if item.id not in current and item.id not in found:
                found[item.id] = item
    return list(found.values())


def first_hep_year(session: Session, practice_id: int) -> int | None:
    return session.exec(
        select(func.min(HepAllocation.financial_year)).where(
            HepAllocation.practice_id == practice_id
        )
    ).one()


def default_baseline_year(session: Session, practice_id: int) -> int | None:
    """The financial year before the practice's first HEP allocation."""
    first = first_hep_year(session, practice_id)
    return None if first is None else first - 1


class Strength(IntEnum):
    """Sort order of dashboard cards: signals first."""

    CONCERN = 0
    IMPROVEMENT = 1
    CHANGE = 2
    NO_CHANGE = 3
    TOO_FEW = 4


def sustained_change(chart: spc.SpcResult, split: Period) -> bool:
    """Do the points from `split` on show a sustained change against the chart's limits:
    a shift (a run of points on one side of the mean) or a trend, wholly after `split`?
    Whether or not a higher rule (a point outside the limits) labels those points: a
    run of points all below the lower limit is a shift too. A single point outside the
    limits is not; Making Data Count recalculates limits only after a sustained change."""
    points = chart.points
    after = points.loc[(points["period"] >= split).to_numpy(dtype=bool)]
    settings = chart.settings
    side = after["relative_to_mean"].to_numpy()
    if spc.shift_run_ends(side, settings.shift_run_length).any():
        return True
    values = after["value"].to_numpy(dtype=float)
    return bool(spc.trend_run_ends(values, settings.trend_run_length).any())


@dataclass(frozen=True)
class Evidence:
    """What a practice's figures say about one item, worded once for every page and
    export: the chart shown (`chart`), the comparison its words are about
    (`comparison`, read from that same chart) and the verdict.

    With a baseline year the chart's limits are fixed on the baseline year's figures
    and extended across (Making Data Count's way of judging a change), and the figures
    compared with it start at `split`: the period after the latest intervention for the
    item since the baseline (`split_event`), or the year after the baseline. Where the
    figures since an intervention show a sustained change against those limits (a
    shift or a trend), the chart recalculates its limits from there (`rebased_at`): two
    phases, each with its own mean and limits."""

    item: Item
    series: Series
    chart: spc.SpcResult
    baseline_year: int | None
    baseline_mean: float | None
    comparison: spc.BeforeAfter | None
    latest_period: Period
    latest_value: float
    strength: Strength
    verdict: str
    split: Period | None = None
    split_event: Intervention | None = None
    rebased_at: Period | None = None
    """Where the limits were recalculated because the figures since the intervention
    changed (None when they were not)."""

    @property
    def change_since_baseline(self) -> float | None:
        if self.baseline_mean is None:
            return None
        return self.latest_value - self.baseline_mean

    def fmt(self, value: float | None) -> str:
        return "" if value is None else item_value(value, self.item.type, self.item.unit)

    def fmt_mean(self, value: float | None) -> str:
        """A mean of the item's figures: as a figure, but a mean of counts keeps a
        decimal place below 100 (1.4 leavers a quarter, not 1)."""
        if value is not None and self.item.type is ItemType.COUNT and abs(value) < 100:
            return format_number(value, places=1)
        return self.fmt(value)

    def fmt_change(self, value: float | None) -> str:
        """A difference in the item's terms: "+12.5 percentage points", "-1:58"."""
        return "" if value is None else item_value(value, self.item.type, self.item.unit,
                                                   change=True)  # fmt: skip

    @property
    def since(self) -> str | None:
        """What the figures compared with the baseline are: "since “Cloud telephony
        live” (September 2023)" or "since April 2022"."""
        if self.split is None:
            return None
        if self.split_event is not None:
            return f"since “{self.split_event.title}” ({self.split_event.occurred_on:%B %Y})"
        return f"since {self.split.label}"

    @property
    def compared(self) -> str | None:
        """The periods of the comparison in words: "October 2023 to October 2026
        compared with 2021/22 (April 2021 to March 2022)"."""
        if self.comparison is None or self.split is None:
            return None
        baseline = [p for p, _ in self.series.observed if p.fy == self.baseline_year]
        return (
            f"{self.split.label} to {self.latest_period.label} compared with "
            f"{financial_year_label(self.baseline_year)} "
            f"({baseline[0].label} to {baseline[-1].label})"
        )

    @property
    def latest_against_baseline(self) -> str | None:
        """ "Latest: 2:51 (October 2026), -1:58 compared with the 2021/22 average of
        4:49." or None without a baseline."""
        if self.baseline_mean is None:
            return None
        return (
            f"Latest: {self.fmt(self.latest_value)} ({self.latest_period.label}), "
            f"{self.fmt_change(self.change_since_baseline)} compared with the "
            f"{financial_year_label(self.baseline_year)} average of "
            f"{self.fmt(self.baseline_mean)}."
        )

    @property
    def rebase_note(self) -> str | None:
        """Why the chart has two phases, or None."""
        if self.rebased_at is None:
            return None
        return (
            f"The figures {self.since} show a sustained change against the "
            f"{financial_year_label(self.baseline_year)} limits, so the chart recalculates "
            f"its mean and limits from {self.rebased_at.label} (Making Data Count's advice): "
            "each phase has its own."
        )


def split_after(event: Intervention, frequency: Frequency) -> Period:
    """The first period after an intervention: the one it happened in is mixed."""
    return Period.containing(event.occurred_on, frequency).next()


def evidence_for(
    series: Series,
    *,
    baseline_year: int | None,
    interventions: Sequence[Intervention] = (),
    compare_from: Intervention | None = None,
    auto_rebase: bool = True,
    settings: spc.SpcSettings = spc.DEFAULT_SETTINGS,
    rebase_at: tuple[Period, ...] = (),
    target: float | None = None,
) -> Evidence | None:
    """The evidence of `series`; None without figures (or for a text item).

    `interventions` are the practice's; those affecting the item choose the default
    comparison (the latest after the baseline year with a figure since), unless
    `compare_from` names one. `rebase_at` are periods the person chose to recalculate
    the limits from; `auto_rebase` recalculates them where the figures since the
    compared intervention show a sustained change (see `Evidence`)."""
    observed = series.observed
    if not observed or series.item.type is ItemType.TEXT:
        return None
    item = series.item
    improvement = IMPROVEMENT[item.direction]
    if series.definition_changed_at is not None:
        # A new definition is a new process: its limits are its own (Making Data Count).
        rebase_at = tuple(sorted({*rebase_at, series.definition_changed_at}))
        forced: tuple[Period, ...] = (series.definition_changed_at,)
    else:
        forced = ()
    latest_period, latest_value = observed[-1]

    baseline = [p for p, _ in observed if p.fy == baseline_year] if baseline_year else []
    if len(baseline) < 2:
        chart = spc.xmr(
            series.values, periods=series.periods, improvement=improvement, target=target,
            settings=settings, rebase_at=rebase_at,
        )  # fmt: skip
        baseline_mean = None
        if baseline:
            baseline_mean = next(v for p, v in observed if p == baseline[0])
        strength, verdict = _too_few(item, baseline_year, len(observed), settings)
        return Evidence(
            item=item, series=series, chart=chart, baseline_year=baseline_year,
            baseline_mean=baseline_mean, comparison=None, latest_period=latest_period,
            latest_value=latest_value, strength=strength, verdict=verdict,
        )  # fmt: skip

    limits_from = (baseline[0], baseline[-1])
    split, event = _split(series, baseline_year, interventions, compare_from)
    in_baseline = [p.fy == baseline_year for p in series.periods]

    def chart_at(points: tuple[Period, ...]) -> spc.SpcResult:
        return spc.xmr(
            series.values, periods=series.periods, improvement=improvement, target=target,
            settings=settings, rebase_at=tuple(sorted(set(points))), limits_from=limits_from,
        )  # fmt: skip

    judged = chart_at(forced)
    comparison = None
    rebased_at = None
    if any(not p < split for p, _ in observed):
        comparison = spc.compare(judged, baseline=in_baseline, split_at=split)
        if (
            auto_rebase
            and event is not None
            and split not in forced
            and comparison.shift_detected
            and sustained_change(judged, split)
        ):
            rebased_at = split
    shown_at = (*rebase_at, *((rebased_at,) if rebased_at else ()))
    chart = judged if set(shown_at) == set(forced) else chart_at(shown_at)
    baseline_mean = spc.r_mean([v for p, v in observed if p.fy == baseline_year])
    evidence = Evidence(
        item=item, series=series, chart=chart, baseline_year=baseline_year,
        baseline_mean=baseline_mean, comparison=comparison, latest_period=latest_period,
        latest_value=latest_value, strength=Strength.TOO_FEW, verdict="",
        split=split, split_event=event, rebased_at=rebased_at,
    )  # fmt: skip
    strength, verdict = _verdict(evidence, settings)
    return replace(evidence, strength=strength, verdict=verdict)


EVIDENCE_CACHE_SIZE = 2048
"""Evidence kept per process: a practice's dashboard is about 17 items, so the
dashboards of a hundred-odd practices (an SPC result is a few kilobytes)."""
_evidence_cache: OrderedDict[str, tuple[Evidence, int | None]] = OrderedDict()
_evidence_lock = threading.Lock()


def clear_evidence_cache() -> None:
    """Forget every cached evidence (a benchmark's cold start; never needed for
    correctness, as the key is the data)."""
    with _evidence_lock:
        _evidence_cache.clear()


def evidence_key(
    series: Series,
    *,
    baseline_year: int | None,
    interventions: Sequence[Intervention] = (),
    compare_from: Intervention | None = None,
    auto_rebase: bool = True,
    settings: spc.SpcSettings = spc.DEFAULT_SETTINGS,
    rebase_at: tuple[Period, ...] = (),
    target: float | None = None,
) -> str:
    """A hash of everything `evidence_for` reads: the item's definition, the series'
    periods and values (and where its definition changed), the baseline, the
    interventions that affect the item (the only ones it reads) and every option. Two
    calls with the same key give the same evidence, so a cached one is never stale."""
    item = series.item

    def event(e: Intervention | None):
        if e is None:
            return None
        return (e.id, e.title, e.occurred_on.isoformat(), tuple(e.affected_items or ()))

    parts = (
        "evidence-1",
        item.model_dump_json(),
        tuple(p.code for p in series.periods),
        tuple(series.values),
        series.definition_changed_at and series.definition_changed_at.code,
        baseline_year,
        tuple(event(e) for e in interventions if item.id in (e.affected_items or ())),
        event(compare_from),
        auto_rebase,
        repr(settings),
        tuple(p.code for p in rebase_at),
        target,
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()


SPARKLINE_PERIODS = 36
"""A dashboard sparkline shows the last three years of an item's periods."""


def cached_evidence_for(
    series: Series,
    *,
    baseline_year: int | None,
    interventions: Sequence[Intervention] = (),
    compare_from: Intervention | None = None,
    auto_rebase: bool = True,
    settings: spc.SpcSettings = spc.DEFAULT_SETTINGS,
    rebase_at: tuple[Period, ...] = (),
    target: float | None = None,
) -> Evidence | None:
    """`evidence_for`, computed once per change of what it reads (`evidence_key`) in
    each process: the dashboard, a sparkline, the metric page and the summary read the
    same result (so they cannot disagree) without recomputing the SPC on every view.
    The result carries this call's series and intervention objects, not a cached
    call's."""
    options = {
        "baseline_year": baseline_year,
        "interventions": interventions,
        "compare_from": compare_from,
        "auto_rebase": auto_rebase,
        "settings": settings,
        "rebase_at": rebase_at,
        "target": target,
    }
    key = evidence_key(series, **options)
    with _evidence_lock:
        cached = _evidence_cache.get(key)
        if cached is not None:
            _evidence_cache.move_to_end(key)
    if cached is None:
        result = evidence_for(series, **options)
        if result is None:
            return None
        # Kept without the intervention object (it belongs to this request's session):
        # its id is enough to find the same intervention among the next call's.
        event_id = result.split_event.id if result.split_event is not None else None
        with _evidence_lock:
            _evidence_cache[key] = (replace(result, split_event=None), event_id)
            while len(_evidence_cache) > EVIDENCE_CACHE_SIZE:
                _evidence_cache.popitem(last=False)
        return result
    stored, event_id = cached
    event = None
    if event_id is not None:
        # The key holds the id, title and date of every intervention it may be.
        event = next(
            e for e in (*interventions, compare_from) if e is not None and e.id == event_id
        )
    return replace(stored, item=series.item, series=series, split_event=event)


def _split(
    series: Series,
    baseline_year: int,
    interventions: Sequence[Intervention],
    compare_from: Intervention | None,
) -> tuple[Period, Intervention | None]:
    """The first period compared with the baseline, and the intervention it follows."""
    frequency = series.item.frequency
    after_baseline = Period.containing(date(baseline_year + 1, 4, 1), frequency)
    if compare_from is not None:
        split = split_after(compare_from, frequency)
        if not split < after_baseline:
            return split, compare_from
    observed = [p for p, _ in series.observed]
    usable = [
        event
        for event in interventions
        if series.item.id in (event.affected_items or [])
        and not split_after(event, frequency) < after_baseline
        and any(not p < split_after(event, frequency) for p in observed)
    ]
    if usable:
        event = max(usable, key=lambda e: e.occurred_on)
        return split_after(event, frequency), event
    return after_baseline, None


def _too_few(
    item: Item, baseline_year: int | None, n: int, settings: spc.SpcSettings
) -> tuple[Strength, str]:
    if baseline_year is None:
        return Strength.TOO_FEW, (
            "No baseline yet: record the HEP allocation, or choose a baseline year, to "
            "compare before and after."
        )
    if n < settings.short_group_threshold:
        return Strength.TOO_FEW, _not_enough_points(item, n, settings)
    return Strength.TOO_FEW, (
        f"Not enough figures yet to judge: record at least two figures in the "
        f"{financial_year_label(baseline_year)} baseline year and one since."
    )


def _not_enough_points(item: Item, n: int, settings: spc.SpcSettings) -> str:
    unit = UNIT_NOUNS[item.frequency]
    return (
        f"Not enough points yet: {n} {unit if n != 1 else unit[:-1]} of figures so far. "
        f"The Making Data Count rules need {settings.short_group_threshold} before they can "
        "tell a change from ordinary variation, so the chart is a run chart with its median "
        "until then."
    )


def _verdict(evidence: Evidence, settings: spc.SpcSettings) -> tuple[Strength, str]:
    """The verdict, from the comparison the chart shows; it never says better or worse
    against the data: "improved" needs special-cause improvement since the split, and
    both the mean since and the latest figure better than the baseline's average
    ("got worse" the mirror image); anything else with a signal is a change."""
    item, series, comparison = evidence.item, evidence.series, evidence.comparison
    name = item.label
    fy = financial_year_label(evidence.baseline_year)
    n = len(series.observed)
    if n < settings.short_group_threshold:
        return Strength.TOO_FEW, _not_enough_points(item, n, settings)
    if comparison is None:
        return Strength.TOO_FEW, (
            f"Not enough figures yet to judge: there is no figure {evidence.since} to "
            f"compare with the {fy} baseline."
        )
    # A year of months is the 12 points Making Data Count asks of a baseline at least;
    # fewer (a year of quarters) is worth saying in the verdict itself.
    trial = (
        f" The {fy} baseline has only {comparison.baseline_n} points, so its limits are "
        "trial limits."
        if comparison.baseline_n < spc.MIN_FIX_AFTER_N_POINTS
        else ""
    )
    if not comparison.shift_detected:
        return Strength.NO_CHANGE, (
            f"No significant change yet: {name} {evidence.since} is within the range "
            f"expected from the {fy} baseline.{trial}"
        )
    sign = {Direction.HIGHER_BETTER: 1, Direction.LOWER_BETTER: -1}.get(item.direction, 0)
    mean_better = sign * comparison.difference
    latest_better = sign * (evidence.latest_value - comparison.baseline_mean)
    categories = set(comparison.signals["category"])
    if sign and "improvement" in categories and mean_better > 0 and latest_better > 0:
        strength, word = Strength.IMPROVEMENT, "has improved"
    elif sign and "concern" in categories and mean_better < 0 and latest_better < 0:
        strength, word = Strength.CONCERN, "has got worse"
    else:
        strength, word = Strength.CHANGE, "has changed"
    after = [v for p, v in series.observed if not p < evidence.split][-12:]
    above = comparison.difference > 0
    side_count = sum(
        (v > comparison.baseline_mean) if above else (v < comparison.baseline_mean) for v in after
    )
    unit = UNIT_NOUNS[item.frequency] if len(after) != 1 else UNIT_NOUNS[item.frequency][:-1]
    detail = (
        f"a mean of {evidence.fmt_mean(comparison.since_mean)} against the {fy} average "
        f"of {evidence.fmt_mean(comparison.baseline_mean)}, and {side_count} of the last "
        f"{len(after)} {unit} {'above' if above else 'below'} it"
    )
    mixed = ""
    if strength is Strength.CHANGE and sign:
        mixed = " The signals do not all point the same way, so it is neither better nor worse."
    return strength, f"{name} {word} {evidence.since}: {detail}.{mixed}{trial}"


def practice_interventions(session: Session, practice_id: int) -> list[Intervention]:
    return list(
        session.exec(
            select(Intervention)
            .where(Intervention.practice_id == practice_id)
            .order_by(Intervention.occurred_on)
        )
    )


def peer_medians(
    session: Session,
    *,
    practice: Practice,
    item: Item,
    periods: list[Period],
    scope: str,
) -> list[float | None]:
    """Median of the same item across other practices that chose to share their
    figures (with the PCN, or across the ICB), per period; None where fewer than
    MIN_PRACTICES practices contributed. Never returns which practices contributed.

    On PostgreSQL computed in the database (`peer_median_rows`): the page reads a row
    per period, not every peer's figures. SQLite's window functions sort slower than
    Python takes the medians of the rows (bench/README.md), so there the rows are read
    (`_peer_median_rows_read`); both give the same figures (tests/services/
    test_peer_medians.py)."""
    if not periods:
        return []
    if scope == "pcn" and practice.pcn_id is None:  # in no PCN: no PCN peers to compare with
        return [None] * len(periods)
    codes = [p.code for p in periods]
    ranked = session.get_bind().dialect.name != "sqlite"
    compute = peer_median_rows if ranked else _peer_median_rows_read
    rows = compute(session, practice=practice, item_id=item.id, codes=codes, scope=scope)
    found = {code: median if enough(count) else None for code, median, count in rows}
    return [found.get(p.code) for p in periods]


def _peers(practice: Practice, scope: str):
    """The other practices whose figures make `practice`'s PCN or ICB median: those that
    chose to share with the PCN (or the ICB)."""
    peers = select(Practice.id).where(Practice.id != practice.id)
    if scope == "pcn":
        return peers.where(Practice.pcn_id == practice.pcn_id, Practice.shares_with_pcn.is_(True))
    return peers.where(Practice.icb_id == practice.icb_id, Practice.shares_with_icb.is_(True))


def peer_median_rows(
    session: Session, *, practice: Practice, item_id: str, codes: Sequence[str], scope: str
) -> list[tuple[str, float, int]]:
    """(period code, median, how many figures) of the sharing peers' figures for
    `item_id` in each of `codes` that has any, from one ordered aggregate query that
    works alike on SQLite and PostgreSQL: each period's figures are numbered in order
    of value and the middle one (odd count) or the mean of the middle two (even) is
    kept, as `statistics.median` takes it. The count is the caller's to suppress."""
    ranked = (
        select(
            MetricValue.period_code.label("code"),
            MetricValue.value_number.label("value"),
            func.row_number()
            .over(partition_by=MetricValue.period_code, order_by=MetricValue.value_number)
            .label("n"),
            func.count().over(partition_by=MetricValue.period_code).label("total"),
        )
        .where(
            MetricValue.item_id == item_id,
            MetricValue.practice_id.in_(_peers(practice, scope)),
            MetricValue.period_code.in_(list(codes)),
            MetricValue.value_number.is_not(None),
        )
        .subquery()
    )
    # Integer halves: the middle row of an odd count, the middle two of an even one.
    middle = or_(ranked.c.n == (ranked.c.total + 1) // 2, ranked.c.n == ranked.c.total // 2 + 1)
    rows = session.exec(
        select(ranked.c.code, func.avg(ranked.c.value), func.max(ranked.c.total))
        .where(middle)
        .group_by(ranked.c.code)
    ).all()
    return [(code, float(median), int(count)) for code, median, count in rows]


def _peer_median_rows_read(
    session: Session, *, practice: Practice, item_id: str, codes: Sequence[str], scope: str
) -> list[tuple[str, float, int]]:
    """`peer_median_rows` from the peers' figures read row by row, the medians taken
    here (`statistics.median`)."""
    grouped: dict[str, list[float]] = defaultdict(list)
    for code, number in session.exec(
        select(MetricValue.period_code, MetricValue.value_number).where(
            MetricValue.item_id == item_id,
            MetricValue.practice_id.in_(_peers(practice, scope)),
            MetricValue.period_code.in_(list(codes)),
            MetricValue.value_number.is_not(None),
        )
    ):
        grouped[code].append(number)
    return [(code, statistics.median(found), len(found)) for code, found in grouped.items()]
