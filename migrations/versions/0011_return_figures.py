"""return figures: each submitted return's one figure per item, worked out once

Every return already stored gets its figures here, from its snapshot's rows, by the
arithmetic the application uses (`monitor.models.returns.return_figure`, inlined so
this migration stays as it is when the application changes; tests/test_migration_0011.py
checks the two agree).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 03:40:00
"""

import math
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT = sqlmodel.sql.sqltypes.AutoString
BATCH = 5000


def upgrade() -> None:
    figure = op.create_table(
        "return_figure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("return_id", sa.Integer(), nullable=False),
        sa.Column("item_id", TEXT(length=60), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("periods", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["return_id"],
            ["practice_return.id"],
            name=op.f("fk_return_figure_return_id_practice_return"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_figure")),
        sa.UniqueConstraint("return_id", "item_id", name="uq_return_figure_item"),
    )
    op.create_index(op.f("ix_return_figure_item_id"), "return_figure", ["item_id"])
    backfill(op.get_bind(), figure)


def backfill(connection, figure: sa.Table) -> None:
    """Each stored return's figure per item: the mean of its periods' finite numbers."""
    value = sa.table(
        "return_value",
        sa.column("return_id", sa.Integer()),
        sa.column("item_id", sa.String()),
        sa.column("value_number", sa.Float()),
    )
    numbers: dict[tuple[int, str], list[float]] = {}
    for return_id, item_id, number in connection.execute(
        sa.select(value.c.return_id, value.c.item_id, value.c.value_number)
    ):
        if number is not None and math.isfinite(number):
            numbers.setdefault((return_id, item_id), []).append(float(number))
    rows = [
        {
            "return_id": r,
            "item_id": i,
            "value": math.fsum(found) / len(found),
            "periods": len(found),
        }
        for (r, i), found in sorted(numbers.items())
    ]
    for start in range(0, len(rows), BATCH):
        connection.execute(sa.insert(figure), rows[start : start + BATCH])


def downgrade() -> None:
    op.drop_index(op.f("ix_return_figure_item_id"), table_name="return_figure")
    op.drop_table("return_figure")
