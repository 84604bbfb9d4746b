"""Messages to someone other than the sender (a partner): delivery may fail, the action not."""

from __future__ import annotations

import logging

from telegram.error import Forbidden, TelegramError

from bot.context import BotContext
from bot.handlers.send import send_text
from bot.services import accounts
from bot.storage.models import User

logger = logging.getLogger(__name__)


async def notify(context: BotContext, recipient: User, text: str) -> bool:
    """Send ``text`` to ``recipient``; ``False`` (and logged) if it could not be delivered.

    A 403 means they blocked the bot: they are marked inactive, which stops further prompts
    until they write again. Whatever the sender did has already been committed.
    """
    try:
        await send_text(context.bot, recipient.telegram_id, text)
    except Forbidden:
        logger.info("user %s has blocked the bot; marking inactive", recipient.id)
        async with context.session() as session:
            await accounts.mark_blocked(session, recipient.telegram_id, context.now())
            await session.commit()
        return False
    except TelegramError as error:
        logger.warning("could not notify user %s: %s", recipient.id, error)
        return False
    return True
