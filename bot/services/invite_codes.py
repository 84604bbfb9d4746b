"""Invite codes and the rules for redeeming them: pure functions, no I/O.

A code is ten characters from an alphabet without look-alikes (no I/L/1, O/0): 31 symbols,
so about 49.5 bits, far beyond guessing under the attempt limit. It is shown grouped as
``ABCDE-FGHJK`` and travels unchanged in the deep link ``t.me/<bot>?start=<code>``.
"""

from __future__ import annotations

import math
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10
CODE_BITS = int(CODE_LENGTH * math.log2(len(ALPHABET)))  # 49
MAX_FAILED_ATTEMPTS = 5
ATTEMPT_WINDOW = timedelta(minutes=10)
_CODE_PATTERN = re.compile(rf"^[{ALPHABET}]{{{CODE_LENGTH}}}$")


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(text: str) -> str | None:
    """The code in what someone typed or a deep link carried, or ``None`` if it cannot be one."""
    cleaned = re.sub(r"[\s\-_.]", "", text.strip()).upper()
    return cleaned if _CODE_PATTERN.match(cleaned) else None


def display_code(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"


def deep_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start={code}"


class Refusal(StrEnum):
    """Why an invite cannot be redeemed; each has its own message in the texts."""

    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"
    OWN = "own"
    ALREADY_PAIRED = "already_paired"
    INVITER_PAIRED = "inviter_paired"
    INVITER_UNAVAILABLE = "inviter_unavailable"
    TOO_MANY_ATTEMPTS = "too_many_attempts"
    # The redeemer already used this very invite: a double tap, nothing to say.
    ALREADY_DONE = "already_done"


# Refusals that count as a wrong guess towards the attempt limit.
WRONG_GUESSES = frozenset({Refusal.UNKNOWN, Refusal.EXPIRED, Refusal.USED})


@dataclass(frozen=True)
class InviteFacts:
    """What the rules need to know about an invite and the two people around it."""

    inviter_user_id: int
    inviter_active: bool
    inviter_paired: bool
    expires_at: datetime
    used: bool


def refusal_for(
    invite: InviteFacts | None,
    *,
    redeemer_user_id: int | None,
    redeemer_paired: bool,
    now: datetime,
) -> Refusal | None:
    """The first reason this redemption must be refused, or ``None`` if it may go ahead.

    ``redeemer_user_id`` is ``None`` for someone who has not started yet (they may still look
    at an invite; they consent before it is redeemed).
    """
    if invite is None:
        return Refusal.UNKNOWN
    if invite.inviter_user_id == redeemer_user_id:
        return Refusal.OWN
    if invite.used:
        return Refusal.USED
    if invite.expires_at <= now:
        return Refusal.EXPIRED
    if redeemer_paired:
        return Refusal.ALREADY_PAIRED
    if not invite.inviter_active:
        return Refusal.INVITER_UNAVAILABLE
    if invite.inviter_paired:
        return Refusal.INVITER_PAIRED
    return None


def attempts_exhausted(recent_failures: list[datetime], now: datetime) -> timedelta | None:
    """How long to wait if the limit of wrong codes in the window is reached, else ``None``."""
    window = sorted(at for at in recent_failures if at > now - ATTEMPT_WINDOW)
    if len(window) < MAX_FAILED_ATTEMPTS:
        return None
    # Free again when enough of the window's failures have aged out.
    return window[-MAX_FAILED_ATTEMPTS] + ATTEMPT_WINDOW - now
