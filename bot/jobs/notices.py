"""Sending the one-time notices (see :mod:`bot.services.notices`), from the periodic job."""

from __future__ import annotations

from functools import partial

from telegram import Bot

from bot.content import Texts, render
from bot.context import BotServices
from bot.delivery import follow_up, send
from bot.services import notices, pings
from bot.services.notices import Due
from bot.services.ping_budget import Kind, Merged
from bot.views.held import with_held


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
    now = services.clock()
    to_send: list[tuple[Due, str, Merged]] = []
    async with services.transaction() as session:
        for item in await notices.take_due(session, now):
            text = notice_text(services.texts_for(item.user.language), item)
            if text is None:
                continue
            # Over the day's ping budget: held; else what was held goes ahead of it.
            held = await pings.admit(session, item.user, Kind.NOTICE, now, text=text)
            if held is not None:
                to_send.append((item, with_held(held, text, None)[0], held))
    sent = 0
    for item, text, held in to_send:
        outcome = (await send(bot, item.user.telegram_id, text)).outcome
        sent += outcome.arrived
        done = partial(pings.handed_over, merged=held, arrived=outcome.arrived)
        await follow_up(services, outcome, item.user.telegram_id, done)  # a 403: marked blocked
    return sent
