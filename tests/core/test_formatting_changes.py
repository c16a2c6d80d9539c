"""Changes read in the item's terms: a change in a percentage is in percentage points,
nothing reads "-0", counts have no decimals; on the formatter and on every page and
summary that shows a change (issue 14)."""

import io
import math
from decimal import Decimal

import openpyxl
import pytest
from pypdf import PdfReader

from monitor.core.checklist import ItemType
from monitor.core.formatting import (
    difference_format,
    duration,
    export_number,
    item_value,
    money,
    number,
    percent,
    percentage_points,
)
from monitor.core.periods import Period
from monitor.exporters.summary_xlsx import POINTS_FORMAT
from tests.factories import make_allocation, make_value

# --------------------------------------------------------------------------- formatter


@pytest.mark.parametrize(
    ("value", "item_type", "unit", "expected"),
    [
        (12.5, ItemType.PERCENT, "%", "+12.5 percentage points"),
        (-3.0, ItemType.PERCENT, "%", "-3 percentage points"),
        (-0.04, ItemType.PERCENT, "%", "0 percentage points"),
        (0.04, ItemType.PERCENT, "%", "0 percentage points"),
        (1200, ItemType.MONEY, "£", "+£1,200"),
        (-0.3, ItemType.MONEY, "£", "£0"),
        (30, ItemType.DURATION, "mm:ss", "+0:30"),
        (-65, ItemType.DURATION, "mm:ss", "-1:05"),
        (-0.4, ItemType.DURATION, "mm:ss", "0:00"),
        (56.6, ItemType.COUNT, "calls", "+57"),
        (-0.4, ItemType.COUNT, "calls", "0"),
        (1.25, ItemType.NUMBER, "sessions", "+1.2 sessions"),
        (-0.04, ItemType.NUMBER, "", "0.0"),
    ],
)
def test_a_change_is_signed_after_rounding_in_the_items_terms(value, item_type, unit, expected):
    assert item_value(value, item_type, unit, change=True) == expected


def test_a_change_in_a_percentage_never_reads_as_a_relative_change():
    assert percentage_points(12.5) == "+12.5 percentage points"
    assert percentage_points(12.5, short=True) == "+12.5 pp"
    assert "%" not in item_value(-7.25, ItemType.PERCENT, "%", change=True)


@pytest.mark.parametrize(
    "shown",
    [
        money(-0.3),
        money(-0.004, pence=True),
        money(-0.3, signed=True),
        percent(-0.04),
        percent(-0.04, signed=True),
        number(-0.04),
        number(-0.004, places=2, signed=True),
        duration(-0.4),
        duration(-0.4, signed=True),
        item_value(-0.04, ItemType.PERCENT),
        item_value(-0.4, ItemType.COUNT),
    ],
)
def test_nothing_rounds_to_minus_zero(shown):
    assert not shown.startswith("-"), shown
    assert not shown.startswith("+"), shown


def test_a_differences_formatter_never_shows_minus_zero():
    class Percent:
        type = ItemType.PERCENT
        unit = "%"

    fmt, unit = difference_format(Percent())
    assert (fmt(-0.04), unit) == ("0.0", "percentage points")
    assert fmt(-4.2) == "-4.2"


def test_signed_figures_carry_a_plus_only_above_zero():
    assert money(1200, signed=True) == "+£1,200"
    assert money(-50, signed=True) == "-£50"
    assert percent(5.25, signed=True) == "+5.2%"  # a relative change in spending is a %
    assert number(Decimal("0.50"), places=2, signed=True) == "+0.50"
    assert number(Decimal("-0.50"), places=2, signed=True) == "-0.50"
    assert duration(-65) == "-1:05"


def test_counts_have_no_decimals():
    assert item_value(1178.4, ItemType.COUNT, "calls") == "1,178"
    assert item_value(2.0, ItemType.COUNT) == "2"
    # The tables' name for a count reads the same.
    assert item_value(1178.4, "integer") == "1,178"
    assert item_value(56.6, "integer", change=True) == "+57"


