"""Queries on check-ins, their answers, and moments.

Scheduling and sending the prompts (the dispatcher's outbox) is :mod:`bot.storage.checkin_outbox`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, delete, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.storage.engine import dialect_insert, on_postgresql, rows_changed
from bot.storage.models import Checkin, CheckinAnswer, Moment, Note

EVENING = "evening"
DIGEST = "digest"

_ANSWERS = cast(Table, CheckinAnswer.__table__)


async def get_checkin(session: AsyncSession, checkin_id: int) -> Checkin | None:
    return await session.get(Checkin, checkin_id)


def _newest_sent(user_id: Any) -> Select:
    return (
        select(Checkin)
        .where(Checkin.user_id == user_id, Checkin.kind == EVENING, Checkin.sent_at.is_not(None))
        .order_by(Checkin.local_date.desc())
        .limit(1)
    )


def _newest_open_id(user_id: Any, checkin: Any = Checkin) -> Select:
    """The user's newest evening check-in that was claimed for sending and not given up
    unsent: the one whose buttons are answered. A prompt counts from its claim, not from
    the moment its sending was recorded, so a tap in between is never refused."""
    return (
        select(checkin.id)
        .where(
            checkin.user_id == user_id,
            checkin.kind == EVENING,
            or_(checkin.sent_at.is_not(None), checkin.skipped_at.is_(None)),
        )
        .order_by(checkin.local_date.desc())
        .limit(1)
    )


def _with_answers(which: Any) -> Select:
    """The check-in ``which`` picks, whether it is its user's newest open one (see
    ``_newest_open_id``), and its answers, as an outer join: one row per answer (or one row
    with NULLs when there is none yet)."""
    newest = _newest_open_id(Checkin.user_id, aliased(Checkin)).scalar_subquery() == Checkin.id
    return (
        select(Checkin, newest.label("newest"), CheckinAnswer.item, CheckinAnswer.value)
        .outerjoin(CheckinAnswer, CheckinAnswer.checkin_id == Checkin.id)
        .where(Checkin.id == which)
    )


# Every tap on a check-in button asks all three (the check-in, whether it is the newest, its
# answers so far): one statement, built once (see bot.storage.users).
_CHECKIN_IF_NEWEST = _with_answers(bindparam("checkin_id"))
# Words typed in the evening ask the same of the user's newest prompt sent: one statement.
_NEWEST_SENT_WITH_ANSWERS = _with_answers(
    _newest_sent(bindparam("user_id")).with_only_columns(Checkin.id).scalar_subquery()
)

CheckinWithAnswers = tuple[Checkin, bool, dict[str, str]]


def _checkin_and_answers(rows: Sequence[Any]) -> CheckinWithAnswers | None:
    """``(check-in, newest, item, value)`` rows (see ``_with_answers``), gathered."""
    if not rows:
        return None
    answers = {item: value for _, _, item, value in rows if item is not None}
    return rows[0][0], bool(rows[0][1]), answers


async def checkin_if_newest(session: AsyncSession, checkin_id: int) -> CheckinWithAnswers | None:
    """A check-in, whether it is its user's newest open one (see ``_newest_open_id``), and
    its answers so far (item -> value)."""
    rows = (await session.execute(_CHECKIN_IF_NEWEST, {"checkin_id": checkin_id})).all()
    return _checkin_and_answers(rows)


async def newest_sent_with_answers(
    session: AsyncSession, user_id: int
) -> CheckinWithAnswers | None:
    """:func:`checkin_if_newest` for the user's newest evening prompt that was sent."""
    rows = (await session.execute(_NEWEST_SENT_WITH_ANSWERS, {"user_id": user_id})).all()
    return _checkin_and_answers(rows)


async def newest_sent_checkin(session: AsyncSession, user_id: int) -> Checkin | None:
    return await session.scalar(_newest_sent(user_id))


async def answers_of_many(
    session: AsyncSession, checkin_ids: list[int]
) -> dict[int, dict[str, str]]:
    if not checkin_ids:
        return {}
    rows = await session.execute(
        select(CheckinAnswer.checkin_id, CheckinAnswer.item, CheckinAnswer.value).where(
            CheckinAnswer.checkin_id.in_(checkin_ids)
        )
    )
    answers: dict[int, dict[str, str]] = {}
    for checkin_id, item, value in rows:
        answers.setdefault(checkin_id, {})[item] = value
    return answers


