"""Pairing two partners: invites, redeeming them, and unpairing.

Every rule about who may pair with whom is in :mod:`bot.services.invite_codes` (pure); this
module applies them to the database and leans on it for the guarantees that matter under
concurrency: a guarded UPDATE makes an invite single-use, and a unique index keeps anyone
from being in two active couples.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.invite_codes import (
    ATTEMPT_WINDOW,
    WRONG_GUESSES,
    InviteFacts,
    Refusal,
    attempts_exhausted,
    new_code,
    refusal_for,
)
from bot.storage import pairing
from bot.storage.models import Invite, User
from bot.storage.pairing import EndedPartnership, Partnership
from bot.storage.scope import first_day_for

__all__ = [
    "EndedPartnership",
    "InvitePreview",
    "Paired",
    "Partnership",
    "Refused",
    "create_invite",
    "decline_invite",
    "last_ended",
    "partnership_of",
    "preview_invite",
    "redeem_invite",
    "unpair",
]


@dataclass(frozen=True)
class InvitePreview:
    """What someone who opened an invite may be shown, or why they cannot use it."""

    inviter: User | None
    refusal: Refusal | None
    retry_after: timedelta | None = None


@dataclass(frozen=True)
class Paired:
    couple_id: int
    inviter: User
    # The couple's first day: its first check-ins as a couple are of this local date or later.
    first_day: date | None = None


@dataclass(frozen=True)
class Refused:
    refusal: Refusal
    inviter: User | None


async def partnership_of(session: AsyncSession, user: User) -> Partnership | None:
    return await pairing.active_partnership(session, user.id)


async def last_ended(session: AsyncSession, user: User) -> EndedPartnership | None:
    """The user's most recent couple that has ended, if any (for "your pairing ended")."""
    return await pairing.last_ended_partnership(session, user.id)


async def create_invite(
    session: AsyncSession, inviter: User, now: datetime, ttl: timedelta
) -> Invite:
    """A fresh single-use invite; asking again replaces (revokes) the previous one."""
    await pairing.revoke_open_invites(session, inviter.id, now)
    return await pairing.add_invite(
        session, inviter_id=inviter.id, code=new_code(), now=now, expires_at=now + ttl
    )


async def _facts(session: AsyncSession, invite: Invite, inviter: User) -> InviteFacts:
    return InviteFacts(
        inviter_user_id=inviter.id,
        inviter_active=inviter.active,
        inviter_paired=await pairing.is_paired(session, inviter.id),
        expires_at=invite.expires_at,
        used=invite.used_at is not None or invite.revoked_at is not None,
    )


async def preview_invite(
    session: AsyncSession,
    code: str | None,
    *,
    telegram_id: int,
    redeemer: User | None,
    now: datetime,
) -> InvitePreview:
    """Check a code someone brought, counting wrong guesses against the attempt limit.

    ``code`` is ``None`` when the text could not be a code at all; that is a wrong guess too.
    The attempt is recorded with the update's changes even though nothing else changes.
    """
    wait = attempts_exhausted(
        await pairing.failed_attempts_since(session, telegram_id, now - ATTEMPT_WINDOW), now
    )
    if wait is not None:
        return InvitePreview(None, Refusal.TOO_MANY_ATTEMPTS, wait)
    found = await pairing.invite_with_inviter(session, code) if code else None
    facts = await _facts(session, *found) if found else None
    refusal = refusal_for(
        facts,
        redeemer_user_id=redeemer.id if redeemer else None,
        redeemer_paired=redeemer is not None and await pairing.is_paired(session, redeemer.id),
        now=now,
    )
    if refusal in WRONG_GUESSES:
        await pairing.record_failed_attempt(
            session, telegram_id, now, forget_before=now - ATTEMPT_WINDOW
        )
    return InvitePreview(found[1] if found else None, refusal)


