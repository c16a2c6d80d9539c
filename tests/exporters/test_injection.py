"""Formula injection: text a practice typed must never run as a formula in Excel or in a
spreadsheet opening a CSV. Every free-text field gets each payload; the summary workbook,
its CSV files and the offline workbooks must hold it as text (xlsx: a string cell with the
quote prefix; CSV: the cell begins with ')."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import openpyxl
import pytest
from pypdf import PdfReader
from sqlmodel import select

from monitor.core.checklist import ChecklistTemplate
from monitor.core.periods import Period
from monitor.exporters.offline_workbook import (
    figures_workbook,
    prefill_for,
    spending_workbook,
    staffing_workbook,
)
from monitor.exporters.safe import FORMULA_STARTS
from monitor.exporters.summary_pdf import summary_pdf
from monitor.exporters.summary_xlsx import metrics_csv, summary_tables_zip, summary_workbook
from monitor.models import HepAllocation, Intervention, MetricValue, SpendItem, StaffingChange
from tests.exporters.test_summary_xlsx import TEMPLATE, summary_for
from tests.factories import make_icb, make_pcn, make_practice

PAYLOADS = [
    '=HYPERLINK("http://x","y")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "\n=1",
    "=cmd|' /C calc'!A0",
]
TEXT_ITEM = "what_changed"
# The shipped template has no text item; an ICB's own template may.
WITH_TEXT_ITEM = ChecklistTemplate.model_validate(
    {
        **TEMPLATE.model_dump(mode="json"),
        "items": [
            *TEMPLATE.model_dump(mode="json")["items"],
            {
                "id": TEXT_ITEM,
                "label": "What changed this quarter",
                "hint": "In a sentence or two.",
                "section": "access",
                "type": "text",
                "frequency": "quarterly",
            },
        ],
    }
)


def stored(text: str) -> set[str]:
    """What a cell may read back as: XML turns a carriage return into a line feed."""
    return {text, text.replace("\r\n", "\n").replace("\r", "\n")}


def practice_with(session, payload: str):
    """A practice whose every free-text field, and whose name, PCN and ICB, is `payload`."""
    icb = make_icb(session, name=payload)
    pcn = make_pcn(session, icb=icb, name=payload)
    practice = make_practice(session, pcn=pcn, name=payload)
    session.add_all(
        [
            HepAllocation(
                practice_id=practice.id, financial_year=2024, amount=Decimal(48000), note=payload
            ),
            SpendItem(
                practice_id=practice.id,
                spent_on=date(2024, 6, 3),
                category="telephony",
                description=payload,
                total_cost=Decimal(1000),
                hep_amount=Decimal(600),
                other_sources=["gms"],
                recurrence="one_off",
            ),
            StaffingChange(
                practice_id=practice.id,
                role="care_navigator",
                change_type="new_post",
                wte_change=Decimal("0.5"),
                starts_on=date(2024, 7, 1),
                contract_type="permanent",
                hep_share_pct=Decimal(100),
                languages=payload,
                note=payload,
            ),
            Intervention(
                practice_id=practice.id,
                occurred_on=date(2024, 8, 1),
                title=payload,
                description=payload,
                affected_items=["call_answer_time"],
            ),
            MetricValue(
                practice_id=practice.id,
                item_id=TEXT_ITEM,
                frequency="quarterly",
                period_code="2024-25-q2",
                period_start=date(2024, 7, 1),
                value_text=payload,
                template_id=WITH_TEXT_ITEM.id,
                template_version=WITH_TEXT_ITEM.version,
            ),
        ]
    )
    session.commit()
    return practice


def assert_no_formula_can_run(data: bytes) -> openpyxl.Workbook:
    """No cell of any sheet is a formula, and every cell of text that a spreadsheet would
    take for a formula is a string cell with the quote prefix."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    for name in archive.namelist():
        if name.startswith("xl/worksheets/") and name.endswith(".xml"):
            xml = archive.read(name).decode("utf-8")
            assert not re.search(r"<(\w+:)?f[ >/]", xml), f"a formula in {name}"
            assert 't="str"' not in xml  # a formula's cached string result
    wb = openpyxl.load_workbook(io.BytesIO(data))
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
                    assert cell.data_type == "s", (ws.title, cell.coordinate)
                    assert cell.quotePrefix, (ws.title, cell.coordinate, cell.value)
    return wb


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def column(ws, title: str, header_row: int = 1) -> list:
    titles = [c.value for c in ws[header_row]]
    n = titles.index(title)
    return [row[n] for row in ws.iter_rows(min_row=header_row + 1, values_only=True)]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_summary_workbook_holds_every_typed_text_as_text(session, payload):
    practice = practice_with(session, payload)
    summary = summary_for(session, practice, template=WITH_TEXT_ITEM)
    wb = assert_no_formula_can_run(summary_workbook(summary))
    values = stored(payload)

    ws = wb["Summary"]
    labels = {row[0].value: row[1].value for row in ws.iter_rows() if row[0].value}
    for label in ("Practice", "PCN", "ICB"):
        assert labels[label] in values, label
    assert ws["A2"].value in stored(f"{payload} ({practice.ods_code})")
    interventions = [row for row in ws.iter_rows() if row[0].value in values]
    assert interventions, "the intervention's title on the Summary sheet"

    assert column(wb["Spending"], "Description")[0] in values
    assert column(wb["Staffing"], "Community languages")[0] in values
    assert column(wb["Staffing"], "Note")[0] in values
    assert column(wb["Allocations"], "Note")[0] in values
    assert column(wb["Interventions"], "Title")[0] in values
    assert column(wb["Interventions"], "Description")[0] in values
    figures = wb["Figures"]
    text_rows = [r for r in figures.iter_rows(min_row=2, values_only=True) if r[1] == TEXT_ITEM]
    assert [r[4] for r in text_rows] and text_rows[0][4] in values


