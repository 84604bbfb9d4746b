"""Appreciations (``/thanks``): a bid one partner makes through the bot, and the other's
thank-you or reply, which turns toward it.

Rules: at most :data:`DAILY_LIMIT` a day per sender (their local day; replies are not
counted), nothing while either partner has turned appreciations off, nothing to a partner who
blocked the bot, nothing after unpairing. Services never commit; delivery happens after the
commit (see :mod:`bot.handlers.appreciations`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.quiet_hours import in_quiet_hours, local_day
from bot.storage import appreciations, pairing, users
from bot.storage.models import Appreciation, User
from bot.storage.pairing import Partnership
from bot.storage.scope import sharing_paused

MAX_APPRECIATION_LENGTH = 500
DAILY_LIMIT = 5


class Refusal(StrEnum):
    NOT_PAIRED = "not_paired"
    NO_LONGER_PAIRED = "no_longer_paired"  # an answer to an appreciation from an ended couple
    MUTED_BY_YOU = "muted_by_you"
    MUTED_BY_PARTNER = "muted_by_partner"
    UNREACHABLE = "unreachable"
    DAILY_LIMIT = "daily_limit"
    ALREADY_ANSWERED = "already_answered"
    # Sharing is paused (by either: never said which): nothing is sent, either way.
    NOT_SHARING = "not_sharing"


@dataclass(frozen=True)
class Relay:
    """An appreciation (or reply) stored and to be delivered now; ``silent`` during the
    receiver's quiet hours."""

    appreciation: Appreciation
    receiver: User
    silent: bool


@dataclass(frozen=True)
class Received:
    """An appreciation ``user`` received, and who sent it (for the thank-you and the reply)."""

    appreciation: Appreciation
    sender: User
    # Whether ``user`` already replied to it: its message then offers no Reply button.
    replied: bool = False


def _open_to(user: User, partner: User) -> Refusal | None:
    if sharing_paused(user, partner):
        return Refusal.NOT_SHARING
    if user.appreciations_muted:
        return Refusal.MUTED_BY_YOU
    if partner.appreciations_muted:
        return Refusal.MUTED_BY_PARTNER
    if not partner.active:
        return Refusal.UNREACHABLE
    return None


async def may_send(session: AsyncSession, user: User, now: datetime) -> Partnership | Refusal:
    """Whether ``user`` may write an appreciation now (asked before they write it)."""
    partnership = await pairing.active_partnership(session, user.id)
    if partnership is None:
        return Refusal.NOT_PAIRED
    refusal = _open_to(user, partnership.partner)
    if refusal is not None:
        return refusal
    if await appreciations.sent_on(session, user.id, local_day(user.time_zone, now)) >= DAILY_LIMIT:
        return Refusal.DAILY_LIMIT
    return partnership


async def send(session: AsyncSession, user: User, body: str, now: datetime) -> Relay | Refusal:
    """Store an appreciation for ``user``'s partner, checked again as it is sent."""
    if len(body) > MAX_APPRECIATION_LENGTH:
        raise ValueError("appreciation too long")
    partnership = await may_send(session, user, now)
    if isinstance(partnership, Refusal):
        return partnership
    partner = partnership.partner
    appreciation = await appreciations.add_appreciation(
        session,
        couple_id=partnership.couple_id,
        sender_id=user.id,
        receiver_id=partner.id,
        body=body,
        local_date=local_day(user.time_zone, now),
        now=now,
    )
    return Relay(appreciation, partner, in_quiet_hours(partner.time_zone, now))


async def received(
    session: AsyncSession, user: User, appreciation_id: int
) -> Received | Refusal | None:
    """An appreciation delivered to ``user``, with its sender; ``None`` if it is not theirs
    (a forged button); ``NO_LONGER_PAIRED`` if their couple has ended since."""
    appreciation = await appreciations.get_appreciation(session, appreciation_id)
    if (
        appreciation is None
        or appreciation.receiver_id != user.id
        or appreciation.delivered_at is None
    ):
        return None
    partnership = await pairing.active_partnership(session, user.id)
    if partnership is None or partnership.couple_id != appreciation.couple_id:
        return Refusal.NO_LONGER_PAIRED
    if sharing_paused(user, partnership.partner):
        return Refusal.NOT_SHARING  # a thank-you or a reply would reach the other
    return Received(appreciation, partnership.partner)


