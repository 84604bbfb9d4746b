"""The last line of defence: log what went wrong, tell the user kindly, never leak details."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden

from bot.context import BotContext
from bot.handlers.safety import reads_like_crisis, send_crisis_help, written_words
from bot.handlers.without_database import texts_of_update

logger = logging.getLogger(__name__)


async def on_error(update: object, context: BotContext) -> None:
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    if isinstance(error, Forbidden):
        # The user blocked the bot; nothing to tell them.
        logger.info("update %s: Telegram refused delivery: %s", update_id, error)
        return
    logger.error("update %s: unhandled error", update_id, exc_info=error)
    if (
        isinstance(update, Update)
        and update.effective_chat is not None
        and update.effective_chat.type == "private"
    ):
        try:
            if reads_like_crisis(context, written_words(update)):
                await send_crisis_help(update, context)  # whatever broke, help comes first
            texts = await texts_of_update(update, context)
            await context.bot.send_message(update.effective_chat.id, texts.errors.internal_error)
        except Exception:  # the apology is best-effort; the error is logged above
            logger.warning("update %s: could not send the apology", update_id, exc_info=True)
