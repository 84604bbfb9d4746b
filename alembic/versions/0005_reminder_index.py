"""A partial index holding only check-ins still waiting for their reminder.

The reminder lookup then costs what is due, not every unanswered check-in of the past; and
weekly digests (never answered) are not in it, so they are never "reminded".

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = "answered_at IS NULL AND skipped_at IS NULL"
REMINDABLE = (
    "kind = 'evening' AND answered_at IS NULL AND skipped_at IS NULL "
    "AND reminded_at IS NULL AND snoozed_until IS NULL"
)


def upgrade() -> None:
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_index("ix_checkins_open")
        batch_op.create_index(
            "ix_checkins_remind",
            ["sent_at"],
            unique=False,
            sqlite_where=sa.text(REMINDABLE),
            postgresql_where=sa.text(REMINDABLE),
        )


def downgrade() -> None:
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_index("ix_checkins_remind")
        batch_op.create_index(
            "ix_checkins_open",
            ["sent_at"],
            unique=False,
            sqlite_where=sa.text(OPEN),
            postgresql_where=sa.text(OPEN),
        )
