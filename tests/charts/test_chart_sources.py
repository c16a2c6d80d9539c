"""Where a chart's values came from: NHS England's published figures drawn as squares,
the practice's own as circles, footnotes naming the publications, a dotted line where
the definition changed, and alt text that says both."""

from __future__ import annotations

import numpy as np
import pytest

from monitor.charts import RunChartSpec, alt_text, chart_key, render_svg, run_chart, spc_chart
from tests.charts.test_charts import (
    chart_axes,
    drawn,
    legend_labels,
    make_spec,
    svg_words,
)

NOTE = (
    "Squares are NHS England's published figures (12 of 48): April 2025 to March "
    "2026: Cloud Based Telephony (12 publications). Circles were entered by the practice."
)
CHANGE = "From April 2025 the definition changed: CBT's missed calls."
IMPORTED = [False] * 36 + [True] * 12


def sourced_spec(**overrides):
    return make_spec(imported=IMPORTED, notes=[NOTE, CHANGE], definition_change=36, **overrides)


def shapes(ax, prefix):
    return {
        line.get_marker()
        for line in ax.lines
        if line.get_label().startswith(prefix) and len(line.get_xdata())
    }


def test_published_figures_are_squares_and_the_practices_circles():
    spec = sourced_spec()
    ax = chart_axes(spc_chart(spec))

    assert shapes(ax, "_imported_points_") == {"s"}
    assert shapes(ax, "_points_") == {"o"}
    squares = np.concatenate(
        [line.get_xdata() for line in ax.lines if line.get_label().startswith("_imported_")]
    )
    assert sorted(squares.tolist()) == list(range(36, 48))
    circles = np.concatenate(
        [line.get_xdata() for line in ax.lines if line.get_label().startswith("_points_")]
    )
    assert sorted(circles.tolist()) == list(range(36))


def test_the_legend_and_footnotes_say_where_values_came_from_and_where_the_definition_changed():
    fig = spc_chart(sourced_spec())
    ax = chart_axes(fig)

    assert "Square: NHS England's published figure" in legend_labels(fig)
    assert "Definition changed" in legend_labels(fig)
    (line,) = drawn(ax, "_definition_change")
    assert line.get_xdata()[0] == pytest.approx(35.5)
    words = svg_words(render_svg(fig))
    assert NOTE in words
    assert CHANGE in words


def test_a_run_chart_keeps_the_sources():
    spec = RunChartSpec.from_spc(sourced_spec())
    assert spec.imported == tuple(IMPORTED)
    assert spec.notes == (NOTE, CHANGE)
    assert spec.definition_change == 36
    fig = run_chart(spec)
    ax = chart_axes(fig)
    assert shapes(ax, "_imported_points_common_cause") == {"s"}
    assert NOTE in svg_words(render_svg(fig))


def test_a_chart_of_the_practices_own_figures_is_unchanged():
    fig = spc_chart(make_spec())
    ax = chart_axes(fig)
    assert shapes(ax, "_imported_points_") == set()
    assert "Square: NHS England's published figure" not in legend_labels(fig)
    assert "NHS England" not in alt_text(make_spec())


def test_alt_text_says_how_many_values_are_published_and_where_the_definition_changed():
    spec = sourced_spec()
    assert spec.period_labels[36] == "April 2025"
    assert alt_text(spec).endswith(
        "12 of the 48 values are NHS England's published figures (drawn as squares). "
        "The definition changed from April 2025."
    )
    everything = alt_text(make_spec(imported=[True] * 48))
    assert "All 48 values are NHS England's published figures" in everything


def test_the_sources_are_part_of_the_chart_key():
    assert chart_key(make_spec()) != chart_key(make_spec(imported=IMPORTED))
    assert chart_key(sourced_spec()) != chart_key(make_spec(imported=IMPORTED))


@pytest.mark.parametrize(
    "bad",
    [{"imported": [True] * 3}, {"definition_change": 48}, {"definition_change": -1}],
)
def test_sources_that_do_not_fit_the_periods_are_refused(bad):
    with pytest.raises(ValueError):
        make_spec(**bad)
