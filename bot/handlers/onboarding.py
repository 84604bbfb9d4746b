"""``/start``, consent, and the two questions every user answers: time zone and check-in time.

The same two questions are reused by ``/settings``; what follows an answer depends on whether
it was onboarding (go on to the next step) or a settings change (show the settings again).
"""

from __future__ import annotations

from datetime import time

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import ReplyKeyboardRemove, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.content import render
from bot.context import BotContext
from bot.handlers import callbacks, keyboards
from bot.handlers.common import (
    answer_query,
    clock,
    edit_in_place,
    find_sender,
    local_clock,
    message_of,
    remove_buttons,
    sender_and_setup,
    shorten,
)
from bot.handlers.input import InputRoute
from bot.handlers.replies import answer_stale_button, send_settings_summary
from bot.handlers.send import reply, send_text
from bot.services import accounts
from bot.services.accounts import PendingInput
from bot.storage.models import User
from bot.timezones import (
    InvalidClockTimeError,
    InvalidZoneError,
    parse_clock_time,
    parse_zone,
    zone_for_location,
)

PRIVATE_MESSAGES = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE


async def start(update: Update, context: BotContext) -> None:
    """Greet a newcomer and ask for consent; bring a known user back to where they were."""
    texts = context.texts
    now = context.now()
    async with context.session() as session:
        user, setup = await sender_and_setup(session, update, now)
        if user is not None and setup is None and accounts.pending_of(user) is not None:
            # /start is the way back to the menu: it closes a half-done settings change.
            await accounts.open_question(session, user, None, now)
        await session.commit()
    if user is None:
        first_name = update.effective_user.first_name if update.effective_user else ""
        await reply(update, render(texts.onboarding.welcome, first_name=first_name))
        await reply(
            update, texts.onboarding.consent_question, reply_markup=keyboards.consent(texts)
        )
    elif setup is not None:
        await resume_setup(update, context, user, setup)
    else:
        await reply(
            update,
            render(texts.onboarding.welcome_back, first_name=user.first_name),
            reply_markup=keyboards.main_menu(texts),
        )


