"""The couple's streak: days both partners showed up, counted back from today. Pure, no I/O."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date, timedelta


def couple_streak(
    me: Mapping[date, Mapping[str, str]],
    partner: Mapping[date, Mapping[str, str]],
    today: date,
    *,
    since: date | None = None,
    horizon_days: int = 400,
    kept: Collection[date] = (),
) -> int:
    """Days both showed up, counting back from today; one missed day is forgiven, two end it.

    Today counts once both have answered, and never breaks the streak (the evening may not
    have come yet). Consistency beats grand gestures: the streak belongs to the couple.
    A day either kept to themselves (``kept``, :func:`bot.storage.scope.is_shared`) is passed
    over: it neither counts nor breaks the streak, so keeping a day costs the couple nothing
    and the count tells neither what that day held.
    """

    def both(day: date) -> bool:
        return bool(me.get(day)) and bool(partner.get(day))

    oldest = (
        max(since, today - timedelta(days=horizon_days))
        if since
        else today - timedelta(days=horizon_days)
    )
    day = today if both(today) else today - timedelta(days=1)
    streak = missed_in_a_row = 0
    while day >= oldest:
        if day in kept:
            pass
        elif both(day):
            streak += 1
            missed_in_a_row = 0
        else:
            missed_in_a_row += 1
            if missed_in_a_row == 2:
                break
        day -= timedelta(days=1)
    return streak
