"""national imports count the rows they passed over

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 16:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("national_import") as batch:
        batch.add_column(
            sa.Column("rows_passed_over", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("national_import") as batch:
        batch.drop_column("rows_passed_over")
