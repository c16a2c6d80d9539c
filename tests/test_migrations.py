"""The Alembic migrations produce exactly the models' schema, on SQLite and PostgreSQL,
and undo themselves: head → base → head with data in every table."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlmodel import Session, SQLModel

from monitor import create_app
from monitor.cli import alembic_config, upgrade_database
from monitor.core.clock import today
from monitor.db import make_engine
from monitor.demo import load_all_demo_data


def app_tables(connection) -> set[str]:
    """Tables of this app: not Alembic's own, not the job queue's (huey_*) on PostgreSQL."""
    names = set(inspect(connection).get_table_names())
    return {n for n in names if n != "alembic_version" and not n.startswith("huey_")}


def schema_diff(database_url: str) -> list:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, SQLModel.metadata)
    finally:
        engine.dispose()


@pytest.mark.parametrize("empty_database_url", ["sqlite", "postgresql"], indirect=True)
def test_upgrade_head_on_an_empty_database_matches_the_models(empty_database_url):
    upgrade_database(empty_database_url)
    engine = make_engine(empty_database_url)
    try:
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
    finally:
        engine.dispose()
    assert schema_diff(empty_database_url) == []
    assert set(SQLModel.metadata.tables) <= tables


@pytest.mark.parametrize("empty_database_url", ["sqlite", "postgresql"], indirect=True)
def test_upgrade_twice_changes_nothing(empty_database_url):
    upgrade_database(empty_database_url)
    upgrade_database(empty_database_url)


def test_the_migrations_have_a_single_head():
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1, script.get_heads()


# -- head → base → head, with a row in every table -------------------------------------

_IN_LIST = re.compile(r"^\s*(\w+)\s+IN\s*\(([^)]*)\)\s*$", re.IGNORECASE)


def _allowed_values(table: sa.Table) -> dict[str, str]:
    """`column IN ('a', 'b')` check constraints: the first allowed value of each column."""
    allowed = {}
    for constraint in table.constraints:
        if isinstance(constraint, sa.CheckConstraint):
            match = _IN_LIST.match(str(constraint.sqltext))
            if match:
                allowed[match.group(1)] = match.group(2).split(",")[0].strip().strip("'")
    return allowed


def _minimal_value(column: sa.Column, connection, allowed: dict[str, str]):
    """A valid value for a required column: an existing row's key for a foreign key, the
    first value a check constraint allows, otherwise the smallest value of its type."""
    if column.foreign_keys:
        target = next(iter(column.foreign_keys)).column
        value = connection.execute(sa.select(target).limit(1)).scalar()
        assert value is not None, f"{column.table.name}.{column.name}: {target.table} is empty"
        return value
    if column.name in allowed:
        return allowed[column.name]
    type_ = column.type
    if isinstance(type_, sa.TypeDecorator):  # SQLModel's AutoString
        type_ = type_.impl_instance
    if isinstance(type_, sa.JSON):
        return {}
    kind = type_.python_type
    if kind is str:
        return "x" * min(getattr(type_, "length", None) or 8, 8)
    values = {
        bool: False,
        int: 1,
        float: 1.0,
        Decimal: Decimal("1"),
        dt.date: dt.date(2025, 4, 1),
        dt.datetime: dt.datetime(2025, 4, 1, 9, 0),
    }
    if kind in values:
        return values[kind]
    raise AssertionError(f"no minimal value for {column.table.name}.{column.name} ({kind})")


def fill_every_empty_table(database_url: str) -> dict[str, int]:
    """Add one minimal row to each table the demo left empty; return every table's count."""
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            for table in SQLModel.metadata.sorted_tables:
                if connection.execute(sa.select(sa.func.count()).select_from(table)).scalar():
                    continue
                allowed = _allowed_values(table)
                row = {
                    column.name: _minimal_value(column, connection, allowed)
                    for column in table.columns
                    if not column.nullable
                    and column is not table.autoincrement_column
                    and column.default is None
                    and column.server_default is None
                }
                connection.execute(table.insert().values(**row))
        with engine.connect() as connection:
            return {
                table.name: connection.execute(
                    sa.select(sa.func.count()).select_from(table)
                ).scalar()
                for table in SQLModel.metadata.sorted_tables
            }
    finally:
        engine.dispose()


@pytest.mark.parametrize("empty_database_url", ["sqlite", "postgresql"], indirect=True)
def test_head_to_base_to_head_with_data_in_every_table(empty_database_url):
    upgrade_database(empty_database_url)
    app = create_app("test", DATABASE_URL=empty_database_url)
    try:
        with Session(app.extensions["monitor.engine"]) as session:
            load_all_demo_data(session, app.extensions["monitor.passwords"], today=today())
    finally:
        app.extensions["monitor.jobs"].close()
        app.extensions["monitor.engine"].dispose()
    counts = fill_every_empty_table(empty_database_url)
    assert all(counts.values()), counts

    command.downgrade(alembic_config(empty_database_url), "base")
    engine = make_engine(empty_database_url)
    try:
        with engine.connect() as connection:
            assert app_tables(connection) == set()
            assert MigrationContext.configure(connection).get_current_revision() is None
        upgrade_database(empty_database_url)
        with engine.connect() as connection:
            assert app_tables(connection) == set(SQLModel.metadata.tables)
            script = ScriptDirectory.from_config(alembic_config(empty_database_url))
            head = script.get_current_head()
            assert MigrationContext.configure(connection).get_current_revision() == head
    finally:
        engine.dispose()
    assert schema_diff(empty_database_url) == []
