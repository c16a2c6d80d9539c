"""The ICB analyst's trends page and the PCN lead's: which chart a trend gets (none for one
or two medians, a run chart with its median below 13, an XmR chart from 13), the words
saying so, the alt text and the data table, with small numbers suppressed everywhere.

The scene (tests/factories.py `build_icb_scene`) has two quarters of home visits; tests
that need more add quarterly collections of their own, each with three North PCN
practices' figures (hand-made, so medians and quartiles are worked by hand). A figure
from fewer than three practices carries the sentinel 987.654, which must appear nowhere.
"""

from __future__ import annotations

from datetime import date
from xml.etree import ElementTree

import pytest

from monitor.core.periods import Period
from monitor.models import Role
from monitor.web.presenters import icb as present
from tests.factories import (
    make_collection,
    make_practice,
    make_return,
    months,
    shipped_templates,
)

SENTINEL = "987.654"


def svg_text(svg: str) -> str:
    root = ElementTree.fromstring(svg.encode())
    return " ".join(
        "".join(element.itertext()) for element in root.iter() if element.tag.endswith("}text")
    )


def cells(soup, selector):
    return [
        [cell.get_text(" ", strip=True) for cell in row.select("th, td")]
        for row in soup.select(f"{selector} tbody tr")
    ]


def text_of(soup, selector) -> str:
    return soup.select_one(selector).get_text(" ", strip=True)


def quarters(first: str, count: int) -> list[Period]:
    found = [Period.parse(first)]
    while len(found) < count:
        found.append(found[-1].next())
    return found


def add_collections(session, icb, practices, periods, figures):
    """A collection per period, each practice's return holding its home visits (one
    month, the period's first); `figures[i][j]` is practice j's in period i (None: no
    return)."""
    made = []
    for n, (period, row) in enumerate(zip(periods, figures, strict=True)):
        collection = make_collection(
            session,
            icb=icb,
            period_code=period.code,
            name=f"{period.label} return",
            opens_on=date(2020, 1, 1 + n),
        )
        for practice, number in zip(practices, row, strict=True):
            if number is not None:
                make_return(
                    session,
                    collection=collection,
                    practice=practice,
                    values={"home_visits": months(number, first=period.start.strftime("%Y-%m"))},
                )
        made.append(collection)
    return made


@pytest.fixture
def north(session, world):
    """The North PCN's three practices (Alpha, Beta and Kappa); Gamma is in the South PCN,
    so the ICB has four."""
    third = make_practice(session, pcn=world.pcn, name="Kappa Surgery")
    return [world.practice, world.sibling, third]


# --------------------------------------------------------------------------- ICB trends


def test_trends_page_tables_the_icb_median_and_quartiles_of_each_collection(client, scene):
    client.sign_in(scene.world.analyst.email)
    soup = client.page("/trends")
    assert soup.select_one("h1").get_text(strip=True) == "Trends across collections"
    assert cells(soup, "#trend-collections") == [
        ["2025/26 Q1 return", Period.parse("2025-26-q1").long_label, "4 of 7"],
        ["2025/26 Q2 return", Period.parse("2025-26-q2").long_label, "5 of 7"],
    ]
    # Q1: 10, 20, 30, 555 -> 17.5, 25, 161.25 (shown as a count is: see formatting).
    # Q2: 20, 40, 60, 80, 100 -> 40, 60, 80; Zeta's withdrawn figure is not among them.
    count = present.formatter(
        shipped_templates()[("hep-light-touch", 1)].items_by_id["home_visits"]
    )
    assert cells(soup, "#trend-table-home_visits") == [
        ["2025/26 Q1", "4 of 7", "25", count(17.5), count(161.25)],
        ["2025/26 Q2", "5 of 7", "60", "40", "80"],
    ]
    assert cells(soup, "#trend-table-fft_positive_pct") == [
        ["2025/26 Q1", "0 of 7", "Too few practices (0) for a median"],
        ["2025/26 Q2", "2 of 7", "Too few practices (2) for a median"],
    ]
    assert SENTINEL not in str(soup)
    assert "Delta Surgery" not in soup.get_text()


