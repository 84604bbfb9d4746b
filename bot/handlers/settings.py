"""``/settings``, its buttons, and ``/cancel`` for a half-done change."""

from __future__ import annotations

from telegram import ReplyKeyboardRemove
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.content import render
from bot.handlers.onboarding import ask_open_question
from bot.handlers.pending_input import open_question
from bot.handlers.turn import PRIVATE_MESSAGES, Handlers, Turn, for_known_sender, for_onboarded
from bot.services import accounts, checkins, sharing
from bot.services.accounts import PendingInput
from bot.services.ping_budget import Kind
from bot.views import callbacks, keyboards
from bot.views.settings import settings_summary, settings_view

QUESTIONS = {"zone": PendingInput.SETTINGS_ZONE, "time": PendingInput.SETTINGS_TIME}


@for_known_sender
async def show_settings(turn: Turn) -> None:
    setup = await turn.unfinished_setup()
    if setup is not None:
        # Nothing to show yet: finish the setup first.
        ask_open_question(turn, setup)
    else:
        turn.send(turn.chat_id, *settings_view(turn.texts, turn.user, turn.now))


@for_onboarded
async def settings_button(turn: Turn) -> None:
    user, session, now, texts = turn.user, turn.session, turn.now, turn.texts
    action = turn.match["payload"]
    if action in QUESTIONS:
        await open_question(turn, QUESTIONS[action])
    elif action == "pause":
        await checkins.pause(session, user, checkins.DEFAULT_PAUSE_DAYS, now)
    elif action == "resume":
        await checkins.resume(session, user, now)
    elif action.startswith("share"):
        await _set_sharing(turn, paused=action == "share_off")
        return
    elif action.startswith("nudge"):
        await accounts.set_partner_nudge(session, user, action == "nudge_on", now)
    elif action.startswith("day"):
        partner = await accounts.set_weekly_day(session, user, int(action[3:]), now)
        if partner is not None:
            day = texts.settings.weekdays[user.weekly_day]
            if sharing.passes_between(user, partner):
                theirs = turn.texts_for(partner).settings
                told = render(
                    theirs.weekly_day_changed_by_partner,
                    partner=user.first_name,
                    day=theirs.weekdays[user.weekly_day],
                )
                turn.tell(partner, told, unasked=Kind.NOTICE)
                said = texts.settings.weekly_day_set_together
            else:  # a pause: the other is told nothing, either way
                said = texts.settings.weekly_day_set_quietly
            lead = render(said, partner=partner.first_name, day=day)
            turn.answer()
            text, markup = settings_view(texts, user, now)
            turn.edit(f"{lead}\n\n{text}", markup)
            return
    turn.answer()
    if action == "close":
        turn.edit(f"{settings_summary(texts, user, now)}\n\n{texts.settings.closed}")
    elif action in QUESTIONS:
        ask_open_question(turn, QUESTIONS[action])
    elif action == "weekly":
        turn.edit(texts.settings.choose_weekly_day, keyboards.weekdays(texts))
    else:
        turn.edit(*settings_view(texts, user, now))


async def _set_sharing(turn: Turn, *, paused: bool) -> None:
    """Pause or resume sharing: said to the one who pressed, never to the partner (the quiet
    way out: bot.services.sharing)."""
    texts = turn.texts
    changed = await sharing.set_sharing_paused(turn.session, turn.user, paused, turn.now)
    if changed is None:
        turn.answer(texts.quiet.not_paired)
        return
    turn.answer()
    said = texts.quiet.paused if paused else texts.quiet.resumed
    lead = render(said, partner=changed.partner.first_name)
    text, markup = settings_view(texts, turn.user, turn.now)
    turn.edit(f"{lead}\n\n{text}", markup)


@for_known_sender
async def cancel(turn: Turn) -> None:
    texts, user = turn.texts, turn.user
    setup = await turn.unfinished_setup()
    pending = accounts.pending_of(user)
    if setup is not None:
        # Setup cannot be half-cancelled: without a zone and a time there is nothing to schedule.
        ask_open_question(turn, setup)
    elif pending is None:
        turn.reply(texts.errors.nothing_to_cancel)
    else:
        await accounts.open_question(turn.session, user, None, turn.now)
        turn.reply(texts.errors.cancelled, ReplyKeyboardRemove())


HANDLERS: Handlers = [
    CommandHandler("settings", show_settings, filters=PRIVATE_MESSAGES),
    CommandHandler("cancel", cancel, filters=PRIVATE_MESSAGES),
    CallbackQueryHandler(
        settings_button,
        pattern=callbacks.pattern(
            callbacks.SETTINGS,
            "zone|time|weekly|pause|resume|nudge_on|nudge_off|share_on|share_off|close|day[0-6]",
        ),
    ),
]
