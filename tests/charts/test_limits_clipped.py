"""Limits inside what is possible, and axes in round numbers (issue 14).

NHSRplotthedots draws a limit where it is computed, even below 0 for a count or above
100 for a percentage; our charts draw it at the bound and say so under the chart, while
the result (and so every table and sentence) keeps the computed value."""

from functools import partial

import numpy as np
import pytest

from monitor.analysis.spc import xmr
from monitor.charts import (
    DURATION_TICK_STEPS,
    RunChartSpec,
    SpcChartSpec,
    alt_text,
    run_chart,
    spc_chart,
)
from monitor.core.checklist import ItemType
from monitor.core.formatting import duration, item_value
from monitor.core.periods import Period
from tests.charts.test_charts import chart_axes, drawn, monthly_periods, render_svg, svg_words

HOME_VISITS = [0, 3, 1, 0, 5, 0, 2, 1, 0, 4, 0, 1, 2, 0, 6, 1, 0, 2, 2, 1, 0, 3, 0, 1]
"""A small monthly count: its lower process limit is computed below zero."""
FFT = [99.0, 100.0, 96.0, 100.0, 98.0, 100.0, 97.0, 99.5, 100.0, 95.5, 100.0, 98.5] * 2
"""A percentage near 100: its upper process limit is computed above 100."""


def count_spec(values=HOME_VISITS, **overrides) -> SpcChartSpec:
    periods = monthly_periods(len(values))
    options = {
        "title": "Home visits",
        "y_label": "visits",
        "result": xmr(values, periods=periods, improvement="increase"),
        "period_labels": [p.label for p in periods],
        "format_value": partial(item_value, item_type=ItemType.COUNT),
        "value_floor": 0.0,
    }
    return SpcChartSpec(**{**options, **overrides})


def percent_spec(values=FFT, **overrides) -> SpcChartSpec:
    periods = monthly_periods(len(values))
    options = {
        "title": "Friends and Family Test: positive",
        "y_label": "%",
        "result": xmr(values, periods=periods, improvement="increase"),
        "period_labels": [p.label for p in periods],
        "format_value": partial(item_value, item_type=ItemType.PERCENT),
        "value_floor": 0.0,
        "value_ceiling": 100.0,
    }
    return SpcChartSpec(**{**options, **overrides})


def limit_levels(fig) -> list[float]:
    return sorted({float(y) for line in drawn(chart_axes(fig), "_limit") for y in line.get_ydata()})


def test_a_counts_lower_limit_below_zero_is_drawn_at_zero_and_said_so():
    spec = count_spec()
    computed = spec.result.limits
    assert computed.lpl < 0  # the case: R would draw it below the axis

    fig = spc_chart(spec)

    assert limit_levels(fig) == [0.0, pytest.approx(computed.upl)]
    words = svg_words(render_svg(fig))
    shown = item_value(computed.lpl, ItemType.COUNT)
    assert (
        f"The lower process limit is below 0 ({shown}), which cannot happen: it is drawn at 0."
    ) in words
    # The label at the end of the line keeps the computed value.
    assert f"Lower limit {shown}" in words
    # The result, and so the table, the CSV and the sentences, keep the computed value.
    assert spec.result.limits.lpl == computed.lpl
    assert f"process limits {shown} to" in alt_text(spec)
    assert "(the lower drawn at 0, the lowest possible)" in alt_text(spec)


def test_the_label_of_a_clipped_limit_sits_on_its_line():
    fig = spc_chart(count_spec())
    ax = chart_axes(fig)
    (label,) = [t for t in ax.texts if t.get_text().startswith("Lower limit")]
    assert label.get_position()[1] == 0.0


def test_a_percentages_upper_limit_above_100_is_drawn_at_100_and_said_so():
    spec = percent_spec()
    computed = spec.result.limits
    assert computed.upl > 100

    fig = spc_chart(spec)

    assert max(limit_levels(fig)) == 100.0
    assert chart_axes(fig).get_ylim()[1] <= 100.0
    words = svg_words(render_svg(fig))
    shown = item_value(computed.upl, ItemType.PERCENT)
    assert (
        f"The upper process limit is above 100% ({shown}), which cannot happen: it is drawn "
        "at 100%."
    ) in words
    assert "(the upper drawn at 100%, the highest possible)" in alt_text(spec)


def test_the_two_sigma_line_is_clipped_with_its_limit():
    spec = count_spec(show_inner_lines=True)
    inner = spec.result.limits.inner_lower
    assert inner < 0

    fig = spc_chart(spec)

    levels = {float(y) for line in drawn(chart_axes(fig), "_inner_line") for y in line.get_ydata()}
    assert min(levels) == 0.0
    words = svg_words(render_svg(fig))
    assert f"as is the two-sigma line beside it ({item_value(inner, ItemType.COUNT)})." in words


