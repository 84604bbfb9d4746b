"""Counts for /metrics (made by the job leader's upkeep, not on a scrape)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Checkin, User


async def prompts_due(session: AsyncSession, now: datetime, grace: timedelta) -> int:
    """Check-ins due and not sent yet: people whose time has come and whom the sender has not
    taken yet, plus prompts claimed but not sent (within their grace)."""
    waiting = await session.scalar(
        select(func.count()).select_from(User).where(User.next_checkin_at <= now)
    )
    unsent = await session.scalar(
        select(func.count())
        .select_from(Checkin)
        .where(
            Checkin.sent_at.is_(None),
            Checkin.skipped_at.is_(None),
            Checkin.answered_at.is_(None),
            Checkin.due_at > now - grace,
        )
    )
    return int(waiting or 0) + int(unsent or 0)
