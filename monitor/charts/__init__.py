"""Charts drawn on the server with matplotlib's object API (never pyplot): each builder
returns a ``Figure``; ``render_svg``/``render_png`` turn it into bytes and ``chart_key``
names it for caching. No Flask here: the web layer serves the bytes and pairs every
chart with ``alt_text`` and a data table.
"""

from .bars import allocation_chart, bar_chart, compact_money
from .ranked import ranked_chart
from .render import CHART_VERSION, chart_key, render_png, render_svg, size_px
from .sparkline import Sparkline, sparkline
from .style import SPC_COLOURS, chart_context, clean_text
from .trend import (
    DURATION_TICK_STEPS,
    NARROW_WIDTH_IN,
    ComparisonSeries,
    Marker,
    ReferenceBand,
    RunChartSpec,
    SpcChartSpec,
    alt_text,
    plain_number,
    run_chart,
    spc_chart,
)

__all__ = [
    "CHART_VERSION",
    "DURATION_TICK_STEPS",
    "NARROW_WIDTH_IN",
    "SPC_COLOURS",
    "ComparisonSeries",
    "Marker",
    "ReferenceBand",
    "RunChartSpec",
    "SpcChartSpec",
    "allocation_chart",
    "alt_text",
    "bar_chart",
    "chart_context",
    "chart_key",
    "clean_text",
    "compact_money",
    "plain_number",
    "ranked_chart",
    "render_png",
    "render_svg",
    "run_chart",
    "size_px",
    "spc_chart",
    "sparkline",
    "Sparkline",
]
