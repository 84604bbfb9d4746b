"""Queries on lesson progress, the checklist and reflections (notes)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import ChecklistItem, LessonProgress, StepOpened


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


async def mark_step_opened(
    session: AsyncSession, *, user_id: int, framework_id: str, step: int, now: datetime
) -> None:
    """Remember the first time ``step`` was opened; later visits change nothing."""
    if await session.get(StepOpened, (user_id, framework_id, step)) is None:
        session.add(
            StepOpened(user_id=user_id, framework_id=framework_id, step=step, opened_at=now)
        )


async def steps_opened(
    session: AsyncSession, user_id: int, framework_id: str
) -> dict[int, datetime]:
    """``{step: first opened}`` for one course."""
    rows = await session.execute(
        select(StepOpened.step, StepOpened.opened_at).where(
            StepOpened.user_id == user_id, StepOpened.framework_id == framework_id
        )
    )
    return {step: at for step, at in rows}


async def step_opening(
    session: AsyncSession, user_id: int, framework_id: str, step: int
) -> StepOpened | None:
    return await session.get(StepOpened, (user_id, framework_id, step))
