"""Gathering a couple's week from the database for :mod:`bot.services.reciprocity`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.reciprocity import (
    MomentEntry,
    NoteEntry,
    PersonDays,
    WeekSummary,
    summarize,
    week_ending,
)
from bot.storage import checkins, pairing
from bot.storage.models import User
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

    @property
    def partner_id(self) -> int | None:
        return self.partner.telegram_id if self.partner else None


async def _person(
    session: AsyncSession,
    user: User,
    ranges: list[tuple[date, date]],
    week: tuple[date, date],
    *,
    viewer: bool,
) -> PersonDays:
    """Answers in ``ranges`` (the week, the streak's window); notes and moments of the week."""
    answers: dict[date, dict[str, str]] = {}
    for first, last in ranges:
        answers.update(await checkins.answers_between(session, user.id, first, last))
    notes = [
        NoteEntry(day, body, visibility == "shared")
        for day, body, visibility in await checkins.checkin_notes_between(
            session, user.id, *week, shared_only=not viewer
        )
    ]
    moments = [
        MomentEntry(day, kind, outcome)
        for day, kind, outcome in await checkins.moments_between(session, user.id, *week)
    ]
    return PersonDays(answers, notes, moments)


def weeks_since(start: date, today: date) -> int:
    """How many weeks back the week holding ``start`` is (weeks end today, 7 days each)."""
    return max(0, min(MAX_WEEKS_BACK, (today - start).days // 7))


async def week_for(
    session: AsyncSession, user: User, now: datetime, *, weeks_back: int = 0
) -> WeekView:
    """``user``'s week (``weeks_back`` weeks ago, at most back to the week they started),
    with their current partner's side if any.

    Only the active partner is ever read, and only from the day the couple began: after
    /unpair, nothing of the former partner shows.
    """
    zone = user.time_zone or "UTC"
    today = local_now(zone, now).date()
    oldest = weeks_since(local_now(zone, user.created_at).date(), today)
    weeks_back = max(0, min(weeks_back, oldest))
    last = today - timedelta(weeks=weeks_back)
    days = week_ending(last)
    week = (days[0], days[-1])
    # The streak always looks back from today; an old week is read on its own, so looking
    # at last spring costs the same as looking at this week.
    streak_window = (today - timedelta(days=STREAK_HISTORY_DAYS), today)
    ranges = [streak_window] if week[0] >= streak_window[0] else [streak_window, week]
    me = await _person(session, user, ranges, week, viewer=True)
    partnership = await pairing.active_partnership(session, user.id)
    if partnership is None:
        summary = summarize(days, me, None, today=today)
        return WeekView(summary, None, weeks_back, oldest, user.telegram_id)
    partner = partnership.partner
    since = local_now(zone, partnership.since).date()
    their_ranges = [(max(first, since), last) for first, last in ranges if last >= since]
    theirs = await _person(session, partner, their_ranges, week, viewer=False)
    answerable = await checkins.answerable_day(session, user.id)
    summary = summarize(days, me, theirs, today=today, partner_since=since, answerable=answerable)
    return WeekView(summary, partner, weeks_back, oldest, user.telegram_id)
