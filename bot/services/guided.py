"""Which day the guided talk is about, and how each partner saw it.

The guided talk ("a day we saw differently") is easier to begin when it says which day and
what each one felt, the partner in the third person ("Ivan felt he was there"), than when it
leaves both guessing. The day travels in the talk's question key (``guided:<step>:<yyyymmdd>``),
so every step, and the same step shown again, names the same day.

Both partners' answers are read through the couple's reveal rule (:mod:`bot.storage.scope`),
once from each side: a day either of them may not see (not yet answered by both, or kept
out of the couple's view) is never described to either.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.checkin_items import next_item
from bot.services.reciprocity import seen_differently
from bot.storage import pairing, week
from bot.storage.models import User
from bot.storage.scope import Viewer
from bot.timezones import local_now

GUIDED = "guided"
# "A day we saw differently" with no day given: the newest such day of the last week.
LOOK_BACK_DAYS = 7
_DAY_FORMAT = "%Y%m%d"


@dataclass(frozen=True)
class GuidedDay:
    """The day, and its differences as keys of the week's difference lines (see
    :func:`~bot.services.reciprocity.seen_differently`) from each partner's side."""

    day: date
    asker: tuple[str, ...]
    partner: tuple[str, ...]

    def for_partner(self) -> GuidedDay:
        """The same day from the partner's side (their differences first)."""
        return GuidedDay(self.day, self.partner, self.asker)


def guided_key(step: int, day: date | None) -> str:
    return f"{GUIDED}:{step}" if day is None else f"{GUIDED}:{step}:{day.strftime(_DAY_FORMAT)}"


def guided_step(key: str) -> int:
    return int(key.split(":")[1])


def guided_day(key: str) -> date | None:
    """The day a guided step's key names, if any (keys from before named none)."""
    parts = key.split(":")
    if len(parts) < 3:
        return None
    try:
        return datetime.strptime(parts[2], _DAY_FORMAT).date()
    except ValueError:
        return None


def _complete(answers: Mapping[str, str] | None) -> bool:
    return bool(answers) and next_item(answers or {}, weekly=False) is None


async def day_seen_differently(
    session: AsyncSession, user: User, now: datetime, day: date | None
) -> GuidedDay | None:
    """``day`` if ``user`` and their partner both answered it and saw it differently; with no
    ``day``, the newest such day of the last :data:`LOOK_BACK_DAYS`. ``None`` if there is none
    (the talk then goes on without naming one)."""
    partnership = await pairing.active_partnership(session, user.id)
    if partnership is None:
        return None
    partner = partnership.partner
    if day is None:
        last = local_now(user.time_zone or "UTC", now).date()
        first = last - timedelta(days=LOOK_BACK_DAYS - 1)
    else:
        first = last = day
    # What each of the two may see of the other, by the same rule as /us.
    mine = await week.answers_in(
        session, Viewer(user.id, partner.id, partnership.scope(user.time_zone)), first, last
    )
    theirs = await week.answers_in(
        session, Viewer(partner.id, user.id, partnership.scope(partner.time_zone)), first, last
    )
    for candidate in sorted(mine[user.id], reverse=True):
        asker, other = mine[user.id].get(candidate), mine[partner.id].get(candidate)
        seen_by_partner = theirs[user.id].get(candidate), theirs[partner.id].get(candidate)
        if not (_complete(asker) and _complete(other)) or seen_by_partner != (asker, other):
            continue
        assert asker is not None and other is not None
        keys = seen_differently(candidate, asker, other)
        if keys:
            return GuidedDay(
                candidate, tuple(keys), tuple(seen_differently(candidate, other, asker))
            )
    return None
