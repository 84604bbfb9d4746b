"""Private drafts: nothing someone meant to send is thrown away, and nothing that reads like a
crisis reaches the partner without the author's confirmed choice.

A ``/thanks``, a reply to one, or a ``/talk`` answer whose words read like a crisis is kept
here, for its author only, instead of being sent. The author then keeps it private (for good;
a question they kept their answer from reveals neither answer) or sends it after all — a
second, confirmed tap — through the same services as the usual way, with all their rules.
Each decision is one conditional UPDATE from "pending" in the update's transaction: a
repeated, stale or forged tap changes nothing, and a draft is never sent twice. A send the
rules refuse (the daily limit, a mute, an ended couple) leaves the draft pending.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.together import TogetherContent
from bot.services import appreciations, talk
from bot.storage import drafts, pairing
from bot.storage.drafts import APPRECIATION, PENDING, PRIVATE, REPLY, SENT, TALK_ANSWER
from bot.storage.models import PrivateDraft, User


class Stale(StrEnum):
    """Why a draft's button does nothing."""

    GONE = "gone"  # not the presser's own (forged), or erased
    SENT = "sent"
    PRIVATE = "private"


def _stale(draft: PrivateDraft | None) -> Stale:
    if draft is None:
        return Stale.GONE
    return Stale.SENT if draft.state == SENT else Stale.PRIVATE


async def keep_appreciation(
    session: AsyncSession, user: User, body: str, now: datetime
) -> PrivateDraft | appreciations.Refusal:
    """An appreciation for the partner kept back; only someone paired has anyone to send it
    to (the draft remembers which couple: it is never sent to a later partner)."""
    partnership = await pairing.active_partnership(session, user.id)
    if partnership is None:
        return appreciations.Refusal.NOT_PAIRED
    return await drafts.add(
        session,
        user_id=user.id,
        kind=APPRECIATION,
        body=body,
        now=now,
        couple_id=partnership.couple_id,
    )


async def keep_reply(
    session: AsyncSession, user: User, appreciation_id: int, body: str, now: datetime
) -> PrivateDraft | appreciations.Refusal | None:
    """A reply to an appreciation kept back; as :func:`appreciations.may_reply` says if it
    cannot be answered (``None``: not theirs)."""
    found = await appreciations.may_reply(session, user, appreciation_id)
    if not isinstance(found, appreciations.Received):
        return found
    return await drafts.add(
        session,
        user_id=user.id,
        kind=REPLY,
        body=body,
        now=now,
        couple_id=found.appreciation.couple_id,
        reply_to_id=appreciation_id,
    )


async def keep_answer(
    session: AsyncSession,
    content: TogetherContent,
    user: User,
    question_id: int,
    body: str,
    now: datetime,
) -> PrivateDraft | talk.Refusal | None:
    """An answer to a question kept back; nothing about it changes for the partner (they see
    the question as not yet answered) until the author decides."""
    found = await talk.may_answer(session, content, user, question_id)
    if not isinstance(found, talk.OpenQuestion):
        return found
    return await drafts.add(
        session,
        user_id=user.id,
        kind=TALK_ANSWER,
        body=body,
        now=now,
        couple_id=found.question.couple_id,
        question_id=question_id,
    )


@dataclass(frozen=True)
class ToConfirm:
    """A draft whose "send it anyway" asks once more, and whom it was written for
    (``None`` if they erased their data); ``ended``: that couple has ended, so it can go to
    nobody."""

    draft: PrivateDraft
    partner: User | None
    ended: bool


async def to_confirm(session: AsyncSession, user: User, draft_id: int) -> ToConfirm | Stale:
    """``user``'s own draft, still undecided, for the question before it is sent."""
    draft = await drafts.own(session, user.id, draft_id)
    if draft is None or draft.state != PENDING:
        return _stale(draft)
    partnership = await pairing.active_partnership(session, user.id)
    if partnership is None or partnership.couple_id != draft.couple_id:
        return ToConfirm(draft, await drafts.other_member(session, draft.couple_id, user.id), True)
    return ToConfirm(draft, partnership.partner, False)


@dataclass(frozen=True)
class Kept:
    draft: PrivateDraft
    # For an answer: the question now has no answer from the author this time.
    passed: talk.Passed | None


async def keep_private(
    session: AsyncSession, content: TogetherContent, user: User, draft_id: int, now: datetime
) -> Kept | Stale:
    """ "Keep it private": for good. An answer kept private closes the question for both
    (when the author has not answered it otherwise meanwhile)."""
    if not await drafts.decide(session, user.id, draft_id, PRIVATE, now):
        return _stale(await drafts.own(session, user.id, draft_id))
    draft = await drafts.own(session, user.id, draft_id)
    assert draft is not None
    passed = None
    if draft.kind == TALK_ANSWER and draft.question_id is not None:
        passed = await talk.pass_question(session, content, user, draft.question_id, now)
    return Kept(draft, passed)


Outcome = appreciations.Relay | appreciations.Refusal | talk.Answered | talk.Refusal | None


@dataclass(frozen=True)
class Sent:
    """What became of a confirmed send: ``outcome`` is the service's own answer (a relay, an
    answer, a refusal; ``None``: what it was for is gone)."""

    draft: PrivateDraft
    outcome: Outcome
    # Whom it was written for (to name them in a refusal), ``None`` if they erased their data.
    partner: User | None


async def _send(
    session: AsyncSession, content: TogetherContent, user: User, draft: PrivateDraft, now: datetime
) -> Outcome:
    if draft.kind == APPRECIATION:
        partnership = await pairing.active_partnership(session, user.id)
        if partnership is None:
            return appreciations.Refusal.NOT_PAIRED
        if partnership.couple_id != draft.couple_id:
            return appreciations.Refusal.NO_LONGER_PAIRED  # never to a later partner
        return await appreciations.send(session, user, draft.body, now)
    if draft.kind == REPLY:
        if draft.reply_to_id is None:
            return None
        return await appreciations.reply(session, user, draft.reply_to_id, draft.body, now)
    if draft.question_id is None:
        return None
    return await talk.answer(session, content, user, draft.question_id, draft.body, now)


async def send(
    session: AsyncSession, content: TogetherContent, user: User, draft_id: int, now: datetime
) -> Sent | Stale:
    """The confirmed "send it anyway": claimed first (pending to sent), then sent through
    the usual service; refused there, the draft is pending again, as if never tapped."""
    if not await drafts.decide(session, user.id, draft_id, SENT, now):
        return _stale(await drafts.own(session, user.id, draft_id))
    draft = await drafts.own(session, user.id, draft_id)
    assert draft is not None
    outcome = await _send(session, content, user, draft, now)
    if not isinstance(outcome, appreciations.Relay | talk.Answered):
        await drafts.undo_decision(session, draft.id)
    return Sent(draft, outcome, await drafts.other_member(session, draft.couple_id, user.id))
