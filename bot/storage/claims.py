"""Renewing the claims of the together job's outbox rows (:class:`OutboxColumns`: a
question's copies, tips, shared days) while a batch of them is sent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.engine import rows_changed
from bot.storage.models import OutboxColumns, SafeHavenTip, SharedDay, TalkAnswer

Claimed = type[TalkAnswer] | type[SafeHavenTip] | type[SharedDay]


async def renew(
    model: Claimed, session: AsyncSession, owner: str, claimed_since: datetime, now: datetime
) -> int:
    """Keep ``owner``'s unsent claims made since ``claimed_since`` (the batch being sent) from
    lapsing. Older claims of its own (a chat's send whose record did not follow) are left to
    lapse and be taken over."""
    columns: type[OutboxColumns] = model
    result = await session.execute(
        update(model)
        .where(
            columns.claimed_by == owner,
            columns.claimed_at >= claimed_since,
            columns.sent_at.is_(None),
        )
        .values(claimed_at=now)
    )
    return rows_changed(result)
