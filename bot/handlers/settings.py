"""``/settings``, its buttons, and ``/cancel`` for a half-done change."""

from __future__ import annotations

from telegram import ReplyKeyboardRemove, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.context import BotContext
from bot.handlers import callbacks
from bot.handlers.common import find_sender, message_of
from bot.handlers.onboarding import PRIVATE_MESSAGES, ask_open_question
from bot.handlers.replies import (
    answer_stale_button,
    send_not_started,
    send_settings_summary,
    settings_summary_text,
)
from bot.services import accounts
from bot.services.accounts import PendingInput


async def show_settings(update: Update, context: BotContext) -> None:
    async with context.session() as session:
        user = await find_sender(session, update)
    if user is None:
        await send_not_started(update, context)
        return
    pending = accounts.pending_of(user)
    if pending in accounts.ONBOARDING_QUESTIONS:
        # Nothing to show yet: finish the setup first.
        await ask_open_question(update, context, pending)
        return
    await send_settings_summary(update, context, user)


async def settings_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    assert context.match is not None
    action = context.match["payload"]
    question = PendingInput.SETTINGS_ZONE if action == "zone" else PendingInput.SETTINGS_TIME
    async with context.session() as session:
        user = await find_sender(session, update)
        if user is not None and user.onboarded_at is not None and action != "close":
            await accounts.open_question(session, user, question, context.now())
            await session.commit()
    if user is None:
        await send_not_started(update, context)
        return
    if user.onboarded_at is None:
        await answer_stale_button(update, context)
        return
    await query.answer()
    if action == "close":
        await query.edit_message_text(
            f"{settings_summary_text(context, user)}\n\n{context.texts.settings.closed}"
        )
        return
    await ask_open_question(update, context, question)


async def cancel(update: Update, context: BotContext) -> None:
    texts = context.texts
    message = message_of(update)
    async with context.session() as session:
        user = await find_sender(session, update)
        pending = accounts.pending_of(user) if user is not None else None
        cancellable = user is not None and pending not in accounts.ONBOARDING_QUESTIONS
        if cancellable and pending is not None:
            await accounts.open_question(session, user, None, context.now())
            await session.commit()
    if user is None:
        await send_not_started(update, context)
    elif pending in accounts.ONBOARDING_QUESTIONS:
        # Setup cannot be half-cancelled: without a zone and a time there is nothing to schedule.
        await ask_open_question(update, context, pending)
    elif pending is None:
        await message.reply_text(texts.errors.nothing_to_cancel)
    else:
        await message.reply_text(texts.errors.cancelled, reply_markup=ReplyKeyboardRemove())


HANDLERS = [
    CommandHandler("settings", show_settings, filters=PRIVATE_MESSAGES),
    CommandHandler("cancel", cancel, filters=PRIVATE_MESSAGES),
    CallbackQueryHandler(
        settings_button, pattern=callbacks.pattern(callbacks.SETTINGS, "zone|time|close")
    ),
]
