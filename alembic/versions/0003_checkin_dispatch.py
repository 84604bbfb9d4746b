"""Check-in dispatch: outbox columns on check-ins, one moment per question message.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.add_column(sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column(
                "includes_weekly", sa.Boolean(), server_default=sa.text("(false)"), nullable=False
            )
        )
        batch_op.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column(
                "send_attempts", sa.SmallInteger(), server_default=sa.text("0"), nullable=False
            )
        )
        batch_op.add_column(sa.Column("snoozed_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            "ix_checkins_open",
            ["sent_at"],
            unique=False,
            sqlite_where=sa.text("answered_at IS NULL AND skipped_at IS NULL"),
            postgresql_where=sa.text("answered_at IS NULL AND skipped_at IS NULL"),
        )
        batch_op.create_index(
            "ix_checkins_snoozed",
            ["snoozed_until"],
            unique=False,
            sqlite_where=sa.text("snoozed_until IS NOT NULL"),
            postgresql_where=sa.text("snoozed_until IS NOT NULL"),
        )
        batch_op.create_index(
            "ix_checkins_unsent",
            ["claimed_at"],
            unique=False,
            sqlite_where=sa.text("sent_at IS NULL AND skipped_at IS NULL"),
            postgresql_where=sa.text("sent_at IS NULL AND skipped_at IS NULL"),
        )

    with op.batch_alter_table("moments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_id", sa.BigInteger(), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_moments_user_id"), ["user_id", "message_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("moments", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_moments_user_id"), type_="unique")
        batch_op.drop_column("message_id")

    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_checkins_unsent",
            sqlite_where=sa.text("sent_at IS NULL AND skipped_at IS NULL"),
            postgresql_where=sa.text("sent_at IS NULL AND skipped_at IS NULL"),
        )
        batch_op.drop_index(
            "ix_checkins_snoozed",
            sqlite_where=sa.text("snoozed_until IS NOT NULL"),
            postgresql_where=sa.text("snoozed_until IS NOT NULL"),
        )
        batch_op.drop_index(
            "ix_checkins_open",
            sqlite_where=sa.text("answered_at IS NULL AND skipped_at IS NULL"),
            postgresql_where=sa.text("answered_at IS NULL AND skipped_at IS NULL"),
        )
        batch_op.drop_column("snoozed_until")
        batch_op.drop_column("send_attempts")
        batch_op.drop_column("claimed_at")
        batch_op.drop_column("includes_weekly")
        batch_op.drop_column("due_at")
