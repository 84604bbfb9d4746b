"""``/pair``, ``/join``, invite deep links, ``/partner`` and ``/unpair``.

An invite arrives as ``/start <code>`` (the deep link) or ``/join <code>``. Someone new
first sees who invites them and gives consent; then everyone confirms the pairing with a
button. The partner on the other side is told of every outcome, but a failure to tell them
(they blocked the bot) never undoes what happened.
"""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlencode

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.content import Html, Texts, render
from bot.handlers.onboarding import ask_open_question, register_presser
from bot.handlers.turn import PRIVATE_MESSAGES, Handlers, Turn, for_anyone, for_known_sender
from bot.services import accounts, pairing
from bot.services.invite_codes import (
    ALPHABET,
    ATTEMPT_WINDOW,
    CODE_LENGTH,
    Refusal,
    deep_link,
    display_code,
    normalize_code,
)
from bot.storage.models import User
from bot.timezones import local_now
from bot.views import callbacks, keyboards
from bot.views.text import clock

CODE_PAYLOAD = rf"(?P<code>[{ALPHABET}]{{{CODE_LENGTH}}})"
# A double tap, or a code that never came from one of our buttons: no message, just a toast.
STALE_REFUSALS = frozenset({Refusal.ALREADY_DONE, Refusal.UNKNOWN})


def _refusal_text(
    texts: Texts, refusal: Refusal, inviter: User | None, wait: timedelta | None
) -> str:
    template = getattr(texts.pairing.refusals, refusal.value)
    wait = wait if wait is not None else ATTEMPT_WINDOW
    minutes = max(1, round(wait.total_seconds() / 60))
    return render(
        template,
        inviter=inviter.first_name if inviter else "",
        minutes=Html(texts.pairing.minutes.render(texts.language, minutes)),
    )


def _confirm_keyboard(texts: Texts, code: str) -> InlineKeyboardMarkup:
    words = texts.pairing
    return InlineKeyboardMarkup(
        [
            [
                keyboards.button(words.confirm_button, callbacks.PAIR, f"yes:{code}"),
                keyboards.button(words.decline_button, callbacks.PAIR, f"no:{code}"),
            ]
        ]
    )


def _continue_onboarding(turn: Turn, user: User) -> None:
    """After an invite is settled, a newcomer goes on with setting up."""
    pending = accounts.pending_of(user)
    if pending in accounts.ONBOARDING_QUESTIONS:
        ask_open_question(turn, pending)


def _what_next(texts: Texts, user: User, first_day: date | None) -> str:
    """What a new pairing brings ``user``: their first check-in as a couple (of the couple's
    first day or later: what /us and the both-answered day count from), then /us."""
    words = texts.pairing
    if user.next_checkin_at is None or user.time_zone is None:
        return words.next_after_setup
    local = local_now(user.time_zone, user.next_checkin_at)
    day, at = local.date(), local.time()
    if first_day is not None and day < first_day:
        day, at = first_day, user.checkin_time or at
    return render(
        words.next_checkin,
        day=texts.date(day, texts.checkin.day_format),
        time=clock(at),
    )


# --- making an invite ---------------------------------------------------------------------


@for_known_sender
async def make_invite(turn: Turn) -> None:
    """``/pair`` and the menu's button."""
    texts, user = turn.texts.pairing, turn.user
    ttl_hours = turn.services.settings.invite_ttl_hours
    if turn.update.callback_query is not None:
        turn.answer()
    current = await pairing.partnership_of(turn.session, user)
    if current is not None:
        turn.send(
            user.telegram_id, render(texts.already_paired, partner=current.partner.first_name)
        )
        return
    invite = await pairing.create_invite(turn.session, user, turn.now, timedelta(hours=ttl_hours))
    link = deep_link(turn.context.bot.username, invite.code)
    share_url = "https://t.me/share/url?" + urlencode({"url": link, "text": texts.share_text})
    hours = Html(texts.hours.render(turn.texts.language, ttl_hours))
    turn.send(user.telegram_id, render(texts.invite_created, hours=hours))
    turn.send(
        user.telegram_id,
        render(texts.invite_message, link=link, code=display_code(invite.code)),
        InlineKeyboardMarkup([[InlineKeyboardButton(texts.share_button, url=share_url)]]),
    )


