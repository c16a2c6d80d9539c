"""What the ICB's and the PCN lead's pages say about the services' results: each figure in
its item's terms, the alt text of every chart, the slope index as words, the bars of the
equity chart and the PCN trend chart's labels."""

from __future__ import annotations

from dataclasses import dataclass

from monitor import charts
from monitor.analysis import equity, spc
from monitor.analysis.equity import compare_gaps
from monitor.core.checklist import Frequency, Item, ItemType
from monitor.core.clock import to_uk
from monitor.core.formatting import difference_format
from monitor.core.periods import Period
from monitor.core.small_numbers import MIN_PRACTICES
from monitor.services import icb_views
from monitor.services.evidence import IMPROVEMENT
from monitor.services.icb_charts import (
    england_marks,
    england_quintiles,
    equity_formatter,
    equity_title,
    figure_text,
    formatter,
    quintile_bars,
)

__all__ = [
    "CI_HINT",
    "TransformOffer",
    "ci_items",
    "interval_label",
    "method_statement",
    "not_transformed",
    "over_time_gap",
    "over_time_note",
    "transform_offer",
    "coverage",
    "england_lines",
    "gap_text",
    "england_marks",
    "england_quintiles",
    "equity_alt",
    "equity_formatter",
    "equity_title",
    "figure_text",
    "formatter",
    "quintile_bars",
    "ranked_alt",
    "sii_text",
    "spending_alt",
    "trend_alt",
    "trend_spec",
]


def coverage(published: icb_views.Published | None, practices: int) -> str | None:
    """Where a national item's figures came from, and how many practices they cover:
    "From NHS England's publication (Cloud Based Telephony, February 2026 publication),
    all 128 practices"; None for an item from the returns."""
    if published is None:
        return None
    n = len(published.figures)
    sources = "; ".join(published.publications) or "NHS England's data"
    whose = (
        "your ICB's HEP payment schedule"
        if published.publications
        and all(p.startswith("HEP payment schedule") for p in published.publications)
        else "NHS England's publication"
    )
    if n == practices:
        count = f"all {n:,} practices"
    else:
        count = f"{n:,} of the ICB's {practices:,} practices (the others had none published)"
    return (
        f"From {whose} ({sources}), {count}, whether or not they submitted a return: "
        "published figures are public. What practices typed themselves is used only from "
        "submitted returns."
    )


def england_lines(found, item: Item) -> list[tuple[str, str]]:
    """England's figures as (label, value) rows, or none when there are none."""
    if found is None or not found.summary.enough:
        return []
    fmt = formatter(item)
    s = found.summary
    return [
        ("England's practices", f"{s.n:,}"),
        ("England median", fmt(s.median)),
        ("England lower quartile", fmt(s.q1)),
        ("England upper quartile", fmt(s.q3)),
        ("Source", "; ".join(found.publications)),
    ]


GAP_WORDS = {
    "narrower": "narrower than England's",
    "similar": "similar to England's",
    "wider": "wider than England's",
}


def gap_text(item: Item, ours, england_sii, *, over: str = "") -> str | None:
    """One sentence comparing the ICB's slope index of inequality with England's (`item`
    as the equity lens compares it: `Equity.compared`); none when either is missing or
    they rank practices differently (by IMD score and by decile)."""
    if ours is None or england_sii is None or not ours.ok or not england_sii.ok:
        return None
    if ours.ranked_by != england_sii.ranked_by:
        return None
    gap = compare_gaps(
        (ours.sii, ours.ci_lower, ours.ci_upper),
        (england_sii.sii, england_sii.ci_lower, england_sii.ci_upper),
    )
    text = (
        f"{over + ', t' if over else 'T'}he ICB's gap in {item.label} between its most and "
        f"least deprived practices ({sii_text(item, ours.sii)}, 95% CI "
        f"{sii_text(item, ours.ci_lower, with_unit=False)} to {sii_text(item, ours.ci_upper)}) "
        f"is {GAP_WORDS[gap]} ({sii_text(item, england_sii.sii)}, 95% CI "
        f"{sii_text(item, england_sii.ci_lower, with_unit=False)} to "
        f"{sii_text(item, england_sii.ci_upper)})."
    )
    if gap == "similar":
        text += " The two confidence intervals overlap, so the gaps cannot be told apart."
    return text


