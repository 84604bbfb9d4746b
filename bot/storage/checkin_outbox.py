"""The check-in dispatcher's queries: who is due, the outbox of prompts to send (or send
again), claims, snoozes, reminders, and what was sent.

They add ``FOR UPDATE SKIP LOCKED`` on PostgreSQL: two bot processes then claim disjoint rows.
SQLite has one writer at a time, and the unique key on (user, local date, kind) is the last
word on duplicates for both. Answers and moments are :mod:`bot.storage.checkins`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from typing import cast

from sqlalchemy import ScalarSelect, Select, Table, and_, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.storage.checkins import EVENING
from bot.storage.engine import dialect_insert, on_postgresql, rows_changed
from bot.storage.models import Checkin, Couple, CoupleMember, User


@dataclass(frozen=True)
class DueUser:
    user_id: int
    telegram_id: int
    time_zone: str
    checkin_time: time
    due_at: datetime
    weekly_day: int
    paused_until: datetime | None


@dataclass(frozen=True)
class OutboxRow:
    """A check-in (or weekly digest) to send, or send again, with what the message needs."""

    checkin_id: int
    user_id: int
    telegram_id: int
    local_date: date
    includes_weekly: bool
    send_attempts: int
    due_at: datetime | None
    kind: str = EVENING
    # The recipient's language: the prompt is drawn in it.
    language: str = "en"
    # Answers given before a snooze: the re-sent prompt goes on from there.
    answers: Mapping[str, str] = field(default_factory=dict)
    # While paired: the partner's first name (the prompt offers "keep today to myself") and
    # the couple's first day (its prompt says what the partner will see).
    partner_name: str | None = None
    couple_first_day: date | None = None


def _locking(statement: Select, session: AsyncSession) -> Select:
    if on_postgresql(session):
        return statement.with_for_update(skip_locked=True, of=statement.selected_columns[0].table)
    return statement


async def due_users(session: AsyncSession, now: datetime, *, limit: int) -> list[DueUser]:
    """Users whose next check-in time has come, oldest first; uses the index on the due time."""
    statement = (
        select(
            User.id,
            User.telegram_id,
            User.time_zone,
            User.checkin_time,
            User.next_checkin_at,
            User.weekly_day,
            User.paused_until,
        )
        .where(User.next_checkin_at <= now)
        .order_by(User.next_checkin_at)
        .limit(limit)
    )
    rows = await session.execute(_locking(statement, session))
    return [DueUser(*row) for row in rows]


async def insert_checkins(session: AsyncSession, rows: list[dict[str, object]]) -> list[int]:
    """Insert claimed check-ins, skipping any (user, day, kind) that already has one.

    Returns the ids of the rows actually inserted.
    """
    if not rows:
        return []
    insert = dialect_insert(session)
    statement = (
        insert(Checkin)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["user_id", "local_date", "kind"])
        .returning(Checkin.id)
    )
    return list(await session.scalars(statement))


async def set_next_checkins(session: AsyncSession, schedule: dict[int, datetime | None]) -> None:
    """Move each user's due time (one statement, many parameter sets)."""
    if not schedule:
        return
    table = cast(Table, User.__table__)
    await session.execute(
        update(table)
        .where(table.c.id == bindparam("uid"))
        .values(next_checkin_at=bindparam("next_at")),
        [{"uid": uid, "next_at": at} for uid, at in schedule.items()],
    )


def _couple_of_recipient() -> tuple[ScalarSelect[str | None], ScalarSelect[date | None]]:
    """The recipient's partner's first name and their couple's first day, while paired:
    read with the row (correlated), so the prompt needs no query of its own."""
    mine, theirs = aliased(CoupleMember), aliased(CoupleMember)
    partner = aliased(User)
    name = (
        select(partner.first_name)
        .join(theirs, theirs.user_id == partner.id)
        .join(mine, mine.couple_id == theirs.couple_id)
        .where(
            mine.user_id == Checkin.user_id,
            mine.ended_at.is_(None),
            theirs.user_id != Checkin.user_id,
            theirs.ended_at.is_(None),
        )
        .limit(1)
        .scalar_subquery()
    )
    first_day = (
        select(Couple.first_day)
        .join(mine, mine.couple_id == Couple.id)
        .where(mine.user_id == Checkin.user_id, mine.ended_at.is_(None))
        .limit(1)
        .scalar_subquery()
    )
    return name, first_day


def _outbox_select() -> Select:
    partner_name, first_day = _couple_of_recipient()
    return select(
        Checkin.id,
        Checkin.user_id,
        User.telegram_id,
        Checkin.local_date,
        Checkin.includes_weekly,
        Checkin.send_attempts,
        Checkin.due_at,
        Checkin.kind,
        User.language,
        partner_name,
        first_day,
    ).join(User, User.id == Checkin.user_id)


