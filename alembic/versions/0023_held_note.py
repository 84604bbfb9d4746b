"""A held shared-note notice knows its note (``held_pings.note_id``): it goes only while the
note is still shared, so a note made private again (or deleted) before the notice went out
never reaches the partner, and a note shared twice is told once.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("held_pings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("note_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_held_pings_note_id_notes"), "notes", ["note_id"], ["id"], ondelete="CASCADE"
        )


def downgrade() -> None:
    with op.batch_alter_table("held_pings", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_held_pings_note_id_notes"), type_="foreignkey")
        batch_op.drop_column("note_id")
