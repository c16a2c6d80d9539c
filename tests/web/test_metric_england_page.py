"""England beside the practice on its metric page, as a person reads it: the chart's
England line and band (legend, alt text, SVG and PNG), the data table's England columns,
and the sentences under the chart saying where the practice sits among England's and its
PCN's practices, without another practice's name or figure. Nothing of it for an item no
national collection publishes.

Every extract here is synthetic: fictional practice codes ("E00001"…), made in the test."""

from __future__ import annotations

import pytest

from monitor.core.formatting import item_value
from monitor.services import england
from tests.factories import make_value
from tests.services.test_metric_england import (
    ENGLAND,
    OURS,
    PEERS,
    TYPED,
    V2,
    build_scene,
    national_extract,
    run,
    value_of,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ANSWERED = V2.items_by_id["calls_answered_pct"]


def percent(value: float) -> str:
    return item_value(value, ANSWERED.type, ANSWERED.unit)


def table(page) -> list[dict[str, str]]:
    head = [th.get_text(" ", strip=True) for th in page.select("#chart-data thead th")]
    return [
        dict(zip(head, [c.get_text(" ", strip=True) for c in tr.select("th, td")], strict=True))
        for tr in page.select("#chart-data tbody tr")
    ]


def text_of(page, selector: str) -> str | None:
    found = page.select_one(selector)
    return None if found is None else found.get_text(" ", strip=True)


@pytest.fixture
def scene(session):
    return build_scene(session)


def test_the_table_has_englands_columns_as_stored(client, session, scene):
    client.sign_in(scene.editor.email)

    page = client.page("/metrics/calls_answered_pct")

    stored = england.aggregates(
        session, scene.icb.id, [ANSWERED.id], TYPED + ["2026-01", "2026-02"]
    )
    by_label = {found.period_code: found for found in stored.values()}
    rows = {row["Period"]: row for row in table(page)}
    labels = {"2026-01": "January 2026", "2026-02": "February 2026"}
    for code, label in labels.items():
        found = by_label[code]
        assert (
            rows[label]["England median"],
            rows[label]["England lower quartile"],
            rows[label]["England upper quartile"],
        ) == (percent(found.median), percent(found.q1), percent(found.q3))
    assert rows["December 2025"]["England median"] == ""
    assert rows["December 2025"]["England lower quartile"] == ""
    assert rows["December 2025"]["England upper quartile"] == ""
    alt = page.select_one("figure.app-chart img")["alt"]
    assert (
        "England's median and interquartile range (shaded) are drawn behind the values for "
        f"2 of the 8 periods; in February 2026 England's median was "
        f"{percent(by_label['2026-02'].median)}"
    ) in alt


def test_the_sentences_say_where_the_practice_sits_in_england_and_its_pcn(client, session, scene):
    client.sign_in(scene.editor.email)

    page = client.page("/metrics/calls_answered_pct")

    figures = england.figures(session, scene.icb.id, ANSWERED, ["2026-02"])
    share = figures.percentile(value_of(OURS))
    assert text_of(page, "#england-placement") == (
        f"In February 2026 your figure ({percent(value_of(OURS))}) was higher than {share}% "
        f"of England's {ENGLAND:,} practices (NHS England: Cloud Based Telephony, February "
        "2026 publication). Higher is better for this figure."
    )
    assert text_of(page, "#pcn-placement") == (
        "In your PCN your figure was higher than 2 of the 3 other practices with a "
        "published figure for February 2026."
    )
    assert text_of(page, "#pcn-placement-withheld") is None
    said = page.get_text(" ", strip=True)
    for peer in [*scene.peers, scene.typed_peer, scene.elsewhere]:
        assert peer.name not in said
    placement = text_of(page, "#placement")
    for i in PEERS:
        assert percent(value_of(i)) not in placement
    # The item's direction is stated, once; the sentences never judge the practice.
    assert placement.count("better") == 1 and "Higher is better for this figure." in placement
    assert "worse" not in placement


def test_fewer_than_three_published_peers_show_no_pcn_place(client, session):
    scene = build_scene(session, imported_peers=2)  # and one that typed its own figure
    client.sign_in(scene.editor.email)

    page = client.page("/metrics/calls_answered_pct")

    assert page.select_one("#england-placement") is not None
    assert page.select_one("#pcn-placement") is None
    assert text_of(page, "#pcn-placement-withheld") == (
        "Where your figure sits in your PCN is not shown: fewer than 3 other practices in "
        "your PCN have a published figure for February 2026."
    )
    assert "99.9%" not in text_of(page, "#placement")  # the typed peer's figure
    assert scene.typed_peer.name not in page.get_text(" ", strip=True)


def test_a_neutral_item_says_higher_or_lower_only(client, session, scene):
    inbound = V2.items_by_id["inbound_calls"]
    assert inbound.direction.value == "neutral"
    run(session, scene.icb, national_extract("2026-02", measure="inbound_calls"), scene.analyst)
    client.sign_in(scene.editor.email)

    page = client.page("/metrics/inbound_calls")

    sentence = text_of(page, "#england-placement")
    assert sentence.startswith("In February 2026 your figure (81) was higher than ")
    for word in ("better", "worse", "improve", "concern"):
        assert word not in text_of(page, "#placement")


def test_the_chart_draws_england_and_its_key_changes_with_a_revised_file(client, session, scene):
    client.sign_in(scene.editor.email)

    svg = client.get("/metrics/calls_answered_pct/chart.svg")
    png = client.get("/metrics/calls_answered_pct/chart.png")

    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert b"England median (IQR shaded)" in svg.data
    assert png.status_code == 200 and png.data.startswith(PNG_SIGNATURE)
    before = svg.headers["ETag"]
    assert client.get("/metrics/calls_answered_pct/chart.svg").headers["ETag"] == before

    run(session, scene.icb, national_extract("2026-02", shift=5.0), scene.analyst)
    revised = client.get("/metrics/calls_answered_pct/chart.svg")

    assert revised.headers["ETag"] != before
    median = england.aggregates(session, scene.icb.id, [ANSWERED.id], ["2026-02"])
    page = client.page("/metrics/calls_answered_pct")
    row = next(r for r in table(page) if r["Period"] == "February 2026")
    assert row["England median"] == percent(median[(ANSWERED.id, "2026-02")].median)


def test_an_item_without_a_national_source_shows_no_england(client, session, scene):
    for code in TYPED:
        make_value(
            session, practice=scene.ours, item_id="call_answer_time", period_code=code,
            number=120.0, template_version=2,
        )  # fmt: skip
    client.sign_in(scene.editor.email)

    page = client.page("/metrics/call_answer_time")
    svg = client.get("/metrics/call_answer_time/chart.svg")

    assert page.select_one("#placement") is None
    head = [th.get_text(" ", strip=True) for th in page.select("#chart-data thead th")]
    assert not [h for h in head if h.startswith("England")]
    assert "England" not in page.select_one("figure.app-chart img")["alt"]
    assert svg.status_code == 200 and b"England" not in svg.data
