"""Sharing or unsharing a note, from the buttons under its "saved" message."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler

from bot.context import BotContext
from bot.handlers import callbacks
from bot.handlers.common import answer_query, edit_in_place, find_sender
from bot.handlers.replies import answer_stale_button
from bot.services import notes


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
