"""A private draft's buttons: "Keep it private" first, then "Send it anyway"; and the one
more question that shows the exact words before they go."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.content import render
from bot.content.together import DraftTexts
from bot.storage.models import PrivateDraft
from bot.views import callbacks, keyboards

# The button data's actions: keep private, send (asks once more), send confirmed.
KEEP, SEND, CONFIRM = "k", "s", "y"


def choice(words: DraftTexts, draft: PrivateDraft) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [keyboards.button(words.keep_button, callbacks.DRAFT, f"{draft.id}:{KEEP}")],
            [keyboards.button(words.send_button, callbacks.DRAFT, f"{draft.id}:{SEND}")],
        ]
    )


def confirmation(
    words: DraftTexts, draft: PrivateDraft, partner: str, *, answer: bool
) -> tuple[str, InlineKeyboardMarkup]:
    """The words exactly as they would arrive (escaped: shown, never read as markup)."""
    template = words.confirm_answer if answer else words.confirm_appreciation
    return render(template, partner=partner, text=draft.body), InlineKeyboardMarkup(
        [
            [keyboards.button(words.confirm_button, callbacks.DRAFT, f"{draft.id}:{CONFIRM}")],
            [keyboards.button(words.keep_button, callbacks.DRAFT, f"{draft.id}:{KEEP}")],
        ]
    )
