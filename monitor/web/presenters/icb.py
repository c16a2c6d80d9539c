"""What the ICB's and the PCN lead's pages say about the services' results: each figure in
its item's terms, the alt text of every chart, the slope index as words, the bars of the
equity chart and the PCN trend chart's labels."""

from __future__ import annotations

from collections.abc import Callable

from monitor import charts
from monitor.analysis.equity import compare_gaps
from monitor.core.checklist import Item, ItemType
from monitor.core.formatting import difference_format, item_value
from monitor.core.small_numbers import MIN_PRACTICES
from monitor.services import icb_views

__all__ = [
    "coverage",
    "england_lines",
    "gap_text",
    "england_marks",
    "england_quintiles",
    "equity_alt",
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


def figure_text(item: Item, value: float | None) -> str:
    """A figure of ``item`` as it reads on the page: £1,234, 12.5%, 2:30."""
    return item_value(value, item.type, item.unit)


def formatter(item: Item) -> Callable[[float | None], str]:
    """``figure_text`` for one item, for charts' axes and tables of that item."""
    return lambda value: figure_text(item, value)


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
    "similar": "similar to England's (the confidence intervals overlap)",
    "wider": "wider than England's",
}


def gap_text(item: Item, ours, england_sii) -> str | None:
    """One sentence comparing the ICB's slope index of inequality with England's."""
    if ours is None or england_sii is None or not ours.ok or not england_sii.ok:
        return None
    gap = compare_gaps(
        (ours.sii, ours.ci_lower, ours.ci_upper),
        (england_sii.sii, england_sii.ci_lower, england_sii.ci_upper),
    )
    return (
        f"The ICB's gap in {item.label} between its most and least deprived practices "
        f"({sii_text(item, ours.sii)}, 95% CI {sii_text(item, ours.ci_lower, with_unit=False)} "
        f"to {sii_text(item, ours.ci_upper)}) is {GAP_WORDS[gap]} "
        f"({sii_text(item, england_sii.sii)}, 95% CI "
        f"{sii_text(item, england_sii.ci_lower, with_unit=False)} to "
        f"{sii_text(item, england_sii.ci_upper)})."
    )


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


def quintile_bars(view: icb_views.Equity) -> list[tuple[str, float]]:
    """The equity chart's bars, labelled: quintiles with enough practices for a median,
    most deprived first."""
    return [
        (f"Quintile {q.label}", q.median)
        for q in view.quintiles
        if q.quintile is not None and q.n_practices >= MIN_PRACTICES
    ]


def england_quintiles(view: icb_views.Equity) -> dict[int, float]:
    """England's median by quintile (quintile → median), where England's are known."""
    if view.england is None:
        return {}
    return {
        q.quintile: q.median
        for q in view.england.quintiles
        if q.quintile is not None and q.median is not None and q.n_practices >= MIN_PRACTICES
    }


def england_marks(view: icb_views.Equity) -> list[float | None]:
    """England's median for each bar of the equity chart (None where not known)."""
    known = england_quintiles(view)
    return [
        known.get(q.quintile)
        for q in view.quintiles
        if q.quintile is not None and q.n_practices >= MIN_PRACTICES
    ]


def equity_title(item: Item) -> str:
    return f"{item.label}: median by deprivation quintile"


def equity_alt(view: icb_views.Equity) -> str:
    fmt = formatter(view.item)
    shown = quintile_bars(view)
    if not shown:
        return (
            f"Chart of {view.item.label} by deprivation quintile: no quintile has "
            f"{MIN_PRACTICES} or more submitting practices."
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
        f"Bar chart of the median {view.item.label} by deprivation quintile, most deprived "
        f"first: {parts}. Quintiles with fewer than {MIN_PRACTICES} practices are "
        f"left out.{beside} The figures are in the table below."
    )


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
