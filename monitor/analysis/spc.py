"""Statistical process control: the XmR chart of NHS England's "Making Data Count".

The reference implementation is NHSRplotthedots 0.2.2 (NHS-R community,
github.com/nhs-r-community/NHSRplotthedots, tag 0.2.2 =
050b07d7eacc011767532732f69b8fd7d6a28fd3: R/ptd_spc_standard.R,
R/ptd_calculate_point_type.R, R/ptd_add_short_group_warnings.R,
R/ptd_calculate_assurance_type.R, R/geom_ptd_icon.R). Names of outputs
(``point_type``, ``special_cause_type``, variation and assurance types) follow it so
that figures can be checked against it; on a series without gaps the results are
R's (to the last bit on x86-64, see ``r_mean``) except where this docstring says
otherwise.

How a chart is calculated, per group (a group starts at each rebase point):

* centre line: the mean of the values, computed as R's ``mean()`` computes it (see
  ``r_mean``: a long-double sum, a division, then a second pass adding the mean
  residual), so that a point R finds exactly on the mean is exactly on it here;
* moving range: ``|x[t] - x[t-1]|`` between neighbouring periods of the same group;
* average moving range (R's ``mean()`` again), screened by default
  (``screen_outliers``, as NHSRplotthedots): moving ranges not below 3.267 × the
  average are dropped and the average recomputed once. The Making Data Count Excel
  tools do not screen (``screen_outliers=False``);
* process limits at mean ± 2.66 × average moving range, inner ("two sigma") lines at
  mean ± (2/3 × 2.66) × average moving range;
* no variation, no limits: when the average moving range is zero (the values used for
  the limits never change from one period to the next, or screening leaves only moving
  ranges of 0) there are no process limits or inner lines. With screening
  on, a flat series is exactly R's case (every moving range is screened out, the
  average is NaN: ptd_spc_standard.R lines 72-78). Where this module differs from R:
  with ``screen_outliers=False``, or when screening leaves only zero moving ranges, R
  draws zero-width limits on the mean and calls every other point "outside"; here there
  are no limits, as there is no estimate of the process's variation to draw them from.
  Without limits the trend and shift rules still apply (they do not use the limits);
* with ``fix_after_n_points`` the mean and moving ranges come from the first N values of
  each group only; the limits then apply to every point of the group.

Special-cause rules, highest precedence first (each point records the first that fires):

1. ``outside_limits``: a point strictly above the upper or below the lower limit;
2. ``trend``: ``trend_run_length`` (7) points each strictly higher, or each strictly
   lower, than the one before; every point of the run is flagged. Its direction
   ("Increasing"/"Decreasing", so improvement or concern) is R's
   (ptd_calculate_point_type.R lines 91-98 and 104): a trend point whose next point is
   also a trend point takes the direction of the step to that next point, any other
   takes the step from the point before; only a rising step is "Increasing", so where
   two trends meet the shared point can be labelled by the step after it (a fall, or
   a tie between two rising runs, makes it "Decreasing");
3. ``two_in_three``: two of three consecutive points close to a limit (beyond the inner
   line but not outside the limits), all three on the same side of the mean; only the
   close points are flagged. ``two_in_three="beyond_two_sigma"`` is the 2023 Making
   Data Count variant in which a point outside the limits also counts as close;
4. ``shift``: ``shift_run_length`` (7) points in a row on the same side of the mean (a
   point exactly on the mean breaks the run).

Gaps (a period without a value, given as ``None`` or NaN) are this module's choice, not
R's. Here a gap is kept as a row so charts can show it, but is left out of the mean and
the moving ranges; no moving range is taken across a gap, and a gap breaks every run
(trend, shift, two-in-three): points either side of it are never joined;
``fix_after_n_points`` counts values, not gaps. NHSRplotthedots asks for series without
gaps ("There should be no gaps in the time series", R/ptd_spc.R lines 11-13) but does
not check: a period with no row is joined to its neighbours as if they were
consecutive (moving range and runs are taken across it), and a row whose value is NA
is left out of the mean and the average moving range but can stop its trend rule with
an error (``if (all(d == 1))`` on a window holding the NA,
ptd_calculate_point_type.R lines 54-63). A series without gaps gets R's results.

A group with fewer than ``short_group_threshold`` (13, NHSRplotthedots' default
warning threshold) values has trial limits (``short_group``).

Assurance against a target follows ptd_calculate_assurance_type.R lines 25-33: a target
above the upper or below the lower limit is consistently passed or failed; anything
else, including a chart without limits (too few values, or no variation), is
"inconsistent" (hit or miss).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

__all__ = [
    "ASSURANCE_TYPES",
    "DEFAULT_SETTINGS",
    "IMPROVEMENT_DIRECTIONS",
    "INNER_SCALE",
    "LIMIT_SCALE",
    "OUTLIER_SCALE",
    "POINT_TYPES",
    "RULES",
    "BeforeAfter",
    "GroupLimits",
    "Signal",
    "SpcResult",
    "SpcSettings",
    "assurance_type",
    "before_after",
    "compare",
    "explain",
    "explain_assurance",
    "explain_before_after",
    "explain_variation",
    "mark_runs",
    "point_type",
    "r_mean",
    "shift_run_ends",
    "trend_directions",
    "trend_run_ends",
    "two_in_three_windows",
    "variation_icon",
    "xmr",
]

LIMIT_SCALE = 2.66
"""Process limits sit this many average moving ranges from the mean (3 sigma)."""
INNER_SCALE = 2 * LIMIT_SCALE / 3
"""Inner ("two sigma") lines sit this many average moving ranges from the mean."""
OUTLIER_SCALE = 3.267
"""Moving ranges at or above this multiple of their average are screened out."""
MIN_FIX_AFTER_N_POINTS = 12

Improvement = Literal["increase", "decrease", "neutral"]
TwoInThreeVariant = Literal["within_limits", "beyond_two_sigma"]

IMPROVEMENT_DIRECTIONS: tuple[str, ...] = ("increase", "decrease", "neutral")
TWO_IN_THREE_VARIANTS: tuple[str, ...] = ("within_limits", "beyond_two_sigma")

RULE_OUTSIDE_LIMITS = "outside_limits"
RULE_TREND = "trend"
RULE_TWO_IN_THREE = "two_in_three"
RULE_SHIFT = "shift"
RULES: tuple[str, ...] = (RULE_OUTSIDE_LIMITS, RULE_TREND, RULE_TWO_IN_THREE, RULE_SHIFT)
"""Special-cause rules in order of precedence."""

POINT_TYPES: tuple[str, ...] = (
    "common_cause",
    "special_cause_improvement",
    "special_cause_concern",
    "special_cause_neutral_high",
    "special_cause_neutral_low",
)
ASSURANCE_TYPES: tuple[str, ...] = ("consistent_pass", "consistent_fail", "inconsistent")

_DIRECTION_SIGN = {"increase": 1, "decrease": -1, "neutral": 0}
_RULE_NAMES = {
    RULE_OUTSIDE_LIMITS: "a point outside the process limits",
    RULE_TREND: "a trend",
    RULE_TWO_IN_THREE: "two out of three points close to a process limit",
    RULE_SHIFT: "a shift",
}


def _is_int(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _check_improvement(improvement: str) -> None:
    if improvement not in IMPROVEMENT_DIRECTIONS:
        raise ValueError(f"improvement must be one of {', '.join(IMPROVEMENT_DIRECTIONS)}")


def _check_target(target: float | None) -> float | None:
    if target is None:
        return None
    target = float(target)
    if not math.isfinite(target):
        raise ValueError("target must be a finite number")
    return target


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class SpcSettings:
    """How a chart is calculated; every result carries the settings it used.

    ``rebase_at`` holds periods at which a new group (new mean and limits) starts; a
    rebase point that is not one of the chart's periods is ignored, as in
    NHSRplotthedots, and listed in ``SpcResult.unmatched_rebase_points``.
    """

    screen_outliers: bool = True
    trend_run_length: int = 7
    shift_run_length: int = 7
    two_in_three: TwoInThreeVariant = "within_limits"
    fix_after_n_points: int | None = None
    rebase_at: tuple[Hashable, ...] = ()
    short_group_threshold: int = 13

    def __post_init__(self) -> None:
        if not isinstance(self.screen_outliers, bool):
            raise ValueError("screen_outliers must be True or False")
        for name, least in (("trend_run_length", 3), ("shift_run_length", 2)):
            length = getattr(self, name)
            if not _is_int(length) or length < least:
                raise ValueError(f"{name} must be a whole number of at least {least}")
        if self.two_in_three not in TWO_IN_THREE_VARIANTS:
            raise ValueError(f"two_in_three must be one of {', '.join(TWO_IN_THREE_VARIANTS)}")
        if self.fix_after_n_points is not None and (
            not _is_int(self.fix_after_n_points) or self.fix_after_n_points < MIN_FIX_AFTER_N_POINTS
        ):
            raise ValueError(
                "fix_after_n_points must be a whole number greater than or equal to "
                f"{MIN_FIX_AFTER_N_POINTS}"
            )
        if not _is_int(self.short_group_threshold) or self.short_group_threshold < 1:
            raise ValueError("short_group_threshold must be a whole number of at least 1")
        if isinstance(self.rebase_at, str | bytes):
            raise ValueError("rebase_at must be a sequence of periods, not a single string")
        # Any sequence is accepted for convenience; stored as a tuple so settings stay
        # hashable and comparable.
        object.__setattr__(self, "rebase_at", tuple(self.rebase_at))

    def describe(
        self,
        *,
        format_period: Callable[[Any], str] = str,
        limits_basis: str | None = None,
    ) -> str:
        """The settings in a few sentences, for printing under a chart or in an export."""
        screening = (
            f"moving ranges of {OUTLIER_SCALE} × their average or more are left out"
            if self.screen_outliers
            else "no moving ranges are screened out"
        )
        if limits_basis is None:
            limits_basis = (
                f"limits fixed on the first {self.fix_after_n_points} points of each group"
                if self.fix_after_n_points
                else "limits from all points of each group"
            )
        close = (
            "beyond two sigma, including outside the limits (2023 variant)"
            if self.two_in_three == "beyond_two_sigma"
            else "beyond two sigma but within the limits"
        )
        parts = [
            f"XmR chart: process limits at the mean ± {LIMIT_SCALE} × the average moving "
            f"range ({screening}); {limits_basis}.",
            "Special cause rules, highest first: a point outside the limits; "
            f"a trend of {self.trend_run_length} points rising or falling; "
            f"two of three points {close}; "
            f"a shift of {self.shift_run_length} points on one side of the mean.",
            f"Limits from fewer than {self.short_group_threshold} points are trial limits.",
        ]
        if self.rebase_at:
            periods = ", ".join(format_period(p) for p in self.rebase_at)
            parts.append(f"Rebased at {periods}.")
        return " ".join(parts)


DEFAULT_SETTINGS = SpcSettings()


# --------------------------------------------------------------------------- rule building blocks


def trend_run_ends(values: Sequence[float] | np.ndarray, run_length: int = 7) -> np.ndarray:
    """+1 / -1 at the last point of every run of ``run_length`` strictly rising / falling
    values, 0 elsewhere (NHSRplotthedots ``ptd_seven_point_trend``).

    A tie, or a missing value (NaN), breaks a run.
    """
    y = np.asarray(values, dtype=float)
    ends = np.zeros(y.size, dtype=int)
    if y.size < run_length:
        return ends
    with np.errstate(invalid="ignore"):
        steps = np.sign(np.diff(y))
    for end in range(run_length - 1, y.size):
        window = steps[end - run_length + 1 : end]
        if np.all(window == 1):
            ends[end] = 1
        elif np.all(window == -1):
            ends[end] = -1
    return ends


def shift_run_ends(relative_to_mean: Sequence[int] | np.ndarray, run_length: int = 7) -> np.ndarray:
    """+1 / -1 at the last point of every run of ``run_length`` points above / below the
    mean, 0 elsewhere (NHSRplotthedots ``ptd_seven_point_one_side_mean``).

    ``relative_to_mean`` is the sign of ``value - mean``; 0 (on the mean, or a gap) breaks
    a run.
    """
    side = np.asarray(relative_to_mean, dtype=int)
    ends = np.zeros(side.size, dtype=int)
    for end in range(run_length - 1, side.size):
        window = side[end - run_length + 1 : end + 1]
        if window[-1] != 0 and np.all(window == window[-1]):
            ends[end] = window[-1]
    return ends


def mark_runs(run_ends: Sequence[int] | np.ndarray, run_length: int = 7) -> np.ndarray:
    """True for every point of a run whose last point is marked non-zero in ``run_ends``
    (NHSRplotthedots ``ptd_part_of_seven_trend``)."""
    ends = np.asarray(run_ends)
    marked = np.zeros(ends.size, dtype=bool)
    for end in np.flatnonzero(ends):
        marked[max(0, end - run_length + 1) : end + 1] = True
    return marked


def trend_directions(
    values: Sequence[float] | np.ndarray, in_trend: Sequence[bool] | np.ndarray
) -> np.ndarray:
    """+1 ("Increasing") / -1 ("Decreasing") for every point of a trend, 0 elsewhere, as
    NHSRplotthedots labels them (``ptd_special_cause_type``,
    R/ptd_calculate_point_type.R lines 91-98 and 104 at 0.2.2).

    A trend point whose next point is also in a trend takes the sign of the step to
    that next point; any other trend point takes the sign of the step from the point
    before. Only a rising step is "Increasing": a fall or a tie is "Decreasing". So
    where two trends meet, the shared point follows the step after it, whichever run
    it belongs to.
    """
    y = np.asarray(values, dtype=float)
    trend = np.asarray(in_trend, dtype=bool)
    directions = np.zeros(y.size, dtype=int)
    for k in np.flatnonzero(trend):
        if k + 1 < y.size and trend[k + 1]:
            step = y[k + 1] - y[k]
        elif k > 0:
            step = y[k] - y[k - 1]
        else:
            step = 0.0
        directions[k] = 1 if step > 0 else -1
    return directions


def two_in_three_windows(
    close: Sequence[bool] | np.ndarray, relative_to_mean: Sequence[int] | np.ndarray
) -> np.ndarray:
    """True for every point of a window of three consecutive points in which at least two
    are ``close`` and all three are on the same side of the mean (NHSRplotthedots
    ``ptd_two_in_three``). Only the close points of such a window are special causes
    (``ptd_part_of_two_in_three``: ``windows & close``)."""
    near = np.asarray(close, dtype=bool)
    side = np.asarray(relative_to_mean, dtype=int)
    hit = np.zeros(near.size, dtype=bool)
    for start in range(near.size - 2):
        window = slice(start, start + 3)
        if near[window].sum() >= 2 and abs(int(side[window].sum())) == 3:
            hit[window] = True
    return hit


def point_type(side: str | None, improvement: str) -> str:
    """NHSRplotthedots' ``point_type`` for a special cause on ``side`` ("high"/"low"), or
    "common_cause" when ``side`` is None."""
    _check_improvement(improvement)
    if side is None:
        return "common_cause"
    direction = _DIRECTION_SIGN[improvement]
    if direction == 0:
        return f"special_cause_neutral_{side}"
    sign = 1 if side == "high" else -1
    return "special_cause_improvement" if sign * direction > 0 else "special_cause_concern"


def variation_icon(point_type: str | None, improvement: str) -> str | None:
    """The Making Data Count variation icon for the latest point's ``point_type``; named as
    NHSRplotthedots' icon files (inst/icons/variation/*.svg)."""
    _check_improvement(improvement)
    if point_type is None:
        return None
    if point_type == "common_cause":
        return "common_cause"
    if point_type.startswith("special_cause_neutral_"):
        return point_type.removeprefix("special_cause_")
    high_is_good = improvement == "increase"
    if point_type == "special_cause_improvement":
        return "improvement_high" if high_is_good else "improvement_low"
    if point_type == "special_cause_concern":
        return "concern_low" if high_is_good else "concern_high"
    raise ValueError(f"unknown point type {point_type!r}")


