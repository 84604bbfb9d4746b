"""Telegram's ``initData``, checked as Telegram documents it: who opened the Mini App.

The page sends it with every API call (``Authorization: tma <initData>``); it is the only
source of the person. The check (https://core.telegram.org/bots/webapps, "Validating data
received via the Mini App"):

- the secret is HMAC-SHA256 of the bot token under the key ``WebAppData``;
- the check string is every field but ``hash``, URL-decoded, as ``key=value`` lines sorted by
  key and joined by newlines; its HMAC-SHA256 under the secret, in hex, must be ``hash``
  (compared with :func:`hmac.compare_digest`);
- a field given twice is refused (which one would the signature be about?);
- an ``auth_date`` older than :data:`MAX_AGE` is refused. The same ``initData`` comes with
  every call while the page is open, so there is no nonce to store; an hour bounds a replay.

Pure: no I/O. Why a refusal happened is for the log; the reasons carry no value of the data.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from urllib.parse import parse_qsl

MAX_AGE = timedelta(hours=1)
# A clock a little ahead of ours is fine; far ahead is not a real signature's date.
FUTURE_SKEW = timedelta(minutes=5)
# Telegram's initData is well under 1 kB; far more is not one.
MAX_LENGTH = 4096
SCHEME = "tma "


class Refused(Enum):
    """Why an ``initData`` was refused (safe to log: no value of it)."""

    MISSING = "missing"
    MALFORMED = "malformed"
    DUPLICATE = "a field given twice"
    FORGED = "the signature does not match"
    EXPIRED = "older than an hour"


class InitDataError(Exception):
    def __init__(self, reason: Refused) -> None:
        super().__init__(reason.value)
        self.reason = reason


@dataclass(frozen=True)
class WebAppUser:
    """The person who opened the page, as Telegram signed it."""

    telegram_id: int
    language_code: str | None
    auth_date: datetime


def secret_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")


def sign(fields: dict[str, str], bot_token: str) -> str:
    """The ``hash`` Telegram would give ``fields`` (the tests and the benchmark sign theirs)."""
    message = check_string(fields).encode()
    return hmac.new(secret_key(bot_token), message, hashlib.sha256).hexdigest()


def from_header(header: str | None) -> str:
    """The ``initData`` of an ``Authorization: tma <initData>`` header."""
    if not header or not header.startswith(SCHEME):
        raise InitDataError(Refused.MISSING)
    return header[len(SCHEME) :].strip()


def verify(init_data: str, bot_token: str, now: datetime) -> WebAppUser:
    """The person ``init_data`` was signed for, or :class:`InitDataError`."""
    if not init_data:
        raise InitDataError(Refused.MISSING)
    if len(init_data) > MAX_LENGTH:
        raise InitDataError(Refused.MALFORMED)
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InitDataError(Refused.MALFORMED) from None
    fields: dict[str, str] = {}
    for key, value in pairs:
        if key in fields:
            raise InitDataError(Refused.DUPLICATE)
        fields[key] = value
    given = fields.get("hash", "")
    if not hmac.compare_digest(given.encode(), sign(fields, bot_token).encode()):
        raise InitDataError(Refused.FORGED)
    try:
        auth_date = datetime.fromtimestamp(int(fields["auth_date"]), now.tzinfo)
        user = json.loads(fields["user"])
        telegram_id = user["id"]
    except (KeyError, ValueError, TypeError, OverflowError, OSError):
        raise InitDataError(Refused.MALFORMED) from None
    if not isinstance(telegram_id, int) or isinstance(telegram_id, bool):
        raise InitDataError(Refused.MALFORMED)
    if auth_date < now - MAX_AGE or auth_date > now + FUTURE_SKEW:
        raise InitDataError(Refused.EXPIRED)
    language = user.get("language_code")
    return WebAppUser(telegram_id, language if isinstance(language, str) else None, auth_date)
