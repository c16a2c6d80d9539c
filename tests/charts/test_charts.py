"""Server-side charts (monitor.charts): what a person sees in the SVG/PNG, and that
practice-entered text can neither break a chart nor inject anything into it."""

from __future__ import annotations

import re
import struct
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date

import numpy as np
import pytest
from defusedxml import ElementTree
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.lines import Line2D
from matplotlib.text import Text

from monitor.analysis.spc import xmr
from monitor.charts import (
    DURATION_TICK_STEPS,
    NARROW_WIDTH_IN,
    ComparisonSeries,
    Marker,
    RunChartSpec,
    SpcChartSpec,
    allocation_chart,
    alt_text,
    bar_chart,
    chart_key,
    clean_text,
    compact_money,
    render_png,
    render_svg,
    run_chart,
    size_px,
    sparkline,
    spc_chart,
)
from monitor.charts.sparkline import DOT_RADIUS_PX
from monitor.charts.style import MARKER_LINE, MEAN_LINE, POINT_EDGE, POINT_FILL, VALUE_LINE
from monitor.charts.trend import WIDTH_IN
from monitor.core.checklist import Frequency
from monitor.core.formatting import duration
from monitor.core.periods import Period

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = [
    "$$",
    "$\\frac{1}{0}$",
    "{{ 7*7 }}",
    "<script>alert(1)</script>",
    "&",
    "Gujarati: ગુજરાતી",
    "x" * 300,
    "_starts with an underscore",
    "bell\x07 null\x00 surrogate\ud800 override\u202e end",
    "]]><svg onload=alert(1)>",
]


# --------------------------------------------------------------------------- helpers


def monthly_periods(count: int, first: Period | None = None) -> list[Period]:
    periods = [first or Period(Frequency.MONTHLY, 2022, 1)]
    while len(periods) < count:
        periods.append(periods[-1].next())
    return periods


def call_wait_values(count: int = 48, step_at: int = 30) -> list[float | None]:
    """Seconds to answer, about 2:30 until ``step_at`` and about 1:50 after it."""
    rng = np.random.default_rng(20)
    return [float(round((150 if i < step_at else 110) + rng.normal(0, 10))) for i in range(count)]


def make_spec(values: list[float | None] | None = None, **overrides) -> SpcChartSpec:
    values = call_wait_values() if values is None else values
    periods = monthly_periods(len(values))
    options = {
        "title": "Average time to answer calls",
        "y_label": "Time to answer (m:ss)",
        "result": xmr(values, periods=periods, improvement="decrease"),
        "period_labels": [p.label for p in periods],
        "period_starts": [p.start for p in periods],
        "format_value": duration,
        "y_tick_steps": DURATION_TICK_STEPS,
    }
    options.update(overrides)
    return SpcChartSpec(**options)


def svg_root(svg: bytes):
    return ElementTree.fromstring(svg)


def svg_texts(svg: bytes) -> list[str]:
    """Each <text> element's words, as a person reads them."""
    return [" ".join("".join(el.itertext()).split()) for el in svg_root(svg).iter(f"{SVG}text")]


def svg_words(svg: bytes) -> str:
    """All the chart's text run together, so wrapped notes read as sentences."""
    return " ".join(svg_texts(svg))


def legend_labels(fig) -> list[str]:
    return [t.get_text() for legend in all_legends(fig) for t in legend.get_texts()]


def all_legends(fig):
    return [a for f in [fig, *fig.subfigs] for a in f.legends]


def chart_axes(fig):
    (ax,) = [a for f in fig.subfigs for a in f.axes]
    return ax


def drawn(ax, label: str) -> list[Line2D]:
    """The lines the chart tagged with ``label`` (tags start with "_": not in the legend)."""
    return [line for line in ax.lines if line.get_label() == label]


