"""``/settings``, its buttons, and ``/cancel`` for a half-done change."""

from __future__ import annotations

from telegram import ReplyKeyboardRemove, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.context import BotContext
from bot.handlers import callbacks, keyboards
from bot.handlers.common import answer_query, edit_in_place, find_sender, sender_and_setup
from bot.handlers.onboarding import PRIVATE_MESSAGES, ask_open_question
from bot.handlers.replies import (
    answer_stale_button,
    send_not_started,
    send_settings_summary,
    settings_summary_text,
    settings_view,
)
from bot.handlers.send import reply
from bot.services import accounts, checkins
from bot.services.accounts import PendingInput

QUESTIONS = {"zone": PendingInput.SETTINGS_ZONE, "time": PendingInput.SETTINGS_TIME}


async def show_settings(update: Update, context: BotContext) -> None:
    now = context.now()
    async with context.session() as session:
        user, setup = await sender_and_setup(session, update, now)
        await session.commit()
    if user is None:
        await send_not_started(update, context)
    elif setup is not None:
        # Nothing to show yet: finish the setup first.
        await ask_open_question(update, context, setup)
    else:
        await send_settings_summary(update, context, user)


async def settings_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    assert context.match is not None
    action = context.match["payload"]
    now = context.now()
    async with context.session() as session:
        user = await find_sender(session, update, now)
        ready = user is not None and user.onboarded_at is not None
        if ready and action in QUESTIONS:
            await accounts.open_question(session, user, QUESTIONS[action], now)
        elif ready and action == "pause":
            await checkins.pause(session, user, checkins.DEFAULT_PAUSE_DAYS, now)
        elif ready and action == "resume":
            await checkins.resume(session, user, now)
        elif ready and action == "nudge":
            await accounts.set_partner_nudge(session, user, not user.partner_nudge, now)
        elif ready and action.startswith("day"):
            await accounts.set_weekly_day(session, user, int(action[3:]), now)
        await session.commit()
    if user is None:
        await send_not_started(update, context)
        return
    if user.onboarded_at is None:
        await answer_stale_button(update, context)
        return
    await answer_query(update)
    if action == "close":
        await edit_in_place(
            update,
            f"{settings_summary_text(context, user)}\n\n{context.texts.settings.closed}",
            None,
        )
    elif action in QUESTIONS:
        await ask_open_question(update, context, QUESTIONS[action])
    elif action == "weekly":
        await edit_in_place(
            update, context.texts.settings.choose_weekly_day, keyboards.weekdays(context.texts)
        )
    else:
        await edit_in_place(update, *settings_view(context, user))


async def cancel(update: Update, context: BotContext) -> None:
    texts = context.texts
    now = context.now()
    async with context.session() as session:
        user, setup = await sender_and_setup(session, update, now)
        pending = accounts.pending_of(user) if user is not None else None
        if user is not None and setup is None and pending is not None:
            await accounts.open_question(session, user, None, now)
        await session.commit()
    if user is None:
        await send_not_started(update, context)
    elif setup is not None:
        # Setup cannot be half-cancelled: without a zone and a time there is nothing to schedule.
        await ask_open_question(update, context, setup)
    elif pending is None:
        await reply(update, texts.errors.nothing_to_cancel)
    else:
        await reply(update, texts.errors.cancelled, reply_markup=ReplyKeyboardRemove())


HANDLERS = [
    CommandHandler("settings", show_settings, filters=PRIVATE_MESSAGES),
    CommandHandler("cancel", cancel, filters=PRIVATE_MESSAGES),
    CallbackQueryHandler(
        settings_button,
        pattern=callbacks.pattern(
            callbacks.SETTINGS, "zone|time|weekly|pause|resume|nudge|close|day[0-6]"
        ),
    ),
]
