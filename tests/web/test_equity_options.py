"""The equity page's confidence interval options, as an ICB analyst uses them: PHE's
simulation by default and said so; the regression residuals' interval instead; PHE's log
of each rate before fitting, offered only for rates (and why not elsewhere); invalid
choices reported beside their field and ignored; the chart and England's slope index
beside the ICB's by the same method; the workbook naming its method.

Every expected figure is worked out here with monitor.analysis.equity from the same
figures the practices submitted (or, for England, the synthetic England of
tests/services/test_equity_rates.py): no number is written down by hand.
"""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from monitor.analysis import equity
from monitor.core.checklist import ItemType
from monitor.core.formatting import difference_format
from monitor.services import icb_views
from monitor.web.presenters import icb as present
from tests.client import error_summary, field_error
from tests.factories import make_collection, make_pcn, make_practice, make_return
from tests.services import test_equity_rates as rates
from tests.services.test_equity_rates import scene as england_scene  # noqa: F401

# Nine practices, most deprived first (three in each end quintile, so each has a median
# to chart): home visits (a count) rise away from deprivation faster than the lists do,
# and so does the Friends and Family Test (a percentage).
SCORES = [52.0, 48.2, 41.0, 35.5, 29.9, 22.4, 15.0, 8.3, 6.1]
DECILES = [1, 1, 2, 4, 5, 7, 9, 10, 10]
SIZES = [3900, 4200, 5100, 6000, 6900, 7800, 8700, 9600, 9900]
FIGURES = {
    "home_visits": [7, 9, 14, 21, 30, 41, 50, 66, 71],
    "fft_positive_pct": [70.0, 71.0, 74.5, 78.0, 80.5, 83.0, 86.5, 88.0, 88.5],
}
MONTH = "2025-07"


def v1(app):
    return app.extensions["monitor.templates"][("hep-light-touch", 1)]


@pytest.fixture
def returns(session, world):
    """A 2025/26 Q2 collection the nine practices submitted a month of both items to."""
    pcn = make_pcn(session, icb=world.icb, name="Equity PCN")
    collection = make_collection(session, icb=world.icb)
    for n, (score, decile, size) in enumerate(zip(SCORES, DECILES, SIZES, strict=True)):
        practice = make_practice(
            session, pcn=pcn, name=f"Equity Practice {n}", imd_score=score,
            imd_decile=decile, list_size=size,
        )  # fmt: skip
        make_return(
            session,
            collection=collection,
            practice=practice,
            values={item_id: [(MONTH, values[n])] for item_id, values in FIGURES.items()},
        )
    return collection


def direct(app, item_id: str, **options) -> equity.SiiResult:
    """The slope index of the submitted figures, straight from the equity module."""
    item = v1(app).items_by_id[item_id]
    return equity.practices_slope_index(
        FIGURES[item_id], list_sizes=SIZES, imd_scores=SCORES, imd_deciles=DECILES,
        counts=item.type is ItemType.COUNT, periods=[1] * len(SIZES), **options,
    )  # fmt: skip


def explained(app, item_id: str, result: equity.SiiResult) -> list[str]:
    measure = icb_views.compared_measure(v1(app).items_by_id[item_id])
    fmt, unit = difference_format(measure)
    return equity.explain_sii(
        result, format_value=fmt, measure_label=measure.label, higher_is_better=True, unit=unit
    )


def summary_cells(page, item_id: str) -> list[str]:
    row = page.select_one(f"#sii-summary tbody tr[data-item={item_id}]")
    return [cell.get_text(" ", strip=True) for cell in row.select("th, td")]


def interval_cell(app, item_id: str, result: equity.SiiResult, label: str) -> str:
    measure = icb_views.compared_measure(v1(app).items_by_id[item_id])
    low = present.sii_text(measure, result.ci_lower, with_unit=False)
    return f"{low} to {present.sii_text(measure, result.ci_upper)} ({label})"


def sii_cell(app, item_id: str, result: equity.SiiResult) -> str:
    measure = icb_views.compared_measure(v1(app).items_by_id[item_id])
    return present.sii_text(measure, result.sii)


