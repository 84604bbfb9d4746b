"""Quiet hours: 22:30-08:00 in the receiver's own zone. Pure, no I/O.

Messages that can wait (the safe-haven tip, a weekly question) wait for the morning; those
that cannot (an appreciation, a reply) go at once, without a sound.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time

from bot.timezones import local_now

QUIET_FROM = time(22, 30)
QUIET_UNTIL = time(8, 0)


def in_quiet_hours(zone: str | None, now: datetime) -> bool:
    local = local_now(zone or "UTC", now).time()
    return local >= QUIET_FROM or local < QUIET_UNTIL


def local_day(zone: str | None, now: datetime) -> date:
    return local_now(zone or "UTC", now).date()


def awake_zones(zones: Iterable[str], now: datetime) -> list[str]:
    """Those of ``zones`` outside their quiet hours now: what waits for the morning is left
    out in the query itself, so it never fills a batch."""
    return [zone for zone in zones if not in_quiet_hours(zone, now)]
