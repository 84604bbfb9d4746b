"""Keyboards built from the content texts."""

from __future__ import annotations

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from bot.content import Texts
from bot.handlers import callbacks


def consent(texts: Texts) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    texts.onboarding.consent_yes_button,
                    callback_data=callbacks.data(callbacks.CONSENT, "yes"),
                ),
                InlineKeyboardButton(
                    texts.onboarding.consent_no_button,
                    callback_data=callbacks.data(callbacks.CONSENT, "no"),
                ),
            ]
        ]
    )


def time_zone_question(texts: Texts) -> ReplyKeyboardMarkup:
    """Location sharing needs a reply keyboard; the zone buttons then simply send their text."""
    rows: list[list[KeyboardButton]] = [
        [KeyboardButton(texts.onboarding.share_location_button, request_location=True)]
    ]
    rows += [[KeyboardButton(zone) for zone in row] for row in texts.onboarding.common_zones]
    return ReplyKeyboardMarkup(rows, resize_keyboard=True, one_time_keyboard=True)


def checkin_times(texts: Texts) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    value, callback_data=callbacks.data(callbacks.CHECKIN_TIME, value)
                )
                for value in texts.onboarding.suggested_times
            ]
        ]
    )


def main_menu(texts: Texts) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    texts.menu.settings_button,
                    callback_data=callbacks.data(callbacks.MENU, "settings"),
                ),
                InlineKeyboardButton(
                    texts.menu.help_button, callback_data=callbacks.data(callbacks.MENU, "help")
                ),
            ]
        ]
    )


def settings(texts: Texts) -> InlineKeyboardMarkup:
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
                    texts.settings.close_button,
                    callback_data=callbacks.data(callbacks.SETTINGS, "close"),
                )
            ],
        ]
    )
