"""National imports as background jobs through huey's real worker, on SQLite and on
PostgreSQL: a worker thread inside the app (as `make run` runs it), a `monitor worker`
process of its own (as a deployment runs it, possibly on another machine), a job queued
while no worker runs (it survives the app's restart), a job whose worker died part way
(queued again), and a failed job (nothing written, the reason kept)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session, select

from monitor import create_app
from monitor.jobs import jobs_of, requeue_lost, start_worker
from monitor.models import Icb, MetricValue, NationalImport
from monitor.services import national_data
from tests.factories import onboard_llr
from tests.published_files import OPENDATA

CBT = "cbt_publication_summary_feb2026_LLR_excerpt.xlsx"
TODAY = date(2026, 4, 20)


def configured(database_url: str, tmp_path: Path, **extra):
    return create_app(
        "test",
        DATABASE_URL=database_url,
        JOBS_SQLITE_PATH=str(tmp_path / "jobs.sqlite3"),
        JOBS_TODAY=TODAY,
        JOBS_POLL_SECONDS=0.2,
        **extra,
    )


def queued(session, icb, tmp_path, name=CBT) -> NationalImport:
    stored = tmp_path / "uploads" / name
    stored.parent.mkdir(exist_ok=True)
    shutil.copy(OPENDATA / name, stored)
    found = NationalImport(
        icb_id=icb.id,
        filename=name,
        sha256=national_data.file_hash(stored),
        size=stored.stat().st_size,
        stored_path=str(stored),
    )
    session.add(found)
    session.commit()
    return found


def wait_for(session, found: NationalImport, *statuses: str, timeout=60) -> NationalImport:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        session.expire_all()
        current = session.get(NationalImport, found.id)
        if current.status in statuses:
            return current
        time.sleep(0.1)
    raise AssertionError(f"import {found.id} is {current.status}, not {statuses}")


def imported_values(session) -> list[MetricValue]:
    session.expire_all()
    return session.exec(select(MetricValue).where(MetricValue.source == "cbt")).all()


def stop(app) -> None:
    jobs_of(app).close()
    app.extensions["monitor.engine"].dispose()


@pytest.fixture
def worker_app(database_url, tmp_path):
    app = configured(database_url, tmp_path, JOBS_IN_PROCESS=True)
    yield app
    stop(app)


def test_the_in_app_worker_plans_then_applies_an_import(worker_app, tmp_path):
    with Session(worker_app.extensions["monitor.engine"], expire_on_commit=False) as session:
        icb = _llr_in(session)
        found = queued(session, icb, tmp_path)
        jobs = jobs_of(worker_app)

        jobs.enqueue_import(found.id, "plan")
        planned = wait_for(session, found, "planned", "failed")

        assert planned.status == "planned", planned.error
        assert planned.description == "Cloud Based Telephony, February 2026 publication"
        assert (planned.period_code, planned.practices_matched) == ("2026-02", 6)
        assert planned.values_added > 0 and imported_values(session) == []
        assert Path(planned.stored_path).exists()  # kept for the confirm

        jobs.enqueue_import(found.id, "apply")
        done = wait_for(session, found, "done", "failed")

        assert done.status == "done", done.error
        values = imported_values(session)
        assert len(values) == done.values_added == planned.values_added
        assert {v.import_id for v in values} == {found.id}
        assert not Path(done.stored_path).exists()  # the upload is deleted once applied
        assert jobs.progress(found.id) is None  # progress is forgotten once finished


def _llr_in(session) -> Icb:
    return onboard_llr(session, today=TODAY)


def test_a_job_queued_with_no_worker_runs_after_the_app_restarts(database_url, tmp_path):
    first = configured(database_url, tmp_path)
    with Session(first.extensions["monitor.engine"], expire_on_commit=False) as session:
        found = queued(session, _llr_in(session), tmp_path)
    jobs_of(first).enqueue_import(found.id, "apply")
    time.sleep(0.5)
    stop(first)  # the app stops; the job waits

    second = configured(database_url, tmp_path)
    worker = start_worker(second, threaded=True)
    try:
        with Session(second.extensions["monitor.engine"]) as session:
            done = wait_for(session, found, "done", "failed")
            assert done.status == "done", done.error
            assert len(imported_values(session)) == done.values_added > 0
    finally:
        worker.stop(graceful=True)
        stop(second)


def test_an_import_whose_worker_died_is_queued_again_when_a_worker_starts(database_url, tmp_path):
    app = configured(database_url, tmp_path)
    with Session(app.extensions["monitor.engine"], expire_on_commit=False) as session:
        found = queued(session, _llr_in(session), tmp_path)
        found.status = "reading"  # its worker stopped part way; the queue lost the task
        session.add(found)
        session.commit()
    worker = start_worker(app, threaded=True)
    try:
        with Session(app.extensions["monitor.engine"]) as session:
            assert wait_for(session, found, "planned", "failed").status == "planned"
    finally:
        worker.stop(graceful=True)
        stop(app)


def test_a_failed_job_writes_nothing_and_says_why(worker_app, tmp_path):
    with Session(worker_app.extensions["monitor.engine"], expire_on_commit=False) as session:
        icb = _llr_in(session)
        found = queued(session, icb, tmp_path, name="epraccur_excerpt_headerless.csv")

        jobs_of(worker_app).enqueue_import(found.id, "apply")
        failed = wait_for(session, found, "done", "failed")

        assert failed.status == "failed"
        assert "holds no figures for practices to import" in failed.error
        assert session.exec(select(MetricValue)).all() == []
        assert not Path(failed.stored_path).exists()


def test_a_monitor_worker_process_runs_the_apps_jobs(database_url, tmp_path):
    """The worker is a process of its own, sharing only the database (PostgreSQL) or the
    queue file (SQLite) with the app: as a worker on another machine would."""
    app = configured(database_url, tmp_path)
    with Session(app.extensions["monitor.engine"], expire_on_commit=False) as session:
        found = queued(session, _llr_in(session), tmp_path)
        jobs_of(app).enqueue_import(found.id, "apply")
        environment = {
            **os.environ,
            "MONITOR_ENV": "development",
            "DATABASE_URL": database_url,
            "JOBS_SQLITE_PATH": str(tmp_path / "jobs.sqlite3"),
            "JOBS_POLL_SECONDS": "0.2",
            "SECRET_KEY": "worker-test",
        }
        monitor = Path(sys.executable).with_name("monitor")
        worker = subprocess.Popen(
            [str(monitor), "worker"], env=environment, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            done = wait_for(session, found, "done", "failed", timeout=90)
        finally:
            worker.terminate()
            output = worker.communicate(timeout=30)[0].decode(errors="replace")
        assert done.status == "done", (done.error, output)
        assert len(imported_values(session)) == done.values_added > 0
    stop(app)


def test_an_import_a_live_worker_reports_on_is_not_queued_again(database_url, tmp_path):
    """A worker starting up must not run a second copy of an import another worker (on
    another machine, say) is applying; one quiet for JOBS_LOST_AFTER_SECONDS is lost."""
    app = configured(database_url, tmp_path, JOBS_LOST_AFTER_SECONDS=60)
    jobs = jobs_of(app)
    with Session(app.extensions["monitor.engine"], expire_on_commit=False) as session:
        found = queued(session, _llr_in(session), tmp_path)
        found.status = "applying"
        session.add(found)
        session.commit()
    jobs.report(found.id, 0.6, "300 of 500 values")
    try:
        assert requeue_lost(app) == 0
        app.config["JOBS_LOST_AFTER_SECONDS"] = 0
        assert requeue_lost(app) == 1
    finally:
        stop(app)
