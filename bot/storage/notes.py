"""Queries on notes: check-in notes and lesson reflections, each private until shared."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.engine import rows_changed
from bot.storage.models import Note
from bot.storage.scope import CoupleScope

PRIVATE, SHARED = "private", "shared"


async def add_note(
    session: AsyncSession,
    *,
    user_id: int,
    body: str,
    now: datetime,
    checkin_id: int | None = None,
    framework_id: str | None = None,
    step: int | None = None,
) -> Note:
    note = Note(
        user_id=user_id,
        body=body,
        visibility=PRIVATE,
        created_at=now,
        checkin_id=checkin_id,
        framework_id=framework_id,
        step=step,
    )
    session.add(note)
    await session.flush()
    return note


async def shared_reflections(
    session: AsyncSession, user_id: int, framework_id: str, scope: CoupleScope, *, limit: int
) -> list[tuple[int | None, str]]:
    """``(step, body)`` of the newest reflections ``user_id`` chose to share with the couple
    of ``scope`` (never those shared with someone before)."""
    rows = await session.execute(
        select(Note.step, Note.body)
        .where(Note.user_id == user_id, Note.framework_id == framework_id, scope.shared_notes())
        .order_by(Note.created_at.desc(), Note.id.desc())
        .limit(limit)
    )
    return [(step, body) for step, body in rows]


async def own_note(session: AsyncSession, note_id: int, author_id: int) -> Note | None:
    """One of ``author_id``'s notes; someone else's id finds nothing."""
    return await session.scalar(select(Note).where(Note.id == note_id, Note.user_id == author_id))


async def delete_note(session: AsyncSession, note_id: int, author_id: int) -> bool:
    """Erase one of ``author_id``'s notes; someone else's id erases nothing."""
    result = await session.execute(
        delete(Note)
        .where(Note.id == note_id, Note.user_id == author_id)
        .execution_options(synchronize_session=False)
    )
    return rows_changed(result) == 1
