"""What ``/us`` and the digest read of a couple's week, in as few queries as the page needs:
both partners' answers of the week in one, their months of check-ins for the streak counted
per day in one, their notes in one, their moments in one.

``/us`` is pressed week after week; each query is a round trip (on SQLite, a hop to the
driver's thread), so they are counted, not per person or per day.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache

from sqlalchemy import Select, and_, bindparam, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.checkins import EVENING
from bot.storage.models import Checkin, CheckinAnswer, Moment, Note
from bot.storage.scope import Viewer, couple_view

Ranges = Mapping[int, Sequence[tuple[date, date]]]


async def answers_in(
    session: AsyncSession, viewer: Viewer, first: date, last: date
) -> dict[int, dict[date, dict[str, str]]]:
    """Per person, their evening check-ins' answers by local date, ``first``..``last``: all
    the viewer's, the partner's of the couple's days only; neither's of a day kept."""
    rows = await session.execute(
        select(Checkin.user_id, Checkin.local_date, CheckinAnswer.item, CheckinAnswer.value)
        .join(CheckinAnswer, CheckinAnswer.checkin_id == Checkin.id)
        .where(
            Checkin.kind == EVENING,
            viewer.sees(Checkin.user_id, lambda scope: scope.checkins()),
            couple_view(viewer, Checkin.local_date),
            Checkin.local_date >= first,
            Checkin.local_date <= last,
        )
    )
    found: dict[int, dict[date, dict[str, str]]] = {user_id: {} for user_id in viewer.people}
    for user_id, day, item, value in rows:
        found[user_id].setdefault(day, {})[item] = value
    return found


@dataclass(frozen=True)
class DayCount:
    """One evening check-in, counted: whether it was sent or given up unsent, and (see
    :func:`bot.services.checkin_items.completion_rule`) how many daily items it answered and
    how many its answers made not asked."""

    day: date
    sent: bool
    skipped: bool
    answered: int
    not_asked: int


@cache
def _day_counts(
    daily: tuple[str, ...], skips: tuple[tuple[tuple[str, str], int], ...]
) -> Select[int, date, bool, bool, int, int]:
    """The statement of :func:`day_counts` for one completion rule (in practice, the one):
    built once, as its CASE of every skipping answer is the costliest part of a /us press
    to build and key, and the rule does not change while the bot runs."""
    not_asked = case(
        *[
            (and_(CheckinAnswer.item == item, CheckinAnswer.value == value), weight)
            for (item, value), weight in skips
        ],
        else_=0,
    )
    answered = case((CheckinAnswer.item.in_(daily), 1), else_=0)
    return (
        select(
            Checkin.user_id,
            Checkin.local_date,
            Checkin.sent_at.is_not(None),
            Checkin.skipped_at.is_not(None),
            func.coalesce(func.sum(answered), 0),
            func.coalesce(func.sum(not_asked), 0),
        )
        .outerjoin(CheckinAnswer, CheckinAnswer.checkin_id == Checkin.id)
        .where(
            Checkin.user_id.in_(bindparam("user_ids", expanding=True)),
            Checkin.local_date >= bindparam("first"),
            Checkin.local_date <= bindparam("last"),
            Checkin.kind == EVENING,
        )
        .group_by(Checkin.id)
    )


async def day_counts(
    session: AsyncSession,
    user_ids: Sequence[int],
    first: date,
    last: date,
    daily: Sequence[str],
    skips: Mapping[tuple[str, str], int],
) -> dict[int, list[DayCount]]:
    """Per user, each evening check-in ``first``..``last``, counted in the database: a row per
    day instead of one per answer, for the couple streak's months."""
    found: dict[int, list[DayCount]] = {user_id: [] for user_id in user_ids}
    statement = _day_counts(tuple(daily), tuple(skips.items()))
    rows = await session.execute(
        statement, {"user_ids": list(user_ids), "first": first, "last": last}
    )
    for user_id, day, sent, skipped, count, skipped_items in rows:
        found[user_id].append(DayCount(day, bool(sent), bool(skipped), count, skipped_items))
    return found


async def notes_in(
    session: AsyncSession, viewer: Viewer, first: date, last: date
) -> dict[int, list[tuple[date, str, bool]]]:
    """``(local date, body, shared)`` of check-in notes in the range: all the viewer's, the
    partner's shared with this couple on its days only (their private notes, and those shared
    with someone before, are never even loaded)."""
    whose = viewer.sees(Note.user_id, lambda scope: and_(scope.shared_notes(), scope.checkins()))
    rows = await session.execute(
        select(Note.user_id, Checkin.local_date, Note.body, Note.visibility)
        .join(Checkin, Checkin.id == Note.checkin_id)
        .where(
            whose,
            couple_view(viewer, Checkin.local_date),
            Checkin.local_date >= first,
            Checkin.local_date <= last,
        )
        .order_by(Checkin.local_date, Note.id)
    )
    found: dict[int, list[tuple[date, str, bool]]] = {}
    for user_id, day, body, visibility in rows:
        found.setdefault(user_id, []).append((day, body, visibility == "shared"))
    return found


async def moments_in(
    session: AsyncSession, viewer: Viewer, first: date, last: date
) -> dict[int, list[tuple[date, str, str]]]:
    """``(local date, kind, outcome)`` of /bid and /stress moments in the range: all the
    viewer's, the partner's logged during the couple's time only."""
    rows = await session.execute(
        select(Moment.user_id, Moment.local_date, Moment.kind, Moment.outcome).where(
            viewer.sees(Moment.user_id, lambda scope: scope.moments()),
            couple_view(viewer, Moment.local_date),
            Moment.local_date >= first,
            Moment.local_date <= last,
        )
    )
    found: dict[int, list[tuple[date, str, str]]] = {}
    for user_id, day, kind, outcome in rows:
        found.setdefault(user_id, []).append((day, kind, outcome))
    return found
