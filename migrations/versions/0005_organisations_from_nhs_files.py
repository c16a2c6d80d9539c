"""organisations from NHS files: practices belong to an ICB, maybe no PCN; unknown list
sizes and deprivation; closed practices; PCN spells; the PCN a return was submitted in

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 12:46:37.372259
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "practice_pcn_spell",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("pcn_id", sa.Integer(), nullable=True),
        sa.Column("started_on", sa.Date(), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["pcn_id"], ["pcn.id"], name=op.f("fk_practice_pcn_spell_pcn_id_pcn")
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practice.id"],
            name=op.f("fk_practice_pcn_spell_practice_id_practice"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice_pcn_spell")),
    )
    with op.batch_alter_table("practice_pcn_spell", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_practice_pcn_spell_practice_id"), ["practice_id"], unique=False
        )

    with op.batch_alter_table("pcn", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "source",
                sqlmodel.sql.sqltypes.AutoString(length=40),
                nullable=False,
                server_default="manual",
            )
        )
        batch_op.add_column(sa.Column("confirmed_on", sa.Date(), nullable=True))

    with op.batch_alter_table("practice", schema=None) as batch_op:
        batch_op.add_column(sa.Column("icb_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("list_size_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("imd_score", sa.Float(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "status",
                sqlmodel.sql.sqltypes.AutoString(length=10),
                nullable=False,
                server_default="open",
            )
        )
        batch_op.add_column(sa.Column("closed_on", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "source",
                sqlmodel.sql.sqltypes.AutoString(length=40),
                nullable=False,
                server_default="manual",
            )
        )
        batch_op.add_column(sa.Column("confirmed_on", sa.Date(), nullable=True))

    # Every practice so far belongs to its PCN's ICB, and has been in that PCN throughout.
    op.execute(
        "UPDATE practice SET icb_id = (SELECT pcn.icb_id FROM pcn WHERE pcn.id = practice.pcn_id)"
    )
    op.execute(
        "INSERT INTO practice_pcn_spell (practice_id, pcn_id, source) "
        "SELECT id, pcn_id, 'manual' FROM practice"
    )

    with op.batch_alter_table("practice", schema=None) as batch_op:
        batch_op.alter_column("icb_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("pcn_id", existing_type=sa.INTEGER(), nullable=True)
        batch_op.alter_column("list_size", existing_type=sa.INTEGER(), nullable=True)
        batch_op.alter_column("imd_decile", existing_type=sa.INTEGER(), nullable=True)
        batch_op.alter_column("rurality", existing_type=sa.VARCHAR(length=10), nullable=True)
        batch_op.create_index(batch_op.f("ix_practice_icb_id"), ["icb_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_practice_icb_id_icb"), "icb", ["icb_id"], ["id"])
        batch_op.create_check_constraint("ck_practice_status", "status IN ('open', 'closed')")

    with op.batch_alter_table("practice_return", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pcn_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_practice_return_pcn_id_pcn"), "pcn", ["pcn_id"], ["id"]
        )
    # Returns so far were all submitted from the PCN the practice is in now.
    op.execute(
        "UPDATE practice_return SET pcn_id = "
        "(SELECT practice.pcn_id FROM practice WHERE practice.id = practice_return.practice_id)"
    )


def downgrade() -> None:
    # A practice with no PCN cannot go back to the old schema, which required one.
    op.execute("DELETE FROM practice_pcn_spell")
    with op.batch_alter_table("practice_return", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_practice_return_pcn_id_pcn"), type_="foreignkey")
        batch_op.drop_column("pcn_id")

    with op.batch_alter_table("practice", schema=None) as batch_op:
        batch_op.drop_constraint("ck_practice_status", type_="check")
        batch_op.drop_constraint(batch_op.f("fk_practice_icb_id_icb"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_practice_icb_id"))
        batch_op.alter_column("rurality", existing_type=sa.VARCHAR(length=10), nullable=False)
        batch_op.alter_column("imd_decile", existing_type=sa.INTEGER(), nullable=False)
        batch_op.alter_column("list_size", existing_type=sa.INTEGER(), nullable=False)
        batch_op.alter_column("pcn_id", existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column("confirmed_on")
        batch_op.drop_column("source")
        batch_op.drop_column("closed_on")
        batch_op.drop_column("status")
        batch_op.drop_column("imd_score")
        batch_op.drop_column("list_size_on")
        batch_op.drop_column("icb_id")

    with op.batch_alter_table("pcn", schema=None) as batch_op:
        batch_op.drop_column("confirmed_on")
        batch_op.drop_column("source")

    with op.batch_alter_table("practice_pcn_spell", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_practice_pcn_spell_practice_id"))

    op.drop_table("practice_pcn_spell")
