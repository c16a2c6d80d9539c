"""A tiny trend line for a dashboard card: no axes, no text, the latest point coloured."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from monitor.core.palette import NHS_DARK_GREY

from .style import POINT_EDGE, POINT_FILL, chart_context

__all__ = ["sparkline"]

_DOT_RADIUS_PX = 4.0


def point_category(value: str | None) -> str:
    """A Making Data Count colour key from an ``SpcResult`` category or point type."""
    if not value:
        return "common_cause"
    if value.startswith("special_cause_neutral"):
        return "neutral"
    key = value.removeprefix("special_cause_")
    return key if key in POINT_FILL else "common_cause"


def sparkline(
    values: Sequence[float | None],
    *,
    category_of_last: str | None = None,
    width_px: int = 160,
    height_px: int = 40,
) -> Figure:
    """The values as a line (broken at gaps) with the last value's dot in its Making Data
    Count colour (``category_of_last``: "improvement", "concern", "neutral",
    "common_cause", or a ``point_type``). Transparent background; render at the
    default dpi (100) for an image of exactly ``width_px`` × ``height_px``. The card
    must state the figures in text: this picture is decoration beside them.
    """
    if width_px < 16 or height_px < 8:
        raise ValueError("a sparkline needs at least 16 × 8 pixels")
    y = np.array([np.nan if v is None else float(v) for v in values], dtype=float)
    n = y.size
    x = np.arange(n, dtype=float)
    category = point_category(category_of_last)

    with chart_context():
        fig = Figure(figsize=(width_px / 100, height_px / 100), dpi=100)
        fig.patch.set_alpha(0)
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_axis_off()
        ax.patch.set_alpha(0)
        observed = np.flatnonzero(~np.isnan(y))
        if observed.size == 0:
            ax.set_xlim(0, 1)
            ax.set_ylim(0, 1)
            return fig
        ax.plot(
            x,
            y,
            color=NHS_DARK_GREY,
            lw=1.5,
            solid_joinstyle="round",
            solid_capstyle="round",
            label="_line",
        )
        # A value between two gaps has no line to sit on: give it a small dot.
        before = np.concatenate(([True], np.isnan(y[:-1])))
        after = np.concatenate((np.isnan(y[1:]), [True]))
        alone = ~np.isnan(y) & before & after
        alone[observed[-1]] = False
        if alone.any():
            ax.plot(x[alone], y[alone], ls="none", marker="o", ms=2.5, color=NHS_DARK_GREY)
        last = observed[-1]
        ax.plot(
            [x[last]],
            [y[last]],
            ls="none",
            marker="o",
            ms=_DOT_RADIUS_PX * 1.5,
            mfc=POINT_FILL[category],
            mec=POINT_EDGE[category],
            mew=1.0,
            clip_on=False,
            label="_last",
        )
        # Leave room for the dot's radius at every edge.
        low, high = float(np.nanmin(y)), float(np.nanmax(y))
        if high == low:
            low, high = low - 1.0, high + 1.0
        pad_x = _DOT_RADIUS_PX * max(n - 1, 1) / (width_px - 2 * _DOT_RADIUS_PX) if n > 1 else 1.0
        pad_y = _DOT_RADIUS_PX * (high - low) / (height_px - 2 * _DOT_RADIUS_PX)
        ax.set_xlim(-pad_x, max(n - 1, 0) + pad_x)
        ax.set_ylim(low - pad_y, high + pad_y)
    return fig
