"""The words on the dashboard card, the metric page and the impact summary agree with
each other and with the chart's limits, for every figure of the demo practices (issue
14): one statement, one set of limits, one set of periods."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from monitor.core.clock import today
from monitor.core.periods import Period, financial_year_of
from monitor.demo import DEMO_PASSWORD
from monitor.models import Practice
from monitor.services import evidence
from monitor.web.context import default_template
from tests.conftest import BACKENDS

EDITORS = {"Z00001": "pm@highfields.example", "Z00005": "pm@wigston.example"}


def _demo(app, session) -> None:
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path, built_databases):
    """A copy of a database `flask demo` loaded (once per backend), on each in turn."""
    for url, _ in built_databases.copy("flask-demo", request.param, _demo, tmp_path):
        yield url


@pytest.fixture
def demo(database_url):
    """The demo, as `flask demo` loads it (see `database_url`)."""


def card_texts(soup) -> dict[str, dict[str, str]]:
    cards = {}
    for card in soup.select("#cards .app-metric-card, .app-metric-card"):
        link = card.select_one("a.nhsuk-card__link")
        item_id = re.match(r"/metrics/([a-z0-9_]+)", link["href"])[1]
        paragraphs = card.select("p.nhsuk-body-s")
        cards[item_id] = {
            "tag": paragraphs[0].get_text(" ", strip=True),
            "verdict": card.select_one("p.nhsuk-card__description").get_text(" ", strip=True),
        }
    return cards


def seconds(text: str) -> float:
    sign = -1 if text.startswith("-") else 1
    minutes, secs = text.lstrip("+-").split(":")
    return sign * (int(minutes) * 60 + int(secs))


@pytest.mark.parametrize("ods", sorted(EDITORS))
def test_card_metric_page_and_summary_say_what_the_chart_shows(app, client, session, demo, ods):
    client.sign_in(EDITORS[ods], DEMO_PASSWORD)
    cards = card_texts(client.page("/dashboard"))
    assert len(cards) >= 10
    practice = session.exec(select(Practice).where(Practice.ods_code == ods)).one()
    with app.app_context():
        template = default_template()
    baseline_year = evidence.default_baseline_year(session, practice.id)
    interventions = evidence.practice_interventions(session, practice.id)
    summary = client.page(f"/summary?year={financial_year_of(today())}")
    summary_verdicts = {
        row.select_one("th").get_text(strip=True): row.select("td")[-1].get_text(" ", strip=True)
        for row in summary.select("table tbody tr")
        if len(row.select("td")) == 4
    }
    assert "Average time to answer calls" in summary_verdicts
    for item_id, card in cards.items():
        item = template.items_by_id.get(item_id)
        if item is None:
            continue
        page = client.page(f"/metrics/{item_id}")
        verdict = page.select_one("#verdict").get_text(" ", strip=True)
        assert verdict == card["verdict"], item_id
        # The summary lists the figures recorded in its year (not the allocation).
        if item.label in summary_verdicts:
            assert summary_verdicts[item.label] == verdict, item_id

        series = evidence.series_for(
            session,
            practice_id=practice.id,
            item=item,
            until=Period.latest_complete(today(), item.frequency),
            template_version=template.version,
        )
        result = evidence.evidence_for(
            series, baseline_year=baseline_year, interventions=interventions
        )
        assert result.verdict == verdict
        rows = list(reversed(page.select("#chart-data tbody tr")))  # oldest first
        assert len(rows) == len(series.periods)
        headers = [th.get_text(strip=True) for th in page.select("#chart-data thead th")]
        signal_column = headers.index("Special cause") - 1  # the period is a th
        signals_since = [
            row.select("td")[signal_column].get_text(strip=True)
            for row, period in zip(rows, series.periods, strict=True)
            if result.split is not None and not period < result.split
        ]
        if result.strength is evidence.Strength.TOO_FEW:
            assert card["tag"] == "Not enough data"
            if len(series.observed) < 13:
                assert verdict.startswith(("Not enough points yet", "No baseline yet"))
                assert (
                    page.select_one("figcaption")
                    .get_text()
                    .strip()
                    .startswith("Fewer than 13 figures: shown as a run chart")
                )
        elif result.strength is evidence.Strength.NO_CHANGE:
            # No special cause since the split on the chart drawn beside the words.
            assert not any(signals_since), item_id
            assert card["tag"] == "No significant change"
        elif result.strength in (evidence.Strength.IMPROVEMENT, evidence.Strength.CONCERN):
            word = "improvement" if result.strength is evidence.Strength.IMPROVEMENT else "concern"
            if result.rebased_at is None:
                # The chart drawn marks the signals the verdict is about.
                assert any(f"({word})" in s for s in signals_since), item_id
            else:
                assert page.select_one("#rebase-note") is not None
            # The latest figure and the mean since are on the verdict's side of the
            # baseline average, in the words beside it.
            latest = page.select_one("#latest-against-baseline").get_text(" ", strip=True)
            change = re.search(r"\), ([+-][^ ]+)", latest)[1]
            moved = seconds(change) if ":" in change else float(change.strip("+%£"))
            better = moved * (1 if item.direction.value == "higher_better" else -1)
            assert (better > 0) == (word == "improvement"), (item_id, latest)


def test_the_demo_call_wait_chart_has_two_phases(client, session, demo):
    client.sign_in(EDITORS["Z00001"], DEMO_PASSWORD)
    page = client.page("/metrics/call_answer_time")
    assert (
        page.select_one("#verdict")
        .get_text(" ", strip=True)
        .startswith(
            "Average time to answer calls has improved since “Cloud telephony with call-back "
            "live” (September 2023)"
        )
    )
    assert "recalculates its mean and limits from October 2023" in (
        page.select_one("#rebase-note").get_text()
    )
    rows = {
        row.select_one("th").get_text(strip=True): [
            td.get_text(strip=True) for td in row.select("td")
        ]
        for row in page.select("#chart-data tbody tr")
    }
    before, after = rows["September 2023"], rows["October 2023"]
    # Two means, each phase's own: about five minutes before, about two after.
    assert seconds(before[1]) > 240 and seconds(after[1]) < 150
    assert before[1:4] == rows["April 2021"][1:4]  # the baseline's limits, extended
    # Turned off, one set of limits from the baseline across the whole chart.
    off = client.page("/metrics/call_answer_time?auto_rebase=no")
    assert off.select_one("#rebase-note") is None
    off_rows = {
        row.select_one("th").get_text(strip=True): [
            td.get_text(strip=True) for td in row.select("td")
        ]
        for row in off.select("#chart-data tbody tr")
    }
    assert off_rows["October 2023"][1:4] == rows["April 2021"][1:4]
    assert "auto_rebase=no" in off.select_one("img.app-chart__image")["src"]


def test_an_unknown_rebase_choice_is_a_field_error(client, demo):
    client.sign_in(EDITORS["Z00001"], DEMO_PASSWORD)
    page = client.page("/metrics/call_answer_time?auto_rebase=maybe", status=400)
    assert (
        "Select whether to recalculate the limits after a change"
        in page.select_one(".nhsuk-error-summary").get_text()
    )
