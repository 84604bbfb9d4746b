"""The evening check-in's buttons and note; ``/bid`` and ``/stress``; pausing.

The check-in sender (``bot.jobs.checkin_sender``) sends the first screen; every tap edits that same
message to the next question, so a day's check-in is one message however it is answered.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup, Message
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.content import Texts, render
from bot.handlers.notes import confirm_saved, refuse_if_too_long
from bot.handlers.onboarding import ask_open_question
from bot.handlers.pending_input import InputRoute, open_question
from bot.handlers.safety import reply_with_help
from bot.handlers.turn import (
    PRIVATE_MESSAGES,
    Handlers,
    Turn,
    for_anyone,
    for_known_sender,
    for_onboarded,
)
from bot.services import accounts, checkins, hidden_days, lessons, shared_days
from bot.services.accounts import PendingInput
from bot.services.checkin_items import ITEMS, MOMENT_OUTCOMES, next_item
from bot.services.pairing import partnership_of
from bot.services.ping_budget import Kind
from bot.storage.models import User
from bot.timezones import local_now
from bot.views import callbacks, keyboards
from bot.views.checkin import CHANGE_LIST, Sharing, state_view
from bot.views.shared_day import side_by_side
from bot.views.text import clock

# --- the check-in message -----------------------------------------------------------------


def _refused(turn: Turn, refusal: checkins.Refused) -> None:
    if refusal is checkins.Refused.CLOSED:
        # The day is done: the old message says so, and keeps no buttons that do nothing.
        turn.answer(turn.texts.checkin.closed)
        turn.remove_buttons()
    else:
        turn.stale()


@for_known_sender
async def checkin_button(turn: Turn) -> None:
    texts, user, session, now = turn.texts.checkin, turn.user, turn.session, turn.now
    checkin_id, action = int(turn.match["checkin"]), turn.match["action"]
    if action.startswith("a:"):
        _, item, value = action.split(":")
        outcome = await checkins.answer(session, user, checkin_id, item, value, now)
    elif action == "skip":
        outcome = await checkins.skip(session, user, checkin_id, now)
    elif action == "snooze":
        outcome = await checkins.snooze(session, user, checkin_id, now)
    elif action in ("keep", "share"):
        await _keep_or_share(turn, checkin_id, action)
        return
    else:  # "note", "done", or changing an answer: "change", "ask:<item>", "back"
        outcome = await checkins.open_checkin(session, user, checkin_id)
        if action == "note" and not isinstance(outcome, checkins.Refused):
            await open_question(turn, PendingInput.CHECKIN_NOTE, argument=str(checkin_id))
        elif action == "done" and accounts.pending_argument(user) == str(checkin_id):
            # Done means done: the next message of the evening is not taken as a note.
            await accounts.open_question(session, user, None, now)
    if isinstance(outcome, checkins.Refused):
        _refused(turn, outcome)
        return
    turn.answer()
    if action == "skip":
        turn.edit(texts.skipped)
    elif action == "snooze":
        turn.edit(texts.snoozed)
    elif action == "done":
        paired = await partnership_of(session, user) is not None
        kept = await _kept(turn, checkin_id) if paired else None
        closing = state_view(
            turn.texts, outcome, closing=texts.finished, appreciate=paired, sharing=kept
        )
        turn.edit(*closing)
    elif action == "note":
        turn.send(user.telegram_id, texts.note_prompt)
    elif action == "change":
        turn.edit(*state_view(turn.texts, outcome, changing=CHANGE_LIST))
    elif action.startswith("ask:"):
        turn.edit(*state_view(turn.texts, outcome, changing=action.removeprefix("ask:")))
    elif action == "back":
        turn.edit(*state_view(turn.texts, outcome))
    else:
        turn.edit(*state_view(turn.texts, outcome, recall=await _recall(turn, outcome)))
        if outcome.first_answer:
            partner = await checkins.partner_to_nudge(
                session, user, now, outcome.checkin.local_date
            )
            if partner is not None:
                theirs = turn.texts_for(partner).checkin
                turn.tell(
                    partner,
                    render(theirs.partner_nudge, partner=user.first_name),
                    unasked=Kind.NUDGE,
                )
        await _both_answered(turn, outcome)


async def _kept(turn: Turn, checkin_id: int) -> Sharing | None:
    """On "done": a day kept says so once more, with the way to share it after all."""
    day = await hidden_days.day_of(turn.session, turn.user, checkin_id)
    if isinstance(day, hidden_days.Refused) or day.partner is None or not day.kept:
        return None
    return Sharing(day.partner.first_name, kept=True)


async def _keep_or_share(turn: Turn, checkin_id: int, action: str) -> None:
    """ "Keep today to myself" on the check-in (or "share it after all"): the message says
    the day stays theirs, with the button to undo it."""
    state = await checkins.open_checkin(turn.session, turn.user, checkin_id)
    if isinstance(state, checkins.Refused):
        _refused(turn, state)
        return
    if action == "keep":
        day = await hidden_days.keep_day(turn.session, turn.user, checkin_id, turn.now)
    else:
        day = await hidden_days.share_again(turn.session, turn.user, checkin_id)
    if isinstance(day, hidden_days.Refused) or day.partner is None:
        turn.answer(turn.texts.sharing.not_paired, alert=True)
        turn.edit(*state_view(turn.texts, state))
        return
    turn.answer()
    shown = Sharing(day.partner.first_name, kept=day.kept)
    turn.edit(*state_view(turn.texts, state, sharing=shown))
    if day.already_delivered:
        when = turn.texts.date(day.day, turn.texts.journal.day_format)
        turn.reply(render(turn.texts.sharing.kept_already_sent, day=when))


async def _recall(turn: Turn, state: checkins.CheckinState) -> str | None:
    """With the last question answered: this week's practice, once a practice week."""
    if next_item(state.answers, weekly=state.checkin.includes_weekly) is not None:
        return None
    practice = await lessons.practice_to_recall(turn.session, turn.user, turn.frameworks, turn.now)
    if practice is None:
        return None
    return render(turn.texts.checkin.practice_recall, practice=practice.step.title)