def test_two_medians_are_a_table_and_a_sentence_without_a_chart(client, scene):
    client.sign_in(scene.world.analyst.email)
    soup = client.page("/trends")
    section = soup.select_one("#trend-home_visits")
    assert section.select_one("img") is None
    assert text_of(section, "#trend-status-home_visits") == (
        "ICB medians for only 2 collections so far (3 or more practices with the figure): "
        "too few points for a chart, so the figures are in the table."
    )
    assert text_of(soup, "#trend-status-fft_positive_pct").startswith("No ICB median yet")
    assert client.get("/trends/home_visits/chart.svg").status_code == 404
    assert client.get("/trends/nonsense/chart.svg").status_code == 404


def test_fewer_than_13_medians_are_a_run_chart_that_says_why_there_are_no_limits(
    client, session, world, north
):
    periods = quarters("2024-25-q1", 4)
    # The third quarter has only two practices' figures: suppressed, a gap in the chart.
    figures = [[10, 20, 30], [20, 30, 40], [987.654, 987.654, None], [30, 40, 50]]
    add_collections(session, world.icb, north, periods, figures)
    client.sign_in(world.analyst.email)
    soup = client.page("/trends")
    assert cells(soup, "#trend-table-home_visits") == [
        ["2024/25 Q1", "3 of 4", "20", "15", "25"],
        ["2024/25 Q2", "3 of 4", "30", "25", "35"],
        ["2024/25 Q3", "2 of 4", "Too few practices (2) for a median"],
        ["2024/25 Q4", "3 of 4", "40", "35", "45"],
    ]
    figure = soup.select_one("#trend-home_visits figure")
    assert figure["data-chart"] == "run"
    caption = figure.select_one("figcaption").get_text(" ", strip=True)
    assert "not enough points yet for process limits (3 of 13)" in caption
    image = figure.select_one("img")
    assert image["alt"].startswith(
        "Run chart of Home visits: ICB median and interquartile range, "
        "2024/25 Q1 to 2024/25 Q4 (4 periods, 1 with no value)"
    )
    assert "Median 30" in image["alt"]
    assert "ICB's median and interquartile range (shaded)" in image["alt"]
    response = client.get(image["src"])
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    svg = svg_text(response.get_data(as_text=True))
    assert "ICB median (IQR shaded)" in svg
    assert "Median" in svg
    for text in (svg, image["alt"], str(soup)):
        assert SENTINEL not in text and "987.7" not in text and "987.65" not in text
    for name in ("Alpha", "Beta", "Kappa"):
        assert name not in svg


def test_13_medians_are_an_xmr_chart_with_process_limits(client, session, world, north):
    periods = quarters("2022-23-q1", 13)
    figures = [[10 + n, 20 + n, 30 + n] for n in range(13)]
    add_collections(session, world.icb, north, periods, figures)
    client.sign_in(world.analyst.email)
    soup = client.page("/trends")
    figure = soup.select_one("#trend-home_visits figure")
    assert figure["data-chart"] == "xmr"
    assert (
        figure.select_one("figcaption")
        .get_text(" ", strip=True)
        .startswith("XmR chart of the ICB median over 13 points")
    )
    image = figure.select_one("img")
    assert image["alt"].startswith("SPC chart of Home visits: ICB median and interquartile range")
    assert "process limits" in image["alt"]
    svg = svg_text(client.get(image["src"]).get_data(as_text=True))
    assert "Mean" in svg and "ICB median (IQR shaded)" in svg
    assert len(cells(soup, "#trend-table-home_visits")) == 13
    # Below the tablet breakpoint the browser takes the chart laid out for a phone.
    phone = figure.select_one("picture source")["srcset"]
    assert phone == f"{image['src']}?width=phone"
    assert 'width="252pt"' in client.get(phone).get_data(as_text=True)


