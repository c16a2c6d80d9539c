"""The impact summary as an Excel workbook and as CSV: layout, number formats, the numbers
themselves (they must equal the dashboard's and the money view's), and that LibreOffice
opens the workbook.

`add_history` and `summary_for` are shared with the PDF and injection tests.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import zipfile
from datetime import date, datetime, timedelta
from decimal import Decimal

import openpyxl
import pytest
from pypdf import PdfReader
from sqlmodel import Session, select

from monitor.config import PROJECT_ROOT
from monitor.core.checklist import ItemType, load_template
from monitor.core.periods import Period, financial_year_label
from monitor.exporters import safe
from monitor.exporters.summary_xlsx import (
    MAX_WIDTH,
    POINTS_FORMAT,
    metrics_csv,
    summary_csv,
    summary_filename,
    summary_tables_zip,
    summary_workbook,
)
from monitor.models import (
    HepAllocation,
    Intervention,
    MetricValue,
    Practice,
    SpendItem,
    StaffingChange,
)
from monitor.services import evidence, logs
from monitor.services.summary import ImpactSummary, build_summary, financial_year_range

TEMPLATE = load_template(PROJECT_ROOT / "checklist_templates" / "hep-light-touch-v1.yaml")
TODAY = date(2025, 5, 12)
YEAR = 2024  # the last complete financial year on TODAY
FOUR_YEARS = (date(2021, 4, 1), date(2025, 3, 31))
TABLES = ["Figures", "Spending", "Staffing", "Allocations", "Interventions"]

# Deterministic month-to-month wobble, so the statistics have variation to work with.
WOBBLE = [0, 5, -4, 3, -2, 6, -5, 1, -3, 4, -1, 2]
MONTHLY = {
    # item: (level in the 2020/21 baseline year, level from 2021/22 on, wobble scale)
    "call_answer_time": (300, 125, 1),
    "calls_abandoned_pct": (12.4, 6.2, 0.1),
    "inbound_calls": (5200, 5600, 10),
    "fft_positive_pct": (84.0, 84.5, 0.1),
}
ALLOCATIONS = {
    2021: Decimal("40000.00"),
    2022: Decimal("45500.50"),
    2023: Decimal("42000.00"),
    2024: Decimal("48000.00"),
}
# (date, category, description, total cost, paid by HEP, other sources, recurrence)
SPENDING = [
    (
        date(2021, 6, 1),
        "telephony",
        "Cloud telephony with call-back",
        "9000",
        "9000",
        [],
        "one_off",
    ),
    (
        date(2022, 5, 9),
        "clinical_staff",
        "Salaried GP sessions",
        "30000",
        "20000",
        ["gms"],
        "recurrent",
    ),
    (
        date(2023, 7, 3),
        "screening_campaigns",
        "Bowel screening calls",
        "2500",
        "2500",
        [],
        "one_off",
    ),
    (
        date(2024, 4, 15),
        "clinical_staff",
        "Advanced nurse practitioner",
        "52000",
        "26000",
        ["arrs"],
        "recurrent",
    ),
    (
        date(2024, 6, 20),
        "telephony",
        "Call-back licence renewal",
        "3200.40",
        "3200.40",
        [],
        "recurrent",
    ),
    (
        date(2024, 9, 2),
        "interpreting",
        "Gujarati and Punjabi interpreting",
        "1800",
        "1350.25",
        ["pcn", "gms"],
        "one_off",
    ),
    (
        date(2025, 2, 11),
        "premises",
        "Step-free entrance ramp",
        "7400",
        "5000",
        ["other_icb"],
        "one_off",
    ),
]
# (start, role, change, WTE, contract, end, HEP share %, languages, note)
STAFFING = [
    (date(2022, 5, 1), "salaried_gp", "new_post", "0.40", "permanent", None, "66.67", "", ""),
    (
        date(2024, 4, 15),
        "anp",
        "new_post",
        "1.00",
        "permanent",
        None,
        "50",
        "",
        "Minor illness clinics",
    ),
    (
        date(2024, 7, 1),
        "care_navigator",
        "new_post",
        "0.60",
        "fixed_term",
        date(2026, 3, 31),
        "100",
        "Gujarati, Punjabi",
        "",
    ),
    (
        date(2025, 1, 6),
        "receptionist",
        "post_ended",
        "-0.50",
        "permanent",
        None,
        "0",
        "",
        "Retired",
    ),
]


def add_history(session: Session, practice: Practice) -> None:
    """Five financial years of a practice's records: 2020/21 before the HEP (the default
    baseline), allocations 2021/22 to 2024/25, monthly, quarterly and annual figures,
    pooled spending, staffing changes and interventions."""
    rows: list = []

    def value(item_id: str, period: Period, number: float) -> None:
        rows.append(
            MetricValue(
                practice_id=practice.id,
                item_id=item_id,
                frequency=period.frequency.value,
                period_code=period.code,
                period_start=period.start,
                value_number=number,
                template_id=TEMPLATE.id,
                template_version=TEMPLATE.version,
                source="manual",
            )
        )

    for item_id, (before, after, scale) in MONTHLY.items():
        period = Period.parse("2020-04")
        for n in range(60):
            level = before if period.fy == 2020 else after
            value(item_id, period, level + WOBBLE[n % 12] * scale)
            period = period.next()
    period = Period.parse("2020-21-q1")
    for n in range(20):
        value("cervical_screening_pct", period, 70.0 + n * 0.3 + WOBBLE[n % 12] * 0.1)
        period = period.next()
    for fy, percent in zip(range(2020, 2025), [71.0, 72.5, 74.0, 73.0, 76.5], strict=True):
        value("gpps_overall_experience", Period.parse(f"{fy}-{(fy + 1) % 100:02d}"), percent)
    for fy, amount in ALLOCATIONS.items():
        rows.append(
            HepAllocation(
                practice_id=practice.id,
                financial_year=fy,
                amount=amount,
                received_on=date(fy, 6, 30),
                note=f"Remittance for {financial_year_label(fy)}",
            )
        )
    for spent_on, category, description, total, hep, sources, recurrence in SPENDING:
        rows.append(
            SpendItem(
                practice_id=practice.id,
                spent_on=spent_on,
                category=category,
                description=description,
                total_cost=Decimal(total),
                hep_amount=Decimal(hep),
                other_sources=sources,
                recurrence=recurrence,
            )
        )
    for starts_on, role, change, wte, contract, ends_on, share, languages, note in STAFFING:
        rows.append(
            StaffingChange(
                practice_id=practice.id,
                role=role,
                change_type=change,
                wte_change=Decimal(wte),
                starts_on=starts_on,
                ends_on=ends_on,
                contract_type=contract,
                hep_share_pct=Decimal(share),
                languages=languages,
                note=note,
            )
        )
    rows += [
        Intervention(
            practice_id=practice.id,
            occurred_on=date(2021, 6, 1),
            title="Cloud telephony with call-back",
            description="Callers can ask to be called back instead of waiting.",
            affected_items=["call_answer_time", "calls_abandoned_pct"],
        ),
        Intervention(
            practice_id=practice.id,
            occurred_on=date(2024, 9, 2),
            title="Screening reminders in Gujarati and Punjabi",
            affected_items=["cervical_screening_pct"],
        ),
    ]
    session.add_all(rows)
    session.commit()


def summary_for(
    session: Session,
    practice: Practice,
    *,
    start: date | None = None,
    end: date | None = None,
    label: str | None = None,
    with_charts: bool = False,
    template=TEMPLATE,
) -> ImpactSummary:
    """The summary for the YEAR financial year unless a range is given."""
    if start is None:
        start, end = financial_year_range(YEAR)
        label = label or financial_year_label(YEAR)
    return build_summary(
        session,
        practice=practice,
        template=template,
        start=start,
        end=end,
        period_label=label or f"{start:%-d %B %Y} to {end:%-d %B %Y}",
        today=TODAY,
        with_charts=with_charts,
    )


def load(data: bytes, **kwargs) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data), **kwargs)


def block(ws, heading: str) -> list[list]:
    """The rows of a Summary-sheet block: from the row after `heading` to the next blank
    row or note (italic) in column A, each row as its cells (not values)."""
    rows = list(ws.iter_rows())
    start = next(n for n, row in enumerate(rows) if row[0].value == heading) + 1
    found = []
    for row in rows[start:]:
        if row[0].value is None or row[0].font.i:
            break
        found.append(list(row))
    return found


def labelled(ws, label: str):
    """The cell to the right of the Summary sheet's first cell reading `label`."""
    row = next(row for row in ws.iter_rows() if row[0].value == label)
    return row[1]


