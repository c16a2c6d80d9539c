"""The practice impact summary as an A4 PDF, for partners, the PCN or the ICB.

Built with ReportLab's Platypus rather than an HTML-to-PDF engine: it is a pure-Python
wheel (WeasyPrint needs Pango and cairo on the server), and its tables break only between
rows and repeat their header row on every page they span, so a long table of figures
stays readable when printed.

Practice-entered text (names, descriptions, notes) goes through `_text`, which escapes it
for Paragraph's XML-like mini-markup: "<b>" or "&" prints exactly as typed. Helvetica is
built into every PDF reader, so nothing is embedded; characters it has no glyph for
(Gujarati, Chinese…) print as a box rather than failing.

Output is deterministic: ReportLab's invariant mode fixes the document id, and the
creation date is the summary's own `generated_at`, so the same summary gives the same
bytes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import partial
from io import BytesIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfdoc
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    Image,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from monitor.core import palette
from monitor.core.clock import to_uk
from monitor.core.formatting import (
    duration,
    item_value,
    long_date,
    money,
    number,
    percent,
    percentage_points,
)
from monitor.core.tables import DATE, DURATION, INTEGER, MONEY, NUMBER, PERCENT, TEXT, WTE
from monitor.core.tables import Table as SummaryTable
from monitor.services.summary import ImpactSummary, MetricLine

# The PDF's colours in ReportLab's form; text has the web pages' colours.
NHS_BLUE = colors.HexColor(palette.NHS_BLUE)
NHS_DARK_BLUE = colors.HexColor(palette.NHS_DARK_BLUE)
PALE_GREY = colors.HexColor(palette.NHS_PALE_GREY)
RULE_GREY = colors.HexColor(palette.NHSUK_GREY_3)
TEXT_COLOUR = colors.HexColor(palette.NHSUK_BLACK)
SECONDARY = colors.HexColor(palette.NHSUK_GREY_1)
GREEN = colors.HexColor(palette.NHSUK_GREEN)
RED = colors.HexColor(palette.NHSUK_RED)

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 18 * mm
MARGIN_TOP = 24 * mm  # room for the running header
MARGIN_BOTTOM = 20 * mm  # room for the running footer
FRAME_WIDTH = PAGE_WIDTH - 2 * MARGIN_X
FRAME_HEIGHT = PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
CELL_PADDING = 4

FONT = "Helvetica"
BOLD = "Helvetica-Bold"

NUMERIC_FORMATS = {MONEY, PERCENT, DURATION, NUMBER, INTEGER, WTE}

# The summary's tables are tidy for spreadsheets; a reader of the PDF needs fewer columns.
# The Figures table drops the item id, the period's start date (the period says it), the
# raw unit (durations are stored in seconds but shown as m:ss) and the format hint.
PDF_COLUMNS: dict[str, tuple[str, ...]] = {"Figures": ("Figure", "Period", "Value", "Source")}
# Detailed tables in reading order; the Figures table can run to many pages, so it is last.
TABLE_ORDER = ("Spending", "Staffing", "Allocations", "Interventions", "Figures")

STRENGTHS = {
    "concern": ("Concern", RED),
    "improvement": ("Improvement", GREEN),
    "change": ("Change", NHS_BLUE),
    "no change": ("No significant change", SECONDARY),
    "too few": ("Too few figures to judge", SECONDARY),
}

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def summary_pdf(summary: ImpactSummary) -> bytes:
    """The summary as an A4 portrait PDF with a running header and "page N of M" footer."""
    buffer = BytesIO()
    doc = BaseDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=(
            f"HEP impact summary: {summary.practice_name} ({summary.ods_code}), "
            f"{summary.period_label}"
        ),
        author="HEP Impact Monitor",
        subject=f"Health Equity Payment impact summary for {summary.period_label}",
        creator="HEP Impact Monitor",
        keywords=["Health Equity Payment", "impact summary", summary.ods_code],
        lang="en-GB",
        displayDocTitle=True,
        invariant=1,
    )
    frame = Frame(MARGIN_X, MARGIN_BOTTOM, FRAME_WIDTH, FRAME_HEIGHT, id="body", showBoundary=0)
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=_Header(summary))])
    footer = (
        f"HEP impact summary · generated {long_date(to_uk(summary.generated_at))} · page {{n}}"
        " of {total}"
    )
    doc.build(
        _story(summary),
        canvasmaker=partial(_NumberedCanvas, footer=footer, created=summary.generated_at),
    )
    return buffer.getvalue()


# --- page furniture -------------------------------------------------------------------


class _Header:
    """Practice, ODS code and period at the top of every page."""

    def __init__(self, summary: ImpactSummary):
        self.left = summary.practice_name
        self.left_note = f"  ODS code {summary.ods_code}"
        self.right = f"Health Equity Payment impact summary · {summary.period_label}"

    def __call__(self, canvas: Canvas, _doc) -> None:
        y = PAGE_HEIGHT - 14 * mm
        size = 8.5
        # Shrink rather than overlap if a long practice name meets the period.
        while size > 6 and (
            stringWidth(self.left, BOLD, size)
            + stringWidth(self.left_note, FONT, size)
            + stringWidth(self.right, FONT, size)
            + 12
            > FRAME_WIDTH
        ):
            size -= 0.5
        canvas.saveState()
        canvas.setFillColor(NHS_DARK_BLUE)
        canvas.setFont(BOLD, size)
        canvas.drawString(MARGIN_X, y, self.left)
        canvas.setFont(FONT, size)
        canvas.setFillColor(SECONDARY)
        canvas.drawString(MARGIN_X + stringWidth(self.left, BOLD, size), y, self.left_note)
        canvas.drawRightString(PAGE_WIDTH - MARGIN_X, y, self.right)
        canvas.setStrokeColor(NHS_BLUE)
        canvas.setLineWidth(1.5)
        canvas.line(MARGIN_X, y - 3 * mm, PAGE_WIDTH - MARGIN_X, y - 3 * mm)
        canvas.restoreState()


class _NumberedCanvas(Canvas):
    """Holds every page until the end so the footer can say "page N of M".

    Platypus only learns the page count once the story is laid out, so each finished page
    is kept (its drawing operations are plain state on the canvas) and written out in
    `save`, when the total is known.
    """

    def __init__(self, *args, footer: str, created: datetime, **kwargs):
        super().__init__(*args, **kwargs)
        self._footer = footer
        self._pages: list[dict] = []
        stamp = created.astimezone(UTC)
        # The document's creation date is the summary's, so equal input gives equal bytes.
        self.setDateFormatter(lambda *_: f"D:{stamp:%Y%m%d%H%M%S}+00'00'")

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for n, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._draw_footer(n, total)
            super().showPage()
        super().save()

    def _draw_footer(self, n: int, total: int) -> None:
        self.saveState()
        self.setStrokeColor(RULE_GREY)
        self.setLineWidth(0.5)
        self.line(MARGIN_X, 13 * mm, PAGE_WIDTH - MARGIN_X, 13 * mm)
        self.setFont(FONT, 7.5)
        self.setFillColor(SECONDARY)
        self.drawCentredString(PAGE_WIDTH / 2, 9 * mm, self._footer.format(n=n, total=total))
        self.restoreState()


# --- styles ---------------------------------------------------------------------------


def _style(name: str, **kw) -> ParagraphStyle:
    base = {"fontName": FONT, "fontSize": 9.5, "leading": 13, "textColor": TEXT_COLOUR}
    return ParagraphStyle(name, **{**base, **kw})


TITLE = _style("title", fontName=BOLD, fontSize=20, leading=24, textColor=NHS_BLUE)
SUBTITLE = _style("subtitle", fontName=BOLD, fontSize=13, leading=17, spaceBefore=4)
H2 = _style(
    "h2",
    fontName=BOLD,
    fontSize=13,
    leading=16,
    textColor=NHS_BLUE,
    spaceBefore=14,
    spaceAfter=5,
    keepWithNext=1,
)
H3 = _style(
    "h3", fontName=BOLD, fontSize=10.5, leading=13, spaceBefore=10, spaceAfter=4, keepWithNext=1
)
BODY = _style("body", spaceAfter=6)
LEAD = _style("lead", fontSize=10.5, leading=14.5, spaceBefore=8, spaceAfter=8)
NOTE = _style("note", fontSize=8, leading=10.5, textColor=SECONDARY, spaceAfter=4)
CAPTION = _style("caption", fontSize=8.5, leading=11, textColor=SECONDARY, spaceBefore=3)
FACT_LABEL = _style("fact_label", fontName=BOLD, fontSize=9, leading=12)
FACT_VALUE = _style("fact_value", fontSize=9, leading=12)
CARD_VALUE = _style("card_value", fontName=BOLD, fontSize=15, leading=18, textColor=NHS_DARK_BLUE)
CARD_LABEL = _style("card_label", fontSize=8, leading=10, textColor=SECONDARY)


@dataclass(frozen=True)
class _CellStyles:
    text: ParagraphStyle
    number: ParagraphStyle
    head: ParagraphStyle
    head_number: ParagraphStyle

    @property
    def size(self) -> float:
        return self.text.fontSize


def _cell_styles(name: str, size: float, leading: float) -> _CellStyles:
    text = _style(f"{name}_text", fontSize=size, leading=leading)
    head = _style(f"{name}_head", fontName=BOLD, fontSize=size, leading=leading)
    head.textColor = colors.white
    return _CellStyles(
        text=text,
        number=_style(f"{name}_number", fontSize=size, leading=leading, alignment=TA_RIGHT),
        head=head,
        head_number=ParagraphStyle(f"{name}_head_number", parent=head, alignment=TA_RIGHT),
    )


CELLS = _cell_styles("cell", 8.5, 11)
COMPACT = _cell_styles("compact", 7, 8.6)


# --- text -----------------------------------------------------------------------------


def _text(value: object) -> str:
    """Plain text made safe for Paragraph markup, keeping the writer's line breaks."""
    plain = _CONTROL_CHARACTERS.sub("", "" if value is None else str(value))
    return escape(plain).replace("\r\n", "\n").replace("\n", "<br/>")


