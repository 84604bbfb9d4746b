"""Sharing or unsharing a note, from the buttons under its "saved" message."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler

from bot.content import render
from bot.context import BotContext
from bot.handlers import callbacks
from bot.handlers.common import answer_query, edit_in_place, find_sender
from bot.handlers.replies import answer_stale_button
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
    await reply(update, render(context.texts.notes.too_long, limit=f"{MAX_NOTE_LENGTH:,}"))
    return True


async def confirm_saved(update: Update, context: BotContext, note_id: int) -> None:
    """The "saved, private" reply under every new note, with its share button."""
    await reply(
        update,
        context.texts.notes.saved,
        reply_markup=share_keyboard(context, note_id, shared=False),
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
