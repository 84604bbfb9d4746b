"""Gathering a couple's week from the database for :mod:`bot.services.reciprocity`."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.crisis_matcher import EveryLanguage
from bot.services.checkin_items import complete_by_counts, completion_rule
from bot.services.differences import MomentEntry
from bot.services.reciprocity import (
    AppreciationEntry,
    NoteEntry,
    PersonDays,
    WeekSummary,
    summarize,
    week_ending,
)
from bot.services.streak import couple_streak
from bot.storage import appreciations, checkins, hidden_days, pairing, week
from bot.storage.models import User
from bot.storage.scope import Viewer, is_shared, sharing_paused
from bot.timezones import local_now

# How far back the couple's streak looks.
STREAK_HISTORY_DAYS = 120
MAX_WEEKS_BACK = 104


@dataclass(frozen=True)
class WeekView:
    summary: WeekSummary
    partner: User | None
    weeks_back: int
    # The week the user started in: "← Earlier week" stops there.
    oldest_weeks_back: int = 0
    # Telegram ids of the viewer and the partner: each keeps one colour on both phones.
    viewer_id: int = 0
    # Paired, but sharing is paused (by either: the view never says which): the viewer's own
    # side only, with a neutral line instead of the invitation to pair.
    sharing_off: bool = False
    # The couple's first day (None unpaired): the Mini App's earlier weeks stop at its week.
    first_day: date | None = None

    @property
    def partner_id(self) -> int | None:
        return self.partner.telegram_id if self.partner else None


def weeks_since(start: date, today: date) -> int:
    """How many weeks back the week holding ``start`` is (weeks end today, 7 days each)."""
    return max(0, min(MAX_WEEKS_BACK, (today - start).days // 7))


async def week_for(
    session: AsyncSession,
    user: User,
    now: datetime,
    *,
    crisis: EveryLanguage,
    weeks_back: int = 0,
) -> WeekView:
    """``user``'s week (``weeks_back`` weeks ago, at most back to the week they started),
    with their current partner's side if any.

    Only the active partner is ever read, and only what belongs to this couple's time
    together (:mod:`bot.storage.scope`): after /unpair, nothing of the former partner shows,
    and nothing shared with someone before reaches the next. Notes whose words read like a
    crisis (``crisis``) are left out of the week, the author's own too.
    """
    zone = user.time_zone or "UTC"
    today = local_now(zone, now).date()
    oldest = weeks_since(local_now(zone, user.created_at).date(), today)
    weeks_back = max(0, min(weeks_back, oldest))
    last = today - timedelta(weeks=weeks_back)
    days = week_ending(last)
    span = (days[0], days[-1])
    partnership = await pairing.active_partnership(session, user.id)
    sharing_off = partnership is not None and sharing_paused(user, partnership.partner)
    # The couple's first day, paused or not: the Mini App's earlier weeks stop at its week.
    first_day = partnership.scope(user.time_zone).first_day if partnership is not None else None
    if sharing_off:
        partnership = None  # nothing of the partner's, as if unpaired (bot.services.sharing)
    partner = partnership.partner if partnership is not None else None
    scope = partnership.scope(user.time_zone) if partnership is not None else None
    viewer = Viewer(user.id, partner.id if partner else None, scope)
    # One query each for both partners' answers, notes and moments of the week, each limited
    # to what the partner let this couple see (bot.storage.scope).
    answers = await week.answers_in(session, viewer, *span)
    notes = await week.notes_in(session, viewer, *span)
    moments = await week.moments_in(session, viewer, *span)

    def person(user_id: int) -> PersonDays:
        return PersonDays(
            answers[user_id],
            [
                NoteEntry(*note)
                for note in notes.get(user_id, ())
                # A note with words of danger is never on a screen people show each other.
                if not crisis.matches(note[1])
            ],
            [MomentEntry(*moment) for moment in moments.get(user_id, ())],
        )

    me = person(user.id)
    if partnership is None or partner is None or scope is None:
        summary = summarize(days, me, None, today=today)
        return WeekView(summary, None, weeks_back, oldest, user.telegram_id, sharing_off, first_day)
    since = scope.first_day
    # The streak and the day still to answer look back from today, whichever week is shown:
    # counted per day in the database, not read answer by answer.
    window = (max(since, today - timedelta(days=STREAK_HISTORY_DAYS)), today)
    daily, skips = completion_rule()
    counted = await week.day_counts(session, viewer.people, *window, daily, skips)
    given = await appreciations.appreciations_between(session, partnership.couple_id, *span)
    # Days kept by either, from the streak's first day on (the week shown lies within it).
    kept = await hidden_days.kept_between(
        session, partnership.couple_id, min(window[0], span[0]), max(window[1], span[1])
    )
    summary = summarize(
        days,
        me,
        person(partner.id),
        today=today,
        partner_since=since,
        answerable=await _answerable(session, user.id, counted[user.id]),
        appreciations=[
            AppreciationEntry(row.local_date, row.sender_id == user.id, row.answered)
            for row in given
        ],
        # The partner's days of a pause are not theirs to count (bot.storage.scope).
        streak=_streak(
            counted[user.id],
            [row for row in counted[partner.id] if scope.has_day(row.day)],
            today,
            since,
            kept,
        ),
    )
    # A day kept by either of them: its rows were never read (bot.storage.scope.couple_view).
    summary = replace(summary, not_shared=tuple(day for day in days if not is_shared(day, kept)))
    return WeekView(summary, partner, weeks_back, oldest, user.telegram_id, first_day=since)


def _streak(
    mine: list[week.DayCount],
    theirs: list[week.DayCount],
    today: date,
    since: date,
    kept: set[date],
) -> int:
    """The couple streak: days the viewer completed and the partner answered (the days the
    partner's answers are revealed on), as :func:`couple_streak` counts them; a day either
    kept (``kept``) counts for neither (:func:`bot.storage.scope.day_shared`)."""
    complete = {row.day for row in mine if complete_by_counts(row.answered, row.not_asked)}
    answered = {row.day for row in theirs if row.answered + row.not_asked > 0}
    both: dict[date, dict[str, str]] = {day: {"both": "yes"} for day in complete & answered}
    return couple_streak(both, both, today, since=since, kept=kept)


async def _answerable(
    session: AsyncSession, user_id: int, mine: list[week.DayCount]
) -> date | None:
    """The day whose check-in the user can still answer: their newest (unless skipped). Taken
    from the days counted for the streak, which reach today (nothing is newer); only someone
    away for months costs a query more."""
    open_ones = [row for row in mine if row.sent or not row.skipped]
    if not open_ones:
        return await checkins.answerable_day(session, user_id)
    newest = max(open_ones, key=lambda row: row.day)
    return None if newest.skipped else newest.day
