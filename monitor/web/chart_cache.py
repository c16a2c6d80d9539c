"""Rendered charts, kept in memory by a key derived from their data.

A chart is drawn once per change of the data it shows, not once per request: the key
(monitor.charts.chart_key) covers every value, period, marker and setting, so an edit
changes the key and the next request renders afresh. Each process keeps its own
least-recently-used cache; nothing is shared between practices except identical
images of identical data.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from flask import Flask, Response, current_app, request
from matplotlib.figure import Figure

from monitor import charts

MEDIA_TYPES = {"svg": "image/svg+xml", "png": "image/png"}


class ChartCache:
    def __init__(self, max_entries: int = 512) -> None:
        self.max_entries = max_entries
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()
        self.renders = 0
        self.hits = 0

    def get_or_render(
        self, key: str, fmt: str, build: Callable[[], Figure], *, dpi: int = 150
    ) -> bytes:
        """The chart as SVG or PNG; PNGs are drawn at `dpi` (150 suits screens; the
        printed summary uses the figure's own 100)."""
        full_key = f"{key}.{fmt}" if fmt == "svg" else f"{key}.{dpi}.{fmt}"
        with self._lock:
            if full_key in self._items:
                self._items.move_to_end(full_key)
                self.hits += 1
                return self._items[full_key]
        figure = build()
        data = charts.render_svg(figure) if fmt == "svg" else charts.render_png(figure, dpi=dpi)
        with self._lock:
            self.renders += 1
            self._items[full_key] = data
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)
        return data


def init_app(app: Flask) -> None:
    app.extensions["monitor.chart_cache"] = ChartCache(app.config.get("CHART_CACHE_SIZE", 512))


def cached_png(key: str, draw: Callable[[], Figure]) -> bytes:
    """A PNG at the figure's own size from this process's cache (for documents)."""
    cache: ChartCache = current_app.extensions["monitor.chart_cache"]
    return cache.get_or_render(key, "png", draw, dpi=100)


def chart_response(key: str, fmt: str, build: Callable[[], Figure], *, filename: str):
    if fmt not in MEDIA_TYPES:
        from flask import abort

        abort(404)
    cache: ChartCache = current_app.extensions["monitor.chart_cache"]
    data = cache.get_or_render(key, fmt, build)
    response = Response(data, mimetype=MEDIA_TYPES[fmt])
    response.headers["ETag"] = f'"{key[:32]}"'
    if request.args.get("download"):
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response