def explanation(page, item_id: str) -> list[str]:
    return [
        p.get_text(" ", strip=True)
        for p in page.select(f"#equity-{item_id} .app-equity__explanation p")
    ]


def chart_src(page, item_id: str) -> str:
    return page.select_one(f"#equity-{item_id} .app-chart img")["src"]


def text(page, selector: str) -> str:
    return page.select_one(selector).get_text(" ", strip=True)


def url(collection, query: str = "") -> str:
    return f"/collections/{collection.id}/equity" + (f"?{query}" if query else "")


# --------------------------------------------------------------------------- the default


def test_the_default_interval_is_phes_simulation_and_the_page_says_so(client, app, world, returns):
    client.sign_in(world.analyst.email)
    page = client.page(url(returns))

    checked = page.select_one("input[name=ci][checked]")
    assert checked["value"] == "simulation"
    assert checked.find_next("label").get_text(strip=True) == "PHE simulation (default)"
    expected = direct(app, "home_visits")
    assert expected.ci_method == "simulation"
    statement = text(page, "#interval-method")
    assert (
        "95% confidence intervals of the rates (Home visits per 1,000 registered patients) by "
        "PHE simulation, 100,000 draws (the default)."
    ) in statement
    assert "every other metric by regression residuals" in statement
    assert summary_cells(page, "home_visits")[2:] == [
        sii_cell(app, "home_visits", expected),
        interval_cell(app, "home_visits", expected, "PHE simulation"),
    ]
    assert explanation(page, "home_visits") == explained(app, "home_visits", expected)
    assert explanation(page, "home_visits")[-1].startswith(
        "The 95% confidence interval is PHE's simulation (PHEindicatormethods phe_sii): each "
        "practice's rate was redrawn 100,000 times"
    )
    # The options stay folded away, and the chart asks for nothing but the default.
    assert page.select_one("details").get("open") is None
    assert "?" not in chart_src(page, "home_visits")
    assert error_summary(page) == []


# --------------------------------------------------------------------------- regression


def test_choosing_regression_residuals_changes_the_interval_and_the_words(
    client, app, world, returns
):
    client.sign_in(world.analyst.email)
    default = client.page(url(returns))
    page = client.page(url(returns, "ci=regression"))

    assert page.select_one("input[name=ci][checked]")["value"] == "regression"
    chosen = direct(app, "home_visits", ci_method="regression")
    simulated = direct(app, "home_visits")
    assert (chosen.ci_lower, chosen.ci_upper) != (simulated.ci_lower, simulated.ci_upper)
    assert chosen.sii == pytest.approx(simulated.sii)  # the same line, another interval
    cells = summary_cells(page, "home_visits")
    assert cells[3] == interval_cell(app, "home_visits", chosen, "regression residuals")
    assert cells[3] != summary_cells(default, "home_visits")[3]
    words = explanation(page, "home_visits")
    assert words == explained(app, "home_visits", chosen)
    assert words[-1] == (
        "The 95% confidence interval comes from how far the practices sit from the line "
        "(regression residuals), not from the confidence limits of each practice's own rate "
        "(PHE's simulation)."
    )
    assert "by regression residuals (as chosen in the options below)" in text(
        page, "#interval-method"
    )
    # A percentage had the residuals' interval all along: unchanged.
    assert summary_cells(page, "fft_positive_pct") == summary_cells(default, "fft_positive_pct")
    # The options are open, showing the choice, and the chart is asked for by it.
    assert page.select_one("details").get("open") is not None
    assert "ci=regression" in chart_src(page, "home_visits")


# --------------------------------------------------------------------------- transform


