"""The ICB workbook of one collection: every submitted return, ready for analysis and the board.

Sheets, each a table with its header on row 1 (frozen) so it filters and pivots cleanly:

- "Tidy": one row per practice, period and metric (ODS code, practice, PCN, period,
  metric, value, unit, template version, submitted date). Values are raw numbers in the
  unit column's terms (durations in seconds, percentages 0-100).
- "Completeness": every practice in the ICB with its state, then totals by PCN.
- "Practices x metrics": one row per submitting practice, one column per metric, each
  practice's figure for the collection (the mean of the months of a quarter).
- "Equity": each metric's median by IMD deprivation quintile and its slope index of
  inequality with the 95% confidence interval, explained in words.
- "Spending mix": HEP-attributed spend by category across practices, then per practice.

Submitted returns only; every cell goes through ``monitor.exporters.safe`` so that a
practice name such as "=HYPERLINK(...)" stays text.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from monitor.core.checklist import Item, ItemType
from monitor.core.small_numbers import MIN_PRACTICES
from monitor.core.tables import ITEM_FORMATS
from monitor.exporters.safe import (
    DATETIME_FORMAT,
    INTEGER_FORMAT,
    MONEY_FORMAT,
    NUMBER_FORMAT,
    PERCENT_FORMAT,
    typed_value,
    write_cell,
)
from monitor.models import Collection
from monitor.services import icb_views

__all__ = ["SHEETS", "icb_workbook", "workbook_filename"]

CREATOR = "HEP Impact Monitor"
TIDY, COMPLETENESS, PIVOT, EQUITY, SPENDING = (
    "Tidy",
    "Completeness",
    "Practices x metrics",
    "Equity",
    "Spending mix",
)
SHEETS = (TIDY, COMPLETENESS, PIVOT, EQUITY, SPENDING)
BOLD = Font(name="Calibri", bold=True)
MIN_WIDTH, MAX_WIDTH = 8, 60

SII_UNITS = {
    ItemType.MONEY: "£",
    ItemType.PERCENT: "percentage points",
    ItemType.DURATION: "seconds",
}


def workbook_filename(collection: Collection, extension: str = "xlsx") -> str:
    """A download name like "icb-returns-2025-26-q2-7.xlsx"."""
    code = re.sub(r"[^A-Za-z0-9-]+", "", collection.period_code)
    return f"icb-returns-{code}-{collection.id}.{extension}"


def icb_workbook(data: icb_views.CollectionData, states: dict[int, str]) -> bytes:
    wb = Workbook()
    wb.properties.title = f"ICB returns: {data.collection.name}"[:250]
    wb.properties.creator = CREATOR
    wb.properties.lastModifiedBy = CREATOR
    wb.active.title = TIDY
    _tidy(_Table(wb.active), data)
    _completeness(_Table(wb.create_sheet(COMPLETENESS)), data, states)
    _pivot(_Table(wb.create_sheet(PIVOT)), data)
    _equity(_Table(wb.create_sheet(EQUITY)), data)
    _spending(_Table(wb.create_sheet(SPENDING)), data)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


class _Table:
    """Rows written one after another, columns sized to their content."""

    def __init__(self, ws: Worksheet):
        self.ws = ws
        self.row = 1
        self.widths: dict[int, int] = {}

    def header(self, titles: Sequence[str], *, freeze: str | None = "A2") -> None:
        for col, title in enumerate(titles, 1):
            cell = self.put(col, title)
            cell.font = BOLD
            cell.alignment = Alignment(vertical="top", wrap_text=True)
        if freeze:
            self.ws.freeze_panes = freeze
        self.row += 1

    def put(self, col: int, value: object, number_format: str | None = None):
        cell = write_cell(self.ws, self.row, col, value, number_format)
        shown = len(str(cell.value)) if cell.value is not None else 0
        if isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
            shown = max(len(f"{cell.value:,.1f}"), 6)
        self.widths[col] = max(self.widths.get(col, 0), shown)
        return cell

    def line(self, values: Sequence[object], formats: Sequence[str | None] = ()) -> None:
        for col, value in enumerate(values, 1):
            fmt = formats[col - 1] if col - 1 < len(formats) else None
            self.put(col, value, fmt)
        self.row += 1

    def skip(self) -> None:
        self.row += 1

    def finish(self) -> None:
        for col, width in self.widths.items():
            fitted = min(max(width + 2, MIN_WIDTH), MAX_WIDTH)
            self.ws.column_dimensions[get_column_letter(col)].width = fitted


def _tidy(table: _Table, data: icb_views.CollectionData) -> None:
    table.header(icb_views.TIDY_HEADER)
    for row in icb_views.tidy_rows(data):
        practice = row.submission.practice
        table.line(
            [
                practice.ods_code,
                practice.name,
                row.submission.pcn.name,
                row.period_label,
                row.value.period_code,
                row.value.item_id,
                row.metric_label,
                row.figure,
                row.unit,
                row.value.template_version,
                row.submission.submitted_at,
            ],
            [None] * 10 + [DATETIME_FORMAT],
        )
    table.finish()


def _completeness(table: _Table, data: icb_views.CollectionData, states: dict[int, str]) -> None:
    result = icb_views.completeness(data, states)
    table.header(["PCN code", "PCN", "ODS code", "Practice", "State", "Submitted"])
    for group in result.by_pcn:
        for row in group.practices:
            table.line(
                [
                    group.pcn.code,
                    group.pcn.name,
                    row.practice.ods_code,
                    row.practice.name,
                    row.label,
                    row.submitted_at,
                ],
                [None] * 5 + [DATETIME_FORMAT],
            )
    table.skip()
    for col, title in enumerate(
        ["By PCN", "", "Submitted", "In progress", "Not started", "Practices", "% submitted"], 1
    ):
        table.put(col, title).font = BOLD
    table.row += 1
    counted = [(g.pcn.code, g.pcn.name, g.counts) for g in result.by_pcn]
    counted.append(("All", "All practices", result.counts))
    for code, name, counts in counted:
        table.line(
            [
                code,
                name,
                counts.submitted,
                counts.in_progress,
                counts.not_started,
                counts.total,
                counts.submitted_pct,
            ],
            [None, None] + [INTEGER_FORMAT] * 4 + [PERCENT_FORMAT],
        )
    table.finish()


def _item_title(item: Item) -> str:
    unit = icb_views.unit_label(item, item.type.value)
    if item.type is ItemType.DURATION:
        unit = "m:ss"
    return f"{item.label} ({unit})" if unit else item.label


def _pivot(table: _Table, data: icb_views.CollectionData) -> None:
    items = data.items()
    table.header(
        ["ODS code", "Practice", "PCN", "IMD decile", "List size"]
        + [_item_title(i) for i in items],
        freeze="C2",
    )
    figures = {item.id: {f.practice.id: f.value for f in data.figures(item)} for item in items}
    for submission in data.submissions:
        practice = submission.practice
        table.line(
            [
                practice.ods_code,
                practice.name,
                submission.pcn.name,
                practice.imd_decile,
                practice.list_size,
            ],
            [None, None, None, "0", INTEGER_FORMAT],
        )
        table.row -= 1
        for col, item in enumerate(items, 6):
            value, fmt = typed_value(figures[item.id].get(practice.id), ITEM_FORMATS[item.type])
            table.put(col, value, fmt)
        table.row += 1
    table.finish()


def _equity(table: _Table, data: icb_views.CollectionData) -> None:
    header = ["Metric id", "Metric", "Practices"]
    for q in range(1, 6):
        name = {1: "Q1 (most deprived)", 5: "Q5 (least deprived)"}.get(q, f"Q{q}")
        header += [f"{name} median", f"{name} practices"]
    header += ["SII", "SII 95% CI lower", "SII 95% CI upper", "SII unit", "Explanation"]
    table.header(header, freeze="C2")
    for item in data.items():
        view = icb_views.equity_view(data, item)
        row: list[object] = [item.id, item.label, view.n]
        formats: list[str | None] = [None, None, INTEGER_FORMAT]
        for q in view.quintiles:
            if q.quintile is None:
                continue
            enough = q.n_practices >= MIN_PRACTICES
            row += [q.median if enough else None, q.n_practices]
            formats += [NUMBER_FORMAT, INTEGER_FORMAT]
        sii = view.sii
        row += [sii.sii, sii.ci_lower, sii.ci_upper, SII_UNITS.get(item.type, item.unit)]
        formats += [NUMBER_FORMAT] * 3 + [None]
        row.append(" ".join(view.explanation))
        table.line(row, formats)
    table.finish()


def _spending(table: _Table, data: icb_views.CollectionData) -> None:
    mix = icb_views.spending_mix(data)
    table.header(
        [
            "Category",
            "Category id",
            "HEP-attributed spend",
            "Total cost",
            "Share of HEP-attributed spend",
            "Practices",
        ]
    )
    for c in mix.categories:
        table.line(
            [c.label, c.category, c.hep, c.total_cost, c.share_pct, c.practices],
            [None, None, MONEY_FORMAT, MONEY_FORMAT, PERCENT_FORMAT, INTEGER_FORMAT],
        )
    table.line(["All categories", "", mix.hep_total], [None, None, MONEY_FORMAT])
    table.skip()
    titles = (
        ["ODS code", "Practice", "PCN", "HEP-attributed spend"]
        + [f"{c.label} (£)" for c in mix.categories]
        + [f"{c.label} (% of practice's HEP spend)" for c in mix.categories]
    )
    for col, title in enumerate(titles, 1):
        table.put(col, title).font = BOLD
    table.row += 1
    for spend in mix.practices:
        practice = spend.submission.practice
        table.line(
            [practice.ods_code, practice.name, spend.submission.pcn.name, spend.hep_total]
            + [spend.hep_by_category.get(c) for c in mix.category_ids]
            + [spend.share_pct(c) for c in mix.category_ids],
            [None, None, None]
            + [MONEY_FORMAT] * (1 + len(mix.categories))
            + [PERCENT_FORMAT] * len(mix.categories),
        )
    table.finish()
