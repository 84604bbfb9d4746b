"""What a held message is about (``held_pings.couple_id``, ``held_pings.about_day``): a held
partner notice belongs to one couple, and a held both-answered message to one day. A kept
day, a pause or the couple's end then withdraws exactly what it must, and what was held for
one couple never reaches a later one (even the same two people paired again).

Rows held before this revision have neither: they are judged by their sender, as before.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("held_pings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("couple_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("about_day", sa.Date(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_held_pings_couple_id_couples"),
            "couples",
            ["couple_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade() -> None:
    with op.batch_alter_table("held_pings", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_held_pings_couple_id_couples"), type_="foreignkey")
        batch_op.drop_column("about_day")
        batch_op.drop_column("couple_id")
