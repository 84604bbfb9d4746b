"""A private draft's buttons: "Keep it private" first, then "Send it anyway"; and the one
more question that shows the exact words before they go."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.content import render
from bot.content.together import DraftTexts, TalkTexts
from bot.storage.models import PrivateDraft
from bot.views import callbacks, keyboards

# The button data's actions: keep private, send (asks once more), send confirmed.
KEEP, SEND, CONFIRM = "k", "s", "y"
NAME_IN_BUTTON = 20


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


def share_or_keep(words: TalkTexts, draft: PrivateDraft, partner: str) -> InlineKeyboardMarkup:
    """An answer to a question about growing up, held until its author chooses: sharing is
    one tap (the usual reveal follows), keeping it reveals neither answer."""
    return InlineKeyboardMarkup(
        [
            [
                keyboards.button(
                    # A label is plain text (not HTML); a long name is cut to fit a button.
                    words.childhood_share_button.format(partner=partner[:NAME_IN_BUTTON]),
                    callbacks.DRAFT,
                    f"{draft.id}:{CONFIRM}",
                )
            ],
            [keyboards.button(words.childhood_keep_button, callbacks.DRAFT, f"{draft.id}:{KEEP}")],
        ]
    )