def test_quarters_and_years_are_ordered_by_period_and_the_year_labelled(
    client, session, world, north
):
    periods = [*quarters("2024-25-q2", 3), Period.parse("2024-25"), Period.parse("2025-26-q1")]
    figures = [[10, 20, 30], [20, 30, 40], [30, 40, 50], [40, 50, 60], [50, 60, 70]]
    add_collections(session, world.icb, north, periods, figures)
    client.sign_in(world.analyst.email)
    soup = client.page("/trends")
    rows = cells(soup, "#trend-table-home_visits")
    assert [row[0] for row in rows] == [
        "2024/25 Q2",
        "2024/25 Q3",
        "2024/25 Q4",
        "2024/25 full year",
        "2025/26 Q1",
    ]
    image = soup.select_one("#trend-home_visits img")
    assert "Quarterly and annual collections are shown together" in image["alt"]
    svg = svg_text(client.get(image["src"]).get_data(as_text=True))
    assert "full year" in svg


def test_collection_views_link_to_the_trends(client, scene):
    client.sign_in(scene.world.analyst.email)
    soup = client.page(f"/collections/{scene.collection.id}/completeness")
    links = {a.get_text(strip=True): a["href"] for a in soup.select("#icb-views a")}
    assert links["Trends across collections"] == "/trends"


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.ICB_ANALYST])
def test_only_an_icb_analyst_opens_the_trends(client, world, role):
    client.sign_in(world.user_for(role).email)
    assert client.get("/trends").status_code == 403
    assert client.get("/trends/home_visits/chart.svg").status_code == 403


# --------------------------------------------------------------------------- PCN trends


def test_pcn_trend_of_three_medians_is_a_run_chart_saying_so(client, session, world, north):
    periods = quarters("2024-25-q1", 3)
    add_collections(session, world.icb, north, periods, [[10, 20, 30], [20, 30, 40], [1, 2, 3]])
    # Another PCN's practice: never in the North PCN's trend.
    add_collections(
        session,
        world.icb,
        [world.other_practice],
        quarters("2025-26-q1", 1),
        [[555]],
    )
    client.sign_in(world.pcn_lead.email)
    soup = client.page("/pcn/trends")
    assert cells(soup, "#trend-table-home_visits") == [
        ["2024/25 Q1", "3 of 3", "20"],
        ["2024/25 Q2", "3 of 3", "30"],
        ["2024/25 Q3", "3 of 3", "2"],
        ["2025/26 Q1", "0 of 3", "Too few practices (0) for a median"],
    ]
    figure = soup.select_one("#trend-home_visits figure")
    assert figure["data-chart"] == "run"
    assert "not enough points yet for process limits (3 of 13)" in text_of(figure, "figcaption")
    image = figure.select_one("img")
    assert image["alt"].startswith("Run chart of Home visits: PCN median")
    response = client.get(image["src"])
    assert response.status_code == 200
    svg = svg_text(response.get_data(as_text=True))
    assert "Home visits: PCN median" in svg
    assert "555" not in svg and "555" not in str(soup)
    phone = client.get(figure.select_one("picture source")["srcset"])
    assert 'width="252pt"' in phone.get_data(as_text=True)


def test_pcn_trend_of_one_median_says_there_are_too_few_points(client, session, world, north):
    add_collections(session, world.icb, north, quarters("2024-25-q1", 1), [[10, 20, 30]])
    client.sign_in(world.pcn_lead.email)
    soup = client.page("/pcn/trends")
    assert soup.select_one("#trend-home_visits img") is None
    assert text_of(soup, "#trend-status-home_visits").startswith(
        "A PCN median for only 1 collection so far"
    )
    assert client.get("/pcn/trends/home_visits/chart.svg").status_code == 404
