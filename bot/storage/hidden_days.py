"""Queries on days kept to oneself (``hidden_days``); the rule that reads them is
:func:`bot.storage.scope.day_shared`."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.engine import dialect_insert, rows_changed
from bot.storage.models import HiddenDay
from bot.storage.scope import day_shared


async def keep(
    session: AsyncSession, couple_id: int, day: date, user_id: int, now: datetime
) -> None:
    """``user_id`` keeps the couple's ``day`` to themselves (a second tap changes nothing)."""
    insert = dialect_insert(session)
    await session.execute(
        insert(HiddenDay)
        .values(couple_id=couple_id, local_date=day, user_id=user_id, hidden_at=now)
        .on_conflict_do_nothing(index_elements=["couple_id", "local_date", "user_id"])
    )


async def share_again(session: AsyncSession, couple_id: int, day: date, user_id: int) -> bool:
    """``user_id``'s own choice undone (the partner's, if they kept it too, stays); whether
    there was one."""
    result = await session.execute(
        delete(HiddenDay).where(
            HiddenDay.couple_id == couple_id,
            HiddenDay.local_date == day,
            HiddenDay.user_id == user_id,
        )
    )
    return rows_changed(result) > 0


async def kept_by(session: AsyncSession, couple_id: int, day: date, user_id: int) -> bool:
    found = await session.scalar(
        select(HiddenDay.user_id).where(
            HiddenDay.couple_id == couple_id,
            HiddenDay.local_date == day,
            HiddenDay.user_id == user_id,
        )
    )
    return found is not None


async def kept_between(session: AsyncSession, couple_id: int, first: date, last: date) -> set[date]:
    """The couple's days ``first``..``last`` that either partner kept (never who kept them)."""
    rows = await session.scalars(
        select(HiddenDay.local_date)
        .where(
            HiddenDay.couple_id == couple_id,
            HiddenDay.local_date >= first,
            HiddenDay.local_date <= last,
        )
        .distinct()
    )
    return set(rows)


async def is_shared(session: AsyncSession, couple_id: int, day: date) -> bool:
    """Whether neither partner kept the couple's ``day`` (the rule, asked of one day)."""
    return bool(await session.scalar(select(day_shared(couple_id, day))))
