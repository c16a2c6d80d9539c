"""Colours, matplotlib settings and text handling shared by every chart.

Every chart is built and rendered inside ``chart_context()``, which

* applies ``RC``: mathtext off (``text.parse_math``), so "$$" or "\\frac" in a practice's
  own text is drawn literally and can never raise a mathtext parse error; deterministic
  SVG ids (``svg.hashsalt``); text kept as text in SVG (``svg.fonttype = "none"``);
* hides matplotlib's "Glyph … missing from font(s) DejaVu Sans" warning. Only DejaVu Sans
  is installed, and it has no glyphs for, say, Gujarati. In SVG (the web format) the text
  is written as text and the browser draws it with its own fonts, so nothing is lost;
  in PNG such characters show as boxes. The warning is no fault of the data, so it must
  not turn a chart request into an error under ``-W error``;
* holds a process-wide lock. ``rc_context`` and ``warnings.catch_warnings`` both change
  global state (Python 3.11 has no per-thread warning filters), so two threads building
  charts at once could see each other's settings. Charts take tens of milliseconds;
  serialising them within a process is cheap and makes threaded workers safe.

Why ``svg.fonttype = "none"`` rather than "path": text stays real ``<text>`` (selectable,
searchable, read by assistive technology when the SVG is inlined, far smaller); the
browser renders scripts DejaVu Sans lacks; and tests can assert on the words a person
reads. The cost is that the browser may substitute a font with slightly different
widths: the ``font-family`` list ends in Arial/Helvetica/sans-serif (the NHS.UK fallback
stack), all narrower than DejaVu Sans, so text laid out for DejaVu still fits.
matplotlib XML-escapes text in SVG; ``clean_text`` additionally removes the characters
XML 1.0 cannot carry at all (control characters, lone surrogates, non-characters) and
bidirectional overrides that could make a label read differently from what was typed.
"""

from __future__ import annotations

import functools
import threading
import unicodedata
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties

from monitor.core.palette import (
    NHS_AQUA_GREEN,
    NHS_BLACK,
    NHS_DARK_BLUE,
    NHS_DARK_GREY,
    NHS_DARK_PINK,
    NHS_MID_GREY,
    NHS_PALE_GREY,
)

SPC_COLOURS: dict[str, str] = {
    "common_cause": "#a6a6a6",
    "improvement": "#00b0f0",
    "concern": "#e46c0a",
    "neutral": "#490092",
    "value_line": "#a6a6a6",
    "mean_line": "#000000",
    "limit_lines": "#a6a6a6",
    "target": "#de1b1b",
}
"""Making Data Count colours as NHSRplotthedots' ``ptd_spc_colours()`` defines them."""

# Where the charts depart from SPC_COLOURS, and why: WCAG 2.2 (1.4.11) asks for 3:1
# contrast against the background for the parts of a chart needed to read it. #a6a6a6
# (2.4:1) and #00b0f0 (2.5:1) fall short, so the value and limit lines use a darker grey
# (#7B7D7D, 4.1:1, the Making Data Count Excel tools' grey) and every point keeps its
# Making Data Count fill, recognised across the NHS, inside a darker rim of the same hue.
VALUE_LINE = "#7B7D7D"
LIMIT_LINE = "#7B7D7D"
MEAN_LINE = SPC_COLOURS["mean_line"]
TARGET_LINE = SPC_COLOURS["target"]
MARKER_LINE = NHS_DARK_BLUE
POINT_FILL: dict[str, str] = {
    category: SPC_COLOURS[category]
    for category in ("common_cause", "improvement", "concern", "neutral")
}
POINT_EDGE: dict[str, str] = {
    "common_cause": "#6c6c6c",
    "improvement": "#00729c",
    "concern": "#944606",
    "neutral": "#2f005f",
}
COMPARISON_STYLES: tuple[tuple[str, tuple[float, tuple[float, ...]]], ...] = (
    (NHS_DARK_BLUE, (0, (5, 2.5))),
    (NHS_AQUA_GREEN, (0, (1.5, 1.5))),
    (NHS_DARK_PINK, (0, (6, 2, 1.5, 2))),
)
"""Colour and dash pattern of each comparison line, in turn."""

FONT_SIZE = 10
EDGE_PT = 8.0
"""Margin, in points, between the figure edge and its title and notes."""
SMALL_FONT_SIZE = 9
TITLE_FONT_SIZE = 13

RC: dict[str, object] = {
    "text.parse_math": False,
    "svg.hashsalt": "hep-monitor",
    "svg.fonttype": "none",
    "svg.id": None,
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
    "font.size": FONT_SIZE,
    "axes.titlesize": TITLE_FONT_SIZE,
    "axes.labelsize": FONT_SIZE,
    "axes.labelcolor": NHS_DARK_GREY,
    "axes.edgecolor": NHS_MID_GREY,
    "axes.linewidth": 0.8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,
    "axes.unicode_minus": False,
    "grid.color": NHS_PALE_GREY,
    "grid.linewidth": 0.8,
    "xtick.labelsize": SMALL_FONT_SIZE,
    "ytick.labelsize": SMALL_FONT_SIZE,
    "xtick.color": NHS_DARK_GREY,
    "ytick.color": NHS_DARK_GREY,
    "legend.fontsize": SMALL_FONT_SIZE,
    "legend.frameon": False,
    "figure.facecolor": "white",
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "savefig.facecolor": "auto",
    "text.color": NHS_BLACK,
    "path.simplify": True,
}

