"""Replies that several handler modules send."""

from __future__ import annotations

from telegram import Update

from bot.content import render
from bot.context import BotContext
from bot.handlers import keyboards
from bot.handlers.common import clock, local_clock
from bot.storage.models import User


async def answer_stale_button(update: Update, context: BotContext) -> None:
    """A button that no longer applies: say so in a toast, change nothing."""
    query = update.callback_query
    assert query is not None
    await query.answer(context.texts.errors.stale_button, show_alert=False)


async def send_not_started(update: Update, context: BotContext) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer(context.texts.errors.not_started, show_alert=True)
    elif update.effective_chat is not None:
        await context.bot.send_message(update.effective_chat.id, context.texts.errors.not_started)


def settings_summary_text(context: BotContext, user: User) -> str:
    assert user.time_zone is not None
    assert user.checkin_time is not None
    return render(
        context.texts.settings.summary,
        zone=user.time_zone,
        local_time=local_clock(user.time_zone, context.now()),
        checkin_time=clock(user.checkin_time),
    )


async def send_settings_summary(
    update: Update, context: BotContext, user: User, *, lead: str | None = None
) -> None:
    """The settings screen, with its buttons; ``lead`` is a line of news shown above it."""
    text = settings_summary_text(context, user)
    if lead:
        text = f"{lead}\n\n{text}"
    assert update.effective_chat is not None
    await context.bot.send_message(
        update.effective_chat.id, text, reply_markup=keyboards.settings(context.texts)
    )
