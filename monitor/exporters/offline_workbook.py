"""Offline workbooks: what a practice downloads, fills in offline and uploads back (the
spreadsheet round-trip; nothing to do with the voluntary returns an ICB collects): a
period's figures, the spending log and the staffing log. The layouts here are read back
by monitor/importers/offline_workbook.py, column for column.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from monitor.core.checklist import ChecklistTemplate, Item, ItemType
from monitor.core.formatting import item_value
from monitor.core.inputs import format_for_input
from monitor.core.periods import Period
from monitor.exporters.safe import write_cell
from monitor.models import Practice, SpendItem, StaffingChange
from monitor.services import logs

HEADER_FILL = PatternFill("solid", fgColor="005EB8")
INPUT_FILL = PatternFill("solid", fgColor="FFF9C4")
HEADER_FONT = Font(bold=True, color="FFFFFF")
CONFIRM_WORD = "YES"

# Figures sheet: rows 1–2 say which practice and period it is for; headers on row 4.
FIGURES_SHEET = "Figures"
FIGURES_HEADER_ROW = 4
FIGURES_COLUMNS = (
    "Item id",
    "Figure",
    "Why we ask",
    "Unit",
    "Valid range",
    "Last recorded",
    "Your figure",
    "Confirm unusual figure",
)
INPUT_COLUMN = 7
CONFIRM_COLUMN = 8

SPENDING_SHEET = "Spending"
SPENDING_COLUMNS = (
    "Id",
    "Date",
    "Category",
    "Description",
    "Total cost",
    "Paid by HEP",
    "Other sources",
    "Recurrent or one-off",
    "Version",
)
STAFFING_SHEET = "Staffing"
STAFFING_COLUMNS = (
    "Id",
    "Role",
    "Change",
    "WTE change",
    "Start date",
    "End date",
    "Contract",
    "HEP share of cost (%)",
    "Community languages",
    "Note",
    "Version",
)
LOG_HEADER_ROW = 4


@dataclass(frozen=True)
class Prefill:
    value: str
    last: str


def _header(ws, row: int, titles: Sequence[str]) -> None:
    for column, title in enumerate(titles, start=1):
        cell = write_cell(ws, row, column, title)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = ws.cell(row=row + 1, column=1)


def _identity(ws, practice: Practice, what: str, code: str) -> None:
    write_cell(ws, 1, 1, "Practice")
    write_cell(ws, 1, 2, practice.ods_code)
    write_cell(ws, 1, 3, practice.name)
    write_cell(ws, 2, 1, what)
    write_cell(ws, 2, 2, code)
    for row in (1, 2):
        ws.cell(row=row, column=1).font = Font(bold=True)


def _widths(ws, widths: Sequence[int]) -> None:
    for column, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(column)].width = width


def _range_text(item: Item) -> str:
    if item.min is None and item.max is None:
        return ""
    low = item_value(item.min, item.type, item.unit) if item.min is not None else "any"
    high = item_value(item.max, item.type, item.unit) if item.max is not None else "any"
    return f"{low} to {high}"


def _validation(item: Item, cell_ref: str) -> DataValidation | None:
    """Excel's own checks on the input cell: a first line of defence only; the upload
    is validated again by the service with the same rules as the web form."""
    message = {
        ItemType.DURATION: "Type minutes and seconds, like 2:30",
        ItemType.PERCENT: f"A percentage from {item.min:g} to {item.max:g}, like 12.5"
        if item.min is not None and item.max is not None
        else "A percentage, like 12.5",
        ItemType.COUNT: "A whole number",
        ItemType.MONEY: "An amount in pounds",
        ItemType.NUMBER: "A number",
    }.get(item.type)
    if item.type is ItemType.DURATION:
        validation = DataValidation(
            type="custom", formula1=f'OR({cell_ref}="",ISNUMBER(SEARCH(":",{cell_ref})))'
        )
    elif item.type is ItemType.COUNT:
        validation = DataValidation(
            type="whole",
            operator="between",
            formula1=str(int(item.min or 0)),
            formula2=str(int(item.max if item.max is not None else 10**9)),
        )
    elif item.type in (ItemType.PERCENT, ItemType.MONEY, ItemType.NUMBER):
        validation = DataValidation(
            type="decimal",
            operator="between",
            formula1=str(item.min if item.min is not None else 0),
            formula2=str(item.max if item.max is not None else 10**12),
        )
    else:
        return None
    validation.allow_blank = True
    validation.showErrorMessage = True
    validation.errorTitle = item.label[:32]
    validation.error = f"{item.label}: {message}"[:255]
    validation.showInputMessage = True
    validation.promptTitle = item.label[:32]
    validation.prompt = message[:255]
    return validation


def figures_workbook(
    *,
    practice: Practice,
    template: ChecklistTemplate,
    period: Period,
    prefill: dict[str, Prefill],
    filled: bool,
) -> bytes:
    """The period's items, one row each, with an input column (pre-filled if `filled`)."""
    book = Workbook()
    ws = book.active
    ws.title = FIGURES_SHEET
    _identity(ws, practice, "Period", period.code)
    write_cell(ws, 2, 3, period.long_label)
    _header(ws, FIGURES_HEADER_ROW, FIGURES_COLUMNS)
    row = FIGURES_HEADER_ROW
    for item in template.items_for(period.frequency):
        row += 1
        known = prefill.get(item.id, Prefill("", ""))
        write_cell(ws, row, 1, item.id)
        write_cell(ws, row, 2, item.label + (" (required)" if item.required else ""))
        write_cell(ws, row, 3, item.hint)
        write_cell(ws, row, 4, item.unit)
        write_cell(ws, row, 5, _range_text(item))
        write_cell(ws, row, 6, known.last)
        value = known.value if filled else ""
        if item.type in (ItemType.DURATION, ItemType.TEXT):
            cell = write_cell(ws, row, INPUT_COLUMN, value, number_format="@")
        else:
            number = value.replace(",", "") if value else ""
            cell = write_cell(
                ws,
                row,
                INPUT_COLUMN,
                float(number) if number else None,
                number_format="#,##0.##" if item.type is not ItemType.COUNT else "#,##0",
            )
        cell.fill = INPUT_FILL
        confirm = write_cell(ws, row, CONFIRM_COLUMN, "")
        confirm.fill = INPUT_FILL
        ref = f"{get_column_letter(INPUT_COLUMN)}{row}"
        validation = _validation(item, ref)
        if validation is not None:
            ws.add_data_validation(validation)
            validation.add(ref)
        for column in range(1, CONFIRM_COLUMN + 1):
            ws.cell(row=row, column=column).alignment = Alignment(wrap_text=True, vertical="top")
    confirm_rule = DataValidation(type="list", formula1=f'"{CONFIRM_WORD}"', allow_blank=True)
    ws.add_data_validation(confirm_rule)
    confirm_rule.add(
        f"{get_column_letter(CONFIRM_COLUMN)}{FIGURES_HEADER_ROW + 1}:"
        f"{get_column_letter(CONFIRM_COLUMN)}{max(row, FIGURES_HEADER_ROW + 1)}"
    )
    _widths(ws, (24, 34, 60, 12, 18, 22, 16, 16))
    _instructions(
        book,
        [
            f"Figures for {period.long_label}, {practice.name} ({practice.ods_code}).",
            "Type each figure in the yellow “Your figure” column. Times are minutes and "
            "seconds, like 2:30. Percentages are numbers from 0 to 100, like 12.5. Commas "
            "and £ signs are fine.",
            "Leave a cell blank to keep what is already recorded. To mark a figure as not "
            "recorded, type N/A.",
            "If the service says a figure is far from your usual range and it is right, "
            f"type {CONFIRM_WORD} in the “Confirm unusual figure” column and upload again.",
            "Do not change the item ids, the practice code or the period code at the top: "
            "the upload uses them to put each figure in the right place.",
            "Upload the workbook on the period's page in HEP Impact Monitor. Nothing is "
            "saved unless every row is valid; you get a list of any problems by row.",
            "Figures are practice totals. Never add information about individual patients.",
        ],
    )
    return _save(book)


