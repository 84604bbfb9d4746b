"""Help first: ``/support``, and the reply to anything that reads like someone is in danger.

Checked for everyone who writes, started or not; nothing about a match is stored or shown to
a partner, and the log says only that help was given (no text, no user id). (Words meant for
the partner — a ``/thanks``, a ``/talk`` answer — are kept for their author as a private
draft, :mod:`bot.services.drafts`: the match itself is never recorded.) ``/support`` and
the help for an edited message need no database, so they work even while it is down.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.content import Html, Texts, render
from bot.context import BotContext
from bot.handlers.turn import PRIVATE_MESSAGES, Handlers, Turn
from bot.handlers.without_database import send_without_database, texts_of_update
from bot.views import callbacks

logger = logging.getLogger(__name__)


def written_words(update: Update) -> str | None:
    """What the person wrote in this message: its text, or a photo's caption."""
    message = update.effective_message
    if message is None:
        return None
    return message.text if message.text is not None else message.caption


def reads_like_crisis(context: BotContext, written: str | None) -> bool:
    return context.services.crisis.matches(written)


def crisis_reply(texts: Texts) -> str:
    """The help, in the language of the person it is for (``texts``); the words that called
    for it may be in any language the bot has."""
    return render(texts.crisis.reply, urgent=Html(texts.support.urgent))


def with_help(turn: Turn, written: str, answer: str) -> str:
    """``answer`` to what someone wrote, with the crisis help in front when their words read
    like a crisis: the help is the first thing they read, in the same message."""
    return help_before(turn, answer) if reads_like_crisis(turn.context, written) else answer


def help_before(turn: Turn, answer: str) -> str:
    """``answer`` with the crisis help in front (the caller has seen the words of danger)."""
    logger.info("crisis help given with a reply")
    return f"{crisis_reply(turn.texts)}\n\n{answer}"


async def send_crisis_help(update: Update, context: BotContext) -> None:
    assert update.effective_chat is not None
    texts = await texts_of_update(update, context)
    await context.bot.send_message(update.effective_chat.id, crisis_reply(texts))
    logger.info("crisis help given")


async def support(update: Update, context: BotContext) -> None:
    """Works for everyone, set up or not: help should never be behind a form."""
    texts = (await texts_of_update(update, context)).support
    await send_without_database(update, context, render(texts.text, urgent=Html(texts.urgent)))


async def command_with_words_of_danger(update: Update, context: BotContext) -> None:
    """A command can carry words too ("/help I want to die"): help first, then the command
    goes on as usual (this runs in a group of its own, before every other handler)."""
    if reads_like_crisis(context, written_words(update)):
        await send_crisis_help(update, context)


async def edited_message(update: Update, context: BotContext) -> None:
    """Edits change nothing stored, but an edit that adds words of danger still gets help."""
    if reads_like_crisis(context, written_words(update)):
        await send_crisis_help(update, context)


# Group -3, before everything else: it never stops the update.
FIRST_HANDLERS: Handlers = [
    MessageHandler(PRIVATE_MESSAGES & filters.COMMAND, command_with_words_of_danger),
]

HANDLERS: Handlers = [
    CommandHandler("support", support, filters=PRIVATE_MESSAGES),
    CallbackQueryHandler(support, pattern=callbacks.pattern(callbacks.MENU, "support")),
    MessageHandler(
        filters.ChatType.PRIVATE
        & filters.UpdateType.EDITED_MESSAGE
        & (filters.TEXT | filters.CAPTION)
        & ~filters.COMMAND,
        edited_message,
    ),
]
