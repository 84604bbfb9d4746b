"""What no specific handler took: free input for an open question, and everything unexpected.

Registered last. Unknown commands, chatter, stickers and photos, stale or forged buttons and
group chats each get a short, kind reply and change nothing.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.context import BotContext
from bot.handlers import checkins as checkin_handlers
from bot.handlers.onboarding import zone_of_location
from bot.handlers.pending_input import InputRoutes
from bot.handlers.safety import reads_like_crisis, send_crisis_help, turn_help, written_words
from bot.handlers.turn import PRIVATE_MESSAGES, Handlers, Turn, for_anyone
from bot.handlers.without_database import (
    ask_to_try_again,
    harmless_if_stale,
    telegram_texts,
    texts_of_update,
)
from bot.services import accounts

logger = logging.getLogger(__name__)


class _ZoneFirstError(Exception):
    """Raised in a turn, before it changed anything, to have a location's zone looked up
    outside its transaction (see ``routed`` in :func:`input_handlers`)."""


def input_handlers(routes: InputRoutes) -> list[BaseHandler[Update, BotContext, None]]:
    """Handlers that hand text, locations and anything else to the user's open question.

    Words that read like a crisis are checked first, for everyone: they get help instead of
    anything else, except where the question keeps the person's words (a note), whose
    confirmation then carries the help.
    """

    async def help_first(update: Update, context: BotContext) -> None:
        """While the database is away: the help first, if needed, then "try again"."""
        if reads_like_crisis(context, written_words(update)):
            await send_crisis_help(update, context)
        await ask_to_try_again(update, context)

    async def route(turn: Turn, zone: str | None) -> None:
        message, user = turn.message, turn.sender
        crisis = reads_like_crisis(turn.context, written_words(turn.update))
        pending = accounts.pending_of(user) if user is not None else None
        target = routes.get(pending) if pending is not None else None
        if target is not None:
            if message.text is not None and (target.keeps_words or not crisis):
                await target.on_text(turn, message.text)
                return
            if not crisis:
                if message.location is not None and target.on_location is not None:
                    await target.on_location(turn, zone)
                else:
                    await target.on_other(turn)
                return
        if crisis:
            # The sender's row (their zone) is loaded already: no statement more for the help.
            turn.send(turn.chat_id, turn_help(turn).crisis_reply(), no_preview=True)
            logger.info("crisis help given")
        elif user is None:
            turn.not_started()
        elif await checkin_handlers.words_during_question(turn):
            return
        elif message.text is not None:
            turn.reply(turn.texts.errors.unexpected_text)
        else:
            turn.reply(turn.texts.errors.unsupported_message)

    def takes_location(turn: Turn) -> bool:
        """The sender's open question is one a location answers (the time zone's)."""
        pending = accounts.pending_of(turn.sender) if turn.sender is not None else None
        target = routes.get(pending) if pending is not None else None
        return target is not None and target.on_location is not None

    async def routed(update: Update, context: BotContext) -> None:
        """A shared location's time zone (the one thing a location answers) is looked up
        only for someone at the zone question — a stray location is answered kindly without
        loading the zone finder (~20 MB for good) — and never inside the turn's transaction
        (on SQLite, the one write lock everyone's updates wait for): the turn that finds the
        question open is rolled back, having done nothing, the zone looked up, and the turn
        run again with it."""
        location = update.message.location if update.message is not None else None
        zone: str | None = None
        looked_up = location is None

        async def with_zone(turn: Turn) -> None:
            if not looked_up and takes_location(turn):
                raise _ZoneFirstError
            await route(turn, zone)

        handle = for_anyone(with_zone, when_unavailable=help_first)
        try:
            await handle(update, context)
        except _ZoneFirstError:
            assert location is not None
            zone, looked_up = await zone_of_location(context.services, location), True
            await handle(update, context)

    return [MessageHandler(PRIVATE_MESSAGES & ~filters.COMMAND, routed)]


async def answer_stale_button(update: Update, context: BotContext) -> None:
    """A button that no longer applies: say so in a toast, change nothing."""
    query = update.callback_query
    assert query is not None
    logger.debug("update %s: stale or unknown button %r", update.update_id, query.data)
    with harmless_if_stale(update.update_id):
        await query.answer((await texts_of_update(update, context)).errors.stale_button)


async def drop_foreign_button(update: Update, context: BotContext) -> None:
    """A press without data, or on a message outside the presser's own private chat, cannot
    come from Telegram for our buttons (only a forged update carries it): answer like a stale
    button and stop there."""
    query = update.callback_query
    if query is None:
        return
    # Telegram never sends a press without data (1-64 bytes), but PTB would match an empty
    # one against every pattern.
    # Our buttons only ever live in the presser's own private chat.
    message = query.message
    foreign = message is None or (
        message.chat.type != "private" or message.chat.id != query.from_user.id
    )
    if not query.data or foreign:
        await answer_stale_button(update, context)
        raise ApplicationHandlerStop


async def unknown_command(turn: Turn) -> None:
    """In a turn like every command: it closes the open question too."""
    turn.reply(turn.texts.errors.unknown_command)


async def unknown_without_database(update: Update, context: BotContext) -> None:
    assert update.message is not None
    await update.message.reply_text(telegram_texts(update, context).errors.unknown_command)


async def group_chat(update: Update, context: BotContext) -> None:
    """The bot holds private reflections, so it never converses where others can read."""
    assert update.message is not None
    await update.message.reply_text(telegram_texts(update, context).errors.group_chat)


HANDLERS: Handlers = [
    MessageHandler(
        PRIVATE_MESSAGES & filters.COMMAND,
        for_anyone(unknown_command, when_unavailable=unknown_without_database),
    ),
    CallbackQueryHandler(answer_stale_button),
]

# Checked before everything but the help for words of danger (group -2).
GUARD_HANDLERS: Handlers = [TypeHandler(Update, drop_foreign_button)]

GROUP_HANDLERS: Handlers = [
    MessageHandler(
        (filters.ChatType.GROUPS & filters.UpdateType.MESSAGE & filters.COMMAND), group_chat
    ),
]