# --- arriving with a code -------------------------------------------------------------------


async def _offer(turn: Turn, user: User | None, code_text: str) -> None:
    """Check a code someone brought and show them the invitation, or why it can't be used."""
    person = turn.update.effective_user
    assert person is not None
    code = normalize_code(code_text)
    # A wrong guess is recorded (and committed with the turn) even though nothing else changes.
    preview = await pairing.preview_invite(
        turn.session, code, telegram_id=person.id, redeemer=user, now=turn.now
    )
    texts = turn.texts
    chat_id = person.id
    if user is None:
        if preview.refusal is not None or preview.inviter is None or code is None:
            # Only why, and the way in: the long welcome is for /start, not for every try.
            refusal = preview.refusal or Refusal.UNKNOWN
            why = _refusal_text(turn.texts, refusal, preview.inviter, preview.retry_after)
            turn.send(chat_id, f"{why}\n\n{texts.pairing.refused_newcomer}")
            return
        # Nothing is stored before consent: the code rides along in the consent button.
        invited = render(texts.pairing.invited_newcomer, inviter=preview.inviter.first_name)
        welcome = render(texts.onboarding.welcome, first_name=person.first_name)
        turn.send(chat_id, f"{invited}\n\n{welcome}")
        turn.send(
            chat_id, texts.onboarding.consent_question, keyboards.consent(texts, invite_code=code)
        )
        return
    if preview.refusal is not None or preview.inviter is None or code is None:
        refusal = preview.refusal or Refusal.UNKNOWN
        turn.send(chat_id, _refusal_text(turn.texts, refusal, preview.inviter, preview.retry_after))
        _continue_onboarding(turn, user)
        return
    turn.send(
        chat_id,
        render(texts.pairing.confirm_question, inviter=preview.inviter.first_name),
        _confirm_keyboard(turn.texts, code),
    )


@for_anyone
async def start_with_code(turn: Turn) -> None:
    """``/start <code>``: the invite deep link."""
    await _offer(turn, turn.sender, turn.args[0])


@for_anyone
async def join(turn: Turn) -> None:
    """``/join <code>``: a code typed by hand."""
    if not turn.args:
        turn.reply(turn.texts.pairing.join_usage)
        return
    await _offer(turn, turn.sender, "".join(turn.args))


@for_anyone
async def consent_with_invite(turn: Turn) -> None:
    """Consent given by someone who arrived through an invite: register, then offer it."""
    if turn.sender is not None:
        turn.stale()
        return
    user = await register_presser(turn)
    turn.answer()
    turn.edit(turn.texts.onboarding.consent_accepted)
    await _offer(turn, user, turn.match["code"])


@for_known_sender
async def answer_invite(turn: Turn) -> None:
    """The confirm / decline buttons under an invitation."""
    texts, user = turn.texts.pairing, turn.user
    agreed, code = turn.match["answer"] == "yes", turn.match["code"]
    if not agreed:
        inviter = await pairing.decline_invite(turn.session, code, user, turn.now)
        if inviter is None:
            turn.stale()
            return
        turn.answer()
        turn.edit(texts.declined_you)
        theirs = turn.texts_for(inviter)
        turn.tell(inviter, render(theirs.pairing.declined_inviter, partner=user.first_name))
        _continue_onboarding(turn, user)
        return
    outcome = await pairing.redeem_invite(turn.session, code, user, turn.now)
    if isinstance(outcome, pairing.Refused) and outcome.refusal in STALE_REFUSALS:
        turn.stale()
        return
    turn.answer()
    if isinstance(outcome, pairing.Refused):
        turn.edit(_refusal_text(turn.texts, outcome.refusal, outcome.inviter, None))
    else:
        paired = render(texts.paired_you, partner=outcome.inviter.first_name)
        turn.edit(f"{paired}\n\n{_what_next(turn.texts, user, outcome.first_day)}")
        theirs = turn.texts_for(outcome.inviter)
        told = render(theirs.pairing.paired_inviter, partner=user.first_name)
        turn.tell(
            outcome.inviter, f"{told}\n\n{_what_next(theirs, outcome.inviter, outcome.first_day)}"
        )
    _continue_onboarding(turn, user)


# --- the pairing afterwards -----------------------------------------------------------------


