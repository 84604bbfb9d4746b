"""Aggregate figures for operators; no personal data leaves these queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Couple, User


@dataclass(frozen=True)
class UserCounts:
    users: int
    onboarded: int
    inactive: int
    joined_last_week: int
    active_couples: int


async def count_users(session: AsyncSession, *, since: datetime) -> UserCounts:
    users = select(
        func.count(),
        func.count(User.onboarded_at),
        func.count().filter(User.active.is_(False)),
        func.count().filter(User.created_at >= since),
    ).select_from(User)
    total, onboarded, inactive, recent = (await session.execute(users)).one()
    couples = await session.scalar(
        select(func.count()).select_from(Couple).where(Couple.ended_at.is_(None))
    )
    return UserCounts(total, onboarded, inactive, recent, couples or 0)
