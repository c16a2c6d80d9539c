"""Equity lens (monitor.analysis.equity): IMD quintiles and the slope index of inequality.

Sources of the worked examples (each test says which it uses):

* PHE/OHID method: ``phe_sii`` in the R package PHEindicatormethods
  (github.com/ukhsa-collaboration/PHEindicatormethods, R/SII_function.R; Low A, Low A.
  Measuring the gap: quantifying and comparing local health inequalities. J Public Health
  2004;26:388-95). The SII is the coefficient of ``b * sqrt(a)`` in
  ``lm(value * sqrt(a) ~ sqrt(a) + b * sqrt(a) - 1)``, where ``a`` is each group's share of
  the population and ``b`` its relative rank; its confidence interval is PHE's Monte Carlo
  simulation from each group's standard error.
* The example data are those of the ``phe_sii`` documentation ("Examples" section of
  R/SII_function.R): two areas, ten deprivation deciles each, with population, life
  expectancy and standard error. The expected SII is recomputed in this file,
  independently of the module, with PHE's own regression formula (``numpy.linalg.lstsq``
  on the transformed design, no intercept). PHE's own expected outputs for its test data
  (tests/testthat/testdata_SII.xlsx) are checked in tests/analysis/test_sii_phe.py.
* Minimum numbers: ``phe_sii`` needs at least 5 quantiles (R/SII_function.R lines
  374-375), so every example here has at least 5 places on the deprivation scale, and the
  tests of what is too few use fewer.
* Student's t quantiles: R's ``qt`` (the values printed in any t table).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from monitor.analysis.equity import (
    Z_95,
    SiiResult,
    by_quintile,
    compare_gaps,
    explain_sii,
    imd_quintile,
    poisson_limits,
    practices_by_quintile,
    practices_slope_index,
    rates_per_patients,
    refit,
    relative_ranks,
    slope_index,
    slope_index_from_groups,
    t_quantile,
)

# phe_sii documentation example (PHEindicatormethods, R/SII_function.R, @examples):
# deciles 1 (most deprived) to 10, population, life expectancy (value) and its standard error.
PHE_AREA1 = {
    "population": [7291, 7997, 6105, 7666, 5790, 6934, 5918, 5974, 7147, 7534],
    "value": [75.9, 78.3, 83.8, 83.6, 80.5, 81.1, 81.7, 84.2, 80.6, 86.3],
    "se": [1.64, 1.58, 1.51, 1.78, 1.7, 1.56, 1.37, 1.4, 2.43, 1.57],
}
PHE_AREA2 = {
    "population": [21675, 20065, 19750, 24713, 20112, 19618, 22408, 19752, 18939, 19312],
    "value": [70.5, 71.6, 72.5, 73.5, 73.1, 76.2, 78.7, 80.6, 80.9, 80],
    "se": [0.23, 0.26, 0.3, 0.16, 0.79, 0.78, 0.4, 0.28, 0.23, 0.35],
}

# Two-sided 97.5% quantiles of Student's t, R: qt(0.975, df) (any printed t table).
T_975 = {1: 12.706205, 2: 4.302653, 3: 3.182446, 5: 2.570582, 8: 2.306004, 10: 2.228139,
         30: 2.042272, 120: 1.979930}  # fmt: skip
Z_975 = 1.959964  # R: qnorm(0.975)


def phe_regression(population, value):
    """PHE's SII, intercept and design, computed here without the module under test.

    R: lm(yvals ~ sqrt_a + b_sqrt_a - 1) with a = population share, b = FindXValues
    (midpoint of each group's slice of the cumulative population).
    """
    pop = np.asarray(population, dtype=float)
    a = pop / pop.sum()
    b = np.cumsum(a) - a / 2
    design = np.column_stack([np.sqrt(a), b * np.sqrt(a)])
    (intercept, sii), *_ = np.linalg.lstsq(design, np.sqrt(a) * np.asarray(value), rcond=None)
    return sii, intercept, a, b


# --------------------------------------------------------------------------- relative rank


def test_relative_rank_is_the_midpoint_of_each_groups_population_slice():
    # phe_sii documentation: "If quantile 1 then contains 12 percent of the total
    # population, its relative rank is 0.12/2 = 0.06. If quantile 2 includes 10 percent of
    # the population, its relative rank is 0.12 + (0.10/2) = 0.17."
    ranks = relative_ranks([12, 10, 78])
    assert ranks == pytest.approx([0.06, 0.17, 0.61], abs=1e-12)


def test_tied_practices_share_their_deciles_rank():
    # Two practices in decile 1 hold 30% of the population between them: both sit at 0.15.
    ranks = relative_ranks([1000, 2000, 7000], groups=[1, 1, 10])
    assert ranks == pytest.approx([0.15, 0.15, 0.65])


# --------------------------------------------------------------------------- worked examples


def test_hand_worked_example_five_equal_groups():
    # By hand: ranks 0.1, 0.3, 0.5, 0.7, 0.9 with weight 0.2 each; mean rank 0.5, mean
    # value 32; sum(w dx dy) = 0.2 (8.8 + 2.4 + 0 + 1.6 + 8.8) = 4.32 and
    # sum(w dx^2) = 0.2 (0.16 + 0.04 + 0 + 0.04 + 0.16) = 0.08, so slope = 54 and
    # intercept = 32 - 54 / 2 = 5.
    result = slope_index_from_groups([10, 20, 36, 40, 54], [1, 1, 1, 1, 1])
    assert result.sii == pytest.approx(54)
    assert result.intercept == pytest.approx(5)
    assert result.least_deprived_value == pytest.approx(59)


@pytest.mark.parametrize("area", [PHE_AREA1, PHE_AREA2], ids=["area1", "area2"])
def test_sii_matches_phe_regression_on_the_phe_sii_example(area):
    expected_sii, expected_intercept, _, _ = phe_regression(area["population"], area["value"])
    result = slope_index_from_groups(area["value"], area["population"])
    assert result.sii == pytest.approx(expected_sii, rel=1e-12)
    assert result.intercept == pytest.approx(expected_intercept, rel=1e-12)
    # PHE's RII: (intercept + SII) / intercept.
    assert result.rii == pytest.approx((expected_intercept + expected_sii) / expected_intercept)


def test_phe_sii_example_figures():
    # The figures the PHE formula gives for the documentation data, to 4 decimal places
    # (life expectancy rises by about 7.0 years in area 1 and 12.6 in area 2 from the most
    # to the least deprived end).
    area1 = slope_index_from_groups(PHE_AREA1["value"], PHE_AREA1["population"])
    area2 = slope_index_from_groups(PHE_AREA2["value"], PHE_AREA2["population"])
    assert round(area1.sii, 4) == 7.0002
    assert round(area2.sii, 4) == 12.6227
    assert round(area1.rii, 4) == 1.0897
    assert round(area2.rii, 4) == 1.1820


def test_practices_in_one_decile_give_the_sii_of_the_deciles_weighted_means():
    # Splitting each PHE decile into two practices with the same value leaves the SII as is.
    values, deciles, sizes = [], [], []
    pairs = zip(PHE_AREA1["population"], PHE_AREA1["value"], strict=True)
    for decile, (pop, value) in enumerate(pairs, start=1):
        for share in (0.3, 0.7):
            values.append(value)
            deciles.append(decile)
            sizes.append(pop * share)
    by_practice = slope_index(values, deciles, weights=sizes)
    expected, *_ = phe_regression(PHE_AREA1["population"], PHE_AREA1["value"])
    assert by_practice.sii == pytest.approx(expected, rel=1e-12)
    assert by_practice.n_units == 20
    assert by_practice.n_rank_groups == 10


# --------------------------------------------------------------------------- confidence intervals


@pytest.mark.parametrize(("df", "expected"), sorted(T_975.items()))
def test_t_quantile_matches_r_qt(df, expected):
    assert t_quantile(0.975, df) == pytest.approx(expected, abs=5e-7)
    assert t_quantile(0.025, df) == pytest.approx(-expected, abs=5e-7)


def test_t_quantile_approaches_the_normal_for_large_df():
    assert t_quantile(0.975, 100_000) == pytest.approx(Z_975, abs=1e-4)


def test_regression_interval_is_the_weighted_least_squares_t_interval():
    # Classical WLS, computed here: cov = s^2 (X'WX)^-1, s^2 = sum(w e^2) / (n - 2),
    # interval = slope +/- qt(0.975, 8) * se (R: confint(lm(value ~ b, weights = a))).
    sii, intercept, a, b = phe_regression(PHE_AREA1["population"], PHE_AREA1["value"])
    y = np.asarray(PHE_AREA1["value"])
    residuals = y - intercept - sii * b
    s2 = float(a @ residuals**2) / (10 - 2)
    design = np.column_stack([np.ones(10), b])
    cov = s2 * np.linalg.inv(design.T @ (a[:, None] * design))
    se = math.sqrt(cov[1, 1])

    result = slope_index_from_groups(PHE_AREA1["value"], PHE_AREA1["population"])
    assert result.ci_method == "regression"
    assert result.df == 8
    assert result.standard_error == pytest.approx(se, rel=1e-10)
    assert result.ci_lower == pytest.approx(sii - T_975[8] * se, rel=1e-6)
    assert result.ci_upper == pytest.approx(sii + T_975[8] * se, rel=1e-6)


@pytest.mark.parametrize("area", [PHE_AREA1, PHE_AREA2], ids=["area1", "area2"])
def test_phe_simulation_interval_matches_its_closed_form(area):
    # PHE's interval (simulation, value_type 0): redraw each decile's value from
    # N(value, se), refit, take the 2.5th and 97.5th percentiles. The SII is linear in the
    # values, SII = sum(c_i * y_i), so the simulation converges to
    # SII +/- qnorm(0.975) * sqrt(sum(c_i^2 * se_i^2)), computed here from the design.
    sii, _, a, b = phe_regression(area["population"], area["value"])
    c = a * (b - a @ b) / (a @ (b - a @ b) ** 2)
    half_width = Z_975 * math.sqrt(float(c**2 @ np.asarray(area["se"]) ** 2))

    closed = slope_index_from_groups(
        area["value"], area["population"], standard_errors=area["se"], ci_method="known_se"
    )
    # (rel=1e-6: Z_975 above is qnorm(0.975) to 7 significant figures)
    assert closed.ci_lower == pytest.approx(sii - half_width, rel=1e-6)
    assert closed.ci_upper == pytest.approx(sii + half_width, rel=1e-6)

    simulated = slope_index_from_groups(
        area["value"], area["population"], standard_errors=area["se"], ci_method="simulation"
    )
    # 100,000 repetitions (PHE's default): the percentiles land within 1% of the half-width.
    assert simulated.sii == pytest.approx(sii, rel=1e-12)
    assert simulated.ci_lower == pytest.approx(sii - half_width, abs=0.01 * half_width)
    assert simulated.ci_upper == pytest.approx(sii + half_width, abs=0.01 * half_width)


def test_simulation_is_reproducible_with_a_seed():
    kwargs = {"standard_errors": PHE_AREA1["se"], "ci_method": "simulation", "repetitions": 2000}
    first = slope_index_from_groups(PHE_AREA1["value"], PHE_AREA1["population"], **kwargs, seed=7)
    again = slope_index_from_groups(PHE_AREA1["value"], PHE_AREA1["population"], **kwargs, seed=7)
    assert (first.ci_lower, first.ci_upper) == (again.ci_lower, again.ci_upper)


def test_simulation_at_high_confidence_with_few_repetitions_keeps_limits_in_order():
    # round(1000 * 0.0005) is 0: the lower limit must be the smallest draw, not the largest.
    result = slope_index_from_groups(
        PHE_AREA1["value"],
        PHE_AREA1["population"],
        standard_errors=PHE_AREA1["se"],
        ci_method="simulation",
        repetitions=1000,
        confidence=0.999,
    )
    assert result.ci_lower < result.sii < result.ci_upper


@pytest.mark.parametrize("ci_method", ["regression", "known_se", "simulation"])
def test_interval_contains_the_estimate(ci_method):
    result = slope_index_from_groups(
        PHE_AREA2["value"],
        PHE_AREA2["population"],
        standard_errors=PHE_AREA2["se"],
        ci_method=ci_method,
        repetitions=5000,
    )
    assert result.ci_lower < result.sii < result.ci_upper
    assert result.ci_includes_zero is False


def noisy_practices(copies: int) -> tuple[list[float], list[int], list[float]]:
    """Practices in every decile, value = 60 + 1.5 * decile plus the same wobble each time."""
    wobble = [-3.0, 2.0, 4.0, -1.0, -2.0]
    values, deciles, sizes = [], [], []
    for copy in range(copies):
        for decile in range(1, 11):
            values.append(60 + 1.5 * decile + wobble[(decile + copy) % 5])
            deciles.append(decile)
            sizes.append(6000.0)
    return values, deciles, sizes


def test_interval_narrows_with_more_practices():
    widths = []
    for copies in (1, 3, 9):
        values, deciles, sizes = noisy_practices(copies)
        result = slope_index(values, deciles, weights=sizes)
        assert result.ci_lower < result.sii < result.ci_upper
        widths.append(result.ci_upper - result.ci_lower)
    assert widths[0] > widths[1] > widths[2]


# --------------------------------------------------------------------------- weighting


def test_equal_weights_reproduce_the_unweighted_least_squares_slope():
    values = [58.0, 61.5, 60.0, 66.0, 64.0, 70.5, 69.0]
    deciles = [1, 2, 3, 5, 6, 8, 10]  # one practice each: ranks (i + 0.5) / 7
    ranks = (np.arange(7) + 0.5) / 7
    expected_slope, expected_intercept = np.polyfit(ranks, values, 1)

    unweighted = slope_index(values, deciles)
    equal = slope_index(values, deciles, weights=[4321] * 7)
    for result in (unweighted, equal):
        assert result.sii == pytest.approx(expected_slope, rel=1e-12)
        assert result.intercept == pytest.approx(expected_intercept, rel=1e-12)
    assert unweighted.weighted is False
    assert equal.weighted is True


LOPSIDED = {  # decile 1 holds a small practice at 40 and a large one at 60
    "values": [40.0, 60.0, 55.0, 60.0, 65.0, 70.0],
    "deciles": [1, 1, 3, 5, 8, 10],
    "sizes": [1000, 9000, 5000, 5000, 5000, 5000],
}


def test_list_size_weights_act_like_counting_each_patient():
    # A list size of 9,000 counts like nine practices of 1,000 with the same value.
    values, deciles, sizes = LOPSIDED["values"], LOPSIDED["deciles"], LOPSIDED["sizes"]
    weighted = slope_index(values, deciles, weights=sizes)
    copies = [size // 1000 for size in sizes]
    replicated = slope_index(
        [v for v, k in zip(values, copies, strict=True) for _ in range(k)],
        [d for d, k in zip(deciles, copies, strict=True) for _ in range(k)],
    )
    assert weighted.sii == pytest.approx(replicated.sii, rel=1e-12)
    assert weighted.intercept == pytest.approx(replicated.intercept, rel=1e-12)


def test_list_size_weights_move_the_sii_towards_the_bigger_practice():
    # Decile 1 holds a small practice at 40 and a large one at 60. Counted equally, the
    # deprived end averages 50; weighted by list size it is pulled up towards 60, so the gap
    # to the least deprived end (70) narrows.
    values, deciles = LOPSIDED["values"], LOPSIDED["deciles"]
    unweighted = slope_index(values, deciles)
    weighted = slope_index(values, deciles, weights=LOPSIDED["sizes"])
    assert 0 < weighted.sii < unweighted.sii
    assert weighted.intercept > unweighted.intercept


def test_quintile_unit_fits_the_quintiles_list_size_weighted_means():
    values = [50.0, 54.0, 57.0, 61.0, 63.0, 66.0, 70.0, 71.0]
    deciles = [1, 2, 3, 4, 6, 7, 9, 10]
    sizes = [3000, 9000, 5000, 5000, 4000, 8000, 6000, 6000]
    result = slope_index(values, deciles, weights=sizes, unit="quintile")
    # deciles 1-2 -> quintile 1, 3-4 -> 2, 6 -> 3, 7 -> 4, 9-10 -> 5
    quintiles = [[0, 1], [2, 3], [4], [5], [6, 7]]
    means, pops = [], []
    for members in quintiles:
        pops.append(sum(sizes[i] for i in members))
        means.append(sum(values[i] * sizes[i] for i in members) / pops[-1])
    expected, *_ = phe_regression(pops, means)
    assert result.sii == pytest.approx(expected, rel=1e-12)
    assert [u.population for u in result.units] == pops
    assert result.n_units == 5
    assert result.df == 3


# --------------------------------------------------------------------------- sign and gaps


def test_positive_sii_means_higher_in_less_deprived_practices():
    # Rank 0 is the most deprived end (decile 1), rank 1 the least deprived (decile 10).
    rising = slope_index([50, 55, 60, 65, 70], [1, 3, 5, 7, 10])
    falling = slope_index([70, 65, 60, 55, 50], [1, 3, 5, 7, 10])
    assert rising.sii > 0
    assert falling.sii == pytest.approx(-rising.sii)
    assert rising.intercept < rising.least_deprived_value
    assert [u.group for u in rising.units] == [1, 3, 5, 7, 10]
    assert rising.units[0].relative_rank < rising.units[-1].relative_rank


def test_same_value_everywhere_gives_exactly_no_gradient():
    result = slope_index([70.0] * 5, [1, 3, 5, 7, 9], weights=[5000, 6000, 7000, 8000, 9000])
    assert result.sii == 0
    assert (result.ci_lower, result.ci_upper) == (0, 0)


def test_missing_values_deprivation_and_list_sizes_are_left_out_and_counted():
    values = [50, None, 55, float("nan"), 60, 65, 70, 58, 62]
    deciles = [1, 2, 4, 5, None, 8, 10, 3, 6]
    sizes = [5000, 5000, 5000, 5000, 5000, 0, 5000, 5000, 5000]
    result = slope_index(values, deciles, weights=sizes)
    complete = slope_index([50, 55, 70, 58, 62], [1, 4, 10, 3, 6], weights=[5000] * 5)
    assert result.sii == pytest.approx(complete.sii)
    assert (result.n_missing_value, result.n_missing_deprivation, result.n_no_population) == (
        2,
        1,
        1,
    )
    assert result.n_units == 5


def test_fewer_than_five_practices_is_unavailable_with_a_reason():
    # phe_sii: "Number of quantiles must be between 5 and 100" (R/SII_function.R 374-375).
    result = slope_index([50, 60, None, 57, 52], [1, 10, 5, 3, 2])
    assert isinstance(result, SiiResult)
    assert result.sii is None and not result.ok
    assert result.ci_lower is None and result.ci_upper is None
    assert result.reason == (
        "it needs at least 5 practices with a value, a deprivation decile and a list size, "
        "as PHE's method needs at least 5 places on the deprivation scale, and there are 4"
    )
    assert slope_index([50, 60, 55, 57, 52], [1, 10, 5, 3, 2]).ok


def test_practices_in_only_four_deciles_is_unavailable_with_a_reason():
    result = slope_index([50, 52, 60, 61, 55, 56], [1, 1, 10, 10, 5, 3])
    assert result.sii is None
    assert result.reason == (
        "it needs practices at at least 5 different deprivation deciles, as PHE's method "
        "does, and there are 4"
    )


def test_practices_at_only_four_imd_scores_is_unavailable_with_a_reason():
    result = slope_index([50, 52, 60, 61, 55, 56], imd_scores=[40, 40, 10, 10, 25, 30])
    assert result.sii is None
    assert result.reason == (
        "it needs practices at at least 5 different IMD scores, as PHE's method does, "
        "and there are 4"
    )


def test_too_few_quintiles_is_unavailable_with_a_reason():
    result = slope_index([50, 52, 57, 61, 63], [1, 2, 3, 4, 6], unit="quintile")
    assert result.sii is None
    assert result.reason == (
        "it needs at least 5 deprivation quintiles with a value and a population, as PHE's "
        "method needs at least 5 places on the deprivation scale, and there are 3"
    )


def test_no_data_at_all_is_unavailable_not_an_error():
    result = slope_index([], [])
    assert result.sii is None
    assert result.n_units == 0


def test_groups_with_no_value_are_dropped():
    values = list(PHE_AREA1["value"])
    values[4] = None
    result = slope_index_from_groups(values, PHE_AREA1["population"])
    kept = [i for i in range(10) if i != 4]
    expected, *_ = phe_regression(
        [PHE_AREA1["population"][i] for i in kept], [PHE_AREA1["value"][i] for i in kept]
    )
    assert result.sii == pytest.approx(expected, rel=1e-12)
    assert result.n_missing_value == 1
    assert result.input_unit == "decile"


@pytest.mark.parametrize(
    ("values", "deciles", "message"),
    [
        ([1, 2], [1], "imd_deciles has 1 entries for 2 values"),
        ([1, 2, 3], [1, 2, 11], "imd_deciles[2] must be a whole number from 1 to 10"),
        ([1, "x", 3], [1, 2, 3], "values[1] is not a number"),
    ],
)
def test_malformed_input_is_a_programming_error(values, deciles, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        slope_index(values, deciles)


# --------------------------------------------------------------------------- explanation


def explain(result, **kwargs):
    return explain_sii(
        result,
        measure_label=kwargs.pop("measure_label", "friends and family test % positive"),
        format_value=kwargs.pop("format_value", lambda v: f"{v:,.1f}"),
        **kwargs,
    )


def test_explains_a_significant_positive_gap_with_its_interval():
    result = slope_index([60, 62, 65, 70, 71, 75], [1, 2, 4, 6, 8, 10])
    assert result.ci_lower > 0
    sentences = explain(result, higher_is_better=True, unit="percentage points")
    low, high = f"{result.ci_lower:.1f}", f"{result.ci_upper:.1f}"
    assert sentences == [
        "From the most to the least deprived practices, friends and family test % positive "
        f"rises by {result.sii:.1f} percentage points.",
        f"The 95% confidence interval (regression residuals) is a rise of between {low} and "
        f"{high} percentage points, so friends and family test % positive is lower in more "
        "deprived areas.",
        "Higher is better for this measure, so more deprived areas are doing worse.",
        "The slope index of inequality is the difference between the least and the most "
        "deprived ends of the population, read from a straight line fitted across the "
        "practices ranked by IMD decile (practices in the same decile share one place), with "
        "every practice counted equally.",
        "The 95% confidence interval comes from how far the practices sit from the line "
        "(regression residuals): these figures have no standard error of their own.",
    ]


def test_explains_a_significant_negative_gap():
    result = slope_index(
        [9.0, 8.5, 7.0, 6.5, 5.0, 4.5], [1, 2, 4, 6, 8, 10], weights=[1, 2, 3, 4, 5, 6]
    )
    assert result.ci_upper < 0
    sentences = explain(result, measure_label="call waiting time", higher_is_better=False,
                        unit="minutes")  # fmt: skip
    assert sentences[0] == (
        "From the most to the least deprived practices, call waiting time falls by "
        f"{-result.sii:.1f} minutes."
    )
    assert sentences[1] == (
        "The 95% confidence interval (regression residuals) is a fall of between "
        f"{-result.ci_upper:.1f} and {-result.ci_lower:.1f} minutes, so call waiting time is "
        "higher in more deprived areas."
    )
    assert (
        sentences[2] == "Lower is better for this measure, so more deprived areas are doing worse."
    )
    assert sentences[3].endswith("each weighted by its registered list size.")


def test_explains_a_gap_that_could_be_chance():
    result = slope_index([70, 60, 75, 62, 71, 65], [1, 2, 4, 6, 8, 10])
    assert result.ci_lower < 0 < result.ci_upper
    sentences = explain(result, higher_is_better=True)
    assert sentences[0].startswith("From the most to the least deprived practices, ")
    assert sentences[1] == (
        "This could be due to chance: the 95% confidence interval (regression residuals) is "
        f"anywhere from a fall of {-result.ci_lower:.1f} to a rise of {result.ci_upper:.1f}, "
        "which includes no difference at all."
    )
    assert not any("doing worse" in s or "doing better" in s for s in sentences)


def test_explains_why_the_sii_is_unavailable_and_what_was_left_out():
    result = slope_index([50, 60, None, 55, 52, 58], [1, 10, 5, None, 3, 7])
    assert explain(result, higher_is_better=None) == [
        "The slope index of inequality for friends and family test % positive could not be "
        "calculated: it needs at least 5 practices with a value, a deprivation decile and a "
        "list size, as PHE's method needs at least 5 places on the deprivation scale, and "
        "there are 4.",
        "2 practices are left out: 1 with no value and 1 with no deprivation decile.",
    ]


def test_explains_practices_left_out_for_want_of_an_imd_score():
    result = slope_index(
        [50, 60, 55, 52, 58, 61], imd_scores=[40, 10, None, 30, 20, 15], weights=[5000] * 6
    )
    assert result.ok and result.ranked_by == "imd_score"
    sentences = explain(result, higher_is_better=None)
    assert "ranked by IMD score (practices with the same score share one place)" in sentences[-3]
    assert sentences[-1] == "1 practice is left out: 1 with no IMD score."


def test_neutral_measure_does_not_say_better_or_worse():
    result = slope_index([60, 62, 65, 70, 71, 75], [1, 2, 4, 6, 8, 10])
    sentences = explain(result, higher_is_better=None)
    assert len(sentences) == 4
    assert not any("better" in s for s in sentences)


# --------------------------------------------------------------------------- quintiles


@pytest.mark.parametrize(
    ("decile", "quintile"),
    [(1, 1), (2, 1), (3, 2), (4, 2), (5, 3), (6, 3), (7, 4), (8, 4), (9, 5), (10, 5)],
)
def test_deciles_pair_into_quintiles(decile, quintile):
    assert imd_quintile(decile) == quintile


@pytest.mark.parametrize("bad", [0, 11, 2.5, "3", True, None])
def test_imd_quintile_refuses_what_is_not_a_decile(bad):
    with pytest.raises(ValueError, match="decile must be a whole number from 1 to 10"):
        imd_quintile(bad)


def test_by_quintile_summarises_each_quintile_most_deprived_first():
    values = [50, 54, 58, None, 60, 64, 70, 72, 74]
    deciles = [1, 2, 2, 2, 3, 4, 9, 10, 10]
    sizes = [1000, 3000, 4000, 2000, 5000, 5000, 6000, 2000, 2000]
    summaries = by_quintile(values, deciles, weights=sizes)

    assert [s.quintile for s in summaries] == [1, 2, 3, 4, 5]
    assert [s.label for s in summaries] == [
        "IMD quintile 1 (most deprived)",
        "IMD quintile 2",
        "IMD quintile 3",
        "IMD quintile 4",
        "IMD quintile 5 (least deprived)",
    ]
    first = summaries[0]  # deciles 1 and 2: 50, 54, 58 and one practice with no value
    assert (first.n_practices, first.n_missing) == (3, 1)
    assert first.median == 54
    assert first.mean == pytest.approx(54)
    assert (first.minimum, first.maximum) == (50, 58)
    assert (first.q1, first.q3) == (52, 56)
    assert first.weighted_mean == pytest.approx((50 * 1000 + 54 * 3000 + 58 * 4000) / 8000)
    assert first.list_size == 8000

    second = summaries[1]
    assert second.n_practices == 2 and second.median == 62

    empty = summaries[2]  # nobody in deciles 5-6
    assert empty.n_practices == 0
    assert empty.median is None and empty.mean is None and empty.weighted_mean is None

    assert summaries[4].n_practices == 3 and summaries[4].median == 72


def test_by_quintile_adds_a_group_for_unknown_deprivation_only_when_needed():
    assert len(by_quintile([1, 2], [1, 10])) == 5
    summaries = by_quintile([1, 2, 3], [1, 10, None])
    assert len(summaries) == 6
    unknown = summaries[-1]
    assert unknown.quintile is None
    assert unknown.label == "IMD quintile not known"
    assert unknown.n_practices == 1 and unknown.median == 3
    assert unknown.weighted_mean is None  # no weights given


# Comparing two gaps (the ICB's beside England's) ---------------------------------------------


@pytest.mark.parametrize(
    ("ours", "theirs", "expected"),
    [
        ((2.0, 1.0, 3.0), (5.0, 4.5, 5.5), "narrower"),  # apart, and ours is smaller
        ((-8.0, -9.0, -7.0), (-5.0, -5.5, -4.5), "wider"),  # apart, and ours is larger
        ((4.0, 2.0, 6.0), (5.0, 4.8, 5.2), "similar"),  # the intervals overlap
        ((3.0, 2.9, 3.1), (3.2, 3.1, 3.3), "similar"),  # they touch: not shown apart
        ((2.0, 1.5, 2.5), (-6.0, -6.5, -5.5), "narrower"),  # opposite ways: by size
        ((2.0, None, None), (5.0, 4.5, 5.5), "similar"),  # no interval: cannot tell
    ],
)
def test_compare_gaps_says_narrower_similar_or_wider_by_size_and_interval(ours, theirs, expected):
    assert compare_gaps(ours, theirs) == expected


# Ranking by IMD score ------------------------------------------------------------------


def test_practices_are_ranked_by_imd_score_most_deprived_first():
    # Higher score = more deprived; the order given does not matter.
    values = [70.0, 50.0, 62.0, 55.0, 66.0]
    scores = [8.0, 45.0, 20.0, 33.0, 12.0]
    result = slope_index(values, imd_scores=scores, weights=[1000] * 5)
    assert result.ranked_by == "imd_score"
    assert [u.value for u in result.units] == [50.0, 55.0, 62.0, 66.0, 70.0]
    assert [u.relative_rank for u in result.units] == pytest.approx([0.1, 0.3, 0.5, 0.7, 0.9])
    assert [u.group for u in result.units] == [1, 2, 3, 4, 5]
    assert result.sii > 0


def test_equal_imd_scores_share_one_place_as_phe_ranks_ties():
    # phe_quantile ranks with ties.method = "min" (R/Quantiles.R 110-116): equal scores
    # are one rank, so the two practices at 30.0 share the midpoint of their joint slice.
    values = [50.0, 54.0, 58.0, 60.0, 64.0, 70.0]
    scores = [40.0, 30.0, 30.0, 20.0, 10.0, 5.0]
    sizes = [1000, 2000, 3000, 1000, 2000, 1000]
    result = slope_index(values, imd_scores=scores, weights=sizes)
    ranks = {u.index: u.relative_rank for u in result.units}
    assert ranks[1] == ranks[2] == pytest.approx(0.1 + 0.5 / 2)
    assert result.n_rank_groups == 5
    # ... which is the SII of the same practices grouped by score, as PHE would group them.
    grouped = slope_index(values, [1, 2, 2, 3, 4, 5], weights=sizes)
    assert result.sii == pytest.approx(grouped.sii, rel=1e-12)


def test_scores_not_deciles_decide_the_order_within_a_decile():
    # Two practices in decile 1: by decile they tie; by score the first is more deprived.
    values = [40.0, 60.0, 55.0, 60.0, 65.0, 70.0]
    deciles = [1, 1, 3, 5, 8, 10]
    scores = [60.0, 50.0, 35.0, 25.0, 12.0, 6.0]
    by_decile = slope_index(values, deciles, weights=[5000] * 6)
    by_score = slope_index(values, deciles, imd_scores=scores, weights=[5000] * 6)
    assert by_score.ranked_by == "imd_score" and by_decile.ranked_by == "imd_decile"
    assert by_score.n_rank_groups == 6 and by_decile.n_rank_groups == 5
    assert by_score.sii != pytest.approx(by_decile.sii)


# Practices' figures, the ICB's and England's alike ---------------------------------------


def test_counts_are_compared_as_rates_per_1000_registered_patients():
    # The same rate of home visits (2 per 1,000) at every practice, whatever its size:
    # no gap at all, though the counts rise with the list sizes.
    sizes = [2000, 4000, 6000, 8000, 10000, 12000]
    counts = [s * 2 / 1000 for s in sizes]
    scores = [50.0, 40.0, 30.0, 20.0, 10.0, 5.0]
    raw = slope_index(counts, imd_scores=scores, weights=sizes)
    assert raw.sii > 0  # what an SII of the raw count would (wrongly) say
    result = practices_slope_index(counts, list_sizes=sizes, imd_scores=scores, counts=True)
    assert result.per_patients == 1000
    assert result.sii == pytest.approx(0, abs=1e-12)
    assert result.ci_method == "simulation"
    assert result.ci_lower < 0 < result.ci_upper
    assert [u.value for u in result.units] == pytest.approx([2.0] * 6)


def test_a_rates_spread_is_phes_limits_of_its_count():
    # 30 home visits in each of 3 months at a practice of 6,000: a rate of 5 per 1,000 a
    # month, from 90 events over 18,000 patient-months (Byar's limits of 90).
    sizes, scores = [6000, 5000, 7000, 8000, 9000], [50.0, 40.0, 30.0, 20.0, 10.0]
    result = practices_slope_index(
        [30, 20, 35, 48, 45], list_sizes=sizes, imd_scores=scores, counts=True,
        periods=[3, 3, 3, 3, 3],
    )  # fmt: skip
    first = result.units[0]
    low, high = poisson_limits(90)
    assert first.value == pytest.approx(5.0)
    assert first.standard_error == pytest.approx((high - low) / 18 / Z_95 / 2)


def test_a_practice_with_no_events_keeps_its_rate_of_zero():
    sizes = [5000] * 6
    scores = [50.0, 40.0, 30.0, 20.0, 10.0, 5.0]
    counts = [0, 1, 3, 2, 5, 6]
    result = practices_slope_index(counts, list_sizes=sizes, imd_scores=scores, counts=True)
    assert result.ok and result.n_units == 6
    assert result.units[0].value == 0 and result.units[0].standard_error > 0
    # PHE's log transformation cannot take it: no SII, and why.
    logged = practices_slope_index(
        counts, list_sizes=sizes, imd_scores=scores, counts=True, transform=True
    )
    assert logged.sii is None
    assert "log scale" in logged.reason


def test_the_log_transformation_is_offered_for_rates():
    sizes = [5000, 6000, 7000, 8000, 9000, 10000]
    scores = [50.0, 40.0, 30.0, 20.0, 10.0, 5.0]
    counts = [10, 14, 20, 26, 33, 45]
    plain = practices_slope_index(counts, list_sizes=sizes, imd_scores=scores, counts=True)
    logged = practices_slope_index(
        counts, list_sizes=sizes, imd_scores=scores, counts=True, transform=True
    )
    assert (logged.value_type, logged.transform) == ("rate", True)
    assert logged.ci_lower < logged.sii < logged.ci_upper
    assert logged.sii == pytest.approx(plain.sii, rel=0.2)  # a curve, not the same line


def test_figures_other_than_counts_have_the_regression_interval_named():
    result = practices_slope_index(
        [60, 62, 65, 70, 71, 75], list_sizes=[5000] * 6, imd_deciles=[1, 2, 4, 6, 8, 10]
    )
    assert result.per_patients is None
    assert result.ci_method == "regression"
    assert result.interval_name == "95% confidence interval (regression residuals)"
    assert result.ranked_by == "imd_decile"  # no practice has a score


def test_a_count_with_no_list_size_is_left_out_for_want_of_one():
    result = practices_slope_index(
        [10, 12, 14, 16, 18, 20], list_sizes=[5000, 5000, None, 5000, 5000, 5000],
        imd_scores=[50.0, 40.0, 30.0, 20.0, 10.0, 5.0], counts=True,
    )  # fmt: skip
    assert (result.n_missing_value, result.n_no_population, result.n_units) == (0, 1, 5)


def test_quintile_medians_of_counts_are_rates_too():
    summaries = practices_by_quintile(
        [10, 30, 20, 40], list_sizes=[5000, 5000, 10000, 10000], imd_deciles=[1, 2, 9, 10],
        counts=True,
    )  # fmt: skip
    assert summaries[0].median == pytest.approx(4.0)  # 2 and 6 per 1,000
    assert summaries[4].median == pytest.approx(3.0)  # 2 and 4 per 1,000


def test_drawing_the_line_or_every_practice_gives_the_same_interval():
    # The refitted slope is linear in the draws, so drawing it from its exact normal
    # distribution and redrawing every practice (PHE's SimulationFunc) are the same random
    # variable: with 100,000 draws each the limits agree to well within 1% of the width.
    sizes = [5000, 6000, 7000, 8000, 9000, 10000, 4000]
    scores = [50.0, 40.0, 30.0, 20.0, 10.0, 5.0, 45.0]
    counts = [10, 14, 20, 26, 33, 45, 11]
    rates = rates_per_patients(counts, sizes)
    limits = [poisson_limits(c) for c in counts]
    common = {
        "imd_scores": scores, "weights": sizes,
        "lower_cls": [lo / s * 1000 for (lo, _), s in zip(limits, sizes, strict=True)],
        "upper_cls": [hi / s * 1000 for (_, hi), s in zip(limits, sizes, strict=True)],
    }  # fmt: skip
    line = slope_index(rates, **common)
    every = slope_index(rates, per_unit_draws=True, **common)
    width = line.ci_upper - line.ci_lower
    assert every.ci_lower == pytest.approx(line.ci_lower, abs=0.01 * width)
    assert every.ci_upper == pytest.approx(line.ci_upper, abs=0.01 * width)


# Refitting the same units by another method (England's SII by the page's choice) -------


COUNTS = {
    "values": [10, 14, 20, 26, 33, 45, 11],
    "list_sizes": [5000, 6000, 7000, 8000, 9000, 10000, 4000],
    "imd_scores": [50.0, 40.0, 30.0, 30.0, 10.0, 5.0, 45.0],  # two practices tied
}


def _same(a: SiiResult, b: SiiResult) -> None:
    assert (a.sii, a.ci_lower, a.ci_upper) == pytest.approx((b.sii, b.ci_lower, b.ci_upper))
    assert (a.ci_method, a.transform, a.value_type, a.repetitions, a.per_patients) == (
        b.ci_method, b.transform, b.value_type, b.repetitions, b.per_patients,
    )  # fmt: skip
    assert a.units == b.units
    assert (a.n_missing_value, a.n_no_population, a.ranked_by) == (
        b.n_missing_value, b.n_no_population, b.ranked_by,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("ci_method", "transform"), [("regression", False), ("simulation", True), (None, False)]
)
def test_refitting_rates_by_another_method_is_fitting_them_so(ci_method, transform):
    default = practices_slope_index(counts=True, **COUNTS)
    assert default.ci_method == "simulation" and not default.transform
    direct = practices_slope_index(counts=True, ci_method=ci_method, transform=transform, **COUNTS)
    _same(refit(default, ci_method=ci_method, transform=transform), direct)
    # ... and back again.
    _same(refit(direct), default)


def test_refitting_groups_with_standard_errors_is_fitting_them_so():
    area = PHE_AREA1
    given = {"standard_errors": area["se"]}
    default = slope_index_from_groups(area["value"], area["population"], **given)
    for method in ("regression", "known_se"):
        direct = slope_index_from_groups(
            area["value"], area["population"], ci_method=method, **given
        )
        _same(refit(default, ci_method=method), direct)


def test_refitting_figures_with_no_spread_cannot_simulate_or_transform():
    figures = practices_slope_index(
        [60, 62, 65, 70, 71, 75], list_sizes=[5000] * 6, imd_deciles=[1, 2, 4, 6, 8, 10]
    )
    assert refit(figures, ci_method="regression") == figures
    with pytest.raises(ValueError, match="needs standard errors or confidence limits"):
        refit(figures, ci_method="simulation")
    with pytest.raises(ValueError, match="only counts"):
        practices_slope_index(
            [60, 62, 65, 70, 71, 75], list_sizes=[5000] * 6,
            imd_deciles=[1, 2, 4, 6, 8, 10], transform=True,
        )  # fmt: skip


def test_refitting_too_few_practices_is_still_too_few_by_the_method_chosen():
    few = practices_slope_index(
        [10, 12, 14], list_sizes=[5000] * 3, imd_scores=[50.0, 40.0, 30.0], counts=True
    )
    again = refit(few, ci_method="regression")
    assert again.sii is None and again.reason == few.reason
    assert again.ci_method == "regression" and again.repetitions is None


def test_refitting_into_the_log_when_a_practice_has_no_events_says_why_not():
    zero = dict(COUNTS, values=[0, 14, 20, 26, 33, 45, 11])
    default = practices_slope_index(counts=True, **zero)
    assert default.ok
    logged = refit(default, ci_method="simulation", transform=True)
    assert logged.sii is None and "log scale" in logged.reason
    _same(refit(logged), default)  # its practices are kept, to be taken again as they are


def test_a_rates_interval_names_the_method_chosen_and_the_transform():
    default = practices_slope_index(counts=True, **COUNTS)
    assert default.method_label == "PHE simulation, 100,000 draws"
    regression = practices_slope_index(counts=True, ci_method="regression", **COUNTS)
    assert regression.method_label == "regression residuals"
    assert regression.has_spread
    words = explain_sii(regression, measure_label="calls", higher_is_better=None)
    assert words[-1] == (
        "The 95% confidence interval comes from how far the practices sit from the line "
        "(regression residuals), not from the confidence limits of each practice's own "
        "rate (PHE's simulation)."
    )
    logged = practices_slope_index(counts=True, transform=True, **COUNTS)
    assert logged.method_label == "PHE simulation, 100,000 draws, fitted to the log of each rate"
    words = explain_sii(logged, measure_label="calls", higher_is_better=None)
    assert "on the log scale" in words[-1]
    assert "The line was fitted to the log of each rate (PHE's transform)" in words[-1]
