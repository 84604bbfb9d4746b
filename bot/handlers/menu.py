"""``/help`` and the main menu's buttons."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.context import BotContext
from bot.handlers.turn import PRIVATE_MESSAGES, Handlers, Turn, for_known_sender, harmless_if_stale
from bot.views import callbacks
from bot.views.settings import settings_view


async def show_help(update: Update, context: BotContext) -> None:
    """Help works for everyone, started or not, and needs no database."""
    query = update.callback_query
    if query is not None:
        with harmless_if_stale(update.update_id):
            await query.answer()
    assert update.effective_chat is not None
    await context.bot.send_message(update.effective_chat.id, context.texts.help.text)


@for_known_sender
async def settings_button(turn: Turn) -> None:
    if turn.user.onboarded_at is None:
        turn.stale()
        return
    turn.answer()
    turn.send(turn.chat_id, *settings_view(turn.texts, turn.user, turn.now))


HANDLERS: Handlers = [
    CommandHandler("help", show_help, filters=PRIVATE_MESSAGES),
    CallbackQueryHandler(show_help, pattern=callbacks.pattern(callbacks.MENU, "help")),
    CallbackQueryHandler(settings_button, pattern=callbacks.pattern(callbacks.MENU, "settings")),
]
