"""The dashboard, metric pages, charts and money views as a practice sees them."""

from datetime import date
from decimal import Decimal

import pytest
from defusedxml import ElementTree

from tests.factories import make_allocation, make_intervention, make_value, make_values

BEFORE = [290, 305, 280, 300, 310, 295, 285, 300, 290, 305, 295, 300]
AFTER = [130, 125, 120, 135, 118, 122, 128, 119, 131, 124, 120, 126]
HOSTILE = "$$ {{ 7*7 }} <script>alert(1)</script> & \\frac{1}{0}"


@pytest.fixture
def history(session, world):
    """Two years of call waits with a telephony change between them, and an allocation
    so 2021/22 is the baseline."""
    make_values(
        session,
        practice=world.practice,
        item_id="call_answer_time",
        first="2021-04",
        numbers=BEFORE + AFTER,
    )
    make_allocation(session, practice=world.practice, financial_year=2022, amount=Decimal(50000))
    event = make_intervention(
        session,
        practice=world.practice,
        occurred_on=date(2022, 3, 20),
        title=HOSTILE,
        affected_items=["call_answer_time", "calls_abandoned_pct"],
    )
    return event


def test_dashboard_puts_signals_first_with_plain_verdicts(client, world, history, session):
    make_value(
        session,
        practice=world.practice,
        item_id="inbound_calls",
        period_code="2023-01",
        number=5000,
    )
    client.sign_in(world.editor.email)
    soup = client.page("/dashboard")
    cards = soup.select(".app-metric-card")
    first = cards[0].get_text(" ", strip=True)
    assert first.startswith("Average time to answer calls Improved")
    assert (
        f"Average time to answer calls has improved since “{HOSTILE}” (March 2022): a mean of "
        "2:05 against the 2021/22 average of 4:56, and 12 of the last 12 months below it."
    ) in first
    assert "compared with the 2021/22 average of 4:56" in first
    # The trend line is drawn in the page: decoration, as the text says it all.
    line = cards[0].select_one("svg.app-sparkline")
    assert line["aria-hidden"] == "true" and line["focusable"] == "false"
    assert line.select("polyline") and line.select("circle")
    assert "Inbound calls" in cards[-1].get_text()


def test_metric_page_has_chart_alt_text_table_and_before_after(client, world, history):
    client.sign_in(world.editor.email)
    soup = client.page("/metrics/call_answer_time")
    image = soup.select_one("img.app-chart__image")
    assert image["src"].startswith("/metrics/call_answer_time/chart.svg")
    assert image["alt"].startswith("SPC chart of Average time to answer calls, April 2021 to")
    rows = soup.select("#chart-data tbody tr")
    assert len(rows) == 24  # every plotted period, newest first
    assert rows[-1].select_one("th").get_text(strip=True) == "April 2021"
    assert rows[-1].select("td")[0].get_text(strip=True) == "4:50"
    panel = soup.select_one("#before-after").find_next("dl").get_text(" ", strip=True)
    assert "Mean in 2021/22 4:56 (12 figures)" in panel
    assert "Do the SPC rules detect a shift? Yes: improvement" in panel
    assert "XmR chart: process limits at the mean ± 2.66" in soup.select_one("#settings").text
    assert HOSTILE in soup.get_text()  # shown as text, escaped
    assert soup.find("script", string="alert(1)") is None


