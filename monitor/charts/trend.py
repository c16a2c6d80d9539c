"""Trend charts of one metric: the Making Data Count XmR (SPC) chart and the run chart.

``spc_chart`` draws an ``SpcResult`` (monitor.analysis.spc) the way NHSRplotthedots does:
points coloured by Making Data Count category, a solid mean and dashed process limits
per group (a rebased group has its own segments, never joined across the boundary), the
values joined within a group and broken at every gap. Around it: a shaded baseline, a
target line, comparison medians (PCN / ICB / national), numbered intervention markers
whose labels are listed under the chart (so many markers never overlap), and footnotes
for gaps, trial limits and the SPC settings.

Unlike NHSRplotthedots, a limit (or two-sigma line) outside what the figure can be (a
count's below 0, a percentage's above 100: ``value_floor`` and ``value_ceiling``) is
drawn at that bound, with a footnote giving its computed value; the alt text says so
too, and tables and sentences elsewhere keep the computed value.

``run_chart`` is for a series too short for process limits (Making Data Count asks for
at least 13 points before limits are relied on): values and their median only. Which
one to show is the caller's choice; ``spc_chart`` on a short series draws the limits
dashed as "Trial limits" and says so.

The x axis is the period index (0 … n-1), so months and quarters are evenly spaced and
labelled with ``period_labels``. Build specs with keyword arguments; every sequence is
stored as a tuple, so a spec cannot change after it is checked.

Where values came from: ``imported`` marks the periods whose value is NHS England's
published figure, drawn as squares (the practice's own as circles, both in the Making
Data Count colours), and ``notes`` adds footnotes saying which publications they are.
``definition_change`` is the period index where the metric's definition changed, drawn
as a dotted line with a legend entry.

``band`` is a reference drawn behind the practice's points, such as England's: its median
for each period as a solid line and its interquartile range shaded, with one legend entry
("England median (IQR shaded)"), a footnote and a sentence of the alt text. It is
context only: process limits and signals come from ``result`` (or ``values``) alone.

Artists drawn on the chart carry labels that start with "_" ("_values", "_mean",
"_limit", "_trial_limit", "_inner_line", "_points_<category>",
"_imported_points_<category>", "_median", "_target", "_comparison_<i>", "_marker",
"_definition_change", "_baseline", "_band", "_band_median"): matplotlib leaves such
labels out of the legend, and tests find the artists by them.
"""

from __future__ import annotations

import bisect
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure, SubFigure
from matplotlib.gridspec import GridSpec
from matplotlib.legend_handler import HandlerTuple
from matplotlib.lines import Line2D
from matplotlib.markers import TICKDOWN
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, MultipleLocator
from matplotlib.transforms import blended_transform_factory

from monitor.analysis.spc import SpcResult
from monitor.core.formatting import long_date
from monitor.core.palette import NHS_BLACK, NHS_DARK_GREY, NHS_DARK_PINK, NHS_PALE_GREY

from .style import (
    COMPARISON_STYLES,
    EDGE_PT,
    LIMIT_LINE,
    MARKER_LINE,
    MEAN_LINE,
    POINT_EDGE,
    POINT_FILL,
    SMALL_FONT_SIZE,
    TARGET_LINE,
    TITLE_FONT_SIZE,
    VALUE_LINE,
    chart_context,
    clean_text,
    freeze_layout,
    text_width_pt,
    wrap_text,
)

__all__ = [
    "DURATION_TICK_STEPS",
    "NARROW_WIDTH_IN",
    "ComparisonSeries",
    "Marker",
    "ReferenceBand",
    "RunChartSpec",
    "SpcChartSpec",
    "alt_text",
    "plain_number",
    "run_chart",
    "spc_chart",
]

WIDTH_IN = 10.0
NARROW_WIDTH_IN = 3.5
"""The chart for a phone. Text keeps its size in points, so on a 375 px screen, where
the chart is shown 343 px wide, 9-point text is 9 × 343 / 252 = 12.25 px high; the
10-inch chart's would be 4.3 px."""
PLOT_HEIGHT_IN = 4.5
NARROW_PLOT_HEIGHT_IN = 4.2
"""Height of the title, plot, axis labels and legend; footnotes add to it."""
FOOTNOTE_LINE_SPACING = 1.35
MAX_TITLE_LINES = 2
MAX_LABEL_CHARS = 40
"""Longest comparison name or axis label drawn; longer text ends in "…"."""
MAX_MARKER_LABEL_CHARS = 80
MAX_PERIOD_LABEL_CHARS = 20

DURATION_TICK_STEPS: tuple[float, ...] = (60, 120, 300, 600, 900, 1800, 3600, 7200)
"""``y_tick_steps`` for values in seconds: ticks at whole minutes (0:00, 1:00, 2:00 …,
or every 2, 5, 10 … minutes as the axis grows), never 1:40 or 3:20. An axis narrower
than two minutes ticks every 30, 15, 10 or 5 seconds, so that every whole minute on it
is still a tick."""
MAX_Y_INTERVALS = 6
"""At most this many intervals between y ticks (matplotlib's ``nbins``)."""

_TEXT: dict[str, Any] = {"parse_math": False}
_CATEGORY_LABELS = {
    "common_cause": "Common cause",
    "improvement": "Special cause: improvement",
    "concern": "Special cause: concern",
    "neutral": "Special cause (no direction set)",
}
_RULE_PHRASES = {  # (high side, low side)
    "outside_limits": (
        "a point above the upper process limit",
        "a point below the lower process limit",
    ),
    "trend": ("a rising trend", "a falling trend"),
    "two_in_three": (
        "two of three points close to the upper limit",
        "two of three points close to the lower limit",
    ),
    "shift": ("a shift above the mean", "a shift below the mean"),
}
BAND_LINE = NHS_DARK_PINK
"""A reference band's median; no comparison line is solid, so it reads apart from them."""
BAND_FILL_ALPHA = 0.13
"""The band's interquartile range: a light tint of BAND_LINE, so the points stay clear."""
BAND_HALF_WIDTH = 0.3
"""Half the width, in periods, of a band's period with no neighbour in the band."""

# zorder, bottom to top: shading, band, comparisons, limits, mean, target, markers, values.
_Z_BAND = 1.0
_Z_SPAN, _Z_COMPARISON, _Z_LIMIT, _Z_MEAN, _Z_TARGET, _Z_MARKER = 0, 1.5, 2, 2.2, 2.4, 2.6
_Z_VALUE_LINE, _Z_POINTS = 3, 4


