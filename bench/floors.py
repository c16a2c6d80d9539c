"""The floor a bench measures a page against: the bare SQL read of the rows it shows."""

from __future__ import annotations

import time
from collections.abc import Sequence

from sqlalchemy import text


def sql_read_ms(engine, statements: Sequence[str], params: dict) -> float:
    """Milliseconds to run `statements` with `params` and fetch every row, nothing more."""
    with engine.connect() as connection:
        started = time.perf_counter()
        for statement in statements:
            connection.execute(text(statement), params).all()
        return (time.perf_counter() - started) * 1000
