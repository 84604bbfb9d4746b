"""Help first: ``/support``, and the reply to anything that reads like someone is in danger.

Checked for everyone who writes, started or not; nothing about a match is stored or shown to
a partner, and the log says only that help was given (no text, no user id). (Words meant for
the partner — a ``/thanks``, a ``/talk`` answer — are kept for their author as a private
draft, :mod:`bot.services.drafts`: the match itself is never recorded; like every message,
the words and the replies pass through the update log, pruned after a day.) ``/support`` and
the help for an edited message need no database, so they work even while it is down.

The help names the lines of the person's country, from their saved time zone: in a turn the
sender's row is already loaded; outside one, the row is read only when help is actually sent.
Someone unknown (or before consent) gets their Telegram language's list of countries.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.content import Texts
from bot.context import BotContext
from bot.delivery import NO_PREVIEW
from bot.handlers.turn import PRIVATE_MESSAGES, Handlers, Turn, for_anyone
from bot.handlers.without_database import (
    harmless_if_stale,
    reader_of_update,
    send_without_database,
)
from bot.views import callbacks
from bot.views.helplines import MORE_PATTERN, NO_COUNTRY, HelpView

logger = logging.getLogger(__name__)


def written_words(update: Update) -> str | None:
    """What the person wrote in this message: its text, or a photo's caption."""
    message = update.effective_message
    if message is None:
        return None
    return message.text if message.text is not None else message.caption


def reads_like_crisis(context: BotContext, written: str | None) -> bool:
    return context.services.crisis.matches(written)


def help_view(context: BotContext, texts: Texts, zone: str | None) -> HelpView:
    """The help ``texts``' reader gets: the lines of the country of ``zone`` (their saved
    time zone), or of their language's countries when it names none."""
    services = context.services
    return HelpView(texts, services.helplines, services.zone_countries.country_of(zone))


def turn_help(turn: Turn) -> HelpView:
    """The help for the sender of a turn, whose row (and zone) the turn has already read."""
    zone = turn.sender.time_zone if turn.sender is not None else None
    return help_view(turn.context, turn.texts, zone)


def reply_with_help(turn: Turn, written: str, answer: str) -> None:
    """Reply ``answer`` to what someone wrote, with the crisis help in front when their words
    read like a crisis: the help is the first thing they read, in the same message (and then
    without a link preview card, as all help goes)."""
    if reads_like_crisis(turn.context, written):
        turn.reply(help_before(turn, answer), no_preview=True)
    else:
        turn.reply(answer)


def help_before(turn: Turn, answer: str) -> str:
    """``answer`` with the crisis help in front (the caller has seen the words of danger).
    The caller sends it with ``no_preview=True``: the help's links must not grow a card."""
    logger.info("crisis help given with a reply")
    return f"{turn_help(turn).crisis_reply()}\n\n{answer}"


async def send_crisis_help(update: Update, context: BotContext) -> None:
    assert update.effective_chat is not None
    texts, zone = await reader_of_update(update, context)
    await context.bot.send_message(
        update.effective_chat.id,
        help_view(context, texts, zone).crisis_reply(),
        link_preview_options=NO_PREVIEW,
    )
    logger.info("crisis help given")


async def support(update: Update, context: BotContext) -> None:
    """Works for everyone, set up or not: help should never be behind a form (the menu's
    button, and /support while the database is away)."""
    texts, zone = await reader_of_update(update, context)
    view = help_view(context, texts, zone)
    await send_without_database(
        update, context, view.support(), view.support_markup(), link_preview=NO_PREVIEW
    )


async def support_command(turn: Turn) -> None:
    """/support, in a turn like every command (it closes the open question in the same
    transaction); :func:`support` while the database is away."""
    view = turn_help(turn)
    turn.reply(view.support(), view.support_markup(), no_preview=True)


async def more_lines(update: Update, context: BotContext) -> None:
    """ "More lines" under /support: every line of the country the button names (or of the
    language's countries), as a message of its own; the button goes, so a second tap does
    not send it twice. A country the file no longer has is an older message: say so kindly."""
    query, match = update.callback_query, context.match
    assert query is not None and match is not None and update.effective_chat is not None
    texts, _ = await reader_of_update(update, context)
    payload = match["payload"]
    country = None if payload == NO_COUNTRY else payload
    if country is not None and context.services.helplines.country(country) is None:
        with harmless_if_stale(update.update_id):
            await query.answer(texts.errors.stale_button)
        return
    with harmless_if_stale(update.update_id):
        await query.answer()
    with harmless_if_stale(update.update_id):
        await query.edit_message_reply_markup(reply_markup=None)
    view = HelpView(texts, context.services.helplines, country)
    await context.bot.send_message(
        update.effective_chat.id, view.more(), link_preview_options=NO_PREVIEW
    )


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
    CommandHandler(
        "support", for_anyone(support_command, when_unavailable=support), filters=PRIVATE_MESSAGES
    ),
    CallbackQueryHandler(support, pattern=callbacks.pattern(callbacks.MENU, "support")),
    CallbackQueryHandler(more_lines, pattern=MORE_PATTERN),
    MessageHandler(
        filters.ChatType.PRIVATE
        & filters.UpdateType.EDITED_MESSAGE
        & (filters.TEXT | filters.CAPTION)
        & ~filters.COMMAND,
        edited_message,
    ),
]