async def _both_answered(turn: Turn, state: checkins.CheckinState) -> None:
    """The second of the two to complete the day: the day side by side, to both (to whoever
    is in their quiet hours, in their morning)."""
    copies = await shared_days.on_completed(
        turn.session,
        turn.user,
        state.checkin,
        dict(state.answers),
        turn.now,
        owner=turn.services.instance_id,
    )
    clock = turn.services.clock
    for copy in copies:
        text, markup = side_by_side(turn.texts_for(copy.receiver), copy)
        # To the one who just answered: the reply to their answer. To the first: unasked.
        mine = copy.receiver.id == turn.user.id
        turn.tell_then_record(
            copy.receiver,
            text,
            markup,
            partial(_record_sent, copy, clock),
            unasked=None if mine else Kind.SHARED_DAY,
            about=copy.day,
        )


async def _record_sent(
    copy: shared_days.SideBySide, clock: Callable[[], datetime], session: AsyncSession
) -> None:
    await shared_days.record_sent(session, copy, clock())


async def note_answer(turn: Turn, text: str) -> None:
    if refuse_if_too_long(turn, text):
        return
    user = turn.user
    argument = accounts.pending_argument(user) or ""
    note = (
        await checkins.add_note(turn.session, user, int(argument), text, turn.now)
        if argument.isdigit()
        else checkins.Refused.NOT_YOURS
    )
    await accounts.open_question(turn.session, user, None, turn.now)
    if isinstance(note, checkins.Refused):
        reply_with_help(turn, text, turn.texts.checkin.closed)
        return
    confirm_saved(turn, note, text)


async def note_not_text(turn: Turn) -> None:
    turn.reply(turn.texts.checkin.note_not_text)


async def words_during_question(turn: Turn) -> bool:
    """Typed words or a sticker while a check-in question waits: the question again, with
    its buttons, and for words a button that keeps them as a note. The reply quotes the
    words, so that the button can read them: nothing is stored unless it is tapped.

    Returns whether a question was waiting (if not, the caller answers as usual)."""
    state = await checkins.waiting_question(turn.session, turn.user, turn.now)
    if state is None:
        return False
    words = turn.texts.checkin
    text, markup = state_view(turn.texts, state)
    if turn.message.text is None:
        turn.reply(f"{words.other_during_question}\n\n{text}", markup)
        return True
    keep = keyboards.button(words.keep_words_button, callbacks.CHECKIN, f"{state.checkin.id}:words")
    rows = [*markup.inline_keyboard, [keep]]
    turn.reply(f"{words.words_during_question}\n\n{text}", InlineKeyboardMarkup(rows), quote=True)
    return True


@for_onboarded
async def keep_words(turn: Turn) -> None:
    """ "Keep it as a note" under the question shown again: the quoted words become a note of
    that day's check-in (kept even if the day has closed since, like any note)."""
    checkin_id = int(turn.match["checkin"])
    pressed = turn.query.message
    quoted = pressed.reply_to_message if isinstance(pressed, Message) else None
    text = quoted.text if quoted is not None else None
    if not text:
        # The words are gone from the chat: ask for them as a note instead — of this
        # person's own check-in only (the button's data may be forged or stale).
        found = await checkins.open_checkin(turn.session, turn.user, checkin_id)
        if isinstance(found, checkins.Refused):
            turn.stale()
            return
        await open_question(turn, PendingInput.CHECKIN_NOTE, argument=str(checkin_id))
        turn.answer()
        turn.send(turn.user.telegram_id, turn.texts.checkin.note_prompt)
        return
    if refuse_if_too_long(turn, text):
        turn.answer()
        return
    note = await checkins.add_note(turn.session, turn.user, checkin_id, text, turn.now)
    if isinstance(note, checkins.Refused):
        turn.stale()
        return
    turn.answer()
    # Kept once: the button goes, the question's own buttons stay.
    if isinstance(pressed, Message) and pressed.reply_markup is not None:
        rows = [
            [button for button in row if button.callback_data != turn.query.data]
            for row in pressed.reply_markup.inline_keyboard
        ]
        turn.edit(None, InlineKeyboardMarkup([row for row in rows if row]))
    confirm_saved(turn, note, text)


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


