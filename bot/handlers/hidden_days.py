"""Keeping a day to oneself, from ``/journal``; ``/settings`` → what the partner sees.

The check-in message's own "keep today to myself" is in :mod:`bot.handlers.checkins`; the
rule itself is :mod:`bot.services.hidden_days` and :func:`bot.storage.scope.day_shared`.
"""

from __future__ import annotations

from telegram import InlineKeyboardMarkup
from telegram.ext import CallbackQueryHandler

from bot.content import render
from bot.handlers.turn import Handlers, Turn, for_known_sender, for_onboarded
from bot.services import hidden_days
from bot.views import callbacks, keyboards
from bot.views.journal import back_button, day_view
from bot.views.settings import settings_view


def confirmation(turn: Turn, day: hidden_days.DaySharing, action: str) -> str | None:
    """What a keep or a share-again says above the day (``None``: the day only opened)."""
    words, partner = turn.texts.sharing, day.partner.first_name if day.partner else ""
    when = turn.texts.date(day.day, turn.texts.journal.day_format)
    if action == "k":
        lines = [render(words.kept, day=when, partner=partner)]
        if day.already_delivered:
            lines.append(render(words.kept_already_sent, day=when))
        return "\n\n".join(lines)
    if action == "s":
        return render(words.shared_again, day=when)
    return None


@for_known_sender
async def day_button(turn: Turn) -> None:
    """A check-in day of the journal: opened ("o"), kept ("k") or shared again ("s")."""
    user, session = turn.user, turn.session
    action, checkin_id, page = turn.match["action"], int(turn.match["checkin"]), turn.match["page"]
    if action == "k":
        found = await hidden_days.keep_day(session, user, checkin_id, turn.now)
    elif action == "s":
        found = await hidden_days.share_again(session, user, checkin_id)
    else:
        found = await hidden_days.day_of(session, user, checkin_id)
    if found is hidden_days.Refused.NOT_YOURS:  # forged, or erased since the button was made
        turn.stale()
        return
    turn.answer()
    if isinstance(found, hidden_days.Refused):  # unpaired since, or a day before this couple
        markup = InlineKeyboardMarkup([[back_button(turn.texts, int(page))]])
        turn.edit(turn.texts.sharing.not_paired, markup)
        return
    text, markup = day_view(turn.texts, found, int(page))
    lead = confirmation(turn, found, action)
    turn.edit(text if lead is None else f"{lead}\n\n{text}", markup)


@for_onboarded
async def privacy_button(turn: Turn) -> None:
    """``/settings`` → what the partner sees, and back."""
    turn.answer()
    if turn.match["payload"] == "settings":
        turn.edit(*settings_view(turn.texts, turn.user, turn.now))
        return
    words = turn.texts.sharing
    back = keyboards.button(words.back_button, callbacks.SHARING, "settings")
    turn.edit(words.settings_text, InlineKeyboardMarkup([[back]]))


HANDLERS: Handlers = [
    CallbackQueryHandler(
        day_button,
        pattern=callbacks.pattern(
            callbacks.SHARING,
            rf"(?P<action>[oks]):(?P<checkin>{callbacks.ID}):(?P<page>\d{{1,4}})",
        ),
    ),
    CallbackQueryHandler(
        privacy_button, pattern=callbacks.pattern(callbacks.SHARING, "privacy|settings")
    ),
]
