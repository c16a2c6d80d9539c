"""The ICB's chart images are found in the chart cache by a stamp of their data
(icb_views.collection_stamp), without loading the collection; any change to what a chart
shows draws it afresh.

Uses the `scene` fixture (tests/factories.py: five submitted returns of home visits)."""

from __future__ import annotations

from monitor.services import icb_views
from tests.factories import make_return, months


def charts_of(scene) -> list[str]:
    base = f"/collections/{scene.collection.id}"
    return [f"{base}/metrics/home_visits/chart.svg", f"{base}/equity/home_visits/chart.svg"]


def test_a_cached_icb_chart_is_answered_without_loading_the_collection(client, scene, monkeypatch):
    client.sign_in(scene.world.analyst.email)
    first = {url: client.get(url) for url in charts_of(scene)}
    assert all(r.status_code == 200 for r in first.values())

    def refuse(*args, **kwargs):
        raise AssertionError("a cached chart loaded the collection")

    monkeypatch.setattr(icb_views, "load", refuse)
    for url, response in first.items():
        again = client.get(url)
        assert again.status_code == 200
        assert again.data == response.data
        assert again.headers["ETag"] == response.headers["ETag"]


def test_a_new_submission_or_a_practices_deprivation_draws_the_charts_afresh(
    client, scene, session
):
    client.sign_in(scene.world.analyst.email)
    before = {url: client.get(url).headers["ETag"] for url in charts_of(scene)}

    make_return(
        session,
        collection=scene.collection,
        practice=scene.theta,
        values={"home_visits": months(7)},
    )
    after_return = {url: client.get(url).headers["ETag"] for url in charts_of(scene)}
    assert all(after_return[url] != before[url] for url in before)

    scene.epsilon.imd_decile = 9
    session.add(scene.epsilon)
    session.commit()
    equity = charts_of(scene)[1]
    assert client.get(equity).headers["ETag"] != after_return[equity]


def test_a_chart_of_an_unknown_or_text_item_is_not_found(client, scene):
    client.sign_in(scene.world.analyst.email)
    base = f"/collections/{scene.collection.id}"
    for url in (f"{base}/metrics/no_such_item/chart.svg", f"{base}/equity/no_such/chart.svg"):
        assert client.get(url).status_code == 404