def _show(value: object, fmt: str) -> str:
    """A table value as people read it: £1,234, 12.5%, 2:30, 1 April 2025."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return value
    if fmt == DATE and isinstance(value, date):
        return long_date(value)
    if fmt == MONEY:
        return money(float(value))
    if fmt == PERCENT:
        return percent(float(value))
    if fmt == DURATION:
        return duration(float(value))
    if fmt == INTEGER:
        return number(float(value), places=0)
    if fmt == NUMBER:
        return number(float(value))
    if fmt == WTE:
        return _signed(f"{Decimal(value):,.2f}", value)
    return str(value)


def _signed(text: str, value: float | Decimal | None) -> str:
    return f"+{text}" if value is not None and value > 0 else text


def _wte(value: Decimal) -> str:
    return _show(value, WTE)


# --- story ----------------------------------------------------------------------------


def _story(summary: ImpactSummary) -> list[Flowable]:
    story: list[Flowable] = []
    story += _opening(summary)
    story += _money(summary)
    story += _spending(summary)
    story += _staffing(summary)
    story += _metrics(summary)
    story += _interventions(summary)
    story += _charts(summary)
    story += _detail_tables(summary)
    return story


def _opening(summary: ImpactSummary) -> list[Flowable]:
    dates = f"{long_date(summary.start)} to {long_date(summary.end)}"
    # A custom range is labelled with its dates already: say them once.
    period = (
        f"{summary.period_label}: {dates}"
        if summary.period_label and summary.period_label != dates
        else dates
    )
    facts = [
        ("Practice", f"{summary.practice_name} (ODS code {summary.ods_code})"),
        ("Primary care network", summary.pcn_name),
        ("Integrated care board", summary.icb_name),
        ("Period", period),
    ]
    if summary.baseline_label:
        facts.append(("Compared with", f"the {summary.baseline_label} average, before the HEP"))
    facts.append(("Template", summary.template_label))
    table = Table(
        [[Paragraph(_text(k), FACT_LABEL), Paragraph(_text(v), FACT_VALUE)] for k, v in facts],
        colWidths=[42 * mm, FRAME_WIDTH - 42 * mm],
        hAlign="LEFT",
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.5, PALE_GREY),
                ("LEFTPADDING", (0, 0), (0, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return [
        Paragraph("Health Equity Payment impact summary", TITLE),
        Paragraph(f"{_text(summary.practice_name)} · {_text(summary.period_label)}", SUBTITLE),
        Paragraph(
            "How the practice used its Health Equity Payment (HEP) and what its own figures "
            "show since. Every figure is a practice total: there is no patient-identifiable "
            "data in this summary.",
            LEAD,
        ),
        table,
    ]


def _money(summary: ImpactSummary) -> list[Flowable]:
    unattributed = summary.unattributed
    if unattributed is None:
        last = ("", "No HEP allocation recorded for this period")
    elif unattributed < 0:
        last = (money(float(-unattributed)), "Overspend: HEP-attributed spend above allocation")
    else:
        last = (money(float(unattributed)), "Allocation not yet attributed to spending")
    cards = [
        (
            money(float(summary.allocation)) if summary.allocation is not None else "",
            "HEP allocation",
        ),
        (money(float(summary.hep_spend)), "Spending attributed to the HEP"),
        (money(float(summary.total_spend)), "Total cost of those items, from all funding"),
        last,
    ]
    gap = 3 * mm
    width = (FRAME_WIDTH - 3 * gap) / 4
    row = []
    for n, (value, label) in enumerate(cards):
        if n:
            row.append("")
        row.append(
            [Paragraph(_text(value) or "–", CARD_VALUE), Paragraph(_text(label), CARD_LABEL)]
        )
    table = Table([row], colWidths=[width, gap, width, gap, width, gap, width])
    commands = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 7),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
        ("LEFTPADDING", (0, 0), (-1, -1), 8),
    ]
    for column in (0, 2, 4, 6):
        commands += [
            ("BACKGROUND", (column, 0), (column, 0), PALE_GREY),
            ("LINEBEFORE", (column, 0), (column, 0), 3, NHS_BLUE),
        ]
    if unattributed is not None and unattributed < 0:
        commands.append(("LINEBEFORE", (6, 0), (6, 0), 3, RED))
    table.setStyle(TableStyle(commands))

    flowables: list[Flowable] = [Paragraph("Money", H2), table, Spacer(1, 6)]
    sentences = []
    if summary.allocation:
        share = float(summary.hep_spend / summary.allocation * 100)
        sentences.append(
            f"Spending attributed to the HEP is {percent(share, places=0)} of the "
            f"{money(float(summary.allocation))} allocation."
        )
    other = summary.total_spend - summary.hep_spend
    if other > 0:
        sentences.append(
            f"Funding is often pooled: {money(float(other))} of the cost of these items "
            "came from other sources (such as the global sum, ARRS or the PCN)."
        )
    if sentences:
        flowables.append(Paragraph(_text(" ".join(sentences)), BODY))
    return flowables


def _spending(summary: ImpactSummary) -> list[Flowable]:
    flowables: list[Flowable] = [Paragraph("Spending by category", H3)]
    if not summary.spend_by_category:
        return [*flowables, Paragraph("No spending recorded in this period.", BODY)]
    total_hep = summary.hep_spend
    rows = [
        [
            label,
            money(float(hep)),
            money(float(total)),
            percent(float(hep / total_hep * 100)) if total_hep else "",
        ]
        for label, hep, total in summary.spend_by_category
    ]
    total = ["Total", money(float(total_hep)), money(float(summary.total_spend)), "100%"]
    return [
        *flowables,
        _grid(
            ["Category", "Paid by HEP", "Total cost", "Share of HEP spending"],
            [*rows, total],
            numeric=[False, True, True, True],
            widths=[0.46, 0.18, 0.18, 0.18],
            total_row=True,
        ),
    ]


def _staffing(summary: ImpactSummary) -> list[Flowable]:
    flowables: list[Flowable] = [Paragraph("Staffing: change in whole-time equivalents", H3)]
    if not summary.wte_by_group:
        return [*flowables, Paragraph("No staffing changes recorded in this period.", BODY)]
    rows = [[group, _wte(net), _wte(hep)] for group, net, hep in summary.wte_by_group]
    hep_total = sum((row[2] for row in summary.wte_by_group), Decimal(0))
    total = ["Total", _wte(summary.net_wte), _wte(hep_total)]
    return [
        *flowables,
        _grid(
            ["Role group", "Net change (WTE)", "Of which funded by HEP (WTE)"],
            [*rows, total],
            numeric=[False, True, True],
            widths=[0.46, 0.27, 0.27],
            total_row=True,
        ),
    ]


def _metrics(summary: ImpactSummary) -> list[Flowable]:
    # Start on a new page rather than strand the heading and a row or two at the foot.
    flowables: list[Flowable] = [CondPageBreak(150), Paragraph("Headline figures", H2)]
    if not summary.metrics:
        return [*flowables, Paragraph("No figures recorded in this period.", BODY)]
    baseline = summary.baseline_label or next(
        (m.baseline_label for m in summary.metrics if m.baseline_label), None
    )
    flowables.append(
        Paragraph(
            "The latest figure in the period compared with the "
            + (f"{_text(baseline)} average, before the HEP" if baseline else "pre-HEP average")
            + ". “What the statistics say” uses NHS Making Data Count rules, so ordinary "
            "month-to-month variation is not mistaken for change."
            + (
                " A change in a percentage is in percentage points (pp): from 45% to 57.5% "
                "is +12.5 pp."
                if any(m.format == PERCENT and m.change is not None for m in summary.metrics)
                else ""
            ),
            NOTE,
        )
    )
    rows = [_metric_row(m) for m in summary.metrics]
    headers = [
        "Figure",
        f"Baseline {baseline}" if baseline else "Baseline",
        "Latest",
        "Change",
        "What the statistics say",
    ]
    widths = [0.22, 0.11, 0.14, 0.09, 0.44]
    flowables.append(
        _grid(
            headers,
            rows,
            numeric=[False, True, True, True, False],
            widths=widths,
            markup=True,
        )
    )
    return flowables


def _metric_row(m: MetricLine) -> list[str]:
    """Cells in Paragraph markup: the figure's frequency and latest period in small print,
    the strength of evidence in colour above the verdict."""
    small = f'<font size="7" color="{_hex(SECONDARY)}">'
    label, colour = STRENGTHS.get(m.strength, (m.strength.capitalize(), SECONDARY))
    change = _change(m)
    return [
        f"<b>{_text(m.label)}</b><br/>{small}{_text(m.frequency)}</font>",
        _text(m.show(m.baseline_value)),
        f"{_text(m.show(m.latest_value))}<br/>{small}{_text(m.latest_period)}</font>",
        _text(change),
        f'<font color="{_hex(colour)}"><b>{_text(label)}</b></font><br/>{_text(m.verdict)}',
    ]


def _change(m: MetricLine) -> str:
    """+£1,200, -0:30, +56, and a change in a percentage as "+12.5 pp" (the column is
    narrow; the note above the table spells pp out). Rounded, then signed: never -0."""
    if m.change is None:
        return ""
    if m.format == PERCENT:
        return percentage_points(m.change, short=True)
    return item_value(m.change, m.format, change=True)


def _hex(colour: colors.Color) -> str:
    return "#" + colour.hexval()[2:]


def _interventions(summary: ImpactSummary) -> list[Flowable]:
    flowables: list[Flowable] = [Paragraph("Interventions in this period", H2)]
    if not summary.interventions:
        return [
            *flowables,
            Paragraph(
                "No interventions recorded in this period. Earlier ones, if any, are listed "
                "with the detailed tables and marked on the charts.",
                BODY,
            ),
        ]
    rows = [[long_date(day), title, affects] for day, title, affects in summary.interventions]
    return [
        *flowables,
        _grid(
            ["Date", "Intervention", "Figures it should affect"],
            rows,
            numeric=[False, False, False],
            widths=[0.18, 0.41, 0.41],
        ),
    ]


def _charts(summary: ImpactSummary) -> list[Flowable]:
    if not summary.charts:
        return []
    flowables: list[Flowable] = [
        PageBreak(),
        Paragraph("Charts", H2),
        Paragraph(
            "Each chart shows the practice's own figures over time, with the pre-HEP baseline, "
            "the range of ordinary variation and any interventions marked.",
            NOTE,
        ),
    ]
    max_height = FRAME_HEIGHT - 80  # leaves room for the caption on the same page
    for n, chart in enumerate(summary.charts, start=1):
        scale = min(FRAME_WIDTH / chart.width_px, max_height / chart.height_px)
        image = chart_image(chart.png, chart.width_px * scale, chart.height_px * scale)
        caption = Paragraph(f"<b>Chart {n}.</b> {_text(chart.caption)}", CAPTION)
        flowables.append(KeepTogether([image, caption, Spacer(1, 12)]))
    return flowables


def chart_image(png: bytes, width: float, height: float) -> Flowable:
    """A chart's PNG at `width` × `height` points. An 8-bit RGB or grey PNG (what
    monitor.charts.render_png writes for an opaque chart) is embedded as it is: its
    compressed pixel data is already what a PDF's FlateDecode filter with PNG predictors
    reads, so nothing is decoded or compressed again. Anything else (an alpha channel,
    a palette, interlacing) goes through ReportLab's own reader."""
    parsed = _plain_png(png)
    if parsed is None:
        return Image(BytesIO(png), width=width, height=height)
    return _PngImage(parsed, width, height)


