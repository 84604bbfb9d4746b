"""Keyboards built from the content texts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    WebAppInfo,
)

from bot.content import Texts, render
from bot.timezones import parse_clock_time, parse_zone
from bot.views import callbacks

ReplyMarkup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove


def button(label: str, prefix: str, payload: str) -> InlineKeyboardButton:
    """An inline button whose data is ``prefix:payload``."""
    return InlineKeyboardButton(label, callback_data=callbacks.data(prefix, payload))


def consent(texts: Texts, *, invite_code: str | None = None) -> InlineKeyboardMarkup:
    """Yes / not now. Someone who came through an invite carries its code in the "yes"."""
    yes = f"yes:{invite_code}" if invite_code else "yes"
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    texts.onboarding.consent_yes_button,
                    callback_data=callbacks.data(callbacks.CONSENT, yes),
                ),
                InlineKeyboardButton(
                    texts.onboarding.consent_no_button,
                    callback_data=callbacks.data(callbacks.CONSENT, "no"),
                ),
            ]
        ]
    )


def time_zone_question(texts: Texts, default_zone: str) -> ReplyKeyboardMarkup:
    """Location sharing needs a reply keyboard; the zone buttons then simply send their text.

    The operator's default zone comes first, unless the common zones already offer it.
    """
    rows: list[list[KeyboardButton]] = [
        [KeyboardButton(texts.onboarding.share_location_button, request_location=True)]
    ]
    offered = {
        parse_zone(zone, texts.language) for row in texts.onboarding.common_zones for zone in row
    }
    if parse_zone(default_zone) not in offered:
        rows.append([KeyboardButton(default_zone)])
    rows += [[KeyboardButton(zone) for zone in row] for row in texts.onboarding.common_zones]
    return ReplyKeyboardMarkup(rows, resize_keyboard=True, one_time_keyboard=True)


def checkin_times(texts: Texts, default_time: time) -> InlineKeyboardMarkup:
    """The suggested times in order, the operator's default among them and starred."""
    times = sorted(
        {parse_clock_time(value) for value in texts.onboarding.suggested_times} | {default_time}
    )
    buttons = []
    for at in times:
        label = at.strftime("%H:%M")
        if at == default_time:
            label = render(texts.onboarding.suggested_time_mark, time=label)
        buttons.append(
            InlineKeyboardButton(
                label, callback_data=callbacks.data(callbacks.CHECKIN_TIME, at.strftime("%H:%M"))
            )
        )
    return InlineKeyboardMarkup([buttons])


def open_page(texts: Texts, url: str) -> InlineKeyboardButton:
    """The Mini App's button: an inline ``web_app`` one, the only kind whose page gets the
    signed ``initData`` (a reply-keyboard button would send none)."""
    return InlineKeyboardButton(texts.mini_app.open_button, web_app=WebAppInfo(url))


def main_menu(texts: Texts, *, paired: bool, page_url: str | None = None) -> InlineKeyboardMarkup:
    """The menu as it fits the person: someone paired sees their week together (/us), not an
    invitation they no longer need; with ``page_url`` (``MINI_APP_URL``), the page too."""
    words = texts.menu
    partner = (
        button(words.us_button, callbacks.MENU, "us")
        if paired
        else button(words.pair_button, callbacks.MENU, "pair")
    )
    together = [
        button(words.thanks_button, callbacks.MENU, "thanks"),
        button(words.talk_button, callbacks.MENU, "talk"),
    ]
    return InlineKeyboardMarkup(
        [
            [button(words.learn_button, callbacks.MENU, "learn"), partner],
            *([together] if paired else []),
            [
                button(words.journal_button, callbacks.MENU, "journal"),
                button(words.settings_button, callbacks.MENU, "settings"),
            ],
            [
                button(words.help_button, callbacks.MENU, "help"),
                button(words.support_button, callbacks.MENU, "support"),
            ],
            *([[open_page(texts, page_url)]] if page_url else []),
        ]
    )


def settings(
    texts: Texts, *, paused: bool, nudge: bool, sharing_paused: bool = False
) -> InlineKeyboardMarkup:
    pause = (
        InlineKeyboardButton(
            texts.settings.resume_button, callback_data=callbacks.data(callbacks.SETTINGS, "resume")
        )
        if paused
        else InlineKeyboardButton(
            texts.settings.pause_button, callback_data=callbacks.data(callbacks.SETTINGS, "pause")
        )
    )
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    texts.settings.change_zone_button,
                    callback_data=callbacks.data(callbacks.SETTINGS, "zone"),
                )
            ],
            [
                InlineKeyboardButton(
                    texts.settings.change_time_button,
                    callback_data=callbacks.data(callbacks.SETTINGS, "time"),
                )
            ],
            [
                InlineKeyboardButton(
                    texts.settings.weekly_day_button,
                    callback_data=callbacks.data(callbacks.SETTINGS, "weekly"),
                )
            ],
            [pause],
            [
                InlineKeyboardButton(
                    render(
                        texts.settings.nudge_button,
                        state=texts.settings.nudge_off if nudge else texts.settings.nudge_on,
                    ),
                    # The state it turns to, not "toggle": an old panel's button acts on
                    # what is true now.
                    callback_data=callbacks.data(
                        callbacks.SETTINGS, "nudge_off" if nudge else "nudge_on"
                    ),
                )
            ],
            [button(texts.settings.together_button, callbacks.SETTINGS, "together")],
            [
                button(texts.quiet.resume_button, callbacks.SETTINGS, "share_on")
                if sharing_paused
                else button(texts.quiet.pause_button, callbacks.SETTINGS, "share_off")
            ],
            [button(texts.settings.language_button, callbacks.LANGUAGE, "menu")],
            [button(texts.sharing.settings_button, callbacks.SHARING, "privacy")],
            [
                InlineKeyboardButton(
                    texts.settings.close_button,
                    callback_data=callbacks.data(callbacks.SETTINGS, "close"),
                )
            ],
        ]
    )


# What marks the language a person has now, in the list of languages.
CURRENT_MARK = "✓ "


def languages(names: Mapping[str, str], current: str | None) -> InlineKeyboardMarkup:
    """One button per language, each in its own name (someone lost in a language they do
    not read still finds theirs); ``names`` is code → name, in the order to show."""
    buttons = [
        button(CURRENT_MARK + name if code == current else name, callbacks.LANGUAGE, code)
        for code, name in names.items()
    ]
    return InlineKeyboardMarkup([buttons[index : index + 2] for index in range(0, len(buttons), 2)])


def weekdays(texts: Texts) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(name, callback_data=callbacks.data(callbacks.SETTINGS, f"day{index}"))
        for index, name in enumerate(texts.settings.weekdays)
    ]
    return InlineKeyboardMarkup([buttons[:4], buttons[4:]])
