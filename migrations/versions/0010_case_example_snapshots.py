"""case example snapshots: the interventions a case links; its charts as they stood

Existing case examples get no snapshot here: a chart is drawn from the practice's
figures by the application, so each is published the next time the practice saves it
(until then its page says no chart was published).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 23:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    with op.batch_alter_table("case_example") as batch:
        batch.add_column(sa.Column("intervention_ids", sa.JSON(), nullable=True))
    op.create_table(
        "case_example_chart",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_example_id", sa.Integer(), nullable=False),
        sa.Column("item_id", TEXT(length=60), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("taken_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_example_id"],
            ["case_example.id"],
            name=op.f("fk_case_example_chart_case_example_id_case_example"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_example_chart")),
        sa.UniqueConstraint("case_example_id", "item_id", name="uq_case_example_chart_item"),
    )
    op.create_index(
        op.f("ix_case_example_chart_case_example_id"), "case_example_chart", ["case_example_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_case_example_chart_case_example_id"), table_name="case_example_chart")
    op.drop_table("case_example_chart")
    with op.batch_alter_table("case_example") as batch:
        batch.drop_column("intervention_ids")
