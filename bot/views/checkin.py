"""The evening check-in message: answered lines, then the next question with its buttons.

Drawn from the texts and the answers alone, so the check-in sender can draw a fresh prompt
from its outbox row without a database, and every tap redraws the same message.
"""

from __future__ import annotations

from datetime import date

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.content import Html, Texts, render
from bot.services import checkins
from bot.services.checkin_items import items_for, next_item
from bot.views import callbacks, keyboards


def prompt_view(
    texts: Texts,
    checkin_id: int,
    local_date: date,
    weekly: bool,
    answers: dict[str, str],
    *,
    closing: str | None = None,
) -> tuple[str, InlineKeyboardMarkup]:
    """The check-in as it stands: answered lines, then the next question with its options.

    When every question is answered, the note offer; with ``closing``, that line instead of
    any question and no buttons. The texts never quote a note. Needs no database: the
    dispatcher draws a fresh prompt from its outbox row alone.
    """
    words = texts.checkin
    day = local_date.strftime(words.day_format)
    header = render(words.weekly_header if weekly else words.header, day=day)
    lines = [header]
    done = [item for item in items_for(weekly=weekly) if item.key in answers]
    if not done:
        lines.append(words.intro)
    for item in done:
        label = words.items[item.key]
        lines.append(
            render(
                words.answered_line,
                question=Html(label.short),
                answer=label.options[answers[item.key]],
            )
        )
    upcoming = next_item(answers, weekly=weekly)
    rows: list[list[InlineKeyboardButton]] = []
    if closing is not None:
        lines.append(closing)
    elif upcoming is None:
        lines.append(words.note_question)
        rows.append(
            [
                keyboards.button(words.note_button, callbacks.CHECKIN, f"{checkin_id}:note"),
                keyboards.button(words.done_button, callbacks.CHECKIN, f"{checkin_id}:done"),
            ]
        )
    else:
        label = words.items[upcoming.key]
        lines.append(label.question)
        options = [
            keyboards.button(
                label.options[value], callbacks.CHECKIN, f"{checkin_id}:a:{upcoming.key}:{value}"
            )
            for value in upcoming.options
        ]
        rows += [options[:2], options[2:]] if len(options) > 3 else [options]
        if not answers:
            rows.append(
                [
                    keyboards.button(
                        words.snooze_button, callbacks.CHECKIN, f"{checkin_id}:snooze"
                    ),
                    keyboards.button(words.skip_button, callbacks.CHECKIN, f"{checkin_id}:skip"),
                ]
            )
    return "\n\n".join(lines), InlineKeyboardMarkup([row for row in rows if row])


def state_view(
    texts: Texts, state: checkins.CheckinState, *, closing: str | None = None
) -> tuple[str, InlineKeyboardMarkup]:
    checkin = state.checkin
    return prompt_view(
        texts,
        checkin.id,
        checkin.local_date,
        checkin.includes_weekly,
        state.answers,
        closing=closing,
    )