def england_periods(view: icb_views.Equity) -> str:
    """ "Over January 2026" when England's figures cover only some of the collection's
    periods (the ICB's figure it is compared with is then over those periods too)."""
    if view.matched is None or view.england is None:
        return ""
    labels = [Period.parse(code).label for code in view.england.periods]
    return "Over " + ", ".join(labels) + " (the periods England's figures cover)"


def ranked_alt(view: icb_views.Distribution) -> str:
    fmt = formatter(view.item)
    n = view.summary.n
    if n == 0:
        return f"Chart of {view.item.label}: no practice submitted this figure."
    whose = "practice" if view.published is not None else "submitting practice"
    text = (
        f"Bar chart of {view.item.label} for {n} {whose}{'s' if n != 1 else ''}, "
        "ranked from highest to lowest and labelled by rank only"
    )
    s = view.summary
    if s.enough:
        text += (
            f". Median {fmt(s.median)}, quartiles {fmt(s.q1)} to {fmt(s.q3)}, "
            f"range {fmt(s.minimum)} to {fmt(s.maximum)}."
        )
    else:
        text += f"; fewer than {MIN_PRACTICES} practices, so no median is shown."
    e = view.england.summary if view.england is not None else None
    if e is not None and e.enough:
        text += (
            f" England's median, drawn across, is {fmt(e.median)} (quartiles {fmt(e.q1)} to "
            f"{fmt(e.q3)}, {e.n:,} practices)."
        )
    return text + " The figures are in the table below."


def sii_text(item: Item, value: float | None, *, with_unit: bool = True) -> str:
    """A slope index (a difference) in the item's terms: "-4.2 percentage points"."""
    if value is None:
        return ""
    fmt, unit = difference_format(item)
    text = f"-{fmt(-value)}" if value < 0 else fmt(value)
    return f"{text} {unit}".strip() if with_unit else text


def equity_alt(view: icb_views.Equity) -> str:
    fmt = equity_formatter(view)
    name = view.compared.label
    shown = quintile_bars(view)
    if not shown:
        return (
            f"No chart of {name} by IMD quintile: no quintile has {MIN_PRACTICES} or more "
            "practices with a figure, so every quintile's median is suppressed (the median "
            "of one or two practices would show their own figures)."
        )
    parts = "; ".join(f"{label} {fmt(value)}" for label, value in shown)
    marks = england_marks(view)
    beside = ""
    if any(m is not None for m in marks):
        england = "; ".join(
            f"{label} {fmt(m)}" for (label, _), m in zip(shown, marks, strict=True) if m is not None
        )
        beside = f" England's median in each quintile is marked with a diamond: {england}."
    return (
        f"Bar chart of the median {name} by IMD quintile, most deprived first: {parts}. "
        f"Quintiles with fewer than {MIN_PRACTICES} practices are left out.{beside} The "
        "figures are in the table below."
    )


# --------------------------------------------------------------------------- equity options


CI_HINTS = {
    "simulation": (
        "PHEindicatormethods phe_sii: each practice's rate redrawn "
        f"{equity.DEFAULT_REPETITIONS:,} times from its own 95% confidence limits, the line "
        "refitted each time"
    ),
    "regression": "From how far the practices sit from the fitted line (Student's t)",
}
CI_HINT = (
    "How each slope index's 95% confidence interval is worked out, for the ICB and for "
    "England alike. PHE's simulation needs each practice's own confidence limits, which only "
    "rates (counts per 1,000 registered patients) have here: every other figure always has "
    "the regression residuals' interval."
)
NO_LIMITS = (
    "PHE transforms a figure using its own confidence limits (the log of a rate, the logit of "
    "a proportion), and these figures come without the numerator and denominator that "
    "would give them limits"
)