def assurance_type(*, target: float | None, lpl: float, upl: float, improvement: str) -> str | None:
    """Whether the process will meet ``target`` (NHSRplotthedots
    ``ptd_calculate_assurance_type``, R/ptd_calculate_assurance_type.R lines 18-33 at
    0.2.2): "consistent_pass" or "consistent_fail" when the target lies outside the
    process limits, otherwise "inconsistent" (hit or miss): a target within the limits
    or on one, and any target when there are no limits (too few values, or values that
    do not vary), since R's comparisons with a missing limit fall through to
    "inconsistent". None without a target or for a neutral measure."""
    _check_improvement(improvement)
    if target is None or improvement == "neutral":
        return None
    increasing = improvement == "increase"
    if target > upl:
        return "consistent_fail" if increasing else "consistent_pass"
    if target < lpl:
        return "consistent_pass" if increasing else "consistent_fail"
    return "inconsistent"


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class GroupLimits:
    """Centre line and limits of one group (between rebase points)."""

    group: int
    n: int
    n_missing: int
    mean: float
    average_moving_range: float
    lpl: float
    upl: float
    inner_lower: float
    inner_upper: float
    short: bool
    no_variation: bool = False
    """The values used for the limits do not vary (average moving range 0), so there are
    no limits."""

    @property
    def has_limits(self) -> bool:
        return math.isfinite(self.lpl) and math.isfinite(self.upl)