@for_known_sender
async def ask_moment(turn: Turn) -> None:
    """``/bid`` or ``/stress``: which kind of moment, with buttons."""
    command = "bid" if (turn.message.text or "").lower().startswith("/bid") else "stress"
    question, choices = _moment_choices(turn.texts, command)
    buttons = [keyboards.button(label, callbacks.MOMENT, kind) for kind, label in choices]
    turn.reply(question, InlineKeyboardMarkup([buttons]))


@for_known_sender
async def moment_button(turn: Turn) -> None:
    texts = turn.texts.moments
    kind, outcome = turn.match["kind"], turn.match["outcome"]
    if outcome is None:
        turn.answer()
        buttons = [
            keyboards.button(label, callbacks.MOMENT, f"{kind}:{value}")
            for value, label in texts.outcomes[kind].items()
        ]
        turn.edit(_moment_follow_up(turn.texts, kind), InlineKeyboardMarkup([buttons]))
        return
    message = turn.query.message
    assert message is not None
    user = turn.user
    stored = await checkins.log_moment(
        turn.session, user, kind, outcome, message.message_id, turn.now
    )
    if not stored:  # a forged outcome, or a second tap on the same question
        turn.stale()
        return
    turn.answer()
    local_time = local_now(user.time_zone or "UTC", turn.now).time()
    turn.edit(
        render(
            texts.logged,
            time=clock(local_time),
            question=_moment_follow_up(turn.texts, kind),
            answer=texts.outcomes[kind][outcome],
        )
    )


# --- pausing ----------------------------------------------------------------------------------


def _day(turn: Turn, instant: datetime) -> str:
    zone = turn.user.time_zone or "UTC"
    return turn.texts.date(local_now(zone, instant), turn.texts.checkin.day_format)


async def _scheduled_sender(turn: Turn) -> User | None:
    """The sender, if their evenings are scheduled; else ``None``, having said how to get
    there (start, or finish the setup first)."""
    if turn.sender is None:
        turn.not_started()
        return None
    setup = await turn.unfinished_setup()
    if setup is not None:
        turn.reply(turn.texts.pause.before_setup)
        ask_open_question(turn, setup)
        return None
    return turn.sender


@for_anyone
async def pause(turn: Turn) -> None:
    texts, args = turn.texts.pause, turn.args
    if len(args) > 1 or (args and not (args[0].isdigit() and checkins.valid_pause(int(args[0])))):
        turn.reply(texts.usage)
        return
    days = int(args[0]) if args else checkins.DEFAULT_PAUSE_DAYS
    user = await _scheduled_sender(turn)
    if user is None:
        return
    until = await checkins.pause(turn.session, user, days, turn.now)
    turn.reply(render(texts.paused, until=_day(turn, until)))


@for_anyone
async def resume(turn: Turn) -> None:
    texts = turn.texts.pause
    user = await _scheduled_sender(turn)
    if user is None:
        return
    was_paused = checkins.is_paused(user, turn.now)
    next_at = await checkins.resume(turn.session, user, turn.now)
    if not was_paused or next_at is None:
        turn.reply(texts.not_paused)
        return
    at = clock(local_now(user.time_zone or "UTC", next_at).time())
    turn.reply(render(texts.resumed, day=_day(turn, next_at), time=at))


NOTE_ROUTE = InputRoute(on_text=note_answer, on_other=note_not_text, keeps_words=True)
INPUT_ROUTES = {PendingInput.CHECKIN_NOTE: NOTE_ROUTE}

_ITEM_KEYS = "|".join(item.key for item in ITEMS)

HANDLERS: Handlers = [
    CommandHandler("bid", ask_moment, filters=PRIVATE_MESSAGES),
    CommandHandler("stress", ask_moment, filters=PRIVATE_MESSAGES),
    CommandHandler("pause", pause, filters=PRIVATE_MESSAGES),
    CommandHandler("resume", resume, filters=PRIVATE_MESSAGES),
    CallbackQueryHandler(
        checkin_button,
        pattern=callbacks.pattern(
            callbacks.CHECKIN,
            rf"(?P<checkin>{callbacks.ID}):(?P<action>a:(?:{_ITEM_KEYS}):[a-z]{{1,12}}"
            rf"|ask:(?:{_ITEM_KEYS})|change|back|skip|snooze|note|done|keep|share)",
        ),
    ),
    CallbackQueryHandler(
        keep_words,
        pattern=callbacks.pattern(callbacks.CHECKIN, rf"(?P<checkin>{callbacks.ID}):words"),
    ),
    CallbackQueryHandler(
        moment_button,
        pattern=callbacks.pattern(
            callbacks.MOMENT,
            rf"(?P<kind>{'|'.join(MOMENT_OUTCOMES)})(?::(?P<outcome>[a-z]{{1,12}}))?",
        ),
    ),
]
