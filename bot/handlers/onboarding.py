"""``/start``, consent, and the two questions every user answers: time zone and check-in time.

The same two questions are reused by ``/settings``; what follows an answer depends on whether
it was onboarding (go on to the next step) or a settings change (show the settings again).
"""

from __future__ import annotations

from datetime import time

from telegram import Location, ReplyKeyboardRemove
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.content import render
from bot.context import BotServices
from bot.handlers.pending_input import InputRoute
from bot.handlers.turn import PRIVATE_MESSAGES, Handlers, Turn, for_anyone
from bot.services import accounts, pairing
from bot.services.accounts import PendingInput
from bot.storage.models import User
from bot.timezones import (
    InvalidClockTimeError,
    InvalidZoneError,
    parse_clock_time,
    parse_zone,
    zone_for_location,
)
from bot.views import callbacks, keyboards
from bot.views.settings import settings_view
from bot.views.text import clock, local_clock, shorten
from bot.zone_finder import zone_at


@for_anyone
async def start(turn: Turn) -> None:
    """Greet a newcomer and ask for consent; bring a known user back to where they were."""
    texts = turn.texts
    user = turn.sender
    if user is None:
        first_name = turn.update.effective_user.first_name if turn.update.effective_user else ""
        turn.reply(render(texts.onboarding.welcome, first_name=first_name))
        turn.reply(texts.onboarding.consent_question, keyboards.consent(texts))
        return
    setup = await turn.unfinished_setup()
    if setup is not None:
        resume_setup(turn, setup)
        return
    if accounts.pending_of(user) is not None:
        # /start is the way back to the menu: it closes a half-done settings change.
        await accounts.open_question(turn.session, user, None, turn.now)
    paired = await pairing.partnership_of(turn.session, user) is not None
    turn.reply(
        render(texts.onboarding.welcome_back, first_name=user.first_name),
        keyboards.main_menu(texts, paired=paired, page_url=turn.services.settings.mini_app_url),
    )


@for_anyone
async def consent_answer(turn: Turn) -> None:
    texts = turn.texts
    if turn.sender is not None:
        # Consent was given before (an old message, or a double tap).
        turn.stale()
        return
    agreed = turn.match["payload"] == "yes"
    if agreed:
        await register_presser(turn)
    turn.answer()
    if not agreed:
        turn.edit(texts.onboarding.consent_declined)
        return
    turn.edit(texts.onboarding.consent_accepted)
    ask_open_question(turn, PendingInput.ONBOARDING_ZONE)


async def register_presser(turn: Turn) -> User:
    """Store the person who just pressed "yes" to the terms: from now on they are known."""
    person = turn.query.from_user
    return await accounts.register_consenting_user(
        turn.session,
        telegram_id=person.id,
        first_name=person.first_name,
        language_code=person.language_code,
        language=turn.services.language_of(person.language_code),
        now=turn.now,
    )


def resume_setup(turn: Turn, question: PendingInput) -> None:
    """Someone not fully set up wanted something else first: finish the setup."""
    turn.send(turn.chat_id, render(turn.texts.onboarding.resume, first_name=turn.user.first_name))
    ask_open_question(turn, question)


def ask_open_question(turn: Turn, question: PendingInput) -> None:
    """(Re-)send the question that ``question`` stands for."""
    texts = turn.texts
    defaults = turn.services.settings
    if question in accounts.ZONE_QUESTIONS:
        turn.send(
            turn.chat_id,
            texts.onboarding.ask_time_zone,
            keyboards.time_zone_question(texts, defaults.default_time_zone),
        )
    else:
        turn.send(
            turn.chat_id,
            texts.onboarding.ask_checkin_time,
            keyboards.checkin_times(texts, defaults.default_checkin_time),
        )


async def zone_from_text(turn: Turn, text: str) -> None:
    try:
        zone = parse_zone(text, turn.texts.language)
    except InvalidZoneError:
        turn.reply(render(turn.texts.onboarding.zone_invalid, text=shorten(text)))
        return
    await _save_zone(turn, zone)


