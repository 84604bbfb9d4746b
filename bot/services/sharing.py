"""Pausing sharing with a partner, and resuming it: a quiet way out for someone who does not
feel safe, or simply needs room, without the partner being told.

While either partner has paused (:func:`bot.storage.scope.sharing_paused`), nothing passes
between the two, either way: no both-answered day, no shared note, no appreciation, no
question to talk about, no tip, no "they have checked in" note, and neither's side in the
other's ``/us`` or digest. It is symmetrical on purpose: the one who paused does not see the
partner's answers either, so neither screen shows who paused, and the partner's screens read
like a quiet week. Days a pause covered stay unshared after it (``couples.unshared_days``):
resuming shares what comes next, never what was kept back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage import pairing, pings
from bot.storage.models import Couple, User
from bot.storage.pairing import Partnership
from bot.storage.scope import sharing_paused, spans_text, unshared_spans
from bot.timezones import local_now


@dataclass(frozen=True)
class SharingChange:
    """After a pause or resume: ``changed`` is false for a second tap (or nothing to do)."""

    changed: bool
    paused: bool
    partner: User


async def set_sharing_paused(
    session: AsyncSession, user: User, paused: bool, now: datetime
) -> SharingChange | None:
    """Pause (or resume) ``user``'s sharing with their partner; ``None`` if they are not paired.

    The couple's unshared days begin on the day of the first pause and end on the day the
    last pause is lifted (both days included: something answered on either stays unshared).
    """
    partnership = await pairing.active_partnership(session, user.id)
    if partnership is None:
        return None
    if (user.sharing_paused_at is not None) == paused:
        return SharingChange(changed=False, paused=paused, partner=partnership.partner)
    await pairing.lock_couple(session, partnership.couple_id)
    couple = await session.get(Couple, partnership.couple_id)
    assert couple is not None
    today = local_now(user.time_zone or "UTC", now).date()
    spans = list(unshared_spans(couple.unshared_days))
    still_open = bool(spans) and spans[-1][1] is None
    if paused and not still_open:
        spans.append((today, None))
    elif not paused and still_open and partnership.partner.sharing_paused_at is None:
        spans[-1] = (spans[-1][0], today)
    couple.unshared_days = spans_text(tuple(spans)) if spans else None
    if paused:  # what the ping budget held for either of the two goes nowhere
        await pings.withdraw_couple(session, partnership.couple_id)
    user.sharing_paused_at = now if paused else None
    user.updated_at = now
    return SharingChange(changed=True, paused=paused, partner=partnership.partner)


def passes_between(user: User, partner: User) -> bool:
    """Whether a notice about one may reach the other now: not while either has paused (even
    a shared setting such as the weekly day changes without a word, so nothing names who
    was active)."""
    return not sharing_paused(user, partner)


async def sharing_partnership(session: AsyncSession, user: User) -> Partnership | None:
    """``user``'s couple if something passes between the two now: ``None`` when unpaired, or
    while either has paused sharing (for screens that simply leave the partner out then)."""
    partnership = await pairing.active_partnership(session, user.id)
    if partnership is None or sharing_paused(user, partnership.partner):
        return None
    return partnership