def plain_number(value: float) -> str:
    """Default ``format_value``: up to four significant figures with thousands commas."""
    return format(value, ",.4g")


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Marker:
    """Something to mark on the time axis, such as an intervention starting.

    ``at`` is a period index (0 = the chart's first period; the line is drawn at the
    start of that period) or a date (placed within its period; needs ``period_starts``).
    A marker outside the chart's periods is not drawn.
    """

    label: str
    at: int | date

    def __post_init__(self) -> None:
        if isinstance(self.at, bool) or not isinstance(self.at, int | np.integer | date):
            raise ValueError("a marker is placed at a period index or a date")


@dataclass(frozen=True)
class ComparisonSeries:
    """A reference line aligned to the chart's periods, such as "PCN median".

    Only aggregates belong here (medians of a PCN, the ICB, England): a comparison must
    never identify another practice. ``values`` holds None (or NaN) where there is none.
    """

    name: str
    values: Sequence[float | None]

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", tuple(_optional_float(v) for v in self.values))


@dataclass(frozen=True)
class ReferenceBand:
    """A reference median and interquartile range aligned to the chart's periods, such
    as England's practices' (``name`` "England"): drawn behind the chart's own points,
    the median as a line and the range from ``lower`` to ``upper`` shaded.

    Aggregates only, as for ``ComparisonSeries``. A period has all three values or none
    (None or NaN), and ``lower <= median <= upper``.
    """

    name: str
    median: Sequence[float | None]
    lower: Sequence[float | None]
    upper: Sequence[float | None]

    def __post_init__(self) -> None:
        columns = [tuple(_optional_float(v) for v in values) for values in self.columns]
        if len({len(c) for c in columns}) != 1:
            raise ValueError("a band's median, lower and upper values must be as many")
        for median, lower, upper in zip(*columns, strict=True):
            known = [v is not None for v in (median, lower, upper)]
            if any(known) and not all(known):
                raise ValueError("a band's period has its median, lower and upper or none")
            if all(known) and not lower <= median <= upper:
                raise ValueError("a band's lower value <= its median <= its upper value")
        for name, values in zip(("median", "lower", "upper"), columns, strict=True):
            object.__setattr__(self, name, values)

    @property
    def columns(self) -> tuple[Sequence[float | None], ...]:
        return self.median, self.lower, self.upper

    @property
    def label(self) -> str:
        """The legend entry: "England median (IQR shaded)"."""
        name = clean_text(self.name, max_chars=MAX_LABEL_CHARS) or "Reference"
        return f"{name} median (IQR shaded)"

    @property
    def shown(self) -> list[int]:
        """Indexes of the periods the band has figures for."""
        return [i for i, v in enumerate(self.median) if v is not None]


def _optional_float(value: object) -> float | None:
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    if math.isnan(number):
        return None
    if math.isinf(number):
        raise ValueError("values must be finite numbers or None")
    return number


@dataclass(frozen=True, kw_only=True, eq=False)
class _TrendSpec(ABC):
    title: str
    y_label: str
    period_labels: Sequence[str]
    period_starts: Sequence[date] = ()
    """First day of each period; needed only to place markers given as dates."""
    format_value: Callable[[float], str] = plain_number
    """Renders a value in the metric's unit (y ticks, labels, alt text)."""
    width_in: float = WIDTH_IN
    """WIDTH_IN, or NARROW_WIDTH_IN for a phone: the same chart, its text the same size
    in points, laid out for the narrower page (no values written at the lines' right-hand
    ends there: the data table below the chart has them)."""
    markers: Sequence[Marker] = ()
    markers_heading: str = "Interventions"
    baseline: tuple[int, int] | None = None
    """First and last period index (inclusive) of the baseline, shaded."""
    target: float | None = None
    comparisons: Sequence[ComparisonSeries] = ()
    value_floor: float | None = 0.0
    """Lowest value the metric can take (None: unbounded). The y axis starts here when
    the data come near it, and never goes below it; a limit below it is drawn at it."""
    value_ceiling: float | None = None
    """Highest value the metric can take (100 for a percentage), or None; a limit above
    it is drawn at it."""
    y_tick_steps: Sequence[float] | None = None
    """Intervals between y ticks to choose from, in the value's units, smallest first
    (``DURATION_TICK_STEPS`` for seconds): the chart takes the smallest that leaves at
    most ``MAX_Y_INTERVALS``. None: matplotlib's 1, 2, 2.5, 5 steps (whole numbers only
    when every value is whole, as a count's are)."""
    imported: Sequence[bool] = ()
    """Per period (or empty): is the value NHS England's published figure? Drawn as a
    square instead of a circle."""
    notes: Sequence[str] = ()
    """Footnotes of the caller's, under the chart's own (where the values came from)."""
    definition_change: int | None = None
    """Index of the first period of a changed definition of the metric."""
    band: ReferenceBand | None = None
    """A median and interquartile range drawn behind the points (England's), or None."""

    @property
    def imported_count(self) -> int:
        return sum(self.imported)

    @property
    @abstractmethod
    def period_count(self) -> int:
        """How many periods the chart spans (each kind of chart counts its own data)."""

    def __post_init__(self) -> None:
        n = self.period_count
        labels = tuple(str(label) for label in self.period_labels)
        if len(labels) != n:
            raise ValueError(f"{n} periods but {len(labels)} period labels")
        object.__setattr__(self, "period_labels", labels)
        starts = tuple(
            value.date() if isinstance(value, datetime) else value for value in self.period_starts
        )
        if starts and len(starts) != n:
            raise ValueError(f"{n} periods but {len(starts)} period start dates")
        if any(later <= earlier for earlier, later in zip(starts, starts[1:], strict=False)):
            raise ValueError("period start dates must increase")
        object.__setattr__(self, "period_starts", starts)
        markers = tuple(self.markers)
        if any(isinstance(m.at, date) for m in markers) and not starts:
            raise ValueError("markers placed by date need period_starts")
        object.__setattr__(self, "markers", markers)
        if self.baseline is not None:
            first, last = (int(i) for i in self.baseline)
            if not 0 <= first <= last < n:
                raise ValueError(f"baseline must be two period indexes within 0 to {n - 1}")
            object.__setattr__(self, "baseline", (first, last))
        comparisons = tuple(self.comparisons)
        for comparison in comparisons:
            if len(comparison.values) != n:
                raise ValueError(
                    f"comparison {comparison.name!r} has {len(comparison.values)} values "
                    f"for {n} periods"
                )
        object.__setattr__(self, "comparisons", comparisons)
        if self.target is not None and not math.isfinite(float(self.target)):
            raise ValueError("target must be a finite number")
        if self.y_tick_steps is not None:
            steps = tuple(sorted(float(step) for step in self.y_tick_steps))
            if not steps or not all(math.isfinite(step) and step > 0 for step in steps):
                raise ValueError("y_tick_steps must be positive intervals")
            object.__setattr__(self, "y_tick_steps", steps)
        imported = tuple(bool(flag) for flag in self.imported)
        if imported and len(imported) != n:
            raise ValueError(f"{n} periods but {len(imported)} imported flags")
        object.__setattr__(self, "imported", imported)
        object.__setattr__(self, "notes", tuple(str(note) for note in self.notes))
        if self.definition_change is not None:
            index = int(self.definition_change)
            if not 0 <= index < n:
                raise ValueError(f"definition_change must be a period index within 0 to {n - 1}")
            object.__setattr__(self, "definition_change", index)
        if self.band is not None and len(self.band.median) != n:
            raise ValueError(
                f"band {self.band.name!r} has {len(self.band.median)} values for {n} periods"
            )


