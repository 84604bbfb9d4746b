"""``/talk``: a question for the two of you, answered privately, both answers shown to both
once both have answered; and the guided conversation for a day you saw differently.

The weekly question comes from the together job (:mod:`bot.jobs.together`) in the same form.
``/talk`` with nothing open offers "light" or "deep"; every question has "not tonight", which
sets it aside without a trace to the partner. An answer that reads like a crisis, and any
answer to a question about growing up, is kept as a private draft (:mod:`bot.handlers.drafts`)
until its author chooses: the partner sees the question as unanswered until then.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.content import render
from bot.content.together import TalkTexts
from bot.context import BotServices
from bot.delivery import Outcome, Recorded, Reply, Step
from bot.handlers.pending_input import InputRoute
from bot.handlers.safety import help_before, reads_like_crisis, reply_with_help
from bot.handlers.turn import PRIVATE_MESSAGES, Handlers, Turn, for_known_sender
from bot.services import accounts, drafts, shared_days, talk
from bot.services.accounts import PendingInput
from bot.services.pairing import partnership_of
from bot.services.ping_budget import Kind
from bot.services.talk import (
    MAX_ANSWER_LENGTH,
    Answered,
    Asked,
    Mood,
    Offer,
    OpenQuestion,
    Refusal,
)
from bot.storage.models import PrivateDraft, TalkQuestion, User
from bot.views import callbacks, keyboards
from bot.views.drafts import choice, share_or_keep
from bot.views.parts import message_parts
from bot.views.together import light_or_deep, question_copy


def _words(turn: Turn) -> TalkTexts:
    return turn.together.talk


# A message's text and buttons; what to record of a copy once its send's outcome is known.
QuestionMessage = tuple[str, InlineKeyboardMarkup | None]
Record = Callable[[Outcome], Step | None]


def partner_question(services: BotServices, user: User, asked: Asked) -> QuestionMessage:
    """The question as the partner gets it, in their language (a guided talk's day as they
    saw it, ``user`` — the asker — in the third person)."""
    language, question = asked.partner.language, asked.question
    return question_copy(
        services.texts_for(language),
        services.together_for(language),
        question.id,
        question.question_key,
        question.trigger,
        about=asked.about.for_partner() if asked.about is not None else None,
        partner=user.first_name,
    )


def asked_message(services: BotServices, user: User, asked: Asked) -> QuestionMessage:
    """The question as ``user``, who asked, sees it (the chat and the Mini App alike): a
    guided talk's day and how each saw it, "still open" if shown again (one they set aside
    after the partner answered: that, and "a different question"), and — for a question
    that is not a guided talk — the button that starts one (not under one set aside: the
    partner waits on its answer, and a third way there only confuses — a guided talk
    started now would reach them only once this one is answered)."""
    words = services.together_for(user.language).talk
    question = asked.question
    text, markup = question_copy(
        services.texts_for(user.language),
        services.together_for(user.language),
        question.id,
        question.question_key,
        question.trigger,
        about=asked.about,
        partner=asked.partner.first_name,
        answered=asked.answered,
    )
    if asked.set_aside:
        text = f"{render(words.set_aside_again, partner=asked.partner.first_name)}\n\n{text}"
    elif not asked.new:
        text = f"{words.open_again}\n\n{text}"
    rows = [*(markup.inline_keyboard if markup else ())]
    if asked.set_aside:
        rows.append((keyboards.button(words.new_question_button, callbacks.TALK, "new"),))
    elif question.trigger != talk.GUIDED:
        rows.append((keyboards.button(words.guided_button, callbacks.TALK, "guided"),))
    return text, InlineKeyboardMarkup(rows) if rows else None


def copy_sent(services: BotServices, question: TalkQuestion, person: User) -> Record:
    """What to record once ``person``'s copy of ``question`` was sent: sent, if it arrived
    (else it stays claimed, and the job that sends unsent copies takes it over)."""

    def record(outcome: Outcome) -> Step | None:
        if not outcome.arrived:
            return None

        async def sent(session: AsyncSession) -> None:
            await talk.copy_sent(session, question, person, services.clock())

        return sent

    return record


def _ask(turn: Turn, asked: Asked, *, tell_partner: bool = True) -> None:
    """Show ``asked`` to the presser, and to the partner if it is new for them (unless
    ``tell_partner`` is false: the caller sends it with something else)."""
    if asked.unrevealed is not None:
        _reveal(turn, asked.question, asked.text, asked.partner, *asked.unrevealed, silent=False)
        return
    turn.reply(*asked_message(turn.services, turn.user, asked))
    if asked.new and tell_partner and not asked.partner_waits:
        partner_text, partner_markup = partner_question(turn.services, turn.user, asked)
        turn.tell(
            asked.partner,
            partner_text,
            partner_markup,
            silent=asked.partner_silent,
            unasked=Kind.QUESTION,
        )


class Reveal(NamedTuple):
    """Both answers to both, what to record once they reached both, and what follows."""

    messages: list[tuple[User, str, InlineKeyboardMarkup | None, bool]]
    record: Step
    then: Callable[[list[int | None]], Sequence[Recorded]]


def reveal(
    services: BotServices,
    user: User,
    question: TalkQuestion,
    text: str,
    partner: User,
    mine: str,
    theirs: str,
    *,
    silent: bool,
    now: datetime,
) -> Reveal:
    """Both answers to both (each in parts if they do not fit one message); the question
    counts as revealed only if they reached both (else /talk shows them again). A guided
    talk's next step starts only then, and is asked of both after the answers; its copies
    are recorded as sent once they arrived (a crash before: the job sends them)."""
    words = services.together_for(user.language).talk
    to_me = render(
        words.revealed, question=text, mine=mine, partner=partner.first_name, theirs=theirs
    )
    their_content = services.together_for(partner.language)
    to_partner = render(
        their_content.talk.revealed,
        question=talk.question_text(their_content, question.question_key),
        mine=theirs,
        partner=user.first_name,
        theirs=mine,
    )
    content, next_steps = services.together_for(user.language), list[Asked]()

    async def revealed(session: AsyncSession) -> None:
        step = await talk.record_revealed(
            session, content, user, question, now, owner=services.instance_id
        )
        if step is not None:
            next_steps.append(step)

    def next_step(sent: list[int | None]) -> list[Recorded]:
        """The guided talk's next step, once this one was revealed: a message to the
        presser; for the partner, added to the answers they just got (an edit: one message
        from this update, as before), or sent on its own if it does not fit there."""
        replies: list[Recorded] = []
        for step in next_steps:
            mine_text, my_markup = asked_message(services, user, replace(step, new=True))
            replies.append(
                (
                    Reply(user.telegram_id, mine_text, my_markup),
                    copy_sent(services, step.question, user),
                )
            )
            if not step.new or step.partner_waits:  # the job sends it once they may have it
                continue
            their_text, their_markup = partner_question(services, user, step)
            recorded = copy_sent(services, step.question, step.partner)
            together = f"{message_parts(to_partner)[-1]}\n\n{their_text}"
            if sent[-1] is not None and len(message_parts(together)) == 1:
                edit = Reply(step.partner.telegram_id, together, their_markup, edit=sent[-1])
                replies.append((replace(edit, partner=True), recorded))
            else:
                alone = Reply(
                    step.partner.telegram_id,
                    their_text,
                    their_markup,
                    partner=True,
                    silent=step.partner_silent,
                )
                replies.append((alone, recorded))
        return replies

    # Not under the ping budget: the promised answer to the partner's own answer ("I'll show
    # you both answers once you have both answered").
    return Reveal(
        [(user, to_me, None, False), (partner, to_partner, None, silent)], revealed, next_step
    )


def _reveal(
    turn: Turn,
    question: TalkQuestion,
    text: str,
    partner: User,
    mine: str,
    theirs: str,
    *,
    silent: bool,
) -> None:
    turn.tell_all_then_record(
        *reveal(
            turn.services,
            turn.user,
            question,
            text,
            partner,
            mine,
            theirs,
            silent=silent,
            now=turn.now,
        )
    )


def refusal_text(turn: Turn, refusal: Refusal) -> str:
    """Why there is no question: not paired, answered already, or — sharing is paused, by
    either partner — a neutral "nothing new" that never says why (bot.services.sharing)."""
    if refusal is Refusal.NOT_SHARING:
        return turn.texts.quiet.nothing_to_talk
    if refusal is Refusal.ALREADY_ANSWERED:
        return _words(turn).already_answered
    return _words(turn).not_paired


@for_known_sender
async def talk_command(turn: Turn) -> None:
    if await turn.unfinished_setup() is not None:
        turn.reply(turn.texts.errors.not_started)
        return
    await _show(turn)


async def _show(turn: Turn, mood: Mood | None = None) -> None:
    asked = await talk.ask(turn.session, turn.together, turn.user, turn.now, mood)
    if isinstance(asked, Refusal):
        turn.reply(refusal_text(turn, asked))
    elif isinstance(asked, Offer):
        turn.reply(*light_or_deep(_words(turn)))
    else:
        _ask(turn, asked)


@for_known_sender
async def talk_menu_button(turn: Turn) -> None:
    turn.answer()
    await _show(turn)


@for_known_sender
async def talk_button(turn: Turn) -> None:
    words, user, session, now = _words(turn), turn.user, turn.session, turn.now
    payload = turn.match["payload"]
    if payload == "new":  # "a different question" under one set aside: light or deep
        turn.answer()
        turn.reply(*light_or_deep(words))
        return
    if payload in {Mood.LIGHT, Mood.DEEP}:
        turn.answer()
        await _show(turn, Mood(payload))
        return
    if turn.match["action"] == "n":
        await _not_tonight(turn, int(turn.match["id"]))
        return
    if payload.startswith("guided"):
        turn.answer()
        # From /us, the button names the newest day of the week seen differently.
        day = _day(turn.match["day"]) if turn.match["day"] else None
        asked = await talk.start_guided(session, turn.together, user, now, day=day)
        if isinstance(asked, Refusal):
            turn.reply(refusal_text(turn, asked))
        else:
            _ask(turn, asked)
        return
    found = await talk.may_answer(session, turn.together, user, int(turn.match["id"]))
    if found is None:
        turn.stale()  # another couple's question, or an ended couple's: nothing is shown
        return
    if isinstance(found, Refusal):
        turn.answer(refusal_text(turn, found))
        return
    turn.answer()
    await accounts.open_question(
        session, user, PendingInput.TALK_ANSWER, now, argument=str(found.question.id)
    )
    # Never "they see it once they answer too" to someone whose partner answered already.
    template = words.ask_answer_partner_done if found.partner_answered else words.ask_answer
    text = render(template, partner=found.partner.first_name)
    if found.childhood:
        text = f"{text}\n\n{render(words.childhood_ask, partner=found.partner.first_name)}"
    turn.reply(text)


async def _not_tonight(turn: Turn, question_id: int) -> None:
    """Set aside for the presser only: the partner gets nothing, and sees the question as
    they saw it before."""
    found = await talk.set_aside(turn.session, turn.together, turn.user, question_id, turn.now)
    if found is None:
        turn.stale()
        return
    if isinstance(found, Refusal):
        turn.answer(_words(turn).already_answered)
        return
    turn.answer()
    turn.remove_buttons()
    # Answered by the partner, the question comes back with the next /talk: "it may come
    # back another time" would not be true.
    words = _words(turn)
    template = words.not_tonight_partner_done if found.comes_back else words.not_tonight
    turn.reply(render(template, partner=found.partner.first_name))


def _day(value: str) -> date | None:
    try:
        return datetime.strptime(value, "%Y%m%d").date()
    except ValueError:
        return None


@for_known_sender
async def shared_day_button(turn: Turn) -> None:
    """ "Talk about it" under a day seen side by side: the guided conversation. Only for a
    day of the presser's own couple that they were shown; anything else shows nothing."""
    user, session = turn.user, turn.session
    day = _day(turn.match["day"])
    if day is None or not await shared_days.may_talk_about(
        session, user, int(turn.match["couple"]), day
    ):
        turn.stale()
        return
    turn.answer()
    asked = await talk.start_guided(session, turn.together, user, turn.now, day=day)
    if isinstance(asked, Refusal):
        turn.reply(refusal_text(turn, asked))
    else:
        _ask(turn, asked)


