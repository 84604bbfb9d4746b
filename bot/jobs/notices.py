"""Sending the one-time notices (see :mod:`bot.services.notices`), from the periodic job: taken
once, under the ping budget, and sent by :func:`bot.jobs.outbox.drain`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot

from bot.content import Texts, render
from bot.context import BotServices
from bot.jobs.outbox import Message, Outbox, SendLedger, drain
from bot.services import notices, pings
from bot.services.notices import Due
from bot.services.ping_budget import Kind


def notice_text(texts: Texts, due: Due) -> str | None:
    """What a notice says now; ``None`` if it no longer applies (the couple has ended)."""
    if due.kind == notices.QUESTION_DAY and due.partner is not None:
        return render(
            texts.settings.question_day_aligned,
            partner=due.partner.first_name,
            day=texts.settings.weekdays[due.user.weekly_day],
        )
    return None


async def send_notices(bot: Bot, services: BotServices, ledger: SendLedger | None = None) -> int:
    """Send every notice that is due, once; returns how many were sent. Only the process
    that leads the jobs sends (Telegram's limit is per bot). ``ledger``: the check-in job's,
    kept from run to run (what the ping budget handed over is written when the database is
    back)."""

    async def take_due(session: AsyncSession, now: datetime) -> list[Message]:
        due = []
        for item in await notices.take_due(session, now):
            text = notice_text(services.texts_for(item.user.language), item)
            if text is None:
                continue
            # Over the day's ping budget: held; else what was held goes ahead of it.
            held = await pings.admit(session, item.user, Kind.NOTICE, now, text=text)
            if held is not None:
                due.append(Message(item.user.telegram_id, text, held=held))
        return due

    async def itself(message: Message) -> Message:
        return message

    outbox = Outbox("notices", take_due, itself, lambda message, sent, now: None)
    return (await drain(bot, services, outbox, ledger=ledger)).sent
