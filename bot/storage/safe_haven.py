"""Queries on safe-haven tips: who was stressed, which partner gets a tip, the claim → send →
record of each tip, and the offer to opt in."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.storage.engine import dialect_insert, on_postgresql
from bot.storage.models import (
    Checkin,
    CheckinAnswer,
    Couple,
    CoupleMember,
    Moment,
    SafeHavenTip,
    User,
)
from bot.storage.pairing import Partnership
from bot.storage.scope import member_day_shared
from bot.storage.users import ZONE, in_zones


async def stressed_since(session: AsyncSession, since: datetime) -> dict[int, datetime]:
    """Users who said "I was stressed" (check-in answer or /stress moment) after ``since``,
    each with the latest such moment."""
    answers = await session.execute(
        select(Checkin.user_id, func.max(CheckinAnswer.answered_at))
        .join(Checkin, Checkin.id == CheckinAnswer.checkin_id)
        .where(
            CheckinAnswer.answered_at > since,
            CheckinAnswer.item == "stressed_me",
            CheckinAnswer.value == "yes",
            member_day_shared(Checkin.user_id, Checkin.local_date),  # not a day kept
        )
        .group_by(Checkin.user_id)
    )
    moments = await session.execute(
        select(Moment.user_id, func.max(Moment.occurred_at))
        .where(
            Moment.occurred_at > since,
            Moment.kind == "stress_mine",
            member_day_shared(Moment.user_id, Moment.local_date),
        )
        .group_by(Moment.user_id)
    )
    latest: dict[int, datetime] = {}
    for user_id, at in [*answers, *moments]:
        if user_id not in latest or at > latest[user_id]:
            latest[user_id] = at
    return latest


async def partners_of(session: AsyncSession, user_ids: list[int]) -> dict[int, Partnership]:
    """For each of ``user_ids`` in an active couple, their partnership (their partner, and
    the couple's time together)."""
    if not user_ids:
        return {}
    mine = aliased(CoupleMember)
    theirs = aliased(CoupleMember)
    rows = await session.execute(
        select(
            mine.user_id, Couple.id, Couple.created_at, Couple.first_day, User, Couple.unshared_days
        )
        .join(Couple, Couple.id == mine.couple_id)
        .join(theirs, (theirs.couple_id == mine.couple_id) & (theirs.user_id != mine.user_id))
        .join(User, User.id == theirs.user_id)
        .where(
            mine.user_id.in_(user_ids),
            Couple.ended_at.is_(None),
            mine.ended_at.is_(None),
            theirs.ended_at.is_(None),
        )
    )
    return {
        user_id: Partnership(couple_id, since, partner, first_day, unshared)
        for user_id, couple_id, since, first_day, partner, unshared in rows
    }


@dataclass(frozen=True)
class TipHistory:
    count: int
    last_claimed_at: datetime | None


async def tip_history(session: AsyncSession, receiver_ids: list[int]) -> dict[int, TipHistory]:
    if not receiver_ids:
        return {}
    rows = await session.execute(
        select(SafeHavenTip.receiver_id, func.count(), func.max(SafeHavenTip.claimed_at))
        .where(SafeHavenTip.receiver_id.in_(receiver_ids))
        .group_by(SafeHavenTip.receiver_id)
    )
    return {receiver: TipHistory(count, last) for receiver, count, last in rows}


async def claim_tip(
    session: AsyncSession,
    *,
    receiver_id: int,
    local_date: date,
    tip_index: int,
    body: str,
    owner: str,
    now: datetime,
) -> int | None:
    """The tip's row, or ``None`` if the receiver already has one for that day."""
    insert = dialect_insert(session)
    return await session.scalar(
        insert(SafeHavenTip)
        .values(
            receiver_id=receiver_id,
            local_date=local_date,
            tip_index=tip_index,
            body=body,
            claimed_at=now,
            claimed_by=owner,
        )
        .on_conflict_do_nothing(index_elements=["receiver_id", "local_date"])
        .returning(SafeHavenTip.id)
    )


@dataclass(frozen=True)
class TipToSend:
    tip_id: int
    receiver_id: int
    telegram_id: int
    body: str
    # The couple's day of the stressful moment it is drawn from (if known): a tip held by
    # the ping budget is withdrawn if that day is kept.
    about: date | None = None


async def lapsed_tips(
    session: AsyncSession, *, lapsed_before: datetime, since: datetime
) -> list[tuple[TipToSend, str]]:
    """Tips claimed but never recorded as sent whose claim lapsed (the process died), still
    recent, each with its receiver's zone: the caller claims again those awake
    (:func:`claim_lapsed_tips`). Only while the receiver is still in a couple where neither
    has paused sharing: a tip tells of the partner's day (a couple that ended or a pause
    since the first try keeps it back)."""
    mine, theirs, partner = aliased(CoupleMember), aliased(CoupleMember), aliased(User)
    still_sharing = (
        select(mine.user_id)
        .join(theirs, (theirs.couple_id == mine.couple_id) & (theirs.user_id != mine.user_id))
        .join(partner, partner.id == theirs.user_id)
        .where(
            mine.user_id == SafeHavenTip.receiver_id,
            mine.ended_at.is_(None),
            theirs.ended_at.is_(None),
            partner.sharing_paused_at.is_(None),
        )
        .exists()
    )
    statement = (
        select(SafeHavenTip.id, SafeHavenTip.receiver_id, User.telegram_id, SafeHavenTip.body, ZONE)
        .join(User, User.id == SafeHavenTip.receiver_id)
        .where(
            SafeHavenTip.sent_at.is_(None),
            SafeHavenTip.claimed_at < lapsed_before,
            SafeHavenTip.claimed_at > since,
            User.active.is_(True),
            User.sharing_paused_at.is_(None),
            still_sharing,
        )
    )
    if on_postgresql(session):
        statement = statement.with_for_update(skip_locked=True, of=SafeHavenTip)
    return [(TipToSend(*row[:4]), row[4]) for row in await session.execute(statement)]


async def claim_lapsed_tips(
    session: AsyncSession, tips: list[TipToSend], *, owner: str, now: datetime
) -> None:
    if tips:
        await session.execute(
            update(SafeHavenTip)
            .where(SafeHavenTip.id.in_([tip.tip_id for tip in tips]))
            .values(claimed_at=now, claimed_by=owner)
        )


async def mark_tip_sent(session: AsyncSession, tip_id: int, now: datetime) -> None:
    await session.execute(update(SafeHavenTip).where(SafeHavenTip.id == tip_id).values(sent_at=now))


async def give_up_tip(session: AsyncSession, tip_id: int) -> None:
    """Never send it (the receiver blocked the bot): the row is deleted, as a tip never
    delivered is nobody's history (nor in an export); once they are back, a stressful moment
    of that day may bring one."""
    await session.execute(delete(SafeHavenTip).where(SafeHavenTip.id == tip_id))


def _to_offer_tips(lapsed_before: datetime) -> list[ColumnElement[bool]]:
    return [
        CoupleMember.ended_at.is_(None),
        User.tips_offered_at.is_(None),
        or_(User.tips_offer_claimed_at.is_(None), User.tips_offer_claimed_at < lapsed_before),
        User.onboarded_at.is_not(None),
        User.active.is_(True),
    ]


async def zones_to_offer_tips(session: AsyncSession, *, lapsed_before: datetime) -> list[str]:
    """The zones of everyone still to be offered the tips (the caller keeps those awake)."""
    rows = await session.scalars(
        select(ZONE)
        .join(CoupleMember, CoupleMember.user_id == User.id)
        .where(*_to_offer_tips(lapsed_before))
        .distinct()
    )
    return list(rows)


async def users_to_offer_tips(
    session: AsyncSession, *, zones: Collection[str], lapsed_before: datetime, limit: int
) -> list[User]:
    """Paired, set-up, reachable users in ``zones`` never offered the tips, and not claimed
    for it by a live run."""
    rows = await session.scalars(
        select(User)
        .join(CoupleMember, CoupleMember.user_id == User.id)
        .where(*_to_offer_tips(lapsed_before), in_zones(zones))
        .order_by(User.id)
        .limit(limit)
    )
    return list(rows)


async def mark_tips_offered(session: AsyncSession, user_id: int, now: datetime) -> None:
    await session.execute(
        update(User)
        .where(User.id == user_id, User.tips_offered_at.is_(None))
        .values(tips_offered_at=now)
    )


# --- export and erasure (/export, /delete) ------------------------------------------------------
#
# When someone erases their data, tips about their hard days are removed from the partner's
# data. A tip is stored with its receiver only, but it exists because the other partner was
# stressed, and its text names them: every tip the partner received while paired with them was
# about them (tips go only to the partner in an active couple), so those are found by the
# couple's time together.


async def export_received(session: AsyncSession, user: User) -> list[dict[str, Any]]:
    """The tips ``user`` received. Nothing here says whether ``user`` was the stressed one:
    tips are stored with their receiver only."""
    tips = await session.scalars(
        select(SafeHavenTip)
        .where(SafeHavenTip.receiver_id == user.id, SafeHavenTip.sent_at.is_not(None))
        .order_by(SafeHavenTip.sent_at)
    )
    return [
        {
            "date": tip.local_date.isoformat(),
            "sent_at": tip.sent_at.isoformat() if tip.sent_at is not None else None,
            "text": tip.body,
        }
        for tip in tips
    ]


async def erase(session: AsyncSession, user_id: int) -> None:
    """The tips about ``user_id``'s hard days and the tips they received; run while their
    couple memberships still exist."""
    await _erase_tips_about(session, user_id)
    await session.execute(delete(SafeHavenTip).where(SafeHavenTip.receiver_id == user_id))


async def _erase_tips_about(session: AsyncSession, user_id: int) -> None:
    """The tips each partner of ``user_id`` got while paired with them: each was about a hard
    day of ``user_id``'s, and names them. A tip is claimed (its row made) while the couple is
    active, so its ``claimed_at`` falls in the couple's time together."""
    mine = aliased(CoupleMember)
    theirs = aliased(CoupleMember)
    about_them = (
        select(SafeHavenTip.id)
        .join(theirs, theirs.user_id == SafeHavenTip.receiver_id)
        .join(mine, (mine.couple_id == theirs.couple_id) & (mine.user_id == user_id))
        .join(Couple, Couple.id == mine.couple_id)
        .where(
            theirs.user_id != user_id,
            SafeHavenTip.claimed_at >= Couple.created_at,
            or_(Couple.ended_at.is_(None), SafeHavenTip.claimed_at <= Couple.ended_at),
        )
    )
    await session.execute(delete(SafeHavenTip).where(SafeHavenTip.id.in_(about_them)))