async def answer_text(turn: Turn, text: str) -> None:
    words, user, session, now = _words(turn), turn.user, turn.session, turn.now
    argument = accounts.pending_argument(user) or ""
    if len(text) > MAX_ANSWER_LENGTH:
        too_long = render(words.too_long, limit=turn.texts.number(MAX_ANSWER_LENGTH))
        reply_with_help(turn, text, too_long)
        return
    await accounts.open_question(session, user, None, now)
    if reads_like_crisis(turn.context, text):
        # Not saved as an answer (it would be shown to the partner): a private draft.
        kept = (
            await drafts.keep_answer(session, turn.together, user, int(argument), text, now)
            if argument.isdigit()
            else None
        )
        await _kept(turn, kept)
        return
    if argument.isdigit() and await talk.asks_before_sharing(session, turn.together, int(argument)):
        # About growing up: held as a private draft until its author chooses to share it.
        held = await drafts.keep_answer(session, turn.together, user, int(argument), text, now)
        await _share_or_keep(turn, held)
        return
    outcome = (
        await talk.answer(session, turn.together, user, int(argument), text, now)
        if argument.isdigit()
        else None
    )
    if outcome is None:
        turn.reply(turn.texts.errors.stale_button)
    elif isinstance(outcome, Refusal):
        turn.reply(refusal_text(turn, outcome))
    else:
        answered(turn, outcome)


