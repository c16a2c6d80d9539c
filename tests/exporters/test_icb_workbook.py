"""The ICB workbook: five sheets of submitted returns, safe against formula injection.

Uses the `scene` fixture (tests/factories.py: five submitted returns, a withdrawn one and
live figures carrying the sentinel 987.654).
"""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from monitor.exporters.icb_workbook import SHEETS
from monitor.exporters.safe import DATETIME_FORMAT, PERCENT_FORMAT
from monitor.services import icb_views
from tests.factories import make_return, months
from tests.services.test_icb_views import SENTINELS

INJECTION = '=HYPERLINK("http://evil.example","Click me")'


@pytest.fixture
def workbook(client, scene):
    client.sign_in(scene.world.analyst.email)
    response = client.get(f"/collections/{scene.collection.id}/workbook.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment;" in response.headers["Content-Disposition"]
    return load_workbook(io.BytesIO(response.data))


def rows(ws):
    return [list(row) for row in ws.iter_rows(values_only=True)]


def test_workbook_has_the_five_sheets_with_frozen_headers(workbook):
    assert workbook.sheetnames == list(SHEETS)
    assert workbook.sheetnames == [
        "Tidy",
        "Completeness",
        "Practices x metrics",
        "Equity",
        "Spending mix",
    ]
    for ws in workbook:
        assert ws.freeze_panes in ("A2", "C2")
        assert ws["A1"].font.b
        assert ws.column_dimensions["A"].width >= 8


def test_tidy_sheet_has_one_row_per_practice_period_and_metric(workbook, scene):  # noqa: F811
    table = rows(workbook["Tidy"])
    assert table[0] == list(icb_views.TIDY_HEADER)
    assert len(table) == 1 + 13
    alpha = scene.world.practice.ods_code
    assert table[1][:10] == [
        alpha,
        "Alpha Surgery",
        "North PCN",
        "July 2025",
        "2025-07",
        "home_visits",
        "Home visits",
        10,
        "count",
        1,
    ]
    assert workbook["Tidy"]["K2"].number_format == DATETIME_FORMAT
    assert workbook["Tidy"]["K2"].is_date
    assert {row[0] for row in table[1:]} == {
        alpha,
        scene.world.sibling.ods_code,
        scene.epsilon.ods_code,
        scene.world.other_practice.ods_code,
        scene.eta.ods_code,
    }


def test_completeness_sheet_lists_every_practice_and_totals(workbook):
    table = rows(workbook["Completeness"])
    assert table[0][:6] == ["PCN code", "PCN", "ODS code", "Practice", "State", "Submitted"]
    states = {row[3]: row[4] for row in table[1:8]}
    assert states["Zeta Surgery"] == "Withdrawn"
    assert states["Theta Surgery"] == "Not started"
    assert states["Alpha Surgery"] == "Submitted"
    totals = next(row for row in table if row[0] == "All")
    by_pcn = next(row for row in table if row[0] == "By PCN")
    assert by_pcn[2:8] == [
        "Submitted", "Ready to submit", "In progress", "Not started", "Withdrawn", "Practices"
    ]  # fmt: skip
    assert totals[2:8] == [5, 0, 0, 1, 1, 7]


def test_pivot_sheet_holds_each_practices_figure_for_the_collection(workbook):
    table = rows(workbook["Practices x metrics"])
    assert table[0][:7] == [
        "ODS code",
        "Practice",
        "PCN",
        "IMD decile",
        "List size",
        "Home visits (count)",
        "Friends and Family Test positive (%)",
    ]
    by_name = {row[1]: row for row in table[1:]}
    assert by_name["Alpha Surgery"][5] == 20  # mean of 10, 20, 30
    assert by_name["Alpha Surgery"][6] == 90
    assert by_name["Epsilon Surgery"][6] is None
    assert workbook["Practices x metrics"]["G2"].number_format == PERCENT_FORMAT


def test_equity_sheet_has_sii_and_explanation(workbook):
    table = rows(workbook["Equity"])
    header = table[0]
    home = dict(zip(header, table[1], strict=True))
    assert home["Metric id"] == "home_visits"
    assert home["Practices"] == 5
    assert home["SII 95% CI lower"] < home["SII"] < home["SII 95% CI upper"]
    # Quintiles named so they cannot be taken for quarters; a count's SII as a rate.
    assert not any(str(title).startswith("Q") for title in header)
    assert home["IMD quintile 1 (most deprived) practices"] == 2
    assert home["IMD quintile 1 (most deprived) median"] is None  # too few for a median
    assert home["IMD quintile 5 (least deprived) practices"] == 1
    assert home["SII unit"] == "per 1,000 registered patients a month"
    fft = dict(zip(header, table[2], strict=True))
    assert fft["SII"] is None
    assert "could not be calculated" in fft["Explanation"]


def test_spending_sheet_has_shares_overall_and_per_practice(workbook):
    table = rows(workbook["Spending mix"])
    assert table[0][:5] == [
        "Category",
        "Category id",
        "HEP-attributed spend",
        "Total cost",
        "Share of HEP-attributed spend",
    ]
    telephony = next(row for row in table if row[1] == "telephony")
    assert telephony[2:4] == [8000, 12500]
    assert telephony[4] == pytest.approx(200 / 3)
    alpha = next(row for row in table if row[1] == "Alpha Surgery")
    assert alpha[3:8] == [10000, 4000, 6000, 40, 60]


def test_workbook_holds_nothing_unsubmitted(workbook):
    text = " ".join(str(v) for ws in workbook for row in rows(ws) for v in row if v is not None)
    for sentinel in SENTINELS:
        assert sentinel not in text
    assert "Zeta Surgery" in text  # in completeness only, as "Withdrawn"
    assert "Delta Surgery" not in text


def test_a_formula_like_practice_name_stays_text(client, scene, session):  # noqa: F811
    practice = scene.theta
    practice.name = INJECTION
    session.add(practice)
    session.commit()
    make_return(
        session,
        collection=scene.collection,
        practice=practice,
        values={"home_visits": months(5)},
        spend=[("telephony", "100", "100")],
    )
    client.sign_in(scene.world.analyst.email)
    response = client.get(f"/collections/{scene.collection.id}/workbook.xlsx")
    workbook = load_workbook(io.BytesIO(response.data))
    found = 0
    for ws in workbook:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value == INJECTION:
                    assert cell.data_type == "s"
                    assert cell.quotePrefix
                    found += 1
                assert cell.data_type != "f"
    assert found >= 4  # tidy, completeness, pivot, spending
    body = client.get(f"/collections/{scene.collection.id}/returns.csv").get_data(as_text=True)
    names = [row[1] for row in csv.reader(io.StringIO(body.lstrip("\ufeff")))]
    assert "'" + INJECTION in names
    assert INJECTION not in names
