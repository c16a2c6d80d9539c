"""The practice impact summary: "what did we do with the HEP money, and did it help?"

One data structure, assembled here from the practice's own records, feeds every format
(Excel workbook, PDF, CSV), so the numbers agree everywhere and with the dashboard.
Tables are tidy (one row per observation) with a declared format per column, so each
writer can present money, percentages, durations and dates properly.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial

from matplotlib.figure import Figure
from sqlalchemy import func
from sqlmodel import Session, select

from monitor import charts
from monitor.core.checklist import ChecklistTemplate, ItemType, RoleGroup, Templates
from monitor.core.clock import utcnow
from monitor.core.formatting import NO_PCN, item_value
from monitor.core.inputs import Collector
from monitor.core.periods import Period, financial_year_label, financial_year_of
from monitor.core.tables import (
    DATE,
    DURATION,
    INTEGER,
    ITEM_FORMATS,
    MONEY,
    NUMBER,
    PERCENT,
    TEXT,
    WTE,
    Column,
    Table,
)
from monitor.models import (
    HepAllocation,
    Icb,
    Intervention,
    MetricValue,
    NationalImport,
    Pcn,
    Practice,
    SpendItem,
    StaffingChange,
)
from monitor.services import england, evidence, figures, logs, metric_view


@dataclass(frozen=True)
class MetricLine:
    item_id: str
    label: str
    unit: str
    format: str
    frequency: str
    baseline_label: str | None
    baseline_value: float | None
    latest_period: str
    latest_value: float
    change: float | None
    verdict: str
    strength: str

    def show(self, value: float | None) -> str:
        return "" if value is None else FORMATTERS[self.format](value)


FORMATTERS: dict[str, Callable[[float], str]] = {
    MONEY: lambda v: item_value(v, ItemType.MONEY),
    PERCENT: lambda v: item_value(v, ItemType.PERCENT),
    DURATION: lambda v: item_value(v, ItemType.DURATION),
    INTEGER: lambda v: item_value(v, ItemType.COUNT),
    NUMBER: lambda v: item_value(v, ItemType.NUMBER),
    TEXT: str,
}


@dataclass(frozen=True)
class ChartImage:
    caption: str
    alt: str
    png: bytes
    width_px: int
    height_px: int


@dataclass(frozen=True)
class ImpactSummary:
    practice_name: str
    ods_code: str
    pcn_name: str
    icb_name: str
    period_label: str
    start: date
    end: date
    generated_at: datetime
    template_label: str
    allocation: Decimal | None
    hep_spend: Decimal
    total_spend: Decimal
    spend_by_category: tuple[tuple[str, Decimal, Decimal], ...]  # label, HEP, total
    wte_by_group: tuple[tuple[str, Decimal, Decimal], ...]  # group, net WTE, HEP-funded WTE
    metrics: tuple[MetricLine, ...]
    interventions: tuple[tuple[date, str, str], ...]  # date, title, affected figures
    tables: tuple[Table, ...]
    charts: tuple[ChartImage, ...] = field(default=())
    baseline_label: str | None = None

    @property
    def unattributed(self) -> Decimal | None:
        return None if self.allocation is None else self.allocation - self.hep_spend

    @property
    def net_wte(self) -> Decimal:
        return sum((row[1] for row in self.wte_by_group), Decimal(0))

    def table(self, name: str) -> Table:
        return next(t for t in self.tables if t.name == name)


@dataclass(frozen=True)
class Choice:
    """The period a summary covers, its label, and the query string that asks for it."""

    start: date
    end: date
    label: str
    query: dict[str, str]


def summary_years(session: Session, practice_id: int, today: date) -> list[int]:
    """Financial years the practice has anything for, newest first, up to this one."""
    firsts = [
        session.exec(
            select(func.min(MetricValue.period_start)).where(MetricValue.practice_id == practice_id)
        ).one(),
        session.exec(
            select(func.min(SpendItem.spent_on)).where(SpendItem.practice_id == practice_id)
        ).one(),
    ]
    first_allocation = session.exec(
        select(func.min(HepAllocation.financial_year)).where(
            HepAllocation.practice_id == practice_id
        )
    ).one()
    current = financial_year_of(today)
    starts = [financial_year_of(d) for d in firsts if d is not None]
    if first_allocation is not None:
        starts.append(first_allocation)
    first = min(starts, default=current)
    return list(range(current, first - 1, -1))


def default_year(today: date) -> int:
    """The latest complete financial year: the one a summary is usually asked for."""
    return financial_year_of(today) - 1


def choose_period(
    args: Mapping[str, str], *, years: list[int], today: date
) -> tuple[Choice | None, dict[str, str]]:
    """The period asked for in a query string (`year=2024`, `start=…&end=…`, or the
    custom-range form's date boxes), or errors keyed by field."""
    if args.get("range") == "custom":
        check = Collector(args)
        start = check.date("start", "the start date")
        end = check.date("end", "the end date")
        if not check.errors and end < start:
            check.add("end", "The end date must be the same as or after the start date")
        if not check.errors and start > today:
            check.add("start", "The start date must be today or in the past")
        if not check.errors and (problem := _outside_range(start, end, today)):
            check.add("end" if start >= EARLIEST else "start", problem)
        if check.errors:
            return None, check.errors
        label = f"{start:%-d %B %Y} to {end:%-d %B %Y}"
        query = {"start": start.isoformat(), "end": end.isoformat()}
        return Choice(start, end, label, query), {}
    if "start" in args or "end" in args:
        try:
            start = date.fromisoformat(args.get("start", ""))
            end = date.fromisoformat(args.get("end", ""))
        except ValueError:
            return None, {"start": "Enter the start and end dates as real dates"}
        if end < start:
            return None, {"end": "The end date must be the same as or after the start date"}
        if problem := _outside_range(start, end, today):
            return None, {"end" if start >= EARLIEST else "start": problem}
        label = f"{start:%-d %B %Y} to {end:%-d %B %Y}"
        return Choice(start, end, label, {"start": args["start"], "end": args["end"]}), {}
    try:
        year = int(args.get("year") or "")
    except ValueError:
        year = default_year(today)
    if year not in years:
        return None, {"year": "Select a financial year from the list"}
    start, end = financial_year_range(year)
    label = financial_year_label(year)
    if end >= today:
        label = f"{label} (to date)"
    return Choice(start, end, label, {"year": str(year)}), {}


EARLIEST = date(2000, 4, 1)
"""No summary starts before the financial year 2000/01 (long before the HEP)."""


def _outside_range(start: date, end: date, today: date) -> str | None:
    """Why a range reaches beyond what a summary covers (from 2000/01 to the end of next
    financial year), or None."""
    latest = financial_year_range(default_year(today) + 1)[1]
    if start < EARLIEST or end > latest:
        return f"Enter dates from {EARLIEST:%-d %B %Y} to {latest:%-d %B %Y}"
    return None


def financial_year_range(fy: int) -> tuple[date, date]:
    return date(fy, 4, 1), date(fy + 1, 3, 31)


def build_summary(
    session: Session,
    *,
    practice: Practice,
    template: ChecklistTemplate,
    start: date,
    end: date,
    period_label: str,
    today: date,
    baseline_year: int | None = None,
    with_charts: bool = True,
    render_png: PngRenderer | None = None,
    templates: Templates | None = None,
) -> ImpactSummary:
    """Everything in the summary for the practice between `start` and `end` inclusive.
    The metric headlines compare the latest figure in the range with the baseline year
    (default: the year before the first HEP allocation), exactly as the dashboard does.
    Every figure says where it came from (the Figures table's Source); with `templates`,
    a figure of an item the template no longer has keeps its own version's label."""
    pcn = session.get(Pcn, practice.pcn_id) if practice.pcn_id else None
    icb = session.get(Icb, practice.icb_id)
    if baseline_year is None:
        baseline_year = evidence.default_baseline_year(session, practice.id)
    items = {item.id: item for item in template.items}

    allocations = list(
        session.exec(select(HepAllocation).where(HepAllocation.practice_id == practice.id))
    )
    # The HEP is paid per financial year: count each year whose 1 April falls in the
    # range (every year of a multi-year range); a range that starts no year has none,
    # rather than a misleading £0 with all its spending "above the allocation".
    paid = [a.amount for a in allocations if start <= date(a.financial_year, 4, 1) <= end]
    allocation = sum(paid, Decimal(0)) if paid else None

    spend = [
        s
        for s in session.exec(
            select(SpendItem)
            .where(SpendItem.practice_id == practice.id)
            .order_by(SpendItem.spent_on, SpendItem.id)
        )
        if start <= s.spent_on <= end
    ]
    categories = {c.id: c.label for c in template.spending_categories}
    sources = {s.id: s.label for s in template.funding_sources}
    by_category: dict[str, list[Decimal]] = {}
    for item in spend:
        totals = by_category.setdefault(item.category, [Decimal(0), Decimal(0)])
        totals[0] += item.hep_amount
        totals[1] += item.total_cost
    spend_by_category = tuple(
        (categories.get(cid, cid), hep, total)
        for cid, (hep, total) in sorted(by_category.items(), key=lambda kv: -kv[1][0])
    )

    changes = [
        c
        for c in session.exec(
            select(StaffingChange)
            .where(StaffingChange.practice_id == practice.id)
            .order_by(StaffingChange.starts_on, StaffingChange.id)
        )
        if start <= c.starts_on <= end
    ]
    role_groups = {r.id: r.group for r in template.staffing_roles}
    wte: dict[str, list[Decimal]] = {}
    for change in changes:
        # A role the template no longer lists counts where the money view counts it.
        label = role_groups.get(change.role, RoleGroup.ADMIN).label
        totals = wte.setdefault(label, [Decimal(0), Decimal(0)])
        totals[0] += change.wte_change
        totals[1] += change.wte_change * change.hep_share_pct / 100
    wte_by_group = tuple(
        (g, n.quantize(Decimal("0.01")), h.quantize(Decimal("0.01"))) for g, (n, h) in wte.items()
    )

    events = [
        e
        for e in session.exec(
            select(Intervention)
            .where(Intervention.practice_id == practice.id)
            .order_by(Intervention.occurred_on, Intervention.id)
        )
        if e.occurred_on <= end
    ]

    values = list(
        session.exec(
            select(MetricValue)
            .where(MetricValue.practice_id == practice.id)
            .order_by(MetricValue.item_id, MetricValue.period_start)
        )
    )
    in_range = [
        v for v in values if start <= v.period_start and Period.parse(v.period_code).end <= end
    ]
    import_ids = {v.import_id for v in in_range if v.import_id is not None}
    imports = (
        {
            i.id: i
            for i in session.exec(select(NationalImport).where(NationalImport.id.in_(import_ids)))
        }
        if import_ids
        else {}
    )
    for value in in_range:
        if value.item_id not in items and templates is not None:
            earlier = figures.defined_as(
                templates, value.template_id, value.template_version, value.item_id
            )
            if earlier is not None:
                items[value.item_id] = earlier

    metrics = []
    charted = []
    measured = [item for item in template.items if item.type is not ItemType.TEXT]

    def until(item) -> Period:
        # A period that ends on `end` is complete the day after.
        last = Period.latest_complete(min(end + timedelta(days=1), today), item.frequency)
        while last.end > end:
            last = last.previous()
        return last

    found = evidence.series_for_items(
        session,
        practice_id=practice.id,
        items=measured,
        until=until,
        template_version=template.version,
    )
    for item in measured:
        series = found[item.id]
        if series is None or not any(start <= p.start for p, _ in series.observed):
            continue
        result = evidence.cached_evidence_for(
            series, baseline_year=baseline_year, interventions=events
        )
        if result is None:
            continue
        metrics.append(
            MetricLine(
                item_id=item.id,
                # A year-to-date item is charted and judged by its rise in each period.
                label=series.charted_label,
                unit=item.unit,
                format=ITEM_FORMATS[item.type],
                frequency=item.frequency.label,
                baseline_label=financial_year_label(baseline_year) if baseline_year else None,
                baseline_value=result.baseline_mean,
                latest_period=result.latest_period.label,
                latest_value=result.latest_value,
                change=result.change_since_baseline,
                verdict=result.verdict,
                strength=result.strength.name.lower().replace("_", " "),
            )
        )
        if with_charts and len(series.observed) >= 2:
            charted.append(result)
    chart_images = _metric_charts(session, practice, charted, events, render_png or _render_png)

    tables = (
        Table(
            "Figures",
            "Figures recorded, one row per figure and period",
            (
                Column("Figure"),
                Column("Item id"),
                Column("Period"),
                Column("Period start", DATE),
                Column("Value", "item", format_from=7),
                Column("Unit"),
                Column("Source"),
                Column("Format"),
            ),
            tuple(
                (
                    items[v.item_id].label if v.item_id in items else v.item_id,
                    v.item_id,
                    Period.parse(v.period_code).label,
                    v.period_start,
                    v.value_number if v.value_number is not None else v.value_text,
                    "seconds"
                    if v.item_id in items and items[v.item_id].type is ItemType.DURATION
                    else (items[v.item_id].unit if v.item_id in items else ""),
                    figures.Provenance.of(v, imports.get(v.import_id)).text,
                    ITEM_FORMATS[items[v.item_id].type] if v.item_id in items else NUMBER,
                )
                for v in in_range
            ),
        ),
        Table(
            "Spending",
            "Spending and how much of it HEP paid",
            (
                Column("Date", DATE),
                Column("Category"),
                Column("Description"),
                Column("Total cost", MONEY),
                Column("Paid by HEP", MONEY),
                Column("Paid from other sources", MONEY),
                Column("Other sources"),
                Column("Recurrent or one-off"),
            ),
            tuple(
                (
                    s.spent_on,
                    categories.get(s.category, s.category),
                    s.description,
                    s.total_cost,
                    s.hep_amount,
                    s.total_cost - s.hep_amount,
                    ", ".join(sources.get(x, x) for x in s.other_sources or []),
                    logs.RECURRENCE.get(s.recurrence, s.recurrence),
                )
                for s in spend
            ),
        ),
        Table(
            "Staffing",
            "Staffing changes",
            (
                Column("Start date", DATE),
                Column("Role"),
                Column("Change"),
                Column("WTE change", WTE),
                Column("Contract"),
                Column("End date", DATE),
                Column("HEP share of cost", PERCENT),
                Column("Community languages"),
                Column("Note"),
            ),
            tuple(
                (
                    c.starts_on,
                    _label(template.staffing_roles, c.role),
                    _label(template.staffing_change_types, c.change_type),
                    c.wte_change,
                    logs.CONTRACT_TYPES.get(c.contract_type, c.contract_type),
                    c.ends_on,
                    c.hep_share_pct,
                    c.languages,
                    c.note,
                )
                for c in changes
            ),
        ),
        Table(
            "Allocations",
            "HEP allocation by financial year",
            (
                Column("Financial year"),
                Column("Amount", MONEY),
                Column("Change from year before", MONEY),
                Column("Change from year before (%)", PERCENT),
                Column("Date received", DATE),
                Column("Note"),
            ),
            tuple(
                (
                    financial_year_label(r.allocation.financial_year),
                    r.allocation.amount,
                    r.change,
                    round(r.change_pct, 1) if r.change_pct is not None else None,
                    r.allocation.received_on,
                    r.allocation.note,
                )
                for r in reversed(logs.allocation_history(allocations))
                # The history up to the period's last year, not years after it.
                if r.allocation.financial_year <= financial_year_of(end)
            ),
        ),
        Table(
            "Interventions",
            "Interventions: dated changes the practice made",
            (
                Column("Date", DATE),
                Column("Title"),
                Column("Description"),
                Column("Figures it should affect"),
            ),
            tuple(
                (
                    e.occurred_on,
                    e.title,
                    e.description,
                    ", ".join(items[i].label for i in e.affected_items or [] if i in items),
                )
                for e in events
            ),
        ),
    )
    return ImpactSummary(
        practice_name=practice.name,
        ods_code=practice.ods_code,
        pcn_name=pcn.name if pcn else NO_PCN,
        icb_name=icb.name,
        period_label=period_label,
        start=start,
        end=end,
        generated_at=utcnow(),
        template_label=f"{template.name}, version {template.version}",
        allocation=allocation,
        hep_spend=sum((s.hep_amount for s in spend), Decimal(0)),
        total_spend=sum((s.total_cost for s in spend), Decimal(0)),
        spend_by_category=spend_by_category,
        wte_by_group=wte_by_group,
        metrics=tuple(sorted(metrics, key=lambda m: _strength_order(m.strength))),
        interventions=tuple(
            (
                e.occurred_on,
                e.title,
                ", ".join(items[i].label for i in e.affected_items or [] if i in items),
            )
            for e in events
            if start <= e.occurred_on <= end
        ),
        tables=tables,
        charts=tuple(chart_images),
        baseline_label=financial_year_label(baseline_year) if baseline_year else None,
    )


def _strength_order(strength: str) -> int:
    order = ["concern", "improvement", "change", "no change", "too few"]
    return order.index(strength) if strength in order else len(order)


def _label(choices, value: str) -> str:
    return next((c.label for c in choices if c.id == value), value)


PngRenderer = Callable[[str, Callable[[], Figure]], bytes]
"""Turns (a key for everything the chart shows, a function that draws it) into PNG bytes.
The web layer passes one backed by its chart cache, so a second download of the same
summary does not draw the charts again."""


def _render_png(key: str, draw: Callable[[], Figure]) -> bytes:
    return charts.render_png(draw())


def _png_size(png: bytes) -> tuple[int, int]:
    """Width and height from the PNG header (the IHDR chunk always comes first)."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


CHART_THREADS = 4
"""Charts of one summary asked for at once: the chart cache draws the missing ones in
its pool of processes (monitor.web.chart_cache), so they render in parallel."""


def _metric_charts(
    session: Session,
    practice: Practice,
    results: list[evidence.Evidence],
    events: list[Intervention],
    render_png: PngRenderer,
) -> list[ChartImage]:
    """A chart of each result, with England beside those with a national source (one
    query for all of them), rendered in parallel: a first download draws them all at
    once rather than one after another."""
    national = [r for r in results if r.item.national is not None]
    beside: dict[tuple[str, str], object] = {}
    if national:
        beside = england.aggregates(
            session,
            practice.icb_id,
            sorted({r.item.id for r in national}),
            sorted({p.code for r in national for p in r.series.periods}),
        )
    drawings = []
    for result in results:
        codes = {p.code for p in result.series.periods}
        own = {
            code: aggregate
            for (item_id, code), aggregate in beside.items()
            if item_id == result.item.id and code in codes
        }
        band = metric_view.england_band(own, result.series.periods)
        drawings.append(_metric_chart_drawing(result, events, band=band))
    if len(drawings) < 2:
        pngs = [render_png(key, draw) for key, draw, _ in drawings]
    else:
        # Each call runs in a copy of this context (the web layer's renderer reads its
        # app from it); the threads mostly wait on the render processes.
        with ThreadPoolExecutor(max_workers=min(CHART_THREADS, len(drawings))) as pool:
            futures = [
                pool.submit(contextvars.copy_context().run, render_png, key, draw)
                for key, draw, _ in drawings
            ]
            pngs = [future.result() for future in futures]
    images = []
    for (_, _, spec_of), png in zip(drawings, pngs, strict=True):
        result, spec = spec_of
        width, height = _png_size(png)
        images.append(
            ChartImage(
                caption=f"{result.item.label}: {result.verdict}",
                alt=charts.alt_text(spec),
                png=png,
                width_px=width,
                height_px=height,
            )
        )
    return images


def _metric_chart_drawing(
    result: evidence.Evidence,
    events: list[Intervention],
    *,
    band: charts.ReferenceBand | None = None,
):
    """(cache key, a picklable function that draws the chart, (result, spec))."""
    item = result.item
    series = result.series
    fmt = partial(item_value, item_type=item.type, unit=item.unit)
    markers = [
        charts.Marker(label=e.title, at=e.occurred_on)
        for e in events
        if item.id in (e.affected_items or [])
        and series.periods[0].start <= e.occurred_on <= series.periods[-1].end
    ]
    baseline = None
    if result.baseline_year is not None:
        indexes = [n for n, p in enumerate(series.periods) if p.fy == result.baseline_year]
        baseline = (indexes[0], indexes[-1]) if indexes else None
    spec = charts.SpcChartSpec(
        title=series.charted_label,
        y_label=item.unit if item.type is not ItemType.DURATION else "minutes:seconds",
        result=result.chart,
        period_labels=[p.label for p in series.periods],
        period_starts=[p.start for p in series.periods],
        format_value=fmt,
        markers=markers,
        baseline=baseline,
        value_floor=item.min if item.min is not None else 0.0,
        value_ceiling=100.0 if item.type is ItemType.PERCENT else None,
        y_tick_steps=charts.DURATION_TICK_STEPS if item.type is ItemType.DURATION else None,
        band=band,
        **evidence.chart_sources(series),
    )
    if len(series.observed) < result.chart.settings.short_group_threshold:
        spec = charts.RunChartSpec.from_spc(spec)
        draw = partial(charts.run_chart, spec)
    else:
        draw = partial(charts.spc_chart, spec)
    return charts.chart_key("summary", spec), draw, (result, spec)
