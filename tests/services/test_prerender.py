"""Charts drawn before anyone asks (monitor.services.prerender, monitor.jobs): a change to
a practice's data queues one job for the practice, whichever code wrote it; the job draws
what the practice's next views ask for, so those views draw nothing; a rolled-back
change queues nothing; a finished national import queues its ICB's practices. Jobs are
taken from the real queue (SQLite file or PostgreSQL tables) and run here, one by one."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

import pytest
from huey.constants import EmptyData
from sqlmodel import select

from monitor import create_app
from monitor.core.clock import today
from monitor.core.periods import Period
from monitor.jobs import jobs_of, run_prerender
from monitor.models import ImportStatus, MetricValue, NationalImport
from monitor.services import summary
from tests.factories import make_intervention, make_value


@pytest.fixture
def app(database_url):
    app = create_app("test", DATABASE_URL=database_url, PRERENDER_CHARTS=True)
    yield app
    jobs_of(app).close()
    app.extensions["monitor.engine"].dispose()


def waiting(app) -> list[tuple[str, tuple]]:
    return [(task.name, task.args) for task in jobs_of(app).ready().pending()]


def run_waiting(app) -> int:
    """Run every queued job as a worker would (a failure fails the test); returns how
    many ran."""
    queue = jobs_of(app).ready()
    ran = 0
    while (task := queue.dequeue()) is not None:
        task.execute()
        ran += 1
    return ran


def cache(app):
    return app.extensions["monitor.chart_cache"]


def months_to_now(count: int) -> list[str]:
    """The `count` complete months up to last month, oldest first."""
    period = Period.latest_complete(today(), Period.parse("2024-01").frequency)
    codes = []
    for _ in range(count):
        codes.append(period.code)
        period = period.previous()
    return codes[::-1]


@pytest.fixture
def recent(app, session, world):
    """30 months of call answer times to last month and an intervention (the world has an
    allocation for 2025/26), with the world's own jobs already run."""
    run_waiting(app)
    fy = summary.default_year(today())
    for n, code in enumerate(months_to_now(30)):
        make_value(
            session,
            practice=world.practice,
            item_id="call_answer_time",
            period_code=code,
            number=300 - 5 * n,
        )
    world.recent_event = make_intervention(
        session, practice=world.practice, occurred_on=date(fy, 9, 4)
    )
    return world


def test_many_commits_for_a_practice_queue_one_job(app, recent):
    # 31 commits (30 figures, an intervention): one job is waiting.
    assert waiting(app) == [("prerender_charts", (recent.practice.id,))]


def test_the_job_draws_every_chart_the_next_views_ask_for(app, recent, client):
    assert run_waiting(app) == 1
    drawn = cache(app).renders
    assert drawn >= 4  # summary PNGs of two years, the metric page at two widths
    assert waiting(app) == []  # drawing writes nothing, so queues nothing

    client.sign_in(recent.editor.email)
    fy = summary.default_year(today())
    for url in (
        f"/summary/impact-summary.xlsx?year={fy}",
        f"/summary/impact-summary.pdf?year={fy}",
        f"/summary/impact-summary.pdf?year={fy + 1}",
        "/metrics/call_answer_time/chart.svg",
        "/metrics/call_answer_time/chart.svg?width=phone",
        "/dashboard",
        "/metrics/call_answer_time",
    ):
        assert client.get(url).status_code == 200, url
        assert cache(app).renders == drawn, f"{url} drew a chart the job should have drawn"
    assert cache(app).hits >= 5


def test_without_the_job_the_first_download_draws_its_charts(app, recent, client):
    """The other side of the test above: the same download with the job not run."""
    client.sign_in(recent.editor.email)
    fy = summary.default_year(today())
    assert client.get(f"/summary/impact-summary.pdf?year={fy}").status_code == 200
    assert cache(app).renders >= 1


def test_a_change_after_the_job_ran_queues_another_and_redraws_only_what_changed(
    app, recent, session
):
    run_waiting(app)
    drawn = cache(app).renders
    value = session.exec(
        select(MetricValue).where(
            MetricValue.practice_id == recent.practice.id,
            MetricValue.item_id == "call_answer_time",
        )
    ).first()
    value.value_number += 60
    session.add(value)
    session.commit()
    assert waiting(app) == [("prerender_charts", (recent.practice.id,))]
    run_waiting(app)
    again = cache(app).renders - drawn
    # The call answer time's charts are new; every other chart was cached.
    assert 1 <= again < drawn


