"""``/help`` and the main menu's buttons (those of other areas are registered there)."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.context import BotContext
from bot.handlers.turn import PRIVATE_MESSAGES, Handlers, Turn, for_anyone, for_onboarded
from bot.handlers.us import show_week
from bot.handlers.without_database import harmless_if_stale, send_without_database, texts_of_update
from bot.views import callbacks, keyboards
from bot.views.settings import settings_view


def _more_button(words_button: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[keyboards.button(words_button, callbacks.MENU, "help_more")]])


async def show_help(update: Update, context: BotContext) -> None:
    """Help works for everyone, started or not, and needs no database (the menu's button,
    and /help while the database is away). Chat-sized: the everyday commands, and the rest
    behind "More commands"."""
    words = (await texts_of_update(update, context)).help
    await send_without_database(update, context, words.text, _more_button(words.more_button))


async def help_command(turn: Turn) -> None:
    """/help, in a turn like every command (it closes the open question in the same
    transaction); :func:`show_help` while the database is away."""
    words = turn.texts.help
    turn.reply(words.text, _more_button(words.more_button))


async def show_more_help(update: Update, context: BotContext) -> None:
    """The commands /help leaves behind its button: pairing, pausing, one's data."""
    await send_without_database(update, context, (await texts_of_update(update, context)).help.more)


@for_onboarded
async def settings_button(turn: Turn) -> None:
    turn.answer()
    turn.send(turn.chat_id, *settings_view(turn.texts, turn.user, turn.now))


async def us_button(update: Update, context: BotContext) -> None:
    """The menu's "our week": what /us shows, then the button's spinner stops."""
    await show_week(update, context)
    query = update.callback_query
    assert query is not None
    with harmless_if_stale(update.update_id):
        await query.answer()


HANDLERS: Handlers = [
    CommandHandler(
        "help", for_anyone(help_command, when_unavailable=show_help), filters=PRIVATE_MESSAGES
    ),
    CallbackQueryHandler(show_help, pattern=callbacks.pattern(callbacks.MENU, "help")),
    CallbackQueryHandler(show_more_help, pattern=callbacks.pattern(callbacks.MENU, "help_more")),
    CallbackQueryHandler(settings_button, pattern=callbacks.pattern(callbacks.MENU, "settings")),
    CallbackQueryHandler(us_button, pattern=callbacks.pattern(callbacks.MENU, "us")),
]