def test_the_log_of_each_rate_is_offered_for_rates_and_changes_the_sii_as_phe_computes_it(
    client, app, world, returns
):
    client.sign_in(world.analyst.email)
    default = client.page(url(returns))
    [box] = default.select("input[name=transform]")
    assert box["value"] == "log" and not box.has_attr("checked")
    hint = text(default, "#transform-hint")
    assert "Applies to Home visits per 1,000 registered patients" in hint
    fft_label = v1(app).items_by_id["fft_positive_pct"].label
    assert f"Not offered for {fft_label}: PHE transforms a figure using its own" in hint

    page = client.page(url(returns, "transform=log"))
    assert page.select_one("input[name=transform]").has_attr("checked")
    logged = direct(app, "home_visits", transform=True)
    plain = direct(app, "home_visits")
    assert (logged.transform, logged.value_type) == (True, "rate")
    assert logged.sii != pytest.approx(plain.sii, rel=1e-3)  # a curve, not the line
    cells = summary_cells(page, "home_visits")
    assert cells[2] == sii_cell(app, "home_visits", logged)
    assert cells[2] != summary_cells(default, "home_visits")[2]
    assert cells[3] == interval_cell(
        app, "home_visits", logged, "PHE simulation, fitted to the log of each rate"
    )
    assert explanation(page, "home_visits") == explained(app, "home_visits", logged)
    assert "fitted to the log of each rate" in text(page, "#interval-method")
    assert "transform=log" in chart_src(page, "home_visits")

    # Not the percentage: fitted as it is, and the page says why.
    assert summary_cells(page, "fft_positive_pct") == summary_cells(default, "fft_positive_pct")
    why = text(page, "#equity-fft_positive_pct .app-not-transformed")
    assert why.startswith("Not transformed: PHE transforms a figure using its own confidence")


def test_no_transform_is_offered_where_no_metric_is_a_rate(client, session, world, returns):
    # Another collection whose practices returned only the Friends and Family Test.
    pcn = make_pcn(session, icb=world.icb, name="Percentages PCN")
    collection = make_collection(
        session, icb=world.icb, period_code="2025-26-q1", name="2025/26 Q1 light-touch return"
    )
    for n, (score, decile, size) in enumerate(zip(SCORES, DECILES, SIZES, strict=True)):
        practice = make_practice(
            session, pcn=pcn, imd_score=score, imd_decile=decile, list_size=size
        )
        make_return(
            session, collection=collection, practice=practice,
            values={"fft_positive_pct": [("2025-04", FIGURES["fft_positive_pct"][n])]},
        )  # fmt: skip
    client.sign_in(world.analyst.email)
    page = client.page(url(collection))
    assert page.select("input[name=transform]") == []
    assert text(page, "#transform-hint").startswith(
        "Transform before fitting is not offered: none of these metrics is a rate. PHE "
        "transforms a figure using its own confidence limits"
    )
    assert "rates" not in text(page, "#interval-method").split(":")[0]

    # Asking for it anyway: said beside the hint and in the summary, and ignored.
    page = client.page(url(collection, "transform=log"), status=400)
    message = field_error(page, "transform")
    assert message.startswith("None of these metrics is a rate, so there is nothing to transform")
    assert message in error_summary(page)
    assert page.select_one(".nhsuk-error-summary a")["href"] == "#transform-hint"
    assert page.select_one(".app-not-transformed") is None


# --------------------------------------------------------------------------- invalid choices


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("ci=bootstrap", "ci",
         "Select PHE simulation or regression residuals for the confidence interval"),
        ("ci=", None, None),
        ("transform=yes", "transform",
         "Select whether to fit the log of each rate, or leave it unticked"),
        ("ci=regression&transform=log", "transform",
         "Transform before fitting needs PHE's simulation method: select PHE simulation, or "
         "untick the transform"),
    ],
)  # fmt: skip
def test_an_invalid_choice_is_reported_beside_its_field_and_ignored(
    client, app, world, returns, query, field, message
):
    client.sign_in(world.analyst.email)
    page = client.page(url(returns, query), status=400 if field else 200)
    if field is None:  # an empty choice is the default, not a mistake
        assert error_summary(page) == []
        return
    assert field_error(page, field) == message
    assert error_summary(page) == [message]
    assert page.select_one(".nhsuk-error-summary a")["href"] == f"#{field}"
    assert page.title.get_text().startswith("Error:")
    assert page.select_one("details").get("open") is not None
    # What was valid stands; what was not is left out.
    ci_method = "regression" if "ci=regression" in query else None
    expected = direct(app, "home_visits", ci_method=ci_method)
    label = "regression residuals" if ci_method else "PHE simulation"
    assert summary_cells(page, "home_visits")[3] == interval_cell(
        app, "home_visits", expected, label
    )
    assert "transform" not in chart_src(page, "home_visits")
    # The chart with the same arguments is drawn, never an error.
    response = client.get(f"/collections/{returns.id}/equity/home_visits/chart.svg?{query}")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"