async def thank(
    session: AsyncSession, user: User, appreciation_id: int, now: datetime
) -> Received | Refusal | None:
    """The receiver's ❤️: recorded once. The sender is told unless they turned appreciations
    off or cannot be reached (the caller checks :func:`tell_sender`)."""
    found = await received(session, user, appreciation_id)
    if not isinstance(found, Received):
        return found
    if not await appreciations.mark_thanked(session, appreciation_id, now):
        return Refusal.ALREADY_ANSWERED
    found.appreciation.thanked_at = now
    return replace(
        found, replied=await appreciations.reply_to(session, appreciation_id) is not None
    )


def tell_sender(found: Received) -> bool:
    return found.sender.active and not found.sender.appreciations_muted


async def may_reply(
    session: AsyncSession, user: User, appreciation_id: int
) -> Received | Refusal | None:
    found = await received(session, user, appreciation_id)
    if not isinstance(found, Received):
        return found
    if await appreciations.reply_to(session, appreciation_id) is not None:
        return Refusal.ALREADY_ANSWERED
    return _open_to(user, found.sender) or found


async def reply(
    session: AsyncSession, user: User, appreciation_id: int, body: str, now: datetime
) -> Relay | Refusal | None:
    """``user``'s answer to an appreciation they received, delivered back the same way."""
    if len(body) > MAX_APPRECIATION_LENGTH:
        raise ValueError("reply too long")
    found = await may_reply(session, user, appreciation_id)
    if not isinstance(found, Received):
        return found
    sender = found.sender
    answer = await appreciations.add_appreciation(
        session,
        couple_id=found.appreciation.couple_id,
        sender_id=user.id,
        receiver_id=sender.id,
        body=body,
        local_date=local_day(user.time_zone, now),
        now=now,
        reply_to_id=appreciation_id,
    )
    return Relay(answer, sender, in_quiet_hours(sender.time_zone, now))


async def other_person(session: AsyncSession, user: User, appreciation_id: int) -> User | None:
    """Who ``user`` exchanged this appreciation with, to name them even after the couple
    ended (their current partner, if any, may be someone else); ``None`` if not theirs."""
    appreciation = await appreciations.get_appreciation(session, appreciation_id)
    if appreciation is None or user.id not in (appreciation.sender_id, appreciation.receiver_id):
        return None
    other = (
        appreciation.receiver_id if appreciation.sender_id == user.id else appreciation.sender_id
    )
    return (await users.users_by_id(session, [other])).get(other)


async def not_delivered(session: AsyncSession, appreciation_id: int) -> None:
    """Telegram refused it (the receiver blocked the bot): never shown, never counted."""
    await appreciations.mark_undelivered(session, appreciation_id)


async def set_muted(session: AsyncSession, user: User, muted: bool, now: datetime) -> None:
    user.appreciations_muted = muted
    user.updated_at = now


# --- for the week (/us, the digest, the chart) --------------------------------------------------


@dataclass(frozen=True)
class AppreciationBids:
    """One partner's appreciations as bids: how many they made, and how many of those the
    other answered (❤️ or a reply) — the matched bids, the same figure from both sides."""

    made: int = 0
    answered: int = 0


async def appreciation_bids(
    session: AsyncSession, couple_id: int, first: date, last: date
) -> dict[int, AppreciationBids]:
    """Per sender's user id, their delivered appreciations on their local days
    ``first``..``last`` inclusive and how many were answered. Partners who sent none are
    absent (read them as ``AppreciationBids()``)."""
    made: dict[int, int] = defaultdict(int)
    answered: dict[int, int] = defaultdict(int)
    for row in await appreciations.appreciations_between(session, couple_id, first, last):
        made[row.sender_id] += 1
        answered[row.sender_id] += row.answered
    return {user_id: AppreciationBids(made[user_id], answered[user_id]) for user_id in made}