def seconds(value) -> float:
    """A duration read back from the workbook, in seconds."""
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value) * 86400


@pytest.fixture
def history(session, world):
    add_history(session, world.practice)
    return world


# --------------------------------------------------------------------------- layout


def test_sheets_are_summary_then_one_per_table_then_charts(session, history):
    summary = summary_for(session, history.practice)
    wb = load(summary_workbook(summary))
    assert wb.sheetnames == ["Summary", *TABLES, "Charts"]
    assert wb.active.title == "Summary"
    assert [t.name for t in summary.tables] == TABLES
    assert wb.properties.title == (
        f"HEP impact summary: {history.practice.name}, {financial_year_label(YEAR)}"
    )
    summary_sheet = wb["Summary"]
    assert summary_sheet["A1"].value == "HEP impact summary"
    assert summary_sheet["A2"].value == f"{history.practice.name} ({history.practice.ods_code})"
    assert labelled(summary_sheet, "PCN").value == history.pcn.name
    assert labelled(summary_sheet, "ICB").value == history.icb.name
    assert labelled(summary_sheet, "Period").value == "2024/25"
    assert labelled(summary_sheet, "Baseline (before the HEP)").value == "2020/21"


def test_charts_sheet_embeds_every_chart_as_a_png_with_its_alt_text(session, history):
    summary = summary_for(session, history.practice, with_charts=True)
    # One chart per figure with two or more values: the four monthly figures, cervical
    # screening, the GP Patient Survey score and the HEP allocation itself.
    assert len(summary.charts) == 7
    data = summary_workbook(summary)
    archive = zipfile.ZipFile(io.BytesIO(data))
    media = sorted(n for n in archive.namelist() if n.startswith("xl/media/"))
    assert len(media) == len(summary.charts)
    for name in media:
        assert archive.read(name).startswith(b"\x89PNG\r\n\x1a\n")
    drawing = archive.read("xl/drawings/drawing1.xml").decode("utf-8")
    descriptions = re.findall(r'descr="([^"]*)"', drawing)
    assert len(descriptions) == len(summary.charts)
    assert all(d.strip() for d in descriptions)

    wb = load(data)
    charts = wb["Charts"]
    assert wb.sheetnames[-1] == "Charts"
    captions = [c.value for c in charts["A"] if c.font.b and c.value != "Charts"]
    assert captions == [c.caption for c in summary.charts]
    images = charts._images
    assert len(images) == len(summary.charts)
    # Each picture sits below its caption and clear of the next one.
    tops = [image.anchor._from.row for image in images]
    caption_rows = [c.row for c in charts["A"] if c.value in captions]
    for top, caption_row in zip(tops, caption_rows, strict=True):
        assert top == caption_row  # 0-based anchor row: the row under the caption
    for image, next_caption in zip(images, caption_rows[1:], strict=False):
        rows_tall = image.anchor.ext.height / 9525 / 20  # EMU -> px -> default rows
        assert image.anchor._from.row + rows_tall < next_caption


