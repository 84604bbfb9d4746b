"""Queries of the ping budget: the day's extra slot (``ping_days``) and what is held for
the next check-in (``held_pings``). See :mod:`bot.services.pings` for the rules' use."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.engine import dialect_insert
from bot.storage.models import HeldPing, PingDay


async def extra_taken(session: AsyncSession, user_id: int, day: date) -> bool:
    return await extra_kind(session, user_id, day) is not None


async def extra_kind(session: AsyncSession, user_id: int, day: date) -> str | None:
    """What took ``user_id``'s extra slot of ``day``, if anything did."""
    return await session.scalar(
        select(PingDay.kind).where(PingDay.user_id == user_id, PingDay.local_date == day)
    )


async def take_extra(
    session: AsyncSession, user_id: int, day: date, kind: str, now: datetime
) -> bool:
    """Take ``user_id``'s extra slot of ``day``; ``False`` if it was taken (by anyone: the key
    decides between two processes at once)."""
    insert = dialect_insert(session)
    taken = await session.scalar(
        insert(PingDay)
        .values(user_id=user_id, local_date=day, kind=kind, sent_at=now)
        .on_conflict_do_nothing(index_elements=["user_id", "local_date"])
        .returning(PingDay.user_id)
    )
    return taken is not None


async def holding(session: AsyncSession, user_id: int) -> bool:
    return bool(await session.scalar(select(exists().where(HeldPing.user_id == user_id))))


async def hold(session: AsyncSession, row: HeldPing) -> None:
    session.add(row)
    await session.flush()


async def claim_held(
    session: AsyncSession, user_id: int, now: datetime, *, lapsed_before: datetime
) -> list[HeldPing]:
    """``user_id``'s held messages no live run is sending, oldest first, claimed now."""
    statement = (
        select(HeldPing)
        .where(
            HeldPing.user_id == user_id,
            or_(HeldPing.claimed_at.is_(None), HeldPing.claimed_at < lapsed_before),
        )
        .order_by(HeldPing.id)
    )
    rows = list(await session.scalars(statement))
    for row in rows:
        row.claimed_at = now
    return rows


async def take_nudges(session: AsyncSession, user_id: int, day: date) -> list[str]:
    """The held nudges of ``day``, removed: the reminder says them."""
    rows = list(
        await session.scalars(
            select(HeldPing).where(
                HeldPing.user_id == user_id, HeldPing.kind == "nudge", HeldPing.local_date == day
            )
        )
    )
    for row in rows:
        await session.delete(row)
    return [row.text for row in rows]


async def done(session: AsyncSession, ids: tuple[int, ...]) -> None:
    if ids:
        await session.execute(delete(HeldPing).where(HeldPing.id.in_(ids)))


async def withdraw_couple(session: AsyncSession, couple_id: int) -> None:
    """Sharing paused, or the couple ended: what either was held for the other goes nowhere
    (a claim in flight is checked again before its send: see ``services.pings``)."""
    await session.execute(delete(HeldPing).where(HeldPing.couple_id == couple_id))


async def withdraw_day(
    session: AsyncSession, couple_id: int, day: date, *, lapsed_before: datetime
) -> list[int]:
    """A day has just been kept: what was held about it (its both-answered messages, a tip
    drawn from it) goes nowhere. The receivers whose both-answered copy was withdrawn (one
    claimed by a live run may be on its way: it stays)."""
    withdrawn = await session.execute(
        delete(HeldPing)
        .where(
            HeldPing.couple_id == couple_id,
            HeldPing.about_day == day,
            or_(HeldPing.claimed_at.is_(None), HeldPing.claimed_at < lapsed_before),
        )
        .returning(HeldPing.user_id, HeldPing.kind)
    )
    return [user_id for user_id, kind in withdrawn if kind == "shared_day"]


async def release(session: AsyncSession, ids: tuple[int, ...]) -> None:
    if ids:
        await session.execute(update(HeldPing).where(HeldPing.id.in_(ids)).values(claimed_at=None))
