"""Notes people write (check-in notes, lesson reflections): private unless shared."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.crisis_matcher import EveryLanguage
from bot.storage import notes, pairing
from bot.storage.models import Note, User
from bot.storage.pairing import Partnership
from bot.storage.scope import sharing_paused

# Well under Telegram's 4096 so a note can always be shown back in one message.
MAX_NOTE_LENGTH = 4000


@dataclass(frozen=True)
class Visibility:
    """A note after a share or unshare: ``changed`` is false for a second tap. ``refused``:
    its words read like a crisis, so it stays private (the partner may be the danger).
    ``partnership``: whom it is shared with now (``None`` while unpaired)."""

    note: Note
    changed: bool
    refused: bool = False
    partnership: Partnership | None = None
    # Sharing is paused (by either): the note stayed private, and the partner is not told.
    held: bool = False


async def set_note_shared(
    session: AsyncSession, user: User, note_id: int, *, shared: bool, crisis: EveryLanguage
) -> Visibility | None:
    """Share or unshare one of ``user``'s own notes; someone else's id finds nothing.

    A note is shared with the current couple (see :mod:`bot.storage.scope`): sharing again
    after pairing with someone else shares it with them, and only then may they see it.

    The words are checked at every share, not only when written: a note edited since its
    "Share" button was shown (or a forged button) must not carry words of danger to the
    partner."""
    note = await notes.own_note(session, note_id, user.id)
    if note is None:
        return None
    partnership = await pairing.active_partnership(session, user.id)
    if shared and crisis.matches(note.body):
        note.visibility, note.couple_id = notes.PRIVATE, None
        return Visibility(note, changed=False, refused=True, partnership=partnership)
    if shared and partnership is not None and sharing_paused(user, partnership.partner):
        note.visibility, note.couple_id = notes.PRIVATE, None
        return Visibility(note, changed=False, partnership=partnership, held=True)
    target = notes.SHARED if shared else notes.PRIVATE
    couple_id = partnership.couple_id if shared and partnership is not None else None
    changed = note.visibility != target or note.couple_id != couple_id
    note.visibility, note.couple_id = target, couple_id
    return Visibility(note, changed, partnership=partnership)


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
        note.visibility, note.couple_id = notes.PRIVATE, None
    return note


async def delete_note(session: AsyncSession, user: User, note_id: int) -> bool:
    return await notes.delete_note(session, note_id, user.id)
