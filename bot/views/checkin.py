"""The evening check-in message: answered lines, then the next question with its buttons.

Drawn from the texts and the answers alone, so the check-in sender can draw a fresh prompt
from its outbox row without a database, and every tap redraws the same message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.content import Html, Texts, render
from bot.services import checkins
from bot.services.checkin_items import ITEMS_BY_KEY, items_for, next_item
from bot.views import callbacks, keyboards

# What the message shows instead of the next question: the list of answers to change.
CHANGE_LIST = "change"


@dataclass(frozen=True)
class Sharing:
    """For someone paired: what the check-in says about sharing before any answer — on the
    couple's first day, what the partner will see; and "keep today to myself" (or, once
    tapped, that the day stays theirs, with "share it after all")."""

    partner: str
    kept: bool = False
    first_day: bool = False


def _sharing_lines(texts: Texts, sharing: Sharing | None, answered: bool) -> list[str]:
    if sharing is None:
        return []
    words = texts.sharing
    if sharing.kept:
        return [render(words.checkin_kept, partner=sharing.partner)]
    if sharing.first_day and not answered:
        return [render(words.first_checkin, partner=sharing.partner)]
    return []


def _sharing_button(
    texts: Texts, checkin_id: int, sharing: Sharing | None, answered: bool
) -> list[InlineKeyboardButton]:
    """Before any answer: keep the day (or share it again); after, /journal keeps it."""
    if sharing is None:
        return []
    words = texts.sharing
    if sharing.kept:
        share = f"{checkin_id}:share"
        return [keyboards.button(words.share_again_button, callbacks.CHECKIN, share)]
    if answered:
        return []
    return [keyboards.button(words.keep_button, callbacks.CHECKIN, f"{checkin_id}:keep")]


def _options(
    texts: Texts, checkin_id: int, key: str, current: str | None
) -> list[list[InlineKeyboardButton]]:
    words = texts.checkin
    label = words.items[key]
    options = [
        keyboards.button(
            render(words.current_option, option=label.options[value])
            if value == current
            else label.options[value],
            callbacks.CHECKIN,
            f"{checkin_id}:a:{key}:{value}",
        )
        for value in ITEMS_BY_KEY[key].options
    ]
    return [options[:2], options[2:]] if len(options) > 3 else [options]


def prompt_view(
    texts: Texts,
    checkin_id: int,
    local_date: date,
    weekly: bool,
    answers: Mapping[str, str],
    *,
    closing: str | None = None,
    changing: str | None = None,
    recall: str | None = None,
    appreciate: bool = False,
    sharing: Sharing | None = None,
) -> tuple[str, InlineKeyboardMarkup]:
    """The check-in as it stands: answered lines, then the next question with its options.

    When every question is answered, the note offer; with ``closing``, that line instead of
    any question. ``changing`` is :data:`CHANGE_LIST` (which answer to change?) or the key
    of an answered item, asked again with its current answer marked. Every answer can be
    changed until a newer check-in closes the day; Snooze and Skip stay until the check-in
    is complete. ``recall``: the week's practice, said once with the last question;
    ``appreciate``: the finished check-in offers to send the partner an appreciation;
    ``sharing``: for someone paired, what is shared and "keep today to myself".
    The texts never quote a note. Needs no database: the dispatcher draws a
    fresh prompt from its outbox row alone.
    """
    words = texts.checkin
    day = texts.date(local_date, words.day_format)
    header = render(words.weekly_header if weekly else words.header, day=day)
    lines = [header]
    done = [item for item in items_for(weekly=weekly) if item.key in answers]
    if not done:
        lines.append(words.intro)
    lines += _sharing_lines(texts, sharing, bool(done))
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
    change = [keyboards.button(words.change_button, callbacks.CHECKIN, f"{checkin_id}:change")]
    back = [keyboards.button(words.change_back_button, callbacks.CHECKIN, f"{checkin_id}:back")]
    if changing == CHANGE_LIST and done:
        lines.append(words.change_question)
        for item in done:
            label = words.items[item.key]
            text = f"{label.short} {label.options[answers[item.key]]}"
            rows.append([keyboards.button(text, callbacks.CHECKIN, f"{checkin_id}:ask:{item.key}")])
        rows.append(back)
    elif changing is not None and changing in answers and changing in ITEMS_BY_KEY:
        lines.append(words.items[changing].question)
        rows += _options(texts, checkin_id, changing, answers[changing])
        rows.append(back)
    elif closing is not None:
        lines.append(closing)
        if appreciate:
            rows.append([keyboards.button(words.appreciate_button, callbacks.MENU, "thanks")])
        rows.append(change)
    elif upcoming is None:
        if recall is not None:
            lines.append(recall)
        lines.append(words.note_question)
        rows.append(
            [
                keyboards.button(words.note_button, callbacks.CHECKIN, f"{checkin_id}:note"),
                keyboards.button(words.done_button, callbacks.CHECKIN, f"{checkin_id}:done"),
            ]
        )
        rows.append(change)
    else:
        lines.append(words.items[upcoming.key].question)
        rows += _options(texts, checkin_id, upcoming.key, None)
        rows.append(
            [
                keyboards.button(words.snooze_button, callbacks.CHECKIN, f"{checkin_id}:snooze"),
                keyboards.button(words.skip_button, callbacks.CHECKIN, f"{checkin_id}:skip"),
            ]
        )
        if done:
            rows.append(change)
    rows.append(_sharing_button(texts, checkin_id, sharing, bool(done)))
    return "\n\n".join(lines), InlineKeyboardMarkup([row for row in rows if row])


def state_view(
    texts: Texts,
    state: checkins.CheckinState,
    *,
    closing: str | None = None,
    changing: str | None = None,
    recall: str | None = None,
    appreciate: bool = False,
    sharing: Sharing | None = None,
) -> tuple[str, InlineKeyboardMarkup]:
    checkin = state.checkin
    return prompt_view(
        texts,
        checkin.id,
        checkin.local_date,
        checkin.includes_weekly,
        state.answers,
        closing=closing,
        changing=changing,
        recall=recall,
        appreciate=appreciate,
        sharing=sharing,
    )
