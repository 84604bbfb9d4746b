"""The language offer: once, after whatever they asked for, to someone whose Telegram speaks
a language the bot has gained since they started."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.services import accounts
from bot.views.keyboards import languages

if TYPE_CHECKING:
    from bot.handlers.turn import Turn


async def offer_language(turn: Turn) -> None:
    """Once, after whatever they asked for, to someone who started before there were
    languages and whose Telegram speaks one the bot has now: the choice, in that language."""
    user, person = turn.sender, turn.update.effective_user
    if user is None or person is None or turn.update.effective_chat is None:
        return
    offered = turn.services.language_of(person.language_code)
    if not accounts.language_to_offer(user, offered):
        return
    await accounts.mark_language_offered(turn.session, user, turn.now)
    markup = languages(turn.services.language_names(), user.language)
    turn.send(turn.chat_id, turn.services.texts_for(offered).languages.offer, markup)