async def zone_of_location(services: BotServices, location: Location) -> str | None:
    """The time zone at a shared location (``None`` off the map, or at sea). Looked up before
    the update's turn begins (:func:`bot.handlers.fallback.input_handlers`): the first lookup
    loads the zone finder in the worker thread (0.2-0.5 s), and a turn's transaction — on
    SQLite, the one write lock — must not be held open meanwhile."""
    if not (-90 <= location.latitude <= 90 and -180 <= location.longitude <= 180):
        return None
    found = await zone_at(
        services.zone_finder, location.latitude, location.longitude, services.worker
    )
    return zone_for_location(found)


async def zone_from_location(turn: Turn, zone: str | None) -> None:
    """A location shared as the answer, with its zone (:func:`zone_of_location`)."""
    if zone is None:
        turn.reply(turn.texts.onboarding.location_unresolved)
        return
    await _save_zone(turn, zone)


async def _save_zone(turn: Turn, zone: str) -> None:
    texts, user = turn.texts, turn.user
    was_onboarding = accounts.pending_of(user) is PendingInput.ONBOARDING_ZONE
    await accounts.set_time_zone(turn.session, user, zone, turn.now)
    turn.reply(
        render(texts.onboarding.zone_saved, zone=zone, local_time=local_clock(zone, turn.now)),
        ReplyKeyboardRemove(),
    )
    if was_onboarding:
        ask_open_question(turn, PendingInput.ONBOARDING_TIME)
    else:
        turn.send(turn.chat_id, *settings_view(texts, user, turn.now))


async def zone_not_text(turn: Turn) -> None:
    turn.reply(turn.texts.onboarding.zone_not_text)


async def time_from_text(turn: Turn, text: str) -> None:
    try:
        at = parse_clock_time(text)
    except InvalidClockTimeError:
        turn.reply(render(turn.texts.onboarding.time_invalid, text=shorten(text)))
        return
    await _save_time(turn, at)


@for_anyone
async def time_button(turn: Turn) -> None:
    user = turn.sender
    if user is None or accounts.pending_of(user) not in accounts.TIME_QUESTIONS:
        turn.stale()
        return
    try:
        at = parse_clock_time(turn.match["payload"])
    except InvalidClockTimeError:
        turn.stale()
        return
    turn.answer()
    turn.remove_buttons()
    await _save_time(turn, at)


async def _save_time(turn: Turn, at: time) -> None:
    texts, user = turn.texts, turn.user
    was_onboarding = accounts.pending_of(user) is PendingInput.ONBOARDING_TIME
    await accounts.set_checkin_time(turn.session, user, at, turn.now)
    if was_onboarding:
        paired = await pairing.partnership_of(turn.session, user) is not None
        turn.send(
            turn.chat_id,
            render(
                texts.onboarding.done,
                first_name=user.first_name,
                checkin_time=clock(at),
                zone=user.time_zone,
            ),
            keyboards.main_menu(texts, paired=paired, page_url=turn.services.settings.mini_app_url),
        )
    else:
        text, markup = settings_view(texts, user, turn.now)
        lead = render(texts.settings.time_changed, checkin_time=clock(at))
        turn.send(turn.chat_id, f"{lead}\n\n{text}", markup)


async def time_not_text(turn: Turn) -> None:
    turn.reply(turn.texts.onboarding.time_not_text)


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

HANDLERS: Handlers = [
    CommandHandler("start", start, filters=PRIVATE_MESSAGES),
    CallbackQueryHandler(consent_answer, pattern=callbacks.pattern(callbacks.CONSENT, "yes|no")),
    CallbackQueryHandler(
        time_button, pattern=callbacks.pattern(callbacks.CHECKIN_TIME, r"\d{1,2}:\d{2}")
    ),
]
