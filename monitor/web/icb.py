"""The ICB's view across practices: completeness, distributions, PCN aggregates, the equity
lens, spending mix and the ICB workbook; the PCN lead's trends.

Every page reads submitted returns only (monitor.services.icb_views). A collection of
another ICB answers 404. Charts label practices by rank, never by name; the data table
beside each chart is where an ICB analyst reads practice names.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from flask import Blueprint, abort, render_template, url_for
from flask_login import current_user
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator
from werkzeug.routing import BuildError

from monitor import charts
from monitor.analysis.distribution import Summary
from monitor.charts.style import (
    EDGE_PT,
    NHS_BLACK,
    NHS_BLUE,
    NHS_DARK_GREY,
    NHS_PALE_GREY,
    SMALL_FONT_SIZE,
    TITLE_FONT_SIZE,
    chart_context,
    clean_text,
    freeze_layout,
)
from monitor.core.checklist import Item, ItemType
from monitor.core.formatting import item_value
from monitor.core.small_numbers import MIN_PRACTICES
from monitor.exporters.icb_workbook import icb_workbook, workbook_filename
from monitor.models import Collection, Role
from monitor.services import icb_views, visibility
from monitor.services.collections import STATE_COLOURS
from monitor.web.access import allow
from monitor.web.chart_cache import chart_response
from monitor.web.context import db, templates
from monitor.web.downloads import XLSX, csv_download, download

bp = Blueprint("icb", __name__)

ANALYST = (Role.ICB_ANALYST,)


def _collection(collection_id: int) -> Collection:
    collection = visibility.analyst_collection(db(), current_user, collection_id)
    if collection is None:
        abort(404)
    return collection


def _data(collection_id: int) -> icb_views.CollectionData:
    collection = _collection(collection_id)
    template = templates().get((collection.template_id, collection.template_version))
    if template is None:
        abort(404)
    return icb_views.load(db(), user=current_user, collection=collection, template=template)


def _item(data: icb_views.CollectionData, item_id: str) -> Item:
    item = data.item(item_id)
    if item is None:
        abort(404)
    return item


def formatter(item: Item) -> Callable[[float | None], str]:
    return lambda value: item_value(value, item.type, item.unit)


def _collection_url(collection: Collection) -> str | None:
    """The collection's own page (the returns blueprint), if it is there to link to."""
    try:
        return url_for("returns.collection", collection_id=collection.id)
    except BuildError:
        return None


def _render(name: str, data: icb_views.CollectionData, **context):
    return render_template(
        f"icb/{name}.jinja",
        collection=data.collection,
        collection_url=_collection_url(data.collection),
        period=data.period,
        min_practices=MIN_PRACTICES,
        value_rule=icb_views.VALUE_RULE,
        **context,
    )


# Completeness -------------------------------------------------------------------------


@bp.get("/collections/<int:collection_id>/completeness")
@allow(*ANALYST)
def completeness(collection_id: int):
    data = _data(collection_id)
    states = icb_views.practice_states(db(), data.collection, data.practices, data.template)
    return _render(
        "completeness",
        data,
        completeness=icb_views.completeness(data, states),
        state_labels=icb_views.STATE_LABELS,
        state_colours=STATE_COLOURS,
    )


# Distributions ------------------------------------------------------------------------


@bp.get("/collections/<int:collection_id>/metrics")
@allow(*ANALYST)
def metrics(collection_id: int):
    data = _data(collection_id)
    return _render(
        "metrics",
        data,
        metrics=icb_views.metric_index(data),
        submitted=len(data.submissions),
        fmt=lambda item, value: item_value(value, item.type, item.unit),
    )


@bp.get("/collections/<int:collection_id>/metrics/<item_id>")
@allow(*ANALYST)
def distribution(collection_id: int, item_id: str):
    data = _data(collection_id)
    item = _item(data, item_id)
    view = icb_views.distribution(data, item)
    return _render(
        "distribution",
        data,
        item=item,
        view=view,
        fmt=formatter(item),
        alt=_ranked_alt(view, formatter(item)),
    )


@bp.get("/collections/<int:collection_id>/metrics/<item_id>/chart.<fmt>")
@allow(*ANALYST)
def distribution_chart(collection_id: int, item_id: str, fmt: str):
    data = _data(collection_id)
    item = _item(data, item_id)
    view = icb_views.distribution(data, item)
    values = [r.figure.value for r in view.ranked]
    summary = view.summary
    key = charts.chart_key(
        "icb-ranked", data.collection.id, item.id, item.type, item.label, values, summary
    )
    return chart_response(
        key,
        fmt,
        lambda: ranked_chart(values, summary, title=item.label, format_value=formatter(item)),
        filename=f"{item.id}-ranked",
    )


