"""The ICB analyst's distribution page, equity lens and metric index are rendered once per
collection stamp (icb_views.collection_stamp) and options: a warm view loads nothing,
and each change to what they show is on the next view.

Uses the `scene` fixture (tests/factories.py: five submitted returns of home visits,
Alpha 20, Beta 40, Epsilon 60 in North; Gamma 80, Eta 100 in South)."""

from __future__ import annotations

from datetime import date

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import text

from monitor.services import collections, icb_views
from tests.factories import make_return, make_value, months

PAGES = ("metrics", "metrics/home_visits", "equity", "equity?ci=regression")


def url(scene, page: str) -> str:
    return f"/collections/{scene.collection.id}/{page}"


def main_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return str(BeautifulSoup(response.get_data(as_text=True), "html.parser").select_one("main"))


def ranked(client, scene) -> list[list[str]]:
    soup = BeautifulSoup(client.get(url(scene, "metrics/home_visits")).data, "html.parser")
    return [
        [cell.get_text(" ", strip=True) for cell in row.select("td")]
        for row in soup.select("#ranked-practices tbody tr")
    ]


def quintiles(client, scene) -> list[tuple[str, ...]]:
    """(quintile, practices) of the equity lens's home visits."""
    soup = BeautifulSoup(client.get(url(scene, "equity")).data, "html.parser")
    return [
        tuple(cell.get_text(" ", strip=True) for cell in row.select("th, td"))[:2]
        for row in soup.select("#quintiles-home_visits tbody tr")
    ]


def test_a_warm_icb_page_is_the_same_page_and_loads_nothing(client, scene, monkeypatch):
    client.sign_in(scene.world.analyst.email)
    first = {page: main_of(client.get(url(scene, page))) for page in PAGES}

    def refuse(*args, **kwargs):
        raise AssertionError("a warm ICB page loaded the collection")

    monkeypatch.setattr(icb_views, "load", refuse)
    for page, shown in first.items():
        assert main_of(client.get(url(scene, page))) == shown, page


def test_options_are_in_the_key_and_an_invalid_choice_is_still_reported(client, scene):
    client.sign_in(scene.world.analyst.email)
    default = main_of(client.get(url(scene, "equity")))
    regression = main_of(client.get(url(scene, "equity?ci=regression")))
    assert regression != default
    for _ in range(2):  # the second from the cache
        response = client.get(url(scene, "equity?ci=guess"))
        assert response.status_code == 400
        soup = BeautifulSoup(response.data, "html.parser")
        assert soup.select_one(".nhsuk-error-summary") is not None


def test_a_submission_shows_on_the_next_view(client, scene, session):
    client.sign_in(scene.world.analyst.email)
    assert len(ranked(client, scene)) == 5
    make_return(
        session, collection=scene.collection, practice=scene.theta,
        values={"home_visits": months(7)},
    )  # fmt: skip
    rows = ranked(client, scene)
    assert len(rows) == 6
    assert rows[-1][1].startswith("Theta Surgery")


def test_a_withdrawal_shows_on_the_next_view(client, scene, session):
    client.sign_in(scene.world.analyst.email)
    assert any(row[1].startswith("Epsilon Surgery") for row in ranked(client, scene))
    collections.withdraw(
        session, user=scene.world.analyst, collection=scene.collection,
        practice_id=scene.epsilon.id, today=date(2025, 10, 15),
    )  # fmt: skip
    assert not any(row[1].startswith("Epsilon Surgery") for row in ranked(client, scene))


def test_a_figure_changed_in_sql_shows_on_the_next_view(client, scene, session):
    client.sign_in(scene.world.analyst.email)
    assert ranked(client, scene)[0][3] == "100"  # Eta
    session.execute(
        text(
            "UPDATE return_figure SET value = 150 WHERE item_id = 'home_visits' AND return_id = "
            "(SELECT id FROM practice_return WHERE collection_id = :c AND practice_id = :p)"
        ),
        {"c": scene.collection.id, "p": scene.eta.id},
    )
    session.commit()
    assert ranked(client, scene)[0][3] == "150"


@pytest.mark.parametrize("how", ["orm", "sql"])
def test_a_practices_deprivation_shows_on_the_next_equity_view(client, scene, session, how):
    client.sign_in(scene.world.analyst.email)
    before = quintiles(client, scene)
    # Epsilon (decile 3, quintile 2) moves to decile 9 (quintile 5).
    if how == "orm":
        scene.epsilon.imd_decile = 9
        session.add(scene.epsilon)
    else:
        session.execute(
            text("UPDATE practice SET imd_decile = 9 WHERE id = :id"), {"id": scene.epsilon.id}
        )
    session.commit()
    after = quintiles(client, scene)
    least = "IMD quintile 5 (least deprived)"
    assert int(dict(after)[least]) == int(dict(before)[least]) + 1


def test_a_practices_move_to_another_pcn_shows_on_the_next_view(client, scene, session):
    client.sign_in(scene.world.analyst.email)

    def members(pcn) -> str:
        soup = BeautifulSoup(client.get(url(scene, "metrics/home_visits")).data, "html.parser")
        row = soup.select_one(f'#pcn-medians tr[data-pcn="{pcn.code}"]')
        return row.select("td")[0].get_text(strip=True)

    before = members(scene.world.other_pcn)
    scene.zeta.pcn_id = scene.world.other_pcn.id
    session.add(scene.zeta)
    session.commit()
    assert members(scene.world.other_pcn) != before


def states(client, scene) -> dict[str, str]:
    """Practice name → its state on the completeness page."""
    soup = BeautifulSoup(client.get(url(scene, "completeness")).data, "html.parser")
    return {
        row.select("td")[0].get_text(strip=True): row["data-state"]
        for row in soup.select(".app-completeness-practices tbody tr")
    }


def test_a_practice_typing_a_figure_shows_on_the_next_completeness_view(
    client, scene, session, monkeypatch
):
    client.sign_in(scene.world.analyst.email)
    before = states(client, scene)
    assert before["Theta Surgery"] == "not_started"

    def refuse(*args, **kwargs):
        raise AssertionError("a warm completeness page worked the states out")

    with monkeypatch.context() as patched:
        patched.setattr(icb_views, "practice_states", refuse)
        assert states(client, scene) == before  # warm: from the cache
    make_value(
        session, practice=scene.theta, item_id="home_visits", period_code="2025-08", number=4
    )
    assert states(client, scene)["Theta Surgery"] == "in_progress"
    session.execute(
        text("DELETE FROM metric_value WHERE practice_id = :id"), {"id": scene.theta.id}
    )
    session.commit()
    assert states(client, scene)["Theta Surgery"] == "not_started"


def test_a_completeness_filter_is_in_the_key_and_its_error_still_reported(client, scene):
    client.sign_in(scene.world.analyst.email)
    every = states(client, scene)
    page = client.get(url(scene, "completeness?status=submitted"))
    soup = BeautifulSoup(page.data, "html.parser")
    shown = {row["data-state"] for row in soup.select(".app-completeness-practices tbody tr")}
    assert shown == {"submitted"} and len(every) > 5
    for _ in range(2):  # the second from the cache
        response = client.get(url(scene, "completeness?status=bogus"))
        assert response.status_code == 400
        assert BeautifulSoup(response.data, "html.parser").select_one(".nhsuk-error-summary")
    assert client.get(url(scene, "completeness.csv?status=bogus")).status_code == 400
