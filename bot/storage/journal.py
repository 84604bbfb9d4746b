"""Queries for someone's own journal: their notes, reflections, check-in answers and private
drafts."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage import drafts
from bot.storage.checkins import EVENING
from bot.storage.models import Checkin, CheckinAnswer, Note

NOTE, CHECKIN, DRAFT = "note", "checkin", "draft"


async def entry_keys(session: AsyncSession, user_id: int) -> list[tuple[str, int, datetime]]:
    """``(kind, id, when)`` of every entry of ``user_id``, newest first: their notes, and
    their evening check-ins that have at least one answer, and their drafts not sent (ids
    and times only)."""
    notes = await session.execute(select(Note.id, Note.created_at).where(Note.user_id == user_id))
    answered = await session.execute(
        select(Checkin.id, func.max(CheckinAnswer.answered_at))
        .join(CheckinAnswer, CheckinAnswer.checkin_id == Checkin.id)
        .where(Checkin.user_id == user_id, Checkin.kind == EVENING)
        .group_by(Checkin.id)
    )
    keys = [(NOTE, note_id, at) for note_id, at in notes]
    keys += [(CHECKIN, checkin_id, at) for checkin_id, at in answered]
    keys += [(DRAFT, draft_id, at) for draft_id, at in await drafts.unsent_keys(session, user_id)]
    return sorted(keys, key=lambda key: (key[2], key[1]), reverse=True)


async def notes_by_id(session: AsyncSession, user_id: int, ids: list[int]) -> dict[int, Note]:
    if not ids:
        return {}
    rows = await session.scalars(select(Note).where(Note.user_id == user_id, Note.id.in_(ids)))
    return {note.id: note for note in rows}


async def checkin_answers(
    session: AsyncSession, user_id: int, ids: list[int]
) -> dict[int, tuple[date, dict[str, str]]]:
    """``{check-in id: (its local day, {item: value})}`` for ``user_id``'s check-ins."""
    if not ids:
        return {}
    rows = await session.execute(
        select(Checkin.id, Checkin.local_date, CheckinAnswer.item, CheckinAnswer.value)
        .join(CheckinAnswer, CheckinAnswer.checkin_id == Checkin.id)
        .where(Checkin.user_id == user_id, Checkin.id.in_(ids))
        .order_by(CheckinAnswer.id)
    )
    found: dict[int, tuple[date, dict[str, str]]] = {}
    for checkin_id, day, item, value in rows:
        found.setdefault(checkin_id, (day, {}))[1][item] = value
    return found