async def redeem_invite(
    session: AsyncSession, code: str, redeemer: User, now: datetime
) -> Paired | Refused:
    """Pair ``redeemer`` with the invite's author, or say why not.

    Safe under any number of simultaneous redemptions: the guarded claim lets one through,
    and the unique index on active memberships rolls back (to a savepoint) anyone already in
    a couple, leaving the invite usable if it was the redeemer who was taken.
    """
    if await _guessing_too_much(session, redeemer.telegram_id, now):
        return Refused(Refusal.TOO_MANY_ATTEMPTS, None)
    found = await pairing.invite_with_inviter(session, code)
    if found is None:
        # Button data is ours; an unknown code in it is a forged guess, and counts as one.
        await _count_wrong_guess(session, redeemer.telegram_id, now)
        return Refused(Refusal.UNKNOWN, None)
    invite, inviter = found
    if invite.used_by_id == redeemer.id:
        return Refused(Refusal.ALREADY_DONE, inviter)
    refusal = refusal_for(
        await _facts(session, invite, inviter),
        redeemer_user_id=redeemer.id,
        redeemer_paired=await pairing.is_paired(session, redeemer.id),
        now=now,
    )
    if refusal is not None:
        return Refused(refusal, inviter)
    try:
        async with session.begin_nested():
            claimed = await pairing.claim_invite(
                session, invite_id=invite.id, redeemer_id=redeemer.id, now=now
            )
            couple = (
                await pairing.create_couple(
                    session,
                    first_user_id=inviter.id,
                    second_user_id=redeemer.id,
                    now=now,
                    # A check-in either already got today is from before: the couple's days
                    # begin with the first check-in both get as a couple.
                    first_day=max(first_day_for(inviter, now), first_day_for(redeemer, now)),
                )
                if claimed
                else None
            )
    except IntegrityError:
        # Someone paired in between; the claim is rolled back with the savepoint.
        if await pairing.is_paired(session, redeemer.id):
            return Refused(Refusal.ALREADY_PAIRED, inviter)
        return Refused(Refusal.INVITER_PAIRED, inviter)
    if couple is None:
        return Refused(Refusal.USED, inviter)
    # One weekly question day per couple: the one who joins takes the inviter's.
    redeemer.weekly_day = inviter.weekly_day
    redeemer.updated_at = now
    return Paired(couple_id=couple.id, inviter=inviter, first_day=couple.first_day)


async def _guessing_too_much(session: AsyncSession, telegram_id: int, now: datetime) -> bool:
    recent = await pairing.failed_attempts_since(session, telegram_id, now - ATTEMPT_WINDOW)
    return attempts_exhausted(recent, now) is not None


async def _count_wrong_guess(session: AsyncSession, telegram_id: int, now: datetime) -> None:
    await pairing.record_failed_attempt(
        session, telegram_id, now, forget_before=now - ATTEMPT_WINDOW
    )


async def decline_invite(
    session: AsyncSession, code: str, redeemer: User, now: datetime
) -> User | None:
    """Close the invite; returns its author to tell, or ``None`` if it was no longer open."""
    if await _guessing_too_much(session, redeemer.telegram_id, now):
        return None
    found = await pairing.invite_with_inviter(session, code)
    if found is None:
        await _count_wrong_guess(session, redeemer.telegram_id, now)
        return None
    if found[1].id == redeemer.id:
        return None
    invite, inviter = found
    revoked = await pairing.revoke_invite(session, invite.id, now)
    return inviter if revoked else None


async def unpair(
    session: AsyncSession, user: User, couple_id: int, now: datetime, *, quietly: bool = False
) -> User | None:
    """End ``user``'s couple ``couple_id``; returns the former partner, ``None`` if stale.
    ``quietly``: the caller tells the partner nothing, and what they see afterwards never
    names who ended it (for someone who does not feel safe telling them)."""
    current = await pairing.active_partnership(session, user.id)
    if current is None or current.couple_id != couple_id:
        return None
    if not await pairing.end_couple(session, couple_id, now, quietly=quietly):
        return None
    return current.partner
