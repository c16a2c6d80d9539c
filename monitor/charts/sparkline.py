"""A tiny trend line for a dashboard card: no axes, no text, the latest point coloured.

Drawn as inline SVG geometry rather than a picture: the page carries its own sparklines
(in the card's cached fragment), so a dashboard is one request, not seventeen, and the
line stays sharp at any zoom."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from monitor.core.palette import NHS_DARK_GREY

from .style import POINT_EDGE, POINT_FILL

__all__ = ["Sparkline", "point_category", "sparkline"]

DOT_RADIUS_PX = 4.0
"""The latest point's dot (with a 1 px edge); the line keeps clear of every side so
the dot is never cut."""
LONE_RADIUS_PX = 1.75
"""A figure between two gaps has no line to sit on: it gets a small dot."""
LINE_WIDTH_PX = 1.5
LINE_COLOUR = NHS_DARK_GREY


def point_category(value: str | None) -> str:
    """A Making Data Count colour key from an ``SpcResult`` category or point type."""
    if not value:
        return "common_cause"
    if value.startswith("special_cause_neutral"):
        return "neutral"
    key = value.removeprefix("special_cause_")
    return key if key in POINT_FILL else "common_cause"


@dataclass(frozen=True)
class Sparkline:
    """A sparkline's geometry in pixels (origin top left), for an ``<svg>`` of
    ``width`` × ``height``: each unbroken run of figures as SVG ``points``, the lone
    figures' dots, and the latest figure's dot with its Making Data Count colours
    (``last`` is None without any figure)."""

    width: int
    height: int
    runs: tuple[str, ...]
    lone: tuple[tuple[float, float], ...]
    last: tuple[float, float] | None
    fill: str
    edge: str
    line_colour: str = LINE_COLOUR
    line_width: float = LINE_WIDTH_PX
    dot_radius: float = DOT_RADIUS_PX
    lone_radius: float = LONE_RADIUS_PX


def _number(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def sparkline(
    values: Sequence[float | None],
    *,
    category_of_last: str | None = None,
    width_px: int = 160,
    height_px: int = 40,
) -> Sparkline:
    """The values as a line (broken at gaps: None or not finite) with the last value's
    dot in its Making Data Count colour (``category_of_last``: "improvement",
    "concern", "neutral", "common_cause", or a ``point_type``). The card must state the
    figures in text: this picture is decoration beside them."""
    if width_px < 16 or height_px < 8:
        raise ValueError("a sparkline needs at least 16 × 8 pixels")
    category = point_category(category_of_last)
    y = [_number(v) for v in values]
    observed = [i for i, v in enumerate(y) if v is not None]
    if not observed:
        return Sparkline(
            width_px, height_px, (), (), None, POINT_FILL[category], POINT_EDGE[category]
        )

    pad = DOT_RADIUS_PX + 1.0  # the dot and half its 1 px edge, and a pixel to spare
    low = min(y[i] for i in observed)
    high = max(y[i] for i in observed)
    n = len(y)

    def x_of(i: int) -> float:
        if n == 1:
            return width_px / 2
        return pad + i * (width_px - 2 * pad) / (n - 1)

    def y_of(v: float) -> float:
        if high == low:
            return height_px / 2
        return pad + (high - v) * (height_px - 2 * pad) / (high - low)

    def point(i: int) -> tuple[float, float]:
        return (round(x_of(i), 2), round(y_of(y[i]), 2))

    runs: list[str] = []
    lone: list[tuple[float, float]] = []
    last = observed[-1]
    run: list[int] = []
    for i in [*range(n), n]:
        if i < n and y[i] is not None:
            run.append(i)
            continue
        if len(run) > 1:
            runs.append(" ".join(f"{px:g},{py:g}" for px, py in map(point, run)))
        elif run and run[0] != last:
            lone.append(point(run[0]))
        run = []
    return Sparkline(
        width=width_px,
        height=height_px,
        runs=tuple(runs),
        lone=tuple(lone),
        last=point(last),
        fill=POINT_FILL[category],
        edge=POINT_EDGE[category],
    )
