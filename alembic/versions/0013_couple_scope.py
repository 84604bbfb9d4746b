"""Each couple sees only its own time together: the couple's first day, and the couple a
note was shared with.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A shared note belongs to the couple its author was in when they wrote it, else to the first
# couple they joined after (the first partner who could have been shown it).
_BACKFILL = """
UPDATE notes SET couple_id = COALESCE(
    (SELECT m.couple_id FROM couple_members m
      WHERE m.user_id = notes.user_id AND m.joined_at <= notes.created_at
        AND (m.ended_at IS NULL OR m.ended_at > notes.created_at)
      ORDER BY m.joined_at DESC LIMIT 1),
    (SELECT m.couple_id FROM couple_members m
      WHERE m.user_id = notes.user_id AND m.joined_at > notes.created_at
      ORDER BY m.joined_at LIMIT 1))
WHERE visibility = 'shared'
"""


def upgrade() -> None:
    with op.batch_alter_table("couples", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first_day", sa.Date(), nullable=True))
    with op.batch_alter_table("notes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("couple_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_notes_couple_id_couples"),
            "couples",
            ["couple_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.execute(_BACKFILL)


def downgrade() -> None:
    with op.batch_alter_table("notes", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_notes_couple_id_couples"), type_="foreignkey")
        batch_op.drop_column("couple_id")
    with op.batch_alter_table("couples", schema=None) as batch_op:
        batch_op.drop_column("first_day")