@dataclass(frozen=True)
class Signal:
    """One special-cause point."""

    period: Any
    value: float
    group: int
    rule: str
    side: str
    point_type: str


@dataclass(frozen=True, eq=False)
class SpcResult:
    """An XmR chart: one row per period in ``points``, one per group in ``groups``.

    ``points`` columns: period, value, missing, group, used_for_limits, mean, lpl, upl,
    inner_lower, inner_upper, moving_range, moving_range_used, relative_to_mean,
    outside_limits, close_to_limits, rule, side, special_cause, special_cause_type,
    point_type, category, short_group. ``rule``/``side``/``point_type`` are missing for
    a gap; ``category`` is "improvement", "concern", "neutral" or "common_cause" (the
    colour of the dot: blue, orange, purple, grey).
    """

    points: pd.DataFrame
    groups: pd.DataFrame
    settings: SpcSettings
    improvement: str
    target: float | None
    variation: str | None
    """``point_type`` of the latest value (None when there are no values)."""
    variation_icon: str | None
    assurance: str | None
    """Assurance type against ``target`` using the latest group's limits."""
    missing_count: int
    unmatched_rebase_points: tuple[Hashable, ...]
    baseline_before: Any = None
    """Set by ``before_after``: the limits come only from the values before this period."""
    limits_from: tuple[Any, Any] | None = None
    """Set by ``xmr(limits_from=...)``: the first and last period whose values set the
    limits of the group they are in."""

    @property
    def assurance_icon(self) -> str | None:
        """NHSRplotthedots' assurance icon name: "pass", "fail" or "inconsistent"."""
        return {
            "consistent_pass": "pass",
            "consistent_fail": "fail",
            "inconsistent": "inconsistent",
        }.get(self.assurance or "")

    @property
    def limits(self) -> GroupLimits:
        """Mean and limits of the latest group."""
        return self.group_limits(int(self.points["group"].iloc[-1]))

    def group_limits(self, group: int) -> GroupLimits:
        row = self.groups.loc[self.groups["group"] == group].iloc[0]
        return GroupLimits(
            group=int(row["group"]),
            n=int(row["n"]),
            n_missing=int(row["n_missing"]),
            mean=float(row["mean"]),
            average_moving_range=float(row["average_moving_range"]),
            lpl=float(row["lpl"]),
            upl=float(row["upl"]),
            inner_lower=float(row["inner_lower"]),
            inner_upper=float(row["inner_upper"]),
            short=bool(row["short"]),
            no_variation=bool(row["no_variation"]),
        )

    @property
    def trial_limits(self) -> bool:
        """True when the latest group is too short to rely on its limits."""
        return self.limits.short

    @property
    def signals(self) -> pd.DataFrame:
        return self.points.loc[self.points["special_cause"]]

    def signals_after(self, period: Any, *, inclusive: bool = False) -> pd.DataFrame:
        """Special-cause points after ``period`` (or from it, with ``inclusive``)."""
        periods = self.points["period"]
        later = periods >= period if inclusive else periods > period
        return self.points.loc[self.points["special_cause"] & later]

    @property
    def latest_signal(self) -> Signal | None:
        signals = self.signals
        if signals.empty:
            return None
        return _signal(signals.iloc[-1])

    def describe(self, *, format_period: Callable[[Any], str] = str) -> str:
        """The settings used, for printing under the chart or in an export."""
        basis = None
        if self.baseline_before is not None:
            n = int(self.points["used_for_limits"].sum())
            basis = (
                f"limits fixed on the {n} baseline points before "
                f"{format_period(self.baseline_before)}"
            )
        elif self.limits_from is not None:
            first, last = self.limits_from
            fixed = self.points["used_for_limits"] & (self.points["period"] >= first)
            fixed &= self.points["period"] <= last
            basis = (
                f"limits fixed on the {int(fixed.sum())} baseline points from "
                f"{format_period(first)} to {format_period(last)}"
            )
            if len(self.groups) > 1:
                basis += ", and each later phase's limits on its own points"
        return self.settings.describe(format_period=format_period, limits_basis=basis)


