"""The time zone at a point on Earth (a shared location), loaded on the first lookup.

``timezonefinder`` brings numpy and h3 with it and maps its polygon data: ~20 MB of resident
memory in a process that, after onboarding, rarely sees a location (most people type a city).
So it is imported, and its data opened, only when someone shares one; the first lookup then
takes ~0.2-0.5 s longer, in a worker thread, so other people's updates keep moving.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Executor
from functools import partial
from typing import Protocol


class ZoneFinder(Protocol):
    """What the bot needs of ``timezonefinder.TimezoneFinder`` (tests pass one in)."""

    def timezone_at(self, *, lng: float, lat: float) -> str | None: ...


class LazyZoneFinder:
    """A ``TimezoneFinder`` made on first use; lookups are serialised (they take ~1 ms)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._finder: ZoneFinder | None = None

    @property
    def loaded(self) -> bool:
        """Whether timezonefinder was loaded (its ~20 MB stay for the process's life)."""
        return self._finder is not None

    def timezone_at(self, *, lng: float, lat: float) -> str | None:
        with self._lock:
            if self._finder is None:
                from timezonefinder import TimezoneFinder

                self._finder = TimezoneFinder()
            return self._finder.timezone_at(lng=lng, lat=lat)


async def zone_at(
    finder: ZoneFinder, latitude: float, longitude: float, worker: Executor
) -> str | None:
    """The IANA zone name at the point (None at sea, mostly), looked up in ``worker`` (the
    bot's thread for heavy work): the first lookup loads the finder, and the event loop must
    not wait for it."""
    lookup = partial(finder.timezone_at, lng=longitude, lat=latitude)
    return await asyncio.get_running_loop().run_in_executor(worker, lookup)
