"""Bar charts of money: spending by category, and HEP allocation against spend by year."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from monitor.core.palette import (
    NHS_BLACK,
    NHS_BLUE,
    NHS_DARK_GREY,
    NHS_DARK_PINK,
    NHS_MID_GREY,
    NHS_PALE_GREY,
)

from .style import (
    EDGE_PT,
    SMALL_FONT_SIZE,
    TITLE_FONT_SIZE,
    chart_context,
    clean_text,
    freeze_layout,
    wrap_text,
)

__all__ = ["allocation_chart", "bar_chart", "compact_money"]

_TEXT: dict[str, Any] = {"parse_math": False}
BAR_WIDTH_IN = 8.0
MAX_CATEGORY_CHARS = 45


def compact_money(value: float) -> str:
    """Pounds short enough for a bar label: £950, £12.5k, £1.25m."""
    sign = "-" if value < 0 else ""
    amount = abs(value)
    if amount >= 1_000_000:
        return f"{sign}£{_round_half_up(amount / 1_000_000, 2)}m"
    if amount >= 100_000:
        return f"{sign}£{_round_half_up(amount / 1000, 0)}k"
    if amount >= 1_000:
        return f"{sign}£{_round_half_up(amount / 1000, 1)}k"
    return f"{sign}£{_round_half_up(amount, 0)}"


def _round_half_up(amount: float, places: int) -> str:
    """As people round money (£64.5k, not Python's half-to-even £64k), zeros trimmed."""
    exponent = Decimal(1).scaleb(-places)
    text = f"{Decimal(repr(float(amount))).quantize(exponent, rounding=ROUND_HALF_UP):,}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def bar_chart(
    categories: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    format_value: Callable[[float], str] = compact_money,
    highlight: str | None = None,
    reference: Sequence[float | None] | None = None,
    reference_label: str = "",
) -> Figure:
    """Horizontal bars, first category at the top, each labelled with its value.

    With ``highlight`` (a category name) that bar is NHS blue and the rest grey. With
    ``reference`` (a value per category, None for none), each is marked across its bar
    (England's median beside the ICB's), named ``reference_label`` in a legend.
    """
    if len(categories) != len(values):
        raise ValueError(f"{len(categories)} categories but {len(values)} values")
    numbers = np.array([float(v) for v in values], dtype=float)
    if not np.all(np.isfinite(numbers)):
        raise ValueError("bar values must be finite numbers")
    names = [clean_text(c, max_chars=MAX_CATEGORY_CHARS) or "(unnamed)" for c in categories]
    n = len(names)

    with chart_context():
        fig = Figure(figsize=(BAR_WIDTH_IN, 1.1 + 0.42 * max(n, 2)), dpi=100, layout="constrained")
        fig.get_layout_engine().set(w_pad=EDGE_PT / 72, h_pad=4 / 72)
        ax = fig.add_subplot()
        _title(fig, title, BAR_WIDTH_IN)
        if n == 0:
            _nothing(ax, "Nothing recorded yet")
            freeze_layout(fig)
            return fig
        colours = [
            NHS_BLUE if highlight is None or category == highlight else NHS_MID_GREY
            for category in categories
        ]
        positions = np.arange(n)
        bars = ax.barh(positions, numbers, height=0.62, color=colours, zorder=2)
        ax.bar_label(
            bars,
            labels=[clean_text(format_value(v), max_chars=20) for v in numbers],
            padding=4,
            fontsize=SMALL_FONT_SIZE,
            color=NHS_DARK_GREY,
            **_TEXT,
        )
        ax.set_yticks(positions, names, **_TEXT)
        ax.invert_yaxis()
        marks = [] if reference is None else [
            (p, float(v)) for p, v in zip(positions, reference, strict=True) if v is not None
        ]  # fmt: skip
        if marks:
            ax.scatter([v for _, v in marks], [p for p, _ in marks], marker="D", s=42,
                       color=NHS_DARK_PINK, zorder=4, label=reference_label)  # fmt: skip
            fig.legend(loc="outside lower center", frameon=False, fontsize=SMALL_FONT_SIZE)
        shown = np.concatenate([numbers, [v for _, v in marks]])
        low, high = min(0.0, shown.min()), max(0.0, shown.max())
        span = (high - low) or 1.0
        # Room beyond the longest bar for its label.
        ax.set_xlim(low - (0.2 * span if low < 0 else 0), high + 0.2 * span)
        ax.xaxis.set_visible(False)
        for side in ("top", "right", "bottom"):
            ax.spines[side].set_visible(False)
        ax.tick_params(axis="y", length=0, labelsize=10, labelcolor=NHS_BLACK)
        if low < 0:
            ax.axvline(0, color=NHS_DARK_GREY, lw=0.8)
        freeze_layout(fig)
    return fig