@dataclass(frozen=True, eq=False)
class BeforeAfter:
    """Before/after comparison around ``split_at`` with limits fixed on the baseline."""

    split_at: Any
    baseline_n: int
    since_n: int
    baseline_mean: float
    since_mean: float
    difference: float
    """``since_mean - baseline_mean``."""
    baseline_short: bool
    """The baseline has too few values for reliable limits (trial limits)."""
    baseline_stable: bool
    """No special cause among the baseline points themselves."""
    shift_detected: bool
    """At least one special cause since ``split_at`` against the baseline limits."""
    outcome: str | None
    """"improvement", "concern", "mixed", "neutral" or None when nothing was detected."""
    signals: pd.DataFrame
    chart: SpcResult


# --------------------------------------------------------------------------- calculation


def xmr(
    values: Sequence[float | None] | pd.Series,
    *,
    periods: Sequence[Any] | None = None,
    improvement: Improvement = "neutral",
    target: float | None = None,
    settings: SpcSettings = DEFAULT_SETTINGS,
    rebase_at: Sequence[Hashable] | None = None,
    limits_from: tuple[Any, Any] | None = None,
) -> SpcResult:
    """Calculate an XmR chart.

    ``values`` may hold None/NaN for periods without a value. ``periods`` label the
    values and must sort in time order (default: the Series index, or 0, 1, 2, ...);
    rows are sorted by period. ``rebase_at`` is a shortcut for ``settings.rebase_at``.
    ``improvement`` is the direction that counts as better: "increase", "decrease" or
    "neutral" (no direction: signals are "neutral" and there is no assurance).

    ``limits_from`` = (first, last) fixes the limits on a baseline, as Making Data Count
    advises for judging a change: the group holding those periods takes its mean and
    moving ranges from their values only (at least two) and extends the limits over
    its other points; a later group (after a rebase point) has limits of its own
    points. ``fix_after_n_points`` then applies to the groups without the baseline.
    """
    _check_improvement(improvement)
    if rebase_at is not None:
        rebase_at = tuple(rebase_at)
        if settings.rebase_at and settings.rebase_at != rebase_at:
            raise ValueError("rebase_at given both directly and in settings, differently")
        settings = replace(settings, rebase_at=rebase_at)
    target = _check_target(target)
    frame = _frame(values, periods)

    index = pd.Index(frame["period"])
    positions = index.get_indexer(list(settings.rebase_at)) if settings.rebase_at else []
    unmatched = tuple(p for p, i in zip(settings.rebase_at, positions, strict=True) if i < 0)
    starts = np.zeros(len(frame), dtype=int)
    starts[[i for i in positions if i >= 0]] = 1
    groups = np.cumsum(starts)

    observed = frame["value"].notna().to_numpy()
    used = observed.copy()
    fixed_groups: set[int] = set()
    if limits_from is not None:
        first, last = limits_from
        in_period = (frame["period"] >= first) & (frame["period"] <= last)
        in_baseline = in_period.to_numpy(dtype=bool) & observed
        if in_baseline.sum() < 2:
            raise ValueError("at least two values in limits_from are needed for a baseline")
        for group in np.unique(groups[in_baseline]):
            rows = groups == group
            used[rows] = in_baseline[rows]
            fixed_groups.add(int(group))
    if settings.fix_after_n_points is not None:
        for group in np.unique(groups):
            if int(group) in fixed_groups:
                continue
            rows = np.flatnonzero((groups == group) & observed)
            used[rows[settings.fix_after_n_points :]] = False

    result = _chart(
        frame,
        groups=groups,
        used_for_limits=used,
        settings=settings,
        improvement=improvement,
        target=target,
        unmatched_rebase_points=unmatched,
        fixed_groups=frozenset(fixed_groups),
    )
    if limits_from is not None:
        result = replace(result, limits_from=tuple(limits_from))
    return result


def before_after(
    values: Sequence[float | None] | pd.Series,
    *,
    split_at: Any,
    periods: Sequence[Any] | None = None,
    improvement: Improvement = "neutral",
    target: float | None = None,
    settings: SpcSettings = DEFAULT_SETTINGS,
) -> BeforeAfter:
    """Compare the values before ``split_at`` (the baseline) with those from it on.

    As Making Data Count recommends for judging a change, the mean and limits come from
    the baseline only and are extended over the later periods; a special cause among the
    later points is evidence of a change. Needs at least two baseline values.
    """
    _check_improvement(improvement)
    if settings.rebase_at or settings.fix_after_n_points is not None:
        raise ValueError(
            "before_after fixes the limits on the baseline: rebase_at and "
            "fix_after_n_points do not apply"
        )
    target = _check_target(target)
    frame = _frame(values, periods)
    after = (frame["period"] >= split_at).to_numpy(dtype=bool)
    observed = frame["value"].notna().to_numpy()
    baseline = ~after & observed
    baseline_n = int(baseline.sum())
    if baseline_n < 2:
        raise ValueError("at least two values before split_at are needed for a baseline")

    chart = _chart(
        frame,
        groups=np.zeros(len(frame), dtype=int),
        used_for_limits=baseline,
        settings=settings,
        improvement=improvement,
        target=target,
        unmatched_rebase_points=(),
        baseline_before=split_at,
        short_n=baseline_n,
    )
    return compare(chart, baseline=baseline, split_at=split_at)


