"""practice records

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 09:42:48.112626
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "hep_allocation",
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("financial_year", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.CheckConstraint("amount >= 0", name="ck_hep_allocation_amount"),
        sa.ForeignKeyConstraint(
            ["practice_id"], ["practice.id"], name=op.f("fk_hep_allocation_practice_id_practice")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["app_user.id"],
            name=op.f("fk_hep_allocation_updated_by_id_app_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hep_allocation")),
        sa.UniqueConstraint("practice_id", "financial_year", name="uq_hep_allocation_year"),
    )
    with op.batch_alter_table("hep_allocation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_hep_allocation_practice_id"), ["practice_id"], unique=False
        )

    op.create_table(
        "intervention",
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("affected_items", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["practice_id"], ["practice.id"], name=op.f("fk_intervention_practice_id_practice")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["app_user.id"], name=op.f("fk_intervention_updated_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intervention")),
    )
    with op.batch_alter_table("intervention", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_intervention_practice_id"), ["practice_id"], unique=False
        )

    op.create_table(
        "metric_value",
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("frequency", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("period_code", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("value_number", sa.Float(), nullable=True),
        sa.Column("value_text", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("template_id", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("template_version", sa.Integer(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["practice_id"], ["practice.id"], name=op.f("fk_metric_value_practice_id_practice")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["app_user.id"], name=op.f("fk_metric_value_updated_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metric_value")),
        sa.UniqueConstraint("practice_id", "item_id", "period_code", name="uq_metric_value_period"),
    )
    with op.batch_alter_table("metric_value", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_metric_value_item_id"), ["item_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_metric_value_period_start"), ["period_start"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_metric_value_practice_id"), ["practice_id"], unique=False
        )

    op.create_table(
        "staffing_change",
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("change_type", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("wte_change", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("contract_type", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("hep_share_pct", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("languages", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.CheckConstraint(
            "contract_type IN ('permanent', 'fixed_term', 'locum')", name="ck_staffing_contract"
        ),
        sa.CheckConstraint(
            "hep_share_pct >= 0 AND hep_share_pct <= 100", name="ck_staffing_hep_share"
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"], ["practice.id"], name=op.f("fk_staffing_change_practice_id_practice")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["app_user.id"],
            name=op.f("fk_staffing_change_updated_by_id_app_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staffing_change")),
    )
    with op.batch_alter_table("staffing_change", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_staffing_change_practice_id"), ["practice_id"], unique=False
        )

    op.create_table(
        "spend_item",
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("spent_on", sa.Date(), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("total_cost", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("hep_amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("other_sources", sa.JSON(), nullable=True),
        sa.Column("recurrence", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("staffing_change_id", sa.Integer(), nullable=True),
        sa.Column("intervention_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("recurrence IN ('recurrent', 'one_off')", name="ck_spend_recurrence"),
        sa.CheckConstraint("hep_amount >= 0 AND hep_amount <= total_cost", name="ck_spend_hep"),
        sa.CheckConstraint("total_cost >= 0", name="ck_spend_total"),
        sa.ForeignKeyConstraint(
            ["intervention_id"],
            ["intervention.id"],
            name=op.f("fk_spend_item_intervention_id_intervention"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"], ["practice.id"], name=op.f("fk_spend_item_practice_id_practice")
        ),
        sa.ForeignKeyConstraint(
            ["staffing_change_id"],
            ["staffing_change.id"],
            name=op.f("fk_spend_item_staffing_change_id_staffing_change"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["app_user.id"], name=op.f("fk_spend_item_updated_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spend_item")),
    )
    with op.batch_alter_table("spend_item", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_spend_item_practice_id"), ["practice_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_spend_item_spent_on"), ["spent_on"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("spend_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_spend_item_spent_on"))
        batch_op.drop_index(batch_op.f("ix_spend_item_practice_id"))

    op.drop_table("spend_item")
    with op.batch_alter_table("staffing_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staffing_change_practice_id"))

    op.drop_table("staffing_change")
    with op.batch_alter_table("metric_value", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_metric_value_practice_id"))
        batch_op.drop_index(batch_op.f("ix_metric_value_period_start"))
        batch_op.drop_index(batch_op.f("ix_metric_value_item_id"))

    op.drop_table("metric_value")
    with op.batch_alter_table("intervention", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_intervention_practice_id"))

    op.drop_table("intervention")
    with op.batch_alter_table("hep_allocation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hep_allocation_practice_id"))

    op.drop_table("hep_allocation")
