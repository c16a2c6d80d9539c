"""The ICB's view across practices and the PCN lead's trends: submitted snapshots only.

The scene: six practices in the test ICB submit (or not) to a 2025/26 Q2 collection. A
withdrawn return, live figures that were never submitted, and another ICB's return all
carry the sentinel 987.654 (or £987,654), which must never appear on any page, chart,
CSV or workbook. Medians and quartiles are checked against figures worked by hand with
linear interpolation (numpy's default, Excel's QUARTILE.INC).
"""

from __future__ import annotations

import io
from xml.etree import ElementTree

import pytest
from openpyxl import load_workbook

from monitor.analysis import equity
from monitor.analysis.distribution import summarise
from monitor.core import formatting
from monitor.core.clock import utcnow
from monitor.models import (
    PracticeReturn,
    PracticeRow,
    Role,
)
from monitor.services import icb_views
from tests.factories import (
    make_collection,
    make_pcn,
    make_practice,
    make_return,
    make_user,
)

SENTINELS = ("987.654", "987.7", "987.65", "987,654", "987654")


def assert_no_sentinel(text: str) -> None:
    for sentinel in SENTINELS:
        assert sentinel not in text


def svg_text(svg: str) -> str:
    """The words drawn on a chart (SVG coordinates are digits too, so search only text)."""
    root = ElementTree.fromstring(svg.encode())
    return " ".join(
        "".join(element.itertext()) for element in root.iter() if element.tag.endswith("}text")
    )


def cells(soup, selector):
    return [
        [cell.get_text(" ", strip=True) for cell in row.select("th, td")]
        for row in soup.select(f"{selector} tbody tr")
    ]


def signed_in(client, user):
    client.sign_in(user.email)
    return client


# --------------------------------------------------------------------------- numbers


def test_summary_gives_median_and_quartiles_by_linear_interpolation():
    # Sorted 20, 40, 60, 80, 100: quartile positions 1, 2, 3 (0-based) -> 40, 60, 80.
    summary = summarise([100, 20, 60, 40, 80])
    assert (summary.n, summary.median, summary.q1, summary.q3) == (5, 60, 40, 80)
    assert (summary.minimum, summary.maximum) == (20, 100)
    # 1, 2, 3, 4: positions 0.75, 1.5, 2.25 -> 1.75, 2.5, 3.25.
    summary = summarise([4, 3, 2, 1])
    assert (summary.median, summary.q1, summary.q3) == (2.5, 1.75, 3.25)


def test_summary_of_fewer_than_three_practices_gives_no_median():
    summary = summarise([10, 20])
    assert summary.n == 2
    assert not summary.enough
    assert summary.median is None and summary.q1 is None


# --------------------------------------------------------------------------- completeness


def test_completeness_counts_states_overall_and_by_pcn(client, scene):
    soup = signed_in(client, scene.world.analyst).page(
        f"/collections/{scene.collection.id}/completeness"
    )
    headline = soup.select_one("#completeness-headline").get_text(" ", strip=True)
    assert headline.startswith(
        "5 of 7 practices submitted (71%); 0 ready to submit, 0 in progress, 1 not started, "
        "1 withdrawn."
    )
    assert cells(soup, "#completeness-by-pcn") == [
        ["North PCN", "3", "0", "0", "0", "1", "4"],
        ["South PCN", "2", "0", "0", "1", "0", "3"],
        ["All practices", "5", "0", "0", "1", "1", "7"],
    ]
    north = {row[0]: row[2] for row in cells(soup, f"#practices-pcn-{scene.world.pcn.id}")}
    assert north == {
        "Alpha Surgery": "Submitted",
        "Beta Surgery": "Submitted",
        "Epsilon Surgery": "Submitted",
        "Zeta Surgery": "Withdrawn",
    }
    assert soup.select_one(".nhsuk-tag--green") is not None
    assert "Delta Surgery" not in soup.get_text()  # another ICB's practice


# --------------------------------------------------------------------------- distributions


