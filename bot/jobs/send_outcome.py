"""What a failed send means: delivered or not, blocked, refused. Pure: no I/O.

Shared by the jobs that send (:mod:`bot.jobs.checkin_sender`, :mod:`bot.jobs.together`), so
neither imports the other.
"""

from __future__ import annotations

from enum import Enum

import httpx
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError


class Delivery(Enum):
    """What a failed send means for the prompt."""

    NOT_DELIVERED = "not delivered"  # surely not: retry
    MAYBE_DELIVERED = "maybe delivered"  # Telegram may have it: one more copy at most
    BLOCKED = "blocked"  # 403: the person blocked the bot
    REFUSED = "refused"  # 400: this message will not go through as it is


_SURELY_UNSENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def delivery_of(error: TelegramError) -> Delivery:
    """Whether Telegram may have received a send that failed with ``error``. Pure.

    Only a failure to connect proves nothing arrived; a timeout while waiting for the answer,
    a connection dropped after the request went out, or a 5xx may come after delivery.
    """
    if isinstance(error, Forbidden):
        return Delivery.BLOCKED
    if isinstance(error, BadRequest):
        return Delivery.REFUSED
    if isinstance(error, RetryAfter):  # still refused after the rate limiter's retries
        return Delivery.NOT_DELIVERED
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, _SURELY_UNSENT):
            return Delivery.NOT_DELIVERED
        cause = cause.__cause__
    return Delivery.MAYBE_DELIVERED
