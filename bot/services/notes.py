"""Notes people write (check-in notes, lesson reflections): private unless shared."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage import notes
from bot.storage.models import User

# Well under Telegram's 4096 so a note can always be shown back in one message.
MAX_NOTE_LENGTH = 4000


async def set_note_shared(session: AsyncSession, user: User, note_id: int, *, shared: bool) -> bool:
    """Share or unshare one of ``user``'s own notes; someone else's id changes nothing."""
    return await notes.set_note_visibility(
        session,
        note_id=note_id,
        author_id=user.id,
        visibility=notes.SHARED if shared else notes.PRIVATE,
    )
