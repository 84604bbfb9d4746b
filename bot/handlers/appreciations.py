"""``/thanks``: an appreciation for the partner, relayed by the bot with "❤️ Thank you" and
"💬 Reply" buttons; the thank-you and the reply go back the same way.

Delivered at once after the commit, silently during the receiver's quiet hours, written with
the update so that a crash does not lose it; the sender hears that it was sent, or that it
could not be (the receiver blocked the bot). A send that
failed otherwise (a timeout, a 5xx) may have arrived: it counts as delivered, so its buttons
keep working. Words that read like a crisis are never relayed as they come: the sender
gets the help first, and the words are kept as a private draft, with the choice to keep them
private or send them after all (:mod:`bot.handlers.drafts`).
"""

from __future__ import annotations

from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.content import render
from bot.content.together import ThanksTexts
from bot.handlers.pending_input import InputRoute
from bot.handlers.safety import help_before, reads_like_crisis, reply_with_help
from bot.handlers.turn import PRIVATE_MESSAGES, Handlers, Turn, for_known_sender
from bot.services import accounts, appreciations, drafts
from bot.services.accounts import PendingInput
from bot.services.appreciations import MAX_APPRECIATION_LENGTH, Received, Refusal, Relay
from bot.services.pairing import partnership_of
from bot.services.quiet_hours import in_quiet_hours
from bot.storage.models import PrivateDraft
from bot.views import callbacks
from bot.views.drafts import choice
from bot.views.together import answer_keyboard, as_received


def _words(turn: Turn) -> ThanksTexts:
    return turn.together.thanks


def refusal_text(words: ThanksTexts, refusal: Refusal, partner: str, language: str) -> str:
    """Why nothing was sent, in ``language`` (the daily limit counts in its plural forms)."""
    if refusal is Refusal.DAILY_LIMIT:
        return words.daily_limit.render(language, appreciations.DAILY_LIMIT)
    template = {
        Refusal.NOT_PAIRED: words.not_paired,
        Refusal.NO_LONGER_PAIRED: words.no_longer_paired,
        Refusal.MUTED_BY_YOU: words.muted_by_you,
        Refusal.MUTED_BY_PARTNER: words.muted_by_partner,
        Refusal.UNREACHABLE: words.unreachable,
        Refusal.ALREADY_ANSWERED: words.already_answered,
        Refusal.NOT_SHARING: words.not_sharing,
    }[refusal]
    return render(template, partner=partner)


def relay_to_partner(turn: Turn, relay: Relay, *, confirmation: str) -> None:
    """The appreciation to the partner, then the sender told it was sent — or, if the
    partner blocked the bot (then it is marked not delivered), that it could not be. Both
    are written with the update (:class:`bot.delivery.Reply`): a crash before they went
    sends them at start, the relay at most twice only if it was in flight."""
    words, user = _words(turn), turn.user
    appreciation, receiver, silent = relay.appreciation, relay.receiver, relay.silent
    theirs = turn.together_for(receiver).thanks
    text = as_received(theirs, appreciation, user.first_name)
    markup = answer_keyboard(theirs, appreciation, thanked=False, replied=False)
    sent = render(words.sent_silently if silent else confirmation, partner=receiver.first_name)
    unreachable = render(words.unreachable, partner=receiver.first_name)
    turn.tell(receiver, text, markup, silent=silent, appreciation=appreciation.id)
    turn.send(turn.chat_id, sent, if_blocked=unreachable)


def _kept(
    turn: Turn, kept: PrivateDraft | Refusal | None, partner: str, *, help_first: bool
) -> None:
    """Words that read like a crisis, kept as a private draft instead of sent: the help
    first (unless the check of a command's words gave it already), then the choice."""
    if isinstance(kept, PrivateDraft):
        words = turn.together.drafts
        answer, markup = render(words.kept_appreciation, partner=partner), choice(words, kept)
    elif kept is None:
        answer, markup = turn.texts.errors.stale_button, None
    else:
        answer, markup = refusal_text(_words(turn), kept, partner, turn.texts.language), None
    turn.reply(help_before(turn, answer) if help_first else answer, markup, no_preview=help_first)


async def _start(turn: Turn, inline_text: str) -> None:
    words, user, session, now = _words(turn), turn.user, turn.session, turn.now
    allowed = await appreciations.may_send(session, user, now)
    if isinstance(allowed, Refusal):
        partner = await _partner_name(turn)
        turn.reply(refusal_text(words, allowed, partner, turn.texts.language))
        return
    partner = allowed.partner.first_name
    if inline_text:
        if len(inline_text) <= MAX_APPRECIATION_LENGTH and reads_like_crisis(
            turn.context, inline_text
        ):
            # The help came first, from the check of every command's words (bot.handlers.safety).
            kept = await drafts.keep_appreciation(session, user, inline_text, now)
            _kept(turn, kept, partner, help_first=False)
            return
        await _send(turn, inline_text)
        return
    await accounts.open_question(session, user, PendingInput.THANKS, now)
    turn.reply(render(words.ask, partner=partner, limit=turn.texts.number(MAX_APPRECIATION_LENGTH)))


async def _partner_name(turn: Turn) -> str:
    partnership = await partnership_of(turn.session, turn.user)
    return partnership.partner.first_name if partnership else ""


async def _name_in(turn: Turn, appreciation_id: int) -> str:
    """The other person of an appreciation: the one an answer to it is about, even after
    unpairing (when the current partner, if any, is someone else)."""
    other = await appreciations.other_person(turn.session, turn.user, appreciation_id)
    return other.first_name if other is not None else await _partner_name(turn)


