"""Callback-data prefixes and their parsing.

Every inline button's data is ``PREFIX:payload`` and stays under Telegram's 64-byte limit.
A handler is registered per prefix; anything that matches no prefix is stale or forged and gets
the "older message" answer from the fallback handler.
"""

from __future__ import annotations

import re

CONSENT = "consent"
CHECKIN_TIME = "time"
MENU = "menu"
SETTINGS = "settings"
PAIR = "pair"
LEARN = "learn"
REFLECT = "reflect"
NOTE = "note"
SHARED = "shared"
JOURNAL = "journal"
CHECK = "check"
CHECKIN = "ci"
MOMENT = "mo"
WEEK = "us"
DELETE = "delete"
UNPAIR = "unpair"
THANKS = "th"
TALK = "tk"
TOGETHER = "tg"
LANGUAGE = "lang"
SHARED_DAY = "sd"
DRAFT = "dr"
# Keeping a day to oneself (from /journal) and /settings → what the partner sees.
SHARING = "kd"
# /support's "More lines": the payload is a country code, or "none" for the language's list.
HELPLINES = "hl"

MAX_CALLBACK_DATA_BYTES = 64
# Row ids in button data have at most nine digits: the id columns are 32-bit, and a longer
# (forged) number must fall through as stale rather than reach the database.
ID = r"\d{1,9}"


def data(prefix: str, payload: str) -> str:
    value = f"{prefix}:{payload}"
    if len(value.encode()) > MAX_CALLBACK_DATA_BYTES:
        raise ValueError(f"callback data over {MAX_CALLBACK_DATA_BYTES} bytes: {value!r}")
    return value


def pattern(prefix: str, payload_pattern: str) -> re.Pattern[str]:
    """The regex a handler for ``prefix`` matches; payloads outside it fall through as stale."""
    return re.compile(rf"^{re.escape(prefix)}:(?P<payload>{payload_pattern})$")
