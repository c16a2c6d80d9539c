"""Migration 0011 works out every stored return's figures (return_figure) from its
snapshot exactly as submitting does, on SQLite and PostgreSQL."""

from __future__ import annotations

import math
from datetime import date

import pytest
import sqlalchemy as sa
from alembic import command
from sqlmodel import Session, select

from monitor import create_app
from monitor.cli import alembic_config, upgrade_database
from monitor.demo import load_demo
from monitor.demo.records import load_demo_records
from monitor.demo.returns import load_demo_returns
from monitor.models import PracticeReturn, ReturnFigure, ReturnValue
from monitor.services.passwords import Passwords

TODAY = date(2026, 11, 23)


def stored_figures(url: str) -> set[tuple[int, str, float, int]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT return_id, item_id, value, periods FROM return_figure")
            )
            return {tuple(row) for row in rows}
    finally:
        engine.dispose()


@pytest.mark.parametrize("empty_database_url", ["sqlite", "postgresql"], indirect=True)
def test_upgrading_to_0011_backfills_the_figures_submitting_writes(empty_database_url):
    url = empty_database_url
    upgrade_database(url)
    app = create_app("test", DATABASE_URL=url)
    try:
        with Session(app.extensions["monitor.engine"]) as session:
            load_demo(session, Passwords(time_cost=1, memory_cost=8))
            load_demo_records(session, today=TODAY)
            load_demo_returns(session, TODAY)
            # A return whose months include a blank, a NaN and a text answer.
            answer = session.exec(select(PracticeReturn.id).order_by(PracticeReturn.id)).first()
            extra = [("2099-04", 12.5, None), ("2099-05", None, None), ("2099-06", math.nan, None)]
            extra.append(("2099-07", None, "a text answer"))
            for code, number, text in extra:
                session.add(
                    ReturnValue(
                        return_id=answer,
                        item_id="h1_mixed_months",
                        period_code=code,
                        period_start=date(2099, int(code[-2:]), 1),
                        value_number=number,
                        value_text=text,
                        unit="count",
                        template_version=1,
                    )
                )
            session.commit()
            written = set(
                session.exec(
                    select(
                        ReturnFigure.return_id,
                        ReturnFigure.item_id,
                        ReturnFigure.value,
                        ReturnFigure.periods,
                    )
                ).all()
            )
    finally:
        app.extensions["monitor.jobs"].close()
        app.extensions["monitor.engine"].dispose()
    assert (answer, "h1_mixed_months", 12.5, 1) in written
    assert len({r for r, *_ in written}) >= 10  # the demo's submitted and withdrawn returns
    assert any(periods > 1 for *_, periods in written)  # months of a quarter

    command.downgrade(alembic_config(url), "0010")
    upgrade_database(url, "0011")

    assert stored_figures(url) == written
