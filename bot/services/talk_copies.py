"""The copies of questions to talk about that the together job sends: the ones a receiver's
quiet hours held back, and a guided talk's step whose send a crash cut off.

Each is claimed with what its message needs beyond the row: for a guided talk's step, the day
it is about and how the receiver and their partner saw it, read in the claiming transaction
from the receiver's side through the couple's reveal rule (:mod:`bot.services.guided`). The
job builds the message with :func:`bot.views.together.question_copy`, the builder the chat
uses, so a copy sent after a crash reads like the one the chat would have sent.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.guided import GUIDED, GuidedDay, day_seen_differently, guided_day
from bot.services.quiet_hours import awake_zones
from bot.services.talk import OPEN_FOR
from bot.storage import talk as talk_rows
from bot.storage import users
from bot.storage.talk import QuestionToSend


@dataclass(frozen=True)
class QuestionCopy(QuestionToSend):
    """A claimed copy, with a guided talk's day from the receiver's side (``about.asker``
    are theirs; ``None`` for any other question, or a day no longer seen by both)."""

    about: GuidedDay | None = None


async def _about(session: AsyncSession, row: QuestionToSend, now: datetime) -> GuidedDay | None:
    day = guided_day(row.question_key) if row.trigger == GUIDED else None
    if day is None:
        return None
    receiver = await users.get_user(session, row.user_id)
    return await day_seen_differently(session, receiver, now, day) if receiver else None


async def claim_copies(
    session: AsyncSession, now: datetime, *, owner: str, lease: timedelta, limit: int
) -> list[QuestionCopy]:
    """Unsent copies whose receiver is awake and not waiting on an older question (see
    :func:`bot.storage.talk.claim_unsent_questions`), claimed by ``owner`` — each with what
    its message names."""
    lapsed, since = now - lease, now - OPEN_FOR
    zones = await talk_rows.zones_of_unsent_questions(
        session, lapsed_before=lapsed, open_since=since
    )
    rows = await talk_rows.claim_unsent_questions(
        session, zones=awake_zones(zones, now), lapsed_before=lapsed, open_since=since, limit=limit
    )
    await talk_rows.claim_questions(session, rows, owner, now)
    return [QuestionCopy(**asdict(row), about=await _about(session, row, now)) for row in rows]
