"""Fixtures: a fresh database per test on SQLite and on PostgreSQL, the app, clients.

Every test that uses `app` (or anything built on it) runs twice: once on an SQLite
file and once on a throwaway PostgreSQL server, because the ICB-wide deployment runs
on PostgreSQL and queries and migrations must work on both.
"""

from __future__ import annotations

import os
import shutil
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, SQLModel

import monitor.models  # noqa: F401  (every table on the metadata)
from monitor import create_app
from tests.client import PageClient
from tests.postgres import TemporaryPostgres

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def postgres_server():
    """URL of the maintenance database on a PostgreSQL server for this session."""
    existing = os.environ.get("TEST_POSTGRES_URL")
    if existing:
        yield existing
        return
    server = TemporaryPostgres()
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_template(postgres_server):
    """A database with the schema, copied for each test (much faster than DDL)."""
    name = f"monitor_template_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(postgres_server).set(database=name)
    engine = create_engine(url)
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """An SQLite file with the schema, copied for each test: creating the tables costs
    a commit (and a sync to disk) per statement, a copy of the file one write."""
    path = tmp_path_factory.mktemp("sqlite-template") / "schema.sqlite3"
    engine = create_engine(f"sqlite:///{path}")
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    return path


@pytest.fixture
def empty_database_url(request, tmp_path):
    """A URL to a brand-new database with no tables, on the backend being tested."""
    backend = getattr(request, "param", "sqlite")
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    server = request.getfixturevalue("postgres_server")
    yield from _postgres_database(server, template=None)


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path):
    """A fresh database with the schema, on each backend in turn."""
    if request.param == "sqlite":
        path = tmp_path / "test.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    server = request.getfixturevalue("postgres_server")
    template = request.getfixturevalue("postgres_template")
    yield from _postgres_database(server, template=template)


def _postgres_database(server: str, *, template: str | None):
    name = f"monitor_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        # FILE_COPY is several times faster than PostgreSQL 15's default WAL_LOG here.
        suffix = f' TEMPLATE "{template}" STRATEGY FILE_COPY' if template else ""
        conn.execute(text(f'CREATE DATABASE "{name}"{suffix}'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def app(database_url):
    app = create_app("test", DATABASE_URL=database_url)
    yield app
    app.extensions["monitor.jobs"].close()
    app.extensions["monitor.engine"].dispose()


@pytest.fixture
def session(app):
    """A database session outside any request, for arranging and checking data."""
    with Session(app.extensions["monitor.engine"], expire_on_commit=False) as session:
        yield session


@pytest.fixture
def client(app) -> PageClient:
    app.test_client_class = PageClient
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def world(session):
    """Two PCNs in one ICB, a third practice elsewhere, and a user for every role."""
    from tests.factories import build_world

    return build_world(session)


@pytest.fixture
def scene(session, world):
    """An ICB collection with submitted, withdrawn and foreign returns (see factories)."""
    from tests.factories import build_icb_scene

    return build_icb_scene(session, world)


class BuiltDatabases:
    """Databases filled once per test session (per xdist worker) and copied for each test:
    for a module whose tests all start from the same costly data (a world of records, the
    demo), a copy of a file or a PostgreSQL template is far cheaper than building it again.

    `copy(name, backend, build, tmp_path)` yields (a URL to a fresh copy, what `build`
    returned): `build(app, session)` fills the database the first time `name` is asked
    for on `backend`, in an app of its own, and what it returns is shared by every test (read it,
    never change it: the records' ids, emails, counts)."""

    def __init__(self, request, tmp_path_factory) -> None:
        self._request = request
        self._tmp = tmp_path_factory
        self._built: dict[tuple[str, str], tuple[str, object]] = {}
        self._templates: list[str] = []
        self._server: str | None = None

    def _source(self, name: str, backend: str, build) -> tuple[str, object]:
        if (name, backend) in self._built:
            return self._built[name, backend]
        fixture = self._request.getfixturevalue
        if backend == "sqlite":
            path = self._tmp.mktemp(f"built-{name}") / "source.sqlite3"
            shutil.copyfile(fixture("sqlite_template"), path)
            source = url = f"sqlite:///{path}"
        else:
            server = self._server = fixture("postgres_server")
            source = f"monitor_built_{uuid.uuid4().hex[:12]}"
            admin = create_engine(server, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(
                    text(
                        f'CREATE DATABASE "{source}" TEMPLATE "{fixture("postgres_template")}" '
                        "STRATEGY FILE_COPY"
                    )
                )
            admin.dispose()
            self._templates.append(source)
            url = make_url(server).set(database=source).render_as_string(hide_password=False)
        app = create_app("test", DATABASE_URL=url)
        with Session(app.extensions["monitor.engine"], expire_on_commit=False) as session:
            value = build(app, session)
        app.extensions["monitor.jobs"].close()
        app.extensions["monitor.engine"].dispose()  # a template must have no connections
        self._built[name, backend] = (source, value)
        return source, value

    def copy(self, name: str, backend: str, build, tmp_path):
        source, value = self._source(name, backend, build)
        if backend == "sqlite":
            path = tmp_path / "test.sqlite3"
            shutil.copyfile(source.removeprefix("sqlite:///"), path)
            yield f"sqlite:///{path}", value
            return
        server = self._request.getfixturevalue("postgres_server")
        for url in _postgres_database(server, template=source):
            yield url, value

    def close(self) -> None:
        """Drop the built databases from a server that outlives the session
        (TEST_POSTGRES_URL); a throwaway server stopped first took them with it."""
        if self._server is None:
            return
        admin = create_engine(self._server, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                for name in self._templates:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        except OperationalError:
            pass  # the throwaway server has stopped
        finally:
            admin.dispose()


@pytest.fixture(scope="session")
def built_databases(request, tmp_path_factory):
    """See `BuiltDatabases`."""
    built = BuiltDatabases(request, tmp_path_factory)
    yield built
    built.close()