async def consent_answer(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    assert context.match is not None
    agreed = context.match["payload"] == "yes"
    texts = context.texts
    async with context.session() as session:
        if await find_sender(session, update, context.now()) is not None:
            # Consent was given before (an old message, or a double tap).
            await answer_stale_button(update, context)
            return
        if agreed:
            await accounts.register_consenting_user(
                session,
                telegram_id=query.from_user.id,
                first_name=query.from_user.first_name,
                language_code=query.from_user.language_code,
                now=context.now(),
            )
            await session.commit()
    await answer_query(update)
    if not agreed:
        await edit_in_place(update, texts.onboarding.consent_declined, None)
        return
    await edit_in_place(update, texts.onboarding.consent_accepted, None)
    await ask_open_question(update, context, PendingInput.ONBOARDING_ZONE)


async def resume_setup(
    update: Update, context: BotContext, user: User, question: PendingInput
) -> None:
    """Someone not fully set up wanted something else first: finish the setup."""
    assert update.effective_chat is not None
    await send_text(
        context.bot,
        update.effective_chat.id,
        render(context.texts.onboarding.resume, first_name=user.first_name),
    )
    await ask_open_question(update, context, question)


async def ask_open_question(update: Update, context: BotContext, question: PendingInput) -> None:
    """(Re-)send the question that ``question`` stands for."""
    texts = context.texts
    defaults = context.services.settings
    assert update.effective_chat is not None
    if question in accounts.ZONE_QUESTIONS:
        await send_text(
            context.bot,
            update.effective_chat.id,
            texts.onboarding.ask_time_zone,
            reply_markup=keyboards.time_zone_question(texts, defaults.default_time_zone),
        )
    else:
        await send_text(
            context.bot,
            update.effective_chat.id,
            texts.onboarding.ask_checkin_time,
            reply_markup=keyboards.checkin_times(texts, defaults.default_checkin_time),
        )


async def zone_from_text(
    update: Update, context: BotContext, session: AsyncSession, user: User, text: str
) -> None:
    try:
        zone = parse_zone(text)
    except InvalidZoneError:
        await reply(update, render(context.texts.onboarding.zone_invalid, text=shorten(text)))
        return
    await _save_zone(update, context, session, user, zone)


async def zone_from_location(
    update: Update, context: BotContext, session: AsyncSession, user: User
) -> None:
    location = message_of(update).location
    assert location is not None
    on_earth = -90 <= location.latitude <= 90 and -180 <= location.longitude <= 180
    zone = (
        zone_for_location(
            context.services.zone_finder.timezone_at(lng=location.longitude, lat=location.latitude)
        )
        if on_earth
        else None
    )
    if zone is None:
        await reply(update, context.texts.onboarding.location_unresolved)
        return
    await _save_zone(update, context, session, user, zone)


async def _save_zone(
    update: Update, context: BotContext, session: AsyncSession, user: User, zone: str
) -> None:
    texts = context.texts
    now = context.now()
    was_onboarding = accounts.pending_of(user) is PendingInput.ONBOARDING_ZONE
    await accounts.set_time_zone(session, user, zone, now)
    await session.commit()
    await reply(
        update,
        render(texts.onboarding.zone_saved, zone=zone, local_time=local_clock(zone, now)),
        reply_markup=ReplyKeyboardRemove(),
    )
    if was_onboarding:
        await ask_open_question(update, context, PendingInput.ONBOARDING_TIME)
    else:
        await send_settings_summary(update, context, user)


async def zone_not_text(
    update: Update, context: BotContext, session: AsyncSession, user: User
) -> None:
    await reply(update, context.texts.onboarding.zone_not_text)


async def time_from_text(
    update: Update, context: BotContext, session: AsyncSession, user: User, text: str
) -> None:
    try:
        at = parse_clock_time(text)
    except InvalidClockTimeError:
        await reply(update, render(context.texts.onboarding.time_invalid, text=shorten(text)))
        return
    await _save_time(update, context, session, user, at)


async def time_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    assert context.match is not None
    async with context.session() as session:
        user = await find_sender(session, update, context.now())
        if user is None or accounts.pending_of(user) not in accounts.TIME_QUESTIONS:
            await answer_stale_button(update, context)
            return
        try:
            at = parse_clock_time(context.match["payload"])
        except InvalidClockTimeError:
            await answer_stale_button(update, context)
            return
        await answer_query(update)
        await remove_buttons(update)
        await _save_time(update, context, session, user, at)


async def _save_time(
    update: Update, context: BotContext, session: AsyncSession, user: User, at: time
) -> None:
    texts = context.texts
    was_onboarding = accounts.pending_of(user) is PendingInput.ONBOARDING_TIME
    await accounts.set_checkin_time(session, user, at, context.now())
    await session.commit()
    assert update.effective_chat is not None
    if was_onboarding:
        await send_text(
            context.bot,
            update.effective_chat.id,
            render(
                texts.onboarding.done,
                first_name=user.first_name,
                checkin_time=clock(at),
                zone=user.time_zone,
            ),
            reply_markup=keyboards.main_menu(texts),
        )
    else:
        await send_settings_summary(
            update, context, user, lead=render(texts.settings.time_changed, checkin_time=clock(at))
        )


async def time_not_text(
    update: Update, context: BotContext, session: AsyncSession, user: User
) -> None:
    await reply(update, context.texts.onboarding.time_not_text)


ZONE_ROUTE = InputRoute(
    on_text=zone_from_text, on_other=zone_not_text, on_location=zone_from_location
)
TIME_ROUTE = InputRoute(on_text=time_from_text, on_other=time_not_text)

INPUT_ROUTES = {
    PendingInput.ONBOARDING_ZONE: ZONE_ROUTE,
    PendingInput.SETTINGS_ZONE: ZONE_ROUTE,
    PendingInput.ONBOARDING_TIME: TIME_ROUTE,
    PendingInput.SETTINGS_TIME: TIME_ROUTE,
}

HANDLERS = [
    CommandHandler("start", start, filters=PRIVATE_MESSAGES),
    CallbackQueryHandler(consent_answer, pattern=callbacks.pattern(callbacks.CONSENT, "yes|no")),
    CallbackQueryHandler(
        time_button, pattern=callbacks.pattern(callbacks.CHECKIN_TIME, r"\d{1,2}:\d{2}")
    ),
]
