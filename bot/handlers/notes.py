"""Sharing or unsharing a note, from the buttons under its "saved" message."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler

from bot.content import render
from bot.context import BotContext
from bot.handlers import callbacks
from bot.handlers.common import answer_query, edit_in_place, find_sender
from bot.handlers.replies import answer_stale_button
from bot.handlers.safety import reads_like_crisis, with_help
from bot.handlers.send import reply
from bot.services import notes
from bot.services.notes import MAX_NOTE_LENGTH


def share_keyboard(context: BotContext, note_id: int, *, shared: bool) -> InlineKeyboardMarkup:
    texts = context.texts.notes
    label, target = (texts.unshare_button, "private") if shared else (texts.share_button, "shared")
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    label, callback_data=callbacks.data(callbacks.NOTE, f"{note_id}:{target}")
                )
            ]
        ]
    )


async def refuse_if_too_long(update: Update, context: BotContext, text: str) -> bool:
    """Say so (and keep the question open) if ``text`` is longer than a note may be."""
    if len(text) <= MAX_NOTE_LENGTH:
        return False
    refusal = render(context.texts.notes.too_long, limit=f"{MAX_NOTE_LENGTH:,}")
    await reply(update, with_help(context, text, refusal))
    return True


async def confirm_saved(update: Update, context: BotContext, note_id: int, text: str) -> None:
    """The "saved, private" reply under every new note, with its share button.

    Words that read like a crisis get the help first, and no share button: one mis-tap must
    not show them to the partner (who may be the danger). They stay private.
    """
    crisis = reads_like_crisis(context, text)
    await reply(
        update,
        with_help(context, text, context.texts.notes.saved),
        reply_markup=None if crisis else share_keyboard(context, note_id, shared=False),
    )


async def share_note(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    assert context.match is not None
    note_id, shared = int(context.match["note"]), context.match["visibility"] == "shared"
    async with context.session() as session:
        user = await find_sender(session, update, context.now())
        changed = user is not None and await notes.set_note_shared(
            session, user, note_id, shared=shared
        )
        await session.commit()
    if not changed:
        await answer_stale_button(update, context)
        return
    await answer_query(update)
    texts = context.texts.notes
    await edit_in_place(
        update,
        texts.shared if shared else texts.saved,
        share_keyboard(context, note_id, shared=shared),
    )


HANDLERS = [
    CallbackQueryHandler(
        share_note,
        pattern=callbacks.pattern(
            callbacks.NOTE, rf"(?P<note>{callbacks.ID}):(?P<visibility>shared|private)"
        ),
    ),
]