def test_metrics_index_lists_submitted_metrics_with_count_and_median(client, scene):
    soup = signed_in(client, scene.world.analyst).page(
        f"/collections/{scene.collection.id}/metrics"
    )
    assert cells(soup, "#metrics") == [
        ["Home visits", "5", "60"],
        ["Friends and Family Test positive", "2", "Too few practices (2) for a median"],
    ]
    items = [row["data-item"] for row in soup.select("#metrics tbody tr")]
    assert items == ["home_visits", "fft_positive_pct"]
    assert_no_sentinel(str(soup))


def test_distribution_shows_hand_computed_median_quartiles_and_range(client, scene):
    soup = signed_in(client, scene.world.analyst).page(
        f"/collections/{scene.collection.id}/metrics/home_visits"
    )
    summary = {
        row.select_one("dt").get_text(strip=True): row.select_one("dd").get_text(strip=True)
        for row in soup.select("#distribution-summary .nhsuk-summary-list__row")
    }
    assert summary == {
        "Practices submitting": "5",
        "Median": "60",
        "Lower quartile": "40",
        "Upper quartile": "80",
        "Lowest": "20",
        "Highest": "100",
    }
    ranked = cells(soup, "#ranked-practices")
    assert [row[:4] for row in ranked] == [
        ["1", f"Eta Surgery ({scene.eta.ods_code})", "South PCN", "100"],
        ["2", f"Gamma Surgery ({scene.world.other_practice.ods_code})", "South PCN", "80"],
        ["3", f"Epsilon Surgery ({scene.epsilon.ods_code})", "North PCN", "60"],
        ["4", f"Beta Surgery ({scene.world.sibling.ods_code})", "North PCN", "40"],
        ["5", f"Alpha Surgery ({scene.world.practice.ods_code})", "North PCN", "20"],
    ]
    # Alpha's figure is the mean of its three months; the page says how figures combine.
    assert [row[4] for row in ranked] == ["1", "3", "1", "3", "3"]
    assert "mean of those periods" in soup.select_one("#value-rule").get_text()
    assert "Zeta" not in soup.get_text()
    assert_no_sentinel(str(soup))


def test_pcn_aggregates_give_median_or_say_too_few(client, scene):
    soup = signed_in(client, scene.world.analyst).page(
        f"/collections/{scene.collection.id}/metrics/home_visits"
    )
    # North: 20, 40, 60 -> median 40, quartiles 30 and 50. South: two practices only.
    assert cells(soup, "#pcn-medians") == [
        ["North PCN", "3 of 4", "40", "30", "50"],
        ["South PCN", "2 of 3", "Too few practices (2) for a median"],
    ]


def test_distribution_of_too_few_practices_shows_no_median(client, scene):
    soup = signed_in(client, scene.world.analyst).page(
        f"/collections/{scene.collection.id}/metrics/fft_positive_pct"
    )
    assert soup.select_one("#distribution-summary") is None
    assert "Only 2 practices submitted" in soup.select_one("#too-few").get_text()


def test_ranked_chart_labels_practices_by_rank_only(client, scene):
    signed_in(client, scene.world.analyst)
    page = client.page(f"/collections/{scene.collection.id}/metrics/home_visits")
    image = page.select_one("#ranked-chart")
    assert "5 submitting practices" in image["alt"] and "Median 60" in image["alt"]
    response = client.get(image["src"])
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    svg = svg_text(response.get_data(as_text=True))
    for name in ("Alpha", "Beta", "Gamma", "Epsilon", "Eta", "Zeta"):
        assert name not in svg
    assert "Practice rank" in svg
    assert_no_sentinel(svg)


def test_unknown_or_text_metric_is_not_found(client, scene):
    signed_in(client, scene.world.analyst)
    assert client.get(f"/collections/{scene.collection.id}/metrics/nonsense").status_code == 404


# --------------------------------------------------------------------------- equity