def test_charts_sheet_says_so_when_nothing_can_be_charted(session, world):
    summary = summary_for(session, world.practice, with_charts=True)
    wb = load(summary_workbook(summary))
    assert wb.sheetnames == ["Summary", *TABLES, "Charts"]
    assert wb["Charts"]["A2"].value == "No figure has enough values in this period to chart."
    assert wb["Charts"]._images == []


def test_figures_sheet_is_tidy_one_row_per_figure_and_period(session, history):
    summary = summary_for(session, history.practice)
    ws = load(summary_workbook(summary))["Figures"]
    header = [c.value for c in ws[1]]
    assert header == [
        "Figure",
        "Item id",
        "Period",
        "Period start",
        "Value",
        "Unit",
        "Source",
        "Format",
    ]
    # The tidy core a pivot table needs: metric, period, value, unit, source.
    assert {"Figure", "Period", "Value", "Unit", "Source"} <= set(header)
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    stored = session.exec(
        select(MetricValue).where(
            MetricValue.practice_id == history.practice.id,
            MetricValue.period_start >= date(YEAR, 4, 1),
        )
    ).all()
    assert len(rows) == len(stored) == 4 * 12 + 4 + 1
    assert len({(r[1], r[2]) for r in rows}) == len(rows)  # one row per figure and period
    by_key = {(r[1], r[2]): r for r in rows}
    call = by_key[("call_answer_time", "April 2024")]
    assert call[0] == "Average time to answer calls"
    assert call[3] == datetime(2024, 4, 1)
    assert seconds(call[4]) == pytest.approx(125 + WOBBLE[0])
    # Shown as an Excel time, so its unit is minutes:seconds (the CSV has seconds).
    assert call[5:] == ("minutes:seconds", "Entered by the practice", "duration")
    abandoned = by_key[("calls_abandoned_pct", "May 2024")]
    assert abandoned[4] == pytest.approx(6.2 + WOBBLE[1] * 0.1)  # 0–100, not a fraction
    assert abandoned[5] == "%"
    assert by_key[("inbound_calls", "June 2024")][4] == 5600 + WOBBLE[2] * 10
    assert by_key[("gpps_overall_experience", "2024/25")][4] == 76.5


