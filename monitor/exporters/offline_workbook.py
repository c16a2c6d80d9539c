"""Offline workbooks: what a practice downloads, fills in offline and uploads back (the
spreadsheet round-trip; nothing to do with the voluntary returns an ICB collects): a
period's figures, the spending log and the staffing log. The layouts here are read back
by monitor/importers/offline_workbook.py, column for column.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from monitor.core import palette
from monitor.core.checklist import ChecklistTemplate, Item, ItemType
from monitor.core.formatting import item_value
from monitor.core.inputs import format_for_input
from monitor.core.periods import Period
from monitor.exporters.safe import write_cell
from monitor.exporters.workbook import BOLD, Book, Sheet, colour, fill, font
from monitor.services import logs

if TYPE_CHECKING:
    from monitor.models import Practice, SpendItem, StaffingChange

HEADER_FILL = fill(palette.NHS_BLUE)
HEADER_FONT = font(bold=True, color=colour(palette.NHS_WHITE))
INPUT_FILL = fill(palette.NHSUK_PALE_YELLOW)  # the cells a practice types in
INSTRUCTIONS_TITLE = font(bold=True, size=14)
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
SOURCE_COLUMN = 9
SOURCE_HEADING = "Where the figure came from"
"""Read by people only: the upload checks the columns above and ignores this one."""

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
# Shown as a person types them in: day/month/year dates, pounds and pence.
DAY_FORMAT = "dd/mm/yyyy"
POUNDS_FORMAT = "£#,##0.00"


@dataclass(frozen=True)
class Prefill:
    value: str
    last: str
    source: str = ""
    """Where the recorded figure came from ("From Cloud Based Telephony, … publication")."""


def _identity(sheet: Sheet, practice: Practice, what: str, code: str, label: str = "") -> None:
    """Rows 1 and 2: which practice, and which period or log; the upload checks them."""
    sheet.put(1, "Practice", font=BOLD)
    sheet.put(2, practice.ods_code)
    sheet.put(3, practice.name)
    sheet.skip()
    sheet.put(1, what, font=BOLD)
    sheet.put(2, code)
    if label:
        sheet.put(3, label)
    sheet.skip()


def _header(sheet: Sheet, row: int, titles: Sequence[str]) -> None:
    """White on NHS blue at ``row``, where the upload looks for it, frozen above the rows."""
    sheet.row = row
    sheet.header(titles, font=HEADER_FONT, fill=HEADER_FILL)
    sheet.freeze()


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
    book = Book(f"Figures for {period.long_label}: {practice.name} ({practice.ods_code})")
    sheet = book.sheet(FIGURES_SHEET, widths=(24, 34, 60, 12, 18, 22, 16, 16, 44))
    ws = sheet.ws
    _identity(sheet, practice, "Period", period.code, period.long_label)
    _header(sheet, FIGURES_HEADER_ROW, (*FIGURES_COLUMNS, SOURCE_HEADING))
    for item in template.items_for(period.frequency):
        known = prefill.get(item.id, Prefill("", ""))
        value, number_format = _input(item, known.value if filled else "")
        described = [
            item.id,
            item.label + (" (required)" if item.required else ""),
            item.hint,
            item.unit,
            _range_text(item),
            known.last,
        ]
        for col, text in enumerate(described, 1):
            sheet.put(col, text, wrap=True)
        sheet.put(INPUT_COLUMN, value, number_format=number_format, fill=INPUT_FILL, wrap=True)
        sheet.put(CONFIRM_COLUMN, "", fill=INPUT_FILL, wrap=True)
        sheet.put(SOURCE_COLUMN, known.source, wrap=True)
        ref = f"{get_column_letter(INPUT_COLUMN)}{sheet.row}"
        validation = _validation(item, ref)
        if validation is not None:
            ws.add_data_validation(validation)
            validation.add(ref)
        sheet.skip()
    confirm_rule = DataValidation(type="list", formula1=f'"{CONFIRM_WORD}"', allow_blank=True)
    ws.add_data_validation(confirm_rule)
    confirm_rule.add(
        f"{get_column_letter(CONFIRM_COLUMN)}{FIGURES_HEADER_ROW + 1}:"
        f"{get_column_letter(CONFIRM_COLUMN)}{max(sheet.row - 1, FIGURES_HEADER_ROW + 1)}"
    )
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
            f"The “{SOURCE_HEADING}” column says which figures came from NHS England's "
            "published data. Those cannot be changed here: to use your own figure instead, "
            "override it on the period's page in HEP Impact Monitor and give a reason.",
            "Do not change the item ids, the practice code or the period code at the top: "
            "the upload uses them to put each figure in the right place.",
            "Upload the workbook on the period's page in HEP Impact Monitor. Nothing is "
            "saved unless every row is valid; you get a list of any problems by row.",
            "Figures are practice totals. Never add information about individual patients.",
        ],
    )
    return book.to_bytes()


def _input(item: Item, value: str) -> tuple[object, str]:
    """What the "Your figure" cell starts with, and its number format: text for times
    (typed as 2:30) and text items, a number for the rest."""
    if item.type in (ItemType.DURATION, ItemType.TEXT):
        return value, "@"
    number = value.replace(",", "") if value else ""
    return float(number) if number else None, (
        "#,##0.##" if item.type is not ItemType.COUNT else "#,##0"
    )


def _instructions(book: Book, lines: list[str]) -> None:
    sheet = book.sheet("Instructions", widths=[110])
    sheet.put(1, "How to fill in this workbook", font=INSTRUCTIONS_TITLE)
    sheet.skip(2)
    for line in lines:
        sheet.put(1, line, wrap=True)
        sheet.skip()


def _lists(book: Book) -> Worksheet:
    """The hidden sheet the drop-downs take their options from."""
    lists = book.sheet("Lists").ws
    lists.sheet_state = "hidden"
    return lists


def _list_validation(
    ws: Worksheet, lists: Worksheet, options: Sequence[str], column: int, first_row: int
) -> None:
    """A drop-down from a column of ``lists`` (Excel limits inline lists to 255 chars)."""
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
    book = Book(f"Spending log: {practice.name} ({practice.ods_code})")
    sheet = book.sheet(SPENDING_SHEET, widths=(8, 13, 34, 44, 14, 14, 40, 20, 9))
    _identity(sheet, practice, "Log", "spending")
    _header(sheet, LOG_HEADER_ROW, SPENDING_COLUMNS)
    for item in items:
        sheet.line(
            [
                item.id,
                item.spent_on,
                categories.get(item.category, item.category),
                item.description,
                float(item.total_cost),
                float(item.hep_amount),
                "; ".join(sources.get(s, s) for s in item.other_sources or []),
                "Recurrent" if item.recurrence == "recurrent" else "One-off",
                item.version,
            ],
            [None, DAY_FORMAT, None, None, POUNDS_FORMAT, POUNDS_FORMAT],
        )
    first = LOG_HEADER_ROW + 1
    lists = _lists(book)
    _list_validation(sheet.ws, lists, list(categories.values()), 3, first)
    _list_validation(sheet.ws, lists, ["Recurrent", "One-off"], 8, first)
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
    return book.to_bytes()


def staffing_workbook(
    *, practice: Practice, template: ChecklistTemplate, changes: Sequence[StaffingChange]
) -> bytes:
    roles = {r.id: r.label for r in template.staffing_roles}
    kinds = {c.id: c.label for c in template.staffing_change_types}
    book = Book(f"Staffing log: {practice.name} ({practice.ods_code})")
    sheet = book.sheet(STAFFING_SHEET, widths=(8, 30, 18, 12, 13, 13, 20, 14, 24, 40, 9))
    _identity(sheet, practice, "Log", "staffing")
    _header(sheet, LOG_HEADER_ROW, STAFFING_COLUMNS)
    for change in changes:
        sheet.line(
            [
                change.id,
                roles.get(change.role, change.role),
                kinds.get(change.change_type, change.change_type),
                float(change.wte_change),
                change.starts_on,
                change.ends_on,
                logs.CONTRACT_TYPES.get(change.contract_type),
                float(change.hep_share_pct),
                change.languages,
                change.note,
                change.version,
            ],
            [None, None, None, "0.00", DAY_FORMAT, DAY_FORMAT, None, "0.##"],
        )
    first = LOG_HEADER_ROW + 1
    lists = _lists(book)
    _list_validation(sheet.ws, lists, list(roles.values()), 2, first)
    _list_validation(sheet.ws, lists, list(kinds.values()), 3, first)
    _list_validation(sheet.ws, lists, list(logs.CONTRACT_TYPES.values()), 7, first)
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
    return book.to_bytes()


def prefill_for(template: ChecklistTemplate, period: Period, stored, previous) -> dict:
    """Input, "last recorded" and source text for each item of a period. `stored` holds
    what is recorded (services.figures.Recorded: number, text and, where known, its
    provenance)."""
    result = {}
    for item in template.items_for(period.frequency):
        value = ""
        source = ""
        if item.id in stored:
            recorded = stored[item.id]
            value = format_for_input(item, recorded.number, recorded.text)
            provenance = getattr(recorded, "provenance", None)  # unknown: say nothing
            if provenance is not None and provenance.imported:
                source = (
                    f"{provenance.origin}. To use your own figure, override it on the period's page"
                )
            elif provenance is not None:
                source = provenance.text
        last = ""
        if item.id in previous:
            when, number, text = previous[item.id]
            shown = item_value(number, item.type, item.unit) if number is not None else text
            last = f"{shown} ({when.label})"
        result[item.id] = Prefill(value, last, source)
    return result
