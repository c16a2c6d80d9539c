"""Figure -> bytes, and the cache key of a chart.

Render only through these functions: they apply the chart settings (``chart_context``)
that make SVG deterministic (salted ids, no date) and keep text as escaped ``<text>``.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import io
import json
import math
import types
from collections.abc import Mapping
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum

import matplotlib
import numpy as np
import pandas as pd
import PIL.Image
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

from .style import chart_context

__all__ = ["CHART_VERSION", "chart_key", "render_png", "render_svg", "size_px"]

CHART_VERSION = "hep-charts-4"
"""Part of every chart key: change it when the drawing code changes what a chart looks
like, so cached charts and ETags are not reused."""


def render_svg(fig: Figure) -> bytes:
    """The figure as SVG: UTF-8, text as text, byte-identical for the same figure."""
    buffer = io.BytesIO()
    with chart_context():
        FigureCanvasSVG(fig)
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def render_png(fig: Figure, *, dpi: float | None = None) -> bytes:
    """The figure as PNG through Agg; ``dpi`` defaults to the figure's (100): a 10 × 4.5
    inch chart is 1000 × 450 pixels, and ``dpi=200`` suits high-density screens.

    An opaque chart (every chart here has a white background) is written as an RGB PNG,
    without the alpha channel Agg draws: the same picture, a quarter fewer bytes to
    compress, and a PDF can embed an RGB PNG's compressed data as it is (a PDF image has
    no alpha channel: ReportLab would decode an RGBA PNG, split off its alpha as a mask
    and compress both again; monitor.exporters.summary_pdf)."""
    dpi = dpi or fig.dpi
    raw = io.BytesIO()
    with chart_context():
        FigureCanvasAgg(fig)
        fig.savefig(raw, format="rgba", dpi=dpi)
    pixels = raw.getvalue()
    size = _drawn_size(fig, dpi, len(pixels) // 4)
    if size is None:
        return _png_through_matplotlib(fig, dpi)
    width, height = size
    image = PIL.Image.frombuffer("RGBA", (width, height), pixels, "raw", "RGBA", 0, 1)
    if image.getextrema()[3] == (255, 255):
        image = image.convert("RGB")
    elif fig.get_facecolor()[3] == 1:  # an opaque chart with some edge pixels not quite
        face = tuple(round(255 * c) for c in fig.get_facecolor()[:3])
        flat = PIL.Image.new("RGB", image.size, face)
        flat.paste(image, mask=image.getchannel("A"))
        image = flat
    buffer = io.BytesIO()
    image.save(buffer, format="png", dpi=(dpi, dpi))
    return buffer.getvalue()


def _drawn_size(fig: Figure, dpi: float, pixels: int) -> tuple[int, int] | None:
    """The width and height Agg drew at `dpi` (it truncates the figure's size in pixels),
    checked against the number of pixels it wrote."""
    width_in, height_in = fig.get_size_inches()
    for width in {int(width_in * dpi), round(width_in * dpi)}:
        if width and pixels % width == 0 and abs(pixels // width - height_in * dpi) < 1.5:
            return width, pixels // width
    return None


def _png_through_matplotlib(fig: Figure, dpi: float) -> bytes:
    buffer = io.BytesIO()
    with chart_context():
        FigureCanvasAgg(fig)
        fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


def size_px(fig: Figure, *, dpi: float | None = None) -> tuple[int, int]:
    """Width and height of the rendered image in pixels, for ``<img width height>``."""
    width, height = fig.get_size_inches() * (dpi or fig.dpi)
    return round(width), round(height)


# --------------------------------------------------------------------------- cache keys


def chart_key(*parts: object) -> str:
    """A stable sha256 hex key for a chart, for the web layer's cache and ETag.

    Pass everything that decides what the chart shows: the values and periods (or the
    ``SpcResult``, which carries its settings), markers, baseline, target, comparison
    series, titles and labels, the unit or formatting function, the requested size and
    format (``"svg"``/``"png"``, dpi) — or simply the chart's spec. The same parts give
    the same key in every process; ``CHART_VERSION`` and the matplotlib version are
    mixed in, so a change of drawing code changes every key.

    Accepted: None, bool, int, float (NaN and infinities too), str, bytes, Decimal,
    date/datetime/time, Enum, lists/tuples, sets, mappings, dataclass instances (such as
    ``Period``, ``SpcSettings``, ``SpcResult``, specs), numpy arrays and scalars, pandas
    DataFrames and Series, and module-level functions (by module and name, such as
    ``monitor.core.formatting.duration``) or ``functools.partial`` of one. Anything else —
    a lambda, a closure, an arbitrary object — raises TypeError rather than risk a key
    that differs between processes or ignores what the object holds.
    """
    payload = [CHART_VERSION, matplotlib.__version__, [_canonical(part) for part in parts]]
    encoded = json.dumps(payload, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(encoded.encode("ascii")).hexdigest()


def _canonical(value: object) -> object:  # noqa: C901 - one branch per accepted type
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, Enum):
        return {
            "enum": f"{type(value).__module__}.{type(value).__qualname__}",
            "value": _canonical(value.value),
        }
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        number = float(value)
        return number if math.isfinite(number) else {"float": repr(number)}
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, Decimal):
        return {"decimal": str(value)}
    if value is pd.NA or value is pd.NaT:
        return {"missing": str(value)}
    if isinstance(value, datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if isinstance(value, time):
        return {"time": value.isoformat()}
    if isinstance(value, bytes | bytearray):
        return {"bytes": bytes(value).hex()}
    if isinstance(value, pd.DataFrame):
        split = value.to_dict(orient="split")
        return {
            "frame": _canonical(split["columns"]),
            "index": _canonical(split["index"]),
            "data": _canonical(split["data"]),
            "dtypes": [str(t) for t in value.dtypes],
        }
    if isinstance(value, pd.Series | pd.Index):
        return {
            "series": str(value.dtype),
            "data": _canonical(value.tolist()),
            "index": _canonical(value.index.tolist()) if isinstance(value, pd.Series) else None,
        }
    if isinstance(value, np.ndarray):
        return {
            "array": str(value.dtype),
            "shape": list(value.shape),
            "data": _canonical(value.tolist()),
        }
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            "dataclass": f"{type(value).__module__}.{type(value).__qualname__}",
            "fields": {
                f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value)
            },
        }
    if isinstance(value, Mapping):
        items = [[_canonical(k), _canonical(v)] for k, v in value.items()]
        return {"map": sorted(items, key=_sort_key)}
    if isinstance(value, list | tuple):
        return [_canonical(item) for item in value]
    if isinstance(value, set | frozenset):
        return {"set": sorted((_canonical(item) for item in value), key=_sort_key)}
    if isinstance(value, functools.partial):
        return {
            "partial": _canonical(value.func),
            "args": _canonical(list(value.args)),
            "keywords": _canonical(dict(value.keywords)),
        }
    if callable(value):
        name = getattr(value, "__qualname__", "")
        module = getattr(value, "__module__", None)
        bound = getattr(value, "__self__", None)
        # A bound method draws on its object's state, which the name does not capture.
        unbound = bound is None or isinstance(bound, types.ModuleType)
        if module and name and "<" not in name and unbound:
            return {"function": f"{module}.{name}"}
        raise TypeError(
            f"chart_key cannot identify {value!r}: use a module-level function (or a "
            "functools.partial of one), or pass the unit's name instead"
        )
    raise TypeError(f"chart_key cannot use a {type(value).__qualname__}; pass plain values")


def _sort_key(item: object) -> str:
    return json.dumps(item, sort_keys=True, separators=(",", ":"), allow_nan=False)