def png_size(png: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", png[16:24])
    return width, height


# --------------------------------------------------------------------------- hostile text


@pytest.mark.parametrize("text", HOSTILE)
def test_practice_text_renders_literally_and_injects_nothing(text):
    periods = monthly_periods(24)
    spec = make_spec(
        call_wait_values(24, step_at=12),
        title=text,
        y_label=text,
        period_labels=[f"{p.label} {text}" if i == 23 else p.label for i, p in enumerate(periods)],
        markers=[Marker(label=text, at=5), Marker(label=f"{text} again", at=date(2023, 1, 9))],
        comparisons=[ComparisonSeries(name=text, values=[140.0] * 24)],
    )

    fig = spc_chart(spec)
    svg = render_svg(fig)
    png = render_png(fig)

    root = svg_root(svg)  # well-formed XML
    tags = {element.tag.removeprefix(SVG).lower() for element in root.iter()}
    assert "script" not in tags
    assert "foreignobject" not in tags
    assert not [name for el in root.iter() for name in el.attrib if name.lower().startswith("on")]
    assert png.startswith(PNG_SIGNATURE)
    # The title is drawn as typed (cleaned of invisible characters), not as mathtext.
    cleaned = clean_text(text)
    words = svg_words(svg)
    assert " ".join(cleaned[:40].split()) in words
    assert alt_text(spec).startswith("SPC chart of ")


def test_dollar_signs_and_braces_survive_as_typed():
    spec = make_spec(title="Spend $100 vs $$ {{ 7*7 }} & <b>", markers=[Marker("$\\alpha$", 3)])
    texts = svg_texts(render_svg(spc_chart(spec)))
    assert "Spend $100 vs $$ {{ 7*7 }} & <b>" in texts
    assert any("1 $\\alpha$ (July 2022)" in t for t in texts)


def test_clean_text_drops_what_xml_cannot_hold_and_keeps_underscored_labels_visible():
    assert clean_text("a\x00b\x07c\ud800d\u202ee\nf") == "abc?de f"
    assert clean_text("_hidden").lstrip("\u200b") == "_hidden"
    assert not clean_text("_hidden").startswith("_")
    assert clean_text("one two three four", max_chars=10) == "one two…"
    assert clean_text("ગુજરાતી\u200dx") == "ગુજરાતી\u200dx"  # joiners shape Indic text


# --------------------------------------------------------------------------- determinism


def test_same_input_gives_byte_identical_svg():
    first = render_svg(spc_chart(make_spec()))
    second = render_svg(spc_chart(make_spec()))
    assert first == second
    assert b"<dc:date>" not in first


def test_rendering_one_figure_twice_gives_the_same_bytes():
    fig = spc_chart(make_spec())
    assert render_svg(fig) == render_svg(fig)
    assert render_png(fig) == render_png(fig)


def test_different_values_change_the_svg_and_the_key():
    values = call_wait_values()
    changed = [*values[:-1], values[-1] + 30]
    spec, other = make_spec(values), make_spec(changed)
    assert render_svg(spc_chart(spec)) != render_svg(spc_chart(other))
    assert chart_key(spec) != chart_key(other)
    assert chart_key(spec) == chart_key(make_spec(values))
    assert chart_key(values, "svg") != chart_key(values, "png")


def test_chart_key_is_sha256_hex_of_typed_values():
    key = chart_key([1.0, None, float("nan")], date(2025, 4, 1), Period(Frequency.MONTHLY, 2025, 1))
    assert len(key) == 64 and int(key, 16) >= 0
    assert chart_key(1) != chart_key(1.0) != chart_key("1") != chart_key(True)
    assert chart_key({"a": 1, "b": 2}) == chart_key({"b": 2, "a": 1})


def test_chart_key_refuses_what_it_cannot_identify():
    with pytest.raises(TypeError, match="module-level function"):
        chart_key(make_spec(format_value=lambda v: f"{v:.0f}"))
    with pytest.raises(TypeError):
        chart_key(object())


# --------------------------------------------------------------------------- gaps


def test_a_missing_period_breaks_the_line_and_is_counted_under_the_chart():
    values = call_wait_values(24, step_at=40)
    values[10] = None
    fig = spc_chart(make_spec(values))

    (line,) = drawn(chart_axes(fig), "_values")
    assert np.isnan(line.get_ydata()[10])  # NaN: matplotlib leaves a gap, never joins
    words = svg_words(render_svg(fig))
    assert (
        "1 of 24 periods has no figure: it is left as a gap, the line is not joined across it "
        "and no moving range is taken between its neighbours;" in words
    )


def test_several_gaps_are_counted():
    values = call_wait_values(30, step_at=40)
    values[3] = values[4] = values[20] = None
    words = svg_words(render_svg(spc_chart(make_spec(values))))
    assert "3 of 30 periods have no figure: each is left as a gap" in words


def test_comparison_gaps_break_the_comparison_line():
    comparison = [140.0] * 24
    comparison[5] = None
    fig = spc_chart(
        make_spec(
            call_wait_values(24, 40), comparisons=[ComparisonSeries("PCN median", comparison)]
        )
    )
    (line,) = drawn(chart_axes(fig), "_comparison_0")
    assert np.isnan(line.get_ydata()[5])


# --------------------------------------------------------------------------- short series


def test_short_series_states_trial_limits_on_the_chart():
    fig = spc_chart(make_spec(call_wait_values(9)))
    words = svg_words(render_svg(fig))
    assert "Trial limits: fewer than 13 points" in words
    assert "Trial limits" in legend_labels(fig)
    assert "Process limits" not in legend_labels(fig)


def test_run_chart_shows_values_and_median_for_a_short_series():
    spec = RunChartSpec.from_spc(make_spec(call_wait_values(9)))
    fig = run_chart(spec)
    svg = render_svg(fig)
    words = svg_words(svg)
    assert "Run chart: 9 values are too few for process limits, which need at least 13" in words
    assert legend_labels(fig)[:2] == ["Value", "Median"]
    median = np.median(call_wait_values(9))
    assert any(t == f"Median {duration(median)}" for t in svg_texts(svg))
    assert alt_text(spec).startswith("Run chart of Average time to answer calls")
    assert render_png(fig).startswith(PNG_SIGNATURE)


# --------------------------------------------------------------------------- what is drawn


def test_markers_baseline_target_and_comparisons_are_drawn_and_labelled():
    spec = make_spec(
        markers=[
            Marker("Cloud telephony", at=30),
            Marker("Extra receptionist", at=date(2024, 11, 14)),
            Marker("Before the chart", at=date(2020, 1, 1)),
            Marker("Text reminders", at=40),
        ],
        baseline=(0, 23),
        target=120,
        comparisons=[
            ComparisonSeries("PCN median", [140.0] * 48),
            ComparisonSeries("ICB median", [135.0] * 48),
        ],
    )
    fig = spc_chart(spec)
    ax = chart_axes(fig)

    markers = drawn(ax, "_marker")
    assert len(markers) == 3  # the marker before the first period is not drawn
    assert all(line.get_color() == MARKER_LINE for line in markers)
    assert [line.get_xdata()[0] for line in markers] == pytest.approx([29.5, 30.5 + 13 / 30, 39.5])
    labels = legend_labels(fig)
    for expected in ("Baseline", "Target (2:00)", "PCN median", "ICB median", "Mean"):
        assert expected in labels
    assert len(drawn(ax, "_comparison_1")) == 1
    (target,) = drawn(ax, "_target")
    assert target.get_ydata()[0] == 120

    words = svg_words(render_svg(fig))
    assert (
        "Interventions: 1 Cloud telephony (October 2024); 2 Extra receptionist "
        "(14 November 2024); 3 Text reminders (August 2025)." in words
    )
    assert "Before the chart" not in words
    numbered = {t.get_text() for t in ax.texts}
    assert {"1, 2", "3"} <= numbered  # close markers share one label
    assert "Target 2:00" in numbered


def test_baseline_shading_spans_the_baseline_periods():
    fig = spc_chart(make_spec(baseline=(2, 13)))
    ax = chart_axes(fig)
    (span,) = [patch for patch in ax.patches if patch.get_label() == "_baseline"]
    box = span.get_path().transformed(span.get_patch_transform()).get_extents()
    assert (box.x0, box.x1) == pytest.approx((1.5, 13.5))
    assert "Baseline" in legend_labels(fig)


def test_points_are_coloured_by_making_data_count_category():
    spec = make_spec()
    fig = spc_chart(spec)
    fills = {
        line.get_markerfacecolor()
        for line in chart_axes(fig).lines
        if line.get_label().startswith("_points_")
    }
    categories = set(spec.result.points["category"].dropna()) - {"None"}
    assert {POINT_FILL[c] for c in categories} == fills
    assert "Special cause: improvement" in legend_labels(fig)


def test_rebased_groups_get_their_own_mean_and_limits_not_joined_across_the_boundary():
    values = call_wait_values()
    periods = monthly_periods(48)
    result = xmr(values, periods=periods, improvement="decrease", rebase_at=[periods[30]])
    fig = spc_chart(make_spec(values, result=result))
    ax = chart_axes(fig)
    means = drawn(ax, "_mean")
    assert len(means) == 2 and all(m.get_color() == MEAN_LINE for m in means)
    spans = sorted((min(m.get_xdata()), max(m.get_xdata())) for m in means)
    assert spans[0][1] < 30 - 0.5 < spans[1][0]
    assert [len(line.get_xdata()) for line in drawn(ax, "_values")] == [30, 18]
    assert all(line.get_color() == VALUE_LINE for line in drawn(ax, "_values"))
    limits = drawn(ax, "_limit")
    assert len(limits) == 4
    assert all(max(m.get_xdata()) < 29.5 or min(m.get_xdata()) > 29.5 for m in limits)


def test_the_footnote_states_the_spc_settings():
    spec = make_spec()
    words = svg_words(render_svg(spc_chart(spec)))
    assert spec.result.settings.describe() in words


def test_x_labels_are_thinned_and_the_latest_period_is_labelled():
    fig = spc_chart(make_spec())
    ax = chart_axes(fig)
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert 4 <= len(labels) <= 12
    assert labels[-1] == "March 2026"


def test_main_chart_size_and_high_density_png():
    fig = spc_chart(make_spec())
    width, height = size_px(fig)
    assert width == 1000 and 450 <= height <= 600
    assert png_size(render_png(fig, dpi=200)) == (2000, size_px(fig, dpi=200)[1])


def test_spec_checks_its_inputs():
    with pytest.raises(ValueError, match="period labels"):
        make_spec(period_labels=["April 2022"])
    with pytest.raises(ValueError, match="baseline"):
        make_spec(baseline=(10, 60))
    with pytest.raises(ValueError, match="comparison"):
        make_spec(comparisons=[ComparisonSeries("PCN median", [1.0, 2.0])])
    with pytest.raises(ValueError, match="period_starts"):
        make_spec(period_starts=(), markers=[Marker("x", date(2023, 1, 1))])


# --------------------------------------------------------------------------- small charts


def test_sparkline_is_a_line_broken_at_gaps_with_the_last_point_coloured():
    values = [3.0, 4.0, None, 5.0, 4.5, 6.0]
    line = sparkline(values, category_of_last="improvement")
    assert (line.width, line.height) == (160, 40)
    before, after = (run.split() for run in line.runs)  # broken at the gap
    assert len(before) == 2 and len(after) == 3
    assert (line.fill, line.edge) == (POINT_FILL["improvement"], POINT_EDGE["improvement"])
    assert line.last == tuple(float(v) for v in after[-1].split(","))
    assert line.lone == ()
    xs = [float(p.split(",")[0]) for run in line.runs for p in run.split()]
    ys = [float(p.split(",")[1]) for run in line.runs for p in run.split()]
    # Evenly spaced, left to right, the gap keeping its place; the highest figure at the
    # top and the lowest at the bottom, clear of every side by the dot and its edge.
    step = xs[1] - xs[0]
    assert xs[2] == pytest.approx(xs[0] + 3 * step)
    margin = DOT_RADIUS_PX + 0.5
    assert min(xs) >= margin and max(xs) <= 160 - margin
    assert min(ys) == ys[-1] >= margin  # 6.0, the highest
    assert max(ys) == ys[0] <= 40 - margin  # 3.0, the lowest


def test_a_sparkline_figure_between_two_gaps_is_a_dot_and_not_finite_is_a_gap():
    line = sparkline([1.0, None, 2.0, float("nan"), 3.0, 4.0, None, 5.0])
    assert len(line.runs) == 1  # 3.0-4.0
    assert len(line.lone) == 2  # 1.0 and 2.0 (5.0, the last, has the coloured dot)
    assert line.last is not None and line.last[0] == max(p[0] for p in (*line.lone, line.last))
    assert (line.fill, line.edge) == (POINT_FILL["common_cause"], POINT_EDGE["common_cause"])


@pytest.mark.parametrize("values", [[], [None, None], [7.0], [2.0, 2.0, 2.0]])
def test_sparkline_copes_with_little_or_flat_data(values):
    line = sparkline(values, category_of_last="special_cause_neutral_high")
    if not any(v is not None for v in values):
        assert line.last is None and not line.runs and not line.lone
        return
    assert line.fill == POINT_FILL["neutral"]
    assert line.last[1] == 20  # one figure, or all equal: the middle


def test_sparkline_needs_room():
    with pytest.raises(ValueError, match="16"):
        sparkline([1.0, 2.0], width_px=10)


def test_bar_chart_labels_each_bar_and_highlights_one():
    fig = bar_chart(
        ["Staffing", "Interpreting", "<script>x</script>"],
        [42000, 8300, 950],
        title="Spend by category $$",
        format_value=compact_money,
        highlight="Interpreting",
    )
    (ax,) = fig.axes
    colours = [bar.get_facecolor() for bar in ax.patches]
    assert len(set(colours)) == 2 and colours[0] == colours[2] != colours[1]
    svg = render_svg(fig)
    texts = svg_texts(svg)
    assert {"£42k", "£8.3k", "£950", "<script>x</script>", "Spend by category $$"} <= set(texts)
    assert render_png(fig).startswith(PNG_SIGNATURE)


def test_bar_chart_with_no_categories_says_so():
    fig = bar_chart([], [], title="Spend", format_value=compact_money)
    assert "Nothing recorded yet" in svg_texts(render_svg(fig))


def test_allocation_chart_pairs_allocation_and_spend_by_year():
    fig = allocation_chart(
        ["2023/24", "2024/25", "2025/26"], [52000, 61000, None], [38000, 64500, 21000]
    )
    assert legend_labels(fig) == ["HEP allocation", "HEP-attributed spend"]
    texts = svg_texts(render_svg(fig))
    assert {"£52k", "£64.5k", "no data", "2025/26"} <= set(texts)
    assert render_png(fig).startswith(PNG_SIGNATURE)


def test_compact_money_rounds_half_up():
    assert [compact_money(v) for v in (950, 8300, 64500, 123456, 1_250_000, -4500)] == [
        "£950",
        "£8.3k",
        "£64.5k",
        "£123k",
        "£1.25m",
        "-£4.5k",
    ]


# --------------------------------------------------------------------------- alt text


def test_alt_text_names_metric_latest_value_limits_signal_and_markers():
    spec = make_spec(markers=[Marker("Cloud telephony", at=30)], target=120)
    text = alt_text(spec)
    latest = spec.result.points.iloc[-1]
    assert text.startswith(
        "SPC chart of Average time to answer calls, April 2022 to March 2026 (48 periods)"
    )
    assert f"the latest value is {duration(latest['value'])} (March 2026)" in text
    limits = spec.result.limits
    assert f"process limits {duration(limits.lpl)} to {duration(limits.upl)}" in text
    assert "the latest point shows special cause improvement, a shift below the mean" in text
    assert "target 2:00" in text
    assert "interventions marked: 1" in text
    assert text.count(". ") <= 1 and text.endswith(".")


def test_alt_text_reports_common_cause_and_gaps():
    values = [
        150.0,
        140.0,
        None,
        155.0,
        145.0,
        150.0,
        148.0,
        152.0,
        149.0,
        151.0,
        147.0,
        150.0,
        146.0,
        153.0,
        150.0,
    ]
    text = alt_text(make_spec(values))
    assert "(15 periods, 1 with no value)" in text
    assert "common cause variation" in text


# --------------------------------------------------------------------------- edge cases


@pytest.mark.parametrize(
    "values",
    [[150.0], [None, 150.0, None], [None, None], [150.0] * 4],
    ids=["one value", "one value between gaps", "no values", "flat"],
)
def test_charts_with_next_to_no_data_still_render(values):
    spec = make_spec(values)
    for fig in (spc_chart(spec), run_chart(RunChartSpec.from_spc(spec))):
        svg_root(render_svg(fig))
        assert render_png(fig).startswith(PNG_SIGNATURE)
    assert alt_text(spec).endswith(".")


def test_run_chart_of_a_long_series_does_not_call_it_too_short():
    spec = RunChartSpec.from_spc(make_spec(call_wait_values(20)))
    words = svg_words(render_svg(run_chart(spec)))
    assert "Run chart: the solid line is the median of the 20 values." in words
    assert "too few" not in alt_text(spec)


def test_charts_built_on_several_threads_at_once_are_identical():
    def build(_):
        return render_svg(spc_chart(make_spec(title="$$ Gujarati: ગુજરાતી")))

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(build, range(4)))
    assert len(set(results)) == 1


