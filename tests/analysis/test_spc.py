"""XmR charts (monitor.analysis.spc) against NHSRplotthedots and Making Data Count.

Tests marked "Reproduces" restate a test or documented figure of NHSRplotthedots
(github.com/nhs-r-community/NHSRplotthedots, the version stored at the commit named;
R's 1-based positions are converted to Python's 0-based ones). What they cite is
unchanged at the 0.2.2 release, tag 0.2.2 = commit
050b07d7eacc011767532732f69b8fd7d6a28fd3 ("050b07d" below), but for restyled
function signatures and one word of prose. Tests marked "R parity" work out what R's
code gives for a case its own tests do not have, from the lines cited at that commit
(and, for R's ``mean()``, R 4.4.1's src/main/summary.c: github.com/wch/r-source, tag
R-4-4-1 = 24e4ab74c81594bdbf9e05fd60b60cff2efe4215). The rest cover what this module
adds or decides for itself: gaps, no limits without variation where R would draw
zero-width ones, the 2023 two-in-three variant, run lengths, explanations and
before/after comparisons.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import functools
import itertools
import math
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from monitor.analysis import spc
from monitor.analysis.spc import (
    SpcSettings,
    assurance_type,
    before_after,
    explain,
    explain_assurance,
    explain_before_after,
    explain_variation,
    mark_runs,
    r_mean,
    shift_run_ends,
    trend_directions,
    trend_run_ends,
    two_in_three_windows,
    variation_icon,
    x87_real_mean,
    xmr,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "spc"


def r_rnorm_data() -> tuple[list[dt.date], list[float]]:
    """``set.seed(123); data.frame(x = as.Date("2020-01-01") + 1:20, y = rnorm(20))``."""
    with (FIXTURES / "r_rnorm_seed_123.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    return [dt.date.fromisoformat(r["x"]) for r in rows], [float(r["y"]) for r in rows]


def alternating(n: int, low: float = -1.0, high: float = 1.0) -> list[float]:
    """``n`` values swinging between ``low`` and ``high``, starting low."""
    return [low if i % 2 == 0 else high for i in range(n)]


# A stable baseline for rule tests: fixed on its 12 points the mean is 0, the average
# moving range 2, the limits ±5.32 and the inner lines ±3.5467.
BASELINE = alternating(12)
FIXED_12 = SpcSettings(fix_after_n_points=12)


def printed(value: float) -> float:
    """``value`` as a tibble prints it: three significant digits."""
    return float(f"{value:.3g}")


def rules(result) -> list[str | None]:
    return [None if pd.isna(r) else r for r in result.points["rule"]]


# --------------------------------------------------------------------------- rule helpers


# Reproduces tests/testthat/test-ptd_calculate_point_type.R
# ("ptd_seven_point_one_side_mean works as expected"),
# nhs-r-community/NHSRplotthedots@8aac3239e90ce9ebeb9c3e61f56c207dfc37b225
@pytest.mark.parametrize(
    ("side", "expected"),
    [
        ([], []),
        ([1] * 6, [0] * 6),
        ([1] * 6 + [-1], [0] * 7),
        ([1] * 8 + [-1], [0, 0, 0, 0, 0, 0, 1, 1, 0]),
        # the reference returns 1 (TRUE) for a run on either side; here the end also
        # carries the side, which the point's label needs
        ([-1] * 8 + [1], [0, 0, 0, 0, 0, 0, -1, -1, 0]),
    ],
)
def test_shift_run_ends_mark_the_seventh_point_on_one_side_of_the_mean(side, expected):
    assert shift_run_ends(side).tolist() == expected


# Reproduces tests/testthat/test-ptd_calculate_point_type.R
# ("ptd_part_of_seven_trend works as expected"),
# nhs-r-community/NHSRplotthedots@8aac3239e90ce9ebeb9c3e61f56c207dfc37b225
@pytest.mark.parametrize(
    ("ends", "expected"),
    [
        ([], []),
        ([0] * 6, [0] * 6),
        ([0] * 6 + [1, 0], [1] * 7 + [0]),
        ([0] * 7 + [1, 0], [0] + [1] * 7 + [0]),
        ([0] * 6 + [-1, 0], [1] * 7 + [0]),
        ([0] * 7 + [-1, 0], [0] + [1] * 7 + [0]),
    ],
)
def test_mark_runs_flags_the_run_ending_at_each_marked_point(ends, expected):
    assert mark_runs(ends).astype(int).tolist() == expected


# Reproduces tests/testthat/test-ptd_calculate_point_type.R
# ("ptd_seven_point_trend works as expected"),
# nhs-r-community/NHSRplotthedots@8aac3239e90ce9ebeb9c3e61f56c207dfc37b225
@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], []),
        ([1, 2, 3, 4, 5, 6], [0] * 6),
        ([1, 2, 3, 3, 4, 5, 6], [0] * 7),  # a tie breaks the trend
        ([1, 2, 3, 4, 5, 6, 7], [0, 0, 0, 0, 0, 0, 1]),
        ([2, 1, 2, 3, 4, 5, 6, 7, 3], [0, 0, 0, 0, 0, 0, 0, 1, 0]),
        ([7, 6, 5, 4, 3, 2, 1], [0, 0, 0, 0, 0, 0, -1]),
        ([2, 7, 6, 5, 4, 3, 2, 1, 3], [0, 0, 0, 0, 0, 0, 0, -1, 0]),
    ],
)
def test_trend_run_ends_mark_the_seventh_strictly_rising_or_falling_point(values, expected):
    assert trend_run_ends(values).tolist() == expected


# Reproduces tests/testthat/test-ptd_calculate_point_type.R
# ("ptd_two_in_three works as expected" and "... when points are on opposite sides of the
# mean"), nhs-r-community/NHSRplotthedots@8aac3239e90ce9ebeb9c3e61f56c207dfc37b225
@pytest.mark.parametrize(
    ("close", "side", "expected"),
    [
        ([], [], []),
        ([0, 0, 0], [0, 0, 0], [0, 0, 0]),
        ([1, 0, 1], [1, 1, 1], [1, 1, 1]),
        ([0, 1, 1], [1, 1, 1], [1, 1, 1]),
        ([1, 1, 0], [1, 1, 1], [1, 1, 1]),
        ([0, 0, 1, 0, 1, 0, 0], [1] * 7, [0, 0, 1, 1, 1, 0, 0]),
        ([0, 0, 1, 1, 0, 0, 0], [1] * 7, [0, 1, 1, 1, 1, 0, 0]),
        ([1, 0, 1], [1, -1, 1], [0, 0, 0]),
        ([0, 1, 1], [1, -1, 1], [0, 0, 0]),
        ([1, 1, 0], [1, -1, 1], [0, 0, 0]),
        ([0, 0, 1, 0, 1, 0, 0], [1, -1, 1, -1, 1, -1, 1], [0] * 7),
        ([0, 0, 1, 1, 0, 0, 0], [-1, 1, -1, 1, -1, 1, -1], [0] * 7),
    ],
)
def test_two_in_three_windows_need_two_close_points_and_all_three_on_one_side(
    close, side, expected
):
    assert two_in_three_windows(close, side).astype(int).tolist() == expected


# Reproduces tests/testthat/test-ptd_calculate_point_type.R
# ("ptd_part_of_two_in_three works as expected"),
# nhs-r-community/NHSRplotthedots@8aac3239e90ce9ebeb9c3e61f56c207dfc37b225
@pytest.mark.parametrize(
    ("close", "expected"),
    [
        ([], []),
        ([0, 0, 0], [0, 0, 0]),
        ([1, 0, 1], [1, 0, 1]),
        ([0, 1, 1], [0, 1, 1]),
        ([1, 1, 0], [1, 1, 0]),
        ([0, 0, 1, 0, 1, 0, 0], [0, 0, 1, 0, 1, 0, 0]),
        ([0, 0, 1, 1, 0, 0, 0], [0, 0, 1, 1, 0, 0, 0]),
        ([1, 0, 0, 1], [0, 0, 0, 0]),
        ([1, 0, 0, 1, 1], [0, 0, 0, 1, 1]),
    ],
)
def test_only_the_close_points_of_a_two_in_three_window_are_flagged(close, expected):
    windows = two_in_three_windows(close, [1] * len(close))
    assert (windows & np.asarray(close, dtype=bool)).astype(int).tolist() == expected


# --------------------------------------------------------------------------- limits


# Reproduces tests/testthat/test-ptd_spc_standard.R ("it returns expected values") with
# the figures of its snapshot tests/testthat/_snaps/ptd_spc_standard.md,
# nhs-r-community/NHSRplotthedots@8aac3239e90ce9ebeb9c3e61f56c207dfc37b225 (test) and
# @ea2177d4ccfed7dc14d8f57d20f1114d9b235295 (snapshot)
def test_limits_match_the_reference_with_and_without_outlier_screening():
    dates, y = r_rnorm_data()
    r1 = xmr(y, periods=dates)
    assert r1.points["mean"].iloc[0] == pytest.approx(0.1416238, rel=1e-6)
    assert r1.points["lpl"].iloc[0] == pytest.approx(-3.01138, rel=1e-6)
    assert r1.points["upl"].iloc[0] == pytest.approx(3.294627, rel=1e-6)
    assert not r1.points["outside_limits"].any()
    assert r1.points["relative_to_mean"].tolist()[:15] == [
        -1, -1, 1, -1, -1, 1, 1, -1, -1, -1, 1, 1, 1, -1, -1,
    ]  # fmt: skip

    y[14] = 10  # data$y[15] <- 10
    r2 = xmr(y, periods=dates)
    assert r2.points["mean"].iloc[0] == pytest.approx(0.6694159, rel=1e-6)
    assert r2.points["lpl"].iloc[0] == pytest.approx(-2.383666, rel=1e-6)
    assert r2.points["upl"].iloc[0] == pytest.approx(3.722497, rel=1e-6)
    assert r2.points["relative_to_mean"].tolist()[:14] == [
        -1, -1, 1, -1, -1, 1, -1, -1, -1, -1, 1, -1, -1, -1,
    ]  # fmt: skip

    r3 = xmr(y, periods=dates, settings=SpcSettings(screen_outliers=False))
    assert r3.points["mean"].iloc[0] == pytest.approx(0.6694159, rel=1e-6)
    assert r3.points["lpl"].iloc[0] == pytest.approx(-4.596625, rel=1e-6)
    assert r3.points["upl"].iloc[0] == pytest.approx(5.935457, rel=1e-6)

    assert len({r1.limits.lpl, r2.limits.lpl, r3.limits.lpl}) == 3
    assert len({r1.limits.upl, r2.limits.upl, r3.limits.upl}) == 3
    assert r3.limits.upl - r3.limits.lpl > r2.limits.upl - r2.limits.lpl


# Reproduces the figures in vignettes/deviations.Rmd ("1. Treatment of outlying points"),
# nhs-r-community/NHSRplotthedots@938abcd81199980da6667f846e747c43b39303cd
@pytest.mark.parametrize(
    ("screen_outliers", "lpl", "upl"),
    [(True, -0.72, 4.6), (False, -3.06, 6.95)],
)
def test_screening_outlying_moving_ranges_narrows_the_limits(screen_outliers, lpl, upl):
    data = [1, 2, 1, 2, 10, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1]
    result = xmr(
        data, improvement="increase", settings=SpcSettings(screen_outliers=screen_outliers)
    )
    assert round(result.limits.mean, 2) == 1.94
    assert round(result.limits.lpl, 2) == lpl
    assert round(result.limits.upl, 2) == upl
    expected = ["common_cause"] * 18
    expected[4] = "special_cause_improvement"
    assert result.points["point_type"].tolist() == expected


def test_moving_ranges_at_or_above_3_267_times_the_average_are_screened_once():
    data = [1, 2, 1, 2, 10, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1]
    points = xmr(data).points
    # moving ranges 8 and 9 are dropped (average 32/17 = 1.88; 3.267 × 1.88 = 6.15)
    assert points["moving_range"].tolist()[3:6] == [1, 8, 9]
    assert points["moving_range_used"].tolist()[3:6] == [True, False, False]
    assert xmr(data).limits.average_moving_range == 1


# Reproduces tests/testthat/_snaps/ptd_spc.md ("it outputs expected content", the summary
# tables of s1, s2, s3 and s5 of tests/testthat/test-ptd_spc.R),
# nhs-r-community/NHSRplotthedots@174380d653d7a169a76f99deebb9fc21ed5fbbd6 (snapshot) and
# @8aac3239e90ce9ebeb9c3e61f56c207dfc37b225 (test). The facets of s3 are charted apart.
def test_summaries_match_the_reference_for_the_whole_series_and_each_half():
    dates, y = r_rnorm_data()

    whole = xmr(y, periods=dates, improvement="increase").groups
    assert len(whole) == 1
    assert printed(whole["mean"][0]) == 0.142
    assert printed(whole["lpl"][0]) == -3.01
    assert printed(whole["upl"][0]) == 3.29
    assert whole["n"][0] == 20
    assert whole["common_cause"][0] == 20
    assert whole["special_cause_improvement"][0] == 0

    # s2: a rebase date before the first period changes nothing
    rebased = xmr(y, periods=dates, improvement="increase", rebase_at=[dt.date(2020, 1, 1)])
    assert rebased.groups["group"].tolist() == [0]
    assert printed(rebased.groups["mean"][0]) == 0.142
    assert rebased.unmatched_rebase_points == (dt.date(2020, 1, 1),)

    for half, mean, lpl, upl in [(y[:10], 0.0746, -2.60, 2.75), (y[10:], 0.209, -3.28, 3.70)]:
        summary = xmr(half, improvement="increase").groups
        assert printed(summary["mean"][0]) == mean
        assert printed(summary["lpl"][0]) == lpl
        assert printed(summary["upl"][0]) == upl
        assert summary["n"][0] == 10
        assert summary["common_cause"][0] == 10

    # s5: with a target, the summary gains an assurance type
    with_target = xmr(y, periods=dates, improvement="increase", target=0.5)
    assert with_target.assurance == "inconsistent"


# Reproduces tests/testthat/test-ptd_spc_standard.R ("setting fix_after_n_points changes
# the calculations"), nhs-r-community/NHSRplotthedots@8aac3239e90ce9ebeb9c3e61f56c207dfc37b225
def test_fixing_after_12_points_changes_the_limits():
    dates, y = r_rnorm_data()
    s0 = xmr(y, periods=dates)
    s1 = xmr(y, periods=dates, settings=FIXED_12)
    assert s1.limits.lpl != s0.limits.lpl
    assert s1.limits.upl != s0.limits.upl


def test_fixed_limits_come_from_the_first_n_values_and_apply_to_all_points():
    result = xmr([*BASELINE, 10, 10, 10], settings=FIXED_12)
    points = result.points
    assert points["used_for_limits"].tolist() == [True] * 12 + [False] * 3
    assert points["mean"].tolist() == [0.0] * 15
    assert result.limits.average_moving_range == 2
    assert result.limits.upl == pytest.approx(5.32)
    assert rules(result)[12:] == ["outside_limits"] * 3


def test_fixing_counts_values_not_gaps():
    result = xmr([None, *BASELINE, 10], settings=FIXED_12)
    assert result.points["used_for_limits"].tolist() == [False] + [True] * 12 + [False]
    assert result.limits.mean == 0


def test_inner_lines_sit_two_thirds_of_the_way_to_the_limits():
    limits = xmr(BASELINE).limits
    assert limits.inner_upper - limits.mean == pytest.approx((limits.upl - limits.mean) * 2 / 3)
    assert limits.inner_upper == pytest.approx(1.7733333 * 2, rel=1e-6)
    assert limits.inner_lower == pytest.approx(-limits.inner_upper)


def test_a_flat_series_has_a_mean_but_no_limits_and_no_special_causes():
    """R parity: every moving range of ``[5.1] * 20`` is 0, so screening (R/ptd_spc_standard.R
    lines 73-77 at 050b07d: ``mr < 3.267 * amr`` is ``0 < 0``) drops them all and the
    average of none (line 78) is NaN, so are the limits (lines 81-85)."""
    result = xmr([5.1] * 20, improvement="increase")
    limits = result.limits
    assert limits.mean == 5.1
    assert np.isnan(limits.average_moving_range)
    assert np.isnan(limits.lpl) and np.isnan(limits.upl)
    assert np.isnan(limits.inner_lower) and np.isnan(limits.inner_upper)
    assert limits.no_variation and not limits.has_limits
    assert not result.points["moving_range_used"].any()
    assert not result.points["special_cause"].any()
    assert result.variation == "common_cause"
    assert explain_variation(result).startswith(
        "No process limits: the values used to calculate them do not change from one "
        "period to the next (the average moving range is 0)"
    )


def test_flat_data_fixed_on_12_points_has_no_limits_so_points_off_the_mean_are_common_cause():
    """R parity, NHSRplotthedots 0.2.2 (050b07d), ``[5] * 12 + [5, 6, 4]`` fixed on 12
    points with screening on (R's default, R/ptd_spc.R line 96):

    * R/ptd_spc_standard.R line 67: ``fix_y`` is 5 for rows 1-12, NA after; line 69: the
      moving ranges are NA then eleven 0s and NAs; line 70: ``amr`` 0;
    * lines 73-77: ``0 < 3.267 * 0`` is FALSE, so every moving range becomes NA; line
      78: ``amr`` is ``mean(<none>)``, NaN; lines 81-85: the limits are NaN;
    * line 88: ``outside_limits`` is NA for every row (``6 > NaN``), line 93
      ``close_to_limits`` NA; R/ptd_calculate_point_type.R line 103: ``NA != 0`` is NA,
      which ``case_when`` does not take; lines 87-89: no trend (a tie and then a fall),
      no two-in-three (the window sums are NA), no shift (only two points off the
      mean); line 107: "Common Cause"; line 122/131: "common_cause".

    Before this change 6 and 4 were "outside" limits drawn on the mean at 5.
    """
    result = xmr([5] * 12 + [5, 6, 4], improvement="increase", settings=FIXED_12)
    assert result.limits.mean == 5
    assert not result.limits.has_limits
    assert result.limits.no_variation
    assert not result.points["outside_limits"].any()
    assert rules(result) == [None] * 15
    assert result.points["special_cause_type"].tolist() == ["Common Cause"] * 15
    assert result.points["point_type"].tolist() == ["common_cause"] * 15
    assert result.points["relative_to_mean"].tolist()[12:] == [0, 1, -1]


@pytest.mark.parametrize(
    ("values", "settings", "expected"),
    [
        # screening off: R's amr is 0 and its limits sit on the mean (5), so R calls 6 and
        # 4 "Above UCL" / "Below LCL"
        (
            [5] * 12 + [5, 6, 4],
            dataclasses.replace(FIXED_12, screen_outliers=False),
            [None] * 15,
        ),
        # screening on, but it leaves only zero moving ranges: the one moving range of 10
        # is at least 3.267 × 10/11 and is dropped; R's amr is then 0 (not NaN) and its
        # limits sit on the mean (65/12), so R calls every point outside. Here the eleven
        # 5s below the mean are a shift and the 15 is common cause.
        ([5] * 11 + [15], SpcSettings(), ["shift"] * 11 + [None]),
    ],
)
def test_a_zero_average_moving_range_never_gives_limits_even_where_r_draws_them_on_the_mean(
    values, settings, expected
):
    """Where this module differs from R, on purpose (issue 14: "a zero average moving
    range must never produce limits"): R/ptd_spc_standard.R lines 81-85 at 050b07d
    compute ``mean ± 2.66 × 0`` and line 88 then flags every point off the mean as
    outside. Without variation there is nothing to set limits from, so here there are
    none, and no point is outside them; the trend and shift rules still apply."""
    result = xmr(values, improvement="increase", settings=settings)
    assert result.limits.average_moving_range == 0
    assert result.limits.no_variation
    assert not result.limits.has_limits
    assert not result.points["outside_limits"].any()
    assert rules(result) == expected


def test_without_limits_the_trend_and_shift_rules_still_apply():
    """R parity: the trend and shift rules do not use the limits
    (R/ptd_calculate_point_type.R lines 87 and 89 at 050b07d, from ``y`` and
    ``relative_to_mean``), so flat data followed by a rise is still a trend."""
    data = [5] * 12 + [6, 7, 8, 9, 10, 11, 12]
    result = xmr(data, improvement="increase", settings=FIXED_12)
    assert not result.limits.has_limits
    assert rules(result) == [None] * 11 + ["trend"] * 8
    assert result.variation == "special_cause_improvement"
    assert explain_variation(result).startswith("Special cause variation — improvement")


def test_a_single_value_has_no_limits_and_no_signals():
    result = xmr([3.0])
    assert np.isnan(result.limits.upl)
    assert result.variation == "common_cause"
    assert explain_variation(result).startswith("Too few values")


# --------------------------------------------------------------------------- R's mean


class LongDouble:
    """C's ``long double`` on x86-64 Linux, which is R's ``LDOUBLE`` there: x87 80-bit
    extended precision, every result rounded to a 64-bit significand, ties to even.
    Held as an exact Fraction, so that the transcription below is R's arithmetic on any
    platform (numpy's longdouble is this format only on x86-64 Linux)."""

    __slots__ = ("value",)

    def __init__(self, value: float | Fraction | LongDouble) -> None:
        q = value.value if isinstance(value, LongDouble) else Fraction(value)
        if q:
            a, b = abs(q.numerator), q.denominator
            e = a.bit_length() - b.bit_length()  # 2**e <= |q| < 2**(e + 1), or one less
            if (a << max(0, -e)) < (b << max(0, e)):
                e -= 1
            k = 63 - e  # |q| * 2**k is in [2**63, 2**64): its integer part has 64 bits
            numerator, denominator = (a << k, b) if k >= 0 else (a, b << -k)
            m, r = divmod(numerator, denominator)
            if 2 * r > denominator or (2 * r == denominator and m % 2):
                m += 1  # to nearest, ties to even
            m = m if q.numerator > 0 else -m
            q = Fraction(m, 1 << k) if k >= 0 else Fraction(m << -k)
        self.value = q

    def __add__(self, other: float | LongDouble) -> LongDouble:
        return LongDouble(self.value + LongDouble(other).value)

    def __sub__(self, other: float | LongDouble) -> LongDouble:
        return LongDouble(self.value - LongDouble(other).value)

    def __truediv__(self, n: int) -> LongDouble:
        return LongDouble(self.value / n)

    def __float__(self) -> float:
        return float(self.value)  # correctly rounded, ties to even


def r_finite_double(s: LongDouble) -> bool:
    """``R_FINITE((double) s)``: whether ``s`` rounds to a finite double."""
    try:
        return math.isfinite(float(s))
    except OverflowError:
        return False


def r_real_mean_transcribed(values: Sequence[float]) -> float:
    """R 4.4.1's ``real_mean`` (src/main/summary.c lines 479-518), line by line, with
    ``LongDouble`` for ``LDOUBLE``; for finite values (``mean.default`` has dropped NAs)."""
    return _r_real_mean_transcribed(tuple(values))


@functools.cache  # exact arithmetic is slow, and the random-series test repeats series
def _r_real_mean_transcribed(values: tuple[float, ...]) -> float:
    n = len(values)
    if n == 0:
        return math.nan  # 0/0: R's mean of nothing
    s = LongDouble(0.0)
    for v in values:  # lines 483-486
        s += v
    finite_s = r_finite_double(s)
    if finite_s:
        s /= n  # line 489
    else:  # lines 491-499: the double dx[k]/n, summed in LDOUBLE
        t = LongDouble(0.0)
        for v in values:
            t += v / n
        s = t
    if r_finite_double(s):
        t = LongDouble(0.0)
        if finite_s:  # lines 500-507
            for v in values:
                t += LongDouble(v) - s
            s += t / n
        else:  # lines 508-516
            for v in values:
                t += (LongDouble(v) - s) / n
            s += t
    return float(s)  # line 517


def mean_cases() -> list[list[float]]:
    """Series to compare R's mean on: random sizes and magnitudes, walks in tenths (the
    data of the random-series test below), cancellations, the overflow fallback."""
    rng = np.random.default_rng(14)
    cases = [[5.1] * 20, [0.3, 0.1] * 5 + [0.2] * 7, [0.3, -0.1] * 4 + [0.1] * 7]
    for size in (1, 2, 7, 12, 13, 24, 100, 1000):
        cases.append((rng.normal(size=size) * 10.0 ** rng.integers(-3, 4)).tolist())
        cases.append((rng.normal(size=size) * 10.0 ** rng.integers(-300, 300)).tolist())
    for _ in range(40):
        steps = rng.choice([-1, 0, 1], size=int(rng.integers(1, 40)))
        cases.append((np.cumsum(steps) / 10 + 1).tolist())
    for _ in range(40):
        values = [0.1, -0.1, 0.2, 0.3, 1 / 3, 1e-17, 1e16, -1e16, 5e-324]
        cases.append(rng.choice(values, size=int(rng.integers(2, 9))).tolist())
    cases += [[1.5e308, 1.5e308], [1.7e308] * 3 + [-1.7e308], [1.7e308, 1.7e308, 1e-300]]
    return cases


def test_the_emulated_x87_mean_is_rs_real_mean():
    for values in mean_cases():
        assert x87_real_mean(values) == r_real_mean_transcribed(values), values
    assert np.isnan(x87_real_mean([]))  # R's mean of nothing is 0/0


def test_r_mean_is_the_emulated_x87_mean_on_every_platform(monkeypatch):
    """``r_mean`` adds with numpy's longdouble where that is x87 extended, and emulates
    it elsewhere; both ways give the emulation's result on every series."""
    cases = mean_cases()
    for values in cases:
        assert r_mean(np.array(values)) == x87_real_mean(values), values
    monkeypatch.setattr(spc, "LONG_DOUBLE_IS_X87", False)  # as on aarch64, macOS, Windows
    for values in cases:
        assert r_mean(np.array(values)) == x87_real_mean(values), values
    assert np.isnan(r_mean([]))


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        # 0.1 + 1e-17 keeps 64 bits, so 1e-17 comes back rounded: not the exact mean,
        # 0x1.ebe9c5db3c61fp-59, and not what a 113-bit long double would give
        ([1e-17, 0.1, -0.1], "0x1.ec00000000000p-59"),
        ([0.1, -0.1, 1e-17], "0x1.ebdaf46d64a33p-59"),  # the same values in another order
        ([0.2, -0.1, -0.1, 1e-17], "0x1.7122d3afbf408p-59"),
        ([5.1] * 20, (5.1).hex()),
        # the overflow fallback of lines 491-499 and 508-516: sum x/n instead
        ([1.5e308, 1.5e308], (1.5e308).hex()),
        ([1.7e308] * 3 + [-1.7e308], (8.5e307).hex()),
    ],
)
def test_r_mean_gives_x86_64_results_on_every_platform(values, expected):
    """What ``real_mean`` returns on x86-64 (worked out there with numpy's longdouble, the
    x87 format R uses), so that an emulation that rounded to some other precision would
    fail here whatever the platform."""
    assert x87_real_mean(values) == float.fromhex(expected)
    assert r_real_mean_transcribed(values) == float.fromhex(expected)
    assert r_mean(values) == float.fromhex(expected)


def test_points_exactly_on_r_s_mean_break_a_shift():
    """R parity: ``[0.3, 0.1] * 5 + [0.2] * 7`` (17 values), improvement "increase".

    R/ptd_spc_standard.R line 68 at 050b07d takes ``mean(fix_y, na.rm = TRUE)``; R
    4.4.1's ``real_mean`` (src/main/summary.c lines 479-518) sums the doubles in 80-bit
    long double: 0.3 + 0.1 + ... is 3.40000000000000005551..., exactly the sum of the
    doubles (0.3 is 0.2999999999999999889, 0.1 is 0.1000000000000000055, 0.2 is
    0.2000000000000000111), so the mean of the doubles is 0.2 − 8.16e-18 (worked out
    with fractions below); the second pass changes it by less than 1e-20, and rounding
    to double gives the double 0.2, as the gap to the next double down (0.2 − 2.78e-17)
    is wider than twice that. So line 90's ``sign(y - mean_col)`` is 0 for the last
    seven points and R/ptd_calculate_point_type.R lines 29-35 find no run of seven:
    common cause throughout.

    The old mean, ``math.fsum(x) / 17``, rounded the sum to the double 3.4
    (3.399999999999999911) first and 3.4 / 17 is 0.19999999999999998, which put the
    last seven points above the mean: a shift R does not see.
    """
    data = [0.3, 0.1] * 5 + [0.2] * 7
    exact = sum(Fraction(v) for v in data) / len(data)
    assert Fraction(0.2) - exact == pytest.approx(8.163e-18, rel=1e-3)
    assert float(exact) == 0.2  # the correctly rounded mean is the double 0.2
    assert math.fsum(data) / len(data) == math.nextafter(0.2, 0)  # the old mean

    result = xmr(data, improvement="increase")
    assert result.limits.mean == 0.2
    assert result.points["relative_to_mean"].tolist()[10:] == [0] * 7
    assert not result.points["special_cause"].any()
    assert result.variation == "common_cause"


def test_points_just_above_r_s_mean_are_a_shift():
    """R parity: ``[0.3, -0.1] * 4 + [0.1] * 7`` (15 values), improvement "increase".

    The doubles sum, exactly, to 1.49999999999999997224 (0.1 is 0.1000000000000000055,
    -0.1 its negative, 0.3 is 0.2999999999999999889), which R's long-double sum
    (src/main/summary.c lines 483-486, R 4.4.1) holds exactly; divided by 15 that is
    0.1 − 7.40e-18, and the second pass (lines 500-507) moves it by under 1e-20. That
    is more than half the gap (1.39e-17) to the next double down, 0.09999999999999999,
    so R's mean is that double and the last seven 0.1s are above it
    (R/ptd_spc_standard.R line 90 at 050b07d): "7 Points Above CL" on each
    (R/ptd_calculate_point_type.R lines 29-35, 89, 106), special cause improvement.

    The old mean, ``math.fsum(x) / 15``, rounded the sum to 1.5 first, and 1.5 / 15 is
    0.1: the seven points sat on it and no shift was found.
    """
    data = [0.3, -0.1] * 4 + [0.1] * 7
    exact = sum(Fraction(v) for v in data) / len(data)
    assert Fraction(0.1) - exact == pytest.approx(7.401e-18, rel=1e-3)
    assert float(exact) == math.nextafter(0.1, 0)
    assert math.fsum(data) / len(data) == 0.1  # the old mean

    result = xmr(data, improvement="increase")
    assert result.limits.mean == math.nextafter(0.1, 0) == 0.09999999999999999
    assert result.points["relative_to_mean"].tolist()[8:] == [1] * 7
    assert rules(result) == [None] * 8 + ["shift"] * 7
    assert result.points["special_cause_type"].tolist()[8:] == ["7 Points Above CL"] * 7
    assert result.variation == "special_cause_improvement"


def test_the_average_moving_range_is_r_s_mean_of_the_moving_ranges():
    """R/ptd_spc_standard.R lines 69-78 at 050b07d: the moving ranges are double
    differences (as numpy's) and their average is R's ``mean()`` before and after
    screening."""
    dates, y = r_rnorm_data()
    y[14] = 10
    ranges = np.abs(np.diff(y))
    first = r_real_mean_transcribed(ranges.tolist())
    kept = ranges[ranges < 3.267 * first]
    for screen, expected in ((False, first), (True, r_real_mean_transcribed(kept.tolist()))):
        result = xmr(y, periods=dates, settings=SpcSettings(screen_outliers=screen))
        assert result.limits.average_moving_range == expected
        assert result.limits.mean == r_real_mean_transcribed(y)
        assert result.limits.upl == result.limits.mean + 2.66 * expected


# --------------------------------------------------------------------------- R, transcribed


# NHSRplotthedots 0.2.2's calculation (R/ptd_spc_standard.R lines 51-97 and
# R/ptd_calculate_point_type.R lines 12-134 at 050b07d) transcribed line by line, with R's
# NA as NaN and R's three-valued logic, to compare this module with on series R's own
# tests do not have. ``no_limits_without_variation`` applies this module's one deliberate
# difference (a zero average moving range gives no limits, as R's does only when
# screening leaves no moving range at all).

NA = math.nan


def _r_and(a: float, b: float) -> float:
    if a == 0 or b == 0:
        return 0.0
    return NA if math.isnan(a) or math.isnan(b) else 1.0


def _r_or(a: float, b: float) -> float:
    if a == 1 or b == 1:
        return 1.0
    return NA if math.isnan(a) or math.isnan(b) else 0.0


def _r_is_one(a: float) -> float:
    return NA if math.isnan(a) else float(a == 1)


def _r_seven_point_one_side_mean(v: list[float]) -> list[float]:  # lines 29-35
    vp = [0.0] * 6 + v
    return [
        float(all(vp[i] == vp[i - j] for j in range(1, 7)) and vp[i] != 0)
        for i in range(6, len(vp))
    ]


def _r_part_of_seven_trend(v: list[float]) -> list[float]:  # lines 37-44
    vp = [*v, *[0.0] * 6]
    return [float(any(abs(vp[i + j]) == 1 for j in range(7))) for i in range(len(v))]


def _r_seven_point_trend(y: list[float]) -> list[float]:  # lines 46-65
    if len(y) < 7:
        return [0.0] * len(y)
    out = [0.0] * 6
    for i in range(6, len(y)):
        d = [float(np.sign(y[i - j] - y[i - j - 1])) for j in range(6)]
        out.append(1.0 if all(s == 1 for s in d) else -1.0 if all(s == -1 for s in d) else 0.0)
    return out


def _r_two_in_three(v: list[float], rtm: list[float]) -> list[float]:  # lines 67-80
    vp, rtmp = [0.0, 0.0, *v, 0.0, 0.0], [0.0, 0.0, *rtm, 0.0, 0.0]

    def window(start: int) -> float:
        close = sum(vp[start : start + 3])  # NaN if any is NA
        near = NA if math.isnan(close) else float(close >= 2)
        return _r_and(near, float(abs(sum(rtmp[start : start + 3])) == 3))

    return [_r_or(_r_or(window(i), window(i + 1)), window(i + 2)) for i in range(len(v))]


def _r_special_cause_type(y, rtm, close, outside) -> list[str]:  # lines 86-109
    trend = _r_part_of_seven_trend(_r_seven_point_trend(y))
    windows = _r_two_in_three(close, rtm)
    two = [_r_and(_r_is_one(w), _r_is_one(abs(c))) for w, c in zip(windows, close, strict=True)]
    shift = _r_part_of_seven_trend(_r_seven_point_one_side_mean(rtm))
    n = len(y)
    sdy = [float(np.sign(y[k + 1] - y[k])) for k in range(n - 1)]
    right = [*sdy, sdy[-1] if sdy else NA]
    left = [0.0, *sdy]
    nxt = [*trend[1:], 0.0]
    direction = [right[k] if (nxt[k] and trend[k]) else left[k] for k in range(n)]
    labels = []
    for k in range(n):
        above = "Above" if rtm[k] > 0 else "Below"
        if not math.isnan(outside[k]) and outside[k] != 0:
            labels.append("Above UCL" if rtm[k] == 1 else "Below LCL")
        elif trend[k] != 0:
            labels.append(f"7 Point Trend ({'In' if direction[k] == 1 else 'De'}creasing)")
        elif not math.isnan(two[k]) and two[k] != 0:
            labels.append(f"2 in 3 {above} CL")
        elif shift[k] != 0:
            labels.append(f"7 Points {above} CL")
        else:
            labels.append("Common Cause")
    return labels


def _r_point_type(label: str, improvement: int) -> str:  # lines 111-134
    v = (
        1
        if ("Above" in label or "Increasing" in label)
        else -1
        if ("Below" in label or "Decreasing" in label)
        else 0
    )
    if improvement == 0:
        return {1: "special_cause_neutral_high", -1: "special_cause_neutral_low"}.get(
            v, "common_cause"
        )
    v *= improvement
    return {1: "special_cause_improvement", -1: "special_cause_concern"}.get(v, "common_cause")


def r_ptd_spc(
    y: list[float],
    *,
    rebase_at: int | None = None,
    fix_after_n_points: int | None = None,
    screen_outliers: bool = True,
    improvement: int = 1,
    no_limits_without_variation: bool = False,
) -> dict[str, list]:
    """One facet of ``ptd_spc`` on a series without gaps: per rebase group, the limits of
    R/ptd_spc_standard.R lines 66-94 and the labels of ptd_calculate_point_type()."""
    starts = [0] if rebase_at is None else [0, rebase_at]
    bounds = [*starts[1:], len(y)]
    out: dict[str, list] = {"mean": [], "lpl": [], "upl": [], "label": [], "point_type": []}
    for start, stop in zip(starts, bounds, strict=True):
        gy = list(y[start:stop])
        fix_y = [v if i < (fix_after_n_points or math.inf) else NA for i, v in enumerate(gy)]
        mean_col = r_real_mean_transcribed([v for v in fix_y if not math.isnan(v)])
        mr = [NA, *(abs(b - a) for a, b in itertools.pairwise(fix_y))]
        amr = r_real_mean_transcribed([m for m in mr if not math.isnan(m)])
        if screen_outliers:
            mr = [m if m < 3.267 * amr else NA for m in mr]
            amr = r_real_mean_transcribed([m for m in mr if not math.isnan(m)])
        if no_limits_without_variation and amr == 0:
            amr = NA
        lpl, upl = mean_col - 2.66 * amr, mean_col + 2.66 * amr
        nlpl, nupl = mean_col - 2 * (2.66 / 3) * amr, mean_col + 2 * (2.66 / 3) * amr
        no_limits = math.isnan(upl)
        outside = [NA if no_limits else float(v > upl or v < lpl) for v in gy]
        rtm = [float(np.sign(v - mean_col)) for v in gy]
        close = [
            NA if no_limits else float(not o and (v < nlpl or v > nupl))
            for v, o in zip(gy, outside, strict=True)
        ]
        labels = _r_special_cause_type(gy, rtm, close, outside)
        out["mean"] += [mean_col] * len(gy)
        out["lpl"] += [lpl] * len(gy)
        out["upl"] += [upl] * len(gy)
        out["label"] += labels
        out["point_type"] += [_r_point_type(label, improvement) for label in labels]
    return out


def test_random_series_match_the_transcribed_reference():
    """Beyond R's own tests: 600 random series (steps of -1, 0 or +1 tenths, so ties,
    meeting trends, points on the mean and flat stretches are common), with and without
    screening, fixing and a rebase, charted here and by the transcription above, agree
    on the mean, the limits and every point's label and type; the only difference from
    R is where its average moving range is 0 and it draws zero-width limits. (The code
    before issue 14 disagreed with the transcription on the mean of 148 of these series,
    in the last bit, and on the labels of 4.)"""
    rng = np.random.default_rng(2026)
    differs_from_r = 0
    for case in range(600):
        n = int(rng.integers(1, 40))
        steps = rng.choice([-1, 0, 1], size=n, p=[0.35, 0.3, 0.35])
        y = (np.cumsum(steps) / 10 + 1).tolist()
        screen = bool(case % 2)
        fix = 12 if case % 3 == 0 and n > 12 else None
        rebase = int(rng.integers(2, n - 1)) if case % 5 == 0 and n > 4 else None
        improvement = [1, -1, 0][(case // 2) % 3]
        name = {1: "increase", -1: "decrease", 0: "neutral"}[improvement]
        options = {
            "rebase_at": rebase,
            "fix_after_n_points": fix,
            "screen_outliers": screen,
            "improvement": improvement,
        }
        expected = r_ptd_spc(y, **options, no_limits_without_variation=True)
        as_r = r_ptd_spc(y, **options)
        differs_from_r += any(u == m for u, m in zip(as_r["upl"], as_r["mean"], strict=True))
        settings = SpcSettings(screen_outliers=screen, fix_after_n_points=fix)
        result = xmr(
            y, improvement=name, settings=settings, rebase_at=[] if rebase is None else [rebase]
        )
        points = result.points
        context = f"case {case}: y={y} {options}"
        np.testing.assert_array_equal(points["mean"], expected["mean"], err_msg=context)
        np.testing.assert_array_equal(points["lpl"], expected["lpl"], err_msg=context)
        np.testing.assert_array_equal(points["upl"], expected["upl"], err_msg=context)
        assert points["special_cause_type"].tolist() == expected["label"], context
        assert points["point_type"].tolist() == expected["point_type"], context
    assert differs_from_r > 0  # the zero-average case does come up


# --------------------------------------------------------------------------- rules


# Reproduces tests/testthat/test-ptd_spc_standard.R ("it only reports special cause for
# 2of3 points close to limits when they are on the same side of the mean"),
# nhs-r-community/NHSRplotthedots@8aac3239e90ce9ebeb9c3e61f56c207dfc37b225
def test_two_close_points_on_opposite_sides_of_the_mean_are_common_cause():
    data = [1.0, -1.0] * 8
    data[14], data[15] = 5.5, -5.5
    dates = [dt.date(2020, 1, 1) + dt.timedelta(days=d) for d in range(1, 17)]
    result = xmr(data, periods=dates, improvement="increase")
    assert result.points["close_to_limits"].tolist()[14:] == [True, True]
    assert result.points["point_type"].tolist()[14:] == ["common_cause", "common_cause"]


def test_a_point_outside_the_limits_outranks_a_trend_which_outranks_a_shift():
    # after the last baseline point (1): 7 rises, a trend; all 8 points are above the
    # mean, a shift; and 6 is beyond the upper limit of 5.32
    result = xmr([*BASELINE, 0.5, 1, 1.5, 2, 2.5, 3, 6], settings=FIXED_12)
    assert rules(result) == [None] * 11 + ["shift"] + ["trend"] * 6 + ["outside_limits"]
    assert result.points["side"].tolist()[11:] == ["high"] * 8
    assert result.points["special_cause_type"].iloc[12] == "7 Point Trend (Increasing)"
    assert result.points["special_cause_type"].iloc[11] == "7 Points Above CL"
    assert result.points["special_cause_type"].iloc[18] == "Above UCL"


def test_two_in_three_outranks_a_shift_and_flags_only_the_close_points():
    result = xmr([*BASELINE, 0.5, 0.5, 0.5, 0.5, 4, 4.5, 0.5], settings=FIXED_12)
    assert rules(result)[12:] == ["shift"] * 4 + ["two_in_three"] * 2 + ["shift"]
    assert result.points["special_cause_type"].iloc[16] == "2 in 3 Above CL"
    assert result.points["special_cause_type"].iloc[12] == "7 Points Above CL"


def test_a_point_on_the_mean_breaks_a_shift():
    on_mean = xmr([*BASELINE, 0.5, 0.5, 0.5, 0, 0.5, 0.5, 0.5, 0.5], settings=FIXED_12)
    assert not on_mean.points["special_cause"].any()
    seven = xmr([*BASELINE, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5], settings=FIXED_12)
    assert rules(seven)[12:] == ["shift"] * 7


def test_a_tie_breaks_a_trend():
    result = xmr([*BASELINE, 0, 0.5, 1, 1, 1.5, 2, 2.5], settings=FIXED_12)
    assert "trend" not in rules(result)


def test_run_lengths_are_settings():
    data = [*BASELINE, -0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, -0.5]
    assert not xmr(data, settings=FIXED_12).points["special_cause"].any()
    six = xmr(data, settings=dataclasses.replace(FIXED_12, shift_run_length=6))
    assert rules(six)[12:] == [None] + ["shift"] * 6 + [None]
    assert six.points["special_cause_type"].iloc[13] == "6 Points Above CL"

    rising = [*BASELINE, -2, -1, 0, 1, 2]
    assert "trend" not in rules(xmr(rising, settings=FIXED_12))
    five = xmr(rising, settings=dataclasses.replace(FIXED_12, trend_run_length=5))
    assert rules(five)[12:] == ["trend"] * 5


def test_the_2023_variant_counts_points_beyond_the_limits_as_close():
    # 6.0 is beyond the upper limit (5.32), 4.0 between the inner line (3.55) and the limit
    data = [*BASELINE, 0.5, 6.0, 4.0]
    classic = xmr(data, settings=FIXED_12)
    assert rules(classic)[12:] == [None, "outside_limits", None]

    variant = xmr(data, settings=dataclasses.replace(FIXED_12, two_in_three="beyond_two_sigma"))
    assert rules(variant)[12:] == [None, "outside_limits", "two_in_three"]


def test_where_a_rising_and_a_falling_trend_meet_the_later_trend_sets_the_direction():
    # limits fixed on a wide baseline (mean 5, limits -21.6 to 31.6) so only trends fire
    baseline = alternating(12, low=0, high=10)
    result = xmr([*baseline, 1, 2, 3, 4, 5, 6, 7, 6, 5, 4, 3, 2, 1], settings=FIXED_12)
    assert rules(result)[12:] == ["trend"] * 13
    assert result.points["side"].tolist()[12:] == ["high"] * 6 + ["low"] * 7


def test_where_two_rising_trends_tie_the_shared_point_is_decreasing_as_in_r():
    """R parity, issue 14's case: ``[0, 10] * 6 + [1..7, 7..13]`` (0, 10 six times, then
    1, 2, ..., 7 and 7, 8, ..., 13: 26 values) fixed on 12 points, improvement
    "increase" (R's default).

    Fixed on the baseline the mean is 5 and the limits -21.6 to 31.6, so only trends
    fire. Rows 12-18 (0-based; R's rows 13-19) rise 1..7 and rows 19-25 rise 7..13: two
    7-point trends (R/ptd_calculate_point_type.R lines 46-65 and 87 at 050b07d). Lines
    91-98: a trend point whose next point is also in a trend takes the sign of the step
    to it, ``sign(diff(y))``; row 18 (the first 7) is followed by row 19 (the second 7),
    a step of 0. Line 104: ``ifelse(sdy == 1, "In", "De")`` makes 0 "Decreasing", and
    lines 113-114 and 126-131 make it -1, so "special_cause_concern". Before this change
    row 18 took the direction of the run it ends and was "Increasing"/improvement.
    """
    data = [0, 10] * 6 + [*range(1, 8), *range(7, 14)]
    assert len(data) == 26 and data[18] == data[19] == 7
    result = xmr(data, improvement="increase", settings=FIXED_12)
    points = result.points
    assert rules(result)[12:] == ["trend"] * 14
    assert points["special_cause_type"].iloc[18] == "7 Point Trend (Decreasing)"
    assert points["point_type"].iloc[18] == "special_cause_concern"
    assert points["side"].iloc[18] == "low"
    others = [k for k in range(12, 26) if k != 18]
    assert set(points["special_cause_type"].iloc[others]) == {"7 Point Trend (Increasing)"}
    assert set(points["point_type"].iloc[others]) == {"special_cause_improvement"}
    assert result.variation == "special_cause_improvement"


@pytest.mark.parametrize(
    ("after_baseline", "shared", "label"),
    [
        # a rising trend ends at 10, the next rising one starts after a drop to 5: the
        # 10 is followed by a fall, "Decreasing"
        ([4, 5, 6, 7, 8, 9, 10, 5, 6, 7, 8, 9, 10, 11], 18, "Decreasing"),
        # a falling trend ends at 11, the next falling one starts after a jump to 19:
        # the 11 is followed by a rise, "Increasing"
        ([17, 16, 15, 14, 13, 12, 11, 19, 18, 17, 16, 15, 14, 13], 18, "Increasing"),
        # a rise to a peak then a fall: the peak is followed by a fall
        ([1, 2, 3, 4, 5, 6, 7, 6, 5, 4, 3, 2, 1], 18, "Decreasing"),
        # a fall to a trough then a rise (the baseline's last 10 starts the fall)
        ([9, 8, 7, 6, 5, 4, 3, 4, 5, 6, 7, 8, 9], 18, "Increasing"),
    ],
)
def test_where_two_trends_meet_the_shared_point_follows_the_step_after_it(
    after_baseline, shared, label
):
    """R parity: R/ptd_calculate_point_type.R lines 91-98 and 104 at 050b07d; the shared
    point is the last of one run and its successor is in the next run, so its label is
    the sign of the step to the successor, whichever way its own run went."""
    data = [*alternating(12, low=0, high=10), *after_baseline]
    result = xmr(data, improvement="increase", settings=FIXED_12)
    assert rules(result)[shared] == "trend"
    assert result.points["special_cause_type"].iloc[shared] == f"7 Point Trend ({label})"
    expected = "special_cause_improvement" if label == "Increasing" else "special_cause_concern"
    assert result.points["point_type"].iloc[shared] == expected


# Reproduces the trend labels of tests/testthat/test-ptd_calculate_point_type.R
# ("ptd_special_cause_type works as expected", lines 247-287 at 050b07d: y = 1:8 and
# ptd_part_of_seven_trend mocked to c(1, -1, 0, 0, 0, 0, 0, 0) give
# "7 Point Trend (Increasing)" twice; row 1 looks right, row 2 left)
def test_trend_directions_reproduce_the_reference_labels():
    directions = trend_directions(list(range(1, 9)), [1, 1, 0, 0, 0, 0, 0, 0])
    assert directions.tolist() == [1, 1, 0, 0, 0, 0, 0, 0]
    # a tie to the next trend point is "Decreasing" (line 104: only sdy == 1 is "In")
    assert trend_directions([1, 2, 2, 3], [1, 1, 1, 1]).tolist() == [1, -1, 1, 1]


# --------------------------------------------------------------------------- direction


SHIFT_HIGH = [*BASELINE, 0.5, 1, 1.5, 2, 2.5, 3, 6]


@pytest.mark.parametrize(
    ("improvement", "point_type", "category", "icon"),
    [
        ("increase", "special_cause_improvement", "improvement", "improvement_high"),
        ("decrease", "special_cause_concern", "concern", "concern_high"),
        ("neutral", "special_cause_neutral_high", "neutral", "neutral_high"),
    ],
)
def test_improvement_direction_decides_whether_a_high_signal_is_good(
    improvement, point_type, category, icon
):
    result = xmr(SHIFT_HIGH, improvement=improvement, settings=FIXED_12)
    assert result.points["point_type"].iloc[-1] == point_type
    assert result.points["category"].iloc[-1] == category
    assert result.points["point_type"].iloc[0] == "common_cause"
    assert result.points["category"].iloc[0] == "common_cause"
    assert result.variation == point_type
    assert result.variation_icon == icon


# Reproduces the icon choice in R/geom_ptd_icon.R (ptd_get_icons, variation_icon_file),
# nhs-r-community/NHSRplotthedots@24745e755877791489fd8783710bb84f8937d8c4
@pytest.mark.parametrize(
    ("point_type", "improvement", "icon"),
    [
        ("common_cause", "increase", "common_cause"),
        ("special_cause_neutral_high", "neutral", "neutral_high"),
        ("special_cause_neutral_low", "neutral", "neutral_low"),
        ("special_cause_concern", "increase", "concern_low"),
        ("special_cause_concern", "decrease", "concern_high"),
        ("special_cause_improvement", "increase", "improvement_high"),
        ("special_cause_improvement", "decrease", "improvement_low"),
    ],
)
def test_variation_icon_follows_the_latest_point_type(point_type, improvement, icon):
    assert variation_icon(point_type, improvement) == icon


def test_improvement_direction_must_be_increase_decrease_or_neutral():
    with pytest.raises(ValueError, match="improvement must be one of"):
        xmr([1, 2, 3], improvement="up")


# --------------------------------------------------------------------------- assurance


# Reproduces tests/testthat/test-ptd_calculate_assurance_type.R (increase, decrease,
# neutral and no-target cases),
# nhs-r-community/NHSRplotthedots@7ed6ae9006d4a5bc8f9839c9eb0afeb34fba4d81
@pytest.mark.parametrize(
    ("improvement", "expected"),
    [
        ("increase", ["consistent_fail", "consistent_pass", "inconsistent"]),
        ("decrease", ["consistent_pass", "consistent_fail", "inconsistent"]),
        ("neutral", [None, None, None]),
    ],
)
def test_assurance_compares_the_target_with_the_process_limits(improvement, expected):
    limits = [(1, 3), (5, 7), (1, 5)]
    assert [
        assurance_type(target=4, lpl=lpl, upl=upl, improvement=improvement) for lpl, upl in limits
    ] == expected
    assert assurance_type(target=None, lpl=1, upl=3, improvement=improvement) is None


# Reproduces tests/testthat/test-ptd_calculate_assurance_type.R ("it returns correct
# values for assurance when rebase": the last row's limits decide),
# nhs-r-community/NHSRplotthedots@7ed6ae9006d4a5bc8f9839c9eb0afeb34fba4d81
@pytest.mark.parametrize(
    ("lpl", "upl", "expected"),
    [(1, 5, "inconsistent"), (1, 3, "consistent_pass"), (5, 7, "consistent_fail")],
)
def test_assurance_with_a_decrease_target_uses_the_latest_limits(lpl, upl, expected):
    assert assurance_type(target=4, lpl=lpl, upl=upl, improvement="decrease") == expected


def test_assurance_of_a_rebased_chart_uses_the_latest_group():
    # group 0 around 0 (limits ±5.32), group 1 around 20 (limits 14.68 to 25.32)
    data = [*BASELINE, *alternating(12, low=19, high=21)]
    result = xmr(data, improvement="increase", target=10, rebase_at=[12])
    assert result.groups["lpl"].round(2).tolist() == [-5.32, 14.68]
    assert result.assurance == "consistent_pass"
    assert result.assurance_icon == "pass"


def test_a_target_on_a_limit_is_within_the_limits():
    assert assurance_type(target=3, lpl=1, upl=3, improvement="increase") == "inconsistent"


@pytest.mark.parametrize(
    ("values", "target", "reason"),
    [
        ([3], 2, "there are not yet enough values to calculate process limits"),
        (
            [5.1] * 20,
            6,
            "the values do not vary, so there are no process limits to compare it with",
        ),
    ],
)
def test_without_limits_a_target_is_hit_or_miss_as_in_r(values, target, reason):
    """R parity: R/ptd_calculate_assurance_type.R lines 25-33 at 050b07d compare the
    target with the last row's ``upl`` and ``lpl``; with NaN limits (one value: no moving
    range, R/ptd_spc_standard.R lines 69-70; flat values: every moving range screened
    out, lines 73-78) both comparisons are NA, which ``case_when`` does not take, so
    ``TRUE ~ "inconsistent"`` (line 30) answers. Before this change there was no
    assurance at all."""
    result = xmr(values, improvement="increase", target=target)
    assert not result.limits.has_limits
    assert result.assurance == "inconsistent"
    assert result.assurance_icon == "inconsistent"
    assert explain_assurance(result) == (
        f"The target of {target} cannot be assured: {reason} (hit or miss)."
    )


@pytest.mark.parametrize("improvement", ["increase", "decrease"])
def test_assurance_without_limits_is_inconsistent_in_either_direction(improvement):
    nan = float("nan")
    assert assurance_type(target=4, lpl=nan, upl=nan, improvement=improvement) == "inconsistent"
    # R/ptd_calculate_assurance_type.R lines 18-19: no target or a neutral measure, NA
    assert assurance_type(target=None, lpl=nan, upl=nan, improvement=improvement) is None
    assert assurance_type(target=4, lpl=nan, upl=nan, improvement="neutral") is None


# --------------------------------------------------------------------------- rebasing


# Reproduces tests/testthat/test-ptd_spc_standard.R ("it sets the rebase_group field"),
# nhs-r-community/NHSRplotthedots@8aac3239e90ce9ebeb9c3e61f56c207dfc37b225
def test_rebasing_starts_a_new_group_at_the_rebase_period():
    dates, y = r_rnorm_data()
    assert xmr(y, periods=dates).points["group"].tolist() == [0] * 20
    rebased = xmr(y, periods=dates, rebase_at=[dates[10]])
    assert rebased.points["group"].tolist() == [0] * 10 + [1] * 10


# Reproduces tests/testthat/test-ptd_add_rebase_column.R ("it correctly sets rebase column
# when a date vector is passed"),
# nhs-r-community/NHSRplotthedots@4395a11350fb06b732b0910f88723f62577784c6
def test_each_rebase_date_starts_a_group():
    dates = [dt.date(2020, 1, 1) + dt.timedelta(days=d) for d in range(1, 11)]
    result = xmr(
        list(range(10)), periods=dates, rebase_at=[dt.date(2020, 1, 3), dt.date(2020, 1, 8)]
    )
    starts = np.diff(result.points["group"], prepend=0).tolist()
    assert starts == [0, 1, 0, 0, 0, 0, 1, 0, 0, 0]


def test_each_group_is_calculated_as_if_charted_alone():
    dates, y = r_rnorm_data()
    later = [v + 3 for v in y[:12]]
    together = xmr([*y, *later])
    assert "shift" in rules(together)

    rebased = xmr([*y, *later], rebase_at=[20])
    first, second = xmr(y), xmr(later)
    for column in ("mean", "lpl", "upl", "rule", "point_type"):
        expected = pd.concat([first.points[column], second.points[column]], ignore_index=True)
        pd.testing.assert_series_equal(rebased.points[column], expected)


def test_settings_and_direct_rebase_points_must_agree():
    with pytest.raises(ValueError, match="rebase_at"):
        xmr([1, 2, 3], settings=SpcSettings(rebase_at=(1,)), rebase_at=[2])


# --------------------------------------------------------------------------- short groups


# Reproduces tests/testthat/test-ptd_add_short_group_warnings.R (warning_threshold = 12:
# "it warns when a group is shorter than the warning_threshold", "it does not warn when a
# group is equal to the warning_threshold", "it handles facets and rebase groups"),
# nhs-r-community/NHSRplotthedots@8aac3239e90ce9ebeb9c3e61f56c207dfc37b225
@pytest.mark.parametrize(
    ("lengths", "expected"),
    [
        ([11], [True]),
        ([12], [False]),
        ([20, 20, 20, 20], [False, False, False, False]),
        ([35, 5, 20, 20], [False, True, False, False]),
    ],
)
def test_groups_shorter_than_the_threshold_have_trial_limits(lengths, expected):
    values = [float(i % 3) for i in range(sum(lengths))]
    starts = list(np.cumsum(lengths)[:-1])
    settings = SpcSettings(short_group_threshold=12, rebase_at=tuple(starts))
    result = xmr(values, settings=settings)
    assert result.groups["short"].tolist() == expected
    assert result.points["short_group"].tolist() == list(np.repeat(expected, lengths))


# Reproduces the default warning_threshold of 13 in R/ptd_add_short_group_warnings.R,
# nhs-r-community/NHSRplotthedots@c7fbaae5d7b5362d4c48a4c64bd1b73a2c34917a
def test_by_default_twelve_points_are_trial_limits_and_thirteen_are_not():
    assert xmr(BASELINE).trial_limits
    assert not xmr([*BASELINE, 0]).trial_limits
    sentences = explain(xmr(BASELINE))
    assert "These are trial limits, based on only 12 points" in sentences[-1]


# --------------------------------------------------------------------------- settings


# Reproduces tests/testthat/test-ptd_spc_options.R ("fix_after_n_points must be a single
# numeric that is greater than or equal to 12.", "screen_outliers must be a scalar
# logical"), nhs-r-community/NHSRplotthedots@503e0ad1533ea70deb3a8dccf92d33f201b3fa26
def test_settings_are_validated():
    with pytest.raises(ValueError, match="greater than or equal to 12"):
        SpcSettings(fix_after_n_points=11)
    with pytest.raises(ValueError, match="greater than or equal to 12"):
        SpcSettings(fix_after_n_points="a")  # type: ignore[arg-type]
    assert SpcSettings(fix_after_n_points=12).fix_after_n_points == 12
    with pytest.raises(ValueError, match="screen_outliers"):
        SpcSettings(screen_outliers="TRUE")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="trend_run_length"):
        SpcSettings(trend_run_length=2)
    with pytest.raises(ValueError, match="two_in_three"):
        SpcSettings(two_in_three="mdc")  # type: ignore[arg-type]


def test_every_result_states_its_settings():
    settings = SpcSettings(
        fix_after_n_points=12, two_in_three="beyond_two_sigma", rebase_at=["2024-04"]
    )
    result = xmr([*BASELINE, 1, 2], periods=[f"p{i:02d}" for i in range(14)], settings=settings)
    assert result.settings is settings
    text = result.describe()
    assert "limits fixed on the first 12 points of each group" in text
    assert "(2023 variant)" in text
    assert "a trend of 7 points" in text and "a shift of 7 points" in text
    assert "Rebased at 2024-04." in text
    assert "moving ranges of 3.267 × their average or more are left out" in text
    assert "no moving ranges are screened out" in SpcSettings(screen_outliers=False).describe()


def test_settings_are_frozen_and_hashable():
    settings = SpcSettings(rebase_at=[dt.date(2024, 4, 1)])  # type: ignore[arg-type]
    assert settings.rebase_at == (dt.date(2024, 4, 1),)
    assert hash(settings) == hash(SpcSettings(rebase_at=(dt.date(2024, 4, 1),)))
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.screen_outliers = False  # type: ignore[misc]


# --------------------------------------------------------------------------- gaps


def test_a_gap_is_left_out_of_the_mean_and_the_moving_ranges():
    result = xmr([1, 2, 3, None, 6, 7, float("nan"), 8])
    points = result.points
    assert result.missing_count == 2
    assert points["missing"].tolist() == [False, False, False, True, False, False, True, False]
    assert result.limits.mean == pytest.approx(27 / 6)
    # no moving range across a gap: only 2-1, 3-2 and 7-6 exist
    assert points["moving_range"].tolist()[:3] == [pytest.approx(np.nan, nan_ok=True), 1, 1]
    assert points["moving_range"].isna().tolist() == [
        True, False, False, True, True, False, True, True,
    ]  # fmt: skip
    assert result.limits.average_moving_range == 1
    assert result.groups["n"][0] == 6
    assert result.groups["n_missing"][0] == 2


def test_missing_values_of_a_nullable_series_are_gaps():
    result = xmr(pd.Series([1.0, None, 3.0, 4.0], dtype="Float64"))
    assert result.points["missing"].tolist() == [False, True, False, False]
    assert result.limits.mean == pytest.approx(8 / 3)


def test_a_gap_has_no_rule_or_point_type():
    result = xmr([1, 2, None, 3], improvement="increase")
    gap = result.points.iloc[2]
    assert pd.isna(gap["rule"]) and pd.isna(gap["point_type"]) and pd.isna(gap["category"])
    assert not gap["special_cause"]


def test_a_gap_breaks_a_shift():
    before = alternating(10, low=1, high=-1)  # ends below the mean
    joined = xmr([*before, *[0.5] * 12])
    assert rules(joined)[10:] == ["shift"] * 12

    split = xmr([*before, *[0.5] * 6, None, *[0.5] * 6])
    assert not split.points["special_cause"].any()


def test_a_gap_breaks_a_trend():
    assert "trend" in rules(xmr([1, 2, 3, 4, 5, 6, 7, 8]))
    assert "trend" not in rules(xmr([1, 2, 3, 4, None, 5, 6, 7, 8]))


def test_a_gap_is_kept_as_a_row_where_r_would_join_its_neighbours():
    """Our documented choice, not R's. NHSRplotthedots 0.2.2 asks for series without
    gaps (R/ptd_spc.R lines 11-13 at 050b07d) and does not check: a period with no row
    is simply not there, so it charts the remaining rows as consecutive
    (R/ptd_spc_standard.R lines 62 and 69) and finds a trend across the gap. Here the
    gap stays a row, the moving ranges either side of it are not taken and the trend is
    broken; with the gap left out the result is R's."""
    rising = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]
    with_gap = xmr([*BASELINE, *rising[:3], None, *rising[3:]], settings=FIXED_12)
    assert with_gap.points["missing"].tolist()[12:] == [False] * 3 + [True] + [False] * 4
    assert not with_gap.points["special_cause"].any()

    as_r_sees_it = xmr([*BASELINE, *rising], settings=FIXED_12)
    assert rules(as_r_sees_it)[12:] == ["trend"] * 7


def test_a_gap_breaks_two_in_three():
    joined = xmr([*BASELINE, 4.0, 0.5, 4.0], settings=FIXED_12)
    assert rules(joined)[12:] == ["two_in_three", None, "two_in_three"]
    split = xmr([*BASELINE, 4.0, None, 4.0], settings=FIXED_12)
    assert rules(split)[12:] == [None, None, None]


def test_variation_comes_from_the_latest_value_when_the_latest_period_is_a_gap():
    result = xmr([*SHIFT_HIGH, None], improvement="increase", settings=FIXED_12)
    assert result.variation == "special_cause_improvement"
    assert "1 period has no value" in explain(result)[-1]


def test_a_series_with_no_values_has_no_variation():
    result = xmr([None, None])
    assert result.variation is None
    assert result.variation_icon is None
    assert explain_variation(result).startswith("No values have been recorded yet")


# --------------------------------------------------------------------------- periods


def test_rows_are_sorted_by_period():
    result = xmr([30, 10, 20], periods=[3, 1, 2])
    assert result.points["period"].tolist() == [1, 2, 3]
    assert result.points["value"].tolist() == [10, 20, 30]


def test_periods_must_be_unique_and_match_the_values():
    with pytest.raises(ValueError, match="unique"):
        xmr([1, 2], periods=["a", "a"])
    with pytest.raises(ValueError, match="3 values but 2 periods"):
        xmr([1, 2, 3], periods=["a", "b"])
    with pytest.raises(ValueError, match="at least one period"):
        xmr([])


def test_a_series_index_gives_the_periods():
    months = pd.period_range("2024-04", periods=3, freq="M")
    result = xmr(pd.Series([1.0, 2.0, 3.0], index=months))
    assert result.points["period"].tolist() == list(months)


def test_signals_can_be_listed_after_a_period():
    periods = pd.period_range("2023-04", periods=len(SHIFT_HIGH), freq="M")
    result = xmr(SHIFT_HIGH, periods=periods, improvement="increase", settings=FIXED_12)
    after = result.signals_after(pd.Period("2024-04", freq="M"))
    assert after["period"].tolist() == list(periods[-6:])
    assert len(result.signals_after(pd.Period("2024-04", freq="M"), inclusive=True)) == 7
    latest = result.latest_signal
    assert latest is not None
    assert (latest.period, latest.rule, latest.side) == (periods[-1], "outside_limits", "high")
    assert latest.point_type == "special_cause_improvement"
    assert xmr(BASELINE).latest_signal is None


# --------------------------------------------------------------------------- explanations


def minutes_seconds(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def test_explains_a_shift_naming_the_rule_and_its_length():
    data = [*BASELINE, *[-0.5] * 9]
    result = xmr(data, improvement="decrease", settings=FIXED_12)
    assert explain_variation(result) == (
        "Special cause variation — improvement: the last 9 points are below the mean of 0 "
        "(a shift of 7 or more points on one side of the mean)."
    )


def test_explains_a_point_outside_the_limits():
    result = xmr(SHIFT_HIGH, improvement="decrease", settings=FIXED_12)
    assert explain_variation(result) == (
        "Special cause variation — concern: the latest point, 6, is above the upper process "
        "limit of 5.32 (a point outside the process limits)."
    )


def test_explains_a_trend_and_two_in_three():
    trend = xmr([*BASELINE, 0, 0.5, 1, 1.5, 2, 2.5, 3], improvement="neutral", settings=FIXED_12)
    assert explain_variation(trend) == (
        "Special cause variation — neither improvement nor concern (no direction of "
        "improvement is set): the last 7 points have each been higher than the one before "
        "(a trend of 7 or more points)."
    )
    two = xmr([*BASELINE, 4.0, 0.5, 4.0], improvement="increase", settings=FIXED_12)
    assert explain_variation(two) == (
        "Special cause variation — improvement: 2 of the last 3 points are above the inner "
        "(two-sigma) line of 3.547, all on the same side of the mean (two out of three "
        "points close to a process limit)."
    )


def test_explains_common_cause_and_the_most_recent_signal():
    result = xmr([*BASELINE, 6, 1, -1], improvement="increase", settings=FIXED_12)
    assert explain_variation(result, format_period=lambda p: f"period {p}") == (
        "Common cause variation: the latest point (-1, period 14) is within the process "
        "limits (-5.32 to 5.32) and no special cause rule applies. The most recent special "
        "cause was a point outside the process limits at period 12."
    )


def test_explains_assurance_with_a_pluggable_value_format():
    data = [110, 130, 115, 125, 120, 105, 135, 118, 122, 112, 128, 120, 119]
    result = xmr(data, improvement="decrease", target=120)
    lpl, upl = minutes_seconds(result.limits.lpl), minutes_seconds(result.limits.upl)
    assert explain_assurance(result, format_value=minutes_seconds) == (
        f"The target of 2:00 lies within the process limits ({lpl} to {upl}), so it will be "
        "hit and missed at random (hit or miss)."
    )


@pytest.mark.parametrize(
    ("improvement", "target", "sentence"),
    [
        (
            "increase",
            -10,
            "The target of -10 is below the lower process limit of -5.32, so it will be met "
            "consistently unless the process changes (consistently passing).",
        ),
        (
            "increase",
            10,
            "The target of 10 is above the upper process limit of 5.32, so it will be missed "
            "consistently unless the process changes (consistently failing).",
        ),
        (
            "neutral",
            10,
            "No assurance is given against the target of 10: this measure has no direction "
            "of improvement.",
        ),
    ],
)
def test_explains_passing_failing_and_neutral_assurance(improvement, target, sentence):
    result = xmr([*BASELINE, 0], improvement=improvement, target=target, settings=FIXED_12)
    assert explain_assurance(result) == sentence


def test_no_target_means_no_assurance_sentence():
    result = xmr([*BASELINE, 0], improvement="increase")
    assert result.assurance is None and result.assurance_icon is None
    assert explain_assurance(result) is None
    assert len(explain(result)) == 1


# --------------------------------------------------------------------------- before/after


def test_before_after_detects_a_change_against_limits_fixed_on_the_baseline():
    baseline = alternating(12, low=10, high=12)
    months = pd.period_range("2023-04", periods=20, freq="M")
    comparison = before_after(
        [*baseline, *[8] * 8],
        periods=months,
        split_at=pd.Period("2024-04", freq="M"),
        improvement="decrease",
    )
    assert comparison.baseline_mean == 11
    assert comparison.since_mean == 8
    assert comparison.difference == -3
    assert (comparison.baseline_n, comparison.since_n) == (12, 8)
    assert comparison.chart.limits.mean == 11
    assert comparison.chart.limits.upl == pytest.approx(16.32)
    assert comparison.shift_detected
    assert comparison.outcome == "improvement"
    assert comparison.baseline_stable
    assert comparison.baseline_short
    assert set(comparison.signals["rule"]) == {"shift"}
    assert "limits fixed on the 12 baseline points before 2024-04" in comparison.chart.describe()
    assert "before April 2024" in comparison.chart.describe(
        format_period=lambda p: p.strftime("%B %Y")
    )
    sentences = explain_before_after(comparison)
    assert sentences[:3] == [
        "Before 2024-04 the mean was 11 (12 points).",
        "From 2024-04 it is 8 (8 points), a difference of -3.",
        "Against limits fixed on the baseline, the SPC rules detect an improvement: a shift "
        "from 2024-04.",
    ]


def test_before_after_names_a_change_in_a_percentage_in_percentage_points():
    from monitor.core.formatting import item_value

    comparison = before_after([60.0, 62.5] * 6 + [75.0] * 8, split_at=12, improvement="increase")
    sentences = explain_before_after(
        comparison,
        format_value=lambda v: item_value(v, "percent"),
        format_difference=lambda v: item_value(v, "percent", change=True),
    )
    assert sentences[1] == "From 12 it is 75% (8 points), a difference of +13.8 percentage points."


def test_before_after_finds_no_change_in_common_cause_variation():
    data = alternating(20, low=10, high=12)
    comparison = before_after(data, split_at=12, improvement="increase")
    assert not comparison.shift_detected
    assert comparison.outcome is None
    assert comparison.difference == 0
    assert "detect no change" in explain_before_after(comparison)[2]


def test_before_after_on_a_flat_baseline_says_there_are_no_limits_to_judge_against():
    comparison = before_after([10] * 12 + [14, 6, 10], split_at=12, improvement="decrease")
    assert not comparison.chart.limits.has_limits
    assert not comparison.shift_detected
    assert explain_before_after(comparison)[2] == (
        "The baseline values do not change from one period to the next, so there are no "
        "process limits to judge the difference against, and the SPC rules detect neither "
        "a trend nor a shift."
    )


def test_before_after_needs_a_baseline_and_no_rebasing():
    with pytest.raises(ValueError, match="at least two values before split_at"):
        before_after([1, 2, 3], split_at=1)
    with pytest.raises(ValueError, match="fixes the limits on the baseline"):
        before_after([1, 2, 3], split_at=2, settings=SpcSettings(rebase_at=(1,)))
