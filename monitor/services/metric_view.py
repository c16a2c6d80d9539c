"""Everything a metric page shows, assembled once: the evidence, the chart spec and its
cache key, the before/after comparison, peer medians and the data table rows.

On the practice's own metric page (`viewer` given) an item with a national source also
has England beside it, from the national files the ICB imported (monitor.services.england):
England's median and interquartile range for each period on the chart and in the table,
and where the practice sits (`Placement`) for the latest period with both its figure and
England's: among England's practices, and among the other practices of its PCN whose
figure for the period is published (never which practice has which figure, and only with
MIN_PRACTICES of them). England's figures are context: limits and signals are the
practice's own points' alone.

No Flask here; the web layer parses the person's chart options and serves the result.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session

from monitor import charts
from monitor.analysis import spc
from monitor.charts import ReferenceBand
from monitor.core.checklist import ChecklistTemplate, Item, ItemType
from monitor.core.formatting import item_value
from monitor.core.inputs import InvalidValue, parse_item_value, whole_number
from monitor.core.periods import Period, financial_year_label, financial_year_of
from monitor.core.small_numbers import enough
from monitor.models import Intervention, NationalAggregate, Practice, User
from monitor.services import england, evidence, visibility

TWO_IN_THREE = {
    "within_limits": "Two of three points beyond two sigma but within the limits (default)",
    "beyond_two_sigma": "Two of three points beyond two sigma, including outside the limits "
    "(Making Data Count 2023)",
}


AUTO_REBASE = {
    "yes": "Yes, where the figures since the intervention show a sustained change (default)",
    "no": "No, keep the baseline's limits across the whole chart",
}


@dataclass(frozen=True)
class ChartOptions:
    """What a person chose on the metric page (all optional), already checked."""

    baseline_year: int | None = None
    compare_from: int | None = None  # intervention id for the before/after panel
    rebase_at: tuple[int, ...] = ()  # intervention ids where limits are recalculated
    auto_rebase: bool = True
    """Recalculate the limits from the compared intervention where the figures since
    show a sustained change (Making Data Count); a person can turn it off."""
    fix_after: int | None = None
    two_in_three: str = "within_limits"
    target: float | None = None
    errors: dict[str, str] = field(default_factory=dict)


def parse_options(args, *, item: Item, interventions: list[Intervention]) -> ChartOptions:
    """Read chart options from query arguments; invalid ones are reported and ignored."""
    errors: dict[str, str] = {}
    own = {i.id for i in interventions}

    def as_int(name: str) -> int | None:
        text = (args.get(name) or "").strip()
        if not text:
            return None
        if (number := whole_number(text)) is None:  # not str.isdigit: int("²") fails
            errors[name] = "Enter a whole number"
        return number

    baseline = as_int("baseline")
    compare_from = as_int("compare_from")
    if compare_from is not None and compare_from not in own:
        errors["compare_from"] = "Select one of your interventions"
        compare_from = None
    rebase = []
    for text in args.getlist("rebase"):
        if whole_number(text) in own:
            rebase.append(int(text))
        else:
            errors["rebase"] = "Select your own interventions to recalculate limits from"
    fix_after = as_int("fix_after")
    if fix_after is not None and fix_after < spc.MIN_FIX_AFTER_N_POINTS:
        errors["fix_after"] = (
            f"Limits can only be fixed on {spc.MIN_FIX_AFTER_N_POINTS} points or more"
        )
        fix_after = None
    auto = args.get("auto_rebase") or "yes"
    if auto not in AUTO_REBASE:
        errors["auto_rebase"] = "Select whether to recalculate the limits after a change"
        auto = "yes"
    variant = args.get("two_in_three") or "within_limits"
    if variant not in TWO_IN_THREE:
        errors["two_in_three"] = "Select a two-in-three rule"
        variant = "within_limits"
    target = None
    target_text = (args.get("target") or "").strip()
    if target_text and item.type is not ItemType.TEXT:
        try:
            target = parse_item_value(item, target_text).number
        except InvalidValue as error:
            errors["target"] = error.message.replace(item.label, f"Target for {item.label}", 1)
    return ChartOptions(
        baseline_year=baseline,
        compare_from=compare_from,
        rebase_at=tuple(sorted(set(rebase))),
        auto_rebase=auto == "yes",
        fix_after=fix_after,
        two_in_three=variant,
        target=target,
        errors=errors,
    )


@dataclass(frozen=True)
class TableRow:
    period: Period
    value: float | None
    mean: float | None
    lower: float | None
    upper: float | None
    signal: str
    pcn_median: float | None
    icb_median: float | None
    source: str = ""
    """Where the value came from ("NHS England: …", "Entered by the practice", …)."""
    imported: bool = False
    earlier_definition: bool = False
    """Recorded under the definition the figure had before it changed."""
    england_median: float | None = None
    england_q1: float | None = None
    england_q3: float | None = None
    year_to_date: float | None = None
    """A year-to-date item's running total as recorded (`value` is its increment)."""


