"""`monitor backup PATH` and `monitor restore PATH`: write, back up, write more, restore,
and find exactly the backed-up state, on SQLite (the online backup API) and PostgreSQL
(pg_dump and pg_restore); a restore refuses anything that is not this app's backup."""

from __future__ import annotations

import sqlite3
import threading
from datetime import date

import pytest
import sqlalchemy as sa
from sqlmodel import Session, SQLModel, select

from monitor import create_app
from monitor.cli import upgrade_database
from monitor.models import SpendItem
from tests.factories import build_world, make_spend


@pytest.fixture
def migrated_app(request, empty_database_url):
    """The app on a database made by the migrations (so it has a revision to check)."""
    upgrade_database(empty_database_url)
    app = create_app("test", DATABASE_URL=empty_database_url)
    yield app
    app.extensions["monitor.jobs"].close()
    app.extensions["monitor.engine"].dispose()


def counts(app) -> dict[str, int]:
    with app.extensions["monitor.engine"].connect() as connection:
        return {
            table.name: connection.execute(sa.select(sa.func.count()).select_from(table)).scalar()
            for table in SQLModel.metadata.sorted_tables
        }


def spend_descriptions(app) -> dict[int, str]:
    with Session(app.extensions["monitor.engine"]) as session:
        return {item.id: item.description for item in session.exec(select(SpendItem))}


def write_more_after_the_backup(app, kept_id: int) -> None:
    with Session(app.extensions["monitor.engine"]) as session:
        world = build_world(session)
        make_spend(session, practice=world.practice, description="Written after the backup")
        kept = session.get(SpendItem, kept_id)
        kept.description = "Changed after the backup"
        session.add(kept)
        session.commit()


@pytest.mark.parametrize("empty_database_url", ["sqlite", "postgresql"], indirect=True)
def test_restore_gives_back_exactly_the_backed_up_state(migrated_app, tmp_path):
    runner = migrated_app.test_cli_runner()
    with Session(migrated_app.extensions["monitor.engine"]) as session:
        world = build_world(session)
        kept_id = make_spend(session, practice=world.practice, description="Kept by the backup").id
    before, descriptions = counts(migrated_app), spend_descriptions(migrated_app)
    backup_file = tmp_path / "monitor.backup"

    backed_up = runner.invoke(args=["backup", str(backup_file)])
    write_more_after_the_backup(migrated_app, kept_id)
    assert counts(migrated_app) != before
    restored = runner.invoke(args=["restore", "--yes", str(backup_file)])

    assert backed_up.exit_code == 0, backed_up.output
    assert f"to {backup_file}" in backed_up.output
    assert restored.exit_code == 0, restored.output
    assert "Restored the database" in restored.output
    assert counts(migrated_app) == before
    assert spend_descriptions(migrated_app) == descriptions
    assert descriptions[kept_id] == "Kept by the backup"


@pytest.mark.parametrize("empty_database_url", ["sqlite", "postgresql"], indirect=True)
def test_backup_refuses_to_overwrite_a_file_unless_forced(migrated_app, tmp_path):
    runner = migrated_app.test_cli_runner()
    existing = tmp_path / "monitor.backup"
    existing.write_bytes(b"something else")

    refused = runner.invoke(args=["backup", str(existing)])
    assert refused.exit_code != 0
    assert "exists already" in refused.output and "--force" in refused.output
    assert existing.read_bytes() == b"something else"

    forced = runner.invoke(args=["backup", "--force", str(existing)])
    assert forced.exit_code == 0, forced.output
    assert existing.read_bytes() != b"something else"
    assert list(tmp_path.glob(".monitor.backup.*")) == []  # no temporary file left


@pytest.mark.parametrize("empty_database_url", ["sqlite"], indirect=True)
def test_sqlite_backup_is_consistent_while_the_app_writes(migrated_app, tmp_path):
    """Writers keep committing during the backup; the copy is one committed state."""
    with Session(migrated_app.extensions["monitor.engine"]) as session:
        practice_id = build_world(session).practice.id
    stop = threading.Event()

    def keep_writing():
        with Session(migrated_app.extensions["monitor.engine"]) as session:
            while not stop.is_set():
                for _ in range(2):
                    session.add(
                        SpendItem(
                            practice_id=practice_id,
                            spent_on=date(2025, 9, 3),
                            category="telephony",
                            description="pair",
                            total_cost=2,
                            hep_amount=1,
                            recurrence="one_off",
                        )
                    )
                session.commit()

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        results = [
            migrated_app.test_cli_runner().invoke(args=["backup", str(tmp_path / f"b{n}.db")])
            for n in range(3)
        ]
    finally:
        stop.set()
        writer.join()
    for n, result in enumerate(results):
        assert result.exit_code == 0, result.output
        copy = sqlite3.connect(tmp_path / f"b{n}.db")
        pairs = copy.execute("SELECT count(*) FROM spend_item WHERE description = 'pair'")
        assert pairs.fetchone()[0] % 2 == 0  # never half a transaction
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        copy.close()


@pytest.mark.parametrize("empty_database_url", ["sqlite"], indirect=True)
def test_restore_refuses_what_is_not_this_apps_backup_and_changes_nothing(migrated_app, tmp_path):
    runner = migrated_app.test_cli_runner()
    with Session(migrated_app.extensions["monitor.engine"]) as session:
        build_world(session)
    before = counts(migrated_app)
    text_file = tmp_path / "notes.txt"
    text_file.write_text("not a database")
    other_database = tmp_path / "other.sqlite3"
    sqlite3.connect(other_database).execute("CREATE TABLE t (x)").connection.close()
    future = tmp_path / "future.sqlite3"
    runner.invoke(args=["backup", str(future)])
    with sqlite3.connect(future) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    connection.close()

    refusals = {
        "not a SQLite database": runner.invoke(args=["restore", "--yes", str(text_file)]),
        "no migration revision": runner.invoke(args=["restore", "--yes", str(other_database)]),
        "revision 9999, which this version": runner.invoke(args=["restore", "--yes", str(future)]),
    }

    for message, result in refusals.items():
        assert result.exit_code != 0
        assert message in result.output, result.output
    assert counts(migrated_app) == before


@pytest.mark.parametrize("empty_database_url", ["sqlite"], indirect=True)
def test_restore_asks_first_and_refuses_while_the_database_is_open(migrated_app, tmp_path):
    runner = migrated_app.test_cli_runner()
    backup_file = tmp_path / "monitor.backup"
    runner.invoke(args=["backup", str(backup_file)])
    with Session(migrated_app.extensions["monitor.engine"]) as session:
        build_world(session)
    before = counts(migrated_app)

    declined = runner.invoke(args=["restore", str(backup_file)], input="n\n")
    database = sa.engine.make_url(migrated_app.config["DATABASE_URL"]).database
    other_process = sqlite3.connect(database)  # as a running app or worker would have it
    other_process.execute("SELECT count(*) FROM practice").fetchone()
    try:
        in_use = runner.invoke(args=["restore", "--yes", str(backup_file)])
    finally:
        other_process.close()

    assert declined.exit_code != 0 and "Aborted" in declined.output
    assert in_use.exit_code != 0 and "is in use: stop the app" in in_use.output
    assert counts(migrated_app) == before