def allocation_chart(
    years: Sequence[str],
    allocations: Sequence[float | None],
    hep_spend: Sequence[float | None],
    *,
    title: str = "HEP allocation and HEP-attributed spend",
    format_value: Callable[[float], str] = compact_money,
) -> Figure:
    """Grouped bars per financial year: the HEP allocation beside the spend attributed
    to HEP. A year without a figure shows "no data" in place of its bar."""
    if not len(years) == len(allocations) == len(hep_spend):
        raise ValueError("years, allocations and hep_spend must be the same length")
    series = [
        ("HEP allocation", NHS_MID_GREY, _optional(allocations), -0.2),
        ("HEP-attributed spend", NHS_BLUE, _optional(hep_spend), 0.2),
    ]
    n = len(years)

    with chart_context():
        fig = Figure(figsize=(BAR_WIDTH_IN, 4.2), dpi=100, layout="constrained")
        fig.get_layout_engine().set(w_pad=EDGE_PT / 72, h_pad=4 / 72)
        ax = fig.add_subplot()
        _title(fig, title, BAR_WIDTH_IN)
        if n == 0:
            _nothing(ax, "No financial years to show yet")
            freeze_layout(fig)
            return fig
        positions = np.arange(n, dtype=float)
        tallest = max(
            (v for _, _, values, _ in series for v in values if not math.isnan(v)), default=0.0
        )
        tallest = max(tallest, 1.0)
        for name, colour, values, offset in series:
            present = ~np.isnan(values)
            bars = ax.bar(
                positions[present] + offset,
                values[present],
                width=0.38,
                color=colour,
                label=name,
                zorder=2,
            )
            ax.bar_label(
                bars,
                labels=[clean_text(format_value(v), max_chars=12) for v in values[present]],
                padding=3,
                fontsize=SMALL_FONT_SIZE,
                color=NHS_DARK_GREY,
                **_TEXT,
            )
            for x in positions[~present] + offset:
                ax.text(
                    x,
                    tallest * 0.02,
                    "no data",
                    rotation=90,
                    ha="center",
                    va="bottom",
                    fontsize=SMALL_FONT_SIZE,
                    color=NHS_DARK_GREY,
                    **_TEXT,
                )
        ax.set_xticks(positions, [clean_text(y, max_chars=12) for y in years], **_TEXT)
        ax.set_ylim(0, tallest * 1.15)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: clean_text(format_value(v))))
        ax.grid(axis="y", color=NHS_PALE_GREY, lw=0.8, zorder=0)
        ax.set_axisbelow(True)
        ax.tick_params(axis="x", length=0, labelsize=10, labelcolor=NHS_BLACK)
        fig.legend(loc="outside lower center", ncols=2, handlelength=1.2)
        freeze_layout(fig)
    return fig


def _optional(values: Sequence[float | None]) -> np.ndarray:
    array = np.array([np.nan if v is None else float(v) for v in values], dtype=float)
    if np.isinf(array).any():
        raise ValueError("amounts must be finite numbers or None")
    return array


def _title(fig: Figure, title: str, width_in: float) -> None:
    lines = wrap_text(
        clean_text(title) or "Chart",
        width_pt=width_in * 72 - 2 * EDGE_PT,
        size=TITLE_FONT_SIZE,
        weight="bold",
        max_lines=2,
    )
    fig.suptitle(
        "\n".join(lines),
        x=EDGE_PT / (width_in * 72),
        ha="left",
        fontsize=TITLE_FONT_SIZE,
        fontweight="bold",
        color=NHS_BLACK,
        **_TEXT,
    )


def _nothing(ax: Axes, message: str) -> None:
    ax.set_axis_off()
    ax.text(
        0.5,
        0.5,
        message,
        transform=ax.transAxes,
        ha="center",
        va="center",
        color=NHS_DARK_GREY,
        **_TEXT,
    )
