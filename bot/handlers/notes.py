"""Notes and reflections: the "saved" reply under each, and sharing or unsharing it."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup
from telegram.ext import CallbackQueryHandler

from bot.content import Texts, render
from bot.handlers.safety import help_before, reads_like_crisis, with_help
from bot.handlers.turn import Handlers, Turn, for_known_sender
from bot.services import notes
from bot.services.notes import MAX_NOTE_LENGTH
from bot.storage.models import Note
from bot.views import callbacks, keyboards


def share_keyboard(texts: Texts, note_id: int, *, shared: bool) -> InlineKeyboardMarkup:
    words = texts.notes
    label, target = (words.unshare_button, "private") if shared else (words.share_button, "shared")
    return InlineKeyboardMarkup([[keyboards.button(label, callbacks.NOTE, f"{note_id}:{target}")]])


def refuse_if_too_long(turn: Turn, text: str) -> bool:
    """Say so (and keep the question open) if ``text`` is longer than a note may be."""
    if len(text) <= MAX_NOTE_LENGTH:
        return False
    refusal = render(turn.texts.notes.too_long, limit=f"{MAX_NOTE_LENGTH:,}")
    turn.reply(with_help(turn.context, text, refusal))
    return True


def confirm_saved(turn: Turn, note: Note, text: str) -> None:
    """The "saved, private" reply under every new note, with its share button.

    Words that read like a crisis get the help first, and no share button: one mis-tap must
    not show them to the partner (who may be the danger). They stay private.
    """
    saved = turn.texts.notes.saved
    if reads_like_crisis(turn.context, text):
        turn.reply(help_before(turn.context, saved))
    else:
        turn.reply(saved, share_keyboard(turn.texts, note.id, shared=False))


@for_known_sender
async def share_note(turn: Turn) -> None:
    note_id, shared = int(turn.match["note"]), turn.match["visibility"] == "shared"
    if not await notes.set_note_shared(turn.session, turn.user, note_id, shared=shared):
        turn.stale()
        return
    turn.answer()
    words = turn.texts.notes
    turn.edit(
        words.shared if shared else words.saved,
        share_keyboard(turn.texts, note_id, shared=shared),
    )


HANDLERS: Handlers = [
    CallbackQueryHandler(
        share_note,
        pattern=callbacks.pattern(
            callbacks.NOTE, rf"(?P<note>{callbacks.ID}):(?P<visibility>shared|private)"
        ),
    ),
]
