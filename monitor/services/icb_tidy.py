"""The tidy table of a collection, read from its query as it is written.

The tidy table (one row per practice, period and metric of every submitted return; the
ICB workbook's "Tidy" sheet) is the one ICB view that reads the snapshot's own rows, and
there are many: a national collection's returns hold about 200 figures each. Loading
them all (`icb_views.load(snapshot=True)`) keeps every one in memory for the whole
request; `Tidy` instead reads them from the database a block at a time, in the table's
order, while the workbook writes them (PostgreSQL through a server-side cursor).

The returns are those of a `CollectionData` already loaded for the user, so this reads
only the submitted returns of practices `monitor.services.visibility` let them reach.
Before any row, `Tidy.groups` says in one aggregate query what the rows hold (each
metric and period's units, versions and range of values), so a writer can size its
columns without a pass over the rows.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

from sqlalchemy import case, func
from sqlmodel import Session, select

from monitor.models import ReturnValue
from monitor.services.icb_views import (
    CollectionData,
    SnapshotValue,
    Submission,
    TidyRow,
    iter_tidy_rows,
)

__all__ = ["BLOCK", "ROWS", "LoadedTidy", "Tidy", "TidyGroup"]

BLOCK = 500
"""Returns a query reads: each is ordered by its position in the table with a CASE of
one branch per return, which keeps a query's bound parameters within every database's
limit at national scale (6,300 practices: 13 queries)."""

ROWS = 250
"""Rows fetched from the database at a time (`yield_per`): each held row costs about 1 kB
(the driver's row, SQLAlchemy's, the tuple), so 2,000 would hold 2.4 MB, 250 0.4 MB,
against 0.9 MB for openpyxl to write the whole workbook (bench/README.md)."""


class TidyGroup(NamedTuple):
    """What the tidy rows of one metric, period, unit and template version hold."""

    item_id: str
    period_code: str
    unit: str
    template_version: int
    low: float | None  # the smallest and largest number (None: no number)
    high: float | None
    longest_text: int | None  # the longest text answer's characters (None: no text)


@dataclass(frozen=True)
class Tidy:
    """The tidy rows of `data`'s submitted returns, read from the database: iterate for
    each (submission, snapshot value) in the table's order (the returns in practice
    order, each one's values in template order, then by period), as often as needed."""

    session: Session
    data: CollectionData

    @cached_property
    def groups(self) -> list[TidyGroup]:
        """Each metric and period's units, versions and range of values, in one query."""
        ids = list(self._returns)
        if not ids:
            return []
        found: list[TidyGroup] = []
        for block in _blocks(ids):
            found += [
                TidyGroup(*row)
                for row in self.session.exec(
                    select(
                        ReturnValue.item_id,
                        ReturnValue.period_code,
                        ReturnValue.unit,
                        ReturnValue.template_version,
                        func.min(ReturnValue.value_number),
                        func.max(ReturnValue.value_number),
                        func.max(func.length(ReturnValue.value_text)),
                    )
                    .where(ReturnValue.return_id.in_(block))
                    .group_by(
                        ReturnValue.item_id,
                        ReturnValue.period_code,
                        ReturnValue.unit,
                        ReturnValue.template_version,
                    )
                )
            ]
        return found

    @cached_property
    def _returns(self) -> dict[int, Submission]:
        """Return id → its submission, in the table's order (the practices')."""
        return {s.practice_return.id: s for s in self.data.submissions}

    def __iter__(self) -> Iterator[tuple[Submission, SnapshotValue]]:
        returns = self._returns
        items = {item.id: n for n, item in enumerate(self.data.template.items)}
        in_template = case(items, value=ReturnValue.item_id, else_=len(items))
        columns = [getattr(ReturnValue, name) for name in SnapshotValue._fields]
        for block in _blocks(list(returns)):
            position = case({rid: n for n, rid in enumerate(block)}, value=ReturnValue.return_id)
            query = (
                select(*columns)
                .where(ReturnValue.return_id.in_(block))
                .order_by(position, in_template, ReturnValue.item_id, ReturnValue.period_start)
                .execution_options(yield_per=ROWS)
            )
            for row in self.session.exec(query):
                value = SnapshotValue._make(row)
                yield returns[value.return_id], value

    def rows(self) -> Iterator[TidyRow]:
        """The same as `icb_views.TidyRow`s (returns.csv's rows)."""
        by_id = self.data.template.items_by_id
        for submission, value in self:
            yield TidyRow(submission, value, by_id.get(value.item_id))


@dataclass(frozen=True)
class LoadedTidy:
    """The same rows and groups from a collection loaded with its snapshot
    (`icb_views.load(snapshot=True)`), for a caller that has it in memory already."""

    data: CollectionData

    @cached_property
    def groups(self) -> list[TidyGroup]:
        found: dict[tuple[str, str, str, int], list] = {}
        for submission in self.data.submissions:
            for v in submission.values:
                key = (v.item_id, v.period_code, v.unit, v.template_version)
                group = found.setdefault(key, [None, None, None])
                if v.value_number is not None:
                    number = v.value_number
                    group[0] = number if group[0] is None else min(group[0], number)
                    group[1] = number if group[1] is None else max(group[1], number)
                if v.value_text is not None:
                    group[2] = max(group[2] or 0, len(v.value_text))
        return [TidyGroup(*key, *range_) for key, range_ in found.items()]

    def __iter__(self) -> Iterator[tuple[Submission, SnapshotValue]]:
        for row in iter_tidy_rows(self.data):
            yield row.submission, row.value


def _blocks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), BLOCK):
        yield ids[start : start + BLOCK]
