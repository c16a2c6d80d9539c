"""Verdicts that never contradict their chart (issue 14): one set of limits per
statement, limits recalculated at an intervention after a sustained change, and words
that name the periods compared.

Making Data Count ("Making Data Count: strengthening your decisions", NHS England and
NHS Improvement, 2019, pp. 46-47 on recalculating limits) judges a change against limits
fixed on a baseline and recalculates them only once a change is sustained: a shift or a
trend, not a single point outside the limits.
"""

from __future__ import annotations

from datetime import date

import pytest

from monitor.analysis import spc
from monitor.core.checklist import Frequency, load_template
from monitor.core.periods import Period
from monitor.demo.records import TEMPLATE_PATH
from monitor.models import Intervention
from monitor.services import evidence
from monitor.services.evidence import Strength

TEMPLATE = load_template(TEMPLATE_PATH)
WAIT = TEMPLATE.items_by_id["call_answer_time"]  # lower is better, a duration
FFT = TEMPLATE.items_by_id["fft_positive_pct"]  # higher is better, a percentage
LEAVERS = TEMPLATE.items_by_id["staff_leavers"]  # quarterly

BASELINE = [290, 305, 280, 300, 310, 295, 285, 300, 290, 305, 295, 300]  # 2021/22
BETWEEN = [300, 290, 295, 305, 285, 300, 290, 310, 295, 300, 285, 295,  # 2022/23
           300, 290, 305, 295, 285, 300]  # April to September 2023  # fmt: skip
AFTER = [130, 125, 120, 135, 118, 122, 128, 119, 131, 124, 120, 126,
         127, 121, 133, 118, 125, 129]  # October 2023 onwards  # fmt: skip
TELEPHONY = Intervention(
    practice_id=1,
    occurred_on=date(2023, 9, 12),
    title="Cloud telephony live",
    affected_items=["call_answer_time"],
)


def series(item, first: str, values) -> evidence.Series:
    period = Period.parse(first)
    periods = []
    for _ in values:
        periods.append(period)
        period = period.next()
    return evidence.Series(item, periods, list(values))


def judged(item=WAIT, values=None, **options) -> evidence.Evidence:
    values = BASELINE + BETWEEN + AFTER if values is None else values
    options.setdefault("interventions", [TELEPHONY])
    return evidence.evidence_for(series(item, "2021-04", values), baseline_year=2021, **options)


def test_a_step_change_after_an_intervention_is_charted_in_two_phases():
    result = judged()
    october = Period.parse("2023-10")
    assert result.split == october and result.split_event is TELEPHONY
    assert result.rebased_at == october
    groups = result.chart.groups
    assert len(groups) == 2
    # The first phase's limits are the baseline year's, extended up to the intervention.
    baseline_only = spc.xmr(BASELINE)
    first, second = result.chart.group_limits(0), result.chart.group_limits(1)
    assert first.mean == baseline_only.limits.mean
    assert (first.lpl, first.upl) == (baseline_only.limits.lpl, baseline_only.limits.upl)
    assert groups.iloc[0]["last_period"] == Period.parse("2023-09")
    # The second phase's are its own.
    assert second.mean == spc.r_mean(AFTER)
    assert second.upl == spc.xmr(AFTER).limits.upl
    assert result.rebase_note == (
        "The figures since “Cloud telephony live” (September 2023) show a sustained change "
        "against the 2021/22 limits, so the chart recalculates its mean and limits from "
        "October 2023 (Making Data Count's advice): each phase has its own."
    )
    assert "Rebased at October 2023" in result.chart.describe()
    assert "limits fixed on the 12 baseline points from April 2021 to March 2022" in (
        result.chart.describe()
    )


def test_the_verdict_names_the_periods_compared_and_is_the_charts():
    result = judged()
    assert result.strength is Strength.IMPROVEMENT
    assert result.verdict == (
        "Average time to answer calls has improved since “Cloud telephony live” (September "
        "2023): a mean of 2:05 against the 2021/22 average of 4:56, and 12 of the last 12 "
        "months below it."
    )
    assert result.compared == (
        "October 2023 to March 2025 compared with 2021/22 (April 2021 to March 2022)"
    )
    assert result.latest_against_baseline == (
        "Latest: 2:09 (March 2025), -2:47 compared with the 2021/22 average of 4:56."
    )
    # The comparison's limits are those the chart draws for the baseline's phase.
    compared, drawn = result.comparison.chart.group_limits(0), result.chart.group_limits(0)
    assert (compared.mean, compared.lpl, compared.upl) == (drawn.mean, drawn.lpl, drawn.upl)
    assert result.comparison.baseline_mean == spc.r_mean(BASELINE)
    assert result.comparison.since_mean == spc.r_mean(AFTER)


def test_rebasing_can_be_turned_off_and_the_verdict_stays():
    on, off = judged(), judged(auto_rebase=False)
    assert off.rebased_at is None and len(off.chart.groups) == 1
    assert off.rebase_note is None
    assert off.verdict == on.verdict
    # Without the rebase the chart is the comparison's own.
    assert off.comparison.chart is off.chart