async def _kept(turn: Turn, kept: PrivateDraft | Refusal | None) -> None:
    """The help first, then the choice for the answer kept as a private draft."""
    if isinstance(kept, PrivateDraft):
        words = turn.together.drafts
        partnership = await partnership_of(turn.session, turn.user)
        partner = partnership.partner.first_name if partnership else ""
        answer, markup = render(words.kept_answer, partner=partner), choice(words, kept)
    elif kept is None:
        answer, markup = turn.texts.errors.stale_button, None
    else:
        answer, markup = refusal_text(turn, kept), None
    turn.reply(help_before(turn, answer), markup, no_preview=True)


async def _share_or_keep(turn: Turn, held: PrivateDraft | Refusal | None) -> None:
    """One prompt: share the answer with the partner (the usual reveal follows) or keep it."""
    if not isinstance(held, PrivateDraft):
        stale = turn.texts.errors.stale_button
        turn.reply(stale if held is None else _words(turn).already_answered)
        return
    partnership = await partnership_of(turn.session, turn.user)
    partner = partnership.partner.first_name if partnership else ""
    words = _words(turn)
    turn.reply(render(words.childhood_choice, partner=partner), share_or_keep(words, held, partner))


def answered(turn: Turn, outcome: Answered) -> None:
    """What an answer saved brings: "waiting for your partner", both answers shown to both,
    or — the partner has no answer this time — neither."""
    words, user = _words(turn), turn.user
    found: OpenQuestion = outcome.question
    partner = found.partner
    if outcome.partner_passed:
        turn.reply(render(words.saved_passed, partner=partner.first_name))
        return
    if outcome.theirs is None:
        turn.reply(render(words.saved_waiting, partner=partner.first_name))
        if outcome.partner_waits:
            return
        turn.tell(
            partner,
            render(turn.together_for(partner).talk.partner_answered, partner=user.first_name),
            silent=outcome.partner_silent,
            unasked=Kind.QUESTION,
        )
        return
    _reveal(
        turn,
        found.question,
        found.text,
        partner,
        outcome.mine,
        outcome.theirs,
        silent=outcome.partner_silent,
    )


async def not_text(turn: Turn) -> None:
    turn.reply(_words(turn).not_text)


ANSWER_ROUTE = InputRoute(on_text=answer_text, on_other=not_text, keeps_words=True)
INPUT_ROUTES = {PendingInput.TALK_ANSWER: ANSWER_ROUTE}

HANDLERS: Handlers = [
    CommandHandler("talk", talk_command, filters=PRIVATE_MESSAGES),
    CallbackQueryHandler(talk_menu_button, pattern=callbacks.pattern(callbacks.MENU, "talk")),
    CallbackQueryHandler(
        talk_button,
        pattern=callbacks.pattern(
            callbacks.TALK,
            rf"guided(?::(?P<day>\d{{8}}))?|light|deep|new|(?P<id>{callbacks.ID}):(?P<action>[an])",
        ),
    ),
    CallbackQueryHandler(
        shared_day_button,
        pattern=callbacks.pattern(
            callbacks.SHARED_DAY, rf"(?P<couple>{callbacks.ID}):(?P<day>\d{{8}})"
        ),
    ),
]
