"""The practice impact summary as an Excel workbook, and its tables as CSV.

The workbook has a "Summary" sheet to read or print (headline money, spending by
category, staffing, each figure against its baseline, interventions), one tidy sheet
per table of the summary (a header row, one row per observation, filters on) for anyone
who wants to sort, filter or pivot, and a "Charts" sheet.

Cells hold real numbers, dates and times with number formats, so a practice can add up
or re-chart them: money as pounds, percentages as the 0–100 numbers the app stores
(shown with a % sign, not divided by 100), durations as Excel times shown m:ss, dates
as dates. Every cell goes through ``monitor.exporters.safe``, so no text a practice
typed can run as a formula.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

from openpyxl.drawing.fill import Blip
from openpyxl.drawing.geometry import PresetGeometry2D
from openpyxl.drawing.image import Image
from openpyxl.drawing.picture import PictureFrame
from openpyxl.drawing.spreadsheet_drawing import AnchorMarker, OneCellAnchor
from openpyxl.drawing.xdr import XDRPositiveSize2D
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.utils.units import pixels_to_EMU

from monitor.core.formatting import percentage_points
from monitor.core.tables import DATE, DURATION, INTEGER, MONEY, NUMBER, PERCENT, TEXT, Table
from monitor.exporters.csv_file import csv_text
from monitor.exporters.safe import (
    DATE_FORMAT,
    DATETIME_FORMAT,
    DURATION_FORMAT,
    INTEGER_FORMAT,
    MONEY_FORMAT,
    MONEY_PENCE_FORMAT,
    WTE_FORMAT,
    neutralise_text,
    signed,
    typed_value,
)
from monitor.exporters.workbook import BOLD, MAX_WIDTH, TITLE_FONT, Book, Sheet
from monitor.services.summary import ChartImage, ImpactSummary

__all__ = ["summary_csv", "summary_filename", "summary_tables_zip", "summary_workbook"]

SUMMARY_SHEET = "Summary"
CHARTS_SHEET = "Charts"

LEFT = Alignment(horizontal="left", vertical="top", indent=1)
ROW_HEIGHT_PX = 20  # the default 15 pt row
DURATION_UNIT = "minutes:seconds"
CHART_WIDTH_PX = 800
"""Charts are drawn 1000 px wide; shown at this width they fit a landscape page."""


# --------------------------------------------------------------------------- workbook


def summary_workbook(summary: ImpactSummary) -> bytes:
    """The impact summary as .xlsx bytes (see the module docstring for the layout)."""
    book = Book(
        f"HEP impact summary: {summary.practice_name}, {summary.period_label}",
        subject="Health Equity Payment impact summary",
    )
    _summary_sheet(book.sheet(SUMMARY_SHEET, report=True), summary)
    for table in summary.tables:
        _table_sheet(book.sheet(_sheet_title(table.name), report=True), table)
    _charts_sheet(book.sheet(CHARTS_SHEET, report=True, widths=[12]), summary.charts)
    return book.to_bytes()


def summary_filename(summary: ImpactSummary, extension: str = "xlsx") -> str:
    """A download name like "hep-impact-summary-Y00001-2025-26.xlsx"."""
    period = re.sub(r"[^A-Za-z0-9]+", "-", summary.period_label).strip("-")
    ods = re.sub(r"[^A-Za-z0-9]+", "", summary.ods_code)
    return f"hep-impact-summary-{ods}-{period}.{extension}"


# --------------------------------------------------------------------------- Summary sheet


def _summary_sheet(sheet: Sheet, summary: ImpactSummary) -> None:
    sheet.heading("HEP impact summary", TITLE_FONT)
    sheet.ws.row_dimensions[1].height = 24
    sheet.put(1, f"{summary.practice_name} ({summary.ods_code})", font=BOLD, measure=False)
    sheet.skip(2)

    details: list[tuple[str, object, str | None]] = [
        ("Practice", summary.practice_name, None),
        ("ODS code", summary.ods_code, None),
        ("PCN", summary.pcn_name, None),
        ("ICB", summary.icb_name, None),
        ("Period", summary.period_label, None),
        ("From", summary.start, DATE_FORMAT),
        ("To", summary.end, DATE_FORMAT),
        ("Baseline (before the HEP)", summary.baseline_label or "Not set", None),
        ("Generated", summary.generated_at, DATETIME_FORMAT),
        ("Template", summary.template_label, None),
    ]
    for label, value, number_format in details:
        sheet.put(1, label, font=BOLD)
        # Text runs on into the empty cells to its right; only dates set the width.
        sheet.put(
            2,
            value,
            number_format=number_format,
            measure=number_format is not None,
            alignment=LEFT,
        )
        sheet.skip()
    sheet.skip()

    _money_block(sheet, summary)
    _category_block(sheet, summary)
    _staffing_block(sheet, summary)
    _metrics_block(sheet, summary)
    _interventions_block(sheet, summary)
    _contents_block(sheet, summary)

    sheet.print_landscape()
    sheet.ws.print_options.gridLines = False


def _money_block(sheet: Sheet, summary: ImpactSummary) -> None:
    sheet.heading("HEP money")
    amounts = [summary.allocation, summary.hep_spend, summary.total_spend]
    money = _money_format(amounts)
    sheet.put(1, "HEP allocation", font=BOLD)
    if summary.allocation is None:
        sheet.put(2, "No allocation recorded for this period", measure=False)
    else:
        sheet.put(2, summary.allocation, MONEY, number_format=money)
    sheet.skip()
    rows = [
        ("HEP-attributed spend", summary.hep_spend),
        ("Total cost of that spending", summary.total_spend),
    ]
    unattributed = summary.unattributed
    if unattributed is not None and unattributed < 0:
        rows.append(("Spend above the allocation", -unattributed))
    elif unattributed is not None:
        rows.append(("Allocation not yet attributed", unattributed))
    for label, amount in rows:
        sheet.put(1, label, font=BOLD)
        sheet.put(2, amount, MONEY, number_format=money)
        sheet.skip()
    sheet.skip()


def _category_block(sheet: Sheet, summary: ImpactSummary) -> None:
    sheet.heading("Spending by category")
    if not summary.spend_by_category:
        sheet.note("No spending recorded in this period.")
        sheet.skip()
        return
    sheet.header(
        ["Category", "Paid by HEP", "Total cost", "Share of HEP spend"],
        numeric=[2, 3, 4],
        by_word=True,
    )
    money = _money_format([v for _, hep, total in summary.spend_by_category for v in (hep, total)])
    for label, hep, total in summary.spend_by_category:
        sheet.put(1, label)
        sheet.put(2, hep, MONEY, number_format=money)
        sheet.put(3, total, MONEY, number_format=money)
        share = float(hep / summary.hep_spend * 100) if summary.hep_spend else None
        sheet.put(4, share, PERCENT)
        sheet.skip()
    sheet.put(1, "All categories", font=BOLD)
    sheet.put(2, summary.hep_spend, MONEY, number_format=money, font=BOLD)
    sheet.put(3, summary.total_spend, MONEY, number_format=money, font=BOLD)
    sheet.put(4, 100.0 if summary.hep_spend else None, PERCENT, font=BOLD)
    sheet.skip(2)


def _staffing_block(sheet: Sheet, summary: ImpactSummary) -> None:
    sheet.heading("Staffing")
    if not summary.wte_by_group:
        sheet.note("No staffing changes recorded in this period.")
        sheet.skip()
        return
    sheet.header(["Role group", "Net WTE added", "HEP-funded WTE"], numeric=[2, 3], by_word=True)
    for group, net, hep in summary.wte_by_group:
        sheet.put(1, group)
        sheet.put(2, net, number_format=WTE_FORMAT)
        sheet.put(3, hep, number_format=WTE_FORMAT)
        sheet.skip()
    sheet.put(1, "All roles", font=BOLD)
    sheet.put(2, summary.net_wte, number_format=WTE_FORMAT, font=BOLD)
    sheet.put(
        3,
        sum((row[2] for row in summary.wte_by_group), Decimal(0)),
        number_format=WTE_FORMAT,
        font=BOLD,
    )
    sheet.skip()
    sheet.note("WTE: whole-time equivalent (1.00 is one full-time post).")
    sheet.skip()


METRIC_COLUMNS = (
    "Figure",
    "Baseline",
    "Baseline value",
    "Latest period",
    "Latest value",
    "Change since baseline",
    "What the statistics say",
)


def _metrics_block(sheet: Sheet, summary: ImpactSummary) -> None:
    sheet.heading("Figures: latest compared with the baseline")
    if not summary.metrics:
        sheet.note("No figures recorded in this period.")
        sheet.skip()
        return
    sheet.header(METRIC_COLUMNS, numeric=[3, 5, 6], by_word=True)
    for metric in summary.metrics:
        # Counts show no decimals; a mean of counts keeps its fraction in the cell.
        whole = INTEGER_FORMAT if metric.format == INTEGER else None
        sheet.put(1, metric.label, wrap=True)
        sheet.put(2, metric.baseline_label or "")
        sheet.put(3, metric.baseline_value, metric.format, number_format=whole)
        sheet.put(4, metric.latest_period)
        sheet.put(5, metric.latest_value, metric.format, number_format=whole)
        value, number_format = _change(metric.change, metric.format)
        cell = sheet.put(6, value, number_format=number_format)
        if metric.format == PERCENT and metric.change is not None:
            # The width measure knows no " pp": make room so Excel shows no ####.
            shown = len(percentage_points(metric.change, short=True)) + 1
            sheet.measured[cell.column] = max(sheet.measured[cell.column], shown)
        sheet.put(7, metric.verdict, wrap=True)
        sheet.skip()
    sheet.note(
        "Durations are minutes:seconds; a fall in a duration shows in seconds (-30 s), "
        "because Excel cannot show a negative time."
    )
    if any(m.format == PERCENT and m.change is not None for m in summary.metrics):
        sheet.note(
            "A change in a percentage is in percentage points (pp): from 45% to 57.5% is +12.5 pp."
        )
    sheet.skip()


POINTS_FORMAT = '+0.0" pp";-0.0" pp";0.0" pp"'
"""A change in a percentage: +12.5 pp (percentage points), never +12.5%."""
CHANGE_PLACES = {MONEY: 2, PERCENT: 1, DURATION: 0, INTEGER: 0, NUMBER: 1}
"""The places a change is shown to: one that rounds to zero is written as 0, so the
sheet never shows -0, -£0 or +0:00."""


def _change(change: float | None, kind: str) -> tuple[object, str | None]:
    """A change since the baseline with its sign shown: +£1,200, +12.5 pp (percentage
    points), -30 s, +56 (a count, no decimals)."""
    if change is None:
        return None, None
    places = CHANGE_PLACES.get(kind)
    if places is not None and round(change, places) == 0:
        change = 0
    if kind == PERCENT:
        return change, POINTS_FORMAT
    if kind == INTEGER:
        return change, signed(INTEGER_FORMAT)
    if kind == DURATION:
        if change < 0:
            return typed_value(change, DURATION)
        value, _ = typed_value(change, DURATION)
        # A rise in a duration as a time, signed like the others: +0:30.
        return value, "+[m]:ss" if value else DURATION_FORMAT
    value, number_format = typed_value(change, kind)
    return value, signed(number_format) if number_format else None


def _interventions_block(sheet: Sheet, summary: ImpactSummary) -> None:
    sheet.heading("Interventions")
    if not summary.interventions:
        sheet.note("No interventions recorded in this period.")
        sheet.skip()
        return
    sheet.header(["Intervention", "Date", "Figures it should affect"], numeric=[2], by_word=True)
    for occurred_on, title, affected in summary.interventions:
        sheet.put(1, title, wrap=True)
        sheet.put(2, occurred_on, DATE)
        # Left to run on across the empty columns to its right.
        sheet.put(3, affected, measure=False)
        sheet.skip()
    sheet.skip()


def _contents_block(sheet: Sheet, summary: ImpactSummary) -> None:
    sheet.heading("Other sheets in this workbook")
    for table in summary.tables:
        sheet.put(1, _sheet_title(table.name), font=BOLD)
        sheet.put(2, table.title, measure=False)
        sheet.skip()
    sheet.put(1, CHARTS_SHEET, font=BOLD)
    sheet.put(2, "Each figure over time, with the interventions marked", measure=False)
    sheet.skip()


def _money_format(amounts: Iterable[object]) -> str:
    """Whole pounds unless some amount has pence; one format for a whole block."""
    pence = any(a is not None and Decimal(str(a)) % 1 != 0 for a in amounts)
    return MONEY_PENCE_FORMAT if pence else MONEY_FORMAT


# --------------------------------------------------------------------------- table sheets


def _table_sheet(sheet: Sheet, table: Table) -> None:
    ws = sheet.ws
    sheet.header(
        [c.title for c in table.columns],
        numeric=[n for n, c in enumerate(table.columns, 1) if c.format != TEXT],
    )
    sheet.freeze()
    money_columns = {
        n: _money_format(row[n] for row in table.rows)
        for n, column in enumerate(table.columns)
        if column.format == MONEY
    }
    long_text = {n for n, c in enumerate(table.columns) if c.format == TEXT and c.title}
    units = {n for n, c in enumerate(table.columns) if c.title == "Unit"}
    for row in table.rows:
        kinds = [table.format_of(row, n) for n in range(len(row))]
        for n, value in enumerate(row):
            kind = kinds[n]
            if n in units and DURATION in kinds:
                # The CSV has durations in seconds; here they are Excel times shown m:ss.
                value = DURATION_UNIT
            sheet.put(
                n + 1,
                value,
                kind,
                number_format=money_columns.get(n) if kind == MONEY else None,
                wrap=n in long_text and isinstance(value, str) and len(value) > MAX_WIDTH,
            )
        sheet.skip()
    last = get_column_letter(len(table.columns))
    ws.auto_filter.ref = f"A1:{last}{max(sheet.row - 1, 1)}"
    ws.print_title_rows = "1:1"
    sheet.print_landscape()


def _sheet_title(name: str) -> str:
    """A valid sheet name: Excel forbids []:*?/\\ and more than 31 characters."""
    return re.sub(r"[\[\]:*?/\\]", " ", name).strip()[:31] or "Table"


# --------------------------------------------------------------------------- charts


def _charts_sheet(sheet: Sheet, charts: Sequence[ChartImage]) -> None:
    sheet.heading("Charts", TITLE_FONT)
    sheet.ws.row_dimensions[1].height = 24
    if not charts:
        sheet.note("No figure has enough values in this period to chart.")
        return
    sheet.note("The values behind every chart are in the Figures sheet.")
    sheet.skip()
    for index, chart in enumerate(charts, 1):
        sheet.put(1, chart.caption, font=BOLD, measure=False)
        sheet.skip()
        image = Image(io.BytesIO(chart.png))
        scale = min(1.0, CHART_WIDTH_PX / image.width)
        image.width = round(image.width * scale)
        image.height = round(image.height * scale)
        image.anchor = _anchor(sheet.row, image.width, image.height, index, chart.alt)
        sheet.ws.add_image(image)
        # Images float over cells: leave as many rows as the picture is tall, plus a gap.
        sheet.skip(math.ceil(image.height / ROW_HEIGHT_PX) + 2)
    sheet.print_landscape()


def _anchor(row: int, width: int, height: int, index: int, alt: str) -> OneCellAnchor:
    """Where the picture sits (top-left at column A of ``row``) and its alt text, which
    screen readers in Excel read out (openpyxl would otherwise write "Picture")."""
    anchor = OneCellAnchor(
        _from=AnchorMarker(col=0, row=row - 1),
        ext=XDRPositiveSize2D(pixels_to_EMU(width), pixels_to_EMU(height)),
    )
    picture = PictureFrame()
    picture.nvPicPr.cNvPr.id = index
    picture.nvPicPr.cNvPr.name = f"Chart {index}"
    picture.nvPicPr.cNvPr.descr = neutralise_text(alt)
    picture.blipFill.blip = Blip(cstate="print")  # openpyxl fills in the embed id
    picture.spPr.prstGeom = PresetGeometry2D(prst="rect")
    picture.spPr.ln = None
    anchor.pic = picture
    return anchor


# --------------------------------------------------------------------------- CSV


def summary_csv(summary: ImpactSummary, table_name: str) -> str:
    """One table as CSV text (UTF-8 with BOM when encoded, formula-safe): raw values —
    numbers unformatted, dates yyyy-mm-dd, percentages 0–100, durations in seconds."""
    table = summary.table(table_name)
    return csv_text([c.title for c in table.columns], (_csv_row(row) for row in table.rows))


def metrics_csv(summary: ImpactSummary) -> str:
    """The headline figures, one row per figure, raw values as in ``summary_csv``."""
    header = [
        "Figure",
        "Item id",
        "Unit",
        "Format",
        "Baseline",
        "Baseline value",
        "Latest period",
        "Latest value",
        "Change since baseline",
        "What the statistics say",
    ]
    rows = (
        _csv_row(
            (
                m.label,
                m.item_id,
                "seconds" if m.format == DURATION else m.unit,
                m.format,
                m.baseline_label,
                m.baseline_value,
                m.latest_period,
                m.latest_value,
                m.change,
                m.verdict,
            )
        )
        for m in summary.metrics
    )
    return csv_text(header, rows)


def summary_tables_zip(summary: ImpactSummary) -> bytes:
    """Every table as CSV plus "summary.csv" of the headline figures, in one zip."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("summary.csv", metrics_csv(summary).encode("utf-8"))
        for table in summary.tables:
            name = f"{_file_stem(table.name)}.csv"
            archive.writestr(name, summary_csv(summary, table.name).encode("utf-8"))
    return buffer.getvalue()


def _file_stem(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "table"


def _csv_row(row: Sequence[object]) -> list[object]:
    return [_csv_value(value) for value in row]


def _csv_value(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        # Whole amounts without a trailing ".00". Kept a number, not turned into text
        # here: text beginning with "-" (-0.50 WTE, a fall in the allocation) would be
        # neutralised with a ' like a formula and no longer read as a number.
        return int(value) if value == value.to_integral() else value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
