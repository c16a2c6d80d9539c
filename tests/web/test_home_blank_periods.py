"""The practice home page flags each recent month and quarter left blank ("September
2026: no figures recorded"), not only the one due now: the last three complete months
and the last two complete quarters, skipping periods before the practice's first figure."""

from __future__ import annotations

from datetime import date

import pytest

from tests.factories import make_value


@pytest.fixture
def fixed_today(monkeypatch):
    # Complete periods: October, September, August 2026; 2026/27 Q2 and Q1.
    monkeypatch.setattr("monitor.web.home.today", lambda: date(2026, 11, 23))


def flagged(soup) -> dict[str, str]:
    """Period label → where its link goes, from the "left blank" callout."""
    callout = soup.select_one("#left-blank")
    if callout is None:
        return {}
    return {
        li.select_one("a").get_text(strip=True): li.select_one("a")["href"]
        for li in callout.select("li")
        if li.get_text(" ", strip=True).endswith("no figures recorded")
    }


def record(session, practice, *months):
    for month in months:
        make_value(session, practice=practice, item_id="home_visits", period_code=month, number=20)


def test_an_earlier_month_and_quarters_left_blank_are_flagged(client, session, world, fixed_today):
    record(session, world.practice, "2026-06", "2026-08", "2026-10")
    client.sign_in(world.editor.email)

    shown = flagged(client.page("/"))

    assert shown == {
        "September 2026": "/figures/2026-09",
        "2026/27 Q2 (July to September 2026)": "/figures/2026-27-q2",
        "2026/27 Q1 (April to June 2026)": "/figures/2026-27-q1",
    }


def test_periods_before_the_first_figure_are_not_flagged(client, session, world, fixed_today):
    record(session, world.practice, "2026-10")
    client.sign_in(world.editor.email)

    assert flagged(client.page("/")) == {}


def test_the_current_month_left_blank_is_flagged_too(client, session, world, fixed_today):
    record(session, world.practice, "2026-08", "2026-09")
    make_value(
        session,
        practice=world.practice,
        item_id="cervical_screening_pct",
        period_code="2026-27-q2",
        number=70,
    )
    client.sign_in(world.viewer.email)

    assert set(flagged(client.page("/"))) == {"October 2026"}


def test_a_practice_with_no_figures_gets_no_blank_period_list(client, world, fixed_today):
    client.sign_in(world.editor.email)
    assert client.page("/").select_one("#left-blank") is None