def compare(
    chart: SpcResult, *, baseline: Sequence[bool] | np.ndarray, split_at: Any
) -> BeforeAfter:
    """The before/after comparison a chart shows: the values marked ``baseline`` against
    those from ``split_at`` on, and the special causes from ``split_at`` on, all read
    from ``chart`` itself (its limits, runs and labels), so that the words about the
    comparison and the chart beside them cannot disagree. The chart's limits should be
    fixed on the baseline (``xmr(limits_from=...)`` or ``before_after``)."""
    points = chart.points
    observed = ~points["missing"].to_numpy(dtype=bool)
    in_baseline = np.asarray(baseline, dtype=bool) & observed
    after = (points["period"] >= split_at).to_numpy(dtype=bool)
    if in_baseline.sum() < 2:
        raise ValueError("at least two baseline values are needed")
    since = points.loc[after & observed]
    signals = points.loc[after & points["special_cause"].to_numpy(dtype=bool)]
    categories = set(signals["category"])
    if not categories:
        outcome = None
    elif categories == {"improvement", "concern"}:
        outcome = "mixed"
    else:
        (outcome,) = categories
    baseline_mean = r_mean(points["value"].to_numpy()[in_baseline])
    since_mean = r_mean(since["value"].to_numpy())
    group = int(points["group"].to_numpy()[np.flatnonzero(in_baseline)[0]])
    return BeforeAfter(
        split_at=split_at,
        baseline_n=int(in_baseline.sum()),
        since_n=len(since),
        baseline_mean=baseline_mean,
        since_mean=since_mean,
        difference=since_mean - baseline_mean,
        baseline_short=chart.group_limits(group).short,
        baseline_stable=not bool(points.loc[in_baseline, "special_cause"].any()),
        shift_detected=not signals.empty,
        outcome=outcome,
        signals=signals,
        chart=chart,
    )


def _frame(
    values: Sequence[float | None] | pd.Series, periods: Sequence[Any] | None
) -> pd.DataFrame:
    if periods is None:
        periods = values.index if isinstance(values, pd.Series) else range(len(values))
    raw = values.tolist() if isinstance(values, pd.Series) else list(values)
    y = np.array([np.nan if v is None or v is pd.NA else v for v in raw], dtype=float)
    if np.isinf(y).any():
        raise ValueError("values must be finite numbers or missing (None/NaN)")
    index = pd.Index(list(periods))
    if len(y) == 0:
        raise ValueError("at least one period is needed")
    if len(index) != len(y):
        raise ValueError(f"{len(y)} values but {len(index)} periods")
    if not index.is_unique:
        raise ValueError("periods must be unique")
    frame = pd.DataFrame({"period": index, "value": y})
    if not index.is_monotonic_increasing:
        frame = frame.iloc[index.argsort(kind="stable")].reset_index(drop=True)
    return frame


def _chart(
    frame: pd.DataFrame,
    *,
    groups: np.ndarray,
    used_for_limits: np.ndarray,
    settings: SpcSettings,
    improvement: str,
    target: float | None,
    unmatched_rebase_points: tuple[Hashable, ...],
    baseline_before: Any = None,
    short_n: int | None = None,
    fixed_groups: frozenset[int] = frozenset(),
) -> SpcResult:
    y = frame["value"].to_numpy(dtype=float)
    observed = ~np.isnan(y)
    size = len(y)
    out: dict[str, np.ndarray] = {
        name: np.full(size, np.nan)
        for name in ("mean", "lpl", "upl", "inner_lower", "inner_upper", "moving_range")
    }
    flags = {
        name: np.zeros(size, dtype=bool)
        for name in ("moving_range_used", "outside_limits", "close_to_limits", "short_group")
    }
    relative = np.zeros(size, dtype=int)
    rules: list[str | None] = [None] * size
    sides: list[str | None] = [None] * size
    summaries = []

    for group in np.unique(groups):
        rows = np.flatnonzero(groups == group)
        gy = y[rows]
        limits, mr, mr_used = _group_limits(gy, used_for_limits[rows], settings)
        n = int(observed[rows].sum())
        if short_n is not None:
            basis_n = short_n
        elif int(group) in fixed_groups:  # limits fixed on a baseline: its points count
            basis_n = int((used_for_limits[rows] & observed[rows]).sum())
        else:
            basis_n = n
        short = basis_n < settings.short_group_threshold
        limits = replace(limits, group=int(group), n=n, n_missing=len(rows) - n, short=short)
        summaries.append(limits)

        out["mean"][rows] = limits.mean
        out["lpl"][rows] = limits.lpl
        out["upl"][rows] = limits.upl
        out["inner_lower"][rows] = limits.inner_lower
        out["inner_upper"][rows] = limits.inner_upper
        out["moving_range"][rows] = mr
        flags["moving_range_used"][rows] = mr_used
        flags["short_group"][rows] = short

        outside = (gy > limits.upl) | (gy < limits.lpl)
        beyond_inner = (gy > limits.inner_upper) | (gy < limits.inner_lower)
        close = beyond_inner & ~outside
        with np.errstate(invalid="ignore"):
            side = np.nan_to_num(np.sign(gy - limits.mean)).astype(int)
        flags["outside_limits"][rows] = outside
        flags["close_to_limits"][rows] = close
        relative[rows] = side

        trend_ends = trend_run_ends(gy, settings.trend_run_length)
        in_trend = mark_runs(trend_ends, settings.trend_run_length)
        trend_direction = trend_directions(gy, in_trend)
        near = beyond_inner if settings.two_in_three == "beyond_two_sigma" else close
        in_two_of_three = two_in_three_windows(near, side) & near
        in_shift = mark_runs(
            shift_run_ends(side, settings.shift_run_length), settings.shift_run_length
        )

        for k, row in enumerate(rows):
            if outside[k]:
                rules[row] = RULE_OUTSIDE_LIMITS
                sides[row] = "high" if gy[k] > limits.upl else "low"
            elif in_trend[k]:
                rules[row] = RULE_TREND
                sides[row] = "high" if trend_direction[k] > 0 else "low"
            elif in_two_of_three[k]:
                rules[row] = RULE_TWO_IN_THREE
                sides[row] = "high" if side[k] > 0 else "low"
            elif in_shift[k]:
                rules[row] = RULE_SHIFT
                sides[row] = "high" if side[k] > 0 else "low"

    point_types = [
        point_type(s, improvement) if o else None for s, o in zip(sides, observed, strict=True)
    ]
    points = pd.DataFrame(
        {
            "period": frame["period"],
            "value": y,
            "missing": ~observed,
            "group": groups,
            "used_for_limits": used_for_limits,
            **{name: out[name] for name in ("mean", "lpl", "upl", "inner_lower", "inner_upper")},
            "moving_range": out["moving_range"],
            "moving_range_used": flags["moving_range_used"],
            "relative_to_mean": relative,
            "outside_limits": flags["outside_limits"],
            "close_to_limits": flags["close_to_limits"],
            "rule": pd.Series(rules, dtype="str"),
            "side": pd.Series(sides, dtype="str"),
            "special_cause": np.array([r is not None for r in rules], dtype=bool),
            "special_cause_type": pd.Series(
                [
                    _special_cause_type(r, s, settings) if o else None
                    for r, s, o in zip(rules, sides, observed, strict=True)
                ],
                dtype="str",
            ),
            "point_type": pd.Series(point_types, dtype="str"),
            "category": pd.Series([_category(t) for t in point_types], dtype="str"),
            "short_group": flags["short_group"],
        }
    )

    latest = np.flatnonzero(observed)
    variation = point_types[latest[-1]] if latest.size else None
    last_group = summaries[-1] if summaries else None
    assurance = (
        assurance_type(
            target=target, lpl=last_group.lpl, upl=last_group.upl, improvement=improvement
        )
        if last_group is not None
        else None
    )
    return SpcResult(
        points=points,
        groups=_group_table(summaries, points),
        settings=settings,
        improvement=improvement,
        target=target,
        variation=variation,
        variation_icon=variation_icon(variation, improvement),
        assurance=assurance,
        missing_count=int((~observed).sum()),
        unmatched_rebase_points=unmatched_rebase_points,
        baseline_before=baseline_before,
    )