def test_every_cell_has_the_number_format_of_what_it_holds(session, history):
    summary = summary_for(session, history.practice)
    wb = load(summary_workbook(summary))
    figures = wb["Figures"]
    expected = {
        "duration": safe.DURATION_FORMAT,
        "percent": safe.PERCENT_FORMAT,
        "integer": safe.INTEGER_FORMAT,
    }
    for row in figures.iter_rows(min_row=2):
        assert row[3].number_format == safe.DATE_FORMAT
        assert row[4].number_format == expected[row[7].value], row[1].value
        assert isinstance(row[4].value, float | int | timedelta)

    spending = wb["Spending"]
    header = [c.value for c in spending[1]]
    for row in spending.iter_rows(min_row=2):
        cells = dict(zip(header, row, strict=True))
        assert cells["Date"].number_format == safe.DATE_FORMAT
        assert isinstance(cells["Date"].value, datetime)
        for title in ("Total cost", "Paid by HEP", "Paid from other sources"):
            # Some items have pence, so the whole column shows them.
            assert cells[title].number_format == safe.MONEY_PENCE_FORMAT
            assert cells[title].data_type == "n"

    staffing = wb["Staffing"]
    header = [c.value for c in staffing[1]]
    for row in staffing.iter_rows(min_row=2):
        cells = dict(zip(header, row, strict=True))
        assert cells["WTE change"].number_format == safe.WTE_FORMAT
        assert cells["HEP share of cost"].number_format == safe.PERCENT_FORMAT
        assert cells["Start date"].number_format == safe.DATE_FORMAT

    allocations = wb["Allocations"]
    header = [c.value for c in allocations[1]]
    amounts = {
        row[0].value: dict(zip(header, row, strict=True))
        for row in allocations.iter_rows(min_row=2)
    }
    # Oldest first, up to the period's year (the 2025/26 allocation is after it).
    assert list(amounts) == ["2021/22", "2022/23", "2023/24", "2024/25"]
    assert amounts["2022/23"]["Amount"].value == 45500.5
    assert amounts["2022/23"]["Amount"].number_format == safe.MONEY_PENCE_FORMAT
    assert amounts["2023/24"]["Change from year before"].value == pytest.approx(-3500.5)
    assert amounts["2023/24"]["Change from year before (%)"].number_format == safe.PERCENT_FORMAT
    assert amounts["2023/24"]["Change from year before (%)"].value == pytest.approx(-7.7)
    assert amounts["2021/22"]["Change from year before"].value is None
    assert amounts["2024/25"]["Date received"].value == datetime(2024, 6, 30)
    assert amounts["2024/25"]["Date received"].number_format == safe.DATE_FORMAT

    ws = wb["Summary"]
    assert labelled(ws, "From").value == datetime(2024, 4, 1)
    assert labelled(ws, "From").number_format == safe.DATE_FORMAT
    assert labelled(ws, "To").value == datetime(2025, 3, 31)
    assert labelled(ws, "Generated").number_format == safe.DATETIME_FORMAT
    allocation = labelled(ws, "HEP allocation")
    assert allocation.value == 48000
    # One format for the whole block: the HEP spend this year has pence.
    assert allocation.number_format == safe.MONEY_PENCE_FORMAT
    assert "£" in allocation.number_format
    metrics = {row[0].value: row for row in block(ws, "Figures: latest compared with the baseline")}
    call = metrics["Average time to answer calls"]
    assert call[2].number_format == safe.DURATION_FORMAT  # baseline m:ss
    assert call[4].number_format == safe.DURATION_FORMAT  # latest m:ss
    # A fall in a duration is shown as signed seconds: Excel cannot show a negative time.
    assert call[5].number_format == safe.SECONDS_FORMAT
    assert call[5].value < 0
    abandoned = metrics["Calls abandoned"]
    assert abandoned[2].number_format == safe.PERCENT_FORMAT
    # A change in a percentage is in percentage points, not per cent.
    assert abandoned[5].number_format == POINTS_FORMAT
    calls = metrics["Inbound calls"]
    assert calls[4].number_format == safe.INTEGER_FORMAT
    # A baseline mean of counts keeps its fraction.
    assert calls[2].number_format in (safe.NUMBER_FORMAT, safe.INTEGER_FORMAT)
    categories = block(ws, "Spending by category")
    assert [c.value for c in categories[0][:4]] == [
        "Category",
        "Paid by HEP",
        "Total cost",
        "Share of HEP spend",
    ]
    for row in categories[1:]:
        assert row[1].number_format == safe.MONEY_PENCE_FORMAT
        assert row[3].number_format == safe.PERCENT_FORMAT


