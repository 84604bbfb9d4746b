"""Together: appreciations, questions to talk about, quiet safe-haven tips.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STRESSED_ANSWER = "item = 'stressed_me' AND value = 'yes'"
STRESSED_MOMENT = "kind = 'stress_mine'"


def _utc(name: str, *, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "appreciations_muted",
                sa.Boolean(),
                server_default=sa.text("(false)"),
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column(
                "safe_haven_tips", sa.Boolean(), server_default=sa.text("(false)"), nullable=False
            )
        )
        batch_op.add_column(_utc("tips_offered_at"))

    op.create_index(
        "ix_checkin_answers_stress",
        "checkin_answers",
        ["answered_at"],
        unique=False,
        sqlite_where=sa.text(STRESSED_ANSWER),
        postgresql_where=sa.text(STRESSED_ANSWER),
    )
    op.create_index(
        "ix_moments_stress",
        "moments",
        ["occurred_at"],
        unique=False,
        sqlite_where=sa.text(STRESSED_MOMENT),
        postgresql_where=sa.text(STRESSED_MOMENT),
    )

    op.create_table(
        "appreciations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("couple_id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.Integer(), nullable=False),
        sa.Column("receiver_id", sa.Integer(), nullable=False),
        sa.Column("reply_to_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        _utc("sent_at", nullable=False),
        _utc("delivered_at"),
        _utc("thanked_at"),
        sa.ForeignKeyConstraint(
            ["couple_id"],
            ["couples.id"],
            name=op.f("fk_appreciations_couple_id_couples"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["receiver_id"],
            ["users.id"],
            name=op.f("fk_appreciations_receiver_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reply_to_id"],
            ["appreciations.id"],
            name=op.f("fk_appreciations_reply_to_id_appreciations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sender_id"],
            ["users.id"],
            name=op.f("fk_appreciations_sender_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appreciations")),
        sa.UniqueConstraint("reply_to_id", name=op.f("uq_appreciations_reply_to_id")),
    )
    op.create_index(
        op.f("ix_appreciations_receiver_id"), "appreciations", ["receiver_id"], unique=False
    )
    op.create_index(
        "ix_appreciations_sender_day", "appreciations", ["sender_id", "local_date"], unique=False
    )

    op.create_table(
        "talk_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("couple_id", sa.Integer(), nullable=False),
        sa.Column("question_key", sa.String(length=40), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("week_of", sa.Date(), nullable=True),
        _utc("asked_at", nullable=False),
        _utc("revealed_at"),
        sa.ForeignKeyConstraint(
            ["couple_id"],
            ["couples.id"],
            name=op.f("fk_talk_questions_couple_id_couples"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_talk_questions")),
        sa.UniqueConstraint("couple_id", "week_of", name=op.f("uq_talk_questions_couple_id")),
    )
    op.create_index(
        "ix_talk_questions_couple_asked",
        "talk_questions",
        ["couple_id", "asked_at"],
        unique=False,
    )

    op.create_table(
        "talk_answers",
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        _utc("claimed_at"),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        _utc("sent_at"),
        sa.Column("body", sa.Text(), nullable=True),
        _utc("answered_at"),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["talk_questions.id"],
            name=op.f("fk_talk_answers_question_id_talk_questions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_talk_answers_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("question_id", "user_id", name=op.f("pk_talk_answers")),
    )
    op.create_index(op.f("ix_talk_answers_user_id"), "talk_answers", ["user_id"], unique=False)
    op.create_index(
        "ix_talk_answers_unsent",
        "talk_answers",
        ["claimed_at"],
        unique=False,
        sqlite_where=sa.text("sent_at IS NULL"),
        postgresql_where=sa.text("sent_at IS NULL"),
    )

    op.create_table(
        "safe_haven_tips",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("receiver_id", sa.Integer(), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("tip_index", sa.SmallInteger(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        _utc("claimed_at", nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=False),
        _utc("sent_at"),
        sa.ForeignKeyConstraint(
            ["receiver_id"],
            ["users.id"],
            name=op.f("fk_safe_haven_tips_receiver_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safe_haven_tips")),
        sa.UniqueConstraint(
            "receiver_id", "local_date", name=op.f("uq_safe_haven_tips_receiver_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("safe_haven_tips")
    op.drop_index("ix_talk_answers_unsent", table_name="talk_answers")
    op.drop_index(op.f("ix_talk_answers_user_id"), table_name="talk_answers")
    op.drop_table("talk_answers")
    op.drop_index("ix_talk_questions_couple_asked", table_name="talk_questions")
    op.drop_table("talk_questions")
    op.drop_index("ix_appreciations_sender_day", table_name="appreciations")
    op.drop_index(op.f("ix_appreciations_receiver_id"), table_name="appreciations")
    op.drop_table("appreciations")
    op.drop_index("ix_moments_stress", table_name="moments")
    op.drop_index("ix_checkin_answers_stress", table_name="checkin_answers")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("tips_offered_at")
        batch_op.drop_column("safe_haven_tips")
        batch_op.drop_column("appreciations_muted")
