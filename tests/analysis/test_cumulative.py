"""Increments of year-to-date totals (monitor.analysis.cumulative).

The property tests run a seeded random generator over many series (hypothesis is not a
dependency of this project) and say which property each case checks.
"""

from __future__ import annotations

import math
import random

import pytest

from monitor.analysis.cumulative import increments
from monitor.core.checklist import Frequency
from monitor.core.periods import Period, periods_in_year

MONTHLY, QUARTERLY = Frequency.MONTHLY, Frequency.QUARTERLY


def quarters(fy: int, *numbers: int) -> list[Period]:
    return [Period(QUARTERLY, fy, n) for n in numbers]


# --------------------------------------------------------------------------- examples


def test_each_quarter_gives_its_rise_and_q1_its_own_value():
    assert increments(quarters(2024, 1, 2, 3, 4), [10, 25, 40, 60]) == [10, 15, 15, 20]


def test_april_starts_again_from_zero_rather_than_from_march():
    periods = [Period.parse(code) for code in ("2025-02", "2025-03", "2025-04", "2025-05")]
    assert increments(periods, [70, 80, 5, 12]) == [None, 10, 5, 7]


def test_the_first_quarter_of_a_year_needs_nothing_from_the_year_before():
    periods = quarters(2023, 3, 4) + quarters(2024, 1, 2)
    assert increments(periods, [None, None, 12, 30]) == [None, None, 12, 18]


def test_a_missing_value_costs_its_own_increment_and_the_next_one():
    assert increments(quarters(2024, 1, 2, 3, 4), [10, None, 40, 60]) == [10, None, None, 20]
    assert increments(quarters(2024, 1, 2, 3, 4), [None, 25, 40, 60]) == [None, None, 15, 20]


def test_a_period_whose_previous_one_is_not_given_has_no_increment():
    # a series that starts in Q3 cannot say how much of Q3's total came in Q3
    assert increments(quarters(2024, 3, 4), [40, 60]) == [None, 20]
    assert increments(quarters(2024, 1, 3), [10, 40]) == [10, None]


def test_a_fall_is_kept_as_a_negative_increment():
    assert increments(quarters(2024, 1, 2, 3, 4), [10, 25, 22, 30]) == [10, 15, -3, 8]


def test_nan_is_a_missing_value():
    assert increments(quarters(2024, 1, 2, 3), [10, math.nan, 40]) == [10, None, None]


def test_periods_may_come_in_any_order():
    periods = quarters(2024, 4, 1, 3, 2)
    assert increments(periods, [60, 10, 40, 25]) == [20, 10, 15, 15]


def test_no_periods_give_no_increments():
    assert increments([], []) == []


@pytest.mark.parametrize(
    ("periods", "values", "message"),
    [
        (quarters(2024, 1, 2), [10], "2 periods but 1 values"),
        (quarters(2024, 1, 1), [10, 20], "each period may appear only once"),
        (
            [Period(QUARTERLY, 2024, 1), Period(MONTHLY, 2024, 2)],
            [10, 20],
            "all monthly or all quarterly",
        ),
        ([Period(Frequency.ANNUAL, 2024, 1)], [10], "all monthly or all quarterly"),
    ],
)
def test_periods_that_are_not_one_series_are_an_error(periods, values, message):
    with pytest.raises(ValueError, match=message):
        increments(periods, values)


# --------------------------------------------------------------------------- properties


def random_series(rng: random.Random) -> tuple[list[Period], list[float | None]]:
    """A few consecutive financial years of a year-to-date total, monthly or quarterly,
    mostly rising with the odd correction down, some values missing, some periods
    left out."""
    frequency = rng.choice([MONTHLY, QUARTERLY])
    first_year = rng.randint(2019, 2026)
    periods: list[Period] = []
    values: list[float | None] = []
    for fy in range(first_year, first_year + rng.randint(1, 3)):
        total = 0.0
        for period in periods_in_year(fy, frequency):
            total += rng.choice([rng.uniform(0, 20), rng.uniform(-3, 0), 0.0])
            if rng.random() < 0.1:
                continue  # not in the series at all
            periods.append(period)
            values.append(None if rng.random() < 0.1 else round(total, rng.choice([0, 1, 2])))
    return periods, values


CASES = 400


def test_property_a_complete_years_increments_add_up_to_its_last_total():
    rng = random.Random(14)
    checked = 0
    for _ in range(CASES):
        periods, values = random_series(rng)
        result = dict(zip(periods, increments(periods, values), strict=True))
        known = dict(zip(periods, values, strict=True))
        for fy in {p.fy for p in periods}:
            year = periods_in_year(fy, periods[0].frequency)
            if all(known.get(p) is not None for p in year):
                checked += 1
                running = 0.0
                for period in year:  # and every running total along the way
                    running += result[period]
                    assert running == pytest.approx(known[period], abs=1e-9)
    assert checked > 50


def test_property_increments_never_span_financial_years():
    rng = random.Random(15)
    for _ in range(CASES):
        periods, values = random_series(rng)
        together = dict(zip(periods, increments(periods, values), strict=True))
        for fy in {p.fy for p in periods}:
            alone = [(p, v) for p, v in zip(periods, values, strict=True) if p.fy == fy]
            year_periods = [p for p, _ in alone]
            by_year = increments(year_periods, [v for _, v in alone])
            assert [together[p] for p in year_periods] == by_year


def test_property_an_increment_is_missing_exactly_where_it_cannot_be_known():
    rng = random.Random(16)
    for _ in range(CASES):
        periods, values = random_series(rng)
        known = {p: v for p, v in zip(periods, values, strict=True) if v is not None}
        for period, increment in zip(periods, increments(periods, values), strict=True):
            if period not in known:
                assert increment is None
            elif period.number == 1:
                assert increment == known[period]
            elif period.previous() not in known:
                assert increment is None
            else:
                assert increment == known[period] - known[period.previous()]


def test_property_the_order_of_the_periods_does_not_matter():
    rng = random.Random(17)
    for _ in range(CASES):
        periods, values = random_series(rng)
        expected = dict(zip(periods, increments(periods, values), strict=True))
        order = list(range(len(periods)))
        rng.shuffle(order)
        shuffled = increments([periods[i] for i in order], [values[i] for i in order])
        assert shuffled == [expected[periods[i]] for i in order]
