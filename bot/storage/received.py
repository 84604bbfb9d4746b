"""Queries on the recorded incoming updates (``received_updates``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import Enum
from typing import cast

from sqlalchemy import Table, bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.engine import dialect_insert, on_postgresql, rows_changed
from bot.storage.models import ReceivedUpdate


async def record(
    session: AsyncSession, updates: Sequence[tuple[int, str, int | None]], now: datetime
) -> set[int]:
    """Record ``(update_id, json, person)`` not seen before (``person``: the sender's
    Telegram id, if any); returns the ids already handled (Telegram sent them again)."""
    if not updates:
        return set()
    insert = dialect_insert(session)
    await session.execute(
        insert(ReceivedUpdate)
        .values(
            [
                {"update_id": i, "payload": p, "received_at": now, "person": who}
                for i, p, who in updates
            ]
        )
        .on_conflict_do_nothing(index_elements=["update_id"])
    )
    ids = [update_id for update_id, _, _ in updates]
    handled = await session.scalars(
        select(ReceivedUpdate.update_id).where(
            ReceivedUpdate.update_id.in_(ids), ReceivedUpdate.handled_at.is_not(None)
        )
    )
    return set(handled)


_RECEIVED = cast(Table, ReceivedUpdate.__table__)
# Every update ends with this statement: built once (see bot.storage.users), on the table, so
# the ORM has no session state to synchronise.
_MARK_HANDLED = (
    update(_RECEIVED)
    .where(_RECEIVED.c.update_id == bindparam("handled_id"), _RECEIVED.c.handled_at.is_(None))
    # Handled: the id is all that is needed from now on (to skip a resend), and what the turn
    # will say until it is sent (crossed off by mark_all_handled).
    .values(handled_at=bindparam("now"), payload="", replies=bindparam("replies"))
)


async def mark_handled(
    session: AsyncSession, update_id: int, now: datetime, replies: str | None = None
) -> None:
    """In the transaction of the update's changes: it is then never handled again, and its
    ``replies`` (JSON) are sent after a crash if they were not crossed off before."""
    await session.execute(_MARK_HANDLED, {"handled_id": update_id, "now": now, "replies": replies})


async def mark_all_handled(session: AsyncSession, update_ids: Sequence[int], now: datetime) -> None:
    """Each update the process finished since the last batch: marked handled if its handler
    changed nothing, and its replies, all sent now, crossed off — one statement a batch."""
    if update_ids:
        table = _RECEIVED.c
        await session.execute(
            update(ReceivedUpdate)
            .where(
                ReceivedUpdate.update_id.in_(update_ids),
                table.handled_at.is_(None) | table.replies.is_not(None),
            )
            # Handled: the id is all that is needed from now on (to skip a resend).
            .values(handled_at=func.coalesce(table.handled_at, now), payload="", replies=None)
        )


async def replies_left(session: AsyncSession, claimed_before: datetime) -> list[tuple[int, str]]:
    """``(update_id, replies)`` of handled updates whose replies were not crossed off (a crash
    came between the commit and the batch after the sends), their claim (``received_at``,
    renewed by a live webhook instance, see :func:`renew`) older than ``claimed_before``,
    oldest first."""
    rows = await session.execute(
        select(ReceivedUpdate.update_id, ReceivedUpdate.replies)
        .where(ReceivedUpdate.replies.is_not(None), ReceivedUpdate.received_at < claimed_before)
        .order_by(ReceivedUpdate.update_id)
    )
    return [(update_id, replies) for update_id, replies in rows if replies is not None]


async def renew(session: AsyncSession, update_id: int, now: datetime) -> None:
    """A live instance still has this update in hands (handling it, or sending its
    replies): its claim is renewed, so nobody takes it over."""
    await session.execute(
        update(ReceivedUpdate)
        .where(
            ReceivedUpdate.update_id == update_id,
            ReceivedUpdate.handled_at.is_(None) | ReceivedUpdate.replies.is_not(None),
        )
        .values(received_at=now)
    )


async def cross_off(session: AsyncSession, update_ids: Sequence[int]) -> None:
    if update_ids:
        await session.execute(
            update(ReceivedUpdate)
            .where(ReceivedUpdate.update_id.in_(update_ids))
            .values(replies=None)
        )


async def unhandled(session: AsyncSession) -> list[str]:
    """The JSON of every recorded update not handled yet, in the order Telegram sent them."""
    rows = await session.scalars(
        select(ReceivedUpdate.payload)
        .where(ReceivedUpdate.handled_at.is_(None))
        .order_by(ReceivedUpdate.update_id)
    )
    return list(rows)


async def prune(session: AsyncSession, received_before: datetime) -> None:
    """Forget handled updates that arrived before ``received_before``."""
    await session.execute(
        delete(ReceivedUpdate).where(
            ReceivedUpdate.received_at < received_before, ReceivedUpdate.handled_at.is_not(None)
        )
    )


async def drop_unhandled(session: AsyncSession, received_before: datetime) -> int:
    """Forget unhandled updates that arrived before ``received_before``; how many."""
    result = await session.execute(
        delete(ReceivedUpdate).where(
            ReceivedUpdate.received_at < received_before, ReceivedUpdate.handled_at.is_(None)
        )
    )
    return rows_changed(result)


class Claim(Enum):
    """What an instance taking an update from a webhook request found."""

    MINE = "mine"  # new, or abandoned by a process that died: handle it
    HANDLED = "handled"  # handled before: acknowledge it, nothing more
    ELSEWHERE = "elsewhere"  # another instance is handling it right now


async def claim(
    session: AsyncSession,
    update_id: int,
    payload: str,
    now: datetime,
    stale_before: datetime,
    person: int | None = None,
) -> Claim:
    """Record an update and claim its handling (webhook mode: several instances may be sent
    the same update). ``received_at`` doubles as the claim's time: an unhandled record older
    than ``stale_before`` belonged to a process that died, and is taken over."""
    insert = dialect_insert(session)
    statement = (
        insert(ReceivedUpdate)
        .values(update_id=update_id, payload=payload, received_at=now, person=person)
        .on_conflict_do_update(
            index_elements=["update_id"],
            set_={"received_at": now},
            where=ReceivedUpdate.handled_at.is_(None) & (ReceivedUpdate.received_at < stale_before),
        )
        .returning(ReceivedUpdate.update_id)
    )
    if await session.scalar(statement) is not None:
        return Claim.MINE
    handled = await session.scalar(
        select(ReceivedUpdate.handled_at).where(ReceivedUpdate.update_id == update_id)
    )
    return Claim.HANDLED if handled is not None else Claim.ELSEWHERE


async def is_handled(session: AsyncSession, update_id: int) -> bool:
    handled = await session.scalar(
        select(ReceivedUpdate.handled_at).where(ReceivedUpdate.update_id == update_id)
    )
    return handled is not None


async def claim_abandoned(
    session: AsyncSession, stale_before: datetime, now: datetime, *, limit: int
) -> list[str]:
    """Claim unhandled records older than ``stale_before`` (their process died after taking
    them), oldest first; their JSON."""
    stale = (
        select(ReceivedUpdate.update_id)
        .where(ReceivedUpdate.handled_at.is_(None), ReceivedUpdate.received_at < stale_before)
        .order_by(ReceivedUpdate.update_id)
        .limit(limit)
    )
    if on_postgresql(session):
        stale = stale.with_for_update(skip_locked=True)
    rows = await session.execute(
        update(ReceivedUpdate)
        .where(ReceivedUpdate.update_id.in_(stale))
        .values(received_at=now)
        .returning(ReceivedUpdate.update_id, ReceivedUpdate.payload)
    )
    return [payload for _, payload in sorted((row[0], row[1]) for row in rows)]


async def erase_person(session: AsyncSession, person: int, keep: int | None = None) -> None:
    """/delete: every record of ``person``'s updates but ``keep`` (the one erasing, still
    to be marked handled; its payload is blanked then), and the replies not yet crossed off
    that were to go to them (a partner's turn may quote their words back to them)."""
    await session.execute(
        delete(ReceivedUpdate).where(
            ReceivedUpdate.person == person, ReceivedUpdate.update_id != (keep or 0)
        )
    )
    await session.execute(
        update(ReceivedUpdate)
        .where(
            ReceivedUpdate.replies.is_not(None),
            ReceivedUpdate.update_id != (keep or 0),
            ReceivedUpdate.replies.contains(f'"chat_id":{int(person)},', autoescape=True),
        )
        .values(replies=None)
    )
