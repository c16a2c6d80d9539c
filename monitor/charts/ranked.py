"""Practices' figures as ranked bars, for the ICB's view of one metric across practices."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from monitor.analysis.distribution import Summary
from monitor.core.palette import NHS_BLACK, NHS_BLUE, NHS_DARK_GREY, NHS_DARK_PINK, NHS_PALE_GREY

from .style import (
    EDGE_PT,
    SMALL_FONT_SIZE,
    TITLE_FONT_SIZE,
    chart_context,
    clean_text,
    freeze_layout,
)

__all__ = ["ranked_chart"]

RANKED_WIDTH_IN = 8.0


def ranked_chart(
    values: Sequence[float],
    summary: Summary,
    *,
    title: str,
    format_value: Callable[[float], str],
    england: Summary | None = None,
) -> Figure:
    """Practices' figures as bars, highest first, labelled by rank only (the data table
    beside the chart is where practices are named); the median and quartiles drawn
    across when enough practices contribute (``summary.enough``), and England's median
    and quartiles (``england``) beside them when given."""
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
        if england is not None and england.enough:
            ax.axhline(england.median, color=NHS_DARK_PINK, lw=1.8, zorder=4,
                       label="England median")  # fmt: skip
            for quartile in (england.q1, england.q3):
                ax.axhline(quartile, color=NHS_DARK_PINK, lw=1.0, ls=":", zorder=4)
            ax.plot([], [], color=NHS_DARK_PINK, lw=1.0, ls=":", label="England quartiles")
        if summary.enough or (england is not None and england.enough):
            fig.legend(loc="outside lower center", ncols=4, handlelength=1.6)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=12, integer=True, min_n_ticks=1))
        ax.set_xlim(0.4, numbers.size + 0.6)
        ax.set_xlabel("Practice rank (1 = highest)", parse_math=False)
        shown = [float(numbers.min()), float(numbers.max())]
        if england is not None and england.enough:
            shown += [england.q1, england.q3]
        low = min(0.0, *shown)
        high = max(0.0, *shown)
        ax.set_ylim(low, high + (0.1 * (high - low) or 1.0))
        ax.yaxis.set_major_formatter(
            FuncFormatter(lambda v, _pos: clean_text(format_value(v), max_chars=16))
        )
        ax.grid(axis="y", color=NHS_PALE_GREY, lw=0.8, zorder=0)
        ax.set_axisbelow(True)
        ax.tick_params(labelsize=SMALL_FONT_SIZE)
        freeze_layout(fig)
    return fig
