"""Appreciations, questions to talk about and safe-haven tips: one user's export, and what
their erasure takes with it, from their own data and from their partners'.

What goes when someone erases their data (``/delete``), and why:

- **Appreciations they sent or received, and the replies to them, are removed**, from both
  partners' data. An appreciation names its receiver and tells what they did; one they wrote
  is their words. A "deleted" marker in its place would still say when, and how often, they
  thanked or were thanked: a trace of the person who asked to leave none. The survivor read
  each one in their chat when it arrived.
- **Their answers to questions to talk about are removed.** The question stays with the
  partner's own answer (their words, theirs to keep). A question both had answered
  (``revealed_at`` set) that has lost the other answer can only have lost it to an erasure,
  so the export marks that slot "deleted" without anything of the deleted person stored.
- **Tips about their hard days are removed from the partner's data.** A tip is stored with
  its receiver only, but it exists because the other partner was stressed, and its text names
  them: every tip the partner received while paired with them was about them (tips go only to
  the partner in an active couple), so those are found by the couple's time together.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.storage.models import (
    Appreciation,
    Couple,
    CoupleMember,
    SafeHavenTip,
    TalkAnswer,
    TalkQuestion,
    User,
)


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


async def export_together(session: AsyncSession, user: User) -> dict[str, Any]:
    """``user``'s appreciations (sent, and received as shown), their question answers (the
    partner's only once revealed; "deleted" once the partner erased theirs), and the tips
    *they received*. Nothing here says whether ``user`` was the stressed one: tips are stored
    with their receiver only. Codes (a question's key) are labelled by the service."""
    partner = aliased(User)
    appreciations = await session.execute(
        select(Appreciation, partner.first_name)
        .join(
            partner,
            partner.id
            == func.coalesce(
                func.nullif(Appreciation.sender_id, user.id), Appreciation.receiver_id
            ),
        )
        .where(
            or_(
                Appreciation.sender_id == user.id,
                (Appreciation.receiver_id == user.id) & Appreciation.delivered_at.is_not(None),
            )
        )
        .order_by(Appreciation.sent_at, Appreciation.id)
    )
    mine_rows = await session.execute(
        select(TalkQuestion, TalkAnswer)
        .join(TalkAnswer, TalkAnswer.question_id == TalkQuestion.id)
        .where(TalkAnswer.user_id == user.id, TalkAnswer.sent_at.is_not(None))
        .order_by(TalkQuestion.asked_at, TalkQuestion.id)
    )
    questions = list(mine_rows)
    theirs: dict[int, str | None] = {}
    revealed = [question.id for question, _ in questions if question.revealed_at is not None]
    if revealed:
        for question_id, body in await session.execute(
            select(TalkAnswer.question_id, TalkAnswer.body).where(
                TalkAnswer.question_id.in_(revealed), TalkAnswer.user_id != user.id
            )
        ):
            theirs[question_id] = body
    tips = await session.scalars(
        select(SafeHavenTip)
        .where(SafeHavenTip.receiver_id == user.id, SafeHavenTip.sent_at.is_not(None))
        .order_by(SafeHavenTip.sent_at)
    )
    exported: dict[str, Any] = {
        "appreciations": [
            {
                "direction": "sent" if item.sender_id == user.id else "received",
                "partner": name,
                "is_reply": item.reply_to_id is not None,
                "text": item.body,
                "at": _iso(item.sent_at),
                "delivered": item.delivered_at is not None,
                "thanked_at": _iso(item.thanked_at),
            }
            for item, name in appreciations
        ],
        "questions_to_talk_about": [
            {
                "question": question.question_key,
                "asked_at": _iso(question.asked_at),
                "my_answer": answer.body,
                "answered_at": _iso(answer.answered_at),
                "partner_answer": theirs.get(question.id),
                # Revealed means both had answered: a missing answer was erased with its
                # author's data (see the module's docstring).
                "partner_answer_deleted": question.revealed_at is not None
                and question.id not in theirs,
                "revealed_at": _iso(question.revealed_at),
            }
            for question, answer in questions
        ],
    }
    received = [
        {"date": _iso(tip.local_date), "sent_at": _iso(tip.sent_at), "text": tip.body}
        for tip in tips
    ]
    if received:  # absent otherwise: an export never hints that tips exist about its owner
        exported["safe_haven_tips_received"] = received
    return exported


async def erase_together(session: AsyncSession, user_id: int) -> None:
    """Everything of this section that is ``user_id``'s, was sent to them, or (a tip) was
    about them; run while their couple memberships still exist. The rule and its reasons:
    the module's docstring."""
    await _erase_tips_about(session, user_id)
    await session.execute(
        delete(Appreciation).where(
            Appreciation.reply_to_id.in_(
                select(Appreciation.id).where(
                    or_(Appreciation.sender_id == user_id, Appreciation.receiver_id == user_id)
                )
            )
        )
    )
    await session.execute(
        delete(Appreciation).where(
            or_(Appreciation.sender_id == user_id, Appreciation.receiver_id == user_id)
        )
    )
    await session.execute(delete(TalkAnswer).where(TalkAnswer.user_id == user_id))
    # Questions nobody has a copy of any more are nobody's history.
    await session.execute(
        delete(TalkQuestion).where(
            TalkQuestion.couple_id.in_(
                select(CoupleMember.couple_id).where(CoupleMember.user_id == user_id)
            ),
            ~select(TalkAnswer.question_id)
            .where(TalkAnswer.question_id == TalkQuestion.id)
            .exists(),
        )
    )
    await session.execute(delete(SafeHavenTip).where(SafeHavenTip.receiver_id == user_id))


async def _erase_tips_about(session: AsyncSession, user_id: int) -> None:
    """The tips each partner of ``user_id`` got while paired with them: each was about a hard
    day of ``user_id``'s, and names them. A tip is claimed (its row made) while the couple is
    active, so its ``claimed_at`` falls in the couple's time together."""
    mine = aliased(CoupleMember)
    theirs = aliased(CoupleMember)
    about_them = (
        select(SafeHavenTip.id)
        .join(theirs, theirs.user_id == SafeHavenTip.receiver_id)
        .join(mine, (mine.couple_id == theirs.couple_id) & (mine.user_id == user_id))
        .join(Couple, Couple.id == mine.couple_id)
        .where(
            theirs.user_id != user_id,
            SafeHavenTip.claimed_at >= Couple.created_at,
            or_(Couple.ended_at.is_(None), SafeHavenTip.claimed_at <= Couple.ended_at),
        )
    )
    await session.execute(delete(SafeHavenTip).where(SafeHavenTip.id.in_(about_them)))