def _ranked_alt(view: icb_views.Distribution, fmt: Callable) -> str:
    n = view.summary.n
    if n == 0:
        return f"Chart of {view.item.label}: no practice submitted this figure."
    text = (
        f"Bar chart of {view.item.label} for {n} submitting practice{'s' if n != 1 else ''}, "
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
    return text + " The figures are in the table below."


# Equity -------------------------------------------------------------------------------


@bp.get("/collections/<int:collection_id>/equity")
@allow(*ANALYST)
def equity(collection_id: int):
    data = _data(collection_id)
    views = [icb_views.equity_view(data, item) for item in data.items()]
    return _render(
        "equity",
        data,
        views=views,
        formatter=formatter,
        alt=_equity_alt,
        sii_text=sii_text,
    )


def sii_text(item: Item, value: float | None, *, with_unit: bool = True) -> str:
    """A slope index (a difference) in the item's terms: "-4.2 percentage points"."""
    if value is None:
        return ""
    fmt, unit = icb_views.difference_format(item)
    text = f"-{fmt(-value)}" if value < 0 else fmt(value)
    return f"{text} {unit}".strip() if with_unit else text


@bp.get("/collections/<int:collection_id>/equity/<item_id>/chart.<fmt>")
@allow(*ANALYST)
def equity_chart(collection_id: int, item_id: str, fmt: str):
    data = _data(collection_id)
    item = _item(data, item_id)
    view = icb_views.equity_view(data, item)
    shown = _quintile_bars(view)
    key = charts.chart_key("icb-equity", data.collection.id, item.id, item.type, item.label, shown)
    title = f"{item.label}: median by deprivation quintile"
    return chart_response(
        key,
        fmt,
        lambda: charts.bar_chart(
            [label for label, _ in shown],
            [value for _, value in shown],
            title=title,
            format_value=formatter(item),
        ),
        filename=f"{item.id}-by-deprivation",
    )


def _quintile_bars(view: icb_views.Equity) -> list[tuple[str, float]]:
    """Quintiles with enough practices for a median, most deprived first."""
    return [
        (f"Quintile {q.label}", q.median)
        for q in view.quintiles
        if q.quintile is not None and q.n_practices >= MIN_PRACTICES
    ]


def _equity_alt(view: icb_views.Equity) -> str:
    fmt = formatter(view.item)
    shown = _quintile_bars(view)
    if not shown:
        return (
            f"Chart of {view.item.label} by deprivation quintile: no quintile has "
            f"{MIN_PRACTICES} or more submitting practices."
        )
    parts = "; ".join(f"{label} {fmt(value)}" for label, value in shown)
    return (
        f"Bar chart of the median {view.item.label} by deprivation quintile, most deprived "
        f"first: {parts}. Quintiles with fewer than {MIN_PRACTICES} practices are "
        "left out. The figures are in the table below."
    )


# Spending mix -------------------------------------------------------------------------


@bp.get("/collections/<int:collection_id>/spending")
@allow(*ANALYST)
def spending_mix(collection_id: int):
    data = _data(collection_id)
    mix = icb_views.spending_mix(data)
    return _render("spending", data, mix=mix, alt=_spending_alt(mix))


@bp.get("/collections/<int:collection_id>/spending/chart.<fmt>")
@allow(*ANALYST)
def spending_chart(collection_id: int, fmt: str):
    data = _data(collection_id)
    mix = icb_views.spending_mix(data)
    labels = [c.label for c in mix.categories]
    amounts = [float(c.hep) for c in mix.categories]
    key = charts.chart_key("icb-spending", data.collection.id, labels, amounts)
    return chart_response(
        key,
        fmt,
        lambda: charts.bar_chart(labels, amounts, title="HEP-attributed spend by category"),
        filename="hep-spend-by-category",
    )


def _spending_alt(mix: icb_views.SpendingMix) -> str:
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


# Exports ------------------------------------------------------------------------------


@bp.get("/collections/<int:collection_id>/workbook.xlsx")
@allow(*ANALYST)
def workbook(collection_id: int):
    data = _data(collection_id)
    states = icb_views.practice_states(db(), data.collection, data.practices, data.template)
    body = icb_workbook(data, states)
    return download(body, XLSX, workbook_filename(data.collection))


@bp.get("/collections/<int:collection_id>/returns.csv")
@allow(*ANALYST)
def tidy_csv(collection_id: int):
    data = _data(collection_id)
    rows = [
        [
            row.submission.practice.ods_code,
            row.submission.practice.name,
            row.submission.pcn.name,
            row.period_label,
            row.value.period_code,
            row.value.item_id,
            row.metric_label,
            "" if row.figure is None else row.figure,
            row.unit,
            row.value.template_version,
            row.submission.submitted_at.isoformat(),
        ]
        for row in icb_views.tidy_rows(data)
    ]
    return csv_download(
        icb_views.TIDY_HEADER,
        rows,
        filename=workbook_filename(data.collection, "csv"),
    )


# PCN lead -----------------------------------------------------------------------------


def _pcn_trends() -> icb_views.PcnTrends:
    return icb_views.pcn_trends(db(), user=current_user, templates=templates())


@bp.get("/pcn/trends")
@allow(Role.PCN_LEAD)
def pcn_trends():
    trends = _pcn_trends()
    return render_template(
        "icb/pcn_trends.jinja",
        trends=trends,
        formatter=formatter,
        alt=lambda trend: charts.alt_text(_trend_spec(trend)),
        min_practices=MIN_PRACTICES,
        value_rule=icb_views.VALUE_RULE,
    )


@bp.get("/pcn/trends/<item_id>/chart.<fmt>")
@allow(Role.PCN_LEAD)
def pcn_trend_chart(item_id: str, fmt: str):
    trends = _pcn_trends()
    trend = next((t for t in trends.trends if t.item.id == item_id), None)
    if trend is None:
        abort(404)
    spec = _trend_spec(trend)
    key = charts.chart_key(
        "pcn-trend",
        trends.pcn.id,
        trend.item.id,
        trend.item.type,
        trend.item.label,
        trend.medians,
        [p.period.code for p in trend.points],
    )
    return chart_response(key, fmt, lambda: charts.run_chart(spec), filename=f"{item_id}-pcn")


def _trend_spec(trend: icb_views.Trend) -> charts.RunChartSpec:
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


# Charts -------------------------------------------------------------------------------

RANKED_WIDTH_IN = 8.0


def ranked_chart(
    values: Sequence[float],
    summary: Summary,
    *,
    title: str,
    format_value: Callable[[float], str],
) -> Figure:
    """Practices' figures as bars, highest first, labelled by rank only; the median and
    quartiles drawn across when enough practices contribute."""
    numbers = np.array([float(v) for v in values], dtype=float)
    with chart_context():
        fig = Figure(figsize=(RANKED_WIDTH_IN, 4.2), dpi=100, layout="constrained")
        fig.get_layout_engine().set(w_pad=EDGE_PT / 72, h_pad=4 / 72)
        ax = fig.add_subplot()
        fig.suptitle(
            clean_text(title, max_chars=90) or "Chart",
            x=EDGE_PT / (RANKED_WIDTH_IN * 72),
            ha="left",
            fontsize=TITLE_FONT_SIZE,
            fontweight="bold",
            color=NHS_BLACK,
            parse_math=False,
        )
        if numbers.size == 0:
            ax.set_axis_off()
            ax.text(0.5, 0.5, "No practice submitted this figure", ha="center", va="center",
                    transform=ax.transAxes, color=NHS_DARK_GREY, parse_math=False)  # fmt: skip
            freeze_layout(fig)
            return fig
        ranks = np.arange(1, numbers.size + 1)
        ax.bar(ranks, numbers, width=0.7, color=NHS_BLUE, zorder=2)
        if summary.enough:
            ax.axhspan(
                summary.q1,
                summary.q3,
                color=NHS_PALE_GREY,
                zorder=0,
                label="Lower to upper quartile",
            )
            ax.axhline(summary.median, color=NHS_BLACK, lw=1.4, ls="--", zorder=3, label="Median")
            fig.legend(loc="outside lower center", ncols=2, handlelength=1.6)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=12, integer=True, min_n_ticks=1))
        ax.set_xlim(0.4, numbers.size + 0.6)
        ax.set_xlabel("Practice rank (1 = highest)", parse_math=False)
        low = min(0.0, float(numbers.min()))
        high = max(0.0, float(numbers.max()))
        ax.set_ylim(low, high + (0.1 * (high - low) or 1.0))
        ax.yaxis.set_major_formatter(
            FuncFormatter(lambda v, _pos: clean_text(format_value(v), max_chars=16))
        )
        ax.grid(axis="y", color=NHS_PALE_GREY, lw=0.8, zorder=0)
        ax.set_axisbelow(True)
        ax.tick_params(labelsize=SMALL_FONT_SIZE)
        freeze_layout(fig)
    return fig
