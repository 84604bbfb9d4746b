"""The both-answered moment: when the second partner completes a day's check-in, both get
that day side by side — their answers only, never a note.

Once per couple and day (each partner's own local date: the two check-ins of the same date);
each copy is an outbox row. A copy for someone outside their quiet hours is sent at once after
the commit; one that falls in their quiet hours waits for their morning, sent by the together
job (:mod:`bot.jobs.together`), once across restarts and processes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.checkin_items import next_item
from bot.services.quiet_hours import in_quiet_hours
from bot.services.reciprocity import views_differ
from bot.storage import hidden_days, pairing, shared_days, users
from bot.storage.models import Checkin, User
from bot.storage.scope import sharing_paused

# A copy that could not go out within this long (its receiver blocked the bot, say) is old news.
KEEP_WAITING = timedelta(hours=36)


@dataclass(frozen=True)
class SideBySide:
    """One partner's copy: the day, their answers and their partner's."""

    couple_id: int
    day: date
    receiver: User
    partner: User
    mine: dict[str, str]
    theirs: dict[str, str]
    # The receiver completed the day second: their copy answers their own last tap (a reply,
    # outside the ping budget) even when it waited or was sent again.
    second: bool = False

    @property
    def differs(self) -> bool:
        return views_differ(self.day, self.mine, self.theirs)


def _complete(checkin: Checkin, answers: dict[str, str]) -> bool:
    return (
        checkin.skipped_at is None
        and bool(answers)
        and next_item(answers, weekly=checkin.includes_weekly) is None
    )


async def on_completed(
    session: AsyncSession,
    user: User,
    checkin: Checkin,
    answers: dict[str, str],
    now: datetime,
    *,
    owner: str,
) -> list[SideBySide]:
    """``user`` has just answered ``checkin`` (with ``answers``). If that completed it and
    their partner had completed the same day, both copies are made (once); returned are those
    to send now, claimed by ``owner`` — the caller records each as sent once it went out (one
    that did not is taken over by the job when the claim lapses). The others wait for their
    receiver's morning."""
    if not _complete(checkin, answers):
        return []
    partnership = await pairing.active_partnership(session, user.id)
    if partnership is None or sharing_paused(user, partnership.partner):
        return []
    partner, day = partnership.partner, checkin.local_date
    if not partnership.scope(user.time_zone).has_day(day):
        return []  # a day from before the couple began (an answer given to someone before)
    # The two completing at the same moment take turns: the second sees the first's answers.
    await pairing.lock_couple(session, partnership.couple_id)
    if not await hidden_days.is_shared(session, partnership.couple_id, day):
        return []  # one of them kept the day: no message of it, to either
    found = await shared_days.evening_on(session, partner.id, day)
    if found is None or not _complete(*found):
        return []
    theirs = found[1]
    made = await shared_days.add_copies(
        session, partnership.couple_id, day, [user.id, partner.id], now
    )
    now_copies = []
    for receiver, other, mine, their in (
        (user, partner, answers, theirs),
        (partner, user, theirs, answers),
    ):
        waits = in_quiet_hours(receiver.time_zone, now)
        if receiver.id not in made or not receiver.active or waits:
            continue
        await shared_days.claim_copy(session, partnership.couple_id, day, receiver.id, owner, now)
        now_copies.append(SideBySide(partnership.couple_id, day, receiver, other, mine, their))
    return now_copies


async def claim_waiting(
    session: AsyncSession, now: datetime, *, owner: str, lease: timedelta, limit: int
) -> list[SideBySide]:
    """Copies that waited and whose receiver's morning has come, claimed by ``owner``."""
    candidates = await shared_days.unsent(
        session, lapsed_before=now - lease, created_after=now - KEEP_WAITING, limit=limit
    )
    due = [copy for copy in candidates if not in_quiet_hours(copy.time_zone, now)]
    partners = await shared_days.partners_in_couples(session, due)
    # A couple that ended since: its day is shown to no one (nor with a new partner's answers).
    await shared_days.drop(session, [c for c in due if (c.couple_id, c.user_id) not in partners])
    due = [copy for copy in due if (copy.couple_id, copy.user_id) in partners]
    await shared_days.claim(session, due, owner, now)
    people = await users.users_by_id(session, [copy.user_id for copy in due])
    ready, unshared = [], []
    for copy in due:
        receiver, partner = people.get(copy.user_id), partners[(copy.couple_id, copy.user_id)]
        if receiver is None:
            continue
        if sharing_paused(receiver, partner):
            unshared.append(copy)  # a day that waited into a pause stays unshared for good
            continue
        mine = await shared_days.evening_on(session, receiver.id, copy.local_date)
        theirs = await shared_days.evening_on(session, partner.id, copy.local_date)
        if mine is None or theirs is None:
            continue
        last = await shared_days.last_answers(session, [mine[0].id, theirs[0].id])
        second = last.get(mine[0].id, now) >= last.get(theirs[0].id, now)
        ready.append(
            SideBySide(
                copy.couple_id, copy.local_date, receiver, partner, mine[1], theirs[1], second
            )
        )
    await shared_days.drop(session, unshared)
    return ready


async def record_sent(session: AsyncSession, copy: SideBySide, now: datetime) -> None:
    await shared_days.mark_sent(session, copy.couple_id, copy.day, copy.receiver.id, now)


async def may_talk_about(session: AsyncSession, user: User, couple_id: int, day: date) -> bool:
    """Whether the "talk about it" button is ``user``'s: a day of their current couple that
    they were shown side by side (a forged button is not)."""
    partnership = await pairing.active_partnership(session, user.id)
    return (
        partnership is not None
        and partnership.couple_id == couple_id
        and await shared_days.has_copy(session, couple_id, day, user.id)
        # Kept since: the talk would open the day up again.
        and await hidden_days.is_shared(session, couple_id, day)
    )