@dataclass(frozen=True, kw_only=True, eq=False)
class SpcChartSpec(_TrendSpec):
    """Everything an SPC chart shows. ``period_labels`` (and ``period_starts``) are
    aligned to ``result.points`` rows. ``target`` defaults to ``result.target``."""

    result: SpcResult
    show_inner_lines: bool = False
    """Draw the inner (two-sigma) lines, faintly."""

    @property
    def period_count(self) -> int:
        return len(self.result.points)

    @property
    def target_value(self) -> float | None:
        return self.target if self.target is not None else self.result.target


@dataclass(frozen=True, kw_only=True, eq=False)
class RunChartSpec(_TrendSpec):
    """A run chart: ``values`` (None for a gap) and their median."""

    values: Sequence[float | None]
    min_spc_points: int = 13
    """How many values process limits need; stated in the footnote."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", tuple(_optional_float(v) for v in self.values))
        super().__post_init__()

    @property
    def period_count(self) -> int:
        return len(self.values)

    @property
    def target_value(self) -> float | None:
        return self.target

    @classmethod
    def from_spc(cls, spec: SpcChartSpec) -> RunChartSpec:
        """The same chart as a run chart, for when there are too few values for limits."""
        points = spec.result.points
        return cls(
            title=spec.title,
            y_label=spec.y_label,
            period_labels=spec.period_labels,
            period_starts=spec.period_starts,
            format_value=spec.format_value,
            markers=spec.markers,
            markers_heading=spec.markers_heading,
            baseline=spec.baseline,
            target=spec.target_value,
            comparisons=spec.comparisons,
            value_floor=spec.value_floor,
            value_ceiling=spec.value_ceiling,
            y_tick_steps=spec.y_tick_steps,
            imported=spec.imported,
            notes=spec.notes,
            definition_change=spec.definition_change,
            band=spec.band,
            values=[
                None if missing else v
                for v, missing in zip(points["value"], points["missing"], strict=True)
            ],
            min_spc_points=spec.result.settings.short_group_threshold,
        )


# --------------------------------------------------------------------------- markers


@dataclass(frozen=True)
class _PlacedMarker:
    number: int
    label: str
    x: float
    when: str


def _placed_markers(spec: SpcChartSpec | RunChartSpec) -> list[_PlacedMarker]:
    """The spec's markers that fall within the chart, in time order, numbered from 1."""
    n = spec.period_count
    found: list[tuple[float, str, str]] = []
    for marker in spec.markers:
        placed = _marker_x(marker.at, spec.period_starts, n)
        if placed is None:
            continue
        x, index = placed
        when = (
            long_date(_as_date(marker.at))
            if isinstance(marker.at, date)
            else clean_text(spec.period_labels[index], max_chars=MAX_PERIOD_LABEL_CHARS)
        )
        found.append((x, clean_text(marker.label, max_chars=MAX_MARKER_LABEL_CHARS), when))
    found.sort(key=lambda item: item[0])
    return [
        _PlacedMarker(number=i, label=label or "(no label)", x=x, when=when)
        for i, (x, label, when) in enumerate(found, start=1)
    ]


