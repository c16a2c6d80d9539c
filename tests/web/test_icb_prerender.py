"""The ICB analyst's charts drawn before anyone asks (monitor.services.icb_prerender): the
collection's job draws, under the keys the pages ask for, every chart the distribution
pages and the equity lens show with their default options, so the analyst's first view
after a change draws none.

Uses the `scene` fixture (tests/factories.py: submitted returns of home visits and the
friends and family test to a 2025/26 Q2 collection)."""

from __future__ import annotations

from bs4 import BeautifulSoup

from monitor.services import icb_prerender
from tests.factories import make_collection, make_icb

PAGES = ("equity", "metrics/home_visits", "metrics/fft_positive_pct")


def cache(app):
    return app.extensions["monitor.chart_cache"]


def draw(app, session, collection_id: int) -> int:
    return icb_prerender.draw_collection(
        session,
        collection_id,
        templates=app.extensions["monitor.templates"],
        svg=lambda key, build: cache(app).get_or_render(key, "svg", build),
    )


def view_with_charts(client, scene) -> int:
    """Every page's charts fetched as a browser would; returns how many."""
    fetched = 0
    for page in PAGES:
        response = client.get(f"/collections/{scene.collection.id}/{page}")
        assert response.status_code == 200, page
        soup = BeautifulSoup(response.data, "html.parser")
        for image in soup.select("main img[src]"):
            assert client.get(image["src"]).status_code == 200, image["src"]
            fetched += 1
    return fetched


def test_the_job_draws_every_chart_the_analysts_first_view_shows(app, client, scene, session):
    asked = draw(app, session, scene.collection.id)
    drawn = cache(app).renders
    assert asked == drawn >= 2  # at least each item's ranked chart

    client.sign_in(scene.world.analyst.email)
    assert view_with_charts(client, scene) == asked  # the job drew nothing the pages do not show
    assert cache(app).renders == drawn, "the first view drew a chart the job should have"
    assert draw(app, session, scene.collection.id) == asked
    assert cache(app).renders == drawn  # drawn once: the second job read them all


def test_without_the_job_the_first_view_draws_its_charts(app, client, scene):
    client.sign_in(scene.world.analyst.email)
    fetched = view_with_charts(client, scene)
    assert fetched >= 2
    assert cache(app).renders == fetched


def test_a_collection_nobody_looks_at_or_that_is_gone_is_left_alone(app, session, world):
    lonely = make_collection(session, icb=make_icb(session))
    assert draw(app, session, lonely.id) == 0
    assert draw(app, session, 10**6) == 0
    assert cache(app).renders == 0