def test_equity_gives_sii_weighted_by_list_size_and_quintiles(client, scene, app):
    soup = signed_in(client, scene.world.analyst).page(f"/collections/{scene.collection.id}/equity")
    # Independently: the same five practices through the equity module.
    practices = [
        scene.world.practice,
        scene.world.sibling,
        scene.epsilon,
        scene.world.other_practice,
        scene.eta,
    ]
    # Home visits are a count: each practice's mean a month over the months it returned
    # (3, 3, 1, 3 and 1), per 1,000 registered patients, with PHE's simulated interval
    # from each practice's Poisson limits; ranked by decile (no practice has an IMD score).
    means, months = [20, 40, 60, 80, 100], [3, 3, 1, 3, 1]
    expected = equity.practices_slope_index(
        means,
        list_sizes=[p.list_size for p in practices],
        imd_deciles=[p.imd_decile for p in practices],
        counts=True,
        periods=months,
    )
    assert expected.sii is not None
    assert (expected.ci_method, expected.per_patients, expected.ranked_by) == (
        "simulation", 1000, "imd_decile",
    )  # fmt: skip
    rates = {u.index: u.value for u in expected.units}
    for i, practice in enumerate(practices):
        assert rates[i] == pytest.approx(means[i] / practice.list_size * 1000)
    section = soup.select_one("#equity-home_visits")
    explanation = [
        p.get_text(" ", strip=True) for p in section.select(".app-equity__explanation p")
    ]
    measure = icb_views.compared_measure(template_item(app, "home_visits"))
    assert measure.label == "Home visits per 1,000 registered patients"
    assert measure.unit == "per 1,000 registered patients a month"
    fmt, unit = formatting.difference_format(measure)
    assert explanation == equity.explain_sii(
        expected, format_value=fmt, measure_label=measure.label, higher_is_better=True,
        unit=unit,
    )  # fmt: skip
    assert "weighted by its registered list size" in explanation[-2]
    assert "rates per 1,000 registered patients" in explanation[-2]
    assert explanation[-1].startswith("The 95% confidence interval is PHE's simulation")
    summary = {row[0]: row[1:] for row in cells(soup, "#sii-summary")}
    lower = f"{expected.ci_lower:,.1f}".removesuffix(".0")
    upper = f"{expected.ci_upper:,.1f}".removesuffix(".0")
    assert summary["Home visits per 1,000 registered patients"] == [
        "5",
        f"{expected.sii:,.1f}".removesuffix(".0") + f" {unit}",
        f"{lower} to {upper} {unit} (PHE simulation)",
    ]
    quintiles = cells(soup, "#quintiles-home_visits")
    # Alpha (decile 1) and Eta (2) share quintile 1: too few for a median.
    assert quintiles[0] == [
        "IMD quintile 1 (most deprived)", "2", "Too few practices (2) for a median"
    ]  # fmt: skip
    assert quintiles[3] == ["IMD quintile 4", "0", "No practices"]
    # No quintile has 3 practices: no chart, and why (never "Nothing recorded yet").
    assert section.select_one(".app-chart") is None
    no_chart = section.select_one(".app-no-chart").get_text(" ", strip=True)
    assert no_chart.startswith("No chart of Home visits per 1,000 registered patients")
    assert "suppressed" in no_chart
    assert_no_sentinel(str(soup))


def test_equity_says_when_too_few_practices_to_compute_the_sii(client, scene):
    soup = signed_in(client, scene.world.analyst).page(f"/collections/{scene.collection.id}/equity")
    text = soup.select_one("#equity-fft_positive_pct").get_text(" ", strip=True)
    # Two practices: PHE's method needs at least five places on the deprivation scale.
    assert "could not be calculated: it needs at least 5 practices" in text
    assert "Nothing recorded yet" not in text
    assert "Not calculated" in cells(soup, "#sii-summary")[1][2]


