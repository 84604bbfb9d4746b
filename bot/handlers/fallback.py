"""What no specific handler took: free input for an open question, and everything unexpected.

Registered last. Unknown commands, chatter, stickers and photos, stale or forged buttons and
group chats each get a short, kind reply and change nothing.
"""

from __future__ import annotations

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
from bot.handlers.common import find_sender, message_of
from bot.handlers.input import InputRoutes
from bot.handlers.onboarding import PRIVATE_MESSAGES
from bot.handlers.replies import answer_stale_button, send_not_started
from bot.handlers.safety import reads_like_crisis, send_crisis_help, written_words
from bot.handlers.send import reply
from bot.services import accounts


def input_handlers(routes: InputRoutes) -> list[BaseHandler[Update, BotContext, None]]:
    """Handlers that hand text, locations and anything else to the user's open question."""

    async def route(update: Update, context: BotContext) -> None:
        message = message_of(update)
        # Checked before anything else, for everyone: help comes first, even before /start.
        crisis = reads_like_crisis(context, written_words(update))
        async with context.session() as session:
            user = await find_sender(session, update, context.now())
            pending = accounts.pending_of(user) if user is not None else None
            target = routes.get(pending) if pending is not None else None
            if user is not None and target is not None:
                if message.text is not None and (target.keeps_words or not crisis):
                    await target.on_text(update, context, session, user, message.text)
                    return
                if not crisis:
                    if message.location is not None and target.on_location is not None:
                        await target.on_location(update, context, session, user)
                    else:
                        await target.on_other(update, context, session, user)
                    return
        # Nothing was asked (or help comes first): reply after the session has ended.
        if crisis:
            await send_crisis_help(update, context)
        elif user is None:
            await send_not_started(update, context)
        elif message.text is not None:
            await reply(update, context.texts.errors.unexpected_text)
        else:
            await reply(update, context.texts.errors.unsupported_message)

    return [MessageHandler(PRIVATE_MESSAGES & ~filters.COMMAND, route)]


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


async def unknown_command(update: Update, context: BotContext) -> None:
    await reply(update, context.texts.errors.unknown_command)


async def group_chat(update: Update, context: BotContext) -> None:
    """The bot holds private reflections, so it never converses where others can read."""
    await reply(update, context.texts.errors.group_chat)


HANDLERS = [
    MessageHandler(PRIVATE_MESSAGES & filters.COMMAND, unknown_command),
    CallbackQueryHandler(answer_stale_button),
]

# Checked before everything else (group -1).
GUARD_HANDLERS = [TypeHandler(Update, drop_foreign_button)]

GROUP_HANDLERS = [
    MessageHandler(
        (filters.ChatType.GROUPS & filters.UpdateType.MESSAGE & filters.COMMAND), group_chat
    ),
]
