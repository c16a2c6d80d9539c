"""The ICB's chart images: each one's cache key and drawing, for the pages that show them
(monitor.web.icb) and the job that draws them before anyone asks (monitor.jobs), so both
find one picture under one key.

A key is the chart's kind, the collection's stamp (`icb_views.collection_stamp`: every
row the views read, and the reach of whoever looks), the item's definition and, for the
equity lens, the interval method: a warm chart costs the stamp and a cache read. The
drawings are the ranked distribution of one item (practices by rank, never by name) and
the equity lens's median by IMD quintile with England's marks.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from matplotlib.figure import Figure
from sqlmodel import Session

from monitor import charts
from monitor.core.checklist import ChecklistTemplate, Item
from monitor.core.formatting import item_value
from monitor.core.small_numbers import MIN_PRACTICES
from monitor.models import Collection, Role, User
from monitor.services import icb_views


def figure_text(item: Item, value: float | None) -> str:
    """A figure of ``item`` as it reads on the page: £1,234, 12.5%, 2:30."""
    return item_value(value, item.type, item.unit)


def formatter(item: Item) -> Callable[[float | None], str]:
    """``figure_text`` for one item, for charts' axes and tables of that item."""
    return lambda value: figure_text(item, value)


def quintile_bars(view: icb_views.Equity) -> list[tuple[str, float]]:
    """The equity chart's bars, labelled: quintiles with enough practices for a median,
    most deprived first."""
    return [
        (q.label, q.median)
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


def equity_formatter(view: icb_views.Equity) -> Callable[[float | None], str]:
    """The equity page's figures of an item as compared: a count per 1,000 registered
    patients ("2.4 per 1,000 registered patients a month"), anything else as it reads."""
    return formatter(view.compared)


def equity_title(item: Item) -> str:
    return f"{icb_views.compared_measure(item).label}: median by IMD quintile"


# --------------------------------------------------------------------------- keys


def definition(item: Item) -> tuple:
    """What of the item a chart or page of it shows besides its figures."""
    return (item.id, item.type, item.label, item.unit, item.national is not None)


def ranked_key(stamp: str, item: Item) -> str:
    return charts.chart_key("icb-ranked", stamp, definition(item))


def equity_key(stamp: str, item: Item, options: icb_views.EquityOptions) -> str:
    return charts.chart_key("icb-equity", stamp, definition(item), options.method(item))


# --------------------------------------------------------------------------- drawings


def ranked_figure(view: icb_views.Distribution) -> Figure:
    """Practices' figures by rank (highest first) with the ICB's median and quartiles, and
    England's where the item is national."""
    item = view.item
    return charts.ranked_chart(
        [r.figure.value for r in view.ranked],
        view.summary,
        title=item.label,
        format_value=formatter(item),
        england=view.england.summary if view.england is not None else None,
    )


def equity_figure(view: icb_views.Equity) -> Figure:
    """The item's median by IMD quintile, most deprived first, England's marked beside."""
    shown = quintile_bars(view)
    marks = england_marks(view)
    return charts.bar_chart(
        [label for label, _ in shown],
        [value for _, value in shown],
        title=equity_title(view.item),
        format_value=equity_formatter(view),
        reference=marks if any(m is not None for m in marks) else None,
        reference_label="England median",
    )


# --------------------------------------------------------------------------- the job's


def icb_reader(icb_id: int) -> User:
    """Someone who reaches every practice of the ICB, as its analyst does (never stored):
    the charts an analyst's pages show are keyed by that reach."""
    return User(email="", role=Role.ICB_ANALYST, icb_id=icb_id, is_active=True)


@dataclass(frozen=True)
class IcbChart:
    key: str
    draw: Callable[[], Figure]


def collection_charts(
    session: Session,
    user: User,
    collection: Collection,
    template: ChecklistTemplate,
    *,
    stamp: str | None = None,
) -> list[IcbChart]:
    """Every chart the collection's distribution pages and equity lens show `user` with
    the pages' default options, as (key, drawing): an item's ranked chart where anyone
    has a figure for it, its equity chart where a quintile has enough practices for a
    median (as the pages decide)."""
    stamp = stamp or icb_views.collection_stamp(session, user, collection, template)
    options = icb_views.DEFAULT_OPTIONS
    data = icb_views.load(
        session, user=user, collection=collection, template=template, snapshot=False
    )
    found = []
    for item in data.items():
        ranked = icb_views.distribution(data, item, session=session)
        if ranked.ranked:
            found.append(
                IcbChart(ranked_key(stamp, item), functools.partial(ranked_figure, ranked))
            )
        view = icb_views.equity_view(data, item, session=session, user=user, options=options)
        if quintile_bars(view):
            found.append(
                IcbChart(equity_key(stamp, item, options), functools.partial(equity_figure, view))
            )
    return found
