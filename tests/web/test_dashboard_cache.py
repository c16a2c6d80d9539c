"""The dashboard's cached parts (monitor.web.jinja's fragments): a warm view reads the
practice's data stamp instead of its figures, and never shows a stale figure, header or
CSRF token."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import text

from monitor.charts.style import POINT_FILL
from monitor.services import evidence, records
from monitor.web import jinja
from tests.factories import make_allocation, make_intervention, make_value, make_values

BEFORE = [290, 305, 280, 300, 310, 295, 285, 300, 290, 305, 295, 300]
AFTER = [130, 125, 120, 135, 118, 122, 128, 119, 131, 124, 120, 126]


@pytest.fixture
def history(session, world):
    last = make_values(
        session,
        practice=world.practice,
        item_id="call_answer_time",
        first="2021-04",
        numbers=BEFORE + AFTER,
    )
    make_allocation(session, practice=world.practice, financial_year=2022, amount=Decimal(50000))
    return last


@pytest.fixture
def reads(monkeypatch):
    """Each time the dashboard read the practice's figures: the items it read."""
    calls = []
    real = evidence.series_for_items

    def counted(*args, **kwargs):
        calls.append(sorted(item.id for item in kwargs["items"]))
        return real(*args, **kwargs)

    monkeypatch.setattr(evidence, "series_for_items", counted)
    return calls


def latest(soup) -> str:
    card = next(
        c for c in soup.select(".app-metric-card") if "Average time to answer" in c.get_text()
    )
    return card.select_one(".app-metric-card__latest").get_text(" ", strip=True)


def test_a_warm_view_reuses_the_cards_and_a_changed_figure_shows_at_once(
    client, world, history, session, reads
):
    make_values(
        session,
        practice=world.practice,
        item_id="inbound_calls",
        first="2021-04",
        numbers=[5000 + 10 * n for n in range(24)],
    )
    client.sign_in(world.editor.email)
    first = client.page("/dashboard")
    assert latest(first) == "2:06 March 2023" and len(reads) == 1
    assert {"call_answer_time", "inbound_calls"} <= set(reads[0])
    hits = jinja.FRAGMENTS.hits
    again = client.page("/dashboard")
    assert len(reads) == 1  # the figures were not read again
    assert jinja.FRAGMENTS.hits >= hits + 3  # header, baseline form and the cards
    assert str(again.select_one("main")) == str(first.select_one("main"))

    # An edit through the audited write path (version and updated_at change).
    records.update_fields(
        session,
        user=world.editor,
        record=history,
        changes={"value_number": 200},
        expected_version=history.version,
        summary="Changed",
    )
    assert latest(client.page("/dashboard")) == "3:20 March 2023" and len(reads) == 2
    assert reads[-1] == ["call_answer_time"]  # each card has its own stamp

    # Even a write that bypassed it (the same version and time): the values' total moves.
    with session.get_bind().begin() as connection:
        connection.execute(
            text("UPDATE metric_value SET value_number = 250 WHERE id = :id"), {"id": history.id}
        )
    assert latest(client.page("/dashboard")) == "4:10 March 2023" and len(reads) == 3

    # A new figure, and a removed one.
    added = make_value(
        session,
        practice=world.practice,
        item_id="call_answer_time",
        period_code="2023-04",
        number=60,
    )
    assert latest(client.page("/dashboard")) == "1:00 April 2023"
    records.delete(
        session, user=world.editor, record=added, expected_version=added.version, summary="Gone"
    )
    # The data are again what they were before the new figure: so is the stamp, and the
    # cards cached then are shown (they are right: nothing read them again).
    assert latest(client.page("/dashboard")) == "4:10 March 2023" and len(reads) == 4


def test_interventions_baseline_and_allocations_are_in_the_key(
    client, world, history, session, reads
):
    client.sign_in(world.editor.email)
    verdict = client.page("/dashboard").select_one(".app-metric-card").get_text(" ", strip=True)
    assert "since April 2022" in verdict
    event = make_intervention(
        session,
        practice=world.practice,
        occurred_on=date(2022, 3, 20),
        title="Cloud telephony",
        affected_items=["call_answer_time"],
    )
    card = client.page("/dashboard").select_one(".app-metric-card").get_text(" ", strip=True)
    assert "since “Cloud telephony” (March 2022)" in card
    records.update_fields(
        session,
        user=world.editor,
        record=event,
        changes={"title": "New phones"},
        expected_version=event.version,
        summary="Renamed",
    )
    card = client.page("/dashboard").select_one(".app-metric-card").get_text(" ", strip=True)
    assert "since “New phones” (March 2022)" in card
    # Another baseline: its own cards, with the baseline in their links.
    other = client.page("/dashboard?baseline=2022")
    link = other.select_one(".app-metric-card a")["href"]
    assert "baseline=2022" in link
    assert "baseline" not in client.page("/dashboard").select_one(".app-metric-card a")["href"]
    # An allocation moves the default baseline year.
    reads.clear()
    make_allocation(session, practice=world.practice, financial_year=2021, amount=Decimal(1))
    page = client.page("/dashboard")
    assert len(reads) == 1
    assert "2020/21" in page.select_one("#baseline-hint").get_text()


def test_each_user_sees_their_own_header_with_a_working_sign_out_token(client, app, world):
    client.sign_in(world.editor.email)
    header = client.page("/dashboard").select_one("header").get_text(" ", strip=True)
    assert world.editor.display_name in header
    assert client.submit("/sign-out", token_from="/dashboard").status_code == 302

    other = app.test_client()
    other.sign_in(world.viewer.email)
    soup = other.page("/dashboard")
    header = soup.select_one("header").get_text(" ", strip=True)
    assert world.viewer.display_name in header and world.editor.display_name not in header
    # The token is this session's, not the cached header's first one.
    token = soup.select_one("header input[name=csrf_token]")["value"]
    assert other.post("/sign-out", data={"csrf_token": token}).status_code == 302
    # The current page is marked in the header of each page.
    client.sign_in(world.editor.email)
    money = client.page("/money")
    assert money.select_one("header [aria-current=page]").get_text(strip=True) == "Money"


def test_the_sparklines_are_in_the_cached_cards_and_a_change_redraws_them(
    client, world, history, session, reads
):
    """A dashboard is one request: each card draws its trend line in the page (no image
    to fetch), cached with the cards, and redrawn with them when a figure changes."""
    client.sign_in(world.editor.email)
    soup = client.page("/dashboard")
    assert not soup.select(".app-metric-card img")
    card = soup.select_one(".app-metric-card")
    first = str(card.select_one("svg.app-sparkline"))
    dot = card.select("svg.app-sparkline circle")[-1]
    assert dot["fill"] == POINT_FILL["improvement"]  # the call-wait fell after the HEP
    reads.clear()
    assert str(client.page("/dashboard").select_one("svg.app-sparkline")) == first
    assert reads == []  # warm: from the cached cards
    records.update_fields(
        session,
        user=world.editor,
        record=history,
        changes={"value_number": 900},
        expected_version=history.version,
        summary="Changed",
    )
    changed = client.page("/dashboard").select_one("svg.app-sparkline")
    assert len(reads) == 1 and str(changed) != first
    assert changed.select("circle")[-1]["fill"] == POINT_FILL["concern"]  # 15:00 is a spike