async def outbox(session: AsyncSession, checkin_ids: list[int]) -> list[OutboxRow]:
    if not checkin_ids:
        return []
    return await _outbox_rows(session, _outbox_select().where(Checkin.id.in_(checkin_ids)))


async def _outbox_rows(session: AsyncSession, statement: Select) -> list[OutboxRow]:
    return [
        replace(OutboxRow(*row[:9]), partner_name=row[9], couple_first_day=row[10])
        for row in await session.execute(statement)
    ]


async def unsent(
    session: AsyncSession,
    *,
    owner: str,
    claimed_before: datetime,
    lapsed_before: datetime,
    limit: int,
) -> list[OutboxRow]:
    """Claimed but never recorded as sent: ``owner``'s own (a send that failed), or another
    process's whose claim lapsed (it died). Candidates to send again."""
    statement = (
        _outbox_select()
        .where(
            Checkin.sent_at.is_(None),
            Checkin.skipped_at.is_(None),
            Checkin.answered_at.is_(None),  # answered: it arrived, whatever the record says
            or_(
                and_(Checkin.claimed_by == owner, Checkin.claimed_at < claimed_before),
                Checkin.claimed_by.is_(None),
                Checkin.claimed_at < lapsed_before,
            ),
        )
        .order_by(Checkin.claimed_at)
        .limit(limit)
    )
    return await _outbox_rows(session, _locking(statement, session))


async def reclaim(session: AsyncSession, checkin_ids: list[int], owner: str, now: datetime) -> None:
    await set_fields(session, checkin_ids, claimed_at=now, claimed_by=owner)


async def renew_claims(session: AsyncSession, owner: str, now: datetime) -> int:
    """Keep ``owner``'s unsent claims from lapsing while it is alive and sending."""
    result = await session.execute(
        update(Checkin)
        .where(
            Checkin.claimed_by == owner,
            Checkin.sent_at.is_(None),
            Checkin.skipped_at.is_(None),
        )
        .values(claimed_at=now)
    )
    return rows_changed(result)


async def give_up(session: AsyncSession, checkin_ids: list[int], now: datetime) -> None:
    """Never send these: too old, or failed too often. ``skipped_at`` with no ``sent_at``."""
    await set_fields(session, checkin_ids, skipped_at=now)


@dataclass(frozen=True)
class Sent:
    """A prompt Telegram accepted (or may have: then ``message_id`` is unknown)."""

    checkin_id: int
    message_id: int | None
    at: datetime


async def mark_sent(session: AsyncSession, sent: list[Sent]) -> None:
    """Record prompts as delivered, each with its own time and message id."""
    if not sent:
        return
    table = cast(Table, Checkin.__table__)
    await session.execute(
        update(table)
        .where(table.c.id == bindparam("cid"))
        # (snoozed_until is left alone: a snooze tapped before this was recorded stands.)
        .values(sent_at=bindparam("at"), message_id=bindparam("mid")),
        [{"cid": row.checkin_id, "mid": row.message_id, "at": row.at} for row in sent],
    )


async def count_failed_send(session: AsyncSession, checkin_id: int, attempts: int) -> None:
    """One more failed send of a prompt claimed with ``attempts`` failed before: set, not
    added, so that writing it again (a commit whose answer was lost) counts it once."""
    await session.execute(
        update(Checkin).where(Checkin.id == checkin_id).values(send_attempts=attempts + 1)
    )


async def due_snoozes(session: AsyncSession, now: datetime, *, limit: int) -> list[OutboxRow]:
    statement = (
        _outbox_select()
        .where(
            # (An answer tapped after the snooze clears it: the person is back already.)
            Checkin.snoozed_until <= now,
            Checkin.skipped_at.is_(None),
        )
        .limit(limit)
    )
    return await _outbox_rows(session, _locking(statement, session))


async def due_reminders(
    session: AsyncSession, *, sent_before: datetime, sent_after: datetime, limit: int
) -> list[OutboxRow]:
    statement = (
        _outbox_select()
        .where(
            # The same condition as the partial index ix_checkins_remind, so it is used.
            and_(Checkin.sent_at < sent_before, Checkin.sent_at > sent_after),
            Checkin.kind == EVENING,  # a digest is not answered, so never reminded
            Checkin.answered_at.is_(None),
            Checkin.skipped_at.is_(None),
            Checkin.reminded_at.is_(None),
            Checkin.snoozed_until.is_(None),
        )
        .limit(limit)
    )
    return await _outbox_rows(session, _locking(statement, session))


async def set_fields(session: AsyncSession, checkin_ids: list[int], **values: object) -> None:
    if checkin_ids:
        await session.execute(update(Checkin).where(Checkin.id.in_(checkin_ids)).values(**values))
