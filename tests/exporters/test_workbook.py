"""The one workbook writer (monitor.exporters.workbook): what a sheet written through it
holds once saved and opened again."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest

from monitor.core import palette
from monitor.core.tables import DURATION, MONEY, PERCENT
from monitor.exporters import safe
from monitor.exporters.workbook import (
    BOLD,
    CREATOR,
    HEADING_FONT,
    MAX_WIDTH,
    MIN_WIDTH,
    MUTED,
    TITLE_FONT,
    Book,
    colour,
    fill,
    font,
)


def reopen(book: Book) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(book.to_bytes()))


def width(ws, letter: str) -> float:
    return ws.column_dimensions[letter].width


def test_book_names_its_creator_and_title_and_opens_on_its_first_sheet():
    book = Book("HEP impact summary: Alpha Surgery", subject="Impact")
    for title in ("First", "Second", "Third"):
        book.sheet(title).put(1, title)
    wb = reopen(book)
    assert wb.sheetnames == ["First", "Second", "Third"]
    assert wb.active.title == "First"
    assert wb.properties.title == "HEP impact summary: Alpha Surgery"
    assert wb.properties.subject == "Impact"
    assert wb.properties.creator == wb.properties.lastModifiedBy == CREATOR == "HEP Impact Monitor"


def test_book_title_loses_what_xml_cannot_hold_and_is_cut_to_what_office_shows():
    wb = reopen(Book("Bell\x07 " + "x" * 300))
    assert wb.properties.title.startswith("Bell x")
    assert len(wb.properties.title) == 250


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x","y")', "+1", "-2+3", "@SUM(A1)"])
def test_text_that_looks_like_a_formula_is_stored_as_text(text):
    book = Book("Injection")
    sheet = book.sheet("Sheet")
    sheet.put(1, text)
    sheet.skip()
    sheet.header([text])
    sheet.line([text, text])
    ws = reopen(book)["Sheet"]
    for cell in (ws["A1"], ws["A2"], ws["A3"], ws["B3"]):
        assert cell.value == text
        assert cell.data_type == "s"
        assert cell.quotePrefix


def test_a_figure_of_a_declared_kind_gets_that_kinds_number_format():
    book = Book("Kinds")
    sheet = book.sheet("Sheet")
    sheet.put(1, 1200, MONEY)
    sheet.put(2, 1200.5, MONEY)
    sheet.put(3, 12.5, PERCENT)
    sheet.put(4, 150, DURATION)
    sheet.put(5, 1200, MONEY, number_format=safe.INTEGER_FORMAT)
    ws = reopen(book)["Sheet"]
    assert [c.number_format for c in ws[1]] == [
        safe.MONEY_FORMAT,
        safe.MONEY_PENCE_FORMAT,
        safe.PERCENT_FORMAT,
        safe.DURATION_FORMAT,
        safe.INTEGER_FORMAT,
    ]
    assert ws["C1"].value == 12.5  # 0–100, as the app stores it
    assert ws["D1"].value.total_seconds() == pytest.approx(150)


def test_line_writes_a_row_from_column_a_with_its_formats_and_moves_down():
    book = Book("Lines")
    sheet = book.sheet("Sheet")
    sheet.line(["Alpha", 1200, date(2025, 4, 1)], [None, safe.MONEY_FORMAT])
    sheet.line(["Beta"])
    assert sheet.row == 3
    ws = reopen(book)["Sheet"]
    assert [c.value for c in ws[1]] == ["Alpha", 1200, ws["C1"].value]
    assert ws["C1"].is_date and ws["C1"].number_format == safe.DATE_FORMAT
    assert ws["B1"].number_format == safe.MONEY_FORMAT
    assert ws["A2"].value == "Beta"


def test_header_is_bold_wraps_and_sits_right_over_numeric_columns():
    book = Book("Header")
    sheet = book.sheet("Sheet")
    sheet.header(["Category", "Paid by HEP"], numeric=[2])
    ws = reopen(book)["Sheet"]
    assert ws["A1"].font.b and ws["B1"].font.b
    assert ws["A1"].alignment.wrap_text and ws["A1"].alignment.vertical == "top"
    assert ws["A1"].alignment.horizontal is None
    assert ws["B1"].alignment.horizontal == "right"


def test_freeze_keeps_the_rows_above_and_the_first_columns_in_view():
    book = Book("Frozen")
    plain = book.sheet("Plain")
    plain.header(["A", "B"])
    plain.freeze()
    pivot = book.sheet("Pivot")
    pivot.header(["A", "B", "C"])
    pivot.freeze(columns=2)
    form = book.sheet("Form")
    form.row = 4
    form.header(["A"])
    form.freeze()
    wb = reopen(book)
    assert [wb[name].freeze_panes for name in ("Plain", "Pivot", "Form")] == ["A2", "C2", "A5"]


def test_columns_fit_what_they_show_within_the_minimum_and_maximum():
    book = Book("Widths")
    sheet = book.sheet("Sheet")
    sheet.line(["x", "A practice name of thirty chars", "y" * 200, 52000, date(2024, 4, 15)])
    sheet.line([None, None, None, None, None], [None, None, None, safe.MONEY_PENCE_FORMAT])
    sheet.line(["", "", "", 52000.25], [None, None, None, safe.MONEY_PENCE_FORMAT])
    ws = reopen(book)["Sheet"]
    assert width(ws, "A") == MIN_WIDTH
    assert width(ws, "B") == len("A practice name of thirty chars") + 2
    assert width(ws, "C") == MAX_WIDTH
    assert width(ws, "D") >= len("£52,000.25")
    assert width(ws, "E") >= len("15 Apr 2024")


def test_a_bold_heading_sets_a_wider_column_than_the_same_plain_text():
    book = Book("Bold")
    sheet = book.sheet("Sheet")
    sheet.header(["Share of HEP-attributed spend"])
    sheet.put(2, "Share of HEP-attributed spend")
    ws = reopen(book)["Sheet"]
    assert width(ws, "A") > width(ws, "B") >= len("Share of HEP-attributed spend")


def test_a_heading_fitted_by_word_does_not_widen_a_column_of_short_numbers():
    book = Book("By word")
    sheet = book.sheet("Sheet", report=True)
    sheet.header(["Figure", "Change since the baseline"], by_word=True)
    sheet.line(["Calls", 5])
    ws = reopen(book)["Sheet"]
    assert width(ws, "B") < len("Change since the baseline")
    assert ws.row_dimensions[1].height > 15  # the heading wraps onto more lines


def test_fixed_widths_are_kept_whatever_the_columns_hold():
    book = Book("Form")
    sheet = book.sheet("Sheet", widths=(24, 60))
    sheet.line(["short", "y" * 200, "fitted column"])
    ws = reopen(book)["Sheet"]
    assert [width(ws, letter) for letter in "AB"] == [24, 60]
    assert width(ws, "C") == len("fitted column") + 2


def test_a_report_indents_text_after_the_first_column_and_fits_rows_to_wrapped_text():
    book = Book("Report")
    sheet = book.sheet("Sheet", report=True)
    sheet.put(1, "Average time to answer calls")
    sheet.put(2, "Improved")
    sheet.put(3, 125, DURATION)
    sheet.put(4, "word " * 40, wrap=True)
    ws = reopen(book)["Sheet"]
    assert ws["A1"].alignment.indent == 0 and ws["A1"].alignment.vertical == "top"
    assert ws["B1"].alignment.horizontal == "left" and ws["B1"].alignment.indent == 1
    assert ws["C1"].alignment.indent == 0  # a number is not indented
    assert ws["D1"].alignment.wrap_text
    assert ws.row_dimensions[1].height == pytest.approx(4 * 15 + 2)


def test_a_table_leaves_alignment_and_row_heights_to_the_spreadsheet():
    book = Book("Table")
    sheet = book.sheet("Sheet")
    sheet.put(1, "Alpha")
    sheet.put(2, "Surgery")
    sheet.put(3, "word " * 40, wrap=True)
    ws = reopen(book)["Sheet"]
    assert ws["B1"].alignment.horizontal is None and ws["B1"].alignment.indent == 0
    assert ws["C1"].alignment.wrap_text
    assert ws.row_dimensions[1].height is None


def test_a_note_and_a_heading_run_on_without_widening_their_column():
    book = Book("Notes")
    sheet = book.sheet("Sheet", report=True)
    sheet.heading("Spending by category, a long heading")
    sheet.note("No spending recorded in this period, a long note.")
    ws = reopen(book)["Sheet"]
    assert ws["A1"].font.b and ws["A1"].font.sz == HEADING_FONT.sz
    assert ws["A2"].font.i
    assert "A" not in ws.column_dimensions  # no width set: the spreadsheet's default


def test_every_font_names_the_workbook_typeface_and_colours_come_from_the_palette():
    assert {f.name for f in (BOLD, TITLE_FONT, HEADING_FONT, MUTED, font(size=14))} == {"Calibri"}
    assert MUTED.color.rgb.endswith(palette.NHSUK_GREY_1.removeprefix("#"))
    book = Book("Filled")
    sheet = book.sheet("Sheet")
    sheet.header(
        ["Your figure"],
        font=font(bold=True, color=colour(palette.NHS_WHITE)),
        fill=fill(palette.NHS_BLUE),
    )
    cell = reopen(book)["Sheet"]["A1"]
    assert cell.fill.fill_type == "solid"
    assert cell.fill.fgColor.rgb.endswith("005EB8")
    assert cell.font.name == "Calibri" and cell.font.color.rgb.endswith("FFFFFF")


def test_landscape_printing_fits_every_column_on_an_a4_page():
    book = Book("Print")
    sheet = book.sheet("Sheet")
    sheet.put(1, "x")
    sheet.print_landscape()
    ws = reopen(book)["Sheet"]
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4)
    assert ws.sheet_properties.pageSetUpPr.fitToPage
