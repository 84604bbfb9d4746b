"""``/help`` and the main menu's buttons."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.context import BotContext
from bot.handlers import callbacks
from bot.handlers.common import answer_query
from bot.handlers.onboarding import PRIVATE_MESSAGES
from bot.handlers.replies import (
    answer_stale_button,
    known_sender,
    send_settings_summary,
)
from bot.handlers.send import send_text


async def show_help(update: Update, context: BotContext) -> None:
    """Help works for everyone, started or not."""
    assert update.effective_chat is not None
    await send_text(context.bot, update.effective_chat.id, context.texts.help.text)


async def menu_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    assert context.match is not None
    choice = context.match["payload"]
    if choice == "help":
        await answer_query(update)
        await show_help(update, context)
        return
    async with context.session() as session:
        user = await known_sender(session, update, context)
    if user is None:
        return
    if user.onboarded_at is None:
        await answer_stale_button(update, context)
        return
    await answer_query(update)
    await send_settings_summary(update, context, user)


HANDLERS = [
    CommandHandler("help", show_help, filters=PRIVATE_MESSAGES),
    CallbackQueryHandler(menu_button, pattern=callbacks.pattern(callbacks.MENU, "settings|help")),
]
