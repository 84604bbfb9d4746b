"""The course: where each person is, their checklist, and their reflections."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.content import Framework, Page
from bot.content.course import Section
from bot.services.notes import MAX_NOTE_LENGTH
from bot.storage import lessons, notes
from bot.storage.models import LessonProgress, Note, User
from bot.storage.pairing import Partnership

# The course says "this week" for each step's practice: the next step is suggested a week
# after the last one was first opened (reading ahead is always possible).
STEP_PACE = timedelta(days=7)


@dataclass(frozen=True)
class Practice:
    """The step someone is practising: the last one they opened, and when the next is due."""

    framework: Framework
    step: Section
    opened_at: datetime
    next_step: Section | None  # None after the last step (or if it was opened already)

    @property
    def next_at(self) -> datetime:
        return self.opened_at + STEP_PACE

    def next_is_due(self, now: datetime) -> bool:
        return self.next_step is not None and now >= self.next_at


async def current_practice(
    session: AsyncSession, user: User, frameworks: dict[str, Framework], now: datetime
) -> Practice | None:
    """This week's practice: the step ``user`` opened last (by first opening) in the course
    they moved in last, or ``None`` before any step was opened. Exposed for the evening
    check-in, which recalls it ("This week: …")."""
    progress = await lessons.latest_progress(session, user.id)
    return await _practice_in(session, user, frameworks, now, progress)


async def _practice_in(
    session: AsyncSession,
    user: User,
    frameworks: dict[str, Framework],
    now: datetime,
    progress: LessonProgress | None,
) -> Practice | None:
    framework = frameworks.get(progress.framework_id) if progress is not None else None
    if framework is None:
        return None
    opened = await lessons.steps_opened(session, user.id, framework.id)
    known = {step: at for step, at in opened.items() if framework.step_section(step) and at <= now}
    if not known:
        return None
    step = max(known, key=lambda number: (known[number], number))
    section = framework.step_section(step)
    assert section is not None
    later = [s for s in framework.steps if s.step is not None and s.step > step]
    following = next((s for s in later if s.step not in known), None)
    return Practice(framework, section, known[step], following)


def practice_week(practice: Practice, at: datetime) -> int:
    """Which week of practising the step ``at`` falls in (0 the first). Pure."""
    return (at - practice.opened_at) // STEP_PACE


async def practice_to_recall(
    session: AsyncSession, user: User, frameworks: dict[str, Framework], now: datetime
) -> Practice | None:
    """This week's practice if the evening check-in has not recalled it yet this practice
    week (then it is recorded as recalled); else ``None``."""
    practice = await current_practice(session, user, frameworks, now)
    if practice is None or practice.step.step is None:
        return None
    opening = await lessons.step_opening(
        session, user.id, practice.framework.id, practice.step.step
    )
    if opening is None:
        return None
    recalled = opening.recalled_at
    if recalled is not None and practice_week(practice, recalled) >= practice_week(practice, now):
        return None
    opening.recalled_at = now
    return practice


@dataclass(frozen=True)
class Position:
    """Where someone is in a course: the page, and whether they have ever finished it."""

    framework: Framework
    page: Page
    finished: bool


async def position_in(session: AsyncSession, user: User, framework: Framework) -> Position | None:
    """``None`` if they never opened it. A page removed from the content since counts as
    the start of the course: better to re-read a card than to land nowhere."""
    progress = await lessons.get_progress(session, user.id, framework.id)
    if progress is None:
        return None
    page = framework.page(progress.card_id) or framework.pages()[0]
    return Position(framework, page, progress.completed_at is not None)


async def latest_position(
    session: AsyncSession, user: User, frameworks: dict[str, Framework]
) -> Position | None:
    """The course they moved in last, if it still exists."""
    progress = await lessons.latest_progress(session, user.id)
    return await _position_of(session, user, frameworks, progress)


async def _position_of(
    session: AsyncSession,
    user: User,
    frameworks: dict[str, Framework],
    progress: LessonProgress | None,
) -> Position | None:
    if progress is None or progress.framework_id not in frameworks:
        return None
    return await position_in(session, user, frameworks[progress.framework_id])


async def position_and_practice(
    session: AsyncSession, user: User, frameworks: dict[str, Framework], now: datetime
) -> tuple[Position | None, Practice | None]:
    """:func:`latest_position` and :func:`current_practice` (/learn shows both), with one
    look at the person's progress instead of two."""
    progress = await lessons.latest_progress(session, user.id)
    position = await _position_of(session, user, frameworks, progress)
    return position, await _practice_in(session, user, frameworks, now, progress)


async def move_to(
    session: AsyncSession, user: User, framework: Framework, page: Page, now: datetime
) -> None:
    if page.section is not None and page.section.step is not None:
        await lessons.mark_step_opened(
            session, user_id=user.id, framework_id=framework.id, step=page.section.step, now=now
        )
    await lessons.save_progress(
        session,
        user_id=user.id,
        framework_id=framework.id,
        page_key=page.key,
        completed=page.is_closing,
        now=now,
    )


async def partner_shared_reflections(
    session: AsyncSession, partnership: Partnership, framework: Framework, *, limit: int = 3
) -> list[tuple[str, str]]:
    """``(step title, text)`` of what the partner shared with this couple: never their
    private reflections, nor those shared with someone before."""
    shared = await notes.shared_reflections(
        session,
        partnership.partner.id,
        framework.id,
        partnership.scope(partnership.partner.time_zone),
        limit=limit,
    )
    result = []
    for step, body in shared:
        section = framework.step_section(step) if step is not None else None
        if section is not None:
            result.append((section.title, body))
    return result


async def ticked_steps(session: AsyncSession, user: User, framework: Framework) -> set[int]:
    known = {section.step for section in framework.steps}
    return await lessons.ticked_steps(session, user.id, framework.id) & known


async def toggle_step(
    session: AsyncSession, user: User, framework: Framework, step: int, now: datetime
) -> set[int]:
    ticked = await ticked_steps(session, user, framework)
    await lessons.set_tick(
        session,
        user_id=user.id,
        framework_id=framework.id,
        step=step,
        ticked=step not in ticked,
        now=now,
    )
    return ticked ^ {step}


async def save_reflection(
    session: AsyncSession,
    user: User,
    framework: Framework | None,
    step: int | None,
    body: str,
    now: datetime,
) -> Note:
    """Store an answer to a step's question, private until its author shares it.

    ``framework`` and ``step`` are ``None`` when the step has left the content since the
    question was asked: the answer is kept all the same.
    """
    if len(body) > MAX_NOTE_LENGTH:
        raise ValueError("reflection too long")
    return await notes.add_note(
        session,
        user_id=user.id,
        framework_id=framework.id if framework else None,
        step=step,
        body=body,
        now=now,
    )
