"""Replies that several handler modules send."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup, Update

from bot.content import Html, render
from bot.context import BotContext
from bot.handlers import keyboards
from bot.handlers.common import answer_query, clock, find_sender, local_clock
from bot.handlers.send import send_text
from bot.services import checkins
from bot.storage.models import User
from bot.timezones import local_now

logger = logging.getLogger(__name__)


async def answer_stale_button(update: Update, context: BotContext) -> None:
    """A button that no longer applies: say so in a toast, change nothing."""
    query = update.callback_query
    assert query is not None
    logger.debug("update %s: stale or unknown button %r", update.update_id, query.data)
    await answer_query(update, context.texts.errors.stale_button)


async def send_not_started(update: Update, context: BotContext) -> None:
    if update.callback_query is not None:
        await answer_query(update, context.texts.errors.not_started, alert=True)
    elif update.effective_chat is not None:
        await send_text(context.bot, update.effective_chat.id, context.texts.errors.not_started)


async def known_sender(session: AsyncSession, update: Update, context: BotContext) -> User | None:
    """The stored sender; for someone who has not started, ``None`` after telling them how."""
    user = await find_sender(session, update, context.now())
    if user is None:
        await send_not_started(update, context)
    return user


def settings_summary_text(context: BotContext, user: User) -> str:
    assert user.time_zone is not None
    assert user.checkin_time is not None
    texts = context.texts.settings
    now = context.now()
    if checkins.is_paused(user, now):
        assert user.paused_until is not None
        until = local_now(user.time_zone, user.paused_until)
        pause_line = render(
            texts.paused_line, until=until.strftime(context.texts.checkin.day_format)
        )
    else:
        pause_line = texts.running_line
    return render(
        texts.summary,
        zone=user.time_zone,
        local_time=local_clock(user.time_zone, now),
        checkin_time=clock(user.checkin_time),
        weekly_day=texts.weekdays[user.weekly_day],
        pause_line=Html(pause_line),
        nudge=texts.nudge_on if user.partner_nudge else texts.nudge_off,
    )


def settings_view(context: BotContext, user: User) -> tuple[str, InlineKeyboardMarkup]:
    """The settings screen and its buttons, as sent after a change or edited in place."""
    markup = keyboards.settings(
        context.texts, paused=checkins.is_paused(user, context.now()), nudge=user.partner_nudge
    )
    return settings_summary_text(context, user), markup


async def send_settings_summary(
    update: Update, context: BotContext, user: User, *, lead: str | None = None
) -> None:
    """The settings screen, with its buttons; ``lead`` is a line of news shown above it."""
    text, markup = settings_view(context, user)
    if lead:
        text = f"{lead}\n\n{text}"
    assert update.effective_chat is not None
    await send_text(context.bot, update.effective_chat.id, text, reply_markup=markup)
