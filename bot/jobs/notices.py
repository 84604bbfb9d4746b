"""Sending the one-time notices (see :mod:`bot.services.notices`), from the periodic job."""

from __future__ import annotations

import logging

from telegram import Bot
from telegram.error import TelegramError

from bot.content import Texts, render
from bot.context import BotServices
from bot.services import notices
from bot.services.notices import Due

logger = logging.getLogger(__name__)


def notice_text(texts: Texts, due: Due) -> str | None:
    """What a notice says now; ``None`` if it no longer applies (the couple has ended)."""
    if due.kind == notices.QUESTION_DAY and due.partner is not None:
        return render(
            texts.settings.question_day_aligned,
            partner=due.partner.first_name,
            day=texts.settings.weekdays[due.user.weekly_day],
        )
    return None


async def send_notices(bot: Bot, services: BotServices) -> int:
    """Send every notice that is due, once; returns how many were sent. Only the process
    that leads the jobs sends (Telegram's limit is per bot)."""
    if not services.leadership.leading:
        return 0
    async with services.transaction() as session:
        due = await notices.take_due(session, services.clock())
    sent = 0
    for item in due:
        text = notice_text(services.texts_for(item.user.language), item)
        if text is None:
            continue
        try:
            await bot.send_message(item.user.telegram_id, text)
            sent += 1
        except TelegramError as error:
            logger.warning("notice for user %s not sent: %s", item.user.id, error)
    return sent
