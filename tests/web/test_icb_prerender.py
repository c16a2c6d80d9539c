"""The ICB analyst's charts drawn before anyone asks (monitor.services.icb_prerender): the
collection's job draws, under the keys the pages ask for, every chart the distribution
pages and the equity lens show with their default options, so the analyst's first view
after a change draws none.

Uses the `scene` fixture (tests/factories.py: submitted returns of home visits and the
friends and family test to a 2025/26 Q2 collection)."""

from __future__ import annotations

from datetime import date

import pytest
from bs4 import BeautifulSoup
from sqlmodel import Session

from monitor import create_app
from monitor.jobs import jobs_of
from monitor.models import Practice
from monitor.services import collections, icb_prerender, records
from tests.client import PageClient
from tests.factories import (
    build_icb_scene,
    build_world,
    make_collection,
    make_icb,
    make_national_import,
    make_practice,
    make_return,
    make_value,
    months,
    shipped_templates,
)

IN_THE_WINDOW = date(2025, 10, 15)
V1 = shipped_templates()[("hep-light-touch", 1)]

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


# --------------------------------------------------------------------------- the job queue


@pytest.fixture
def watched(database_url):
    """An app whose commits queue chart jobs (PRERENDER_CHARTS), as a deployment's does."""
    app = create_app("test", DATABASE_URL=database_url, PRERENDER_CHARTS=True)
    yield app
    jobs_of(app).close()
    app.extensions["monitor.engine"].dispose()


def collection_jobs(app) -> list[tuple]:
    return [
        task.args
        for task in jobs_of(app).ready().pending()
        if task.name.endswith("prerender_collection_charts")
    ]


def run_waiting(app) -> None:
    queue = jobs_of(app).ready()
    while (task := queue.dequeue()) is not None:
        task.execute()


def scene_of(app):
    with Session(app.extensions["monitor.engine"], expire_on_commit=False) as session:
        return session, build_icb_scene(session, build_world(session))


def test_a_submission_withdrawal_and_resubmission_each_queue_the_collections_job(watched):
    session, scene = scene_of(watched)
    run_waiting(watched)
    make_return(
        session, collection=scene.collection, practice=scene.theta,
        values={"home_visits": months(7)},
    )  # fmt: skip
    assert collection_jobs(watched) == [(scene.collection.id,)]
    make_return(
        session, collection=scene.earlier, practice=scene.theta,
        values={"home_visits": months(5, first="2025-04")},
    )  # fmt: skip
    assert collection_jobs(watched) == [(scene.collection.id,), (scene.earlier.id,)]  # one each
    run_waiting(watched)

    collections.withdraw(
        session, user=scene.world.analyst, collection=scene.collection,
        practice_id=scene.epsilon.id, today=IN_THE_WINDOW,
    )  # fmt: skip
    assert collection_jobs(watched) == [(scene.collection.id,)]
    run_waiting(watched)
    make_value(
        session, practice=scene.epsilon, item_id="home_visits", period_code="2025-07", number=61
    )
    run_waiting(watched)  # the practice's own charts
    collections.submit(
        session, user=None, collection=scene.collection, practice_id=scene.epsilon.id,
        template=V1, today=IN_THE_WINDOW,
    )  # fmt: skip
    assert collection_jobs(watched) == [(scene.collection.id,)]


def test_after_the_job_the_analysts_first_view_after_a_submission_draws_nothing(watched):
    session, scene = scene_of(watched)
    run_waiting(watched)
    watched.test_client_class = PageClient
    client = watched.test_client()
    client.sign_in(scene.world.analyst.email)
    view_with_charts(client, scene)  # charts of the collection before the change
    make_return(
        session, collection=scene.collection, practice=scene.theta,
        values={"home_visits": months(7)},
    )  # fmt: skip
    run_waiting(watched)
    drawn = cache(watched).renders
    assert view_with_charts(client, scene) >= 2
    assert cache(watched).renders == drawn, "the first view after the change drew a chart"


def test_a_finished_national_import_queues_the_icbs_newest_collections(watched):
    session, scene = scene_of(watched)
    run_waiting(watched)
    make_national_import(session, icb=scene.world.icb)
    task = jobs_of(watched).ready().dequeue()
    assert task.name.endswith("prerender_icb_charts")
    task.execute()
    assert sorted(collection_jobs(watched)) == [(scene.collection.id,), (scene.earlier.id,)]


def test_a_practice_or_pcn_edit_queues_its_icbs_newest_collections(watched):
    """A practice's list size, deprivation, PCN or name, and a PCN's name, are in every
    ICB view of the collections: the jobs are queued as for a submission, for the ICB
    the practice is in. Sharing choices queue none."""
    session, scene = scene_of(watched)
    world = scene.world
    run_waiting(watched)
    both = [(scene.collection.id,), (scene.earlier.id,)]

    def edit(record, **changes):
        records.update_fields(
            session, user=world.admin, record=session.get(type(record), record.id),
            changes=changes,
            expected_version=None, summary="An edit",
        )  # fmt: skip

    edit(world.sibling, list_size=9_001, imd_decile=4)
    assert sorted(collection_jobs(watched)) == both
    run_waiting(watched)
    edit(world.pcn, name="North and Coast PCN")
    assert sorted(collection_jobs(watched)) == both
    run_waiting(watched)
    make_practice(session, pcn=world.other_pcn, name="Newly Opened Surgery")
    assert sorted(collection_jobs(watched)) == both
    run_waiting(watched)

    edit(world.foreign_practice, list_size=12_345)
    assert collection_jobs(watched) == [(scene.foreign.id,)]  # its own ICB's only
    run_waiting(watched)
    records.update_fields(
        session, user=world.admin, record=session.get(Practice, world.sibling.id),
        changes={"shares_with_icb": True},
        expected_version=None, summary="Shared", part="practice_sharing",
    )  # fmt: skip
    assert collection_jobs(watched) == []


def test_after_the_job_the_first_view_after_a_list_size_change_draws_nothing(watched):
    session, scene = scene_of(watched)
    run_waiting(watched)
    watched.test_client_class = PageClient
    client = watched.test_client()
    client.sign_in(scene.world.analyst.email)
    view_with_charts(client, scene)
    records.update_fields(
        session, user=scene.world.admin, record=session.get(Practice, scene.epsilon.id),
        changes={"list_size": scene.epsilon.list_size * 3, "imd_decile": 10},
        expected_version=None, summary="From NHS files",
    )  # fmt: skip
    run_waiting(watched)
    drawn = cache(watched).renders
    assert view_with_charts(client, scene) >= 2
    assert cache(watched).renders == drawn, "the first view after the edit drew a chart"
