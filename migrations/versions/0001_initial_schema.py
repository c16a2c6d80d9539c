"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 09:23:34.097398
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "icb",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("template_id", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("template_version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_icb")),
        sa.UniqueConstraint("code", name=op.f("uq_icb_code")),
    )
    op.create_table(
        "sign_in_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_failure")),
    )
    with op.batch_alter_table("sign_in_failure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sign_in_failure_address"), ["address"], unique=False)
        batch_op.create_index(batch_op.f("ix_sign_in_failure_at"), ["at"], unique=False)

    op.create_table(
        "pcn",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("icb_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["icb_id"], ["icb.id"], name=op.f("fk_pcn_icb_id_icb")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pcn")),
        sa.UniqueConstraint("code", name=op.f("uq_pcn_code")),
    )
    with op.batch_alter_table("pcn", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pcn_icb_id"), ["icb_id"], unique=False)

    op.create_table(
        "practice",
        sa.Column("ods_code", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("pcn_id", sa.Integer(), nullable=False),
        sa.Column("town", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("list_size", sa.Integer(), nullable=False),
        sa.Column("imd_decile", sa.Integer(), nullable=False),
        sa.Column("rurality", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.CheckConstraint("rurality IN ('urban', 'rural')", name="ck_practice_rurality"),
        sa.CheckConstraint("imd_decile BETWEEN 1 AND 10", name="ck_practice_imd_decile"),
        sa.CheckConstraint("list_size >= 0", name="ck_practice_list_size"),
        sa.ForeignKeyConstraint(["pcn_id"], ["pcn.id"], name=op.f("fk_practice_pcn_id_pcn")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice")),
        sa.UniqueConstraint("ods_code", name=op.f("uq_practice_ods_code")),
    )
    with op.batch_alter_table("practice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_practice_pcn_id"), ["pcn_id"], unique=False)

    op.create_table(
        "app_user",
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("display_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=True),
        sa.Column("pcn_id", sa.Integer(), nullable=True),
        sa.Column("icb_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("password_hash", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
        sa.Column("session_token", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("failed_sign_ins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("last_sign_in_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "(role IN ('practice_editor', 'practice_viewer') AND practice_id IS NOT NULL AND pcn_id IS NULL AND icb_id IS NULL) OR (role = 'pcn_lead' AND pcn_id IS NOT NULL AND practice_id IS NULL AND icb_id IS NULL) OR (role IN ('icb_analyst', 'admin') AND icb_id IS NOT NULL AND practice_id IS NULL AND pcn_id IS NULL)",
            name="ck_user_organisation",
        ),
        sa.CheckConstraint(
            "role IN ('practice_editor', 'practice_viewer', 'pcn_lead', 'icb_analyst', 'admin')",
            name="ck_user_role",
        ),
        sa.ForeignKeyConstraint(["icb_id"], ["icb.id"], name=op.f("fk_app_user_icb_id_icb")),
        sa.ForeignKeyConstraint(["pcn_id"], ["pcn.id"], name=op.f("fk_app_user_pcn_id_pcn")),
        sa.ForeignKeyConstraint(
            ["practice_id"], ["practice.id"], name=op.f("fk_app_user_practice_id_practice")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_user")),
    )
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_app_user_email"), ["email"], unique=True)
        batch_op.create_index(batch_op.f("ix_app_user_icb_id"), ["icb_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_app_user_pcn_id"), ["pcn_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_app_user_practice_id"), ["practice_id"], unique=False)

    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("object_type", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("object_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=True),
        sa.Column("summary", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["app_user.id"], name=op.f("fk_audit_event_actor_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"], ["practice.id"], name=op.f("fk_audit_event_practice_id_practice")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_event_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_event_at"), ["at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_event_practice_id"), ["practice_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_practice_id"))
        batch_op.drop_index(batch_op.f("ix_audit_event_at"))
        batch_op.drop_index(batch_op.f("ix_audit_event_actor_id"))

    op.drop_table("audit_event")
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_app_user_practice_id"))
        batch_op.drop_index(batch_op.f("ix_app_user_pcn_id"))
        batch_op.drop_index(batch_op.f("ix_app_user_icb_id"))
        batch_op.drop_index(batch_op.f("ix_app_user_email"))

    op.drop_table("app_user")
    with op.batch_alter_table("practice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_practice_pcn_id"))

    op.drop_table("practice")
    with op.batch_alter_table("pcn", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pcn_icb_id"))

    op.drop_table("pcn")
    with op.batch_alter_table("sign_in_failure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sign_in_failure_at"))
        batch_op.drop_index(batch_op.f("ix_sign_in_failure_address"))

    op.drop_table("sign_in_failure")
    op.drop_table("icb")
