"""What was held by the ping budget (:mod:`bot.services.ping_budget`), put ahead of the
message that may go now: one message, all the buttons in order."""

from __future__ import annotations

import json

from telegram import Bot, InlineKeyboardMarkup

from bot.services.ping_budget import Merged, ahead_of
from bot.views.keyboards import ReplyMarkup


def keyboard_json(markup: ReplyMarkup | None) -> str | None:
    """An inline keyboard as it is kept with a held message (unasked messages carry no
    other kind of keyboard)."""
    return json.dumps(markup.to_dict()) if isinstance(markup, InlineKeyboardMarkup) else None


def with_held(
    held: Merged | None, text: str, markup: ReplyMarkup | None, bot: Bot | None = None
) -> tuple[str, InlineKeyboardMarkup | None]:
    inline = markup.to_dict() if isinstance(markup, InlineKeyboardMarkup) else None
    joined, keys = ahead_of(held, text, inline)
    return joined, None if keys is None else InlineKeyboardMarkup.de_json(keys, bot)
