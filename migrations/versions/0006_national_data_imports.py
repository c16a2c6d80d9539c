"""national data imports

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 13:55:33.521325
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "national_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("icb_id", sa.Integer(), nullable=False),
        sa.Column("dataset", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("period_code", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True),
        sa.Column("filename", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("stored_path", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("progress_note", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("practices_matched", sa.Integer(), nullable=False),
        sa.Column("other_practices", sa.Integer(), nullable=False),
        sa.Column("unknown_codes", sa.Integer(), nullable=False),
        sa.Column("values_added", sa.Integer(), nullable=False),
        sa.Column("values_changed", sa.Integer(), nullable=False),
        sa.Column("values_unchanged", sa.Integer(), nullable=False),
        sa.Column("values_kept", sa.Integer(), nullable=False),
        sa.Column("values_not_published", sa.Integer(), nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("started_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("finished_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("undone_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("undone_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["app_user.id"],
            name=op.f("fk_national_import_created_by_id_app_user"),
        ),
        sa.ForeignKeyConstraint(["icb_id"], ["icb.id"], name=op.f("fk_national_import_icb_id_icb")),
        sa.ForeignKeyConstraint(
            ["undone_by_id"], ["app_user.id"], name=op.f("fk_national_import_undone_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_national_import")),
    )
    with op.batch_alter_table("national_import", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_national_import_icb_id"), ["icb_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_national_import_sha256"), ["sha256"], unique=False)

    op.create_table(
        "national_import_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("period_code", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("before_number", sa.Float(), nullable=True),
        sa.Column("before_source", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("before_import_id", sa.Integer(), nullable=True),
        sa.Column("after_number", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["national_import.id"],
            name=op.f("fk_national_import_change_import_id_national_import"),
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practice.id"],
            name=op.f("fk_national_import_change_practice_id_practice"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_national_import_change")),
    )
    with op.batch_alter_table("national_import_change", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_national_import_change_import_id"), ["import_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_national_import_change_practice_id"), ["practice_id"], unique=False
        )

    with op.batch_alter_table("metric_value", schema=None) as batch_op:
        batch_op.add_column(sa.Column("import_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "override_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True
            )
        )
        batch_op.add_column(sa.Column("published_number", sa.Float(), nullable=True))
        batch_op.create_index(batch_op.f("ix_metric_value_import_id"), ["import_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_metric_value_import_id_national_import"),
            "national_import",
            ["import_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("metric_value", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_metric_value_import_id_national_import"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_metric_value_import_id"))
        batch_op.drop_column("published_number")
        batch_op.drop_column("override_reason")
        batch_op.drop_column("import_id")

    with op.batch_alter_table("national_import_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_national_import_change_practice_id"))
        batch_op.drop_index(batch_op.f("ix_national_import_change_import_id"))

    op.drop_table("national_import_change")
    with op.batch_alter_table("national_import", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_national_import_sha256"))
        batch_op.drop_index(batch_op.f("ix_national_import_icb_id"))

    op.drop_table("national_import")