def _group_limits(
    y: np.ndarray, used: np.ndarray, settings: SpcSettings
) -> tuple[GroupLimits, np.ndarray, np.ndarray]:
    # As R/ptd_spc_standard.R lines 66-85 (0.2.2), with R's mean().
    basis = np.where(used, y, np.nan)
    mean = r_mean(basis[~np.isnan(basis)])
    # Moving ranges of every neighbouring pair (NaN across a gap); only those between two
    # basis points feed the average.
    moving_range = np.concatenate(([np.nan], np.abs(np.diff(y))))
    basis_range = np.concatenate(([np.nan], np.abs(np.diff(basis))))
    in_average = ~np.isnan(basis_range)
    average = r_mean(basis_range[in_average])
    no_variation = average == 0
    if settings.screen_outliers:
        # An average of 0 screens out every moving range, as in R (0 < 3.267 × 0 is
        # false), leaving no average.
        with np.errstate(invalid="ignore"):
            in_average &= basis_range < OUTLIER_SCALE * average
        average = r_mean(basis_range[in_average])
        no_variation |= average == 0
    # No variation, no limits: a zero-width band would call every other point "outside".
    width = math.nan if no_variation else average
    limits = GroupLimits(
        group=0,
        n=0,
        n_missing=0,
        mean=mean,
        average_moving_range=average,
        lpl=mean - LIMIT_SCALE * width,
        upl=mean + LIMIT_SCALE * width,
        inner_lower=mean - INNER_SCALE * width,
        inner_upper=mean + INNER_SCALE * width,
        short=False,
        no_variation=bool(no_variation),
    )
    return limits, moving_range, in_average


