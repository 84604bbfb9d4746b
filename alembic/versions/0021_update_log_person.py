"""The update log names whose update each record is (``received_updates.person``, their
Telegram id), written by the statement that records the update: ``/delete`` erases that
person's records with the rest of their data.

No index: the column is written on every update (the hot path) and read only by a
``/delete``, which scans a day of records at most.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("received_updates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("person", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("received_updates", schema=None) as batch_op:
        batch_op.drop_column("person")
