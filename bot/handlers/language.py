"""``/language`` and the settings' language button (the one offer to people who started
before there were languages is made in :mod:`bot.handlers.turn`).

A person's language is stored (``users.language``); everything they read follows it, and
their command menu too: choosing sets a menu for their chat alone (``BotCommandScopeChat``),
over the one Telegram shows for their app's language.
"""

from __future__ import annotations

from telegram import BotCommand, BotCommandScopeChat
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.content import Texts
from bot.handlers.turn import PRIVATE_MESSAGES, Handlers, Turn, for_known_sender
from bot.services import accounts
from bot.views import callbacks, keyboards

CODE = r"[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?"


def _chooser(turn: Turn) -> tuple[str, keyboards.InlineKeyboardMarkup]:
    return turn.texts.languages.choose, keyboards.languages(
        turn.services.language_names(), turn.user.language
    )


@for_known_sender
async def language_command(turn: Turn) -> None:
    if turn.user.language_settled_at is None:
        await accounts.mark_language_offered(turn.session, turn.user, turn.now)  # asked now
    turn.reply(*_chooser(turn))


def set_chat_menu(turn: Turn, chat_id: int, texts: Texts) -> None:
    """After the commit: this chat's command menu in ``texts``' language."""
    bot = turn.context.bot
    commands = [BotCommand(item.command, item.description) for item in texts.commands]

    async def set_menu() -> None:
        await bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id))

    turn.later(set_menu)


@for_known_sender
async def language_button(turn: Turn) -> None:
    payload = turn.match["payload"]
    if payload == "menu":
        turn.answer()
        turn.edit(*_chooser(turn))
        return
    if payload not in turn.services.languages:
        turn.stale()  # a language removed since the buttons were drawn
        return
    await accounts.set_language(turn.session, turn.user, payload, turn.now)
    turn.answer()
    turn.edit(turn.texts.languages.changed)  # turn.texts follows the new language
    set_chat_menu(turn, turn.chat_id, turn.texts)


HANDLERS: Handlers = [
    CommandHandler("language", language_command, filters=PRIVATE_MESSAGES),
    CallbackQueryHandler(
        language_button, pattern=callbacks.pattern(callbacks.LANGUAGE, rf"menu|{CODE}")
    ),
]