async def _send(turn: Turn, text: str) -> None:
    words = _words(turn)
    if len(text) > MAX_APPRECIATION_LENGTH:
        turn.reply(render(words.too_long, limit=turn.texts.number(MAX_APPRECIATION_LENGTH)))
        return
    outcome = await appreciations.send(turn.session, turn.user, text, turn.now)
    if isinstance(outcome, Refusal):
        partner = await _partner_name(turn)
        turn.reply(refusal_text(words, outcome, partner, turn.texts.language))
        return
    relay_to_partner(turn, outcome, confirmation=words.sent)


@for_known_sender
async def thanks_command(turn: Turn) -> None:
    if await turn.unfinished_setup() is not None:
        turn.reply(turn.texts.errors.not_started)
        return
    parts = (turn.message.text or "").split(maxsplit=1)
    await _start(turn, parts[1].strip() if len(parts) > 1 else "")


@for_known_sender
async def thanks_menu_button(turn: Turn) -> None:
    turn.answer()
    await _start(turn, "")


async def appreciation_text(turn: Turn, text: str) -> None:
    if len(text) > MAX_APPRECIATION_LENGTH:
        too_long = render(_words(turn).too_long, limit=turn.texts.number(MAX_APPRECIATION_LENGTH))
        reply_with_help(turn, text, too_long)
        return  # the question stays open for a shorter one
    await accounts.open_question(turn.session, turn.user, None, turn.now)
    if reads_like_crisis(turn.context, text):
        kept = await drafts.keep_appreciation(turn.session, turn.user, text, turn.now)
        _kept(turn, kept, await _partner_name(turn), help_first=True)
        return
    await _send(turn, text)


async def not_text(turn: Turn) -> None:
    turn.reply(_words(turn).not_text)


async def reply_text(turn: Turn, text: str) -> None:
    words, user, now = _words(turn), turn.user, turn.now
    argument = accounts.pending_argument(user) or ""
    partner = (
        await _name_in(turn, int(argument)) if argument.isdigit() else await _partner_name(turn)
    )
    if len(text) > MAX_APPRECIATION_LENGTH:
        too_long = render(words.too_long, limit=turn.texts.number(MAX_APPRECIATION_LENGTH))
        reply_with_help(turn, text, too_long)
        return
    await accounts.open_question(turn.session, user, None, now)
    if reads_like_crisis(turn.context, text):
        kept = (
            await drafts.keep_reply(turn.session, user, int(argument), text, now)
            if argument.isdigit()
            else None
        )
        _kept(turn, kept, partner, help_first=True)
        return
    outcome = (
        await appreciations.reply(turn.session, user, int(argument), text, now)
        if argument.isdigit()
        else None
    )
    if outcome is None:
        turn.reply(turn.texts.errors.stale_button)
    elif isinstance(outcome, Refusal):
        turn.reply(refusal_text(words, outcome, partner, turn.texts.language))
    else:
        relay_to_partner(turn, outcome, confirmation=words.reply_sent)


@for_known_sender
async def appreciation_button(turn: Turn) -> None:
    words, user, session, now = _words(turn), turn.user, turn.session, turn.now
    appreciation_id, action = int(turn.match["id"]), turn.match["action"]
    if action == "ty":
        found = await appreciations.thank(session, user, appreciation_id, now)
    else:
        found = await appreciations.may_reply(session, user, appreciation_id)
    if found is None:
        turn.stale()  # someone else's appreciation: nothing about it is shown
        return
    if found is Refusal.ALREADY_ANSWERED:
        turn.answer(words.already_answered)
        return
    if isinstance(found, Refusal):
        turn.answer()
        if found is Refusal.NO_LONGER_PAIRED:
            turn.remove_buttons()
        partner = await _name_in(turn, appreciation_id)
        turn.reply(refusal_text(words, found, partner, turn.texts.language))
        return
    turn.answer()
    if action == "re":
        await accounts.open_question(
            session, user, PendingInput.THANKS_REPLY, now, argument=str(appreciation_id)
        )
        turn.reply(render(words.ask_reply, partner=found.sender.first_name))
        return
    _thanked(turn, found)


def _thanked(turn: Turn, found: Received) -> None:
    words, sender, appreciation = _words(turn), found.sender, found.appreciation
    text = f"{as_received(words, appreciation, sender.first_name)}\n\n{words.thanked_line}"
    turn.edit(text, answer_keyboard(words, appreciation, thanked=True, replied=found.replied))
    if appreciations.tell_sender(found):
        turn.tell(
            sender,
            render(
                turn.together_for(sender).thanks.thanked_you,
                partner=turn.user.first_name,
                text=appreciation.body,
            ),
            silent=in_quiet_hours(sender.time_zone, turn.now),
        )


THANKS_ROUTE = InputRoute(on_text=appreciation_text, on_other=not_text, keeps_words=True)
REPLY_ROUTE = InputRoute(on_text=reply_text, on_other=not_text, keeps_words=True)
INPUT_ROUTES = {PendingInput.THANKS: THANKS_ROUTE, PendingInput.THANKS_REPLY: REPLY_ROUTE}

HANDLERS: Handlers = [
    CommandHandler("thanks", thanks_command, filters=PRIVATE_MESSAGES),
    CallbackQueryHandler(thanks_menu_button, pattern=callbacks.pattern(callbacks.MENU, "thanks")),
    CallbackQueryHandler(
        appreciation_button,
        pattern=callbacks.pattern(callbacks.THANKS, rf"(?P<id>{callbacks.ID}):(?P<action>ty|re)"),
    ),
]