async def _partnership(turn: Turn) -> pairing.Partnership | None:
    """The sender's couple; ``None`` (having said why) if they are not paired: never paired,
    or their pairing has ended (they are not "not paired yet" then)."""
    texts = turn.texts.pairing
    current = await pairing.partnership_of(turn.session, turn.user)
    if current is not None:
        return current
    ended = await pairing.last_ended(turn.session, turn.user)
    if ended is None:
        turn.reply(texts.not_paired)
        return None
    if ended.quietly:  # neither a name nor a day: nothing that points to who ended it
        turn.reply(turn.texts.quiet.sharing_ended)
        return None
    day = turn.texts.date(
        local_now(turn.user.time_zone or "UTC", ended.ended_at), texts.since_format
    )
    if ended.partner is None:  # they have since erased their data
        turn.reply(render(texts.pairing_ended_unnamed, day=day))
    else:
        turn.reply(render(texts.pairing_ended, partner=ended.partner.first_name, day=day))
    return None


@for_known_sender
async def show_partner(turn: Turn) -> None:
    texts = turn.texts.pairing
    current = await _partnership(turn)
    if current is None:
        return
    since = turn.texts.date(
        local_now(turn.user.time_zone or "UTC", current.since), texts.since_format
    )
    turn.reply(render(texts.partner_status, partner=current.partner.first_name, since=since))


@for_known_sender
async def ask_unpair(turn: Turn) -> None:
    texts = turn.texts.pairing
    current = await _partnership(turn)
    if current is None:
        return
    quiet = turn.texts.quiet
    keyboard = InlineKeyboardMarkup(
        [
            [
                keyboards.button(
                    texts.unpair_confirm_button, callbacks.UNPAIR, f"yes:{current.couple_id}"
                ),
                keyboards.button(
                    quiet.unpair_quiet_button, callbacks.UNPAIR, f"quiet:{current.couple_id}"
                ),
            ],
            [keyboards.button(texts.unpair_cancel_button, callbacks.UNPAIR, "no:0")],
        ]
    )
    partner = current.partner.first_name
    question = render(texts.unpair_question, partner=partner)
    turn.reply(f"{question}\n\n{render(quiet.unpair_hint, partner=partner)}", keyboard)


@for_known_sender
async def answer_unpair(turn: Turn) -> None:
    texts, user = turn.texts.pairing, turn.user
    if turn.match["answer"] == "no":
        turn.answer()
        turn.edit(texts.unpair_kept)
        return
    quietly = turn.match["answer"] == "quiet"
    couple_id = int(turn.match["couple"])
    partner = await pairing.unpair(turn.session, user, couple_id, turn.now, quietly=quietly)
    if partner is None:
        turn.stale()
        return
    turn.answer()
    if quietly:  # not a word to the partner
        turn.edit(render(turn.texts.quiet.unpaired_quietly, partner=partner.first_name))
        return
    turn.edit(render(texts.unpaired_you, partner=partner.first_name))
    theirs = turn.texts_for(partner).pairing
    turn.tell(partner, render(theirs.unpaired_partner, partner=user.first_name))


HANDLERS: Handlers = [
    # Before onboarding's /start: a deep link carries an invite code as the argument.
    CommandHandler("start", start_with_code, filters=PRIVATE_MESSAGES, has_args=True),
    CommandHandler("pair", make_invite, filters=PRIVATE_MESSAGES),
    CommandHandler("join", join, filters=PRIVATE_MESSAGES),
    CommandHandler("partner", show_partner, filters=PRIVATE_MESSAGES),
    CommandHandler("unpair", ask_unpair, filters=PRIVATE_MESSAGES),
    CallbackQueryHandler(
        consent_with_invite, pattern=callbacks.pattern(callbacks.CONSENT, rf"yes:{CODE_PAYLOAD}")
    ),
    CallbackQueryHandler(
        answer_invite,
        pattern=callbacks.pattern(callbacks.PAIR, rf"(?P<answer>yes|no):{CODE_PAYLOAD}"),
    ),
    CallbackQueryHandler(
        answer_unpair,
        pattern=callbacks.pattern(
            callbacks.UNPAIR, rf"(?P<answer>yes|quiet|no):(?P<couple>{callbacks.ID})"
        ),
    ),
    CallbackQueryHandler(make_invite, pattern=callbacks.pattern(callbacks.MENU, "pair")),
]
