"""Background jobs: long imports run in a worker, not in the web request.

The queue is huey (https://huey.readthedocs.io), chosen because it is small, well kept
and has both storages this service needs with no extra server: on the embedded SQLite
deployment the queue is a SQLite file beside the database (`make run` runs a worker
thread inside the app, so nothing else starts), and on PostgreSQL it is tables in the
same database, which workers on other machines reach (`monitor worker`; PostgreSQL's
LISTEN/NOTIFY wakes them). Queued jobs are stored, so they survive a restart of the app
or of a worker; a job whose worker died mid-way is queued again when a worker starts
(an import is all or nothing, so running it again is safe).

Progress (how far a running import is) is kept in the queue's own storage, not in the
database: the import holds one database transaction from start to finish, which on
SQLite no other connection could write beside.

Charts are drawn here too, before anyone asks (PRERENDER_CHARTS): when a transaction
changes a practice's figures, interventions or allocations (monitor.services.prerender
notices it at the commit, whichever service wrote them), one job for the practice is
queued to start a little later (PRERENDER_DELAY_SECONDS, so a burst of saves is one
job), and a job already waiting for it is enough (a mark in the queue's storage, taken
off when the job starts, so a change made while it runs queues another). The job draws
the charts the practice's next views show into the chart cache every worker shares, so
the impact summary's download and the metric pages read them instead
of drawing them in the request. A national import that finishes queues the same for
every practice of its ICB that anyone signs in to.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import psycopg
from flask import Flask, has_request_context
from huey import Huey, PostgresHuey, SqliteHuey
from huey.constants import EmptyData
from huey.consumer import Consumer
from sqlalchemy import update
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from monitor import national_import
from monitor.core.clock import today
from monitor.models import NationalImport, User
from monitor.services import icb_prerender, prerender

QUEUE_NAME = "monitor"

log = logging.getLogger(__name__)


@dataclass
class Jobs:
    """The app's queue and its tasks (app.extensions["monitor.jobs"])."""

    queue: Huey
    import_task: object
    app: Flask
    prerender_task: object = None
    prerender_icb_task: object = None
    collection_charts_task: object = None
    _ready: bool = False
    _worker: Consumer | None = None

    def ready(self) -> Huey:
        """The queue, its tables created on first use (not when the app starts, so an
        app that never queues anything never touches the queue's storage)."""
        if not self._ready:
            self.queue.storage.initialize_schema()
            self._ready = True
        return self.queue

    def ensure_worker(self) -> None:
        """With JOBS_IN_PROCESS, start the worker threads the first time the app queues
        or looks at a job (not at start-up: `monitor db upgrade` must not start one)."""
        if self.app.config.get("JOBS_IN_PROCESS") and self._worker is None:
            self._worker = start_worker(self.app, threaded=True)

    def stop_worker(self) -> None:
        """Stop the in-process worker threads, letting a running job finish."""
        if self._worker is not None:
            self._worker.stop(graceful=True)
            self._worker = None

    def close(self) -> None:
        """Stop the worker and close the queue's connections (the app is stopping)."""
        prerender.unwatch(self.app.extensions["monitor.engine"])
        self.stop_worker()
        self.queue.storage.close()
        connections = getattr(self.queue.storage, "connection", None)
        if isinstance(connections, _Connections):
            connections.close_all()

    def enqueue_import(self, import_id: int, phase: str, user_id: int | None = None) -> None:
        self.queue_only(import_id, phase, user_id)
        self.ensure_worker()

    def queue_only(self, import_id: int, phase: str, user_id: int | None = None) -> None:
        """Queue a phase of an import without starting a worker (a worker starting up
        queues the imports it finds lost this way)."""
        self.ready()
        self.import_task(import_id, phase, user_id)

    def enqueue_prerender(self, practice_id: int) -> bool:
        """Queue the practice's charts to be drawn PRERENDER_DELAY_SECONDS from now,
        unless a job for it is waiting already; returns whether one was queued."""
        return self._coalesced(_prerender_key(practice_id), self.prerender_task, practice_id)

    def queue_changed(self, changed: prerender.Changed) -> None:
        """After a commit that changed practices' charts (monitor.services.prerender):
        queue their jobs. Never fails the request that committed: the charts are then
        drawn when first asked for, as without the job."""
        try:
            for practice_id in sorted(changed.practices):
                self.enqueue_prerender(practice_id)
            for icb_id in sorted(changed.icbs):
                self.ready()
                self.prerender_icb_task(icb_id)
            self.queue_collections(changed.returns)
            self.queue_organisations(changed.practice_records, changed.pcn_records)
            if has_request_context():  # not in a command (`monitor demo`) nor a worker
                self.ensure_worker()
        except Exception:
            log.exception("could not queue the charts of %s", changed)

    def queue_collections(self, return_ids: set[int]) -> None:
        """Queue the ICB charts of the collections these returns answer (one job per
        collection, coalesced as the practices' are)."""
        if not return_ids:
            return
        with Session(self.app.extensions["monitor.engine"]) as session:
            found = icb_prerender.collections_of_returns(session, return_ids)
        for collection_id in found:
            self.enqueue_collection_charts(collection_id)

    def queue_organisations(self, practice_ids: set[int], pcn_ids: set[int]) -> None:
        """Queue the ICB charts of the newest collections of the ICBs whose practices or
        PCNs changed (one job per collection, coalesced)."""
        if not practice_ids and not pcn_ids:
            return
        with Session(self.app.extensions["monitor.engine"]) as session:
            found = icb_prerender.collections_of_organisations(session, practice_ids, pcn_ids)
        for collection_id in found:
            self.enqueue_collection_charts(collection_id)

    def enqueue_collection_charts(self, collection_id: int) -> bool:
        """Queue the collection's ICB charts to be drawn PRERENDER_DELAY_SECONDS from
        now, unless a job for it is waiting already; returns whether one was queued."""
        return self._coalesced(
            _collection_charts_key(collection_id), self.collection_charts_task, collection_id
        )

    def _coalesced(self, key: str, task, *args) -> bool:
        """Queue `task(*args)` after PRERENDER_DELAY_SECONDS unless the mark `key` says one
        is waiting (the job takes the mark off when it starts); a mark older than the
        delay and JOBS_LOST_AFTER_SECONDS is a job lost with its worker: queued again."""
        storage = self.ready().storage
        now = time.time()
        delay = float(self.app.config.get("PRERENDER_DELAY_SECONDS", 0))
        if not storage.put_if_empty(key, str(now).encode()):
            marked = storage.peek_data(key)
            lost_after = float(self.app.config.get("JOBS_LOST_AFTER_SECONDS", 600)) + delay
            if marked not in (EmptyData, None) and now - float(marked) < lost_after:
                return False
            storage.put_data(key, str(now).encode())
        if delay > 0:
            task.schedule(args, delay=delay)
        else:
            task(*args)
        return True

    def report(self, import_id: int, share: float, note: str) -> None:
        key = _progress_key(import_id)
        self.ready().storage.put_data(key, json.dumps([share, note, time.time()]).encode())

    def progress(self, import_id: int) -> tuple[float, str] | None:
        self.ensure_worker()
        reported = self._reported(import_id)
        return None if reported is None else (reported[0], reported[1])

    def reported_at(self, import_id: int) -> float | None:
        """When a worker last reported on the import (a Unix time), if one is."""
        reported = self._reported(import_id)
        return None if reported is None else reported[2]

    def _reported(self, import_id: int) -> tuple[float, str, float] | None:
        raw = self.ready().storage.peek_data(_progress_key(import_id))
        if raw is EmptyData or raw is None:
            return None
        share, note, at = json.loads(raw)
        return float(share), str(note), float(at)

    def forget(self, import_id: int) -> None:
        self.ready().storage.pop_data(_progress_key(import_id))