def test_a_download_keeps_numbers_as_numbers_at_the_items_precision():
    assert export_number(1234.0, ItemType.COUNT) == 1234
    assert isinstance(export_number(1234.0, ItemType.COUNT), int)
    assert export_number(1.4347826, ItemType.COUNT, derived=True) == 1.43  # a mean of counts
    assert export_number(91.23456789, ItemType.PERCENT) == 91.23
    assert export_number(-1.5, ItemType.PERCENT, derived=True) == -1.5
    assert export_number(48000.5, ItemType.MONEY) == 48000.5
    assert export_number(290.0, ItemType.DURATION) == 290
    assert export_number(0.123456, ItemType.NUMBER) == 0.123456  # as typed
    assert export_number(-0.001, ItemType.PERCENT) == 0
    assert export_number(None, ItemType.COUNT) is None
    assert export_number(math.nan, ItemType.COUNT) is None


# --------------------------------------------------------------------------- pages

BEFORE = [10.5, 11.0, 9.5, 10.0, 10.8, 9.7, 10.2, 10.4, 9.9, 10.1, 10.6, 9.8]
AFTER = [4.2, 3.9, 4.1, 4.4, 3.8, 4.0, 4.3, 3.7, 4.1, 4.2, 3.9, 4.0]
BASELINE = sum(BEFORE) / len(BEFORE)
CHANGE = AFTER[-1] - BASELINE
POINTS = f"-{abs(CHANGE):.1f} percentage points"


@pytest.fixture
def abandoned(session, world):
    """Calls abandoned: about 10% in 2021/22, the baseline, and about 4% since."""
    period = Period.parse("2021-04")
    for value in BEFORE + AFTER:
        make_value(
            session,
            practice=world.practice,
            item_id="calls_abandoned_pct",
            period_code=period.code,
            number=value,
        )
        period = period.next()
    make_allocation(session, practice=world.practice, financial_year=2022, amount=Decimal(48000))
    return world


def card_of(soup, label: str):
    return next(
        card
        for card in soup.select(".app-metric-card")
        if card.select_one(".nhsuk-card__link").get_text(strip=True) == label
    )


def test_the_dashboard_card_names_percentage_points(client, abandoned):
    client.sign_in(abandoned.editor.email)
    card = card_of(client.page("/dashboard"), "Calls abandoned").get_text(" ", strip=True)
    assert f"{POINTS} compared with the 2021/22 average of 10.2%" in card
    assert f"{CHANGE:.1f}%" not in card


def test_the_metric_pages_before_and_after_difference_names_percentage_points(client, abandoned):
    client.sign_in(abandoned.editor.email)
    soup = client.page("/metrics/calls_abandoned_pct")
    panel = soup.select_one("#before-after").find_next("dl")
    rows = {
        row.select_one("dt").get_text(strip=True): row.select_one("dd").get_text(strip=True)
        for row in panel.select(".nhsuk-summary-list__row")
    }
    assert rows["Difference"].endswith(" percentage points")
    assert rows["Difference"].startswith("-")


def test_the_summary_page_workbook_and_pdf_name_percentage_points(client, abandoned):
    client.sign_in(abandoned.editor.email)
    soup = client.page("/summary?year=2022")
    row = next(
        r
        for r in soup.select("#summary-metrics tbody tr")
        if r.select_one("th").get_text(strip=True) == "Calls abandoned"
    )
    assert row.select("td")[2].get_text(" ", strip=True) == POINTS

    book = openpyxl.load_workbook(
        io.BytesIO(client.get("/summary/impact-summary.xlsx?year=2022").data)
    )
    sheet = book["Summary"]
    (cells,) = [r for r in sheet.iter_rows() if r[0].value == "Calls abandoned"]
    assert cells[5].number_format == POINTS_FORMAT
    assert cells[5].value == pytest.approx(CHANGE)
    notes = [r[0].value for r in sheet.iter_rows() if isinstance(r[0].value, str)]
    assert any("percentage points (pp)" in note for note in notes)

    pdf = PdfReader(io.BytesIO(client.get("/summary/impact-summary.pdf?year=2022").data))
    text = " ".join(" ".join(page.extract_text().split()) for page in pdf.pages)
    assert f"-{abs(CHANGE):.1f} pp" in text
    assert "percentage points (pp)" in text
