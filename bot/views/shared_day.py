"""The both-answered moment in words: the day side by side, drawn from the answers alone."""

from __future__ import annotations

from collections.abc import Mapping

from telegram import InlineKeyboardMarkup

from bot.content import Html, Texts, render
from bot.services.checkin_items import items_for
from bot.services.shared_days import SideBySide
from bot.views import callbacks, keyboards

# The day's answers in two lines each: bids, then the stressful moments.
_LINES = (
    ("bids_noticed", "bids_response", "bids_made"),
    ("stressed_me", "support_received", "stressed_partner", "support_given"),
)


def talk_payload(copy: SideBySide) -> str:
    return f"{copy.couple_id}:{copy.day.strftime('%Y%m%d')}"


def answer_lines(texts: Texts, answers: Mapping[str, str], *, theirs: bool = False) -> list[str]:
    """A day's answers as lines; ``theirs``: the partner's, labelled in the third person
    ("A stressful day for them: Yes"), since they are shown under the partner's name."""
    words = texts.checkin
    daily = {item.key for item in items_for(weekly=False)}
    lines = []
    for keys in _LINES:
        parts = []
        for key in keys:
            labels = words.items[key]
            options = labels.partner_options if theirs else labels.options
            if key not in daily or answers.get(key) not in options:
                continue
            short = labels.partner_short if theirs else labels.short
            parts.append(
                render(words.answered_line, question=Html(short), answer=options[answers[key]])
            )
        if parts:
            lines.append(texts.shared_day.separator.join(parts))
    return lines


def side_by_side(texts: Texts, copy: SideBySide) -> tuple[str, InlineKeyboardMarkup | None]:
    """Both partners' answers for the day, the receiver's first; where the two views of the
    day differ, one gentle line and a button to talk about it. No note is ever in it: only
    answers are given to this function."""
    words = texts.shared_day
    day = texts.date(copy.day, texts.checkin.day_format)
    blocks = [
        render(words.title, day=day),
        "\n".join([words.you, *answer_lines(texts, copy.mine)]),
        "\n".join(
            [
                render(words.partner, partner=copy.partner.first_name),
                *answer_lines(texts, copy.theirs, theirs=True),
            ]
        ),
    ]
    if not copy.differs:
        return "\n\n".join(blocks), None
    blocks.append(words.differ)
    button = keyboards.button(words.talk_button, callbacks.SHARED_DAY, talk_payload(copy))
    return "\n\n".join(blocks), InlineKeyboardMarkup([[button]])