@dataclass(frozen=True)
class _Png:
    digest: str
    width: int
    height: int
    colours: int  # 3 (RGB) or 1 (grey)
    data: bytes  # the IDAT chunks' zlib stream


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_COLOURS = {2: 3, 0: 1}  # PNG colour type: channels


def _plain_png(png: bytes) -> _Png | None:
    """The PNG's size and compressed pixels if a PDF can take them as they are: 8 bits a
    channel, RGB or grey, not interlaced; otherwise None."""
    if not png.startswith(PNG_SIGNATURE):
        return None
    at, data, header = 8, [], None
    while at + 8 <= len(png):
        length = int.from_bytes(png[at : at + 4], "big")
        kind = png[at + 4 : at + 8]
        body = png[at + 8 : at + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            data.append(body)
        elif kind == b"IEND":
            break
        elif kind in (b"PLTE", b"tRNS"):
            return None
        at += 12 + length
    if header is None or len(header) != 13 or not data:
        return None
    width, height = int.from_bytes(header[0:4], "big"), int.from_bytes(header[4:8], "big")
    depth, colour_type, compression, filtering, interlace = header[8:13]
    if (
        depth != 8
        or colour_type not in _PNG_COLOURS
        or (compression, filtering, interlace)
        != (
            0,
            0,
            0,
        )
    ):
        return None
    digest = hashlib.sha256(png).hexdigest()
    return _Png(digest, width, height, _PNG_COLOURS[colour_type], b"".join(data))


class _PngXObject(pdfdoc.PDFImageXObject):
    """A PDF image whose stream is a PNG's own compressed data, read with PNG predictors."""

    def __init__(self, name: str, png: _Png) -> None:  # not the parent's: nothing to load
        self.name = name
        self.png = png
        self.width, self.height = png.width, png.height
        self.mask = None

    def format(self, document) -> bytes:
        stream = pdfdoc.PDFStream(content=self.png.data)
        entries = stream.dictionary
        entries["Type"] = pdfdoc.PDFName("XObject")
        entries["Subtype"] = pdfdoc.PDFName("Image")
        entries["Width"] = self.png.width
        entries["Height"] = self.png.height
        entries["BitsPerComponent"] = 8
        entries["ColorSpace"] = pdfdoc.PDFName(
            "DeviceRGB" if self.png.colours == 3 else "DeviceGray"
        )
        entries["Filter"] = pdfdoc.PDFArray([pdfdoc.PDFName("FlateDecode")])
        entries["DecodeParms"] = pdfdoc.PDFDictionary(
            {
                "Predictor": 15,
                "Colors": self.png.colours,
                "BitsPerComponent": 8,
                "Columns": self.png.width,
            }
        )
        entries["Length"] = len(self.png.data)
        return stream.format(document)


class _PngImage(Flowable):
    """Draws a `_PngXObject`, stored once in the document however often it is drawn (as
    ReportLab's Canvas.drawImage stores its images)."""

    def __init__(self, png: _Png, width: float, height: float) -> None:
        super().__init__()
        self.png = png
        self.width, self.height = width, height

    def wrap(self, available_width, available_height):
        return self.width, self.height

    def draw(self) -> None:
        canvas = self.canv
        name = f"png{self.png.digest[:32]}"
        registered = canvas._doc.getXObjectName(name)
        if canvas._doc.idToObject.get(registered) is None:
            image = _PngXObject(name, self.png)
            canvas._setXObjects(image)
            canvas._doc.Reference(image, registered)
            canvas._doc.addForm(name, image)
        canvas._currentPageHasImages = 1
        canvas.saveState()
        canvas.scale(self.width, self.height)
        canvas._code.append(f"/{registered} Do")
        canvas.restoreState()
        canvas._formsinuse.append(name)


def _detail_tables(summary: ImpactSummary) -> list[Flowable]:
    by_name = {t.name: t for t in summary.tables}
    ordered = [by_name[n] for n in TABLE_ORDER if n in by_name]
    ordered += [t for t in summary.tables if t.name not in TABLE_ORDER]
    flowables: list[Flowable] = [PageBreak(), Paragraph("Detailed tables", H2)]
    for table in ordered:
        compact = table.name == "Figures"
        if compact and table.rows:
            # The long table starts on a fresh page so every page of it opens with its header.
            flowables.append(PageBreak())
        flowables.append(Paragraph(_text(table.title), H3))
        if not table.rows:
            flowables.append(Paragraph("None recorded.", BODY))
            continue
        flowables.append(_detail_table(table, compact=compact))
    return flowables


def _detail_table(table: SummaryTable, *, compact: bool) -> Table:
    wanted = PDF_COLUMNS.get(table.name)
    indexes = [i for i, c in enumerate(table.columns) if wanted is None or c.title in wanted]
    headers = [table.columns[i].title for i in indexes]
    numeric_columns = [table.columns[i].format in NUMERIC_FORMATS | {"item"} for i in indexes]
    nowrap = [table.columns[i].format != TEXT for i in indexes]
    rows = []
    aligns = []
    for row in table.rows:
        cells, right = [], []
        for i in indexes:
            fmt = table.format_of(row, i)
            cells.append(_show(row[i], fmt))
            right.append(fmt in NUMERIC_FORMATS and not isinstance(row[i], str))
        rows.append(cells)
        aligns.append(right)
    styles = COMPACT if compact else CELLS
    return _grid(
        headers,
        rows,
        numeric=numeric_columns,
        widths=_fit_widths(headers, rows, styles, nowrap=nowrap),
        styles=styles,
        cell_numeric=aligns,
    )


# --- tables ---------------------------------------------------------------------------


def _grid(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    numeric: Sequence[bool],
    widths: Sequence[float],
    styles: _CellStyles = CELLS,
    total_row: bool = False,
    markup: bool = False,
    cell_numeric: Sequence[Sequence[bool]] | None = None,
) -> Table:
    """An NHS-styled table: blue header row repeated on every page, banded rows, cells
    that wrap. `widths` are fractions of the frame (or points, if they add up to more
    than 1). Unless `markup`, cells are plain text and escaped here."""
    scale = FRAME_WIDTH if sum(widths) <= 1.001 else 1
    col_widths = [w * scale for w in widths]
    prepare: Callable[[str], str] = (lambda s: s) if markup else _text
    data = [
        [
            Paragraph(_text(h), styles.head_number if numeric[i] else styles.head)
            for i, h in enumerate(headers)
        ]
    ]
    for r, row in enumerate(rows):
        right = cell_numeric[r] if cell_numeric is not None else numeric
        bold = total_row and r == len(rows) - 1
        data.append(
            [
                Paragraph(prepare(cell), _cell_style(styles, right=right[i], bold=bold))
                for i, cell in enumerate(row)
            ]
        )
    table = Table(data, colWidths=col_widths, repeatRows=1, hAlign="LEFT", splitInRow=0)
    padding = 2.5 if styles is COMPACT else 3.5
    commands = [
        ("BACKGROUND", (0, 0), (-1, 0), NHS_BLUE),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, PALE_GREY]),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("VALIGN", (0, 0), (-1, 0), "BOTTOM"),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("TOPPADDING", (0, 0), (-1, -1), padding),
        ("BOTTOMPADDING", (0, 0), (-1, -1), padding + 1),
        ("LINEBELOW", (0, -1), (-1, -1), 0.75, NHS_BLUE),
    ]
    if total_row:
        commands += [
            ("LINEABOVE", (0, -1), (-1, -1), 0.75, TEXT_COLOUR),
            ("BACKGROUND", (0, -1), (-1, -1), colors.white),
        ]
    table.setStyle(TableStyle(commands))
    return table


