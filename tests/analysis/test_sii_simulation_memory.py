"""The SII's Monte Carlo interval drawn a batch at a time and its order statistics kept
from the tails only (monitor.analysis.equity: `_draws`, `_Tails`): the same interval as
drawing all 100,000 repetitions at once and sorting them, in a fraction of the memory
(the ICB workbook computes 16 slope indices in one request; bench/README.md)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.analysis import equity
from monitor.analysis.equity import _positions, _Tails

VALUES = st.floats(allow_nan=True, allow_infinity=True, width=64)


@settings(max_examples=300, deadline=None)
@given(
    values=st.lists(VALUES, min_size=1, max_size=400),
    batch=st.integers(min_value=1, max_value=60),
    confidence=st.sampled_from([0.5, 0.8, 0.95, 0.998]),
)
def test_the_tails_give_the_order_statistics_a_full_sort_gives(values, batch, confidence):
    data = np.array(values)
    low, high = _positions(data.size, confidence)
    tails = _Tails(data.size, low, high)
    for start in range(0, data.size, batch):
        tails.add(data[start : start + batch])
    ordered = np.sort(data)  # NaN last
    expected = (ordered[low - 1], ordered[high - 1])
    assert np.array_equal(np.array(tails.result()), np.array(expected), equal_nan=True)


def test_the_tails_keep_a_few_thousand_values_not_every_repetition():
    low, high = _positions(100_000, 0.95)
    tails = _Tails(100_000, low, high)
    rng = np.random.default_rng(7)
    for _ in range(100):
        tails.add(rng.standard_normal(1_000))
    assert tails.smallest.size + tails.largest.size == 2 * 2_500 + 1


CASES = [
    {"value_type": "normal"},  # the coefficients drawn as a bivariate normal
    {"value_type": "normal", "per_unit_draws": True},
    {"value_type": "rate"},  # every unit drawn and turned back
    {"value_type": "rate", "multiplier": -100.0},
    {"value_type": "proportion", "transform": True},
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: "-".join(map(str, case.values())))
def test_the_interval_does_not_depend_on_how_many_values_are_drawn_at_once(monkeypatch, case):
    rng = np.random.default_rng(3)
    if case["value_type"] == "proportion":
        values = list(rng.uniform(0.2, 0.8, 10))
    else:
        values = list(rng.uniform(5, 50, 10))
    spread = (
        {"lower_cls": [v * 0.8 for v in values], "upper_cls": [v * 1.2 for v in values]}
        if case.get("transform")
        else {"standard_errors": list(rng.uniform(0.05, 0.2, 10))}
    )
    populations = list(rng.integers(1_000, 20_000, 10).astype(float))

    def interval():
        found = equity.slope_index_from_groups(
            values, populations, ci_method="simulation", **spread, **case
        )
        return [found.ci_lower, found.ci_upper, found.rii_ci_lower, found.rii_ci_upper]

    results = []
    for budget in (10**7, equity._DRAW_BUDGET, 1_000):  # all at once, as shipped, tiny
        monkeypatch.setattr(equity, "_DRAW_BUDGET", budget)
        results.append(interval())
    assert results[0][0] < results[0][1]
    for found in results[1:]:
        # Equal but for the last bits a matrix product's blocking may change.
        assert found == pytest.approx(results[0], rel=1e-12, nan_ok=True)
