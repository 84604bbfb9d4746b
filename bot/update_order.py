"""Run different people's updates at the same time, and each person's in the order sent.

PTB handles updates one at a time unless told otherwise. Each update waits for Telegram at
least once (tens of milliseconds to api.telegram.org), so one at a time caps the whole bot at a
few dozen updates per second: an evening of check-ins would queue. PTB's plain concurrency
(``concurrent_updates=True``) fixes that but lets one person's updates overtake each other: a
typed answer could be handled before the button press that asked the question, and the replies
would arrive in the wrong order. This processor keeps both: up to ``max_concurrent_updates``
updates run at once, but never two of the same person.

It is built on PTB's public hook, ``do_process_update``. PTB's own ``process_update`` takes a
slot of its semaphore *before* calling the hook, so a per-person lock taken inside the hook
would let one person's flood fill every slot while their updates wait on each other. Hence PTB
gets a generous limit (``PTB_SLOTS``, only a bound on waiting tasks), and the real limit is our
own semaphore, taken *after* the person's lock: someone sending a hundred updates at once holds
one slot, not all of them.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from telegram.ext import BaseUpdateProcessor

from bot.update_log import UpdateLog

if TYPE_CHECKING:
    from bot.metrics import Metrics

# Updates PTB lets into do_process_update at once; most of them wait there for their person.
PTB_SLOTS = 4096


@dataclass
class _PersonQueue:
    """The lock that orders one person's updates, and how many updates hold or wait for it."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    holders: int = 0


class PerPersonUpdateProcessor(BaseUpdateProcessor):
    """Concurrency across people, arrival order within one person."""

    def __init__(
        self,
        max_concurrent_updates: int,
        update_log: UpdateLog | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        super().__init__(max(PTB_SLOTS, max_concurrent_updates))
        # Skips what was handled before, and writes down what is handled (bot.update_log).
        self.update_log = update_log
        self.metrics = metrics
        self.running_limit = max_concurrent_updates
        self._running = asyncio.Semaphore(max_concurrent_updates)
        # Entries exist only while someone has an update in flight, so this stays small.
        self._people: dict[int, _PersonQueue] = {}

    @staticmethod
    def ordering_key(update: object) -> int | None:
        """Whose updates must not overtake each other: the sender's, else the chat's."""
        user = getattr(update, "effective_user", None)
        if user is not None:
            return int(user.id)
        chat = getattr(update, "effective_chat", None)
        return int(chat.id) if chat is not None else None

    def in_flight(self, key: int) -> int:
        """How many of this person's updates are being handled or waiting their turn."""
        queue = self._people.get(key)
        return queue.holders if queue is not None else 0

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Wait for this person's earlier updates, then for a free slot, then run."""
        log = self.update_log
        if log is not None and log.is_duplicate(update):
            if inspect.iscoroutine(coroutine):
                coroutine.close()
            if self.metrics is not None:
                self.metrics.skipped(update)
            return
        try:
            await self._in_order(update, coroutine)
        finally:
            if log is not None:
                log.handled(update)

    async def _in_order(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = self.ordering_key(update)
        if key is None:
            async with self._running:
                await self._measured(update, coroutine)
            return
        queue = self._people.setdefault(key, _PersonQueue())
        queue.holders += 1
        try:
            async with queue.lock, self._running:
                await self._measured(update, coroutine)
        finally:
            queue.holders -= 1
            if queue.holders == 0:
                del self._people[key]

    async def _measured(self, update: object, coroutine: Awaitable[Any]) -> None:
        started = time.perf_counter()
        try:
            await coroutine
        finally:
            if self.metrics is not None:
                self.metrics.handled(update, time.perf_counter() - started)

    async def flush_log(self) -> None:
        """Write down now what was handled since the last write (webhook mode does so before
        answering Telegram, so a re-send is skipped on any instance)."""
        if self.update_log is not None:
            await self.update_log.flush()

    async def initialize(self) -> None:
        """Nothing to set up: the locks are made as people write."""

    async def shutdown(self) -> None:
        """Nothing to clean up: PTB awaits updates in flight before shutting down."""