def ci_items(options: icb_views.EquityOptions) -> list[dict]:
    """The confidence interval radios, the chosen one checked."""
    return [
        {"value": value, "text": text, "hint": {"text": CI_HINTS[value]},
         "checked": value == options.ci_method}
        for value, text in icb_views.CI_CHOICES.items()
    ]  # fmt: skip


@dataclass(frozen=True)
class TransformOffer:
    """The "Transform before fitting" field: offered only where PHE applies a transform
    (the rates), with a hint saying where it applies and why not elsewhere."""

    offered: bool
    hint: str
    checked: bool


def _names(items: list[Item]) -> str:
    labels = [icb_views.compared_measure(item).label for item in items]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def transform_offer(items: list[Item], options: icb_views.EquityOptions) -> TransformOffer:
    rates = [item for item in items if icb_views.transformable(item)]
    others = [item for item in items if not icb_views.transformable(item)]
    if not rates:
        return TransformOffer(
            False,
            "Transform before fitting is not offered: none of these metrics is a rate. "
            f"{NO_LIMITS}.",
            False,
        )
    hint = (
        f"PHE's log of each rate before the line is fitted, the gap turned back into a rate. "
        f"Applies to {_names(rates)}; needs PHE's simulation, and every practice to have at "
        "least one event."
    )
    if others:
        hint += f" Not offered for {_names(others)}: {NO_LIMITS}."
    return TransformOffer(True, hint, options.transform)


def interval_label(result: equity.SiiResult) -> str:
    """The interval's method as the summary table names it: "PHE simulation",
    "regression residuals", "PHE simulation, fitted to the log of each rate"."""
    return equity.method_label(result.ci_method, None, result.transform, result.value_type)


def method_statement(views: list[icb_views.Equity], options: icb_views.EquityOptions) -> list[str]:
    """The method every slope index on the page was worked out by, in words."""
    rates = [v for v in views if icb_views.transformable(v.item)]
    others = [v for v in views if not icb_views.transformable(v.item)]
    sentences = []
    if rates:
        how = "the default" if options.default else "as chosen in the options below"
        sentences.append(
            f"95% confidence intervals of the rates ({_names([v.item for v in rates])}) by "
            f"{rates[0].sii.method_label} ({how})."
        )
    if others:
        whose = "every other metric" if rates else "every metric"
        sentences.append(
            f"95% confidence intervals of {whose} by regression residuals: these figures "
            "have no confidence limits of their own to simulate from."
        )
    if rates and not options.default and any(v.england and v.england.sii for v in rates):
        sentences.append(
            "England's slope index beside each rate's is worked out again by the same method, "
            "over England's practices, so the two stay like for like."
        )
    return sentences


def not_transformed(view: icb_views.Equity) -> str | None:
    """Why an item's slope index was not transformed when the transform was chosen."""
    if not view.options.transform or icb_views.transformable(view.item):
        return None
    return (
        f"Not transformed: {NO_LIMITS}, so this slope index is fitted to the figures as they are."
    )


def over_time_note(view: icb_views.Equity) -> str | None:
    """Why the period table does not compare the ICB's gap with England's, when the method
    chosen is not the one England's stored figures are by."""
    if view.over_time_like_for_like:
        return None
    return (
        "England's slope indices period by period were worked out once, when each national "
        f"file was imported, by the default method ({icb_views.stored_method_label(view.item)}); "
        f"the ICB's here are by {view.sii.method_label}, as chosen, so the ICB's gap is not "
        "compared with England's period by period. Choose the default method to compare them."
    )


def over_time_gap(point: icb_views.InequalityPoint) -> str:
    """The period table's gap cell."""
    if point.gap:
        return point.gap.capitalize()
    if not point.like_for_like and point.england is not None and point.england.sii is not None:
        return "Not compared: England's is by the default method"
    return "Not compared"


def spending_alt(mix: icb_views.SpendingMix) -> str:
    if not mix.categories:
        return "Chart of HEP-attributed spend by category: no submitted return includes spending."
    parts = "; ".join(
        f"{c.label} {charts.compact_money(float(c.hep))}"
        + (f" ({c.share_pct:.0f}%)" if c.share_pct is not None else "")
        for c in mix.categories
    )
    return (
        f"Bar chart of HEP-attributed spend by category across "
        f"{len(mix.practices)} submitting practices: {parts}. The figures are in the table below."
    )