def _instructions(book: Workbook, lines: list[str]) -> None:
    ws = book.create_sheet("Instructions")
    write_cell(ws, 1, 1, "How to fill in this workbook").font = Font(bold=True, size=14)
    for n, line in enumerate(lines, start=3):
        cell = write_cell(ws, n, 1, line)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 110


def _save(book: Workbook) -> bytes:
    book.properties.creator = "HEP Impact Monitor"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _list_validation(ws, options: Sequence[str], column: int, first_row: int) -> None:
    """A drop-down from a hidden list sheet (Excel limits inline lists to 255 chars)."""
    book = ws.parent
    lists = book["Lists"] if "Lists" in book.sheetnames else book.create_sheet("Lists")
    lists.sheet_state = "hidden"
    list_column = lists.max_column + 1 if lists.max_row > 1 or lists["A1"].value else 1
    for n, option in enumerate(options, start=1):
        write_cell(lists, n, list_column, option)
    letter = get_column_letter(list_column)
    validation = DataValidation(
        type="list", formula1=f"=Lists!${letter}$1:${letter}${len(options)}", allow_blank=True
    )
    validation.error = "Choose from the list"
    validation.showErrorMessage = True
    ws.add_data_validation(validation)
    target = get_column_letter(column)
    validation.add(f"{target}{first_row}:{target}{first_row + 999}")