def test_trial_limits_and_rebased_groups_are_each_named():
    values = HOME_VISITS + [v + 20 for v in HOME_VISITS[:10]]
    periods = monthly_periods(len(values))
    spec = count_spec(
        values,
        result=xmr(values, periods=periods, improvement="increase", rebase_at=[periods[24]]),
        period_labels=[p.label for p in periods],
    )

    words = svg_words(render_svg(spc_chart(spec)))

    assert f"The lower process limit from {periods[0].label} is below 0" in words
    # The second group's limits (10 points: trial limits) are well above zero.
    assert f"from {periods[24].label} is below" not in words


def test_trial_limits_are_called_trial_limits():
    words = svg_words(render_svg(spc_chart(count_spec(HOME_VISITS[:10]))))
    assert "The lower trial limit is below 0" in words


def test_limits_inside_the_range_are_drawn_where_they_are_and_not_mentioned():
    values = [40.0 + (i % 5) for i in range(24)]
    spec = count_spec(values)
    fig = spc_chart(spec)
    limits = spec.result.limits
    assert limit_levels(fig) == [pytest.approx(limits.lpl), pytest.approx(limits.upl)]
    assert "which cannot happen" not in svg_words(render_svg(fig))
    assert "drawn at" not in alt_text(spec)


def test_an_unbounded_figure_is_drawn_as_computed():
    spec = count_spec(value_floor=None)
    assert min(limit_levels(spc_chart(spec))) == pytest.approx(spec.result.limits.lpl)
    assert "which cannot happen" not in svg_words(render_svg(spc_chart(spec)))


# --------------------------------------------------------------------------- round ticks


def y_tick_values(fig) -> list[float]:
    ax = chart_axes(fig)
    bottom, top = ax.get_ylim()
    return [t for t in ax.get_yticks() if bottom - 1e-9 <= t <= top + 1e-9]


def duration_spec(low: float, high: float) -> SpcChartSpec:
    values = [low + (high - low) * i / 23 for i in range(24)]
    periods = monthly_periods(24)
    return SpcChartSpec(
        title="Average time to answer calls",
        y_label="minutes:seconds",
        result=xmr(values, periods=periods, improvement="decrease"),
        period_labels=[p.label for p in periods],
        format_value=duration,
        y_tick_steps=DURATION_TICK_STEPS,
    )


@pytest.mark.parametrize(
    ("low", "high", "step"),
    [
        (100, 200, 60),  # a call-wait chart from 0: 0:00, 1:00, 2:00, 3:00, never 1:40
        (0, 400, 120),
        (0, 1000, 300),
        (0, 2400, 600),
    ],
)
def test_duration_axes_tick_at_whole_minutes(low, high, step):
    ticks = y_tick_values(spc_chart(duration_spec(low, high)))
    assert len(ticks) >= 3
    assert all(t % 60 == 0 for t in ticks), [duration(t) for t in ticks]
    assert np.allclose(np.diff(ticks), step), [duration(t) for t in ticks]


def test_a_call_wait_axis_never_reads_1_40_or_3_20():
    fig = spc_chart(duration_spec(110, 300))
    labels = [t.get_text() for t in chart_axes(fig).get_yticklabels()]
    assert "1:40" not in labels and "3:20" not in labels
    assert "1:00" in labels and "2:00" in labels


def test_a_narrow_duration_axis_ticks_at_fractions_of_a_minute():
    ticks = y_tick_values(spc_chart(duration_spec(20, 45)))
    assert len(ticks) >= 3
    step = ticks[1] - ticks[0]
    assert step in (30, 15, 10, 5)  # every whole minute on the axis is still a tick


def test_a_counts_axis_ticks_at_whole_numbers():
    values = [0, 1, 0, 2, 1, 0, 1, 3, 0, 1, 2, 0] * 2
    periods = monthly_periods(len(values))
    fig = spc_chart(count_spec(values, result=xmr(values, periods=periods, improvement="increase")))
    ticks = y_tick_values(fig)
    assert all(float(t).is_integer() for t in ticks), ticks


def test_a_run_chart_of_counts_ticks_at_whole_numbers_too():
    spec = RunChartSpec(
        title="Staff leavers",
        y_label="people",
        period_labels=[p.label for p in monthly_periods(5, Period.parse("2024-04"))],
        values=[0, 1, 3, 1, 2],
        format_value=partial(item_value, item_type=ItemType.COUNT),
    )
    assert all(float(t).is_integer() for t in y_tick_values(run_chart(spec)))
