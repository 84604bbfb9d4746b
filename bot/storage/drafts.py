"""Private drafts: words for the partner that read like a crisis, kept for their author.

Only the author's own drafts are ever read; a draft changes state with one conditional
UPDATE, so two taps (or two processes) can never both send it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.engine import rows_changed
from bot.storage.models import CoupleMember, PrivateDraft, TalkQuestion, User

PENDING, PRIVATE, SENT = "pending", "private", "sent"
APPRECIATION, REPLY, TALK_ANSWER = "appreciation", "reply", "talk_answer"


async def add(
    session: AsyncSession,
    *,
    user_id: int,
    kind: str,
    body: str,
    now: datetime,
    couple_id: int | None = None,
    reply_to_id: int | None = None,
    question_id: int | None = None,
) -> PrivateDraft:
    draft = PrivateDraft(
        user_id=user_id,
        kind=kind,
        body=body,
        state=PENDING,
        created_at=now,
        couple_id=couple_id,
        reply_to_id=reply_to_id,
        question_id=question_id,
    )
    session.add(draft)
    await session.flush()
    return draft


async def own(session: AsyncSession, user_id: int, draft_id: int) -> PrivateDraft | None:
    """``user_id``'s draft ``draft_id``, fresh from the database; ``None`` if not theirs."""
    return await session.scalar(
        select(PrivateDraft)
        .where(PrivateDraft.id == draft_id, PrivateDraft.user_id == user_id)
        .execution_options(populate_existing=True)
    )


async def decide(
    session: AsyncSession, user_id: int, draft_id: int, state: str, now: datetime
) -> bool:
    """Move ``user_id``'s draft from pending to ``state``; ``False`` if it was not pending
    (decided already, by an earlier tap or another process) or is not theirs. On PostgreSQL
    the row stays locked until the transaction ends: a concurrent tap waits, then finds it
    decided."""
    result = await session.execute(
        update(PrivateDraft)
        .where(
            PrivateDraft.id == draft_id,
            PrivateDraft.user_id == user_id,
            PrivateDraft.state == PENDING,
        )
        .values(state=state, decided_at=now)
        .execution_options(synchronize_session=False)
    )
    return rows_changed(result) == 1


async def undo_decision(session: AsyncSession, draft_id: int) -> None:
    """Back to pending, in the same transaction (the send it was claimed for was refused)."""
    await session.execute(
        update(PrivateDraft)
        .where(PrivateDraft.id == draft_id)
        .values(state=PENDING, decided_at=None)
        .execution_options(synchronize_session=False)
    )


async def unsent(session: AsyncSession, user_id: int, ids: list[int]) -> dict[int, PrivateDraft]:
    """``user_id``'s drafts among ``ids`` that were not sent (for the journal)."""
    if not ids:
        return {}
    rows = await session.scalars(
        select(PrivateDraft).where(
            PrivateDraft.user_id == user_id,
            PrivateDraft.id.in_(ids),
            PrivateDraft.state != SENT,
        )
    )
    return {draft.id: draft for draft in rows}


async def unsent_keys(session: AsyncSession, user_id: int) -> list[tuple[int, datetime]]:
    """``(id, written at)`` of ``user_id``'s drafts that were not sent."""
    rows = await session.execute(
        select(PrivateDraft.id, PrivateDraft.created_at).where(
            PrivateDraft.user_id == user_id, PrivateDraft.state != SENT
        )
    )
    return [(draft_id, at) for draft_id, at in rows]


async def question_keys(session: AsyncSession, found: list[PrivateDraft]) -> dict[int, str]:
    """The bank keys of the questions ``found`` answer (by question id)."""
    ids = {draft.question_id for draft in found if draft.question_id is not None}
    if not ids:
        return {}
    rows = await session.execute(
        select(TalkQuestion.id, TalkQuestion.question_key).where(TalkQuestion.id.in_(ids))
    )
    return {question_id: key for question_id, key in rows}


async def other_member(session: AsyncSession, couple_id: int | None, user_id: int) -> User | None:
    """The person a draft was written for: the other member of its couple, ended or not."""
    if couple_id is None:
        return None
    return await session.scalar(
        select(User)
        .join(CoupleMember, CoupleMember.user_id == User.id)
        .where(CoupleMember.couple_id == couple_id, CoupleMember.user_id != user_id)
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


async def export_drafts(session: AsyncSession, user_id: int) -> dict[str, Any]:
    """``user_id``'s drafts for ``/export``, sent ones included (with their state): all
    that is stored of them."""
    rows = await session.execute(
        select(PrivateDraft, TalkQuestion.question_key)
        .outerjoin(TalkQuestion, TalkQuestion.id == PrivateDraft.question_id)
        .where(PrivateDraft.user_id == user_id)
        .order_by(PrivateDraft.created_at, PrivateDraft.id)
    )
    return {
        "private_drafts": [
            {
                "for": draft.kind,
                "question": question_key,
                "text": draft.body,
                "written_at": _iso(draft.created_at),
                "state": draft.state,
                "decided_at": _iso(draft.decided_at),
            }
            for draft, question_key in rows
        ]
    }


async def erase_drafts(session: AsyncSession, user_id: int) -> None:
    await session.execute(delete(PrivateDraft).where(PrivateDraft.user_id == user_id))