def _group_table(summaries: list[GroupLimits], points: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for limits in summaries:
        members = points.loc[points["group"] == limits.group]
        values = members.loc[~members["missing"]]
        counts = values["point_type"].value_counts()
        rows.append(
            {
                "group": limits.group,
                "first_period": members["period"].iloc[0],
                "last_period": members["period"].iloc[-1],
                "n": limits.n,
                "n_missing": limits.n_missing,
                "mean": limits.mean,
                "average_moving_range": limits.average_moving_range,
                "lpl": limits.lpl,
                "upl": limits.upl,
                "inner_lower": limits.inner_lower,
                "inner_upper": limits.inner_upper,
                "short": limits.short,
                "no_variation": limits.no_variation,
                "common_cause": int(counts.get("common_cause", 0)),
                "special_cause_improvement": int(counts.get("special_cause_improvement", 0)),
                "special_cause_concern": int(counts.get("special_cause_concern", 0)),
                "special_cause_neutral": int(
                    counts.get("special_cause_neutral_high", 0)
                    + counts.get("special_cause_neutral_low", 0)
                ),
                "variation_type": values["point_type"].iloc[-1] if len(values) else None,
            }
        )
    return pd.DataFrame(rows)


def _special_cause_type(rule: str | None, side: str | None, settings: SpcSettings) -> str:
    """NHSRplotthedots' ``special_cause_type`` label, e.g. "7 Points Above CL"."""
    above = side == "high"
    if rule == RULE_OUTSIDE_LIMITS:
        return "Above UCL" if above else "Below LCL"
    if rule == RULE_TREND:
        change = "Increasing" if above else "Decreasing"
        return f"{settings.trend_run_length} Point Trend ({change})"
    if rule == RULE_TWO_IN_THREE:
        return f"2 in 3 {'Above' if above else 'Below'} CL"
    if rule == RULE_SHIFT:
        return f"{settings.shift_run_length} Points {'Above' if above else 'Below'} CL"
    return "Common Cause"


def _category(point_type: str | None) -> str | None:
    if point_type is None:
        return None
    if point_type.startswith("special_cause_neutral"):
        return "neutral"
    return point_type.removeprefix("special_cause_")


def _signal(row: pd.Series) -> Signal:
    return Signal(
        period=row["period"],
        value=float(row["value"]),
        group=int(row["group"]),
        rule=str(row["rule"]),
        side=str(row["side"]),
        point_type=str(row["point_type"]),
    )


LONG_DOUBLE_IS_X87 = np.finfo(np.longdouble).nmant == 63
"""Whether numpy's ``longdouble`` is x87 80-bit extended precision (a 64-bit
significand), which is C's ``long double`` and so R's ``LDOUBLE`` on x86-64 Linux. Where
it is (x86-64 Linux), ``r_mean`` adds with numpy; elsewhere (128-bit quad on aarch64
Linux, plain double on macOS arm64 and Windows) it uses ``x87_real_mean``."""


def r_mean(values: Sequence[float] | np.ndarray) -> float:
    """The mean as R's ``mean()`` of a double vector computes it; NaN when empty.

    R's ``real_mean`` (src/main/summary.c lines 479-518 in R 4.4.1, wch/r-source tag
    R-4-4-1 = 24e4ab74c81594bdbf9e05fd60b60cff2efe4215; ``mean.default`` in
    src/library/base/R/mean.R lines 21-41 calls it after dropping NAs) sums in
    ``LDOUBLE`` in order, divides by n, then adds the mean of the residuals
    ``x - mean`` (also summed in ``LDOUBLE``) and rounds to double once. Where the sum
    overflows a double it first sums ``x / n`` instead (lines 491-499, 508-516).

    ``LDOUBLE`` is C's ``long double`` (src/include/Defn.h lines 2391-2395): 80-bit
    extended precision on x86-64, the platform R's results are compared on. Where
    ``numpy.longdouble`` is that format too (``LONG_DOUBLE_IS_X87``) it does the
    arithmetic; elsewhere ``x87_real_mean`` emulates it exactly, so the result is the
    same to the last bit on every platform. The last bit matters: it decides whether a
    point lies on the mean (which breaks a shift) or just beside it.
    """
    x = np.asarray(values, dtype=np.float64)
    n = x.size
    if n == 0:
        return math.nan
    if not LONG_DOUBLE_IS_X87:
        return x87_real_mean(x.tolist())
    extended = x.astype(np.longdouble)
    count = np.longdouble(n)
    # cumsum, not sum: numpy's sum adds pairwise, R adds left to right.
    with np.errstate(over="ignore", invalid="ignore"):
        total = np.cumsum(extended)[-1]
        finite_sum = math.isfinite(float(total))
        # R's fallback divides each double by n in double (dx[k]/n), then sums in LDOUBLE.
        mean = total / count if finite_sum else np.cumsum((x / n).astype(np.longdouble))[-1]
        if not math.isfinite(float(mean)):
            return float(mean)
        if finite_sum:
            mean += np.cumsum(extended - mean)[-1] / count
        else:
            mean += np.cumsum((extended - mean) / count)[-1]
    return float(mean)


def x87_real_mean(values: Sequence[float]) -> float:
    """R's ``real_mean`` (src/main/summary.c lines 479-518, R 4.4.1) in emulated x87
    80-bit extended arithmetic, for platforms whose ``long double`` is another format.

    Each ``LDOUBLE`` is held exactly, as an integer significand times a power of two;
    every sum, difference and quotient is computed exactly and then rounded to a 64-bit
    significand, ties to even (the x87 unit's default precision and rounding on
    x86-64), and ``(double) s`` rounds to the nearest double, ties to even, infinite
    beyond the largest. The x87 exponent range (about 2**±16383) is never reached:
    a sum of fewer than 2**63 doubles stays below 2**1087, and no nonzero residual or quotient
    falls below 2**-1300. As in R: the sum of the doubles (lines 483-486) divided by n
    (line 489), or, if that sum overflows a double, the sum of each double divided by n
    in double (lines 491-499); then, if the mean is finite, the sum of the residuals
    divided by n added to it (lines 500-507), or the sum of each residual divided by n
    (lines 508-516); one rounding to double (line 517). A NaN, or both infinities,
    give NaN; otherwise an infinite value gives that infinity, as in IEEE arithmetic.
    """
    x = [float(v) for v in values]
    n = len(x)
    if n == 0:
        return math.nan
    if not all(map(math.isfinite, x)):
        if any(map(math.isnan, x)) or (math.inf in x and -math.inf in x):
            return math.nan
        return math.inf if math.inf in x else -math.inf
    terms = [_exact(v) for v in x]
    s = (0, 0)
    for term in terms:
        s = _x87_add(s, term)
    finite_sum = math.isfinite(_to_double(s))
    if finite_sum:
        s = _x87_divide(s, n)
    else:
        s = (0, 0)
        for v in x:
            s = _x87_add(s, _exact(v / n))
    if math.isfinite(_to_double(s)):
        minus_s = (-s[0], s[1])
        t = (0, 0)
        for term in terms:
            residual = _x87_add(term, minus_s)
            t = _x87_add(t, residual if finite_sum else _x87_divide(residual, n))
        s = _x87_add(s, _x87_divide(t, n) if finite_sum else t)
    return _to_double(s)


_X87_SIGNIFICAND_BITS = 64

# An emulated LDOUBLE is (m, e), the number m * 2**e, with m an int.


def _exact(value: float) -> tuple[int, int]:
    numerator, denominator = value.as_integer_ratio()  # the denominator is 2**k
    return numerator, 1 - denominator.bit_length()


def _x87_round(m: int, e: int) -> tuple[int, int]:
    """m * 2**e rounded to a 64-bit significand, ties to even."""
    excess = abs(m).bit_length() - _X87_SIGNIFICAND_BITS
    if excess <= 0:
        return m, e
    kept, dropped = abs(m) >> excess, abs(m) & ((1 << excess) - 1)
    half = 1 << (excess - 1)
    if dropped > half or (dropped == half and kept & 1):
        kept += 1
    return (kept if m > 0 else -kept), e + excess


def _x87_add(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    e = min(a[1], b[1])
    return _x87_round((a[0] << (a[1] - e)) + (b[0] << (b[1] - e)), e)


def _x87_divide(a: tuple[int, int], n: int) -> tuple[int, int]:
    m, e = a
    # At least 66 quotient bits, then one "sticky" bit saying whether anything was left
    # over: rounding that to 64 bits rounds the exact quotient, ties included.
    shift = max(0, _X87_SIGNIFICAND_BITS + 2 + n.bit_length() - abs(m).bit_length())
    quotient, remainder = divmod(abs(m) << shift, n)
    quotient = (quotient << 1) | (remainder != 0)
    return _x87_round(quotient if m >= 0 else -quotient, e - shift - 1)


def _to_double(a: tuple[int, int]) -> float:
    m, e = a
    try:  # int to float and int / int are correctly rounded in Python
        return float(m << e) if e >= 0 else m / (1 << -e)
    except OverflowError:
        return math.copysign(math.inf, m)


# --------------------------------------------------------------------------- explanations


def _default_format_value(value: float) -> str:
    return format(value, ",.4g")


def explain(
    result: SpcResult,
    *,
    format_value: Callable[[float], str] = _default_format_value,
    format_period: Callable[[Any], str] = str,
) -> list[str]:
    """Plain-English sentences about a chart: variation, assurance, then caveats.

    ``format_value`` renders a number in the measure's unit (a duration, a percentage);
    ``format_period`` renders a period label.
    """
    sentences = [explain_variation(result, format_value=format_value, format_period=format_period)]
    assurance = explain_assurance(result, format_value=format_value)
    if assurance:
        sentences.append(assurance)
    limits = result.limits
    points = result.points
    basis = int((points["used_for_limits"] & (points["group"] == limits.group)).sum())
    if limits.short and basis >= 2:
        sentences.append(
            f"These are trial limits, based on only {basis} points; they will be revised "
            "as more data arrives."
        )
    if result.missing_count:
        noun = "period has" if result.missing_count == 1 else "periods have"
        sentences.append(
            f"{result.missing_count} {noun} no value; they are left out of the calculation "
            "and break any run of points."
        )
    for period in result.unmatched_rebase_points:
        sentences.append(
            f"The rebase point {format_period(period)} is not a period on this chart and was "
            "ignored."
        )
    return sentences


def explain_variation(
    result: SpcResult,
    *,
    format_value: Callable[[float], str] = _default_format_value,
    format_period: Callable[[Any], str] = str,
) -> str:
    """One or two sentences on the variation at the latest point, naming the rule."""
    points = result.points
    observed = np.flatnonzero(~points["missing"].to_numpy())
    if observed.size == 0:
        return "No values have been recorded yet, so variation cannot be assessed."
    last = int(observed[-1])
    row = points.iloc[last]
    lpl, upl = float(row["lpl"]), float(row["upl"])
    limits = result.group_limits(int(row["group"]))
    if not row["special_cause"] and not limits.has_limits:
        if limits.no_variation:
            return (
                "No process limits: the values used to calculate them do not change from "
                "one period to the next (the average moving range is 0), so there is no "
                "variation to set limits from. No special cause rule applies to the latest "
                f"point ({format_value(row['value'])}, {format_period(row['period'])})."
            )
        return (
            "Too few values to calculate process limits yet: at least two values in a row "
            "are needed."
        )
    if not row["special_cause"]:
        sentence = (
            f"Common cause variation: the latest point ({format_value(row['value'])}, "
            f"{format_period(row['period'])}) is within the process limits "
            f"({format_value(lpl)} to {format_value(upl)}) and no special cause rule applies."
        )
        earlier = points.loc[points["special_cause"] & (points["group"] == row["group"])]
        if not earlier.empty:
            signal = _signal(earlier.iloc[-1])
            sentence += (
                f" The most recent special cause was {_RULE_NAMES[signal.rule]} at "
                f"{format_period(signal.period)}."
            )
        return sentence

    category = {
        "improvement": "improvement",
        "concern": "concern",
        "neutral": "neither improvement nor concern (no direction of improvement is set)",
    }[row["category"]]
    high = row["side"] == "high"
    rule = row["rule"]
    settings = result.settings
    if rule == RULE_OUTSIDE_LIMITS:
        detail = (
            f"the latest point, {format_value(row['value'])}, is "
            f"{'above the upper' if high else 'below the lower'} process limit of "
            f"{format_value(upl if high else lpl)} (a point outside the process limits)."
        )
    elif rule == RULE_TREND:
        count = _trailing_trend(points, last, high)
        detail = (
            f"the last {count} points have each been {'higher' if high else 'lower'} than the "
            f"one before (a trend of {settings.trend_run_length} or more points)."
        )
    elif rule == RULE_TWO_IN_THREE:
        inner = float(row["inner_upper"] if high else row["inner_lower"])
        recent = points.iloc[max(0, last - 2) : last + 1]
        if settings.two_in_three == "beyond_two_sigma":
            beyond = recent["value"] > inner if high else recent["value"] < inner
            count = int(beyond.sum())
        else:
            count = int(recent["close_to_limits"].sum())
        detail = (
            f"{count} of the last 3 points are {'above' if high else 'below'} the inner "
            f"(two-sigma) line of {format_value(inner)}, all on the same side of the mean "
            "(two out of three points close to a process limit)."
        )
    else:
        count = _trailing_side(points, last)
        detail = (
            f"the last {count} points are {'above' if high else 'below'} the mean of "
            f"{format_value(float(row['mean']))} (a shift of {settings.shift_run_length} or "
            "more points on one side of the mean)."
        )
    return f"Special cause variation — {category}: {detail}"


def explain_assurance(
    result: SpcResult,
    *,
    format_value: Callable[[float], str] = _default_format_value,
) -> str | None:
    """One sentence on whether the target will be met; None when there is no target."""
    if result.target is None:
        return None
    target = format_value(result.target)
    if result.improvement == "neutral":
        return (
            f"No assurance is given against the target of {target}: this measure has no "
            "direction of improvement."
        )
    limits = result.limits
    lpl, upl = format_value(limits.lpl), format_value(limits.upl)
    if not limits.has_limits:
        # R's assurance is "inconsistent" here (its comparisons with the missing limits
        # fall through); say why rather than quote limits that do not exist.
        reason = (
            "the values do not vary, so there are no process limits to compare it with"
            if limits.no_variation
            else "there are not yet enough values to calculate process limits"
        )
        return f"The target of {target} cannot be assured: {reason} (hit or miss)."
    if result.assurance == "inconsistent":
        return (
            f"The target of {target} lies within the process limits ({lpl} to {upl}), so it "
            "will be hit and missed at random (hit or miss)."
        )
    where = (
        f"above the upper process limit of {upl}"
        if result.target > limits.upl
        else f"below the lower process limit of {lpl}"
    )
    if result.assurance == "consistent_pass":
        return (
            f"The target of {target} is {where}, so it will be met consistently unless the "
            "process changes (consistently passing)."
        )
    return (
        f"The target of {target} is {where}, so it will be missed consistently unless the "
        "process changes (consistently failing)."
    )


def explain_before_after(
    comparison: BeforeAfter,
    *,
    format_value: Callable[[float], str] = _default_format_value,
    format_period: Callable[[Any], str] = str,
    format_difference: Callable[[float], str] | None = None,
    baseline_label: str | None = None,
) -> list[str]:
    """Plain-English sentences on a before/after comparison.

    ``format_difference`` renders the signed difference of the means in the measure's
    terms (a change in a percentage is in percentage points, not per cent); by default
    ``format_value`` with a sign. ``baseline_label`` names the baseline ("2021/22") where
    it is not simply every value before the split."""
    if format_difference is None:

        def format_difference(value: float) -> str:
            return _signed(value, format_value)

    split = format_period(comparison.split_at)
    before = f"In {baseline_label}" if baseline_label else f"Before {split}"
    sentences = [
        f"{before} the mean was {format_value(comparison.baseline_mean)} "
        f"({comparison.baseline_n} points)."
    ]
    if comparison.since_n:
        sentences.append(
            f"From {split} it is {format_value(comparison.since_mean)} "
            f"({comparison.since_n} points), a difference of "
            f"{format_difference(comparison.difference)}."
        )
    else:
        sentences.append(f"There are no values from {split} yet.")
    if comparison.shift_detected:
        first = _signal(comparison.signals.iloc[0])
        kind = {
            "improvement": "an improvement",
            "concern": "a concern",
            "mixed": "a change, with signals of both improvement and concern",
            "neutral": "a change",
        }[comparison.outcome or "neutral"]
        sentences.append(
            f"Against limits fixed on the baseline, the SPC rules detect {kind}: "
            f"{_RULE_NAMES[first.rule]} from {format_period(first.period)}."
        )
    elif comparison.since_n and not comparison.chart.limits.has_limits:
        # A baseline of two or more values without limits is one that does not vary.
        sentences.append(
            "The baseline values do not change from one period to the next, so there are "
            "no process limits to judge the difference against, and the SPC rules detect "
            "neither a trend nor a shift."
        )
    elif comparison.since_n:
        sentences.append(
            "Against limits fixed on the baseline, the SPC rules detect no change: the "
            "difference is within common cause variation."
        )
    if not comparison.baseline_stable:
        sentences.append(
            "The baseline itself shows special cause variation, so treat the comparison "
            "with caution."
        )
    if comparison.baseline_short:
        sentences.append(
            f"The baseline has only {comparison.baseline_n} points, so its limits are trial limits."
        )
    return sentences


def _signed(value: float, format_value: Callable[[float], str]) -> str:
    if value > 0:
        return f"+{format_value(value)}"
    if value < 0:
        return f"-{format_value(-value)}"
    return format_value(value)


def _trailing_side(points: pd.DataFrame, last: int) -> int:
    side = points["relative_to_mean"].to_numpy()
    group = points["group"].to_numpy()
    count = 0
    for k in range(last, -1, -1):
        if side[k] != side[last] or group[k] != group[last]:
            break
        count += 1
    return count


def _trailing_trend(points: pd.DataFrame, last: int, rising: bool) -> int:
    values = points["value"].to_numpy()
    group = points["group"].to_numpy()
    count = 1
    for k in range(last, 0, -1):
        if group[k - 1] != group[last]:
            break
        step = values[k] - values[k - 1]
        if not (step > 0 if rising else step < 0):
            break
        count += 1
    return count
