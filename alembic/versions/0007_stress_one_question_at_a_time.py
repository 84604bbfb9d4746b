"""The stress question asks one thing at a time: was the day stressful, then was support there.

The old items ``my_stress`` and ``partner_stress`` packed both into one answer
(``calm``, ``yes``, ``somewhat``, ``no``), so a "No" could mean "not stressed" or "not
supported". Each stored answer becomes two: ``calm`` is ``stressed_* = no`` alone; ``yes``,
``somewhat`` and ``no`` are ``stressed_* = yes`` with the support answer beside it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (old item, "was it stressful" item, "was support there" item)
SPLITS = (
    ("my_stress", "stressed_me", "support_received"),
    ("partner_stress", "stressed_partner", "support_given"),
)


def upgrade() -> None:
    for old, stressed, support in SPLITS:
        op.execute(
            sa.text(
                "INSERT INTO checkin_answers (checkin_id, item, value, answered_at) "
                "SELECT checkin_id, :support, value, answered_at FROM checkin_answers "
                "WHERE item = :old AND value IN ('yes', 'somewhat', 'no')"
            ).bindparams(support=support, old=old)
        )
        op.execute(
            sa.text(
                "UPDATE checkin_answers "
                "SET item = :stressed, value = CASE WHEN value = 'calm' THEN 'no' ELSE 'yes' END "
                "WHERE item = :old"
            ).bindparams(stressed=stressed, old=old)
        )


def downgrade() -> None:
    for old, stressed, support in SPLITS:
        # A stressful day without a support answer has no old form: it is dropped.
        op.execute(
            sa.text(
                "DELETE FROM checkin_answers WHERE item = :stressed AND value = 'yes' "
                "AND checkin_id NOT IN "
                "(SELECT checkin_id FROM checkin_answers WHERE item = :support)"
            ).bindparams(stressed=stressed, support=support)
        )
        op.execute(
            sa.text(
                "UPDATE checkin_answers SET item = :old, value = CASE WHEN value = 'no' "
                "THEN 'calm' ELSE (SELECT s.value FROM checkin_answers s "
                "WHERE s.checkin_id = checkin_answers.checkin_id AND s.item = :support) END "
                "WHERE item = :stressed"
            ).bindparams(old=old, stressed=stressed, support=support)
        )
        op.execute(
            sa.text("DELETE FROM checkin_answers WHERE item = :support").bindparams(support=support)
        )