def test_chart_renders_hostile_labels_safely(client, world, history):
    client.sign_in(world.editor.email)
    response = client.get("/metrics/call_answer_time/chart.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    tree = ElementTree.fromstring(response.data)
    assert not [e for e in tree.iter() if e.tag.endswith("script")]
    png = client.get("/metrics/call_answer_time/chart.png")
    assert png.data.startswith(b"\x89PNG")


def test_a_chart_is_rendered_once_per_data_change(app, client, world, history, session):
    cache = app.extensions["monitor.chart_cache"]
    client.sign_in(world.editor.email)
    first = client.get("/metrics/call_answer_time/chart.svg")
    renders = cache.renders
    second = client.get("/metrics/call_answer_time/chart.svg")
    assert cache.renders == renders and second.data == first.data  # cache hit
    make_value(
        session,
        practice=world.practice,
        item_id="call_answer_time",
        period_code="2023-04",
        number=121,
    )
    third = client.get("/metrics/call_answer_time/chart.svg")
    assert cache.renders == renders + 1 and third.data != first.data  # miss after an edit


def test_short_series_is_a_run_chart(client, world, session):
    for code, number in [("2025-04", 200), ("2025-05", 210), ("2025-06", 190)]:
        make_value(
            session,
            practice=world.practice,
            item_id="call_answer_time",
            period_code=code,
            number=number,
        )
    client.sign_in(world.editor.email)
    soup = client.page("/metrics/call_answer_time")
    assert "Fewer than 13 figures: shown as a run chart" in soup.get_text()
    assert soup.select_one("img.app-chart__image")["alt"].startswith("Run chart of")


def test_gaps_are_shown_and_counted(client, world, session):
    for code in ("2025-04", "2025-06"):
        make_value(
            session,
            practice=world.practice,
            item_id="calls_abandoned_pct",
            period_code=code,
            number=10,
        )
    client.sign_in(world.editor.email)
    soup = client.page("/metrics/calls_abandoned_pct")
    assert "1 period with no figure is shown as a gap" in soup.get_text()
    statuses = [r.select("td")[0].get_text(strip=True) for r in soup.select("#chart-data tbody tr")]
    assert "Not recorded" in statuses


def test_bad_chart_options_are_explained_and_ignored(client, world, history):
    client.sign_in(world.editor.email)
    response = client.get("/metrics/call_answer_time?fix_after=5&target=banana")
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "Limits can only be fixed on 12 points or more" in text
    assert "in minutes and seconds" in text


def test_rebasing_and_target_change_the_chart(client, world, history):
    client.sign_in(world.editor.email)
    plain = client.get("/metrics/call_answer_time/chart.svg").data
    rebased = client.get(
        f"/metrics/call_answer_time/chart.svg?rebase={history.id}&target=2:00"
    ).data
    assert plain != rebased
    soup = client.page(f"/metrics/call_answer_time?rebase={history.id}&target=2:00")
    assert "Rebased at April 2022" in soup.select_one("#settings").text
    assert "target" in " ".join(li.text for li in soup.select("#explanation li")).lower()


def test_data_download_is_excel_safe_csv(client, world, history):
    client.sign_in(world.editor.email)
    response = client.get("/metrics/call_answer_time/data.csv")
    text = response.data.decode("utf-8")
    # Durations as numbers of seconds (a spreadsheet would read "4:50" as a time of day).
    assert text.startswith("\ufeffPeriod,Average time to answer calls (seconds),Mean (seconds)")
    assert "April 2021,290," in text
    assert response.headers["Content-Disposition"].startswith("attachment")


def test_someone_elses_intervention_cannot_be_used(client, world, history, session):
    theirs = make_intervention(session, practice=world.sibling, title="Sibling secret")
    client.sign_in(world.editor.email)
    response = client.get(f"/metrics/call_answer_time?rebase={theirs.id}&compare_from={theirs.id}")
    assert response.status_code == 400
    assert "Sibling secret" not in response.get_data(as_text=True)


def test_pcn_median_appears_only_with_three_sharing_peers(client, world, history, session):
    from tests.factories import make_practice

    peers = [world.sibling] + [make_practice(session, pcn=world.pcn) for _ in range(2)]
    for peer in peers:
        peer.shares_with_pcn = True
        session.add(peer)
        make_value(
            session,
            practice=peer,
            item_id="call_answer_time",
            period_code="2022-06",
            number=200 + peer.id,
        )
    session.commit()
    client.sign_in(world.editor.email)
    soup = client.page("/metrics/call_answer_time")
    headers = [th.get_text(strip=True) for th in soup.select("#chart-data thead th")]
    assert "PCN median" in headers
    row = next(r for r in soup.select("#chart-data tbody tr") if "June 2022" in r.text)
    assert row.select("td")[5].get_text(strip=True) != ""
    assert peers[1].name not in soup.get_text()


def test_money_view_shows_allocation_change_and_spend(client, world, session):
    make_allocation(session, practice=world.practice, financial_year=2024, amount=Decimal(40000))
    client.sign_in(world.editor.email)
    soup = client.page("/money?year=2025")
    row = next(r for r in soup.select("#allocation-by-year tbody tr") if "2025/26" in r.text)
    assert row.get_text(" ", strip=True) == "2025/26 £48,000 +£8,000 (+20%) £6,000 £42,000"
    category = soup.select("#spend-by-category tbody tr")[0].get_text(" ", strip=True)
    assert category == "Telephony and call handling £6,000 £10,000 100%"
    for chart in ("/money/allocation.svg", "/money/categories.svg?year=2025"):
        assert client.get(chart).mimetype == "image/svg+xml"
    assert all(img["alt"] for img in soup.select("img.app-chart__image"))


def test_variation_and_assurance_are_named_in_words(client, world, history):
    client.sign_in(world.editor.email)
    # Limits kept on the baseline throughout, the later points are all special causes.
    page = client.page("/metrics/call_answer_time?target=2:30&auto_rebase=no")
    icons = page.select_one("#icons")
    text = icons.get_text(" ", strip=True)
    assert "Variation (latest point) Special cause improvement, low" in text
    assert "Assurance against target" in text
    assert "No target set" not in text


@pytest.mark.parametrize("who", ["editor", "viewer"])
def test_only_an_editor_is_offered_to_record_figures_when_there_are_none(client, world, who):
    client.sign_in(getattr(world, who).email)
    page = client.page("/metrics/call_answer_time")  # none recorded
    assert "No figures recorded yet." in page.select_one("main").get_text()
    links = [a.get_text(strip=True) for a in page.select("main a")]
    assert ("Record your figures" in links) is (who == "editor")


def test_the_metric_page_offers_its_chart_laid_out_for_a_phone(client, world, history):
    client.sign_in(world.editor.email)
    soup = client.page("/metrics/call_answer_time")
    picture = soup.select_one("figure.app-chart picture")
    phone = picture.select_one("source")
    assert phone["media"] == "(max-width: 40.0525em)"
    assert phone["srcset"].endswith("width=phone")
    wide = client.get("/metrics/call_answer_time/chart.svg")
    narrow = client.get(phone["srcset"])
    assert ElementTree.fromstring(wide.data).get("width") == "720pt"
    assert ElementTree.fromstring(narrow.data).get("width") == "252pt"
    assert client.get("/metrics/call_answer_time/chart.svg?width=huge").status_code == 404
