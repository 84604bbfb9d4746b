"""Run different people's updates at the same time, and each person's in the order sent.

PTB handles updates one at a time unless told otherwise. Each update waits for Telegram at
least once (tens of milliseconds to api.telegram.org), so one at a time caps the whole bot at a
few dozen updates per second: an evening of check-ins would queue. PTB's plain concurrency
(``concurrent_updates=True``) fixes that but lets one person's updates overtake each other: a
typed answer could be handled before the button press that asked the question, and the replies
would arrive in the wrong order. This processor keeps both: up to ``max_concurrent_updates``
updates run at once, but never two of the same person.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

from telegram.ext import BaseUpdateProcessor


@dataclass
class _PersonQueue:
    """The lock that orders one person's updates, and how many updates hold or wait for it."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    holders: int = 0


class PerPersonUpdateProcessor(BaseUpdateProcessor):
    """Concurrency across people, arrival order within one person."""

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
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

    async def process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Wait for this person's earlier updates, then for a free slot, then run.

        The person's lock is taken before a slot: someone sending a hundred updates at once
        holds one slot, not all of them, so everyone else keeps being answered.
        """
        key = self.ordering_key(update)
        if key is None:
            await super().process_update(update, coroutine)
            return
        queue = self._people.setdefault(key, _PersonQueue())
        queue.holders += 1
        try:
            async with queue.lock:
                await super().process_update(update, coroutine)
        finally:
            queue.holders -= 1
            if queue.holders == 0:
                del self._people[key]

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        await coroutine

    async def initialize(self) -> None:
        """Nothing to set up: the locks are made as people write."""

    async def shutdown(self) -> None:
        """Nothing to clean up: PTB awaits updates in flight before shutting down."""
