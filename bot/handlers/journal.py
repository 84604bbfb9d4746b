"""``/journal``: one's own notes, reflections and check-in answers, newest first, a page at a
time in one message; a note opened in full can be edited or deleted (after a confirmation), a
private draft (:mod:`bot.services.drafts`) only read.

Every button names a note by id; a note that is not the presser's own (forged) or no longer
there (deleted meanwhile) shows nothing and says the button is old.
"""

from __future__ import annotations

from collections.abc import Callable

from telegram import InlineKeyboardMarkup
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.handlers.notes import refuse_if_too_long
from bot.handlers.pending_input import InputRoute, open_question
from bot.handlers.safety import help_before, reads_like_crisis, reply_with_help
from bot.handlers.turn import PRIVATE_MESSAGES, Handlers, Turn, for_known_sender
from bot.services import accounts, journal, notes
from bot.services.accounts import PendingInput
from bot.views import callbacks
from bot.views.journal import back_button, delete_question, draft_view, note_view, page_view


def _zone(turn: Turn) -> str:
    return turn.user.time_zone or "UTC"


def _crisis(turn: Turn) -> Callable[[str], bool]:
    return lambda words: reads_like_crisis(turn.context, words)


async def _show_page(turn: Turn, page: int, *, edit: bool) -> None:
    view = await journal.journal_page(turn.session, turn.user, page, _crisis(turn), turn.together)
    text, markup = page_view(turn.texts, turn.frameworks, _zone(turn), view)
    if edit:
        turn.edit(text, markup)
    else:
        turn.send(turn.chat_id, text, markup)


@for_known_sender
async def show_journal(turn: Turn) -> None:
    """``/journal`` and the menu's button: the newest page, as a new message."""
    if turn.update.callback_query is not None:
        turn.answer()
    await _show_page(turn, 0, edit=False)


@for_known_sender
async def journal_button(turn: Turn) -> None:
    if turn.match["to"] is not None:
        turn.answer()
        await _show_page(turn, int(turn.match["to"]), edit=True)
        return
    action, page = turn.match["action"], int(turn.match["page"])
    if action == "r":
        await _show_draft(turn, int(turn.match["note"]), page)
        return
    note_id = int(turn.match["note"])
    note = await notes.own_note(turn.session, turn.user, note_id)
    if note is None:  # someone else's (forged) or deleted since: nothing to show
        turn.stale()
        return
    texts, frameworks = turn.texts, turn.frameworks
    turn.answer()
    if action == "n":
        turn.edit(*note_view(texts, frameworks, _zone(turn), note, page))
    elif action == "e":
        await open_question(turn, PendingInput.NOTE_EDIT, argument=str(note.id))
        turn.send(turn.chat_id, texts.journal.edit_prompt)
    elif action == "d":
        turn.edit(*delete_question(texts, note, page))
    else:  # "x": deletion confirmed
        await notes.delete_note(turn.session, turn.user, note.id)
        if accounts.pending_argument(turn.user) == str(note.id):
            await accounts.open_question(turn.session, turn.user, None, turn.now)
        turn.edit(texts.journal.deleted, InlineKeyboardMarkup([[back_button(texts, page)]]))


async def _show_draft(turn: Turn, draft_id: int, page: int) -> None:
    draft = await journal.own_draft(turn.session, turn.user, draft_id, _crisis(turn), turn.together)
    if draft is None:  # someone else's (forged), sent or erased since: nothing to show
        turn.stale()
        return
    turn.answer()
    turn.edit(*draft_view(turn.texts, _zone(turn), draft, page))


async def edit_answer(turn: Turn, text: str) -> None:
    """New words for the note being edited; words of danger make it private (and bring help)."""
    if refuse_if_too_long(turn, text):
        return
    argument = accounts.pending_argument(turn.user) or ""
    await accounts.open_question(turn.session, turn.user, None, turn.now)
    words = turn.texts.journal
    crisis = reads_like_crisis(turn.context, text)
    note = (
        await notes.edit_note(turn.session, turn.user, int(argument), text, keep_shared=not crisis)
        if argument.isdigit()
        else None
    )
    if note is None:
        reply_with_help(turn, text, words.note_gone)
        return
    view, markup = note_view(turn.texts, turn.frameworks, _zone(turn), note, 0)
    if crisis:
        turn.reply(help_before(turn, words.edited_private), no_preview=True)
    else:
        turn.reply(words.edited)
    turn.send(turn.chat_id, view, markup)


async def edit_not_text(turn: Turn) -> None:
    turn.reply(turn.texts.journal.edit_not_text)


INPUT_ROUTES = {
    PendingInput.NOTE_EDIT: InputRoute(
        on_text=edit_answer, on_other=edit_not_text, keeps_words=True
    )
}

HANDLERS: Handlers = [
    CommandHandler("journal", show_journal, filters=PRIVATE_MESSAGES),
    CallbackQueryHandler(show_journal, pattern=callbacks.pattern(callbacks.MENU, "journal")),
    CallbackQueryHandler(
        journal_button,
        pattern=callbacks.pattern(
            callbacks.JOURNAL,
            rf"p:(?P<to>\d{{1,4}})|(?P<action>[nedxr]):(?P<note>{callbacks.ID}):(?P<page>\d{{1,4}})",
        ),
    ),
]