def test_a_rise_in_a_duration_is_a_signed_time(session, world):
    period = Period.parse("2020-04")
    for n in range(24):
        session.add(
            MetricValue(
                practice_id=world.practice.id,
                item_id="call_answer_time",
                frequency="monthly",
                period_code=period.code,
                period_start=period.start,
                value_number=100 + (0 if n < 12 else 50) + WOBBLE[n % 12],
                template_id=TEMPLATE.id,
                template_version=TEMPLATE.version,
            )
        )
        period = period.next()
    session.add(HepAllocation(practice_id=world.practice.id, financial_year=2021, amount=1))
    session.commit()
    summary = summary_for(session, world.practice, start=date(2021, 4, 1), end=date(2022, 3, 31))
    ws = load(summary_workbook(summary))["Summary"]
    call = {r[0].value: r for r in block(ws, "Figures: latest compared with the baseline")}[
        "Average time to answer calls"
    ]
    assert call[5].number_format == "+[m]:ss"
    assert seconds(call[5].value) == pytest.approx(summary.metrics[0].change)
    assert summary.metrics[0].change > 0


def test_table_sheets_freeze_their_header_row_and_filter_every_row(session, history):
    summary = summary_for(session, history.practice)
    wb = load(summary_workbook(summary))
    for table in summary.tables:
        ws = wb[table.name]
        assert ws.freeze_panes == "A2", table.name
        last_column = openpyxl.utils.get_column_letter(len(table.columns))
        assert ws.auto_filter.ref == f"A1:{last_column}{len(table.rows) + 1}", table.name
        assert ws.max_row == len(table.rows) + 1
        assert [c.value for c in ws[1]] == [c.title for c in table.columns]
        assert all(c.font.b for c in ws[1])
        assert ws.print_title_rows == "$1:$1"
        assert ws.page_setup.orientation == "landscape"
        assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4)


def test_columns_are_wide_enough_for_what_they_show(session, history):
    summary = summary_for(session, history.practice)
    wb = load(summary_workbook(summary))
    for table in summary.tables:
        ws = wb[table.name]
        for n, column in enumerate(table.columns, start=1):
            width = ws.column_dimensions[openpyxl.utils.get_column_letter(n)].width
            assert width is not None and 10 <= width <= MAX_WIDTH + 2, (table.name, n)
            # A header never wraps on a table sheet: it fits.
            assert width >= len(column.title), (table.name, column.title)
            texts = [row[n - 1] for row in table.rows if isinstance(row[n - 1], str)]
            longest = max((len(t) for t in texts), default=0)
            assert width >= min(longest, MAX_WIDTH), (table.name, column.title)
    spending = wb["Spending"]
    # Dates shown "15 Apr 2024" and money "£52,000.00" are not cut to ####.
    assert spending.column_dimensions["A"].width >= len("15 Apr 2024")
    assert spending.column_dimensions["D"].width >= len("£52,000.00")

    ws = wb["Summary"]
    widths = {
        letter: ws.column_dimensions[letter].width for letter in ("A", "B", "C", "D", "E", "F")
    }
    assert all(w is not None for w in widths.values())
    longest_label = max(len(m.label) for m in summary.metrics)
    assert widths["A"] >= min(longest_label, MAX_WIDTH)
    assert widths["A"] >= len("Allocation not yet attributed")
    assert widths["B"] >= len("£48,000.00")


# --------------------------------------------------------------------------- numbers


def dashboard_cards(session: Session, practice: Practice) -> list[evidence.Evidence]:
    """What the dashboard shows for the practice on TODAY (monitor.web.evidence's
    `_dashboard_cards`, with the default baseline)."""
    baseline_year = evidence.default_baseline_year(session, practice.id)
    cards = []
    for item in TEMPLATE.items:
        if item.type is ItemType.TEXT:
            continue
        until = Period.latest_complete(TODAY, item.frequency)
        series = evidence.series_for(session, practice_id=practice.id, item=item, until=until)
        if series is None:
            continue
        result = evidence.evidence_for(
            series,
            baseline_year=baseline_year,
            interventions=evidence.practice_interventions(session, practice.id),
        )
        if result is not None:
            cards.append(result)
    return cards


def practice_records(session: Session, practice: Practice, model) -> list:
    return list(session.exec(select(model).where(model.practice_id == practice.id)))


