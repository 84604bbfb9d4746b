"""Queries on the both-answered moment's copies (``shared_days``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.checkins import EVENING
from bot.storage.engine import dialect_insert, on_postgresql
from bot.storage.models import Checkin, CheckinAnswer, Couple, CoupleMember, SharedDay, User
from bot.storage.scope import day_shared


async def evening_on(
    session: AsyncSession, user_id: int, day: date
) -> tuple[Checkin, dict[str, str]] | None:
    """``user_id``'s evening check-in of their local ``day`` with its answers."""
    rows = (
        await session.execute(
            select(Checkin, CheckinAnswer.item, CheckinAnswer.value)
            .outerjoin(CheckinAnswer, CheckinAnswer.checkin_id == Checkin.id)
            .where(Checkin.user_id == user_id, Checkin.kind == EVENING, Checkin.local_date == day)
        )
    ).all()
    if not rows:
        return None
    return rows[0][0], {item: value for _, item, value in rows if item is not None}


async def last_answers(session: AsyncSession, checkin_ids: list[int]) -> dict[int, datetime]:
    """Each check-in's latest answer: who completed the day second."""
    rows = await session.execute(
        select(CheckinAnswer.checkin_id, func.max(CheckinAnswer.answered_at))
        .where(CheckinAnswer.checkin_id.in_(checkin_ids))
        .group_by(CheckinAnswer.checkin_id)
    )
    return {checkin_id: at for checkin_id, at in rows if at is not None}


async def add_copies(
    session: AsyncSession, couple_id: int, day: date, user_ids: list[int], now: datetime
) -> list[int]:
    """One copy per partner; the ids of those that did not exist yet (a second completion of
    the same day, by a change of answer or another process, inserts none)."""
    insert = dialect_insert(session)
    rows = [
        {"couple_id": couple_id, "local_date": day, "user_id": uid, "created_at": now}
        for uid in user_ids
    ]
    inserted = await session.scalars(
        insert(SharedDay)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["couple_id", "local_date", "user_id"])
        .returning(SharedDay.user_id)
    )
    return list(inserted)


async def mark_sent(
    session: AsyncSession, couple_id: int, day: date, user_id: int, now: datetime
) -> None:
    await session.execute(
        update(SharedDay)
        .where(
            SharedDay.couple_id == couple_id,
            SharedDay.local_date == day,
            SharedDay.user_id == user_id,
        )
        .values(sent_at=now)
    )


async def has_copy(session: AsyncSession, couple_id: int, day: date, user_id: int) -> bool:
    found = await session.scalar(
        select(SharedDay.user_id).where(
            SharedDay.couple_id == couple_id,
            SharedDay.local_date == day,
            SharedDay.user_id == user_id,
        )
    )
    return found is not None


@dataclass(frozen=True)
class WaitingCopy:
    couple_id: int
    local_date: date
    user_id: int
    time_zone: str


async def unsent(
    session: AsyncSession, *, lapsed_before: datetime, created_after: datetime, limit: int
) -> list[WaitingCopy]:
    """Recent unsent copies of reachable receivers that no live process has claimed, with
    each receiver's zone (the caller keeps those outside quiet hours, and drops those of
    couples that have ended)."""
    statement = (
        select(SharedDay.couple_id, SharedDay.local_date, SharedDay.user_id, User.time_zone)
        .join(User, User.id == SharedDay.user_id)
        .where(
            SharedDay.sent_at.is_(None),
            SharedDay.created_at > created_after,
            or_(SharedDay.claimed_at.is_(None), SharedDay.claimed_at < lapsed_before),
            User.active.is_(True),
            # A day kept since the copy was made: it never goes out.
            day_shared(SharedDay.couple_id, SharedDay.local_date),
        )
        .order_by(SharedDay.created_at)
        .limit(limit)
    )
    if on_postgresql(session):
        statement = statement.with_for_update(skip_locked=True, of=SharedDay)
    rows = await session.execute(statement)
    return [WaitingCopy(cid, day, uid, zone or "UTC") for cid, day, uid, zone in rows]


