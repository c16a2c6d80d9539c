from datetime import date

import pytest

from monitor.core.checklist import Frequency
from monitor.core.periods import Period, financial_year_of, periods_in_year

M, Q, A = Frequency.MONTHLY, Frequency.QUARTERLY, Frequency.ANNUAL


@pytest.mark.parametrize(
    ("day", "fy"),
    [(date(2025, 3, 31), 2024), (date(2025, 4, 1), 2025), (date(2026, 1, 15), 2025)],
)
def test_financial_year_turns_on_1_april(day, fy):
    assert financial_year_of(day) == fy


@pytest.mark.parametrize(
    ("day", "frequency", "label", "code"),
    [
        (date(2025, 4, 1), Q, "2025/26 Q1", "2025-26-q1"),
        (date(2025, 6, 30), Q, "2025/26 Q1", "2025-26-q1"),
        (date(2025, 7, 1), Q, "2025/26 Q2", "2025-26-q2"),
        (date(2026, 3, 31), Q, "2025/26 Q4", "2025-26-q4"),
        (date(2026, 3, 31), M, "March 2026", "2026-03"),
        (date(2026, 3, 31), A, "2025/26", "2025-26"),
        (date(2026, 4, 1), A, "2026/27", "2026-27"),
        (date(1999, 12, 1), A, "1999/00", "1999-00"),
    ],
)
def test_periods_follow_the_nhs_financial_year(day, frequency, label, code):
    period = Period.containing(day, frequency)
    assert (period.label, period.code) == (label, code)
    assert Period.parse(code) == period
    assert period.contains(day)


def test_quarter_dates_cross_the_new_year():
    q4 = Period(Q, 2025, 4)
    assert (q4.start, q4.end) == (date(2026, 1, 1), date(2026, 3, 31))
    assert q4.long_label == "2025/26 Q4 (January to March 2026)"
    assert q4.next() == Period(Q, 2026, 1)
    assert Period(Q, 2026, 1).previous() == q4


def test_months_roll_over_the_april_boundary():
    march = Period.containing(date(2026, 3, 10), M)
    assert (march.fy, march.number) == (2025, 12)
    assert march.next().label == "April 2026"
    assert march.next().fy == 2026
    assert march.end == date(2026, 3, 31)


def test_latest_complete_period_is_the_one_before_today():
    today = date(2026, 11, 23)
    assert Period.latest_complete(today, M).label == "October 2026"
    assert Period.latest_complete(today, Q).label == "2026/27 Q2"
    assert Period.latest_complete(today, A).label == "2025/26"
    assert Period.latest_complete(date(2026, 4, 1), A).label == "2025/26"


def test_a_year_has_twelve_months_four_quarters():
    months = periods_in_year(2025, M)
    assert [m.label for m in months[:2]] == ["April 2025", "May 2025"]
    assert months[-1].label == "March 2026"
    assert len(periods_in_year(2025, Q)) == 4
    assert periods_in_year(2025, A) == [Period(A, 2025, 1)]


def test_periods_sort_by_start_date():
    periods = [Period(M, 2025, 2), Period(Q, 2024, 4), Period(M, 2024, 12)]
    assert [p.code for p in sorted(periods)] == ["2024-25-q4", "2025-03", "2025-05"]


@pytest.mark.parametrize(
    "code", ["2025-13", "2025-27", "2025-26-q5", "25-26", "2025/26", "", "2025-26-Q1x"]
)
def test_bad_period_codes_are_refused(code):
    with pytest.raises(ValueError):
        Period.parse(code)