def trend_spec(trend: icb_views.Trend) -> charts.RunChartSpec:
    """The PCN median of one item over time, titled and formatted in the item's terms."""
    item = trend.item
    return charts.RunChartSpec(
        title=f"{item.label}: PCN median",
        y_label=item.unit or item.type.value,
        period_labels=[p.period.label for p in trend.points],
        values=trend.medians,
        format_value=formatter(item),
        value_ceiling=100.0 if item.type is ItemType.PERCENT else None,
        y_tick_steps=charts.DURATION_TICK_STEPS if item.type is ItemType.DURATION else None,
    )


def trend_alt(trend: icb_views.Trend) -> str:
    return charts.alt_text(trend_spec(trend))


# --------------------------------------------------------------------------- trends
# A trend across collections is drawn as Making Data Count asks: no chart for one or two
# medians (the table alone), a run chart with its median below 13, an XmR chart from 13.

MIN_TREND_CHART_POINTS = 3
"""Fewest medians a trend is drawn for: one or two make no line worth reading."""

SPC_POINTS = spc.DEFAULT_SETTINGS.short_group_threshold
"""Medians an XmR chart needs for process limits (13)."""

MIXED_NOTE = (
    "Quarterly and annual collections are shown together, in the order their periods "
    "end: a point labelled “full year” is a whole year's collection."
)


@dataclass(frozen=True)
class TrendRow:
    """One row of a trend's data table: the period and its figures as the page shows them
    (median and quartiles None where too few practices have a figure)."""

    label: str
    n: int
    members: int
    median: str | None
    lower: str | None
    upper: str | None


@dataclass(frozen=True)
class TrendView:
    """What a page shows of one trend: its chart (None for a table only), the sentence
    saying which chart it is or why there is none, the alt text and the table's rows."""

    trend: icb_views.Trend
    labels: list[str]
    spec: charts.SpcChartSpec | charts.RunChartSpec | None
    status: str
    alt: str | None
    rows: list[TrendRow]

    @property
    def kind(self) -> str:
        """ "xmr", "run" or "table"."""
        if isinstance(self.spec, charts.SpcChartSpec):
            return "xmr"
        return "table" if self.spec is None else "run"


def trend_labels(trend: icb_views.Trend) -> list[str]:
    """Each point's period as people say it ("2025/26 Q3"); a year's "2025/26 full year"
    where quarters and years share the trend, so neither is taken for the other."""
    return [
        f"{p.period.label} full year"
        if trend.mixed_frequencies and p.period.frequency is Frequency.ANNUAL
        else p.period.label
        for p in trend.points
    ]


def _trend_status(trend: icb_views.Trend, whose: str) -> str:
    n = trend.plotted
    if n < MIN_TREND_CHART_POINTS:
        if n == 0:
            return (
                f"No {whose} median yet: no collection has {MIN_PRACTICES} or more practices "
                "with the figure, so there is no chart; the figures are in the table."
            )
        found = f"{whose} medians for only {n} collections"
        if n == 1:
            article = "An" if whose == "ICB" else "A"
            found = f"{article} {whose} median for only 1 collection"
        return (
            f"{found} so far ({MIN_PRACTICES} or more practices with the figure): too few "
            "points for a chart, so the figures are in the table."
        )
    if n < SPC_POINTS:
        return (
            f"Run chart of the {whose} median, with the median of its {n} points drawn "
            f"across: not enough points yet for process limits ({n} of {SPC_POINTS})."
        )
    return (
        f"XmR chart of the {whose} median over {n} points, with their mean and process "
        "limits (Making Data Count)."
    )


