"""Rendered charts, kept by a key derived from their data, shared by every process.

A chart is drawn once per change of the data it shows, not once per request nor once
per process: the key (monitor.charts.chart_key) covers every value, period, marker and
setting, so an edit changes the key and the next request renders afresh, and nothing
ever needs invalidating. Rendered bytes live in a directory (CHART_CACHE_DIR, default
`<instance>/chart-cache`) that every gunicorn worker, and every app server mounting the
same volume, reads: four workers do not each draw the same chart. A file is written to
a temporary name and renamed into place, so a reader never sees half a chart. The
directory is bounded (`max_bytes`): the least recently used charts are pruned. A small
in-process LRU sits in front so a hot chart costs no disk read.

With CHART_RENDER_PROCESSES set, several charts wanted at once (the impact summary's)
are drawn in parallel by a pool of that many processes when the draw function can travel
to one (a functools.partial of a module function with picklable arguments); anything
else is drawn in the requesting process. The default is no pool: the charts a practice's
views show are drawn in a job when its data change (monitor.jobs), so a request rarely
draws any, and on a machine whose cores are busy the pool gained nothing measurable
while costing each worker about 150 MB (bench/README.md, "Impact summary").
Nothing is shared between practices except identical images of identical data.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import logging
import multiprocessing
import os
import shutil
import tempfile
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from flask import Flask, Response, abort, current_app, request
from matplotlib.figure import Figure

from monitor import charts

MEDIA_TYPES = {"svg": "image/svg+xml", "png": "image/png"}

DEFAULT_MAX_BYTES = 512 * 1024 * 1024
"""The shared directory's bound (CHART_CACHE_MAX_BYTES): an SPC chart is 20-90 kB, so
some thousands of charts; pruning keeps the most recently used 80% of it."""
PRUNE_EVERY_BYTES = 8 * 1024 * 1024
"""A process checks the directory's size each time it has written this much."""
TOUCH_AFTER_SECONDS = 3600
"""A file read from the cache has its time refreshed (for pruning by last use) at most
this often, so a hit is a read and not a write."""

log = logging.getLogger(__name__)


