"""The slope index of inequality against PHE's own test cases.

Every case of PHEindicatormethods' tests/testthat/testSII.R (commit 093fd28) that checks
figures is run here on the same rows of PHE's test data (tests/fixtures/phe/, copied
unchanged) with the same arguments, and compared as testthat compares them: the SII, RII
and intercept are deterministic, so they must agree to 1e-9; the confidence limits come
from a simulation, so they must agree within PHE's own tolerance, ``tol <- 0.05``
(testSII.R line 6), applied as testthat's third edition applies ``expect_equal(...,
tolerance = tol)`` to a data frame: column by column, the mean absolute difference over
the areas divided by the mean absolute expected value must be below 5% (waldo's
``num_equal``). PHE runs its cases with 10,000 repetitions (``no_reps``, line 10) except
the one at 100,000; so do these, both with the exact bivariate-normal draw of the refitted
line (the default) and with every group redrawn as PHE's SimulationFunc does.

PHE's limits of a rate (phe_rate: exact Poisson below 10 events, Byar's from 10) and of a
proportion (Wilson) are checked against testdata_Rate.xlsx and testdata_Byars_Wilson.xlsx
to testthat's default tolerance (1.5e-8).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from python_calamine import CalamineWorkbook

from monitor.analysis.equity import (
    DEFAULT_REPETITIONS,
    byars_limits,
    poisson_limits,
    slope_index,
    slope_index_from_groups,
    wilson_limits,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "phe"
TOLERANCE = 0.05  # testSII.R line 6: tol <- 0.05
NO_REPS = 10_000  # testSII.R line 10: no_reps <- 10000
R_DEFAULT_TOLERANCE = 1.5e-8  # testthat 3e: sqrt(.Machine$double.eps)


@cache
def sheet(name: str, tab: str) -> list[dict[str, object]]:
    rows = CalamineWorkbook.from_path(str(FIXTURES / name)).get_sheet_by_name(tab).to_python()
    header = rows[0]
    return [dict(zip(header, row, strict=True)) for row in rows[1:]]


def sii_rows(first: int, last: int) -> list[dict[str, object]]:
    """Data rows ``first``..``last`` of testdata_SII.xlsx, counted from 1 as R does."""
    return sheet("testdata_SII.xlsx", "testdata_SII")[first - 1 : last]


def waldo_close(actual: list[float], expected: list[float], tolerance: float) -> bool:
    """testthat 3e / waldo ``num_equal``: equal where equal; else the mean absolute
    difference, relative to the mean absolute expected value when that exceeds the
    tolerance, must be below the tolerance."""
    x, y = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    same = x == y
    if same.all():
        return True
    x, y = x[~same], y[~same]
    difference = float(np.mean(np.abs(x - y)))
    scale = float(np.mean(np.abs(y)))
    if math.isfinite(scale) and scale > tolerance:
        difference /= scale
    return difference < tolerance


@dataclass(frozen=True)
class PheCase:
    """One expect_equal of testSII.R: the rows phe_sii is given, its arguments, and the
    rows and columns of expected output."""

    line: int
    rows: tuple[int, int]
    expected_rows: tuple[int, ...]
    value_type: str = "normal"
    spread: str = "se"  # "se": StandardError; "cl": LowerCL/UpperCL; "x": Count and CLs
    confidence: tuple[float, ...] = (0.95,)
    transform: bool = False
    multiplier: float = 1.0
    rii: bool = True
    intercept: bool = False
    repetitions: int = NO_REPS
    sii_only: bool = False
    kwargs: dict[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"testSII.R:{self.line}"


CASES = [
    PheCase(50, (1, 20), (1, 11)),  # default with SE provided
    PheCase(63, (1, 20), (1, 11), spread="cl"),  # default with CLs provided
    PheCase(77, (1, 20), (246, 256), spread="cl", intercept=True),
    PheCase(94, (1, 10), (1,), spread="cl"),  # ungrouped: one area
    PheCase(108, (21, 40), (21, 31), spread="cl", confidence=(0.99,)),
    PheCase(123, (21, 40), (21, 31), confidence=(0.99,)),  # 99 given as a percentage
    PheCase(137, (226, 245), (226, 236), confidence=(0.95, 0.99)),
    PheCase(151, (41, 60), (41, 51), repetitions=100_000),
    PheCase(164, (61, 70), (61, 66), sii_only=True),  # quintiles: only the SII is known
    PheCase(181, (71, 90), (71, 81), value_type="rate"),
    PheCase(195, (71, 90), (71, 81), value_type="rate", spread="cl"),
    PheCase(209, (71, 90), (266, 276), value_type="rate", spread="cl", intercept=True),
    PheCase(224, (306, 325), (306, 316), "rate", "cl", transform=True, intercept=True),
    PheCase(
        240, (386, 405), (386, 396), "rate", "cl", transform=True, multiplier=-1, intercept=True
    ),  # fmt: skip
    PheCase(
        257, (406, 425), (406, 416), "rate", "cl", (0.98,), transform=True, intercept=True
    ),  # fmt: skip
    PheCase(
        274, (366, 385), (366, 376), "rate", "cl", (0.95, 0.98), transform=True, intercept=True
    ),  # fmt: skip
    PheCase(291, (426, 445), (426, 436), "rate", "cl", transform=True, rii=False),
    PheCase(312, (91, 110), (91, 101), value_type="proportion"),
    PheCase(326, (91, 110), (91, 101), value_type="proportion", spread="cl"),
    PheCase(340, (91, 110), (91, 101), value_type="proportion", spread="x"),
    # testSII.R line 354 gives these proportions value_type = 1 (a rate), and so does this.
    PheCase(354, (91, 110), (286, 296), value_type="rate", spread="cl", intercept=True),
    PheCase(369, (111, 130), (111, 121), "proportion", "cl", multiplier=100),
    PheCase(384, (111, 130), (111, 121), "proportion", "cl", multiplier=100, rii=False),
    PheCase(399, (131, 150), (131, 141), "proportion", "cl", multiplier=-100),
    PheCase(414, (131, 150), (131, 141), "proportion", "cl", multiplier=-100, rii=False),
    PheCase(429, (326, 345), (326, 336), "proportion", "cl", transform=True, intercept=True),
    PheCase(
        445,
        (346, 365),
        (346, 356),
        "proportion",
        "cl",
        transform=True,
        multiplier=-1,
        intercept=True,
    ),  # fmt: skip
    PheCase(
        462, (466, 485), (466, 476), "proportion", "cl", (0.98,), transform=True, intercept=True
    ),  # fmt: skip
    PheCase(
        479,
        (486, 505),
        (486, 496),
        "proportion",
        "cl",
        (0.95, 0.98),
        transform=True,
        intercept=True,
    ),  # fmt: skip
    PheCase(496, (446, 465), (446, 456), "proportion", "cl", transform=True, rii=False),
]

LIMIT_COLUMNS = {  # confidence position -> (sii lower, sii upper, rii lower, rii upper)
    0: ("sii_lowercl_1", "sii_uppercl_1", "rii_lowercl_1", "rii_uppercl_1"),
    1: ("sii_lowercl_2", "sii_uppercl_2", "rii_lowercl_2", "rii_uppercl_2"),
}


def areas(case: PheCase) -> list[list[dict[str, object]]]:
    """The case's rows split into its areas (PHE's grouping), in order."""
    found: dict[tuple[object, ...], list[dict[str, object]]] = {}
    for row in sii_rows(*case.rows):
        found.setdefault((row["Area"], row["Grouping1"], row["Grouping2"]), []).append(row)
    return list(found.values())


def run(case: PheCase, group: list[dict[str, object]], confidence: float, *, per_unit: bool):
    spread: dict[str, object] = {}
    if case.spread == "se":
        spread["standard_errors"] = [r["StandardError"] for r in group]
    else:
        spread["lower_cls"] = [r["LowerCL"] for r in group]
        spread["upper_cls"] = [r["UpperCL"] for r in group]
    values = [r["Value"] for r in group]
    if case.spread == "x":
        values, spread["numerators"] = None, [r["Count"] for r in group]
    return slope_index_from_groups(
        values,
        [r["Population"] for r in group],
        value_type=case.value_type,
        transform=case.transform,
        multiplier=case.multiplier,
        confidence=confidence,
        repetitions=case.repetitions,
        per_unit_draws=per_unit,
        unit="quintile" if len(group) == 5 else "decile",
        **spread,
    )


@pytest.mark.parametrize("per_unit", [False, True], ids=["line-drawn", "every-group-drawn"])
@pytest.mark.parametrize("case", CASES, ids=str)
def test_phe_sii_test_cases_are_reproduced_within_phes_tolerance(case, per_unit):
    expected = [sii_rows(r, r)[0] for r in case.expected_rows]
    results = {
        c: [run(case, group, c, per_unit=per_unit) for group in areas(case)]
        for c in case.confidence
    }
    assert len(results[case.confidence[0]]) == len(expected)
    first = results[case.confidence[0]]
    assert [r.sii for r in first] == pytest.approx([e["sii"] for e in expected], rel=1e-9)
    if case.sii_only:
        return
    if case.rii:
        assert [r.rii for r in first] == pytest.approx([e["rii"] for e in expected], rel=1e-9)
    if case.intercept:
        assert [r.intercept for r in first] == pytest.approx(
            [e["Intercept"] for e in expected], rel=1e-9
        )
    for position, confidence in enumerate(case.confidence):
        lower, upper, rii_lower, rii_upper = LIMIT_COLUMNS[position]
        got = results[confidence]
        columns = [("ci_lower", lower), ("ci_upper", upper)]
        if case.rii:
            columns += [("rii_ci_lower", rii_lower), ("rii_ci_upper", rii_upper)]
        for attribute, column in columns:
            actual = [getattr(r, attribute) for r in got]
            wanted = [e[column] for e in expected]
            assert waldo_close(actual, wanted, TOLERANCE), (column, actual, wanted)


def test_phe_sii_defaults_are_phes():
    # R/SII_function.R: repetitions = 100000, confidence = 0.95, value_type = 0.
    group = areas(CASES[0])[0]
    result = slope_index_from_groups(
        [r["Value"] for r in group],
        [r["Population"] for r in group],
        standard_errors=[r["StandardError"] for r in group],
    )
    assert DEFAULT_REPETITIONS == 100_000
    assert (result.ci_method, result.repetitions, result.confidence) == (
        "simulation", 100_000, 0.95,
    )  # fmt: skip
    assert result.interval_name == "95% confidence interval (PHE simulation)"


def test_a_seed_gives_the_same_limits_again():
    # testSII.R lines 18-40: set.seed(5) twice, 1,000 repetitions, the same results.
    group = areas(CASES[0])[0]
    kwargs = {"standard_errors": [r["StandardError"] for r in group], "repetitions": 1000}
    values, pops = [r["Value"] for r in group], [r["Population"] for r in group]
    first = slope_index_from_groups(values, pops, seed=5, **kwargs)
    again = slope_index_from_groups(values, pops, seed=5, **kwargs)
    other = slope_index_from_groups(values, pops, seed=6, **kwargs)
    assert (first.ci_lower, first.ci_upper) == (again.ci_lower, again.ci_upper)
    assert (first.ci_lower, first.ci_upper) != (other.ci_lower, other.ci_upper)


def test_fewer_than_five_quantiles_give_no_sii():
    # testSII.R line 724: rows 1:3 -> "Number of quantiles must be between 5 and 100"
    # (R/SII_function.R lines 374-375). Here: no SII, and the reason.
    for rows in ((1, 3), (1, 4)):
        group = sii_rows(*rows)
        result = slope_index_from_groups(
            [r["Value"] for r in group],
            [r["Population"] for r in group],
            standard_errors=[r["StandardError"] for r in group],
        )
        assert result.sii is None
        assert result.reason.startswith("it needs at least 5 deprivation deciles")
    five = sii_rows(1, 5)
    assert slope_index_from_groups([r["Value"] for r in five], [r["Population"] for r in five]).ok


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"transform": True, "value_type": "normal"}, "value_type should be rate or proportion"),
        (
            {"transform": True, "value_type": "rate", "standard_errors": [0.1] * 10},
            "transform needs lower_cls and upper_cls",
        ),  # fmt: skip
        ({"repetitions": 999, "standard_errors": [0.1] * 10}, "at least 1000"),
    ],
)
def test_phe_sii_argument_errors(kwargs, message):
    # testSII.R, "errors are generated when invalid parameters are entered".
    group = sii_rows(71, 80)
    with pytest.raises(ValueError, match=message):
        slope_index_from_groups(
            [r["Value"] for r in group], [r["Population"] for r in group], **kwargs
        )


def test_a_rate_of_zero_cannot_be_drawn_on_the_log_scale():
    values = [0.0, 2.0, 3.0, 4.0, 5.0]
    result = slope_index_from_groups(
        values, [100] * 5, value_type="rate", lower_cls=[0, 1, 2, 3, 4],
        upper_cls=[1, 3, 4, 5, 6],
    )  # fmt: skip
    assert result.sii is None
    assert "log scale" in result.reason


# --------------------------------------------------------------------------- limits


@pytest.mark.parametrize("row", range(1, 7))
def test_byars_limits_match_phe(row):
    # testByars.R: testdata_Byars_Wilson.xlsx rows 1-6 (95% and 99.8%).
    case = sheet("testdata_Byars_Wilson.xlsx", "testdata_B_W")[row - 1]
    confidence = float(str(case["confidence"]).rstrip("%")) / 100
    lower, upper = byars_limits(case["x"], confidence)
    assert (lower, upper) == pytest.approx(
        (case["lowercl"], case["uppercl"]), rel=R_DEFAULT_TOLERANCE
    )


@pytest.mark.parametrize("row", range(7, 13))
def test_wilson_limits_match_phe(row):
    # testWilson.R: testdata_Byars_Wilson.xlsx rows 7-12.
    case = sheet("testdata_Byars_Wilson.xlsx", "testdata_B_W")[row - 1]
    confidence = float(str(case["confidence"]).rstrip("%")) / 100
    lower, upper = wilson_limits(case["x"], case["n"], confidence)
    assert (lower, upper) == pytest.approx(
        (case["lowercl"], case["uppercl"]), rel=R_DEFAULT_TOLERANCE
    )


@pytest.mark.parametrize("row", range(1, 9))
def test_rate_limits_match_phe_rate(row):
    # testRates.R "test multiplier": testdata_Rate.xlsx rows 1-8 (rates per 100), exact
    # limits below 10 events and Byar's from 10, at 95% and 99.8%.
    case = sheet("testdata_Rate.xlsx", "testdata_Rate")[row - 1]
    per = case["multiplier"] / case["Denominator"]
    for confidence, low, high in (
        (0.95, "lower95_0cl", "upper95_0cl"),
        (0.998, "lower99_8cl", "upper99_8cl"),
    ):
        lower, upper = poisson_limits(case["Numerator"], confidence)
        assert (lower * per, upper * per) == pytest.approx(
            (case[low], case[high]), rel=R_DEFAULT_TOLERANCE
        ), (row, confidence)


def test_no_events_have_an_exact_upper_limit():
    # qchisq(0.975, 2) / 2 = -log(0.025): R gives 3.688879.
    assert poisson_limits(0) == pytest.approx((0.0, -math.log(0.025)), rel=1e-12)


# --------------------------------------------------------------------------- practices


def test_practices_ranked_by_score_match_phe_on_groups_of_one():
    # Ten practices with distinct IMD scores are PHE's ten quantiles in score order:
    # the SII and simulated interval of slope_index equal slope_index_from_groups'.
    group = sii_rows(1, 10)
    scores = [40.0 - 3 * i for i in range(10)]  # most deprived first
    practices = slope_index(
        [r["Value"] for r in reversed(group)],
        imd_scores=list(reversed(scores)),
        weights=[r["Population"] for r in reversed(group)],
        standard_errors=[r["StandardError"] for r in reversed(group)],
    )
    groups = slope_index_from_groups(
        [r["Value"] for r in group],
        [r["Population"] for r in group],
        standard_errors=[r["StandardError"] for r in group],
    )
    assert practices.ranked_by == "imd_score"
    assert practices.sii == pytest.approx(groups.sii, rel=1e-12)
    assert (practices.ci_lower, practices.ci_upper) == pytest.approx(
        (groups.ci_lower, groups.ci_upper), rel=1e-12
    )
