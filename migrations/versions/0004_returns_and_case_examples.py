"""returns and case examples

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 12:17:07.731947
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_example",
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("problem", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("actions", sqlmodel.sql.sqltypes.AutoString(length=3000), nullable=False),
        sa.Column("cost", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("lessons", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("visibility", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=True),
        sa.Column("spend_item_ids", sa.JSON(), nullable=True),
        sa.Column("metric_item_ids", sa.JSON(), nullable=True),
        sa.Column("shared_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.CheckConstraint("visibility IN ('private', 'pcn', 'icb')", name="ck_case_visibility"),
        sa.ForeignKeyConstraint(
            ["practice_id"], ["practice.id"], name=op.f("fk_case_example_practice_id_practice")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["app_user.id"], name=op.f("fk_case_example_updated_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_example")),
    )
    with op.batch_alter_table("case_example", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_example_practice_id"), ["practice_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_case_example_visibility"), ["visibility"], unique=False
        )

    op.create_table(
        "collection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("icb_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("template_id", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("template_version", sa.Integer(), nullable=False),
        sa.Column("period_code", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("opens_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("message", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("closed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("due_on >= opens_on", name="ck_collection_dates"),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["app_user.id"], name=op.f("fk_collection_created_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(["icb_id"], ["icb.id"], name=op.f("fk_collection_icb_id_icb")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection")),
    )
    with op.batch_alter_table("collection", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_collection_icb_id"), ["icb_id"], unique=False)

    op.create_table(
        "practice_return",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("submitted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.Column("withdrawn_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "status IN ('submitted', 'withdrawn')", name="ck_practice_return_status"
        ),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["collection.id"],
            name=op.f("fk_practice_return_collection_id_collection"),
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"], ["practice.id"], name=op.f("fk_practice_return_practice_id_practice")
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"],
            ["app_user.id"],
            name=op.f("fk_practice_return_submitted_by_id_app_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice_return")),
        sa.UniqueConstraint("collection_id", "practice_id", name="uq_practice_return_once"),
    )
    with op.batch_alter_table("practice_return", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_practice_return_collection_id"), ["collection_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_practice_return_practice_id"), ["practice_id"], unique=False
        )

    op.create_table(
        "return_spend",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("return_id", sa.Integer(), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("hep_amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("total_cost", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["return_id"],
            ["practice_return.id"],
            name=op.f("fk_return_spend_return_id_practice_return"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_spend")),
        sa.UniqueConstraint("return_id", "category", name="uq_return_spend_category"),
    )
    with op.batch_alter_table("return_spend", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_return_spend_return_id"), ["return_id"], unique=False)

    op.create_table(
        "return_value",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("return_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("period_code", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("value_number", sa.Float(), nullable=True),
        sa.Column("value_text", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("unit", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("template_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["return_id"],
            ["practice_return.id"],
            name=op.f("fk_return_value_return_id_practice_return"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_value")),
        sa.UniqueConstraint("return_id", "item_id", "period_code", name="uq_return_value_item"),
    )
    with op.batch_alter_table("return_value", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_return_value_return_id"), ["return_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("return_value", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_return_value_return_id"))

    op.drop_table("return_value")
    with op.batch_alter_table("return_spend", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_return_spend_return_id"))

    op.drop_table("return_spend")
    with op.batch_alter_table("practice_return", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_practice_return_practice_id"))
        batch_op.drop_index(batch_op.f("ix_practice_return_collection_id"))

    op.drop_table("practice_return")
    with op.batch_alter_table("collection", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collection_icb_id"))

    op.drop_table("collection")
    with op.batch_alter_table("case_example", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_example_visibility"))
        batch_op.drop_index(batch_op.f("ix_case_example_practice_id"))

    op.drop_table("case_example")
