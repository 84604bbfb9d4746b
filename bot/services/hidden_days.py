"""Keeping a day to oneself: one partner hides one day's check-in answers from the couple.

The reveal rule stays symmetrical (:func:`bot.storage.scope.day_shared`): a kept day hides
*both* partners' answers of that day, for *both* of them, in ``/us``, its details and chart,
the digest, the both-answered message not yet sent (or held by the ping budget) and the tips
drawn from that day. The partner sees "not shared", never why or who. A message already
delivered cannot be recalled, and the confirmation says so.

Sharing the day again is allowed, for whoever kept it (their own choice only: if both kept
the day, it stays kept until both share it again): a choice made on a hard evening should not
bind for good, and the partner is told nothing either way. The both-answered message is not
sent afterwards (it would arrive out of the blue days later); the day is back in ``/us``.

What stays: the couple streak counts a kept day (that both checked in is not an answer, and
keeping a day should never cost the two of them their streak), and a "has checked in" nudge
(no answer in it). What is hidden is every answer of that day, not that the day happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import pings
from bot.storage import checkins, hidden_days, journal, pairing, shared_days
from bot.storage.checkins import EVENING
from bot.storage.models import User


class Refused(StrEnum):
    NOT_YOURS = "not_yours"  # someone else's check-in, or none (forged or erased)
    NOT_PAIRED = "not_paired"  # no partner, or a day from before this couple began


@dataclass(frozen=True)
class DaySharing:
    """One of the person's own check-in days and whether it reaches their partner."""

    checkin_id: int
    day: date
    answers: dict[str, str]
    # The partner of the couple the day belongs to; ``None``: unpaired, or an earlier day.
    partner: User | None
    couple_id: int | None
    # Whether this person kept it (the partner's choice is never shown to them).
    kept: bool
    # On keeping: the both-answered message of that day had already gone out.
    already_delivered: bool = False


async def day_of(session: AsyncSession, user: User, checkin_id: int) -> DaySharing | Refused:
    """``user``'s evening check-in ``checkin_id`` with its sharing."""
    checkin = await checkins.get_checkin(session, checkin_id)
    if checkin is None or checkin.user_id != user.id or checkin.kind != EVENING:
        return Refused.NOT_YOURS
    answers = (await journal.checkin_answers(session, user.id, [checkin_id])).get(checkin_id)
    values = answers[1] if answers is not None else {}
    partnership = await pairing.active_partnership(session, user.id)
    if partnership is None or not partnership.scope(user.time_zone).has_day(checkin.local_date):
        return DaySharing(checkin_id, checkin.local_date, values, None, None, kept=False)
    kept = await hidden_days.kept_by(session, partnership.couple_id, checkin.local_date, user.id)
    return DaySharing(
        checkin_id,
        checkin.local_date,
        values,
        partnership.partner,
        partnership.couple_id,
        kept=kept,
    )


async def keep_day(
    session: AsyncSession, user: User, checkin_id: int, now: datetime
) -> DaySharing | Refused:
    """``user`` keeps the day of ``checkin_id`` to themselves, before or after answering."""
    found = await day_of(session, user, checkin_id)
    if isinstance(found, Refused):
        return found
    if found.couple_id is None:
        return Refused.NOT_PAIRED
    # Taking turns with a partner completing the day at this moment: either their
    # both-answered copies exist when this looks (and are withdrawn, or said to be out), or
    # they are made after this commits and see the day kept.
    await pairing.lock_couple(session, found.couple_id)
    await hidden_days.keep(session, found.couple_id, found.day, user.id, now)
    # Held by the ping budget, a copy was recorded as handed over but never went out: it is
    # withdrawn with the rest, and counts as not delivered.
    withdrawn = await pings.withdraw_day(session, found.couple_id, found.day, now)
    await shared_days.forget_copies(session, found.couple_id, found.day, withdrawn)
    delivered = await shared_days.withdraw_unsent(session, found.couple_id, found.day)
    return DaySharing(
        found.checkin_id,
        found.day,
        found.answers,
        found.partner,
        found.couple_id,
        kept=True,
        already_delivered=delivered,
    )


async def share_again(session: AsyncSession, user: User, checkin_id: int) -> DaySharing | Refused:
    """``user`` undoes their own keeping of that day."""
    found = await day_of(session, user, checkin_id)
    if isinstance(found, Refused):
        return found
    if found.couple_id is None:
        return Refused.NOT_PAIRED
    await hidden_days.share_again(session, found.couple_id, found.day, user.id)
    return DaySharing(
        found.checkin_id, found.day, found.answers, found.partner, found.couple_id, kept=False
    )
