"""Year-to-date running totals turned into each period's own figure.

Some items are year-to-date totals (``cumulative: year_to_date`` in the template): the
share of the learning disability register who have had this year's health check climbs
from April to March and starts again at 0 the next April. An XmR chart of the total
would flag every year's climb as a trend and every April's drop as a special cause, so
issue 14 asks for such an item to be charted as each period's increment (or on a run
chart), never as an XmR chart of the running total.

Pure arithmetic: no Flask, no database.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from monitor.core.checklist import Frequency
from monitor.core.periods import Period

__all__ = ["increments"]


def increments(periods: Sequence[Period], values: Sequence[float | None]) -> list[float | None]:
    """Each period's rise in a year-to-date total: its value less the previous period's,
    in the same order as ``periods``.

    The first period of a financial year (April, or Q1) rises from 0, so its increment
    is its own value. A later period's increment is ``value - previous value``, the
    previous period being the one just before it in the same financial year (March is
    never subtracted from April: increments do not span years). It is None where the
    value is missing (None or NaN), and where the previous period's value is missing or
    that period is not in ``periods`` at all, as the rise cannot then be known; so a
    missing value costs its own period's increment and the next one's, no more.

    A fall (the practice corrected an earlier figure down) is kept as the negative
    number it is, not hidden or clipped to 0: it is what the figures say, and it keeps
    the increments of a complete year adding up to its last running total.

    ``periods`` may come in any order but must be distinct, all monthly or all
    quarterly, and as many as ``values``; anything else is a ValueError.
    """
    if len(periods) != len(values):
        raise ValueError(f"{len(periods)} periods but {len(values)} values")
    if len(set(periods)) != len(periods):
        raise ValueError("each period may appear only once")
    frequencies = {period.frequency for period in periods}
    if len(frequencies) > 1 or frequencies & {Frequency.ANNUAL}:
        raise ValueError("a year-to-date total's periods are all monthly or all quarterly")
    known = {
        period: float(value)
        for period, value in zip(periods, values, strict=True)
        if value is not None and not math.isnan(value)
    }
    result: list[float | None] = []
    for period in periods:
        value = known.get(period)
        if value is None:
            result.append(None)
        elif period.number == 1:
            result.append(value)
        else:
            previous = known.get(period.previous())
            result.append(None if previous is None else value - previous)
    return result