# --------------------------------------------------------------------------- the chart


def test_the_chart_takes_the_pages_options_and_keys_its_cache_by_them(client, world, returns):
    client.sign_in(world.analyst.email)
    page = client.page(url(returns, "ci=regression&transform="))
    src = chart_src(page, "home_visits")
    assert src == f"/collections/{returns.id}/equity/home_visits/chart.svg?ci=regression"

    def etag(item_id: str, query: str = "") -> str:
        response = client.get(f"/collections/{returns.id}/equity/{item_id}/chart.svg?{query}")
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        return response.headers["ETag"]

    assert etag("home_visits", "ci=regression") != etag("home_visits")
    assert etag("home_visits", "transform=log") != etag("home_visits")
    # A percentage's slope index is the same whatever is chosen: so is its chart.
    assert etag("fft_positive_pct", "ci=regression") == etag("fft_positive_pct")


# --------------------------------------------------------------------------- the workbook


def test_the_workbook_names_each_intervals_method(client, world, returns):
    client.sign_in(world.analyst.email)
    response = client.get(f"/collections/{returns.id}/workbook.xlsx")
    sheet = load_workbook(io.BytesIO(response.data))["Equity"]
    header, *rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    methods = {row[0]: dict(zip(header, row, strict=True))["SII 95% CI method"] for row in rows}
    assert methods["home_visits"] == "PHE simulation, 100,000 draws"
    assert methods["fft_positive_pct"] == "regression residuals"


# --------------------------------------------------------------------------- England beside


def test_englands_sii_beside_the_icbs_is_by_the_method_chosen(client, england_scene):  # noqa: F811
    icb, practices, analyst, collection = england_scene
    client.sign_in(analyst.email)
    everyone = range(rates.ENGLAND)
    england_by = equity.practices_slope_index(
        [rates.calls(i) for i in everyone],
        list_sizes=[rates.list_size(i) for i in everyone],
        imd_scores=[rates.imd_score(i) for i in everyone],
        counts=True,
        ci_method="regression",
    )
    page = client.page(url(collection, "ci=regression"))
    item = icb_views.compared_measure(rates.V2.items_by_id["inbound_calls"])
    low = present.sii_text(item, england_by.ci_lower, with_unit=False)
    high = present.sii_text(item, england_by.ci_upper, with_unit=False)
    cells = summary_cells(page, "inbound_calls")
    assert cells[4].startswith(f"{present.sii_text(item, england_by.sii)} ({low} to {high})")
    assert "England's slope index beside each rate's is worked out again by the same method" in (
        text(page, "#interval-method")
    )
    gap = text(page, "#equity-inbound_calls .app-england-gap")
    assert f"({present.sii_text(item, england_by.sii)}, 95% CI {low} to" in gap

    # Period by period England's are stored by the default method: named, and not compared.
    note = text(page, "#over-time-method-inbound_calls")
    assert "by the default method (PHE simulation, 100,000 draws)" in note
    assert "the ICB's here are by regression residuals, as chosen" in note
    head = [th.get_text(" ", strip=True) for th in page.select("#over-time-inbound_calls th")]
    assert "ICB SII (95% CI, regression residuals)" in head
    assert "England SII (95% CI, PHE simulation, 100,000 draws)" in head
    row = page.select_one("#over-time-inbound_calls tbody tr")
    assert row.select("td")[-1].get_text(strip=True) == (
        "Not compared: England's is by the default method"
    )
    # A percentage has one method either way: still compared period by period.
    assert page.select_one("#over-time-method-calls_answered_pct") is None

    # By default, the same method on both sides: no such note, the gap compared.
    page = client.page(url(collection))
    assert page.select_one("#over-time-method-inbound_calls") is None
    row = page.select_one("#over-time-inbound_calls tbody tr")
    assert row.select("td")[-1].get_text(strip=True) in ("Narrower", "Similar", "Wider")