def test_equity_quintile_medians_with_enough_practices(session, app, world):
    pcn = make_pcn(session, icb=world.icb)
    collection = make_collection(session, icb=world.icb)
    # Home visits a month per 1,000 registered patients: 10 visits at a list of 5,000 is 2.
    found = ((1, 10), (2, 20), (1, 30), (5, 40), (9, 70), (10, 90), (9, 80))
    for decile, number in found:
        practice = make_practice(session, pcn=pcn, imd_decile=decile, list_size=5000)
        make_return(
            session,
            collection=collection,
            practice=practice,
            values={"home_visits": [("2025-07", number)]},
        )
    data = _load(session, app, world.analyst, collection)
    # An ICB-wide view holds its practices as plain rows (visibility.practice_rows).
    assert {type(p) for p in data.practices} == {PracticeRow}
    assert {type(s.practice) for s in data.submissions} == {PracticeRow}
    view = icb_views.equity_view(data, data.item("home_visits"))
    first, *_, fifth = view.quintiles
    assert (first.n_practices, first.median) == (3, pytest.approx(4))  # 2, 4, 6
    assert (fifth.n_practices, fifth.median) == (3, pytest.approx(16))  # 14, 16, 18
    # Deciles 1, 2, 5, 9 and 10 are five rank groups: rates rise away from deprivation.
    assert view.sii.sii > 0
    assert view.sii.per_patients == 1000


def template_item(app, item_id):
    return app.extensions["monitor.templates"][("hep-light-touch", 1)].items_by_id[item_id]


def _load(session, app, user, collection):
    template = app.extensions["monitor.templates"][("hep-light-touch", 1)]
    return icb_views.load(session, user=user, collection=collection, template=template)


# --------------------------------------------------------------------------- spending


def test_spending_mix_shares_of_hep_spend_overall_and_per_practice(client, scene):
    soup = signed_in(client, scene.world.analyst).page(
        f"/collections/{scene.collection.id}/spending"
    )
    # Telephony 6,000 + 2,000 of 12,000 HEP-attributed; clinical staff 4,000.
    assert cells(soup, "#spending-by-category") == [
        ["Additional clinical staff", "£4,000", "33.3%", "£4,000", "1"],
        ["Telephony and call handling", "£8,000", "66.7%", "£12,500", "2"],
        ["All categories", "£12,000", "100%", "", ""],
    ]
    assert cells(soup, "#spending-by-practice") == [
        ["Alpha Surgery", "£10,000", "40%", "60%"],
        ["Beta Surgery", "£2,000", "–", "100%"],
    ]
    image = soup.select_one("#spending-chart")
    assert "Telephony and call handling £8k (67%)" in image["alt"]
    svg = svg_text(client.get(image["src"]).get_data(as_text=True))
    assert "£8k" in svg
    assert_no_sentinel(svg)
    assert "Premises" not in soup.get_text()
    assert_no_sentinel(str(soup))


# --------------------------------------------------------------------------- scope


ICB_URLS = (
    "/collections/{id}/completeness",
    "/collections/{id}/metrics",
    "/collections/{id}/metrics/home_visits",
    "/collections/{id}/metrics/home_visits/chart.svg",
    "/collections/{id}/equity",
    "/collections/{id}/equity/home_visits/chart.svg",
    "/collections/{id}/spending",
    "/collections/{id}/spending/chart.svg",
    "/collections/{id}/workbook.xlsx",
    "/collections/{id}/returns.csv",
)


@pytest.mark.parametrize("url", ICB_URLS)
def test_another_icbs_collection_is_not_found(client, scene, url):
    signed_in(client, scene.world.analyst)
    assert client.get(url.format(id=scene.foreign.id)).status_code == 404
    assert client.get(url.format(id=999_999)).status_code == 404


def test_every_icb_view_and_download_leaves_out_unsubmitted_data(client, scene):
    signed_in(client, scene.world.analyst)
    for url in ICB_URLS:
        response = client.get(url.format(id=scene.collection.id))
        assert response.status_code == 200, url
        if url.endswith(".xlsx"):
            wb = load_workbook(io.BytesIO(response.data))
            text = " ".join(str(cell.value) for ws in wb for row in ws.iter_rows() for cell in row)
        elif url.endswith(".svg"):
            text = svg_text(response.get_data(as_text=True))
        else:
            text = response.get_data(as_text=True)
        assert_no_sentinel(text)
        assert "Delta Surgery" not in text


