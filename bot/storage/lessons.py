"""Queries on lesson progress, the checklist and reflections (notes)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import ChecklistItem, LessonProgress, Note


async def get_progress(
    session: AsyncSession, user_id: int, framework_id: str
) -> LessonProgress | None:
    return await session.get(LessonProgress, (user_id, framework_id))


async def latest_progress(session: AsyncSession, user_id: int) -> LessonProgress | None:
    """The course this user moved in most recently."""
    return await session.scalar(
        select(LessonProgress)
        .where(LessonProgress.user_id == user_id)
        .order_by(LessonProgress.updated_at.desc())
        .limit(1)
    )


async def save_progress(
    session: AsyncSession,
    *,
    user_id: int,
    framework_id: str,
    page_key: str,
    completed: bool,
    now: datetime,
) -> LessonProgress:
    progress = await get_progress(session, user_id, framework_id)
    if progress is None:
        progress = LessonProgress(user_id=user_id, framework_id=framework_id, card_id=page_key)
        session.add(progress)
    progress.card_id = page_key
    progress.updated_at = now
    if completed and progress.completed_at is None:
        progress.completed_at = now
    return progress


async def ticked_steps(session: AsyncSession, user_id: int, framework_id: str) -> set[int]:
    rows = await session.scalars(
        select(ChecklistItem.step).where(
            ChecklistItem.user_id == user_id, ChecklistItem.framework_id == framework_id
        )
    )
    return set(rows)


async def set_tick(
    session: AsyncSession,
    *,
    user_id: int,
    framework_id: str,
    step: int,
    ticked: bool,
    now: datetime,
) -> None:
    key = (user_id, framework_id, step)
    existing = await session.get(ChecklistItem, key)
    if ticked and existing is None:
        session.add(
            ChecklistItem(user_id=user_id, framework_id=framework_id, step=step, done_at=now)
        )
    elif not ticked and existing is not None:
        await session.execute(
            delete(ChecklistItem).where(
                ChecklistItem.user_id == user_id,
                ChecklistItem.framework_id == framework_id,
                ChecklistItem.step == step,
            )
        )


async def add_reflection(
    session: AsyncSession, *, user_id: int, framework_id: str, step: int, body: str, now: datetime
) -> Note:
    note = Note(
        user_id=user_id,
        framework_id=framework_id,
        step=step,
        body=body,
        visibility="private",
        created_at=now,
    )
    session.add(note)
    await session.flush()
    return note


async def set_note_visibility(
    session: AsyncSession, *, note_id: int, author_id: int, visibility: str
) -> bool:
    """Change a note's visibility; only its author can, so a forged id changes nothing."""
    result = await session.execute(
        update(Note)
        .where(Note.id == note_id, Note.user_id == author_id)
        .values(visibility=visibility)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]
