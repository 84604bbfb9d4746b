"""/talk "not tonight": a person can set a question aside without a trace to their partner.

``talk_answers.skipped_at`` marks the copy its person set aside: their /talk no longer shows
it as open, the partner sees nothing different, and the question may come again later.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("talk_answers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("skipped_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("talk_answers", schema=None) as batch_op:
        batch_op.drop_column("skipped_at")