def test_summary_sheet_money_equals_the_money_view(session, history):
    practice = history.practice
    summary = summary_for(session, practice)
    ws = load(summary_workbook(summary))["Summary"]
    money_view = logs.spend_summary(
        practice_records(session, practice, SpendItem),
        practice_records(session, practice, HepAllocation),
        template=TEMPLATE,
        financial_year=YEAR,
    )
    assert labelled(ws, "HEP allocation").value == money_view.allocation == Decimal(48000)
    assert Decimal(str(labelled(ws, "HEP-attributed spend").value)) == money_view.hep_total
    assert money_view.hep_total == Decimal("35550.65")
    assert Decimal(str(labelled(ws, "Total cost of that spending").value)) == money_view.total
    assert Decimal(str(labelled(ws, "Allocation not yet attributed").value)) == (
        money_view.remainder
    )
    categories = block(ws, "Spending by category")
    shown = [
        (row[0].value, Decimal(str(row[1].value)), Decimal(str(row[2].value)))
        for row in categories[1:-1]
    ]
    assert shown == [(c.label, c.hep, c.total) for c in money_view.by_category]
    total = categories[-1]
    assert total[0].value == "All categories"
    assert Decimal(str(total[1].value)) == money_view.hep_total
    assert total[3].value == 100
    shares = [row[3].value for row in categories[1:-1]]
    assert sum(shares) == pytest.approx(100)
    assert shares[0] == pytest.approx(
        float(money_view.by_category[0].hep / money_view.hep_total * 100)
    )


def test_summary_sheet_staffing_equals_the_money_view(session, history):
    practice = history.practice
    summary = summary_for(session, practice)
    ws = load(summary_workbook(summary))["Summary"]
    money_view = logs.staffing_summary(
        practice_records(session, practice, StaffingChange), template=TEMPLATE, financial_year=YEAR
    )
    rows = block(ws, "Staffing")
    assert [c.value for c in rows[0]][:3] == ["Role group", "Net WTE added", "HEP-funded WTE"]
    shown = {row[0].value: (row[1].value, row[2].value) for row in rows[1:-1]}
    expected = {
        g.group.label: (float(g.net_wte), float(g.hep_funded_wte))
        for g in money_view
        if g.net_wte or g.hep_funded_wte
    }
    assert shown == expected
    assert shown == {"Clinical": (1.0, 0.5), "Admin and non-clinical": (0.1, 0.6)}
    assert rows[-1][0].value == "All roles"
    assert rows[-1][1].value == pytest.approx(1.1)
    assert rows[-1][2].value == pytest.approx(1.1)


def test_a_role_the_template_no_longer_lists_counts_where_the_money_view_counts_it(session, world):
    session.add(
        StaffingChange(
            practice_id=world.practice.id,
            role="phlebotomist",  # from an older template
            change_type="new_post",
            wte_change=Decimal("0.8"),
            starts_on=date(2024, 5, 1),
            contract_type="permanent",
            hep_share_pct=Decimal(50),
        )
    )
    session.commit()
    summary = summary_for(session, world.practice)
    money_view = logs.staffing_summary(
        practice_records(session, world.practice, StaffingChange),
        template=TEMPLATE,
        financial_year=YEAR,
    )
    assert summary.wte_by_group == tuple(
        (g.group.label, g.net_wte, g.hep_funded_wte) for g in money_view if g.net_wte
    )
    assert summary.wte_by_group == (("Admin and non-clinical", Decimal("0.80"), Decimal("0.40")),)


def test_summary_sheet_headline_figures_equal_the_dashboard(session, history):
    practice = history.practice
    summary = summary_for(session, practice)
    ws = load(summary_workbook(summary))["Summary"]
    rows = block(ws, "Figures: latest compared with the baseline")
    assert [c.value for c in rows[0]] == [
        "Figure",
        "Baseline",
        "Baseline value",
        "Latest period",
        "Latest value",
        "Change since baseline",
        "What the statistics say",
    ]
    shown = {row[0].value: row for row in rows[1:]}
    cards = dashboard_cards(session, practice)
    assert len(cards) == 7
    assert set(shown) == {card.item.label for card in cards}
    for card in cards:
        row = shown[card.item.label]
        duration = card.item.type is ItemType.DURATION
        read = seconds if duration else float
        assert row[1].value == "2020/21"
        if card.baseline_mean is None:  # no allocation before the HEP, naturally
            assert row[2].value is None and row[5].value is None
            assert row[6].value == card.verdict
            continue
        assert read(row[2].value) == pytest.approx(card.baseline_mean, abs=1e-6)
        assert row[3].value == card.latest_period.label
        assert read(row[4].value) == pytest.approx(card.latest_value, abs=1e-6)
        change = row[5].value
        # A negative duration is written as whole signed seconds.
        if duration and card.change_since_baseline < 0:
            assert change == round(card.change_since_baseline)
        else:
            assert read(change) == pytest.approx(card.change_since_baseline, abs=1e-6)
        assert row[6].value == card.verdict
    # The story the data tells: call waits fell from a 5-minute baseline.
    call = shown["Average time to answer calls"]
    assert round(seconds(call[2].value)) == 300
    assert call[6].value.startswith("Average time to answer calls has improved")