def test_a_withdrawn_return_drops_out_of_every_view(client, scene, session):
    answer = session.exec(
        PracticeReturn.__table__.select().where(
            PracticeReturn.collection_id == scene.collection.id,
            PracticeReturn.practice_id == scene.eta.id,
        )
    ).first()
    row = session.get(PracticeReturn, answer.id)
    row.status = "withdrawn"
    row.withdrawn_at = utcnow()
    session.add(row)
    session.commit()
    soup = signed_in(client, scene.world.analyst).page(
        f"/collections/{scene.collection.id}/metrics/home_visits"
    )
    assert "Eta Surgery" not in soup.select_one("#ranked-practices").get_text()
    assert cells(soup, "#pcn-medians")[1][1] == "1 of 3"


# --------------------------------------------------------------------------- exports


def test_tidy_csv_has_one_row_per_practice_period_and_metric(client, scene):
    signed_in(client, scene.world.analyst)
    response = client.get(f"/collections/{scene.collection.id}/returns.csv")
    lines = response.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0].split(",") == list(icb_views.TIDY_HEADER)
    # Alpha 3 + 1, Beta 3 + 1, Epsilon 1, Gamma 3, Eta 1.
    assert len(lines) == 1 + 13
    assert lines[1].startswith(f"{scene.world.practice.ods_code},Alpha Surgery,North PCN,July 2025")


# --------------------------------------------------------------------------- PCN trends


def test_pcn_lead_sees_own_pcn_medians_over_collections(client, scene):
    soup = signed_in(client, scene.world.pcn_lead).page("/pcn/trends")
    assert cells(soup, "#pcn-submissions") == [
        ["2025/26 Q1 return", "2025/26 Q1", "3 of 4"],
        ["2025/26 Q2 return", "2025/26 Q2", "3 of 4"],
    ]
    # Q1: 10, 20, 30 -> 20. Q2: Alpha 20, Beta 40, Epsilon 60 -> 40. Gamma's 555 and 80
    # are in another PCN; Zeta's withdrawn figure does not count.
    assert cells(soup, "#trend-table-home_visits") == [
        ["2025/26 Q1", "3 of 4", "20"],
        ["2025/26 Q2", "3 of 4", "40"],
    ]
    assert cells(soup, "#trend-table-fft_positive_pct") == [
        ["2025/26 Q1", "0 of 4", "Too few practices (0) for a median"],
        ["2025/26 Q2", "2 of 4", "Too few practices (2) for a median"],
    ]
    text = soup.get_text()
    assert "555" not in text and "Gamma" not in text
    assert_no_sentinel(str(soup))


def test_pcn_trend_of_two_medians_is_a_table_without_a_chart(client, scene):
    # Two collections are two points: no line is drawn through them (charts of three or
    # more medians: tests/web/test_icb_trends_pages.py).
    signed_in(client, scene.world.pcn_lead)
    soup = client.page("/pcn/trends")
    assert soup.select_one("#trend-home_visits img") is None
    status = soup.select_one("#trend-status-home_visits").get_text(" ", strip=True)
    assert status.startswith("PCN medians for only 2 collections so far")
    assert client.get("/pcn/trends/home_visits/chart.svg").status_code == 404
    assert client.get("/pcn/trends/nonsense/chart.svg").status_code == 404


def test_other_pcn_lead_sees_only_their_own_pcn(client, scene, session):
    lead = make_user(session, role=Role.PCN_LEAD, organisation=scene.world.other_pcn)
    soup = signed_in(client, lead).page("/pcn/trends")
    # South: Gamma and Eta submitted Q2 (two: too few); Gamma alone in Q1.
    assert cells(soup, "#trend-table-home_visits") == [
        ["2025/26 Q1", "1 of 3", "Too few practices (1) for a median"],
        ["2025/26 Q2", "2 of 3", "Too few practices (2) for a median"],
    ]
    assert "Alpha" not in soup.get_text()
