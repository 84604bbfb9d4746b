"""A private draft's buttons: words for the partner that read like a crisis were kept back
(:mod:`bot.services.drafts`); their author keeps them private, or sends them after all.

"Send it anyway" only asks once more, showing the exact words; the confirm button sends them
through the same way as ``/thanks`` or ``/talk`` would have. A button that no longer applies
(decided already, a second tap) says so kindly; someone else's (forged) shows nothing.
"""

from __future__ import annotations

from telegram.ext import CallbackQueryHandler

from bot.content import render
from bot.handlers import appreciations, talk
from bot.handlers.turn import Handlers, Turn, for_known_sender
from bot.services import appreciations as appreciations_service
from bot.services import drafts
from bot.services import talk as talk_service
from bot.services.drafts import Kept, Sent, Stale
from bot.services.pairing import partnership_of
from bot.views import callbacks
from bot.views.drafts import CONFIRM, KEEP, SEND, confirmation


def _stale(turn: Turn, stale: Stale) -> None:
    words = turn.together.drafts
    if stale is Stale.GONE:
        turn.stale()  # not theirs, or erased: nothing about it is shown
    else:
        turn.answer(words.already_sent if stale is Stale.SENT else words.already_private)


async def _partner_name(turn: Turn) -> str:
    partnership = await partnership_of(turn.session, turn.user)
    return partnership.partner.first_name if partnership else ""


@for_known_sender
async def draft_button(turn: Turn) -> None:
    draft_id, action = int(turn.match["id"]), turn.match["action"]
    if action == SEND:
        await _ask_once_more(turn, draft_id)
    elif action == KEEP:
        await _keep_private(turn, draft_id)
    else:
        await _send(turn, draft_id)


async def _ask_once_more(turn: Turn, draft_id: int) -> None:
    found = await drafts.to_confirm(turn.session, turn.user, draft_id)
    if isinstance(found, Stale):
        _stale(turn, found)
        return
    turn.answer()
    partner = found.partner.first_name if found.partner is not None else ""
    if found.ended:  # never to a later partner: there is nobody to send it to
        refusal = appreciations_service.Refusal.NO_LONGER_PAIRED
        language = turn.texts.language
        turn.reply(appreciations.refusal_text(turn.together.thanks, refusal, partner, language))
        return
    answer = found.draft.kind == drafts.TALK_ANSWER
    turn.reply(*confirmation(turn.together.drafts, found.draft, partner, answer=answer))


async def _keep_private(turn: Turn, draft_id: int) -> None:
    kept = await drafts.keep_private(turn.session, turn.together, turn.user, draft_id, turn.now)
    if isinstance(kept, Stale):
        _stale(turn, kept)
        return
    turn.answer()
    turn.remove_buttons()
    words = turn.together.drafts
    partner = await _partner_name(turn)
    childhood = kept.passed is not None and kept.passed.question.childhood
    template = turn.together.talk.childhood_kept if childhood else words.kept_private
    turn.reply(render(template, partner=partner))
    _tell_passed(turn, kept)


def _tell_passed(turn: Turn, kept: Kept) -> None:
    """A partner who answered already hears that neither answer will be shown — the same
    as for any "no answer this time", never why."""
    passed = kept.passed
    if passed is None or not passed.partner_answered:
        return
    partner, question = passed.question.partner, passed.question.question
    theirs = turn.together_for(partner)
    turn.tell(
        partner,
        render(
            theirs.talk.passed,
            partner=turn.user.first_name,
            question=talk_service.question_text(theirs, question.question_key),
        ),
        silent=passed.partner_silent,
    )  # not under the ping budget: what became of their own answer, as a reveal is


async def _send(turn: Turn, draft_id: int) -> None:
    sent = await drafts.send(turn.session, turn.together, turn.user, draft_id, turn.now)
    if isinstance(sent, Stale):
        _stale(turn, sent)
        return
    turn.answer()
    _after_send(turn, sent)


def _after_send(turn: Turn, sent: Sent) -> None:
    outcome, together = sent.outcome, turn.together
    if isinstance(outcome, appreciations_service.Relay):
        turn.remove_buttons()
        reply = sent.draft.kind == drafts.REPLY
        confirmation = together.thanks.reply_sent if reply else together.thanks.sent
        appreciations.relay_to_partner(turn, outcome, confirmation=confirmation)
    elif isinstance(outcome, talk_service.Answered):
        turn.remove_buttons()
        talk.answered(turn, outcome)
    elif isinstance(outcome, appreciations_service.Refusal):
        partner = sent.partner.first_name if sent.partner is not None else ""
        language = turn.texts.language
        turn.reply(appreciations.refusal_text(together.thanks, outcome, partner, language))
    elif isinstance(outcome, talk_service.Refusal):
        turn.reply(talk.refusal_text(turn, outcome))
    else:  # what it was for is gone (erased, or no longer theirs)
        turn.reply(turn.texts.errors.stale_button)


HANDLERS: Handlers = [
    CallbackQueryHandler(
        draft_button,
        pattern=callbacks.pattern(
            callbacks.DRAFT, rf"(?P<id>{callbacks.ID}):(?P<action>[{KEEP}{SEND}{CONFIRM}])"
        ),
    ),
]