def test_a_four_year_summary_adds_up_every_year(session, history):
    practice = history.practice
    summary = summary_for(session, practice, start=FOUR_YEARS[0], end=FOUR_YEARS[1])
    ws = load(summary_workbook(summary))["Summary"]
    spending = practice_records(session, practice, SpendItem)
    allocations = practice_records(session, practice, HepAllocation)
    years = [
        logs.spend_summary(spending, allocations, template=TEMPLATE, financial_year=fy)
        for fy in range(2021, 2025)
    ]
    assert summary.allocation == sum(y.allocation for y in years) == sum(ALLOCATIONS.values())
    assert labelled(ws, "HEP allocation").value == float(sum(ALLOCATIONS.values()))
    assert Decimal(str(labelled(ws, "HEP-attributed spend").value)) == sum(
        y.hep_total for y in years
    )
    assert len(load(summary_workbook(summary))["Allocations"]["A"]) == 1 + len(ALLOCATIONS)


def test_a_range_without_the_start_of_a_financial_year_has_no_allocation(session, history):
    """Not a misleading £0: the allocation is paid per financial year."""
    summary = summary_for(session, history.practice, start=date(2024, 7, 1), end=date(2025, 3, 31))
    assert summary.allocation is None
    ws = load(summary_workbook(summary))["Summary"]
    assert labelled(ws, "HEP allocation").value == "No allocation recorded for this period"
    assert all(row[0].value != "Allocation not yet attributed" for row in ws.iter_rows())


def test_spending_above_the_allocation_is_shown_as_such(session, world):
    session.add(
        HepAllocation(practice_id=world.practice.id, financial_year=YEAR, amount=Decimal(1000))
    )
    session.commit()
    for spent_on in (date(2024, 5, 1), date(2024, 6, 1)):
        session.add(
            SpendItem(
                practice_id=world.practice.id,
                spent_on=spent_on,
                category="training",
                description="Course",
                total_cost=Decimal(800),
                hep_amount=Decimal(800),
                recurrence="one_off",
            )
        )
    session.commit()
    ws = load(summary_workbook(summary_for(session, world.practice)))["Summary"]
    assert labelled(ws, "Spend above the allocation").value == 600
    assert labelled(ws, "HEP allocation").number_format == safe.MONEY_FORMAT


def test_an_empty_period_still_makes_a_workbook_that_says_so(session, world):
    summary = summary_for(session, world.practice, start=date(2019, 4, 1), end=date(2020, 3, 31))
    wb = load(summary_workbook(summary))
    ws = wb["Summary"]
    notes = [c.value for c in ws["A"] if c.value]
    assert "No spending recorded in this period." in notes
    assert "No staffing changes recorded in this period." in notes
    assert "No figures recorded in this period." in notes
    assert "No interventions recorded in this period." in notes
    for name in TABLES:
        assert wb[name].max_row == 1  # the header only
        assert wb[name].auto_filter.ref.startswith("A1:")


def test_the_file_name_names_the_practice_and_period(session, history):
    summary = summary_for(session, history.practice)
    ods = history.practice.ods_code
    assert summary_filename(summary) == f"hep-impact-summary-{ods}-2024-25.xlsx"
    assert summary_filename(summary, "pdf") == f"hep-impact-summary-{ods}-2024-25.pdf"


