"""The Alembic migrations produce exactly the models' schema, on SQLite and PostgreSQL."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from monitor.cli import upgrade_database
from monitor.db import make_engine


@pytest.mark.parametrize("empty_database_url", ["sqlite", "postgresql"], indirect=True)
def test_upgrade_head_on_an_empty_database_matches_the_models(empty_database_url):
    upgrade_database(empty_database_url)
    engine = make_engine(empty_database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = compare_metadata(context, SQLModel.metadata)
            tables = set(inspect(connection).get_table_names())
    finally:
        engine.dispose()
    assert diff == []
    assert set(SQLModel.metadata.tables) <= tables


@pytest.mark.parametrize("empty_database_url", ["sqlite", "postgresql"], indirect=True)
def test_upgrade_twice_changes_nothing(empty_database_url):
    upgrade_database(empty_database_url)
    upgrade_database(empty_database_url)
