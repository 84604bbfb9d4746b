"""Sending the one-time notices (see :mod:`bot.services.notices`), from the periodic job."""

from __future__ import annotations

from telegram import Bot

from bot.content import Texts, render
from bot.context import BotServices
from bot.delivery import follow_up, send
from bot.services import notices
from bot.services.notices import Due


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
        outcome = (await send(bot, item.user.telegram_id, text)).outcome
        sent += outcome.arrived
        await follow_up(services, outcome, item.user.telegram_id)  # a 403: marked blocked
    return sent