class ChartCache:
    """Charts by key: an in-process LRU of `max_entries` in front of `directory` (shared
    between processes; None keeps charts in this process only)."""

    def __init__(
        self,
        directory: str | os.PathLike | None = None,
        *,
        max_entries: int = 512,
        max_bytes: int = DEFAULT_MAX_BYTES,
        processes: int = 0,
    ) -> None:
        self.directory = Path(directory) if directory else None
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.processes = processes
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()
        self._written_since_prune = 0
        self.renders = 0
        """Charts this process drew (or had its pool draw)."""
        self.hits = 0
        """Charts served without drawing: from memory or from the shared directory."""
        self.file_hits = 0

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
        data = self._read(full_key, fmt)
        if data is not None:
            with self._lock:
                self.hits += 1
                self.file_hits += 1
        else:
            data = self._draw(fmt, build, dpi)
            with self._lock:
                self.renders += 1
            self._write(full_key, fmt, data)
        with self._lock:
            self._items[full_key] = data
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)
        return data

    # The shared directory -------------------------------------------------------------

    def path_for(self, full_key: str, fmt: str) -> Path:
        """Where a chart's bytes are kept: a hash of its key (never the key itself, which
        could be any text), under a folder of its first two characters so no folder
        holds more than a small share of the charts."""
        name = hashlib.sha256(full_key.encode()).hexdigest()
        return self.directory / name[:2] / f"{name}.{fmt}"

    def _read(self, full_key: str, fmt: str) -> bytes | None:
        if self.directory is None:
            return None
        path = self.path_for(full_key, fmt)
        try:
            data = path.read_bytes()
            if time.time() - path.stat().st_mtime > TOUCH_AFTER_SECONDS:
                os.utime(path)
        except FileNotFoundError:
            return None
        except OSError as error:  # the cache is an optimisation: draw instead
            log.warning("chart cache: cannot read %s: %s", path, error)
            return None
        return data or None

    def _write(self, full_key: str, fmt: str, data: bytes) -> None:
        if self.directory is None:
            return
        path = self.path_for(full_key, fmt)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            try:
                with os.fdopen(handle, "wb") as file:
                    file.write(data)
                os.replace(temporary, path)  # atomic: readers see no chart or all of it
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as error:
            log.warning("chart cache: cannot write %s: %s", path, error)
            return
        with self._lock:
            self._written_since_prune += len(data)
            due = self._written_since_prune >= min(PRUNE_EVERY_BYTES, self.max_bytes // 10)
            if due:
                self._written_since_prune = 0
        if due:
            self.prune()

    def prune(self) -> int:
        """Delete the least recently used charts while the directory holds more than
        `max_bytes`, down to 80% of it (and temporary files a crashed writer left);
        returns how many files were deleted. Safe beside other processes: a chart
        deleted under a reader is simply drawn again."""
        if self.directory is None or not self.directory.is_dir():
            return 0
        files = []
        total = 0
        deleted = 0
        now = time.time()
        for folder in os.scandir(self.directory):
            if not folder.is_dir():
                continue
            for entry in os.scandir(folder.path):
                try:
                    stat = entry.stat()
                except FileNotFoundError:
                    continue
                if entry.name.startswith(".tmp-"):
                    if now - stat.st_mtime > 3600:
                        Path(entry.path).unlink(missing_ok=True)
                    continue
                files.append((stat.st_mtime, stat.st_size, entry.path))
                total += stat.st_size
        if total <= self.max_bytes:
            return 0
        goal = self.max_bytes * 0.8
        for _, size, path in sorted(files):
            if total <= goal:
                break
            Path(path).unlink(missing_ok=True)
            total -= size
            deleted += 1
        return deleted

    # Drawing --------------------------------------------------------------------------

    def _draw(self, fmt: str, build: Callable[[], Figure], dpi: int) -> bytes:
        if self.processes and isinstance(build, functools.partial):
            try:
                return _pool(self.processes).submit(_render, fmt, build, dpi).result()
            except BrokenProcessPool as error:
                log.warning("chart cache: the render pool stopped (%s); drawing here", error)
                _reset_pool()
            except Exception as error:  # not picklable (or a drawing error, raised below)
                log.warning("chart cache: drawing here, not in the pool (%r)", error)
        return _render(fmt, build, dpi)


def _render(fmt: str, build: Callable[[], Figure], dpi: int) -> bytes:
    figure = build()
    return charts.render_svg(figure) if fmt == "svg" else charts.render_png(figure, dpi=dpi)


_POOL: ProcessPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _pool(processes: int) -> ProcessPoolExecutor:
    """One pool per process, shared by its apps, started on first use. Its workers fork
    from a fresh server process that has imported the chart code once (forkserver),
    never from this one, whose threads may hold locks a forked child would inherit."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["monitor.charts", "monitor.analysis.spc"])
            _POOL = ProcessPoolExecutor(max_workers=processes, mp_context=context)
        return _POOL


def _reset_pool() -> None:
    global _POOL
    with _POOL_LOCK:
        if _POOL is not None:
            _POOL.shutdown(wait=False, cancel_futures=True)
        _POOL = None


atexit.register(_reset_pool)


def _directory(app: Flask) -> str:
    configured = app.config.get("CHART_CACHE_DIR")
    if configured:
        return configured
    if app.testing:
        # Each test app its own empty cache, removed with the app.
        folder = tempfile.mkdtemp(prefix="chart-cache-")
        weakref.finalize(app, shutil.rmtree, folder, ignore_errors=True)
        return folder
    return os.path.join(app.instance_path, "chart-cache")


def init_app(app: Flask) -> None:
    app.extensions["monitor.chart_cache"] = ChartCache(
        _directory(app),
        max_entries=app.config.get("CHART_CACHE_SIZE", 128),
        max_bytes=app.config.get("CHART_CACHE_MAX_BYTES", DEFAULT_MAX_BYTES),
        processes=app.config.get("CHART_RENDER_PROCESSES", 0),
    )


def cached_png(key: str, draw: Callable[[], Figure]) -> bytes:
    """A PNG at the figure's own size from the shared cache (for documents)."""
    cache: ChartCache = current_app.extensions["monitor.chart_cache"]
    return cache.get_or_render(key, "png", draw, dpi=100)


def chart_response(key: str, fmt: str, build: Callable[[], Figure], *, filename: str):
    if fmt not in MEDIA_TYPES:
        abort(404)
    cache: ChartCache = current_app.extensions["monitor.chart_cache"]
    data = cache.get_or_render(key, fmt, build)
    response = Response(data, mimetype=MEDIA_TYPES[fmt])
    response.headers["ETag"] = f'"{key[:32]}"'
    if request.args.get("download"):
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response
