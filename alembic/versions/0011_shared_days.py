"""The both-answered moment (one copy per couple, day and partner); when the check-in last
recalled a course step's practice.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc(name: str, *, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("step_openings", schema=None) as batch_op:
        batch_op.add_column(_utc("recalled_at"))
    op.create_table(
        "shared_days",
        sa.Column("couple_id", sa.Integer(), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        _utc("created_at", nullable=False),
        _utc("claimed_at"),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        _utc("sent_at"),
        sa.ForeignKeyConstraint(
            ["couple_id"],
            ["couples.id"],
            name=op.f("fk_shared_days_couple_id_couples"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_shared_days_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("couple_id", "local_date", "user_id", name=op.f("pk_shared_days")),
    )
    op.create_index(op.f("ix_shared_days_user_id"), "shared_days", ["user_id"], unique=False)
    op.create_index(
        "ix_shared_days_unsent",
        "shared_days",
        ["created_at"],
        unique=False,
        sqlite_where=sa.text("sent_at IS NULL"),
        postgresql_where=sa.text("sent_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_shared_days_unsent", table_name="shared_days")
    op.drop_index(op.f("ix_shared_days_user_id"), table_name="shared_days")
    op.drop_table("shared_days")
    with op.batch_alter_table("step_openings", schema=None) as batch_op:
        batch_op.drop_column("recalled_at")