def _cell_style(styles: _CellStyles, *, right: bool, bold: bool) -> ParagraphStyle:
    style = styles.number if right else styles.text
    if bold:
        return ParagraphStyle(f"{style.name}_bold", parent=style, fontName=BOLD)
    return style


def _fit_widths(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    styles: _CellStyles,
    *,
    nowrap: Sequence[bool],
) -> list[float]:
    """Column widths in points that fill the frame, shared out much as a browser would:
    every column gets at least its longest word (the whole value for dates and numbers,
    which read badly broken), then the space left goes where the text is longest."""
    size = styles.size
    pad = 2 * CELL_PADDING + 1

    def widest(texts: list[str], font: str) -> float:
        return max((stringWidth(t, font, size) for t in texts), default=0.0)

    minimum, natural = [], []
    for i, header in enumerate(headers):
        cells = [str(row[i]) for row in rows]
        words = cells if nowrap[i] else [w for text in cells for w in text.split()]
        minimum.append(max(widest(words, FONT), widest(header.split(), BOLD)) + pad)
        # A long description wraps whatever happens: cap what it asks for.
        wanted = min(widest(cells, FONT), FRAME_WIDTH * 0.6)
        natural.append(max(wanted + pad, minimum[-1]))
    if sum(minimum) >= FRAME_WIDTH:
        return [w * FRAME_WIDTH / sum(minimum) for w in minimum]
    if sum(natural) <= FRAME_WIDTH:
        # Everything fits on one line: share the rest equally so short columns breathe.
        spare = (FRAME_WIDTH - sum(natural)) / len(natural)
        return [w + spare for w in natural]
    spare = FRAME_WIDTH - sum(minimum)
    wants = [n - m for n, m in zip(natural, minimum, strict=True)]
    return [m + spare * w / sum(wants) for m, w in zip(minimum, wants, strict=True)]