@pytest.mark.parametrize("payload", PAYLOADS)
def test_every_summary_csv_prefixes_typed_text_with_a_quote(session, payload):
    practice = practice_with(session, payload)
    summary = summary_for(session, practice, template=WITH_TEXT_ITEM)
    archive = zipfile.ZipFile(io.BytesIO(summary_tables_zip(summary)))
    found = 0
    for name in archive.namelist():
        text = archive.read(name).decode("utf-8-sig")
        for row in csv.reader(io.StringIO(text, newline="")):
            for cell in row:
                if cell == "'" + payload:
                    found += 1
                else:
                    # Only a negative number may begin with "-" (-0.50 WTE, a fall).
                    assert not cell.startswith(FORMULA_STARTS) or is_number(cell), (name, cell)
    # Description; languages and note; the allocation note; the intervention's title and
    # description; the text figure.
    assert found == 7
    tables = {
        name: list(csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig"), newline="")))
        for name in archive.namelist()
    }
    spending = tables["spending.csv"]
    assert spending[1][spending[0].index("Description")] == "'" + payload
    figures = tables["figures.csv"]
    text_row = next(r for r in figures if r[1] == TEXT_ITEM)
    assert text_row[figures[0].index("Value")] == "'" + payload
    # The headline figures are the template's own words and numbers.
    for row in csv.reader(io.StringIO(metrics_csv(summary).lstrip("\ufeff"), newline="")):
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS) or is_number(cell), cell


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_summary_pdf_prints_typed_text_and_nothing_else(session, payload):
    practice = practice_with(session, payload)
    summary = summary_for(session, practice, template=WITH_TEXT_ITEM)
    reader = PdfReader(io.BytesIO(summary_pdf(summary)))
    assert reader.pages
    visible = payload.strip()
    first = reader.pages[0].extract_text()
    assert visible in first
    assert "/JavaScript" not in str(reader.trailer["/Root"])


@pytest.mark.parametrize("payload", PAYLOADS)
def test_offline_workbooks_hold_every_typed_text_as_text(session, payload):
    practice = practice_with(session, payload)
    period = Period.parse("2024-25-q2")
    prefill = prefill_for(
        WITH_TEXT_ITEM,
        period,
        {TEXT_ITEM: SimpleNamespace(number=None, text=payload)},
        {TEXT_ITEM: (Period.parse("2024-25-q1"), None, payload)},
    )
    values = stored(payload)

    figures = assert_no_formula_can_run(
        figures_workbook(
            practice=practice,
            template=WITH_TEXT_ITEM,
            period=period,
            prefill=prefill,
            filled=True,
        )
    )["Figures"]
    assert figures["C1"].value in values  # the practice's name
    row = next(r for r in figures.iter_rows(min_row=5) if r[0].value == TEXT_ITEM)
    assert row[6].value in values  # "Your figure", pre-filled
    assert row[5].value in stored(f"{payload} (2024/25 Q1)")  # "Last recorded"

    spend = session.exec(select(SpendItem).where(SpendItem.practice_id == practice.id)).all()
    spending = assert_no_formula_can_run(
        spending_workbook(practice=practice, template=WITH_TEXT_ITEM, items=spend)
    )["Spending"]
    assert spending["C1"].value in values
    assert column(spending, "Description", header_row=4)[0] in values

    changes = session.exec(
        select(StaffingChange).where(StaffingChange.practice_id == practice.id)
    ).all()
    staffing = assert_no_formula_can_run(
        staffing_workbook(practice=practice, template=WITH_TEXT_ITEM, changes=changes)
    )["Staffing"]
    assert staffing["C1"].value in values
    assert column(staffing, "Community languages", header_row=4)[0] in values
    assert column(staffing, "Note", header_row=4)[0] in values