def spending_workbook(
    *, practice: Practice, template: ChecklistTemplate, items: Sequence[SpendItem]
) -> bytes:
    categories = {c.id: c.label for c in template.spending_categories}
    sources = {s.id: s.label for s in template.funding_sources}
    book = Workbook()
    ws = book.active
    ws.title = SPENDING_SHEET
    _identity(ws, practice, "Log", "spending")
    _header(ws, LOG_HEADER_ROW, SPENDING_COLUMNS)
    for row, item in enumerate(items, start=LOG_HEADER_ROW + 1):
        write_cell(ws, row, 1, item.id)
        write_cell(ws, row, 2, item.spent_on, number_format="dd/mm/yyyy")
        write_cell(ws, row, 3, categories.get(item.category, item.category))
        write_cell(ws, row, 4, item.description)
        write_cell(ws, row, 5, float(item.total_cost), number_format="£#,##0.00")
        write_cell(ws, row, 6, float(item.hep_amount), number_format="£#,##0.00")
        write_cell(ws, row, 7, "; ".join(sources.get(s, s) for s in item.other_sources or []))
        write_cell(ws, row, 8, "Recurrent" if item.recurrence == "recurrent" else "One-off")
        write_cell(ws, row, 9, item.version)
    first = LOG_HEADER_ROW + 1
    _list_validation(ws, list(categories.values()), 3, first)
    _list_validation(ws, ["Recurrent", "One-off"], 8, first)
    _widths(ws, (8, 13, 34, 44, 14, 14, 40, 20, 9))
    _instructions(
        book,
        [
            f"Spending log for {practice.name} ({practice.ods_code}).",
            "Change a row to edit that item; add rows at the bottom with an empty Id to add "
            "items. Rows you leave out or delete are not changed in the service: delete "
            "items on the Spending page.",
            "Date: day/month/year, like 03/09/2025. Category: choose from the list. Total "
            "cost and Paid by HEP: amounts in pounds. Other sources: the sources that paid "
            "the rest, separated by semicolons, from: "
            + "; ".join(s.label for s in template.funding_sources if s.id != "hep")
            + ".",
            "Do not change the Id or Version columns: they stop an upload from overwriting "
            "a change someone made in the service after you downloaded this workbook.",
            "Nothing is saved unless every row is valid; you get a list of any problems.",
        ],
    )
    return _save(book)


def staffing_workbook(
    *, practice: Practice, template: ChecklistTemplate, changes: Sequence[StaffingChange]
) -> bytes:
    roles = {r.id: r.label for r in template.staffing_roles}
    kinds = {c.id: c.label for c in template.staffing_change_types}
    book = Workbook()
    ws = book.active
    ws.title = STAFFING_SHEET
    _identity(ws, practice, "Log", "staffing")
    _header(ws, LOG_HEADER_ROW, STAFFING_COLUMNS)
    for row, change in enumerate(changes, start=LOG_HEADER_ROW + 1):
        write_cell(ws, row, 1, change.id)
        write_cell(ws, row, 2, roles.get(change.role, change.role))
        write_cell(ws, row, 3, kinds.get(change.change_type, change.change_type))
        write_cell(ws, row, 4, float(change.wte_change), number_format="0.00")
        write_cell(ws, row, 5, change.starts_on, number_format="dd/mm/yyyy")
        write_cell(ws, row, 6, change.ends_on, number_format="dd/mm/yyyy")
        write_cell(ws, row, 7, logs.CONTRACT_TYPES.get(change.contract_type))
        write_cell(ws, row, 8, float(change.hep_share_pct), number_format="0.##")
        write_cell(ws, row, 9, change.languages)
        write_cell(ws, row, 10, change.note)
        write_cell(ws, row, 11, change.version)
    first = LOG_HEADER_ROW + 1
    _list_validation(ws, list(roles.values()), 2, first)
    _list_validation(ws, list(kinds.values()), 3, first)
    _list_validation(ws, list(logs.CONTRACT_TYPES.values()), 7, first)
    _widths(ws, (8, 30, 18, 12, 13, 13, 20, 14, 24, 40, 9))
    _instructions(
        book,
        [
            f"Staffing changes for {practice.name} ({practice.ods_code}).",
            "Change a row to edit that change; add rows with an empty Id to add changes. Rows "
            "you leave out are not changed in the service.",
            "WTE change: + for added hours, like 0.6, - for a post that ended, like -1, 0 for "
            "upskilling. Dates: day/month/year. A fixed-term post needs an end date. HEP "
            "share of cost: 0 to 100.",
            "Do not change the Id or Version columns.",
            "Nothing is saved unless every row is valid; you get a list of any problems.",
        ],
    )
    return _save(book)


def prefill_for(template: ChecklistTemplate, period: Period, stored, previous) -> dict:
    """Input and "last recorded" text for each item of a period."""
    result = {}
    for item in template.items_for(period.frequency):
        value = ""
        if item.id in stored:
            value = format_for_input(item, stored[item.id].number, stored[item.id].text)
        last = ""
        if item.id in previous:
            when, number, text = previous[item.id]
            shown = item_value(number, item.type, item.unit) if number is not None else text
            last = f"{shown} ({when.label})"
        result[item.id] = Prefill(value, last)
    return result
