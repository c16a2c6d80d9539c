"""The ICB workbook: a README and one table per sheet of submitted returns (header
frozen, autofilter on, figures at their item's precision with units and UK time in the
headers), safe against formula injection.

Uses the `scene` fixture (tests/factories.py: five submitted returns, a withdrawn one and
live figures carrying the sentinel 987.654).
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

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


def test_workbook_opens_on_a_readme_then_one_table_per_sheet(workbook):
    assert workbook.sheetnames == list(SHEETS)
    assert workbook.sheetnames == [
        "README",
        "Tidy",
        "Completeness",
        "Completeness by PCN",
        "Practices x metrics",
        "Equity",
        "Spending by category",
        "Spending by practice",
    ]
    assert workbook.active.title == "README"


def test_every_sheet_freezes_its_header_and_filters_its_whole_table(workbook):
    for ws in workbook:
        assert ws.freeze_panes == "A2", ws.title
        assert ws["A1"].font.b, ws.title
        assert ws.auto_filter.ref == f"A1:{get_column_letter(ws.max_column)}{ws.max_row}", ws.title
        assert ws.column_dimensions["A"].width >= 8


def test_no_sheet_stacks_a_second_table_under_the_first(workbook):
    for ws in workbook:
        table = rows(ws)
        width = len([v for v in table[0] if v is not None])
        assert width == ws.max_column, ws.title  # the header names every column
        for number, row in enumerate(table[1:], 2):
            # No blank row (the gap before a second table) and no second bold header.
            assert any(v is not None and v != "" for v in row), f"{ws.title} row {number}"
            assert not all(c.font.b for c in ws[number] if c.value is not None), (
                f"{ws.title} row {number}"
            )


def test_readme_says_what_each_sheet_holds_and_which_returns_are_included(workbook, scene):
    readme = rows(workbook["README"])
    assert readme[0] == ["Sheet or topic", "What it says"]
    says = {row[0]: row[1] for row in readme[1:]}
    for name in workbook.sheetnames[1:]:
        assert name in says and says[name], name
    assert says["Collection"] == scene.collection.name
    assert "version 1" in says["Template"]
    assert "hep-light-touch" in says["Template"]
    assert says["Period"]
    included = says["Returns included"]
    assert included.startswith("Submitted returns only: 5 of 7 practices")
    assert "withdrawn" in included
    assert "UK time" in says["As of"]
    assert says["Published figures"]
    assert "UK time (Europe/London)" in says["Times"]


def test_times_are_uk_time_and_their_headers_say_so(client, scene, session):
    make_return(
        session,
        collection=scene.collection,
        practice=scene.theta,
        values={"home_visits": months(5)},
        submitted_at=datetime(2025, 10, 20, 13, 5, tzinfo=UTC),  # 14:05 BST
    )
    client.sign_in(scene.world.analyst.email)
    response = client.get(f"/collections/{scene.collection.id}/workbook.xlsx")
    workbook = load_workbook(io.BytesIO(response.data))
    tidy = rows(workbook["Tidy"])
    assert tidy[0][10] == "Submitted (UK time)"
    theta = next(row for row in tidy[1:] if row[1] == "Theta Surgery")
    assert theta[10] == datetime(2025, 10, 20, 14, 5)
    completeness = rows(workbook["Completeness"])
    assert completeness[0][5] == "Submitted (UK time)"
    theta = next(row for row in completeness[1:] if row[3] == "Theta Surgery")
    assert theta[5] == datetime(2025, 10, 20, 14, 5)


def test_figures_are_numbers_at_their_items_precision_with_units_in_the_header(
    client, scene, session
):
    make_return(
        session,
        collection=scene.collection,
        practice=scene.theta,
        values={
            "call_answer_time": months(135.6, 140.2),
            "fft_positive_pct": months(87.12345),
            "home_visits": months(10, 20, 25),
        },
        spend=[("telephony", "100.456", "200.4")],
        units={"call_answer_time": "seconds", "fft_positive_pct": "percent"},
    )
    client.sign_in(scene.world.analyst.email)
    response = client.get(f"/collections/{scene.collection.id}/workbook.xlsx")
    workbook = load_workbook(io.BytesIO(response.data))

    tidy = [row for row in rows(workbook["Tidy"]) if row[1] == "Theta Surgery"]
    by_metric = {(row[5], row[4]): (row[7], row[8]) for row in tidy}
    assert by_metric[("call_answer_time", "2025-07")] == (136, "seconds")  # whole seconds
    assert by_metric[("fft_positive_pct", "2025-07")] == (87.12, "%")
    assert by_metric[("home_visits", "2025-09")] == (25, "count")
    assert isinstance(by_metric[("call_answer_time", "2025-07")][0], int)

    pivot = workbook["Practices x metrics"]
    header = [c.value for c in pivot[1]]
    assert "Average time to answer calls (seconds)" in header
    assert "Friends and Family Test positive (%)" in header
    theta = next(r for r in pivot.iter_rows(min_row=2) if r[1].value == "Theta Surgery")
    cells = dict(zip(header, theta, strict=True))
    assert cells["Average time to answer calls (seconds)"].value == 137.9  # a mean
    assert cells["Home visits (count)"].value == 18.33  # a mean, to 2 places
    assert cells["Friends and Family Test positive (%)"].value == 87.12
    for cell in theta[3:]:
        assert cell.data_type == "n"

    spending = rows(workbook["Spending by category"])
    assert spending[0][2:5] == [
        "HEP-attributed spend (£)",
        "Total cost (£)",
        "Share of HEP-attributed spend (%)",
    ]
    by_practice = rows(workbook["Spending by practice"])
    theta = next(row for row in by_practice if row[1] == "Theta Surgery")
    assert theta[3] == 100.46
    assert rows(workbook["Completeness by PCN"])[0][-1] == "Submitted (%)"
    equity_header = rows(workbook["Equity"])[0]
    assert equity_header[2] == "Unit"


def test_tidy_sheet_has_one_row_per_practice_period_and_metric(workbook, scene):  # noqa: F811
    table = rows(workbook["Tidy"])
    assert table[0] == list(icb_views.TIDY_HEADER)
    assert table[0][7:] == [
        "Value",
        "Unit",
        "Template version",
        "Submitted (UK time)",
    ]
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


def test_completeness_sheet_lists_every_practice_and_its_own_sheet_totals(workbook):
    table = rows(workbook["Completeness"])
    assert table[0] == [
        "PCN code", "PCN", "ODS code", "Practice", "State", "Submitted (UK time)"
    ]  # fmt: skip
    states = {row[3]: row[4] for row in table[1:]}
    assert len(states) == 7
    assert states["Zeta Surgery"] == "Withdrawn"
    assert states["Theta Surgery"] == "Not started"
    assert states["Alpha Surgery"] == "Submitted"
    by_pcn = rows(workbook["Completeness by PCN"])
    assert by_pcn[0][:8] == [
        "PCN code", "PCN", "Submitted", "Ready to submit", "In progress", "Not started",
        "Withdrawn", "Practices",
    ]  # fmt: skip
    totals = next(row for row in by_pcn if row[0] == "All")
    assert totals[2:8] == [5, 0, 0, 1, 1, 7]
    assert totals[8] == pytest.approx(71.43)


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
    table = rows(workbook["Spending by category"])
    assert table[0][:5] == [
        "Category",
        "Category id",
        "HEP-attributed spend (£)",
        "Total cost (£)",
        "Share of HEP-attributed spend (%)",
    ]
    telephony = next(row for row in table if row[1] == "telephony")
    assert telephony[2:4] == [8000, 12500]
    assert telephony[4] == 66.67  # to 2 places
    alpha = next(row for row in rows(workbook["Spending by practice"]) if row[1] == "Alpha Surgery")
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


def test_workbook_is_written_write_only_yet_keeps_frozen_headers_filters_and_widths(
    client, scene, monkeypatch
):
    from monitor.exporters import icb_workbook

    modes = []
    real = icb_workbook.Workbook

    def spy(*args, **kwargs):
        modes.append(kwargs.get("write_only", False))
        return real(*args, **kwargs)

    monkeypatch.setattr(icb_workbook, "Workbook", spy)
    client.sign_in(scene.world.analyst.email)
    response = client.get(f"/collections/{scene.collection.id}/workbook.xlsx")
    assert modes == [True]
    assert response.content_length == len(response.data)
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == list(SHEETS)
    for ws in book:
        assert ws.freeze_panes == "A2", ws.title
        assert all(c.font.b for c in ws[1] if c.value is not None), ws.title
        assert ws.auto_filter.ref == f"A1:{get_column_letter(ws.max_column)}{ws.max_row}", ws.title
        for col in range(1, ws.max_column + 1):
            assert 8 <= ws.column_dimensions[get_column_letter(col)].width <= 100, ws.title
    # Columns are as wide as what they show: the tidy sheet's practice names, not its codes.
    tidy = book["Tidy"]
    assert tidy.column_dimensions["B"].width >= len("Epsilon Surgery")
    assert tidy.column_dimensions["E"].width < tidy.column_dimensions["G"].width  # 2025-07
