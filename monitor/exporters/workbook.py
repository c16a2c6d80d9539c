"""The one way to write a workbook: the impact summary, the ICB workbook and the offline
workbooks all use it.

``Book`` makes the workbook: its properties (creator, title), its sheets and its bytes.
``Sheet`` writes one sheet row by row from a cursor row: every cell goes through
``monitor.exporters.safe`` (text stays text, figures get their number formats), and the
columns are sized to what they show when the book is saved. The fonts and fills are
named here once.

A sheet meant for filtering and pivoting holds one table (``Sheet.table``): its header
on the first row, frozen, and an autofilter over every row written below it.

Two kinds of sheet:

* a table or a form (the default): cells keep the spreadsheet's own alignment unless
  told otherwise, and rows keep their height;
* a report (``report=True``), a sheet to read and print: every cell is top-aligned, text
  after the first column is indented so it does not run into the right-aligned number
  before it, and a row holding wrapped text is made tall enough to show it.
"""

from __future__ import annotations

import io
import re
import textwrap
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from monitor.core import formatting, palette
from monitor.core.tables import TEXT
from monitor.exporters.safe import neutralise_text, typed_value, write_cell

__all__ = [
    "BOLD",
    "CREATOR",
    "HEADING_FONT",
    "MAX_WIDTH",
    "MIN_WIDTH",
    "MUTED",
    "TITLE_FONT",
    "Book",
    "Sheet",
    "colour",
    "fill",
    "font",
]

CREATOR = "HEP Impact Monitor"
TITLE_CHARS = 250
"""Office's document property boxes take 255 characters at most."""

FONT_NAME = "Calibri"
MIN_WIDTH = 10
MAX_WIDTH = 60
"""Column widths in characters: long free text (verdicts, descriptions) wraps at this."""
LINE_HEIGHT_PT = 15


def colour(hex_colour: str) -> str:
    """A palette colour ("#005EB8") as openpyxl takes it ("005EB8")."""
    return hex_colour.removeprefix("#")


def font(**options: object) -> Font:
    """A font in the workbook's default typeface. Every styled cell names it, so that
    bold text does not fall back to another typeface in LibreOffice."""
    return Font(name=FONT_NAME, **options)


def fill(hex_colour: str) -> PatternFill:
    """A solid background of a palette colour."""
    return PatternFill("solid", fgColor=colour(hex_colour))


TITLE_FONT = font(bold=True, size=16)
HEADING_FONT = font(bold=True, size=13)
BOLD = font(bold=True)
MUTED = font(italic=True, color=colour(palette.NHSUK_GREY_1))  # a note: secondary text


class Book:
    """A workbook of ``Sheet``s, made with its properties; ``to_bytes`` fits every sheet's
    columns and saves it."""

    def __init__(self, title: str, *, subject: str | None = None):
        self.workbook = Workbook()
        properties = self.workbook.properties
        properties.title = neutralise_text(title)[:TITLE_CHARS]
        properties.subject = subject
        properties.creator = CREATOR
        properties.lastModifiedBy = CREATOR
        self.sheets: list[Sheet] = []

    def sheet(self, title: str, **options) -> Sheet:
        """A new sheet at the end of the book (``options`` as for ``Sheet``)."""
        # A new Workbook comes with one empty sheet: it becomes the first.
        ws = self.workbook.create_sheet() if self.sheets else self.workbook.active
        ws.title = title
        sheet = Sheet(ws, **options)
        self.sheets.append(sheet)
        return sheet

    def to_bytes(self) -> bytes:
        """The .xlsx file, opening on its first sheet."""
        for sheet in self.sheets:
            sheet.close()
        self.workbook.active = 0
        buffer = io.BytesIO()
        self.workbook.save(buffer)
        return buffer.getvalue()