def test_a_person_can_move_the_rebase_point():
    moved = judged(auto_rebase=False, rebase_at=(Period.parse("2024-01"),))
    assert moved.rebased_at is None
    assert list(moved.chart.groups["first_period"]) == [
        Period.parse("2021-04"),
        Period.parse("2024-01"),
    ]


def test_a_single_point_outside_the_limits_is_no_reason_to_rebase():
    after = [300, 290, 150, 295, 305, 290, 300, 285]
    result = judged(values=BASELINE + BETWEEN + after)
    assert result.comparison.shift_detected  # the point at 150 is outside
    assert result.rebased_at is None
    assert len(result.chart.groups) == 1


def test_no_rebase_without_an_intervention_to_rebase_at():
    result = judged(interventions=[])
    assert result.split == Period.parse("2022-04") and result.split_event is None
    assert result.rebased_at is None


def test_never_got_worse_when_the_latest_figure_is_better_than_the_baseline():
    # A spike well above the limits (a concern), then figures back below the baseline's
    # average: the mean since is worse, the latest figure is better.
    after = [900, 280, 285, 270, 275, 280, 270, 265]
    result = judged(values=BASELINE + BETWEEN + after)
    assert "concern" in set(result.comparison.signals["category"])
    assert result.comparison.difference > 0  # the mean since is higher: worse
    assert result.latest_value < result.baseline_mean  # the latest is better
    assert result.strength is Strength.CHANGE
    assert "got worse" not in result.verdict and "improved" not in result.verdict
    assert "neither better nor worse" in result.verdict


def test_never_improved_when_the_latest_figure_is_worse_than_the_baseline():
    after = [120, 300, 310, 305, 300, 310, 305, 302]
    result = judged(values=BASELINE + BETWEEN + after)
    assert "improvement" in set(result.comparison.signals["category"])
    assert result.latest_value > result.baseline_mean
    assert result.strength is not Strength.IMPROVEMENT
    assert "improved" not in result.verdict


def test_common_cause_variation_is_no_change():
    after = [300, 290, 295, 305, 285, 300, 290, 310]
    result = judged(values=BASELINE + BETWEEN + after)
    assert not result.comparison.shift_detected
    assert result.strength is Strength.NO_CHANGE
    assert result.verdict == (
        "No significant change yet: Average time to answer calls since “Cloud telephony "
        "live” (September 2023) is within the range expected from the 2021/22 baseline."
    )


def test_a_rising_friends_and_family_score_has_improved_even_after_a_dip():
    baseline = [78, 79, 77, 78, 80, 78, 77, 79, 78, 78, 79, 77]
    after = [60, 84, 85, 86, 84, 85, 86, 85, 84, 86]  # one concern, then a sustained rise
    event = Intervention(
        practice_id=1, occurred_on=date(2022, 3, 1), title="Call-back", affected_items=[FFT.id]
    )
    result = judged(item=FFT, values=baseline + after, interventions=[event])
    assert set(result.comparison.signals["category"]) == {"improvement", "concern"}
    assert result.strength is Strength.IMPROVEMENT
    assert result.verdict.startswith(
        "Friends and Family Test positive has improved since “Call-back” (March 2022): a "
        "mean of 82.5% against the 2021/22 average of 78.2%"
    )
    assert result.fmt_change(result.comparison.difference) == "+4.3 percentage points"


def test_a_quarterly_series_of_fewer_than_13_points_is_not_enough_points_yet():
    assert LEAVERS.frequency is Frequency.QUARTERLY
    values = [1, 2, 1, 2, 6, 7, 6, 7]  # a 2021/22 baseline, then a big rise
    result = evidence.evidence_for(
        series(LEAVERS, "2021-22-q1", values), baseline_year=2021, interventions=[]
    )
    assert result.strength is Strength.TOO_FEW
    assert result.verdict.startswith("Not enough points yet: 8 quarters of figures so far.")
    assert "13" in result.verdict and "run chart" in result.verdict
    # The card's numbers stay (they are figures, not a judgement).
    assert result.baseline_mean == 1.5 and result.latest_value == 7


def test_a_mean_of_counts_keeps_a_decimal_place():
    values = [1, 2, 1, 2] + [1, 2, 1, 1, 6, 7, 6, 7, 6, 7, 6, 7, 6]
    result = evidence.evidence_for(
        series(LEAVERS, "2021-22-q1", values), baseline_year=2021, interventions=[]
    )
    assert "the 2021/22 average of 1.5" in result.verdict
    assert "The 2021/22 baseline has only 4 points, so its limits are trial limits." in (
        result.verdict
    )


@pytest.mark.parametrize("choice", [None, "intervention"])
def test_the_compared_intervention_can_be_chosen(choice):
    earlier = Intervention(
        practice_id=1,
        occurred_on=date(2022, 6, 1),
        title="Extra receptionist",
        affected_items=["call_answer_time"],
    )
    result = judged(
        interventions=[earlier, TELEPHONY],
        compare_from=earlier if choice else None,
    )
    expected = earlier if choice else TELEPHONY  # by default the latest
    assert result.split_event is expected
    assert result.split == evidence.split_after(expected, Frequency.MONTHLY)
