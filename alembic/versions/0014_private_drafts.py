"""Private drafts: words for the partner that read like a crisis, kept for their author until
they keep them private or send them after all; a question answer can be "no answer this time".

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc(name: str, *, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("talk_answers", schema=None) as batch_op:
        batch_op.add_column(_utc("passed_at"))
    op.create_table(
        "private_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("couple_id", sa.Integer(), nullable=True),
        sa.Column("reply_to_id", sa.Integer(), nullable=True),
        sa.Column("question_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "state", sa.String(length=8), server_default=sa.text("'pending'"), nullable=False
        ),
        _utc("created_at", nullable=False),
        _utc("decided_at"),
        sa.CheckConstraint(
            "kind IN ('appreciation', 'reply', 'talk_answer')",
            name=op.f("ck_private_drafts_kind_values"),
        ),
        sa.CheckConstraint(
            "state IN ('pending', 'private', 'sent')",
            name=op.f("ck_private_drafts_state_values"),
        ),
        sa.ForeignKeyConstraint(
            ["couple_id"],
            ["couples.id"],
            name=op.f("fk_private_drafts_couple_id_couples"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["talk_questions.id"],
            name=op.f("fk_private_drafts_question_id_talk_questions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["reply_to_id"],
            ["appreciations.id"],
            name=op.f("fk_private_drafts_reply_to_id_appreciations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_private_drafts_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_private_drafts")),
    )
    op.create_index(op.f("ix_private_drafts_user_id"), "private_drafts", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_private_drafts_user_id"), table_name="private_drafts")
    op.drop_table("private_drafts")
    with op.batch_alter_table("talk_answers", schema=None) as batch_op:
        batch_op.drop_column("passed_at")