def _progress_key(import_id: int) -> str:
    return f"import-progress-{import_id}"


def _prerender_key(practice_id: int) -> str:
    return f"prerender-waiting-{practice_id}"


def _collection_charts_key(collection_id: int) -> str:
    return f"collection-charts-waiting-{collection_id}"


def make_queue(config) -> Huey:
    """SQLite file beside an SQLite database; tables in the database on PostgreSQL."""
    url = make_url(config["DATABASE_URL"])
    if url.get_backend_name() == "postgresql":
        dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        return PostgresHuey(
            QUEUE_NAME, connection=_Connections(dsn), immediate=False, create_tables=False
        )
    path = config.get("JOBS_SQLITE_PATH") or str(
        Path(url.database or "instance/monitor.sqlite3").with_suffix(".jobs.sqlite3")
    )
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(QUEUE_NAME, filename=path, immediate=False, create_tables=False)


class _Connections:
    """Opens the queue's PostgreSQL connections and remembers them, so they can be
    closed when the app stops (huey leaves each worker thread's listening connection to
    the garbage collector)."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.opened: list[psycopg.Connection] = []

    def __call__(self) -> psycopg.Connection:
        self.opened = [c for c in self.opened if not c.closed]
        connection = psycopg.connect(self.dsn)
        self.opened.append(connection)
        return connection

    def close_all(self) -> None:
        for connection in self.opened:
            connection.close()
        self.opened = []


def init_app(app: Flask) -> None:
    queue = make_queue(app.config)

    @queue.task(name="national_import")
    def import_task(import_id: int, phase: str, user_id: int | None) -> None:
        run_import(app, import_id, phase, user_id)

    @queue.task(name="prerender_charts")
    def prerender_task(practice_id: int) -> None:
        run_prerender(app, practice_id)

    @queue.task(name="prerender_icb_charts")
    def prerender_icb_task(icb_id: int) -> None:
        with Session(app.extensions["monitor.engine"]) as session:
            practice_ids = prerender.practices_of_icb(session, icb_id)
            collection_ids = icb_prerender.collections_of_icb(session, icb_id)
        for practice_id in practice_ids:
            jobs.enqueue_prerender(practice_id)
        for collection_id in collection_ids:
            jobs.enqueue_collection_charts(collection_id)

    @queue.task(name="prerender_collection_charts")
    def collection_charts_task(collection_id: int) -> None:
        run_collection_charts(app, collection_id)

    jobs = Jobs(queue, import_task, app, prerender_task, prerender_icb_task)
    jobs.collection_charts_task = collection_charts_task
    app.extensions["monitor.jobs"] = jobs
    if app.config.get("PRERENDER_CHARTS"):
        prerender.watch(app.extensions["monitor.engine"], jobs.queue_changed)


def jobs_of(app: Flask) -> Jobs:
    return app.extensions["monitor.jobs"]


def run_prerender(app: Flask, practice_id: int) -> int:
    """The worker's body: draw the practice's next views' charts into the shared chart
    cache (monitor.web.chart_cache, the cache object the app's pages use); returns how
    many charts were asked for."""
    jobs_of(app).ready().storage.pop_data(_prerender_key(practice_id))
    cache = app.extensions["monitor.chart_cache"]
    with Session(app.extensions["monitor.engine"], expire_on_commit=False) as session:
        return prerender.draw_practice(
            session,
            practice_id,
            templates=app.extensions["monitor.templates"],
            today=_today(app),
            # As the pages ask: PNGs for documents at the figure's own size (cached_png),
            # SVGs for pages (chart_response).
            png=lambda key, draw: cache.get_or_render(key, "png", draw, dpi=100),
            svg=lambda key, draw: cache.get_or_render(key, "svg", draw),
        )


def run_collection_charts(app: Flask, collection_id: int) -> int:
    """The worker's body for a collection: draw the ICB analyst's charts of it (its
    distribution pages' and equity lens's, monitor.services.icb_prerender) into the
    shared chart cache; returns how many charts were asked for."""
    jobs_of(app).ready().storage.pop_data(_collection_charts_key(collection_id))
    cache = app.extensions["monitor.chart_cache"]
    with Session(app.extensions["monitor.engine"], expire_on_commit=False) as session:
        return icb_prerender.draw_collection(
            session,
            collection_id,
            templates=app.extensions["monitor.templates"],
            svg=lambda key, draw: cache.get_or_render(key, "svg", draw),
        )


PHASE_FROM = {
    "plan": ("queued", national_import.READING),
    "apply": ("queued", national_import.PLANNED, national_import.APPLYING),
}
"""The statuses an import may be in for each phase to run. A phase can be queued twice
(a worker starting up queues again what it finds waiting, the job just queued among
them): the second finds the import past its phase and leaves it alone, so a planned
import is not read again (nor put back to "reading" under a person confirming it)."""


def run_import(app: Flask, import_id: int, phase: str, user_id: int | None) -> None:
    """The worker's body: one phase of one import, with its progress reported."""
    jobs = jobs_of(app)
    engine = app.extensions["monitor.engine"]
    with Session(engine, expire_on_commit=False) as session:
        found = session.get(NationalImport, import_id)
        if found is None or found.status not in PHASE_FROM[phase]:
            return  # finished, or this phase ran already (queued twice: see PHASE_FROM)
        if not _claim(session, found, phase):
            return  # another worker took the same job at the same moment
        user = session.get(User, user_id) if user_id else None
        jobs.report(import_id, 0.05, "Reading the file")
        try:
            national_import.run(
                session,
                found,
                phase=phase,
                templates=app.extensions["monitor.templates"],
                today=_today(app),
                user=user,
                progress=lambda share, note: jobs.report(import_id, share, note),
            )
        finally:
            jobs.forget(import_id)


def _claim(session: Session, found: NationalImport, phase: str) -> bool:
    """Take the import for this worker: of two workers running one job at once, only
    one moves its version on."""
    claimed = session.exec(
        update(NationalImport)
        .where(
            NationalImport.id == found.id,
            NationalImport.version == found.version,
            NationalImport.status.in_(PHASE_FROM[phase]),
        )
        .values(version=found.version + 1)
    )
    session.commit()
    if claimed.rowcount != 1:
        return False
    session.refresh(found)
    return True


def _today(app: Flask) -> date:
    override = app.config.get("JOBS_TODAY")  # tests pin the date a job sees
    return override or today()


def requeue_lost(app: Flask) -> int:
    """Queue again the imports a worker died in the middle of: those waiting, and those
    being read or applied that no worker has reported on for JOBS_LOST_AFTER_SECONDS
    (a worker on another machine may be running them). A job queued twice runs once."""
    jobs = jobs_of(app)
    quiet_for = float(app.config.get("JOBS_LOST_AFTER_SECONDS", 600))
    with Session(app.extensions["monitor.engine"]) as session:
        waiting = session.exec(
            select(NationalImport).where(NationalImport.status.in_(national_import.WAITING))
        ).all()
        lost = []
        for found in waiting:
            reported = jobs.reported_at(found.id)
            running = found.status != "queued"
            if running and reported is not None and time.time() - reported < quiet_for:
                continue
            lost.append(found)
            phase = "apply" if found.status == national_import.APPLYING else "plan"
            jobs.queue_only(found.id, phase, found.created_by_id)
    return len(lost)


class _InProcessConsumer(Consumer):
    """A consumer running beside the app (development, tests): its threads start and stop
    with the app, and signals stay the app's (only the main thread may set them)."""

    def _set_signal_handlers(self) -> None:
        pass


def start_worker(app: Flask, *, threaded: bool = False, workers: int = 1) -> Consumer:
    """Start a huey consumer for the app: threads of this process (`threaded`, for
    development and tests; stop it with `.stop(graceful=True)`), or the whole of a
    `monitor worker` process, which runs until it is told to stop."""
    jobs = jobs_of(app)
    jobs.ready()
    requeue_lost(app)
    # An idle worker looks at the queue at most this often (huey backs off up to it).
    options = {
        "workers": workers,
        "worker_type": "thread",
        "max_delay": float(app.config.get("JOBS_POLL_SECONDS", 1.0)),
    }
    if threaded:
        consumer = _InProcessConsumer(jobs.queue, **options)
        consumer.start()
        return consumer
    consumer = jobs.queue.create_consumer(**options)
    consumer.run()
    return consumer
