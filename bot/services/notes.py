"""Notes people write (check-in notes, lesson reflections): private unless shared."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.crisis import EveryLanguage
from bot.storage import notes
from bot.storage.models import Note, User

# Well under Telegram's 4096 so a note can always be shown back in one message.
MAX_NOTE_LENGTH = 4000


@dataclass(frozen=True)
class Visibility:
    """A note after a share or unshare: ``changed`` is false for a second tap. ``refused``:
    its words read like a crisis, so it stays private (the partner may be the danger)."""

    note: Note
    changed: bool
    refused: bool = False


async def set_note_shared(
    session: AsyncSession, user: User, note_id: int, *, shared: bool, crisis: EveryLanguage
) -> Visibility | None:
    """Share or unshare one of ``user``'s own notes; someone else's id finds nothing.

    The words are checked at every share, not only when written: a note edited since its
    "Share" button was shown (or a forged button) must not carry words of danger to the
    partner."""
    note = await notes.own_note(session, note_id, user.id)
    if note is None:
        return None
    if shared and crisis.matches(note.body):
        note.visibility = notes.PRIVATE
        return Visibility(note, changed=False, refused=True)
    target = notes.SHARED if shared else notes.PRIVATE
    changed = note.visibility != target
    note.visibility = target
    return Visibility(note, changed)


async def own_note(session: AsyncSession, user: User, note_id: int) -> Note | None:
    return await notes.own_note(session, note_id, user.id)


async def edit_note(
    session: AsyncSession, user: User, note_id: int, body: str, *, keep_shared: bool
) -> Note | None:
    """New words for one of ``user``'s notes (``None`` if it is gone or not theirs).
    ``keep_shared`` false makes it private (words of danger are never left shared)."""
    if len(body) > MAX_NOTE_LENGTH:
        raise ValueError("note too long")
    note = await notes.own_note(session, note_id, user.id)
    if note is None:
        return None
    note.body = body
    if not keep_shared:
        note.visibility = notes.PRIVATE
    return note


async def delete_note(session: AsyncSession, user: User, note_id: int) -> bool:
    return await notes.delete_note(session, note_id, user.id)