def _as_date(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value


def _marker_x(at: int | date, starts: Sequence[date], n: int) -> tuple[float, int] | None:
    if not isinstance(at, date):
        index = int(at)
        return (index - 0.5, index) if 0 <= index < n else None
    day = _as_date(at)
    index = bisect.bisect_right(starts, day) - 1
    if index < 0:
        return None
    start = starts[index]
    if index + 1 < n:
        end = starts[index + 1]
    else:  # the last period is taken to be as long as the one before it
        end = start + ((start - starts[index - 1]) if n > 1 else timedelta(days=31))
        if day >= end:
            return None
    return index - 0.5 + (day - start).days / (end - start).days, index


# --------------------------------------------------------------------------- charts


def spc_chart(spec: SpcChartSpec) -> Figure:
    """An XmR chart of ``spec.result`` with everything ``spec`` asks to be shown."""
    result = spec.result
    points = result.points
    n = len(points)
    x = np.arange(n, dtype=float)
    y = points["value"].to_numpy(dtype=float)
    groups = points["group"].to_numpy()
    categories = points["category"].to_numpy()
    target = spec.target_value
    label_of = dict(zip(points["period"], spec.period_labels, strict=True))
    markers = _placed_markers(spec)

    notes = [*_gap_notes(result.missing_count, n, spc=True)]
    short = points["short_group"].to_numpy(dtype=bool)
    threshold = result.settings.short_group_threshold
    if short.any():
        where = " in a group" if len(result.groups) > 1 else ""
        notes.append(
            f"Trial limits: fewer than {threshold} points{where}, so the limits are "
            "provisional and will be revised as more data arrives."
        )
    notes.extend(_clip_notes(spec))
    notes.extend(_marker_notes(spec.markers_heading, markers))
    notes.append(result.describe(format_period=lambda p: label_of.get(p, str(p))))
    notes.extend(_band_notes(spec.band))
    notes.extend(spec.notes)

    with chart_context():
        fig, grid, top, ax = _trend_figure(notes, spec.width_in)
        context_handles = [
            *_draw_baseline(ax, spec.baseline),
            *_draw_band(ax, x, spec.band),
            *_draw_comparisons(ax, x, spec.comparisons),
        ]

        limit_values: list[float] = []
        drew = {"mean": False, "limits": False, "trial": False, "inner": False}
        for group in np.unique(groups):
            rows = np.flatnonzero(groups == group)
            first, last = rows[0] - 0.4, rows[-1] + 0.4
            row = points.iloc[rows[0]]
            mean, lpl, upl = float(row["mean"]), float(row["lpl"]), float(row["upl"])
            if math.isfinite(mean):
                ax.plot(
                    [first, last],
                    [mean, mean],
                    color=MEAN_LINE,
                    lw=1.3,
                    zorder=_Z_MEAN,
                    label="_mean",
                )
                drew["mean"] = True
                limit_values.append(mean)
            trial = bool(row["short_group"])
            for value in (lpl, upl):
                if math.isfinite(value):
                    # Inside what the figure can be; the footnote gives the computed value.
                    value = _within(value, spec.value_floor, spec.value_ceiling)
                    ax.plot(
                        [first, last],
                        [value, value],
                        color=LIMIT_LINE,
                        lw=1.2,
                        ls=(0, (2, 2)) if trial else (0, (5, 2.5)),
                        zorder=_Z_LIMIT,
                        label="_trial_limit" if trial else "_limit",
                    )
                    drew["trial" if trial else "limits"] = True
                    limit_values.append(value)
            if spec.show_inner_lines:
                for name in ("inner_lower", "inner_upper"):
                    value = _within(float(row[name]), spec.value_floor, spec.value_ceiling)
                    if math.isfinite(value):
                        ax.plot(
                            [first, last],
                            [value, value],
                            color=LIMIT_LINE,
                            lw=0.8,
                            ls=(0, (1, 2)),
                            alpha=0.6,
                            zorder=_Z_LIMIT,
                            label="_inner_line",
                        )
                        drew["inner"] = True
            # Values are joined within a group only; NaN (a gap) breaks the line.
            ax.plot(
                x[rows],
                y[rows],
                color=VALUE_LINE,
                lw=1.5,
                zorder=_Z_VALUE_LINE,
                label="_values",
            )

        size = _point_size(n)
        point_handles: list[Line2D] = []
        line_handles: list[Line2D] = []
        imported = _imported_mask(spec)
        for category in ("common_cause", "improvement", "concern", "neutral"):
            mask = categories == category
            if not mask.any():
                continue
            _draw_points(ax, x, y, mask & ~imported, category, size, f"_points_{category}")
            _draw_points(ax, x, y, mask & imported, category, size, f"_imported_points_{category}")
            point_handles.append(_point_handle(category, _CATEGORY_LABELS[category]))
        point_handles.extend(_imported_handles(imported))
        if drew["mean"]:
            line_handles.append(Line2D([], [], color=MEAN_LINE, lw=1.3, label="Mean"))
        if drew["limits"]:
            line_handles.append(
                Line2D([], [], color=LIMIT_LINE, lw=1.2, ls=(0, (5, 2.5)), label="Process limits")
            )
        if drew["trial"]:
            line_handles.append(
                Line2D([], [], color=LIMIT_LINE, lw=1.2, ls=(0, (2, 2)), label="Trial limits")
            )
        if drew["inner"]:
            line_handles.append(
                Line2D(
                    [],
                    [],
                    color=LIMIT_LINE,
                    lw=0.8,
                    ls=(0, (1, 2)),
                    alpha=0.6,
                    label="Two-sigma lines",
                )
            )
        handles = [
            *point_handles,
            *line_handles,
            *_draw_target(ax, target, spec.format_value),
            *context_handles,
            *_draw_markers(ax, markers, n),
            *_draw_definition_change(ax, spec.definition_change),
        ]

        latest = result.limits
        side_labels = [
            ("Mean", latest.mean, latest.mean),
            *(
                (name, value, _within(value, spec.value_floor, spec.value_ceiling))
                for name, value in (("Upper limit", latest.upl), ("Lower limit", latest.lpl))
            ),
        ]
        _finish_axes(
            fig,
            grid,
            top,
            ax,
            spec,
            data=[y, np.array(limit_values, dtype=float)],
            handles=handles,
            side_labels=side_labels,
            whole=_all_whole(y),
        )
        freeze_layout(fig)
    return fig


def run_chart(spec: RunChartSpec) -> Figure:
    """A run chart: the values, joined except across gaps, and their median."""
    n = spec.period_count
    x = np.arange(n, dtype=float)
    y = np.array([np.nan if v is None else v for v in spec.values], dtype=float)
    observed = y[~np.isnan(y)]
    median = float(np.median(observed)) if observed.size else math.nan
    markers = _placed_markers(spec)
    count = observed.size
    if count < spec.min_spc_points:
        noun = "value is" if count == 1 else "values are"
        about = (
            f"Run chart: {count} {noun} too few for process limits, which need at least "
            f"{spec.min_spc_points} (Making Data Count). The solid line is the median."
        )
    else:
        about = f"Run chart: the solid line is the median of the {count} values."
    notes = [
        *_gap_notes(n - count, n),
        about,
        *_marker_notes(spec.markers_heading, markers),
        *_band_notes(spec.band),
        *spec.notes,
    ]

    with chart_context():
        fig, grid, top, ax = _trend_figure(notes, spec.width_in)
        context_handles = [
            *_draw_baseline(ax, spec.baseline),
            *_draw_band(ax, x, spec.band),
            *_draw_comparisons(ax, x, spec.comparisons),
        ]
        if math.isfinite(median):
            ax.plot(
                [-0.4, n - 0.6],
                [median, median],
                color=MEAN_LINE,
                lw=1.3,
                zorder=_Z_MEAN,
                label="_median",
            )
        ax.plot(x, y, color=VALUE_LINE, lw=1.5, zorder=_Z_VALUE_LINE, label="_values")
        imported = _imported_mask(spec)
        everything = np.ones(n, dtype=bool)
        size = _point_size(n)
        _draw_points(ax, x, y, everything & ~imported, "common_cause", size, "_points_common_cause")
        _draw_points(ax, x, y, imported, "common_cause", size, "_imported_points_common_cause")
        handles = [
            _point_handle("common_cause", "Value"),
            *_imported_handles(imported),
            *(
                [Line2D([], [], color=MEAN_LINE, lw=1.3, label="Median")]
                if math.isfinite(median)
                else []
            ),
            *_draw_target(ax, spec.target, spec.format_value),
            *context_handles,
            *_draw_markers(ax, markers, n),
            *_draw_definition_change(ax, spec.definition_change),
        ]
        _finish_axes(
            fig,
            grid,
            top,
            ax,
            spec,
            data=[y, np.array([median])],
            handles=handles,
            side_labels=[("Median", median, median)],
            whole=_all_whole(y),
        )
        freeze_layout(fig)
    return fig


# --------------------------------------------------------------------------- alt text


def _phases_phrase(spec: SpcChartSpec, labels: list[str]) -> str:
    """ "in 2 phases, each with its own mean and limits: April 2021 to September 2023,
    mean 4:53, process limits 3:44 to 6:02; from October 2023, mean 2:07, ..."."""
    fmt = spec.format_value
    groups = spec.result.groups
    points = spec.result.points
    periods = list(points["period"])
    described = []
    for n, row in enumerate(groups.itertuples()):
        first, last = periods.index(row.first_period), periods.index(row.last_period)
        span = f"from {labels[first]}" if n == len(groups) - 1 else (
            f"{labels[first]} to {labels[last]}"
        )  # fmt: skip
        text = f"{span}, mean {fmt(row.mean)}"
        if math.isfinite(row.lpl) and math.isfinite(row.upl):
            trial = " (trial limits)" if row.short else ""
            text += f", process limits {fmt(row.lpl)} to {fmt(row.upl)}{trial}"
        described.append(text)
    return f"in {len(groups)} phases, each with its own mean and limits: " + "; ".join(described)


def alt_text(spec: SpcChartSpec | RunChartSpec) -> str:
    """One or two plain sentences on what the chart shows, for ``<img alt>``.

    Names the metric (the title), the periods covered, the latest value, the mean and
    limits (or median), the signal at the latest point and how many markers are drawn.
    The numbers themselves belong in the data table that accompanies every chart.
    Plain text: the template escapes it.
    """
    fmt = spec.format_value
    labels = [clean_text(label, max_chars=MAX_PERIOD_LABEL_CHARS) for label in spec.period_labels]
    metric = clean_text(spec.title, max_chars=120) or "this measure"
    n = spec.period_count
    if isinstance(spec, SpcChartSpec):
        kind = "SPC chart"
        points = spec.result.points
        values = [
            None if m else float(v) for v, m in zip(points["value"], points["missing"], strict=True)
        ]
    else:
        kind = "Run chart"
        values = list(spec.values)
    observed = [i for i, v in enumerate(values) if v is not None]
    missing = n - len(observed)
    span = labels[0] if n == 1 else f"{labels[0]} to {labels[-1]}"
    counted = f"{n} period{'s' if n != 1 else ''}"
    if missing:
        counted += f", {missing} with no value"
    first = f"{kind} of {metric}, {span} ({counted})"
    if not observed:
        return f"{first}: no values recorded yet."
    last = observed[-1]
    first += f"; the latest value is {fmt(values[last])} ({labels[last]})."

    parts: list[str] = []
    if isinstance(spec, SpcChartSpec) and len(spec.result.groups) > 1:
        parts.append(_phases_phrase(spec, labels))
        parts.append(_signal_phrase(spec.result))
    elif isinstance(spec, SpcChartSpec):
        limits = spec.result.limits
        if math.isfinite(limits.mean):
            parts.append(f"mean {fmt(limits.mean)}")
        if math.isfinite(limits.lpl) and math.isfinite(limits.upl):
            trial = " (trial limits)" if limits.short else ""
            parts.append(
                f"process limits {fmt(limits.lpl)} to {fmt(limits.upl)}{trial}"
                f"{_clip_phrase(spec, limits.lpl, limits.upl)}"
            )
        parts.append(_signal_phrase(spec.result))
    else:
        median = float(np.median([values[i] for i in observed]))
        parts.append(f"median {fmt(median)}")
        if len(observed) < spec.min_spc_points:
            parts.append("too few values for process limits")
    target = spec.target_value
    if target is not None:
        parts.append(f"target {fmt(target)}")
    marked = len(_placed_markers(spec))
    if marked:
        heading = clean_text(spec.markers_heading, max_chars=40).lower() or "markers"
        parts.append(f"{heading} marked: {marked}")
    second = "; ".join(parts)
    text = f"{first} {second[:1].upper()}{second[1:]}."
    published = sum(1 for i in observed if spec.imported and spec.imported[i])
    if published:
        everything = "All" if published == len(observed) else f"{published} of the"
        text += (
            f" {everything} {len(observed)} values are NHS England's published figures "
            "(drawn as squares)."
        )
    if spec.definition_change is not None:
        text += f" The definition changed from {labels[spec.definition_change]}."
    text += _band_alt(spec.band, labels, fmt)
    return text


def _band_alt(
    band: ReferenceBand | None, labels: Sequence[str], fmt: Callable[[float], str]
) -> str:
    """ "England's median and interquartile range (shaded) are drawn behind the values
    for 12 of the 14 periods; in February 2026 England's median was 91.3% (interquartile
    range 85.0% to 95.2%)."; "" without a band."""
    if band is None or not band.shown:
        return ""
    name = clean_text(band.name, max_chars=MAX_LABEL_CHARS) or "The reference"
    n, shown = len(labels), band.shown
    periods = "every period" if len(shown) == n else f"{len(shown)} of the {n} periods"
    last = shown[-1]
    return (
        f" {name}'s median and interquartile range (shaded) are drawn behind the values "
        f"for {periods}; in {labels[last]} {name}'s median was {fmt(band.median[last])} "
        f"(interquartile range {fmt(band.lower[last])} to {fmt(band.upper[last])})."
    )


def _signal_phrase(result: SpcResult) -> str:
    points = result.points
    observed = points.loc[~points["missing"]]
    if observed.empty:
        return "no values yet"
    row = observed.iloc[-1]
    if not math.isfinite(float(row["upl"])):
        return "too few values for process limits"
    if not row["special_cause"]:
        return "the latest point shows common cause variation"
    category = row["category"]
    kind = {
        "improvement": "special cause improvement",
        "concern": "special cause concern",
    }.get(category, "special cause variation (no direction of improvement set)")
    high, low = _RULE_PHRASES.get(str(row["rule"]), ("a special cause", "a special cause"))
    return f"the latest point shows {kind}, {high if row['side'] == 'high' else low}"


# --------------------------------------------------------------------------- pieces


def _gap_notes(missing: int, n: int, *, spc: bool = False) -> list[str]:
    """What a chart does with periods that have no figure; on an XmR chart also that no
    moving range spans one, unlike NHSRplotthedots (whose ptd_spc documents "There
    should be no gaps in the time series", R/ptd_spc.R lines 11-13, and checks nothing:
    a period with no row is joined across, moving range and all)."""
    if not missing:
        return []
    if missing == 1:
        told = f"1 of {n} periods has no figure: it is left as a gap"
        joined, spans = "the line is not joined across it", "between its neighbours"
    else:
        told = f"{missing} of {n} periods have no figure: each is left as a gap"
        joined, spans = "the line is not joined across one", "between a gap's neighbours"
    if not spc:
        return [f"{told} and {joined}."]
    return [
        f"{told}, {joined} and no moving range is taken {spans}; the mean and limits come "
        "from the other figures. NHSRplotthedots (R) asks for a series without gaps but "
        "does not check, and would join a missing period's neighbours as if consecutive."
    ]


def _within(value: float, floor: float | None, ceiling: float | None) -> float:
    """``value`` moved inside the figure's possible range (NaN stays NaN)."""
    if floor is not None and value < floor:
        return floor
    if ceiling is not None and value > ceiling:
        return ceiling
    return value


_LIMIT_NAMES = {  # (trial limits?, side) -> what the footnote calls it
    (False, "lpl"): "lower process limit",
    (False, "upl"): "upper process limit",
    (True, "lpl"): "lower trial limit",
    (True, "upl"): "upper trial limit",
}


def _clip_notes(spec: SpcChartSpec) -> list[str]:
    """A footnote for each limit drawn inside the figure's possible range instead of
    where it was computed (a count's lower limit below 0, a percentage's upper above
    100): NHSRplotthedots draws them where they fall; tables and text keep the computed
    value. Limits a rebase splits are named by the period their group starts."""
    floor, ceiling = spec.value_floor, spec.value_ceiling
    if floor is None and ceiling is None:
        return []
    points = spec.result.points
    groups = points["group"].to_numpy()
    several = len(np.unique(groups)) > 1
    fmt = spec.format_value
    notes = []
    for group in np.unique(groups):
        first = int(np.flatnonzero(groups == group)[0])
        row = points.iloc[first]
        trial = bool(row["short_group"])
        since = f" from {spec.period_labels[first]}" if several else ""
        for side, inner, bound, beyond in (
            ("lpl", "inner_lower", floor, "below"),
            ("upl", "inner_upper", ceiling, "above"),
        ):
            value = float(row[side])
            if bound is None or not math.isfinite(value) or _within(value, floor, ceiling) == value:
                continue
            name = _LIMIT_NAMES[(trial, side)]
            note = (
                f"The {name}{since} is {beyond} {fmt(bound)} ({fmt(value)}), which cannot "
                f"happen: it is drawn at {fmt(bound)}"
            )
            inner_value = float(row[inner])
            if (
                spec.show_inner_lines
                and math.isfinite(inner_value)
                and _within(inner_value, floor, ceiling) != inner_value
            ):
                note += f", as is the two-sigma line beside it ({fmt(inner_value)})"
            notes.append(f"{note}.")
    return notes


def _clip_phrase(spec: SpcChartSpec, lpl: float, upl: float) -> str:
    """For the alt text: " (the lower drawn at 0, the lowest possible)" and the like."""
    floor, ceiling = spec.value_floor, spec.value_ceiling
    fmt = spec.format_value
    drawn = []
    if floor is not None and lpl < floor:
        drawn.append(f"the lower drawn at {fmt(floor)}, the lowest possible")
    if ceiling is not None and upl > ceiling:
        drawn.append(f"the upper drawn at {fmt(ceiling)}, the highest possible")
    return f" ({'; '.join(drawn)})" if drawn else ""


def _all_whole(values: np.ndarray) -> bool:
    """Every value is a whole number (a count's are): y ticks then fall on whole numbers."""
    known = values[np.isfinite(values)]
    return bool(known.size) and bool(np.all(known == np.round(known)))


def _marker_notes(heading: str, markers: list[_PlacedMarker]) -> list[str]:
    if not markers:
        return []
    listed = "; ".join(f"{m.number} {m.label} ({m.when})" for m in markers)
    return [f"{clean_text(heading, max_chars=40) or 'Markers'}: {listed}."]


def _band_notes(band: ReferenceBand | None) -> list[str]:
    if band is None or not band.shown:
        return []
    name = clean_text(band.name, max_chars=MAX_LABEL_CHARS) or "The reference"
    return [
        f"{band.label}: the solid line is {name}'s median; the shading runs from its lower "
        "to its upper quartile, where the middle half of its practices' figures lie."
    ]


def _band_runs(shown: list[int]) -> list[list[int]]:
    runs: list[list[int]] = []
    for i in shown:
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


class _Together(tuple):
    """A legend entry of several artists drawn on one another, under one label."""

    def __new__(cls, artists: Sequence[Any], label: str) -> _Together:
        together = super().__new__(cls, artists)
        together.label = label
        return together

    def get_label(self) -> str:
        return self.label


def _draw_band(ax: Axes, x: np.ndarray, band: ReferenceBand | None) -> list[Any]:
    """The band's median and shaded interquartile range over each run of periods it has
    figures for (a lone period as a short bar), broken where it has none."""
    if band is None or not band.shown:
        return []
    columns = [np.array([np.nan if v is None else v for v in c], dtype=float) for c in band.columns]
    for run in _band_runs(band.shown):
        xs = x[run]
        median, lower, upper = (c[run] for c in columns)
        if len(run) == 1:
            xs = np.array([xs[0] - BAND_HALF_WIDTH, xs[0] + BAND_HALF_WIDTH])
            median, lower, upper = (np.repeat(v, 2) for v in (median, lower, upper))
        ax.fill_between(
            xs, lower, upper, color=BAND_LINE, alpha=BAND_FILL_ALPHA, lw=0, zorder=_Z_BAND,
            label="_band",
        )  # fmt: skip
        ax.plot(xs, median, color=BAND_LINE, lw=1.5, zorder=_Z_COMPARISON, label="_band_median")
    shade = Patch(facecolor=BAND_LINE, alpha=BAND_FILL_ALPHA, edgecolor="none")
    line = Line2D([], [], color=BAND_LINE, lw=1.5)
    return [_Together((shade, line), band.label)]


def _point_size(n: int) -> float:
    if n <= 60:
        return 6.0
    return 4.5 if n <= 120 else 3.0


def _point_handle(category: str, label: str) -> Line2D:
    return Line2D(
        [],
        [],
        ls="none",
        marker="o",
        ms=6,
        mfc=POINT_FILL[category],
        mec=POINT_EDGE[category],
        mew=0.9,
        label=label,
    )


def _imported_mask(spec: SpcChartSpec | RunChartSpec) -> np.ndarray:
    n = spec.period_count
    if not spec.imported:
        return np.zeros(n, dtype=bool)
    return np.array(spec.imported, dtype=bool)


def _draw_points(
    ax: Axes,
    x: np.ndarray,
    y: np.ndarray,
    mask: np.ndarray,
    category: str,
    size: float,
    label: str,
) -> None:
    """The points of one category: circles, or squares for NHS England's published
    figures (an "_imported_…" label)."""
    if not mask.any():
        return
    imported = label.startswith("_imported")
    ax.plot(
        x[mask],
        y[mask],
        ls="none",
        marker="s" if imported else "o",
        ms=size * 0.9 if imported else size,
        mfc=POINT_FILL[category],
        mec=POINT_EDGE[category],
        mew=0.9,
        zorder=_Z_POINTS,
        label=label,
    )


def _imported_handles(imported: np.ndarray) -> list[Line2D]:
    """Legend entries for the two shapes, when the chart has both or only squares."""
    if not imported.any():
        return []
    square = Line2D(
        [],
        [],
        ls="none",
        marker="s",
        ms=5.5,
        mfc="white",
        mec=NHS_DARK_GREY,
        mew=0.9,
        label="Square: NHS England's published figure",
    )
    return [square]


def _draw_definition_change(ax: Axes, index: int | None) -> list[Line2D]:
    if index is None:
        return []
    ax.axvline(
        index - 0.5,
        color=NHS_DARK_GREY,
        lw=1.2,
        ls=(0, (1, 1.5)),
        zorder=_Z_MARKER,
        label="_definition_change",
    )
    return [
        Line2D([], [], color=NHS_DARK_GREY, lw=1.2, ls=(0, (1, 1.5)), label="Definition changed")
    ]


def _plot_height(width_in: float) -> float:
    return NARROW_PLOT_HEIGHT_IN if width_in < WIDTH_IN else PLOT_HEIGHT_IN


def _trend_figure(notes: list[str], width_in: float) -> tuple[Figure, GridSpec, SubFigure, Axes]:
    """A figure with the chart on top and the wrapped footnotes below it."""
    width_pt = width_in * 72 - 2 * EDGE_PT
    lines: list[str] = []
    for note in notes:
        lines.extend(wrap_text(clean_text(note), width_pt=width_pt, size=SMALL_FONT_SIZE))
    note_height = (
        len(lines) * SMALL_FONT_SIZE * FOOTNOTE_LINE_SPACING / 72 + 0.12 if lines else 0.05
    )
    plot_height = _plot_height(width_in)
    fig = Figure(figsize=(width_in, plot_height + note_height), dpi=100, layout="constrained")
    fig.get_layout_engine().set(w_pad=EDGE_PT / 72, h_pad=4 / 72)
    grid = fig.add_gridspec(2, 1, height_ratios=[plot_height, note_height], hspace=0)
    top, bottom = fig.add_subfigure(grid[0]), fig.add_subfigure(grid[1])
    ax = top.add_subplot()
    if lines:
        bottom.text(
            EDGE_PT / (width_in * 72),
            1.0 - 0.04 / note_height,
            "\n".join(lines),
            ha="left",
            va="top",
            fontsize=SMALL_FONT_SIZE,
            color=NHS_DARK_GREY,
            linespacing=FOOTNOTE_LINE_SPACING,
            **_TEXT,
        )
    return fig, grid, top, ax


def _draw_baseline(ax: Axes, baseline: tuple[int, int] | None) -> list[Patch]:
    if baseline is None:
        return []
    first, last = baseline
    ax.axvspan(
        first - 0.5, last + 0.5, color=NHS_PALE_GREY, lw=0, zorder=_Z_SPAN, label="_baseline"
    )
    return [Patch(facecolor=NHS_PALE_GREY, edgecolor="none", label="Baseline")]


def _draw_comparisons(
    ax: Axes, x: np.ndarray, comparisons: Sequence[ComparisonSeries]
) -> list[Line2D]:
    handles = []
    for i, comparison in enumerate(comparisons):
        colour, dashes = COMPARISON_STYLES[i % len(COMPARISON_STYLES)]
        values = np.array([np.nan if v is None else v for v in comparison.values], dtype=float)
        name = clean_text(comparison.name, max_chars=MAX_LABEL_CHARS) or f"Comparison {i + 1}"
        ax.plot(
            x,
            values,
            color=colour,
            ls=dashes,
            lw=1.4,
            alpha=0.9,
            zorder=_Z_COMPARISON,
            label=f"_comparison_{i}",
        )
        handles.append(Line2D([], [], color=colour, ls=dashes, lw=1.4, alpha=0.9, label=name))
    return handles


def _draw_target(ax: Axes, target: float | None, fmt: Callable[[float], str]) -> list[Line2D]:
    if target is None:
        return []
    ax.axhline(target, color=TARGET_LINE, lw=1.3, ls=(0, (6, 3)), zorder=_Z_TARGET, label="_target")
    label = f"Target ({clean_text(fmt(target), max_chars=20)})"
    return [Line2D([], [], color=TARGET_LINE, lw=1.3, ls=(0, (6, 3)), label=label)]


def _draw_markers(ax: Axes, markers: list[_PlacedMarker], n: int) -> list[Line2D]:
    """A dashed line per marker and its number just above the plot; numbers of markers
    too close to tell apart share one label ("2, 3")."""
    if not markers:
        return []
    for marker in markers:
        ax.axvline(
            marker.x,
            color=MARKER_LINE,
            lw=1.1,
            ls=(0, (4, 3)),
            zorder=_Z_MARKER,
            label="_marker",
        )
    close = max(1.0, n * 0.03)
    clusters: list[list[_PlacedMarker]] = []
    for marker in markers:
        if clusters and marker.x - clusters[-1][0].x < close:
            clusters[-1].append(marker)
        else:
            clusters.append([marker])
    transform = blended_transform_factory(ax.transData, ax.transAxes)
    for cluster in clusters:
        numbers = [m.number for m in cluster]
        text = f"{numbers[0]}–{numbers[-1]}" if len(numbers) > 2 else ", ".join(map(str, numbers))
        ax.text(
            cluster[0].x,
            1.02,
            text,
            transform=transform,
            ha="center",
            va="bottom",
            fontsize=SMALL_FONT_SIZE,
            color="white",
            fontweight="bold",
            clip_on=False,
            bbox={
                "boxstyle": "round,pad=0.3",
                "facecolor": MARKER_LINE,
                "edgecolor": "none",
            },
            **_TEXT,
        )
    return [
        Line2D([], [], color=MARKER_LINE, lw=1.1, ls=(0, (4, 3)), label="Intervention (numbered)")
    ]


def _y_range(
    data: list[np.ndarray], floor: float | None, ceiling: float | None
) -> tuple[float, float]:
    values = np.concatenate([np.asarray(d, dtype=float).ravel() for d in data])
    values = values[np.isfinite(values)]
    if values.size == 0:
        low = floor if floor is not None else 0.0
        return low, ceiling if ceiling is not None and ceiling > low else low + 1.0
    low, high = float(values.min()), float(values.max())
    span = high - low or max(abs(high) * 0.1, 1.0)
    bottom, top = low - 0.08 * span, high + 0.08 * span
    if floor is not None:
        # Start at the floor (zero, usually) when the data come within a span of it, so
        # the size of a change is not exaggerated; otherwise zoom in on the data.
        if low - floor <= span:
            bottom = floor
        bottom = max(bottom, floor)
    if ceiling is not None:
        if ceiling - high <= 0.25 * span:
            top = ceiling
        top = min(top, ceiling)
    if top <= bottom:
        top = bottom + 1.0
    return bottom, top


def _x_ticks(labels: Sequence[str], axes_width_pt: float) -> list[int]:
    """Indexes to label: every k-th period counted back from the latest, with k the
    smallest of 1, 2, 3, 4, 6, 12, … for which the labels do not collide."""
    n = len(labels)
    widest = max((text_width_pt(label, size=SMALL_FONT_SIZE) for label in labels), default=0.0)
    room = max(1, int(axes_width_pt // (widest + 14)))
    step = next(
        (s for s in (1, 2, 3, 4, 6, 12, 24, 36, 48, 60, 120, 240) if math.ceil(n / s) <= room),
        max(1, math.ceil(n / room)),
    )
    return sorted(range(n - 1, -1, -step))


def _period_marks(ax: Axes, n: int) -> None:
    """A short mark below the axis at every period, drawn as one line of tick-shaped
    markers: what minor ticks at every period drew (2 points long, outward, in the axis's
    grey and at its depth), without making matplotlib build a Tick, with its own lines
    and label, for each of up to 120 periods (which cost 40% of drawing a chart)."""
    ax.add_line(
        Line2D(
            range(n),
            [0] * n,
            transform=ax.get_xaxis_transform(),
            linestyle="none",
            marker=TICKDOWN,
            markersize=2,
            markeredgewidth=matplotlib.rcParams["xtick.minor.width"],
            color=NHS_DARK_GREY,
            zorder=ax.xaxis.get_zorder(),
            clip_on=False,
            in_layout=False,
        )
    )


def _finish_axes(
    fig: Figure,
    grid: GridSpec,
    top: SubFigure,
    ax: Axes,
    spec: SpcChartSpec | RunChartSpec,
    *,
    data: list[np.ndarray],
    handles: list[Any],
    side_labels: list[tuple[str, float, float]],
    whole: bool = False,
) -> None:
    n = spec.period_count
    fmt = spec.format_value
    comparison_values = [
        np.array([np.nan if v is None else v for v in c.values], dtype=float)
        for c in spec.comparisons
    ]
    target = spec.target_value
    extra = [np.array([target], dtype=float)] if target is not None else []
    if spec.band is not None:
        extra += [np.array([np.nan if v is None else v for v in c]) for c in spec.band.columns]
    bottom, top_y = _y_range(
        [*data, *comparison_values, *extra], spec.value_floor, spec.value_ceiling
    )
    ax.set_ylim(bottom, top_y)
    ax.set_xlim(-0.7, n - 0.3)

    ax.yaxis.set_major_locator(_y_locator(spec.y_tick_steps, bottom, top_y, whole=whole))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: clean_text(fmt(v))))
    ax.grid(axis="y", color=NHS_PALE_GREY, lw=0.8, zorder=0.5)
    ax.set_axisbelow(True)
    ax.set_ylabel(clean_text(spec.y_label, max_chars=MAX_LABEL_CHARS), **_TEXT)

    labels = [clean_text(label, max_chars=MAX_PERIOD_LABEL_CHARS) for label in spec.period_labels]
    width_in = spec.width_in
    narrow = width_in < WIDTH_IN
    # Less the y labels, and the right-hand value labels where they are written.
    axes_width_pt = width_in * 72 - (60 if narrow else 190)
    ticks = _x_ticks(labels, axes_width_pt)
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.set_xticks(ticks, [labels[i] for i in ticks], **_TEXT)
    if 1 < n <= 120:
        _period_marks(ax, n)
    ax.tick_params(axis="both", which="major", length=4, color=NHS_DARK_GREY)

    if not narrow:
        _side_labels(ax, side_labels, target, fmt, (bottom, top_y))

    title = wrap_text(
        clean_text(spec.title) or "Chart",
        width_pt=width_in * 72 - 2 * EDGE_PT,
        size=TITLE_FONT_SIZE,
        weight="bold",
        max_lines=MAX_TITLE_LINES,
    )
    top.suptitle(
        "\n".join(title),
        x=EDGE_PT / (width_in * 72),
        ha="left",
        fontsize=TITLE_FONT_SIZE,
        fontweight="bold",
        color=NHS_BLACK,
        **_TEXT,
    )
    legend_rows = 0
    if handles:
        entries = [h.get_label() for h in handles]
        columns = _legend_columns(entries, width_in)
        legend_rows = math.ceil(len(handles) / columns)
        top.legend(
            handles=handles,
            labels=entries,
            handler_map={_Together: HandlerTuple(ndivide=1, pad=0)},
            loc="outside lower center",
            ncols=columns,
            handlelength=2.6,
            columnspacing=1.6,
        )
    # The plot height allows one title line and three legend rows; more would squeeze
    # the plot, so the figure grows instead.
    extra = (len(title) - 1) * TITLE_FONT_SIZE * 1.3 / 72
    extra += max(0, legend_rows - 3) * SMALL_FONT_SIZE * 2.0 / 72
    if extra:
        plot_height, note_height = grid.get_height_ratios()
        grid.set_height_ratios([plot_height + extra, note_height])
        fig.set_size_inches(width_in, plot_height + extra + note_height)


def _legend_columns(labels: list[str], width_in: float) -> int:
    widest = max(text_width_pt(label, size=SMALL_FONT_SIZE) for label in labels) + 48
    fits = max(1, int((width_in * 72 - 2 * EDGE_PT) // widest))
    rows = math.ceil(len(labels) / fits)
    return math.ceil(len(labels) / rows)  # balance the rows


def _y_locator(
    steps: Sequence[float] | None, bottom: float, top: float, *, whole: bool
) -> MaxNLocator | MultipleLocator:
    """Ticks every ``steps`` interval (the smallest leaving at most MAX_Y_INTERVALS); on
    an axis too narrow for two of the smallest, the largest of its half, quarter, sixth
    or twelfth that fits twice, so the smallest's multiples are still ticks."""
    default = MaxNLocator(nbins=MAX_Y_INTERVALS, steps=[1, 2, 2.5, 5, 10], integer=whole)
    span = top - bottom
    if not steps or not span > 0:
        return default
    if span / steps[0] < 2:
        fractions = [steps[0] / k for k in (2, 4, 6, 12)]
        step = next((f for f in fractions if span / f >= 2), None)
        return MultipleLocator(step) if step is not None else default
    step = next((s for s in steps if span / s <= MAX_Y_INTERVALS), None)
    return MultipleLocator(step) if step is not None else default


def _side_labels(
    ax: Axes,
    labels: list[tuple[str, float, float]],
    target: float | None,
    fmt: Callable[[float], str],
    y_range: tuple[float, float],
) -> None:
    """The latest mean and limits (and target) written at the right-hand end of their
    lines, leaving out any that would overlap one already written. Each label is
    (name, value, where it is drawn): a limit drawn at 0 because it cannot be below is
    labelled there with its computed value."""
    wanted = list(labels)
    if target is not None:
        wanted.append(("Target", target, target))
    bottom, top = y_range
    gap = 0.055 * (top - bottom)
    placed: list[float] = []
    transform = blended_transform_factory(ax.transAxes, ax.transData)
    for name, value, at in wanted:
        if not math.isfinite(at) or not bottom <= at <= top:
            continue
        if any(abs(at - other) < gap for other in placed):
            continue
        placed.append(at)
        colour = TARGET_LINE if name == "Target" else NHS_DARK_GREY
        ax.text(
            1.008,
            at,
            f"{name} {clean_text(fmt(value), max_chars=20)}",
            transform=transform,
            ha="left",
            va="center",
            fontsize=SMALL_FONT_SIZE,
            color=colour,
            clip_on=False,
            **_TEXT,
        )