async def delete_answers(session: AsyncSession, checkin_id: int, items: list[str]) -> None:
    await session.execute(
        delete(CheckinAnswer).where(
            CheckinAnswer.checkin_id == checkin_id, CheckinAnswer.item.in_(items)
        )
    )


def _save_answer(insert: Any) -> Any:
    statement = insert(_ANSWERS).values(
        checkin_id=bindparam("checkin_id"),
        item=bindparam("item"),
        value=bindparam("value"),
        answered_at=bindparam("now"),
    )
    return statement.on_conflict_do_update(
        index_elements=["checkin_id", "item"],
        set_={"value": statement.excluded.value, "answered_at": statement.excluded.answered_at},
    )


# Most taps on a check-in button store an answer: built once per backend (whether the
# session is on PostgreSQL is the key), on the table, so the ORM has nothing to work out
# per tap (building and keying the ORM insert took ~20 % of a tap's own CPU).
_SAVE_ANSWER = {False: _save_answer(sqlite.insert), True: _save_answer(postgresql.insert)}


async def save_answer(
    session: AsyncSession, *, checkin_id: int, item: str, value: str, now: datetime
) -> None:
    """Insert or overwrite one answer; a replayed tap cannot create a second row."""
    await session.execute(
        _SAVE_ANSWER[on_postgresql(session)],
        {"checkin_id": checkin_id, "item": item, "value": value, "now": now},
    )


async def add_moment(
    session: AsyncSession,
    *,
    user_id: int,
    kind: str,
    outcome: str,
    now: datetime,
    local_date: date,
    message_id: int,
) -> bool:
    """Store a moment once per question message; ``False`` if it was stored already."""
    insert = dialect_insert(session)
    result = await session.execute(
        insert(Moment)
        .values(
            user_id=user_id,
            kind=kind,
            outcome=outcome,
            occurred_at=now,
            local_date=local_date,
            message_id=message_id,
        )
        .on_conflict_do_nothing(index_elements=["user_id", "message_id"])
    )
    return rows_changed(result) == 1


async def answers_between(
    session: AsyncSession, user_id: int, first: date, last: date
) -> dict[date, dict[str, str]]:
    """A user's check-in answers by local date, for ``first``..``last`` inclusive."""
    rows = await session.execute(
        select(Checkin.local_date, CheckinAnswer.item, CheckinAnswer.value)
        .join(CheckinAnswer, CheckinAnswer.checkin_id == Checkin.id)
        .where(
            Checkin.user_id == user_id,
            Checkin.kind == EVENING,
            Checkin.local_date >= first,
            Checkin.local_date <= last,
        )
    )
    answers: dict[date, dict[str, str]] = {}
    for day, item, value in rows:
        answers.setdefault(day, {})[item] = value
    return answers


async def checkin_notes_between(
    session: AsyncSession, user_id: int, first: date, last: date, *, shared_only: bool
) -> list[tuple[date, str, str]]:
    """``(local date, body, visibility)`` of a user's check-in notes in the range.

    ``shared_only`` for anyone but the author: private notes are then never even loaded.
    """
    statement = (
        select(Checkin.local_date, Note.body, Note.visibility)
        .join(Checkin, Checkin.id == Note.checkin_id)
        .where(Note.user_id == user_id, Checkin.local_date >= first, Checkin.local_date <= last)
        .order_by(Checkin.local_date, Note.id)
    )
    if shared_only:
        statement = statement.where(Note.visibility == "shared")
    rows = await session.execute(statement)
    return [(day, body, visibility) for day, body, visibility in rows]


async def moments_between(
    session: AsyncSession, user_id: int, first: date, last: date
) -> list[tuple[date, str, str]]:
    """``(local date, kind, outcome)`` of a user's /bid and /stress moments in the range."""
    rows = await session.execute(
        select(Moment.local_date, Moment.kind, Moment.outcome).where(
            Moment.user_id == user_id, Moment.local_date >= first, Moment.local_date <= last
        )
    )
    return [(day, kind, outcome) for day, kind, outcome in rows]


async def answerable_day(session: AsyncSession, user_id: int) -> date | None:
    """The day of the evening check-in the user can still answer (their newest, unless
    skipped), if any."""
    row = (
        await session.execute(
            select(Checkin.local_date, Checkin.skipped_at)
            .where(
                Checkin.user_id == user_id,
                Checkin.kind == EVENING,
                or_(Checkin.sent_at.is_not(None), Checkin.skipped_at.is_(None)),
            )
            .order_by(Checkin.local_date.desc())
            .limit(1)
        )
    ).first()
    return row[0] if row is not None and row[1] is None else None
