"""A day kept to oneself: ``hidden_days``, one row per couple, local day and the partner who
kept it.

A table, not a column on ``checkins``: keeping a day is a choice about the *couple's* day (the
reveal rule hides both partners' answers of it, for both), made by one of them, possibly
before their check-in has any answer, and undone by deleting the row. Keyed by couple, so a
later couple never inherits it; by the person who kept it, so that when both kept the same
day, one sharing it again does not undo the other's choice; and the reveal rule asks only
"is there a row for this couple and day", a primary-key lookup.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "hidden_days",
        sa.Column("couple_id", sa.Integer(), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("hidden_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["couple_id"],
            ["couples.id"],
            name=op.f("fk_hidden_days_couple_id_couples"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_hidden_days_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("couple_id", "local_date", "user_id", name=op.f("pk_hidden_days")),
    )
    op.create_index(op.f("ix_hidden_days_user_id"), "hidden_days", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_hidden_days_user_id"), table_name="hidden_days")
    op.drop_table("hidden_days")
