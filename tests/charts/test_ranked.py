"""The ranked chart of the ICB's distribution page: practices' figures as bars labelled by
rank, with the median and quartiles when enough practices contribute."""

from __future__ import annotations

import pytest

from monitor.analysis.distribution import summarise
from monitor.charts import ranked_chart, render_png, render_svg
from monitor.core.formatting import duration
from monitor.core.palette import NHS_BLUE
from monitor.core.small_numbers import MIN_PRACTICES
from tests.charts.test_charts import PNG_SIGNATURE, legend_labels, svg_root, svg_texts

RANKED = [100.0, 80.0, 60.0, 40.0, 20.0]  # highest first, as the service ranks them


def chart(values=RANKED, **overrides):
    options = {"title": "Home visits", "format_value": lambda v: f"{v:,.0f}"}
    options.update(overrides)
    return ranked_chart(values, summarise(values), **options)


def test_ranked_chart_draws_one_blue_bar_per_practice_in_rank_order():
    fig = chart()
    (ax,) = fig.axes
    (bars,) = ax.containers
    assert [bar.get_height() for bar in bars] == RANKED
    assert [bar.get_x() + bar.get_width() / 2 for bar in bars] == [1, 2, 3, 4, 5]
    assert {bar.get_facecolor() for bar in bars} == {bars[0].get_facecolor()}
    assert bars[0].get_facecolor()[:3] == pytest.approx(
        tuple(int(NHS_BLUE[i : i + 2], 16) / 255 for i in (1, 3, 5))
    )
    texts = svg_texts(render_svg(fig))
    assert "Home visits" in texts
    assert "Practice rank (1 = highest)" in texts
    assert render_png(fig).startswith(PNG_SIGNATURE)


def test_ranked_chart_shows_the_median_and_quartiles_when_enough_practices_contribute():
    fig = chart()
    assert legend_labels(fig) == ["Lower to upper quartile", "Median"]
    (ax,) = fig.axes
    (median,) = [line for line in ax.lines if line.get_label() == "Median"]
    assert median.get_ydata()[0] == 60


def test_ranked_chart_of_too_few_practices_shows_no_median():
    values = RANKED[: MIN_PRACTICES - 1]
    fig = chart(values)
    assert legend_labels(fig) == []
    assert not fig.axes[0].lines
    assert [len(bars) for bars in fig.axes[0].containers] == [len(values)]


def test_ranked_chart_with_no_practice_says_so():
    texts = svg_texts(render_svg(chart([])))
    assert "No practice submitted this figure" in texts


def test_ranked_chart_labels_the_value_axis_in_the_items_terms():
    texts = svg_texts(render_svg(chart([150.0, 120.0, 90.0], format_value=duration)))
    assert {"0:00", "1:00", "2:00"} <= set(texts)


def test_ranked_chart_draws_a_practices_title_literally():
    title = "Spend $100 vs $$ <script>x</script>"
    svg = render_svg(chart(title=title))
    assert title in svg_texts(svg)
    assert "script" not in {el.tag.rsplit("}", 1)[-1] for el in svg_root(svg).iter()}


def test_ranked_chart_renders_byte_identical_svg_for_the_same_figures():
    assert render_svg(chart()) == render_svg(chart())