# --------------------------------------------------------------------------- phones


def svg_font_sizes(svg: bytes) -> list[float]:
    """The size of every piece of text, in the SVG's own units (points)."""
    sizes = []
    for element in svg_root(svg).iter(f"{SVG}text"):
        found = re.search(r"font-size: ([\d.]+)px", element.get("style", ""))
        assert found, element.get("style")
        sizes.append(float(found.group(1)))
    return sizes


def phone_specs():
    marker = [Marker(at=6, label="Cloud telephony with call-back")]
    short = call_wait_values(10)
    periods = monthly_periods(len(short))
    run = RunChartSpec(
        title="Average time to answer calls",
        y_label="Time to answer (m:ss)",
        values=short,
        period_labels=[p.label for p in periods],
        format_value=duration,
        markers=marker,
    )
    return [(spc_chart, make_spec(markers=marker)), (run_chart, run)]


@pytest.mark.parametrize(("draw", "spec"), phone_specs(), ids=["spc", "run"])
def test_the_phone_chart_keeps_its_text_at_least_12px_where_it_is_shown_343px_wide(draw, spec):
    shown_px = 375 - 2 * 16  # the page's margins on a phone
    wide = render_svg(draw(spec))
    narrow_figure = draw(replace(spec, width_in=NARROW_WIDTH_IN))
    narrow = render_svg(narrow_figure)
    width_pt = float(svg_root(narrow).get("width").removesuffix("pt"))
    assert width_pt == NARROW_WIDTH_IN * 72
    assert min(svg_font_sizes(narrow)) * shown_px / width_pt >= 12
    # The wide chart, squeezed into the same space, would be unreadable.
    assert min(svg_font_sizes(wide)) * shown_px / (WIDTH_IN * 72) < 5
    # Nothing is cut off at the edges: every text lies inside the figure.
    laid_out = draw(replace(spec, width_in=NARROW_WIDTH_IN))
    laid_out.draw_without_rendering()
    renderer = FigureCanvasAgg(laid_out).get_renderer()
    figure_width = laid_out.bbox.width
    for text in laid_out.findobj(Text):
        if text.get_visible() and text.get_text().strip():
            box = text.get_window_extent(renderer)
            assert -1 <= box.x0 and box.x1 <= figure_width + 1, text.get_text()
    # The values at the lines' right-hand ends are left to the data table.
    assert not [t for t in svg_texts(narrow) if t.startswith(("Mean ", "Upper ", "Lower "))]


def test_every_period_has_a_short_mark_below_the_axis_drawn_as_one_line():
    """The mark at each period is one line of tick-shaped markers at the foot of the axes
    (x in periods, y in axes units), not a matplotlib minor tick per period (a Tick, with
    lines and a label of its own, was 40% of the drawing); the labelled periods keep
    their major ticks."""
    from matplotlib.markers import TICKDOWN

    fig = spc_chart(make_spec(call_wait_values(48)))
    ax = chart_axes(fig)
    marks = [line for line in ax.lines if line.get_marker() == TICKDOWN]
    assert len(marks) == 1
    (mark,) = marks
    assert list(mark.get_xdata()) == list(range(48))
    assert set(mark.get_ydata()) == {0}
    assert mark.get_transform() == ax.get_xaxis_transform()
    assert mark.get_markersize() == 2 and mark.get_linestyle() == "None"
    assert not mark.get_in_layout() and not mark.get_clip_on()
    assert list(ax.get_xticks(minor=True)) == []
    assert 2 <= len(ax.get_xticks()) < 48
