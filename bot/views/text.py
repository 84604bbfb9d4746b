"""Small text helpers for what the bot shows: quoting people safely, clock times."""

from __future__ import annotations

from datetime import datetime, time

from bot.timezones import local_now

ECHO_LIMIT = 40


def shorten(text: str, limit: int = ECHO_LIMIT) -> str:
    """What we quote back of someone's message: one line, at most ``limit`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def clock(at: time) -> str:
    return at.strftime("%H:%M")


def local_clock(zone: str, now: datetime) -> str:
    return local_now(zone, now).strftime("%H:%M")
