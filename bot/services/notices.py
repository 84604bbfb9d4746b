"""One-time notices: what the bot owes someone to say once (e.g. after an upgrade changed a
setting for them), taken by the periodic job."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage import notices, pairing, users
from bot.storage.models import User

# Two partners had picked different weekly question days; the couple now has the inviter's.
QUESTION_DAY = "question_day"


@dataclass(frozen=True)
class Due:
    kind: str
    user: User
    partner: User | None


async def take_due(session: AsyncSession, now: datetime, *, limit: int = 100) -> list[Due]:
    """Notices to send now, already marked sent (at most once each)."""
    due = []
    for notice in await notices.claim_unsent(session, now, limit=limit):
        user = await users.get_user(session, notice.user_id)
        if user is None or not user.active:
            continue
        partnership = await pairing.active_partnership(session, user.id)
        due.append(Due(notice.kind, user, partnership.partner if partnership else None))
    return due
