"""SPC and run charts drawn for the width they are shown at.

A page offers each trend chart twice in a ``<picture>`` (templates/components/chart.jinja):
the 10-inch chart, and for a phone the same chart laid out 3.5 inches wide with its
text the same size in points (``?width=phone``), so that text shown on a 375 px screen
stays at least 12 px high (monitor.charts.trend.NARROW_WIDTH_IN). The chart routes read
the width here; each width is cached under its own key.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TypeVar

from flask import abort, request

from monitor.charts import NARROW_WIDTH_IN, RunChartSpec, SpcChartSpec

PHONE = "phone"
Spec = TypeVar("Spec", SpcChartSpec, RunChartSpec)


def for_requested_width(key: str, spec: Spec) -> tuple[str, Spec]:
    """The cache key and spec of the chart at the width the request asks for; any width
    other than the page's own two is not found."""
    width = request.args.get("width", "")
    if width == "":
        return key, spec
    if width != PHONE:
        abort(404)
    return f"{key}.{PHONE}", replace(spec, width_in=NARROW_WIDTH_IN)
