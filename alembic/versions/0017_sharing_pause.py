"""A quiet way out: a person may pause sharing with their partner (``users.sharing_paused_at``;
the days it covered are kept on the couple, ``couples.unshared_days``, so that resuming does
not reveal them), and a couple may end quietly (``couples.ended_quietly``: the partner was not
told, and what they see afterwards never names who ended it).

Revision ID: 0017
Revises: 0015
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sharing_paused_at", sa.DateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("couples", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unshared_days", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "ended_quietly", sa.Boolean(), server_default=sa.text("false"), nullable=False
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("couples", schema=None) as batch_op:
        batch_op.drop_column("ended_quietly")
        batch_op.drop_column("unshared_days")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("sharing_paused_at")