# --------------------------------------------------------------------------- LibreOffice


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_libreoffice_opens_the_workbook_without_repair(session, history, tmp_path):
    """LibreOffice refuses or repairs a workbook that breaks the file format (a bad
    drawing, style or shared string); here it must read every sheet and print it.
    One conversion in the whole suite: it takes seconds. SQLite only, for that reason:
    the workbook does not depend on the database."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice is needed: run tools/system-deps.sh"
    summary = summary_for(session, history.practice, with_charts=True)
    source = tmp_path / "summary.xlsx"
    source.write_bytes(summary_workbook(summary))
    home = tmp_path / "home"
    home.mkdir()
    result = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path / "out"),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, "HOME": str(home)},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    converted = tmp_path / "out" / "summary.pdf"
    assert converted.exists(), result.stdout + result.stderr
    assert converted.stat().st_size > 0
    reader = PdfReader(converted)
    text = "\n".join(page.extract_text() for page in reader.pages)
    # Every sheet was read: the summary, a table sheet and the charts' captions.
    assert history.practice.name in text
    assert "HEP impact summary" in text
    assert "Cloud telephony with call-back" in text
    assert summary.charts[0].caption.split(":")[0] in text
    assert len(reader.pages) >= len(summary.tables) + 2


# --------------------------------------------------------------------------- CSV


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte-order mark"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def same(csv_value: str, cell) -> bool:
    """Whether a CSV value is what the workbook cell holds: raw numbers, ISO dates, and
    durations in seconds where the workbook has an Excel time."""
    value = cell.value
    if value is None:
        return csv_value == ""
    if isinstance(value, datetime):
        return csv_value == value.date().isoformat()
    if isinstance(value, timedelta) or cell.number_format in (
        safe.DURATION_FORMAT,
        "+[m]:ss",
    ):
        return float(csv_value) == pytest.approx(seconds(value), abs=1e-3)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return csv_value != "" and float(csv_value) == pytest.approx(float(value))
    return csv_value == str(value)


def test_the_zip_holds_every_table_as_csv_with_a_bom(session, history):
    summary = summary_for(session, history.practice)
    archive = zipfile.ZipFile(io.BytesIO(summary_tables_zip(summary)))
    assert sorted(archive.namelist()) == sorted(
        ["summary.csv"] + [f"{t.slug}.csv" for t in summary.tables]
    )
    assert {f"{t.slug}.csv" for t in summary.tables} == {
        "figures.csv",
        "spending.csv",
        "staffing.csv",
        "allocations.csv",
        "interventions.csv",
    }
    for name in archive.namelist():
        rows = read_csv(archive.read(name))
        assert len({len(row) for row in rows}) == 1, name  # rectangular
    for table in summary.tables:
        data = archive.read(f"{table.slug}.csv")
        # The zip holds exactly what each table's own download holds.
        assert data == summary_csv(summary, table.name).encode("utf-8")
        rows = read_csv(data)
        assert rows[0] == [c.title for c in table.columns]
        assert len(rows) == len(table.rows) + 1
        assert b"\r\n" in data  # Excel's own line ending


def test_csv_values_equal_the_workbook(session, history):
    summary = summary_for(session, history.practice)
    wb = load(summary_workbook(summary))
    archive = zipfile.ZipFile(io.BytesIO(summary_tables_zip(summary)))
    for table in summary.tables:
        rows = read_csv(archive.read(f"{table.slug}.csv"))
        sheet = list(wb[table.name].iter_rows())
        assert len(rows) == len(sheet)
        for csv_row, sheet_row in zip(rows, sheet, strict=True):
            for csv_value, cell in zip(csv_row, sheet_row, strict=True):
                if cell.value == "minutes:seconds":  # a duration's unit: see above
                    assert csv_value == "seconds"
                    continue
                assert same(csv_value, cell), (table.name, cell.coordinate, csv_value, cell.value)
    figures = read_csv(archive.read("figures.csv"))
    # Raw values: durations in seconds, percentages 0–100, dates yyyy-mm-dd.
    call = next(r for r in figures if r[1] == "call_answer_time" and r[2] == "April 2024")
    assert call[3:6] == ["2024-04-01", "125", "seconds"]
    spending = read_csv(archive.read("spending.csv"))
    assert spending[1][:6] == [
        "2024-04-15",
        "Additional clinical staff",
        "Advanced nurse practitioner",
        "52000",
        "26000",
        "26000",
    ]
    assert "3200.40" in [r[3] for r in spending]


def test_summary_csv_equals_the_summary_sheet_figures(session, history):
    summary = summary_for(session, history.practice)
    ws = load(summary_workbook(summary))["Summary"]
    sheet = {row[0].value: row for row in block(ws, "Figures: latest compared with the baseline")}
    rows = read_csv(metrics_csv(summary).encode("utf-8"))
    header = rows[0]
    assert header[:3] == ["Figure", "Item id", "Unit"]
    assert len(rows) == len(sheet)  # header + one row per figure on both
    for row in rows[1:]:
        cells = dict(zip(header, row, strict=True))
        shown = sheet[cells["Figure"]]
        assert same(cells["Baseline value"], shown[2])
        assert cells["Latest period"] == shown[3].value
        assert same(cells["Latest value"], shown[4])
        assert cells["What the statistics say"] == shown[6].value
        if cells["Format"] == "duration":
            assert cells["Unit"] == "seconds"
        if shown[5].number_format == safe.SECONDS_FORMAT:
            # A fall in a duration: whole seconds in the workbook, exact in the CSV.
            assert float(cells["Change since baseline"]) == pytest.approx(shown[5].value, abs=0.5)
        else:
            assert same(cells["Change since baseline"], shown[5])
