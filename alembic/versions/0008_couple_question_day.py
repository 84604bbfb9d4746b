"""One weekly question day per couple; one-time notices; when each course step was opened.

Couples whose partners had picked two different days keep the inviter's (the partner who
sent the invite that paired them), and both partners get a one-time notice saying so.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOTICE = "question_day"


def upgrade() -> None:
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notices_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
    )
    op.create_index(op.f("ix_notices_user_id"), "notices", ["user_id"], unique=False)
    op.create_index(
        "ix_notices_unsent",
        "notices",
        ["created_at"],
        unique=False,
        sqlite_where=sa.text("sent_at IS NULL"),
        postgresql_where=sa.text("sent_at IS NULL"),
    )
    op.create_table(
        "step_openings",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("framework_id", sa.String(length=64), nullable=False),
        sa.Column("step", sa.SmallInteger(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_step_openings_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "framework_id", "step", name=op.f("pk_step_openings")),
    )
    align_couples()


def align_couples() -> None:
    """The joiner takes the inviter's day wherever the two differ; both are noticed."""
    connection = op.get_bind()
    couples = connection.execute(
        sa.text(
            "SELECT m.couple_id, u.id, u.weekly_day FROM couple_members m "
            "JOIN couples c ON c.id = m.couple_id JOIN users u ON u.id = m.user_id "
            "WHERE c.ended_at IS NULL AND m.ended_at IS NULL ORDER BY m.couple_id, u.id"
        )
    ).all()
    members: dict[int, dict[int, int]] = {}
    for couple_id, user_id, day in couples:
        members.setdefault(couple_id, {})[user_id] = day
    now = datetime.now(UTC)
    for days in members.values():
        if len(days) != 2 or len(set(days.values())) == 1:
            continue
        first, second = sorted(days)
        inviter = connection.execute(
            sa.text(
                "SELECT inviter_id FROM invites WHERE used_at IS NOT NULL AND "
                "((inviter_id = :a AND used_by_id = :b) OR (inviter_id = :b AND used_by_id = :a)) "
                "ORDER BY used_at DESC LIMIT 1"
            ),
            {"a": first, "b": second},
        ).scalar()
        inviter = inviter if inviter in days else first  # the invite is gone: the older account
        joiner = second if inviter == first else first
        connection.execute(
            sa.text("UPDATE users SET weekly_day = :day WHERE id = :id"),
            {"day": days[inviter], "id": joiner},
        )
        for user_id in (first, second):
            connection.execute(
                sa.text(
                    "INSERT INTO notices (user_id, kind, created_at) VALUES (:user, :kind, :now)"
                ).bindparams(sa.bindparam("now", type_=sa.DateTime(timezone=True))),
                {"user": user_id, "kind": NOTICE, "now": now},
            )


def downgrade() -> None:
    op.drop_table("step_openings")
    op.drop_index("ix_notices_unsent", table_name="notices")
    op.drop_index(op.f("ix_notices_user_id"), table_name="notices")
    op.drop_table("notices")