async def claim(
    session: AsyncSession, copies: list[WaitingCopy], owner: str, now: datetime
) -> None:
    for copy in copies:
        await claim_copy(session, copy.couple_id, copy.local_date, copy.user_id, owner, now)


async def claim_copy(
    session: AsyncSession, couple_id: int, day: date, user_id: int, owner: str, now: datetime
) -> None:
    await session.execute(
        update(SharedDay)
        .where(
            SharedDay.couple_id == couple_id,
            SharedDay.local_date == day,
            SharedDay.user_id == user_id,
        )
        .values(claimed_at=now, claimed_by=owner)
    )


async def partners_in_couples(
    session: AsyncSession, copies: list[WaitingCopy]
) -> dict[tuple[int, int], User]:
    """For each copy (keyed ``(couple_id, user_id)``) whose couple is still active, the
    receiver's partner *in that couple* — not whoever they are paired with now."""
    couple_ids = {copy.couple_id for copy in copies}
    if not couple_ids:
        return {}
    rows = await session.execute(
        select(CoupleMember.couple_id, User)
        .join(Couple, Couple.id == CoupleMember.couple_id)
        .join(User, User.id == CoupleMember.user_id)
        .where(CoupleMember.couple_id.in_(couple_ids), Couple.ended_at.is_(None))
    )
    members: dict[int, list[User]] = {}
    for couple_id, user in rows:
        members.setdefault(couple_id, []).append(user)
    found = {}
    for copy in copies:
        others = [u for u in members.get(copy.couple_id, []) if u.id != copy.user_id]
        if len(others) == 1:
            found[(copy.couple_id, copy.user_id)] = others[0]
    return found


async def drop(session: AsyncSession, copies: list[WaitingCopy]) -> None:
    """Copies that will never go out (their couple has ended): done with, shown to no one."""
    for copy in copies:
        await session.execute(
            delete(SharedDay).where(
                SharedDay.couple_id == copy.couple_id,
                SharedDay.local_date == copy.local_date,
                SharedDay.user_id == copy.user_id,
            )
        )


async def erase(session: AsyncSession, user_id: int) -> None:
    """Every copy of the couples ``user_id`` was in, the partner's too: a day shown side by
    side says that ``user_id`` checked in that day, which is about them, and without their
    half what is left of a day is no one's. Run while their memberships still exist."""
    await session.execute(
        delete(SharedDay).where(
            SharedDay.couple_id.in_(
                select(CoupleMember.couple_id).where(CoupleMember.user_id == user_id)
            )
        )
    )


async def forget_copies(
    session: AsyncSession, couple_id: int, day: date, user_ids: list[int]
) -> None:
    """Copies of ``day`` that never reached these receivers (held, then withdrawn)."""
    if user_ids:
        await session.execute(
            delete(SharedDay).where(
                SharedDay.couple_id == couple_id,
                SharedDay.local_date == day,
                SharedDay.user_id.in_(user_ids),
            )
        )


async def withdraw_unsent(session: AsyncSession, couple_id: int, day: date) -> bool:
    """A day has just been kept: its copies still waiting (for a receiver's morning) are
    dropped, never to go out. Whether a copy had already gone, or may have (one claimed for
    sending at this moment counts, as a message that may have arrived): that one cannot be
    taken back, and the person keeping the day is told so."""
    await session.execute(
        delete(SharedDay).where(
            SharedDay.couple_id == couple_id,
            SharedDay.local_date == day,
            SharedDay.sent_at.is_(None),
            SharedDay.claimed_at.is_(None),
        )
    )
    left = await session.scalar(
        select(SharedDay.user_id)
        .where(SharedDay.couple_id == couple_id, SharedDay.local_date == day)
        .limit(1)
    )
    return left is not None