def test_a_rolled_back_change_queues_nothing(app, recent, session):
    run_waiting(app)
    session.add(
        MetricValue(
            practice_id=recent.sibling.id,
            item_id="call_answer_time",
            frequency="monthly",
            period_code="2024-04",
            period_start=date(2024, 4, 1),
            value_number=100,
            template_id="hep-light-touch",
            template_version=1,
        )
    )
    session.flush()
    session.rollback()
    assert waiting(app) == []


def test_a_finished_national_import_queues_the_icbs_practices_people_read(app, recent, session):
    run_waiting(app)
    found = NationalImport(
        icb_id=recent.icb.id, filename="x.csv", sha256="0" * 64, size=1, stored_path="x"
    )
    session.add(found)
    session.commit()
    assert waiting(app) == []  # queued, not finished: England's figures are unchanged
    found.status = ImportStatus.DONE
    session.add(found)
    session.commit()
    assert waiting(app) == [("prerender_icb_charts", (recent.icb.id,))]
    jobs_of(app).ready().dequeue().execute()
    # Every practice of the ICB with a practice user, each once; none of another ICB.
    queued = sorted(args[0] for name, args in waiting(app) if name == "prerender_charts")
    with_readers = sorted(
        {u.practice_id for u in (recent.editor, recent.viewer, recent.other_editor)}
        - {recent.foreign_practice.id}
    )
    assert queued == with_readers


def test_a_practice_nobody_reads_is_not_drawn(app, recent):
    run_waiting(app)
    assert run_prerender(app, recent.other_practice.id) == 0
    assert run_prerender(app, recent.practice.id) > 0


def test_a_page_that_deletes_an_intervention_has_the_in_app_worker_redraw(app, recent, client):
    """Through a real page and the real worker threads (`make run`'s JOBS_IN_PROCESS):
    the delete queues the practice's job, the worker runs it, and the metric page's
    chart without the intervention's marker is then in the cache."""
    run_waiting(app)
    app.config.update(JOBS_IN_PROCESS=True, JOBS_POLL_SECONDS=0.2)
    drawn = cache(app).renders
    client.sign_in(recent.editor.email)
    event = recent.recent_event  # marked on the call answer time's charts
    response = client.submit(f"/interventions/{event.id}/delete", {"version": str(event.version)})
    assert response.status_code == 302
    storage = jobs_of(app).ready().storage
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if cache(app).renders > drawn and storage.peek_data(
            f"prerender-waiting-{recent.practice.id}"
        ) in (EmptyData, None):
            break
        time.sleep(0.2)
    else:
        raise AssertionError("the worker did not draw the practice's charts")
    deadline = time.monotonic() + 120
    while jobs_of(app).ready().pending_count() and time.monotonic() < deadline:
        time.sleep(0.2)
    jobs_of(app).stop_worker()  # lets the running job finish
    after_job = cache(app).renders
    assert client.get("/metrics/call_answer_time/chart.svg").status_code == 200
    assert cache(app).renders == after_job


def test_the_job_starts_a_little_after_the_change_and_takes_the_later_ones(app, world, session):
    """With PRERENDER_DELAY_SECONDS a change queues the practice's job to start that
    long after it (huey's eta); changes while it waits queue nothing more."""
    run_waiting(app)  # the world's own
    app.config["PRERENDER_DELAY_SECONDS"] = 45
    before = datetime.now(UTC).replace(tzinfo=None)  # huey's eta: naive UTC
    for n, code in enumerate(months_to_now(3)):
        make_value(
            session,
            practice=world.practice,
            item_id="call_answer_time",
            period_code=code,
            number=200 + n,
        )
    (task,) = jobs_of(app).ready().pending()
    assert (task.name, task.args) == ("prerender_charts", (world.practice.id,))
    assert before + timedelta(seconds=44) <= task.eta
    assert task.eta <= datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=46)