def _trend_spec(
    trend: icb_views.Trend,
    labels: list[str],
    *,
    title: str,
    band: charts.ReferenceBand | None = None,
) -> charts.SpcChartSpec | charts.RunChartSpec | None:
    item = trend.item
    if trend.plotted < MIN_TREND_CHART_POINTS:
        return None
    common = {
        "title": title,
        "y_label": item.unit if item.type is not ItemType.DURATION else "minutes:seconds",
        "period_labels": labels,
        "format_value": formatter(item),
        "value_floor": item.min if item.min is not None else 0.0,
        "value_ceiling": 100.0 if item.type is ItemType.PERCENT else None,
        "y_tick_steps": charts.DURATION_TICK_STEPS if item.type is ItemType.DURATION else None,
        "band": band,
        "notes": [MIXED_NOTE] if trend.mixed_frequencies else [],
    }
    if trend.plotted < SPC_POINTS:
        return charts.RunChartSpec(values=trend.medians, min_spc_points=SPC_POINTS, **common)
    result = spc.xmr(
        trend.medians,
        periods=list(range(len(trend.points))),
        improvement=IMPROVEMENT[item.direction],
    )
    return charts.SpcChartSpec(result=result, **common)


def _trend_view(
    trend: icb_views.Trend, *, whose: str, title: str, band: charts.ReferenceBand | None = None
) -> TrendView:
    labels = trend_labels(trend)
    spec = _trend_spec(trend, labels, title=title, band=band)
    fmt = formatter(trend.item)
    rows = [
        TrendRow(
            label,
            p.summary.n,
            p.members,
            *(
                (fmt(p.summary.median), fmt(p.summary.q1), fmt(p.summary.q3))
                if p.summary.enough
                else (None, None, None)
            ),
        )
        for label, p in zip(labels, trend.points, strict=True)
    ]
    alt = None
    if spec is not None:
        alt = charts.alt_text(spec)
        if trend.mixed_frequencies:
            alt += f" {MIXED_NOTE}"
        alt += " The figures are in the table below."
    return TrendView(trend, labels, spec, _trend_status(trend, whose), alt, rows)


def pcn_trend_view(trend: icb_views.Trend) -> TrendView:
    """A PCN lead's trend of the PCN median."""
    return _trend_view(trend, whose="PCN", title=f"{trend.item.label}: PCN median")


def icb_trend_view(trend: icb_views.Trend) -> TrendView:
    """An ICB analyst's trend: the ICB median, its interquartile range shaded behind."""
    band = charts.ReferenceBand(
        name="ICB",
        median=trend.medians,
        lower=trend.lower_quartiles,
        upper=trend.upper_quartiles,
    )
    return _trend_view(
        trend,
        whose="ICB",
        title=f"{trend.item.label}: ICB median and interquartile range",
        band=band,
    )


def trend_chart_key(scope: str, owner: int | None, view: TrendView) -> str:
    """The chart cache's key: everything the chart draws."""
    trend, item = view.trend, view.trend.item
    return charts.chart_key(
        scope,
        owner,
        item.id,
        item.type,
        item.label,
        view.kind,
        view.labels,
        trend.medians,
        trend.lower_quartiles,
        trend.upper_quartiles,
    )


def draw_trend(spec: charts.SpcChartSpec | charts.RunChartSpec):
    """The trend's chart as a matplotlib Figure."""
    if isinstance(spec, charts.SpcChartSpec):
        return charts.spc_chart(spec)
    return charts.run_chart(spec)


__all__ += [
    "MIN_TREND_CHART_POINTS",
    "SPC_POINTS",
    "TrendRow",
    "TrendView",
    "draw_trend",
    "icb_trend_view",
    "pcn_trend_view",
    "trend_chart_key",
    "trend_labels",
]


def completeness_rows(found: icb_views.Completeness) -> list[list[str]]:
    """The completeness export's rows (icb_views.COMPLETENESS_HEADER): whom to chase,
    with the filter that picked them on every row so a forwarded file still says it."""
    return [
        [
            row.practice.name,
            row.practice.ods_code,
            row.pcn.name if row.pcn is not None else "",
            row.label,
            "" if row.last_changed is None else f"{to_uk(row.last_changed):%Y-%m-%d %H:%M}",
            found.filter_label,
        ]
        for row in found.rows
    ]
