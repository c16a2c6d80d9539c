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
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask import Flask
from huey import Huey, PostgresHuey, SqliteHuey
from huey.constants import EmptyData
from huey.consumer import Consumer
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from monitor import national_import
from monitor.core.clock import today
from monitor.models import NationalImport, User

QUEUE_NAME = "monitor"


@dataclass
class Jobs:
    """The app's queue and its tasks (app.extensions["monitor.jobs"])."""

    queue: Huey
    import_task: object
    app: Flask
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

    def enqueue_import(self, import_id: int, phase: str, user_id: int | None = None) -> None:
        self.ready()
        self.import_task(import_id, phase, user_id)
        self.ensure_worker()

    def report(self, import_id: int, share: float, note: str) -> None:
        key = _progress_key(import_id)
        self.ready().storage.put_data(key, json.dumps([share, note]).encode())

    def progress(self, import_id: int) -> tuple[float, str] | None:
        self.ensure_worker()
        raw = self.ready().storage.peek_data(_progress_key(import_id))
        if raw is EmptyData or raw is None:
            return None
        share, note = json.loads(raw)
        return float(share), str(note)

    def forget(self, import_id: int) -> None:
        self.ready().storage.pop_data(_progress_key(import_id))


def _progress_key(import_id: int) -> str:
    return f"import-progress-{import_id}"


def make_queue(config) -> Huey:
    """SQLite file beside an SQLite database; tables in the database on PostgreSQL."""
    url = make_url(config["DATABASE_URL"])
    if url.get_backend_name() == "postgresql":
        dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        return PostgresHuey(QUEUE_NAME, dsn=dsn, immediate=False, create_tables=False)
    path = config.get("JOBS_SQLITE_PATH") or str(
        Path(url.database or "instance/monitor.sqlite3").with_suffix(".jobs.sqlite3")
    )
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(QUEUE_NAME, filename=path, immediate=False, create_tables=False)


def init_app(app: Flask) -> None:
    queue = make_queue(app.config)

    @queue.task(name="national_import")
    def import_task(import_id: int, phase: str, user_id: int | None) -> None:
        run_import(app, import_id, phase, user_id)

    app.extensions["monitor.jobs"] = Jobs(queue, import_task, app)


def jobs_of(app: Flask) -> Jobs:
    return app.extensions["monitor.jobs"]


def run_import(app: Flask, import_id: int, phase: str, user_id: int | None) -> None:
    """The worker's body: one phase of one import, with its progress reported."""
    jobs = jobs_of(app)
    engine = app.extensions["monitor.engine"]
    with Session(engine, expire_on_commit=False) as session:
        found = session.get(NationalImport, import_id)
        if found is None or found.status in ("done", "failed", "undone", "cancelled"):
            return
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


def _today(app: Flask) -> date:
    override = app.config.get("JOBS_TODAY")  # tests pin the date a job sees
    return override or today()


def requeue_lost(app: Flask) -> int:
    """Queue again the imports a worker died in the middle of."""
    jobs = jobs_of(app)
    with Session(app.extensions["monitor.engine"]) as session:
        lost = session.exec(
            select(NationalImport).where(NationalImport.status.in_(national_import.WAITING))
        ).all()
        for found in lost:
            phase = "apply" if found.status == national_import.APPLYING else "plan"
            jobs.enqueue_import(found.id, phase, found.created_by_id)
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
    if threaded:
        consumer = _InProcessConsumer(jobs.queue, workers=workers, worker_type="thread")
        consumer.start()
        return consumer
    consumer = jobs.queue.create_consumer(workers=workers, worker_type="thread")
    consumer.run()
    return consumer