_lock = threading.RLock()
_MISSING_GLYPH = r"Glyph \d+ .* missing from font"


@contextmanager
def chart_context() -> Iterator[None]:
    """Build or render a chart under the shared settings (see the module docstring)."""
    with _lock, matplotlib.rc_context(RC), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_MISSING_GLYPH, category=UserWarning)
        yield


def freeze_layout(fig: Figure) -> None:
    """Run the figure's layout engine once and keep the result.

    Constrained layout refines positions on every draw, so a figure rendered twice
    would come out a fraction of a pixel different; fixing the layout when the chart is
    built makes every rendering of it byte-identical. Call within chart_context.
    """
    FigureCanvasAgg(fig)
    fig.draw_without_rendering()
    # None, not "none": any engine at all makes every savefig lay out and draw once more.
    fig.set_layout_engine(None)


# --------------------------------------------------------------------------- text

_LINE_BREAKS = frozenset("\t\n\r\v\f\x85\u2028\u2029")
_KEEP_FORMAT = {"\u200c", "\u200d"}  # zero-width (non-)joiners shape Indic scripts


def _allowed(char: str) -> bool:
    code = ord(char)
    if 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE:
        return False
    category = unicodedata.category(char)
    if category in ("Cc", "Cs", "Co"):
        return False
    return category != "Cf" or char in _KEEP_FORMAT


def clean_text(value: object, *, max_chars: int | None = None) -> str:
    """``value`` as one line of text safe to draw and to write into SVG.

    Line breaks and tabs become spaces and runs of spaces collapse; characters XML cannot
    hold and invisible formatting characters are dropped. Longer than ``max_chars``, the
    text is cut at a word where possible and ends in "…". A leading underscore is kept
    visible: matplotlib would otherwise leave such a label out of a legend.
    """
    text = str(value).encode("utf-8", "replace").decode("utf-8")
    text = "".join(
        " " if char in _LINE_BREAKS else char
        for char in text
        if char in _LINE_BREAKS or _allowed(char)
    )
    text = " ".join(text.split())
    if max_chars is not None and len(text) > max_chars:
        cut = text[: max_chars - 1]
        space = cut.rfind(" ")
        if space > max_chars // 2:
            cut = cut[:space]
        text = cut.rstrip(" ,;:-") + "…"
    if text.startswith("_"):
        text = "\u200b" + text  # zero-width space: not a matplotlib "_nolegend_" label
    return text


_MEASURE_DPI = 100
_measurer: RendererAgg | None = None


def text_width_pt(text: str, *, size: float = FONT_SIZE, weight: str = "normal") -> float:
    """Width of ``text`` in points as Agg draws DejaVu Sans at 100 dpi (call within
    chart_context). Hinting makes rendered text a few per cent wider than the font's
    outline metrics, so this measures with the renderer the PNGs are drawn by."""
    return _measure(text, float(size), weight) if text else 0.0


@functools.lru_cache(maxsize=8192)
def _measure(text: str, size: float, weight: str) -> float:
    global _measurer
    if _measurer is None:
        _measurer = RendererAgg(1, 1, _MEASURE_DPI)
    prop = FontProperties(family="sans-serif", size=size, weight=weight)
    width, _, _ = _measurer.get_text_width_height_descent(text, prop, ismath=False)
    return float(width) * 72 / _MEASURE_DPI


def wrap_text(
    text: str,
    *,
    width_pt: float,
    size: float = FONT_SIZE,
    weight: str = "normal",
    max_lines: int | None = None,
) -> list[str]:
    """Break ``text`` into lines no wider than ``width_pt`` (measured, not guessed).

    A line's width is taken as the sum of its words' widths and spaces (each word
    measured once, so a long note costs a few dozen measurements rather than one per
    candidate line). A word wider than a whole line is split. With ``max_lines`` the
    last line kept ends in "…" when text was left out.
    """
    usable = width_pt * 0.97  # other dpis and the browser's fonts differ a little

    def width(piece: str) -> float:
        return text_width_pt(piece, size=size, weight=weight)

    def longest_prefix(piece: str, room: float) -> int:
        """Most characters of ``piece`` that fit in ``room`` (at least one)."""
        low, high = 1, len(piece)
        while low < high:
            middle = (low + high + 1) // 2
            if width(piece[:middle]) <= room:
                low = middle
            else:
                high = middle - 1
        return low

    space = width(" ")
    lines: list[str] = []
    line, line_width = "", 0.0
    for word in text.split(" "):
        word_width = width(word)
        if line and line_width + space + word_width <= usable:
            line, line_width = f"{line} {word}", line_width + space + word_width
            continue
        if line:
            lines.append(line)
        while len(word) > 1 and word_width > usable:
            head = longest_prefix(word, usable)
            lines.append(word[:head])
            word = word[head:]
            word_width = width(word)
        line, line_width = word, word_width
    if line:
        lines.append(line)
    if max_lines is not None and len(lines) > max_lines:
        last = lines[max_lines - 1]
        room = usable - width("…")
        if width(last) > room:
            last = last[: longest_prefix(last, room)]
        lines = [*lines[: max_lines - 1], last.rstrip() + "…"]
    return lines
