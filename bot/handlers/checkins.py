"""The evening check-in message, its buttons and note; ``/bid`` and ``/stress``; pausing.

The dispatcher (``bot.handlers.dispatch``) sends the first screen; every tap edits that same
message to the next question, so a day's check-in is one message however it is answered.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.content import Html, Texts, render
from bot.context import BotContext
from bot.handlers import callbacks, keyboards
from bot.handlers.common import (
    answer_query,
    clock,
    edit_in_place,
    message_of,
    sender_and_setup,
)
from bot.handlers.input import InputRoute
from bot.handlers.notes import confirm_saved, refuse_if_too_long
from bot.handlers.notify import notify
from bot.handlers.onboarding import PRIVATE_MESSAGES, ask_open_question
from bot.handlers.replies import answer_stale_button, known_sender, send_not_started
from bot.handlers.safety import with_help
from bot.handlers.send import reply, send_text
from bot.services import accounts, checkins
from bot.services.accounts import PendingInput
from bot.services.checkin_items import ITEMS, MOMENT_OUTCOMES, items_for, next_item
from bot.storage.models import User
from bot.timezones import local_now

# --- the check-in message -----------------------------------------------------------------


def prompt_view(
    texts: Texts,
    checkin_id: int,
    local_date: date,
    weekly: bool,
    answers: dict[str, str],
    *,
    closing: str | None = None,
) -> tuple[str, InlineKeyboardMarkup]:
    """The check-in as it stands: answered lines, then the next question with its options.

    When every question is answered, the note offer; with ``closing``, that line instead of
    any question and no buttons. The texts never quote a note. Needs no database: the
    dispatcher draws a fresh prompt from its outbox row alone.
    """
    words = texts.checkin
    day = local_date.strftime(words.day_format)
    header = render(words.weekly_header if weekly else words.header, day=day)
    lines = [header]
    done = [item for item in items_for(weekly=weekly) if item.key in answers]
    if not done:
        lines.append(words.intro)
    for item in done:
        label = words.items[item.key]
        lines.append(
            render(
                words.answered_line,
                question=Html(label.short),
                answer=label.options[answers[item.key]],
            )
        )
    upcoming = next_item(answers, weekly=weekly)
    rows: list[list[InlineKeyboardButton]] = []
    if closing is not None:
        lines.append(closing)
    elif upcoming is None:
        lines.append(words.note_question)
        rows.append(
            [
                keyboards.button(words.note_button, callbacks.CHECKIN, f"{checkin_id}:note"),
                keyboards.button(words.done_button, callbacks.CHECKIN, f"{checkin_id}:done"),
            ]
        )
    else:
        label = words.items[upcoming.key]
        lines.append(label.question)
        options = [
            keyboards.button(
                label.options[value], callbacks.CHECKIN, f"{checkin_id}:a:{upcoming.key}:{value}"
            )
            for value in upcoming.options
        ]
        rows += [options[:2], options[2:]] if len(options) > 3 else [options]
        if not answers:
            rows.append(
                [
                    keyboards.button(
                        words.snooze_button, callbacks.CHECKIN, f"{checkin_id}:snooze"
                    ),
                    keyboards.button(words.skip_button, callbacks.CHECKIN, f"{checkin_id}:skip"),
                ]
            )
    return "\n\n".join(lines), InlineKeyboardMarkup([row for row in rows if row])


def state_view(
    texts: Texts, state: checkins.CheckinState, *, closing: str | None = None
) -> tuple[str, InlineKeyboardMarkup]:
    checkin = state.checkin
    return prompt_view(
        texts,
        checkin.id,
        checkin.local_date,
        checkin.includes_weekly,
        state.answers,
        closing=closing,
    )


async def _refused(update: Update, context: BotContext, refusal: checkins.Refused) -> None:
    if refusal is checkins.Refused.CLOSED:
        await answer_query(update, context.texts.checkin.closed)
    else:
        await answer_stale_button(update, context)


async def checkin_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    assert context.match is not None
    texts = context.texts.checkin
    checkin_id, action = int(context.match["checkin"]), context.match["action"]
    now = context.now()
    async with context.session() as session:
        user = await known_sender(session, update, context)
        if user is None:
            return
        if action.startswith("a:"):
            _, item, value = action.split(":")
            outcome = await checkins.answer(session, user, checkin_id, item, value, now)
        elif action == "skip":
            outcome = await checkins.skip(session, user, checkin_id, now)
        elif action == "snooze":
            outcome = await checkins.snooze(session, user, checkin_id, now)
        else:  # "note" or "done"
            outcome = await checkins.open_checkin(session, user, checkin_id)
            if action == "note" and not isinstance(outcome, checkins.Refused):
                await accounts.open_question(
                    session, user, PendingInput.CHECKIN_NOTE, now, argument=str(checkin_id)
                )
            elif action == "done" and accounts.pending_argument(user) == str(checkin_id):
                # Done means done: the next message of the evening is not taken as a note.
                await accounts.open_question(session, user, None, now)
            await session.commit()
    if isinstance(outcome, checkins.Refused):
        await _refused(update, context, outcome)
        return
    await answer_query(update)
    if action == "skip":
        await edit_in_place(update, texts.skipped, None)
    elif action == "snooze":
        await edit_in_place(update, texts.snoozed, None)
    elif action == "done":
        text, _ = state_view(context.texts, outcome, closing=texts.finished)
        await edit_in_place(update, text, None)
    elif action == "note":
        await send_text(context.bot, user.telegram_id, texts.note_prompt)
    else:
        await edit_in_place(update, *state_view(context.texts, outcome))
        if outcome.first_answer:
            await _nudge_partner(context, user)


async def _nudge_partner(context: BotContext, user: User) -> None:
    async with context.session() as session:
        partner = await checkins.partner_to_nudge(session, user, context.now())
    if partner is not None:
        await notify(
            context, partner, render(context.texts.checkin.partner_nudge, partner=user.first_name)
        )


async def note_answer(
    update: Update, context: BotContext, session: AsyncSession, user: User, text: str
) -> None:
    if await refuse_if_too_long(update, context, text):
        return
    argument = accounts.pending_argument(user) or ""
    now = context.now()
    note = (
        await checkins.add_note(session, user, int(argument), text, now)
        if argument.isdigit()
        else checkins.Refused.NOT_YOURS
    )
    await accounts.open_question(session, user, None, now)
    await session.commit()
    if isinstance(note, checkins.Refused):
        await reply(update, with_help(context, text, context.texts.checkin.closed))
        return
    await confirm_saved(update, context, note.id, text)


async def note_not_text(
    update: Update, context: BotContext, session: AsyncSession, user: User
) -> None:
    await reply(update, context.texts.checkin.note_not_text)


# --- moments as they happen -------------------------------------------------------------------


def _moment_choices(texts: Texts, command: str) -> tuple[str, list[tuple[str, str]]]:
    """The question for ``/bid`` or ``/stress`` and its (kind, button label) choices."""
    words = texts.moments
    if command == "bid":
        return words.bid_question, [
            ("bid_made", words.bid_made_button),
            ("bid_noticed", words.bid_noticed_button),
        ]
    return words.stress_question, [
        ("stress_mine", words.stress_mine_button),
        ("stress_partner", words.stress_partner_button),
    ]


def _moment_follow_up(texts: Texts, kind: str) -> str:
    words = texts.moments
    return {
        "bid_made": words.bid_made_outcome,
        "bid_noticed": words.bid_noticed_outcome,
        "stress_mine": words.stress_mine_outcome,
        "stress_partner": words.stress_partner_outcome,
    }[kind]


async def ask_moment(update: Update, context: BotContext) -> None:
    """``/bid`` or ``/stress``: which kind of moment, with buttons."""
    command = "bid" if message_of(update).text.lower().startswith("/bid") else "stress"
    async with context.session() as session:
        user = await known_sender(session, update, context)
    if user is None:
        return
    question, choices = _moment_choices(context.texts, command)
    buttons = [keyboards.button(label, callbacks.MOMENT, kind) for kind, label in choices]
    await reply(update, question, reply_markup=InlineKeyboardMarkup([buttons]))


async def moment_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    assert context.match is not None
    texts = context.texts.moments
    kind, outcome = context.match["kind"], context.match["outcome"]
    if outcome is None:
        async with context.session() as session:
            if await known_sender(session, update, context) is None:
                return
        await answer_query(update)
        options = texts.outcomes[kind]
        buttons = [
            keyboards.button(label, callbacks.MOMENT, f"{kind}:{value}")
            for value, label in options.items()
        ]
        question = _moment_follow_up(context.texts, kind)
        await edit_in_place(update, question, InlineKeyboardMarkup([buttons]))
        return
    now = context.now()
    async with context.session() as session:
        user = await known_sender(session, update, context)
        if user is None:
            return
        assert query.message is not None
        stored = await checkins.log_moment(
            session, user, kind, outcome, query.message.message_id, now
        )
    if not stored:  # a forged outcome, or a second tap on the same question
        await answer_stale_button(update, context)
        return
    await answer_query(update)
    local_time = local_now(user.time_zone or "UTC", now).time()
    logged = render(
        texts.logged,
        time=clock(local_time),
        question=_moment_follow_up(context.texts, kind),
        answer=texts.outcomes[kind][outcome],
    )
    await edit_in_place(update, logged, None)


# --- pausing ----------------------------------------------------------------------------------


def _day(user: User, instant: datetime, context: BotContext) -> str:
    return local_now(user.time_zone or "UTC", instant).strftime(context.texts.checkin.day_format)


async def _explain_not_scheduled(
    update: Update, context: BotContext, setup: PendingInput | None
) -> None:
    """/pause or /resume from someone without check-ins yet: how to get them."""
    if setup is None:
        await send_not_started(update, context)
        return
    await reply(update, context.texts.pause.before_setup)
    await ask_open_question(update, context, setup)


async def pause(update: Update, context: BotContext) -> None:
    texts = context.texts.pause
    args = context.args or []
    if len(args) > 1 or (args and not (args[0].isdigit() and checkins.valid_pause(int(args[0])))):
        await reply(update, texts.usage)
        return
    days = int(args[0]) if args else checkins.DEFAULT_PAUSE_DAYS
    now = context.now()
    async with context.session() as session:
        user, setup = await sender_and_setup(session, update, now)
        if user is not None and setup is None:
            until = await checkins.pause(session, user, days, now)
        await session.commit()
    if user is None or setup is not None:
        await _explain_not_scheduled(update, context, setup)
        return
    await reply(update, render(texts.paused, until=_day(user, until, context)))


async def resume(update: Update, context: BotContext) -> None:
    texts = context.texts.pause
    now = context.now()
    async with context.session() as session:
        user, setup = await sender_and_setup(session, update, now)
        if user is not None and setup is None:
            was_paused = checkins.is_paused(user, now)
            next_at = await checkins.resume(session, user, now)
        await session.commit()
    if user is None or setup is not None:
        await _explain_not_scheduled(update, context, setup)
        return
    if not was_paused or next_at is None:
        await reply(update, texts.not_paused)
        return
    at = clock(local_now(user.time_zone or "UTC", next_at).time())
    await reply(update, render(texts.resumed, day=_day(user, next_at, context), time=at))


NOTE_ROUTE = InputRoute(on_text=note_answer, on_other=note_not_text, keeps_words=True)
INPUT_ROUTES = {PendingInput.CHECKIN_NOTE: NOTE_ROUTE}

_ITEM_KEYS = "|".join(item.key for item in ITEMS)

HANDLERS = [
    CommandHandler("bid", ask_moment, filters=PRIVATE_MESSAGES),
    CommandHandler("stress", ask_moment, filters=PRIVATE_MESSAGES),
    CommandHandler("pause", pause, filters=PRIVATE_MESSAGES),
    CommandHandler("resume", resume, filters=PRIVATE_MESSAGES),
    CallbackQueryHandler(
        checkin_button,
        pattern=callbacks.pattern(
            callbacks.CHECKIN,
            rf"(?P<checkin>{callbacks.ID}):(?P<action>a:(?:{_ITEM_KEYS}):[a-z]{{1,12}}|skip|snooze|note|done)",
        ),
    ),
    CallbackQueryHandler(
        moment_button,
        pattern=callbacks.pattern(
            callbacks.MOMENT,
            rf"(?P<kind>{'|'.join(MOMENT_OUTCOMES)})(?::(?P<outcome>[a-z]{{1,12}}))?",
        ),
    ),
]
