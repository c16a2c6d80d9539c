"""england's practices, published values and aggregates; HEP allocations from a schedule

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 17:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "england_practice",
        sa.Column("ods_code", TEXT(length=10), nullable=False),
        sa.Column("list_size", sa.Integer(), nullable=True),
        sa.Column("list_size_on", sa.Date(), nullable=True),
        sa.Column("imd_score", sa.Float(), nullable=True),
        sa.Column("imd_decile", sa.Integer(), nullable=True),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("ods_code", name=op.f("pk_england_practice")),
    )
    op.create_table(
        "england_value",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("item_id", TEXT(length=60), nullable=False),
        sa.Column("period_code", TEXT(length=12), nullable=False),
        sa.Column("ods_code", TEXT(length=10), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["national_import.id"],
            name=op.f("fk_england_value_import_id_national_import"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_england_value")),
    )
    op.create_index(
        "ix_england_value_lookup", "england_value", ["import_id", "item_id", "period_code"]
    )
    op.create_table(
        "national_aggregate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("item_id", TEXT(length=60), nullable=False),
        sa.Column("period_code", TEXT(length=12), nullable=False),
        sa.Column("practices", sa.Integer(), nullable=False),
        sa.Column("median", sa.Float(), nullable=False),
        sa.Column("q1", sa.Float(), nullable=False),
        sa.Column("q3", sa.Float(), nullable=False),
        sa.Column("sii", sa.Float(), nullable=True),
        sa.Column("sii_lower", sa.Float(), nullable=True),
        sa.Column("sii_upper", sa.Float(), nullable=True),
        sa.Column("sii_practices", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["national_import.id"],
            name=op.f("fk_national_aggregate_import_id_national_import"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_national_aggregate")),
        sa.UniqueConstraint("import_id", "item_id", "period_code", name="uq_national_aggregate"),
    )
    op.create_index(op.f("ix_national_aggregate_import_id"), "national_aggregate", ["import_id"])
    op.create_index(op.f("ix_national_aggregate_item_id"), "national_aggregate", ["item_id"])
    with op.batch_alter_table("hep_allocation") as batch:
        batch.add_column(
            sa.Column("source", TEXT(length=40), nullable=False, server_default="manual")
        )
        batch.add_column(sa.Column("import_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("override_reason", TEXT(length=500), nullable=True))
        batch.add_column(
            sa.Column("published_amount", sa.Numeric(precision=12, scale=2), nullable=True)
        )
        batch.create_index(batch.f("ix_hep_allocation_import_id"), ["import_id"])
        batch.create_foreign_key(
            batch.f("fk_hep_allocation_import_id_national_import"),
            "national_import",
            ["import_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("hep_allocation") as batch:
        batch.drop_constraint(
            batch.f("fk_hep_allocation_import_id_national_import"), type_="foreignkey"
        )
        batch.drop_index(batch.f("ix_hep_allocation_import_id"))
        batch.drop_column("published_amount")
        batch.drop_column("override_reason")
        batch.drop_column("import_id")
        batch.drop_column("source")
    op.drop_index(op.f("ix_national_aggregate_item_id"), table_name="national_aggregate")
    op.drop_index(op.f("ix_national_aggregate_import_id"), table_name="national_aggregate")
    op.drop_table("national_aggregate")
    op.drop_index("ix_england_value_lookup", table_name="england_value")
    op.drop_table("england_value")
    op.drop_table("england_practice")
