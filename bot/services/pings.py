"""The ping budget at the send points: whether an unasked message may go now (taking the
day's extra slot) or is held for the next check-in, and handing over what was held.

The rule is :func:`bot.services.ping_budget.verdict` (pure); this module only reads and
writes what it needs, in the caller's transaction — the same one that claims the row to send
(a job) or handles the partner's tap (a turn) — so the database decides between processes.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.ping_budget import (
    MESSAGE_LIMIT,
    OWN_SLOTS,
    SEPARATOR,
    Kind,
    Merged,
    Verdict,
    Waiting,
    merge,
    verdict,
)
from bot.services.quiet_hours import local_day
from bot.storage import hidden_days, pairing, pings
from bot.storage.models import HeldPing, Note, User
from bot.storage.pairing import Partnership
from bot.storage.scope import sharing_paused


async def admit(
    session: AsyncSession,
    receiver: User,
    kind: Kind,
    now: datetime,
    *,
    text: str,
    markup: str | None = None,
    sender_id: int | None = None,
    about: date | None = None,
    note_id: int | None = None,
) -> Merged | None:
    """May it go now? If so, the day's extra slot is taken for it, and what was held for
    ``receiver`` comes back as one message to send ahead of it, in the same message
    (:func:`bot.services.ping_budget.ahead_of`; empty if nothing was held) — claimed, to be
    :func:`handed_over` after the send. ``None``: it is held (written down with ``text`` and
    ``markup``, an inline keyboard's JSON), and the caller counts it as handed over: it goes
    with the next message that may (the next check-in at the latest; a nudge: the reminder).
    A held partner's message belongs to the couple it came from (and a both-answered one to
    ``about``, its day): it goes only while that couple is active and sharing, and that day
    not kept."""
    day = local_day(receiver.time_zone, now)
    taken = await pings.extra_kind(session, receiver.id, day)
    if taken == kind.value == Kind.DIGEST:  # its own, sent before a crash kept it unrecorded
        return NOTHING_HELD
    if verdict(kind, extra_taken=taken is not None) is Verdict.NOW:
        if kind in OWN_SLOTS:
            return NOTHING_HELD
        if await pings.take_extra(session, receiver.id, day, kind.value, now):
            room = MESSAGE_LIMIT - len(text) - len(SEPARATOR)
            return await _waiting(session, receiver.id, day, now, room) or NOTHING_HELD
    partnership = await pairing.active_partnership(session, receiver.id)
    if kind in ABOUT_THE_PARTNER and (
        partnership is None or sharing_paused(receiver, partnership.partner)
    ):
        return None  # nothing passes between them now: not even held for later
    if sender_id is None:  # about the couple (a tip, the digest): it goes if the couple does
        sender_id = partnership.partner.id if partnership is not None else None
    couple_id = None
    if partnership is not None and partnership.partner.id == sender_id:
        couple_id = partnership.couple_id
    await pings.hold(
        session,
        HeldPing(
            user_id=receiver.id,
            sender_id=sender_id,
            kind=kind.value,
            local_date=day,
            text=text,
            markup=markup,
            created_at=now,
            couple_id=couple_id,
            about_day=about,
            note_id=note_id,
        ),
    )
    return None


NOTHING_HELD = Merged("", None, (), ())
# What tells of the partner: held only for the couple it came from, while it shares.
ABOUT_THE_PARTNER = frozenset(
    {
        Kind.SHARED_DAY,
        Kind.WEEKLY_QUESTION,
        Kind.TIP,
        Kind.NUDGE,
        Kind.NOTE,
        Kind.QUESTION,
    }
)
# A run that claimed held messages and died: they are taken over after this long.
HELD_LEASE = timedelta(minutes=10)


async def _waiting(
    session: AsyncSession, user_id: int, day: date, now: datetime, room: int = MESSAGE_LIMIT
) -> Merged | None:
    """``user_id``'s held messages as one, claimed; ``None`` if none. A partner's message that
    no longer may go is dropped unseen (:func:`_gone`), as are yesterday's nudges."""
    if not await pings.holding(session, user_id):
        return None
    rows = await pings.claim_held(session, user_id, now, lapsed_before=now - HELD_LEASE)
    partnership = await pairing.active_partnership(session, user_id)
    receiver = await session.get(User, user_id)
    stale = tuple([r.id for r in rows if await _gone(session, r, receiver, partnership)])
    # A note shared, made private and shared again was held twice: it goes once.
    notes_seen: set[int] = set()
    for row in rows:
        if row.note_id is not None and row.id not in stale:
            if row.note_id in notes_seen:
                stale += (row.id,)
            notes_seen.add(row.note_id)
    waiting = [
        Waiting(r.id, Kind(r.kind), r.local_date, r.text, r.markup)
        for r in rows
        if r.id not in stale
    ]
    merged = merge(waiting, day, room)
    await pings.done(session, stale + (merged.dropped if merged else ()))
    if merged is None or not merged.sent:
        return None
    return merged


async def _gone(
    session: AsyncSession, row: HeldPing, receiver: User | None, partnership: Partnership | None
) -> bool:
    """Whether a held message must never go out now: it is from someone who is no longer the
    receiver's partner, or from an earlier couple of the same two; sharing is paused by
    either; or it shows a day one of them has kept since (each also withdraws it at once:
    this is the check at the send)."""
    if row.note_id is not None:
        note = await session.get(Note, row.note_id)
        if note is None or note.visibility != "shared":
            return True  # made private again, or deleted, since it was held
    if row.sender_id is None and row.couple_id is None:
        return False  # about the receiver alone (a notice while unpaired)
    if partnership is None or receiver is None or row.sender_id != partnership.partner.id:
        return True
    if row.couple_id is not None and row.couple_id != partnership.couple_id:
        return True
    if sharing_paused(receiver, partnership.partner):
        return True
    if row.about_day is None:
        return False
    if not partnership.scope(receiver.time_zone).has_day(row.about_day):
        return True
    return not await hidden_days.is_shared(session, partnership.couple_id, row.about_day)


async def take_held(session: AsyncSession, user_id: int, day: date, now: datetime) -> Merged | None:
    """For the check-in: what was held, as one message to send just before it, if the day's
    extra slot is still free (it is then taken); ``None`` if nothing is to be sent now."""
    if not await pings.holding(session, user_id) or await pings.extra_taken(session, user_id, day):
        return None
    merged = await _waiting(session, user_id, day, now)
    if merged is None:
        return None
    if not await pings.take_extra(session, user_id, day, Kind.HELD.value, now):
        await pings.release(session, merged.sent)
        return None
    return merged


async def handed_over(session: AsyncSession, merged: Merged, *, arrived: bool) -> None:
    """After the send: what arrived is done with; what did not waits again."""
    if arrived:
        await pings.done(session, merged.sent)
    else:
        await pings.release(session, merged.sent)


async def withdraw_day(
    session: AsyncSession, couple_id: int, day: date, now: datetime
) -> list[int]:
    """A day has just been kept: what was held about it (its both-answered messages, a tip
    drawn from it) never goes out. The receivers whose both-answered copy was withdrawn
    before it went (their copy never arrived)."""
    return await pings.withdraw_day(session, couple_id, day, lapsed_before=now - HELD_LEASE)


async def take_nudges(session: AsyncSession, user_id: int, day: date) -> list[str]:
    """Today's held nudges, for the reminder to say."""
    return await pings.take_nudges(session, user_id, day)
