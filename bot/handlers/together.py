"""``/together``: appreciations on or off, and the quiet safe-haven tips (opt-in, offered
once after pairing by the together job)."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.content import render
from bot.handlers.turn import PRIVATE_MESSAGES, Handlers, Turn, for_onboarded
from bot.services import appreciations, safe_haven
from bot.services.pairing import partnership_of
from bot.views import callbacks
from bot.views.together import together_view


async def _view(turn: Turn) -> tuple[str, InlineKeyboardMarkup]:
    partnership = await partnership_of(turn.session, turn.user)
    partner_tips = partnership is not None and partnership.partner.safe_haven_tips
    return together_view(turn.together, turn.user, partner_tips=partner_tips)


@for_onboarded
async def show_together(turn: Turn) -> None:
    if turn.update.callback_query is not None:
        turn.answer()
    turn.reply(*await _view(turn))


@for_onboarded
async def together_button(turn: Turn) -> None:
    content, user, session, now = turn.together, turn.user, turn.session, turn.now
    action = turn.match["payload"]
    turn.answer()
    if action.startswith("offer:"):
        choice = await safe_haven.set_tips(session, user, action == "offer:yes", now)
        tips = content.tips
        if not choice.enabled:
            turn.edit(tips.offer_declined)
            return
        partnership = await partnership_of(session, user)
        partner = partnership.partner.first_name if partnership else ""
        done = tips.offer_accepted_both if choice.both else tips.offer_accepted
        turn.edit(render(done, partner=partner))
        return
    if action == "close":
        text, _ = await _view(turn)
        turn.edit(f"{text}\n\n{content.together.closed}")
        return
    if action == "appreciations":
        await appreciations.set_muted(session, user, not user.appreciations_muted, now)
    elif action == "tips":
        await safe_haven.set_tips(session, user, not user.safe_haven_tips, now)
    turn.edit(*await _view(turn))


HANDLERS: Handlers = [
    CommandHandler("together", show_together, filters=PRIVATE_MESSAGES),
    CallbackQueryHandler(show_together, pattern=callbacks.pattern(callbacks.SETTINGS, "together")),
    CallbackQueryHandler(
        together_button,
        pattern=callbacks.pattern(
            callbacks.TOGETHER, "appreciations|tips|close|offer:yes|offer:no"
        ),
    ),
]