@dataclass(frozen=True)
class Placement:
    """Where the practice's figure for one period sits among England's practices and
    among its PCN's: percentiles only, never another practice's figure."""

    period: Period
    value: float
    """The practice's figure as stored (its own where it overrode the published one)."""
    england_percentile: int
    """The share of England's practices with a lower figure (ties count half), 0-100."""
    england_practices: int
    publications: tuple[str, ...]
    """The national imports England's figures are from ("Cloud Based Telephony, …")."""
    pcn_peers: int | None = None
    """Other practices of the PCN whose figure for the period is published; None when
    the practice is in no PCN."""
    pcn_percentile: int | None = None
    """As `england_percentile`, among those peers; None when they are too few."""


@dataclass(frozen=True)
class MetricView:
    item: Item
    evidence: evidence.Evidence
    spec: charts.SpcChartSpec | charts.RunChartSpec
    key: str
    alt: str
    explanation: list[str]
    before_after: spc.BeforeAfter | None
    before_after_label: str | None
    before_after_text: list[str]
    rows: list[TableRow]
    markers: list[tuple[Intervention, Period | None]]
    baseline_year: int | None
    settings_text: str
    has_peers: bool
    source_note: str | None = None
    """Which periods are NHS England's published figures, from which publications."""
    definition_note: str | None = None
    """ "From April 2026 the definition changed: …"."""
    has_england: bool = False
    """England's median and quartiles are on the chart and in the table."""
    placement: Placement | None = None

    def fmt(self, value: float | None) -> str:
        return "" if value is None else item_value(value, self.item.type, self.item.unit)

    @property
    def run_chart(self) -> bool:
        return isinstance(self.spec, charts.RunChartSpec)


RULE_NAMES = {
    "outside_limits": "Outside the limits",
    "trend": "Trend",
    "two_in_three": "Two of three near a limit",
    "shift": "Shift",
}


def formatter(item: Item):
    return lambda value: item_value(value, item.type, item.unit)


def percentile_among(values: Sequence[float], value: float) -> int:
    """The share of `values` strictly below `value`, as a whole percentile 0-100 (as
    England's, monitor.services.england.EnglandFigures.percentile)."""
    ordered = sorted(values)
    return round(100 * bisect.bisect_left(ordered, value) / len(ordered))


def england_beside(
    session: Session, *, practice: Practice, item: Item, periods: Sequence[Period]
) -> dict[str, NationalAggregate]:
    """Period code → England's median and quartiles for `item`, from the latest national
    file the practice's ICB imported for each period; empty for an item no national
    collection publishes."""
    if item.national is None or not periods:
        return {}
    found = england.aggregates(session, practice.icb_id, [item.id], [p.code for p in periods])
    return {code: aggregate for (_, code), aggregate in found.items()}


def england_band(
    beside: dict[str, NationalAggregate], periods: Sequence[Period]
) -> ReferenceBand | None:
    """England's median and interquartile range aligned to the chart's periods, or None
    when England has none of them."""
    if not beside:
        return None
    at = [beside.get(p.code) for p in periods]

    def column(name: str) -> list[float | None]:
        return [None if a is None else getattr(a, name) for a in at]

    return ReferenceBand("England", median=column("median"), lower=column("q1"),
                         upper=column("q3"))  # fmt: skip


