"""Back up and restore the database: `monitor backup PATH` and `monitor restore PATH`.

SQLite: a backup is SQLite's online backup API, a consistent snapshot taken while the
app runs (in WAL mode readers never wait for writers, nor they for it). A restore checks
the file is a SQLite database at a revision of this app's migrations, copies it beside
the database and swaps it in with one rename, so the database is the old one or the new
one, never half of each.

PostgreSQL: `pg_dump --format=custom` and `pg_restore --clean --if-exists`, when
PostgreSQL's client programs are on PATH (README, "Running it for an ICB").
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"


class BackupError(Exception):
    """Something the person running the command must put right; nothing was changed."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    revision: str | None
    size_bytes: int


def backup(database_url: str, target: Path, *, force: bool = False) -> BackupResult:
    """Write a consistent copy of the database to `target` (a new file unless `force`)."""
    target = Path(target)
    if target.exists() and not force:
        raise BackupError(f"{target} exists already: choose another name, or add --force.")
    if target.is_dir():
        raise BackupError(f"{target} is a folder: give the backup file's name.")
    if not target.parent.is_dir():
        raise BackupError(f"There is no folder {target.parent}.")
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        source = _sqlite_path(url)
        with _beside(target) as temporary:
            _sqlite_copy(source, temporary)
            revision = sqlite_revision(temporary)
            os.replace(temporary, target)
    else:
        pg_dump = _client_program("pg_dump")
        with _beside(target) as temporary:
            _run_pg(pg_dump, url, "--format=custom", "--no-owner", f"--file={temporary}")
            revision = pg_dump_revision(temporary)
            os.replace(temporary, target)
    return BackupResult(path=target, revision=revision, size_bytes=target.stat().st_size)


def restore(database_url: str, source: Path, *, known_revisions: Collection[str]) -> str:
    """Replace the database with the backup at `source`; return the backup's revision.

    Refuses (changing nothing) a file that is not a backup of this app's database at one
    of `known_revisions`. The app and its workers must be stopped first: on SQLite a
    database another process has open is refused.
    """
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"There is no file {source}.")
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return _restore_sqlite(_sqlite_path(url), source, known_revisions)
    revision = pg_dump_revision(source)
    _check_revision(source, revision, known_revisions)
    _run_pg(
        _client_program("pg_restore"),
        url,
        "--clean",
        "--if-exists",
        "--no-owner",
        "--single-transaction",
        "--exit-on-error",
        str(source),
    )
    return revision


# -- SQLite ------------------------------------------------------------------------------


def sqlite_revision(path: Path) -> str | None:
    """The Alembic revision a SQLite file is at (None without one); BackupError if the
    file is not a sound SQLite database."""
    with open(path, "rb") as file:
        if file.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
            raise BackupError(f"{path} is not a SQLite database.")
    try:
        connection = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
        try:
            check = connection.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise BackupError(f"{path} is damaged: SQLite's check says {check}.")
            has_version = connection.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
            ).fetchone()
            if not has_version:
                return None
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
            return row[0] if row else None
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} is not a readable SQLite database ({error}).") from None


def _restore_sqlite(database: Path, source: Path, known_revisions: Collection[str]) -> str:
    revision = sqlite_revision(source)
    _check_revision(source, revision, known_revisions)
    if not database.parent.is_dir():
        raise BackupError(f"There is no folder {database.parent} for the database.")
    with _beside(database) as temporary:
        _sqlite_copy(source, temporary)
        if sqlite_revision(temporary) != revision:
            raise BackupError(f"The copy of {source} did not read back the same.")
        if database.exists():
            _close_wal(database)
        os.replace(temporary, database)
    return revision


def _sqlite_copy(source: Path, target: Path) -> None:
    """Copy a SQLite database with the online backup API into a rollback-journal file
    (no -wal beside it to lose when the file is moved)."""
    src = sqlite3.connect(f"{Path(source).resolve().as_uri()}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")
        finally:
            dst.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"Could not copy {source}: {error}.") from None
    finally:
        src.close()


def _close_wal(database: Path) -> None:
    """Fold the database's write-ahead log into it and stop using one, so no -wal file
    is left to be replayed into the restored database; refuse while anyone has it open."""
    connection = sqlite3.connect(database, timeout=1)
    try:
        mode = connection.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
    except sqlite3.OperationalError:
        mode = "wal"
    finally:
        connection.close()
    if mode.lower() == "wal" or Path(f"{database}-wal").exists():
        raise BackupError(
            f"{database} is in use: stop the app and its workers, then restore again."
        )


# -- PostgreSQL --------------------------------------------------------------------------

_COPY_ALEMBIC = re.compile(r"^COPY \S*alembic_version \(version_num\) FROM stdin;$")


def pg_dump_revision(path: Path) -> str:
    """The Alembic revision stored in a pg_dump custom-format archive."""
    with open(path, "rb") as file:
        if file.read(len(PG_DUMP_MAGIC)) != PG_DUMP_MAGIC:
            raise BackupError(
                f"{path} is not a PostgreSQL backup (pg_dump --format=custom archive)."
            )
    result = subprocess.run(
        [_client_program("pg_restore"), "--data-only", "--table=alembic_version", "-f", "-"]
        + [str(path)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_restore cannot read {path}: {result.stderr.strip()}")
    lines = result.stdout.splitlines()
    for number, line in enumerate(lines):
        if _COPY_ALEMBIC.match(line) and number + 1 < len(lines) and lines[number + 1] != "\\.":
            return lines[number + 1].strip()
    raise BackupError(f"{path} holds no alembic_version: it is not this app's database.")


def _client_program(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(
            f"PostgreSQL's {name} is not on PATH: install PostgreSQL's client programs "
            "(Debian: apt-get install postgresql-client), or follow the README's "
            "pg_dump/pg_restore recipe on a machine that has them."
        )
    return found


def _run_pg(program: str, url: URL, *args: str) -> None:
    """Run pg_dump or pg_restore against the database; the password goes in the
    environment, never on the command line where `ps` would show it."""
    environment = {**os.environ}
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    libpq = url.set(drivername="postgresql", password=None)
    connection = libpq.render_as_string(hide_password=False)
    result = subprocess.run(
        [program, f"--dbname={connection}", *args],
        capture_output=True,
        text=True,
        env=environment,
    )
    if result.returncode != 0:
        raise BackupError(f"{Path(program).name} failed: {result.stderr.strip()}")


# -- shared ------------------------------------------------------------------------------


def _check_revision(path: Path, revision: str | None, known: Collection[str]) -> None:
    if revision is None:
        raise BackupError(f"{path} has no migration revision: it is not this app's database.")
    if revision not in known:
        raise BackupError(
            f"{path} is at revision {revision}, which this version of the app does not "
            "know: restore it with the version that made it."
        )


def _sqlite_path(url: URL) -> Path:
    if url.database in (None, "", ":memory:"):
        raise BackupError("An in-memory database cannot be backed up or restored.")
    return Path(url.database)


@contextmanager
def _beside(path: Path) -> Iterator[Path]:
    """A temporary file name in the same folder as `path` (so os.replace is one rename),
    removed again unless it was moved into place."""
    descriptor, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(descriptor)
    os.unlink(name)  # sqlite3 and pg_dump create it themselves
    temporary = Path(name)
    try:
        yield temporary
    finally:
        for leftover in (temporary, Path(f"{temporary}-journal")):
            leftover.unlink(missing_ok=True)
