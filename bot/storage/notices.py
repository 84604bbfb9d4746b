"""Queries on one-time notices (``notices``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Notice


async def add_notice(session: AsyncSession, user_id: int, kind: str, now: datetime) -> None:
    session.add(Notice(user_id=user_id, kind=kind, created_at=now))


async def claim_unsent(session: AsyncSession, now: datetime, *, limit: int) -> list[Notice]:
    """Mark up to ``limit`` unsent notices sent and return them: each is sent at most once
    (a crash between the commit and the send loses it rather than doubling it)."""
    ids = list(
        await session.scalars(
            select(Notice.id).where(Notice.sent_at.is_(None)).order_by(Notice.id).limit(limit)
        )
    )
    if not ids:
        return []
    await session.execute(
        update(Notice)
        .where(Notice.id.in_(ids), Notice.sent_at.is_(None))
        .values(sent_at=now)
        .execution_options(synchronize_session=False)
    )
    return list(await session.scalars(select(Notice).where(Notice.id.in_(ids))))
