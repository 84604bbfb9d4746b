"""Replies survive a crash: what a turn will say rides on its update's record
(``received_updates.replies``), written by the statement that marks it handled, crossed off
once sent; a partial index finds what is left at start.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHERE = sa.text("replies IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("received_updates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("replies", sa.Text(), nullable=True))
    op.create_index(
        "ix_received_updates_replies",
        "received_updates",
        ["update_id"],
        sqlite_where=_WHERE,
        postgresql_where=_WHERE,
    )


def downgrade() -> None:
    op.drop_index("ix_received_updates_replies", table_name="received_updates")
    with op.batch_alter_table("received_updates", schema=None) as batch_op:
        batch_op.drop_column("replies")