class Sheet:
    """A worksheet written from a cursor row (``row``, 1-based), remembering how wide each
    column's content shows so that ``close`` can size the columns.

    ``widths`` fixes the widths of the first columns, in characters, instead of fitting
    them (a form laid out by hand); ``min_width`` and ``max_width`` bound fitted widths.
    See the module docstring for ``report``.
    """

    def __init__(
        self,
        ws: Worksheet,
        *,
        report: bool = False,
        widths: Sequence[float] = (),
        min_width: float = MIN_WIDTH,
        max_width: float = MAX_WIDTH,
    ):
        self.ws = ws
        self.row = 1
        self.report = report
        self.fixed = dict(enumerate(widths, 1))
        self.min_width = min_width
        self.max_width = max_width
        self.measured: dict[int, float] = defaultdict(float)
        self.wrapped: list[tuple[int, int, str]] = []  # row, column, text
        self.table_at: tuple[int, int] | None = None  # the table's header row, columns

    def put(
        self,
        col: int,
        value: object,
        kind: str = TEXT,
        *,
        number_format: str | None = None,
        font: Font | None = None,
        fill: PatternFill | None = None,
        wrap: bool = False,
        right: bool = False,
        alignment: Alignment | None = None,
        measure: bool = True,
        by_word: bool = False,
    ) -> Cell:
        """Write ``value`` on the cursor row at column ``col``. A figure of a declared
        ``kind`` (``monitor.core.tables``: money, percent, duration…) gets that kind's
        number format unless ``number_format`` is given. ``measure=False`` leaves the
        cell out of its column's width (text left to run on into empty cells);
        ``by_word`` counts only its longest word (text that may wrap)."""
        value, default_format = typed_value(value, kind)
        cell = write_cell(self.ws, self.row, col, value, number_format or default_format)
        if font is not None:
            cell.font = font
        if fill is not None:
            cell.fill = fill
        if alignment is None:
            alignment = self._alignment(cell.value, col, wrap=wrap, right=right)
        if alignment is not None:
            cell.alignment = alignment
        if measure:
            width = _shown_width(cell.value, cell.number_format, longest_word=by_word)
            if font is not None and font.b:
                width *= 1.1
            self.measured[col] = max(self.measured[col], width)
        if wrap and isinstance(cell.value, str):
            self.wrapped.append((self.row, col, cell.value))
        return cell

    def _alignment(self, value: object, col: int, *, wrap: bool, right: bool) -> Alignment | None:
        if not (self.report or wrap or right):
            return None
        indent = self.report and isinstance(value, str) and col > 1 and not right
        return Alignment(
            # Excel and LibreOffice indent only explicitly aligned text.
            horizontal="right" if right else ("left" if indent else None),
            vertical="top",
            wrap_text=wrap or None,
            indent=1 if indent else 0,
        )

    def line(self, values: Sequence[object], formats: Sequence[str | None] = (), **style) -> None:
        """One row from column A, each value with its number format (``formats``, in
        step with ``values``; missing or None for none) and ``style`` as for ``put``;
        the cursor moves to the next row."""
        for col, value in enumerate(values, 1):
            number_format = formats[col - 1] if col - 1 < len(formats) else None
            self.put(col, value, number_format=number_format, **style)
        self.row += 1

    def header(
        self,
        titles: Sequence[str],
        *,
        numeric: Iterable[int] = (),
        by_word: bool = False,
        font: Font = BOLD,
        fill: PatternFill | None = None,
    ) -> None:
        """Column headings on the cursor row, bold (or ``font``, on ``fill``), wrapping,
        right-aligned over the ``numeric`` columns (1-based). A heading's whole length
        sets its column's width, unless ``by_word``: then only its longest word does, so
        a heading over a column of short numbers wraps instead of widening it."""
        numeric = set(numeric)
        for col, title in enumerate(titles, 1):
            self.put(
                col, title, font=font, fill=fill, wrap=True, right=col in numeric, by_word=by_word
            )
        self.row += 1

    def table(
        self, titles: Sequence[str], *, numeric: Iterable[int] = (), by_word: bool = False
    ) -> None:
        """Start the sheet's one table: ``titles`` as its header on the cursor row,
        frozen, with an autofilter (set by ``close``) over it and every row written below.
        A second table on the same sheet is refused: it belongs on a sheet of its own,
        where a filter or a pivot cannot take it for rows of the first."""
        if self.table_at is not None:
            raise ValueError(f"sheet {self.ws.title!r} already holds a table")
        self.table_at = (self.row, len(titles))
        self.header(titles, numeric=numeric, by_word=by_word)
        self.freeze()

    def freeze(self, columns: int = 0) -> None:
        """Keep the rows above the cursor (a header just written) and the first
        ``columns`` columns in view when scrolling."""
        self.ws.freeze_panes = self.ws.cell(row=self.row, column=columns + 1).coordinate

    def heading(self, text: str, font: Font = HEADING_FONT) -> None:
        self.put(1, text, font=font, measure=False)
        self.row += 1

    def note(self, text: str) -> None:
        self.put(1, text, font=MUTED, measure=False)
        self.row += 1

    def skip(self, rows: int = 1) -> None:
        self.row += rows

    def print_landscape(self) -> None:
        """Print on A4 landscape, every column on the page's width."""
        setup = self.ws.page_setup
        setup.orientation = "landscape"
        setup.paperSize = self.ws.PAPERSIZE_A4
        setup.fitToWidth = 1
        setup.fitToHeight = 0
        self.ws.sheet_properties.pageSetUpPr.fitToPage = True

    def close(self) -> None:
        """Size the columns to their content (and in a report, rows to wrapped text)."""
        for col, width in self.measured.items():
            if col not in self.fixed:
                fitted = min(max(width + 2, self.min_width), self.max_width)
                self.ws.column_dimensions[get_column_letter(col)].width = round(fitted, 1)
        for col, width in self.fixed.items():
            self.ws.column_dimensions[get_column_letter(col)].width = width
        if self.table_at is not None:
            first, columns = self.table_at
            last = max(self.row - 1, first)
            self.ws.auto_filter.ref = f"A{first}:{get_column_letter(columns)}{last}"
        if self.report:
            self._fit_rows()

    def _fit_rows(self) -> None:
        """Make rows with wrapped text tall enough to show it. Neither Excel nor
        LibreOffice re-measures rows when opening a file, so the heights are set here."""
        lines: dict[int, int] = defaultdict(lambda: 1)
        for row, col, text in self.wrapped:
            width = self.ws.column_dimensions[get_column_letter(col)].width or self.min_width
            # Wrap a little narrower than the column: an average letter is narrower
            # than the "0" Excel measures widths in, but bold and capitals are wider.
            count = sum(
                len(textwrap.wrap(line, max(int(width) - 2, 4))) or 1
                for line in text.splitlines() or [""]
            )
            lines[row] = max(lines[row], count)
        for row, count in lines.items():
            if count > 1:
                self.ws.row_dimensions[row].height = count * LINE_HEIGHT_PT + 2


def _shown_width(value: object, number_format: str, *, longest_word: bool = False) -> float:
    """Roughly how many characters wide a cell shows, to size its column."""
    if value is None:
        return 0
    if isinstance(value, str):
        lines = value.splitlines() or [""]
        if longest_word:
            return max((len(word) for line in lines for word in line.split()), default=0)
        return max(len(line) for line in lines)
    if isinstance(value, datetime):
        return 17
    if isinstance(value, date):
        return 11
    if isinstance(value, bool):
        return 5
    number = float(value)
    if number_format == "General":
        # Excel shows a number without a format in up to 11 characters.
        return len(f"{number:.10g}")
    sign = 1 if number_format.startswith("+") or number < 0 else 0
    if "[m]" in number_format:
        return len(formatting.duration(abs(number) * 86400)) + sign
    if '" s"' in number_format:
        return len(f"{abs(number):,.0f} s") + sign
    decimals = re.search(r"\.(0+)", number_format.split(";")[0])
    places = len(decimals.group(1)) if decimals else 0
    text = f"{abs(number):,.{places}f}"
    if "£" in number_format:
        text = "£" + text
    if "%" in number_format:
        text += "%"
    return len(text) + sign