def placement(
    session: Session,
    *,
    viewer: User,
    practice: Practice,
    item: Item,
    series: evidence.Series,
    beside: dict[str, NationalAggregate],
) -> Placement | None:
    """Where the practice sits in the latest period with both its figure for `item` and
    England's; None when there is no such period."""
    latest = next(
        (
            n
            for n in reversed(range(len(series.periods)))
            if series.values[n] is not None
            and series.periods[n].code in beside
            and (origin := series.origin(n)) is not None
            and origin.item_id == item.id  # not a continued item's earlier definition
        ),
        None,
    )
    if latest is None:
        return None
    period, value = series.periods[latest], float(series.values[latest])
    found = england.figures(session, practice.icb_id, item, [period.code])
    if found is None:
        return None
    peers = None
    pcn_percentile = None
    if practice.pcn_id is not None:
        values = visibility.pcn_published_values(
            session, viewer, item_id=item.id, period_code=period.code
        )
        peers = len(values)
        if enough(peers):
            pcn_percentile = percentile_among(values, value)
    return Placement(
        period=period,
        value=value,
        england_percentile=found.percentile(value),
        england_practices=found.summary.n,
        publications=found.publications,
        pcn_peers=peers,
        pcn_percentile=pcn_percentile,
    )


def build(
    session: Session,
    *,
    practice: Practice,
    template: ChecklistTemplate,
    item: Item,
    today: date,
    options: ChartOptions = ChartOptions(),
    viewer: User | None = None,
    interventions: Sequence[Intervention] | None = None,
) -> MetricView | None:
    """The metric page of `practice` for `item`, or None with no figures.

    `interventions` (default: all the practice's) are the only ones that split the
    evidence and are marked: a case example's chart passes the ones the case links.

    `viewer` is the signed-in user reading the practice's own metric page: for an item
    with a national source the page then has England beside the practice (see the
    module's docstring). Without it (a case example's chart) it is the practice's
    figures and peer medians only."""
    until = Period.latest_complete(today, item.frequency)
    series = evidence.series_for(
        session, practice_id=practice.id, item=item, until=until, template_version=template.version
    )
    if series is None:
        return None
    if interventions is None:
        interventions = evidence.practice_interventions(session, practice.id)
    interventions = list(interventions)
    by_id = {i.id: i for i in interventions}
    baseline_year = options.baseline_year
    if baseline_year is None:
        baseline_year = evidence.default_baseline_year(session, practice.id)
    rebase_periods = tuple(
        Period.containing(by_id[i].occurred_on, item.frequency).next() for i in options.rebase_at
    )
    settings = spc.SpcSettings(
        fix_after_n_points=options.fix_after, two_in_three=options.two_in_three
    )
    result = evidence.cached_evidence_for(
        series,
        baseline_year=baseline_year,
        interventions=interventions,
        compare_from=by_id.get(options.compare_from) if options.compare_from else None,
        auto_rebase=options.auto_rebase,
        settings=settings,
        rebase_at=rebase_periods,
        target=options.target,
    )
    if result is None:
        return None
    fmt = formatter(item)
    periods = series.periods

    relevant = [i for i in interventions if item.id in (i.affected_items or [])]
    markers = []
    placed = []
    for event in relevant:
        inside = periods[0].start <= event.occurred_on <= periods[-1].end
        placed.append(
            (event, Period.containing(event.occurred_on, item.frequency) if inside else None)
        )
        if inside:
            markers.append(charts.Marker(label=event.title, at=event.occurred_on))

    baseline_span = None
    if baseline_year is not None:
        indexes = [n for n, p in enumerate(periods) if p.fy == baseline_year]
        if indexes:
            baseline_span = (indexes[0], indexes[-1])

    pcn = evidence.peer_medians(session, practice=practice, item=item, periods=periods, scope="pcn")
    icb = evidence.peer_medians(session, practice=practice, item=item, periods=periods, scope="icb")
    beside: dict[str, NationalAggregate] = {}
    if viewer is not None and visibility.own_practice_id(viewer) == practice.id:
        beside = england_beside(session, practice=practice, item=item, periods=periods)
    band = england_band(beside, periods)
    comparisons = []
    if any(v is not None for v in pcn):
        comparisons.append(charts.ComparisonSeries("PCN median", pcn))
    if any(v is not None for v in icb):
        comparisons.append(charts.ComparisonSeries("ICB median", icb))

    common = {
        "title": series.charted_label,
        "y_label": item.unit if item.type is not ItemType.DURATION else "minutes:seconds",
        "period_labels": [p.label for p in periods],
        "period_starts": [p.start for p in periods],
        "format_value": fmt,
        "markers": markers,
        "baseline": baseline_span,
        "target": options.target,
        "comparisons": comparisons,
        "value_floor": item.min if item.min is not None else 0.0,
        "value_ceiling": 100.0 if item.type is ItemType.PERCENT else None,
        "y_tick_steps": charts.DURATION_TICK_STEPS if item.type is ItemType.DURATION else None,
        "band": band,
        **evidence.chart_sources(series),
    }
    spec: charts.SpcChartSpec | charts.RunChartSpec = charts.SpcChartSpec(
        result=result.chart, **common
    )
    observed = len(series.observed)
    if observed < settings.short_group_threshold:
        spec = charts.RunChartSpec.from_spc(spec)
    key = charts.chart_key(
        charts.CHART_VERSION,
        practice.id,
        item.id,
        [p.code for p in periods],
        series.values,
        [(m.label, m.at) for m in markers],
        baseline_span,
        options.target,
        settings,
        rebase_periods,
        options.auto_rebase,
        result.split,
        result.rebased_at,
        [(c.name, c.values) for c in comparisons],
        type(spec).__name__,
        spec.imported,
        spec.notes,
        spec.definition_change,
        # A revised national file changes England's figures: its import is in the key.
        sorted((code, a.import_id, a.median, a.q1, a.q3) for code, a in beside.items()),
    )

    before_after = result.comparison
    before_after_label = None
    if result.split is not None:
        before_after_label = f"{result.since} ({result.split.label} onwards)"
    before_after_text = (
        spc.explain_before_after(
            before_after,
            format_value=fmt,
            format_period=str,
            format_difference=result.fmt_change,
            baseline_label=f"the {financial_year_label(baseline_year)} baseline",
        )
        if before_after
        else []
    )

    points = result.chart.points
    rows = []
    for n, period in enumerate(periods):
        row = points.iloc[n]
        missing = bool(row["missing"])
        origin = series.origin(n)

        def number(name, row=row):
            value = float(row[name])
            return value if math.isfinite(value) else None

        rows.append(
            TableRow(
                period=period,
                value=None if missing else float(row["value"]),
                mean=number("mean"),
                lower=number("lpl"),
                upper=number("upl"),
                signal=""
                if missing or not row["special_cause"]
                else f"{RULE_NAMES.get(row['rule'], row['rule'])} ({row['category']})",
                pcn_median=pcn[n],
                icb_median=icb[n],
                source="" if missing or origin is None else origin.text,
                imported=bool(origin and origin.imported and not missing),
                earlier_definition=bool(origin and origin.earlier_definition and not missing),
                england_median=band.median[n] if band else None,
                england_q1=band.lower[n] if band else None,
                england_q3=band.upper[n] if band else None,
                year_to_date=series.year_to_date[n] if series.year_to_date else None,
            )
        )
    return MetricView(
        item=item,
        evidence=result,
        spec=spec,
        key=key,
        alt=charts.alt_text(spec),
        explanation=[
            *spc.explain(result.chart, format_value=fmt, format_period=str),
            *([result.rebase_note] if result.rebase_note else []),
        ],
        before_after=before_after,
        before_after_label=before_after_label,
        before_after_text=before_after_text,
        rows=rows,
        markers=placed,
        baseline_year=baseline_year,
        settings_text=result.chart.describe(format_period=str),
        has_peers=bool(comparisons),
        source_note=series.source_note,
        definition_note=series.definition_note,
        has_england=bool(beside),
        placement=(
            placement(
                session, viewer=viewer, practice=practice, item=item, series=series, beside=beside
            )
            if beside
            else None
        ),
    )


def baseline_choices(today: date) -> list[tuple[int, str]]:
    current = financial_year_of(today)
    return [(fy, financial_year_label(fy)) for fy in range(current - 1, 2014, -1)]
