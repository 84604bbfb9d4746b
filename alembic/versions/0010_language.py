"""Languages: each person's own, and when it was settled.

People who started before keep English ("en") with ``language_settled_at`` NULL: the bot
offers them the choice once if their Telegram speaks a language it has.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "language", sa.String(length=16), server_default=sa.text("'en'"), nullable=False
            )
        )
        batch_op.add_column(
            sa.Column("language_settled_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("language_settled_at")
        batch_op.drop_column("language")
