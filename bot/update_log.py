"""No update lost to a crash, none handled twice: every update is recorded before it is handled.

PTB's polling confirms a batch of updates to Telegram when it fetches the next one, which may
be before they were handled; a ``kill -9`` then lost them. So the batch is recorded in the
database as it is fetched (:class:`RecordingBot`), before the next fetch can confirm it. Each
update is marked handled in the same transaction as the handler's changes
(``bot.handlers.turn``), or, for a handler that changes nothing, with the next fetch. Once
handled, only its id is kept (what the person wrote is blanked). At start, whatever is
recorded but unhandled is handled first, in the order it arrived (:mod:`bot.recovery`); an
update Telegram sends again after it was handled is skipped. Records are pruned a day after
they arrived (by the periodic job).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.ext import ExtBot

from bot.storage import received
from bot.storage.health import is_outage

if TYPE_CHECKING:
    from bot.context import BotServices

logger = logging.getLogger(__name__)

KEEP_RECORDS = timedelta(days=1)


class UpdateLog:
    """This process's side of the record: duplicates to skip, handled ids to write down."""

    def __init__(self, services: Callable[[], BotServices]) -> None:
        self._services = services
        self._duplicates: set[int] = set()
        self._handled: list[int] = []

    async def record(self, updates: Sequence[Update]) -> None:
        """Record a fetched batch (and what was handled since the last one). Never raises: if
        the database is away the batch is still handled (each person is then asked to try
        again), and polling goes on."""
        services = self._services()
        handled, self._handled = self._handled, []
        try:
            async with services.transaction() as session:
                await received.mark_all_handled(session, handled, services.clock())
                self._duplicates |= await received.record(
                    session,
                    [(update.update_id, update.to_json(), _person(update)) for update in updates],
                    services.clock(),
                )
        except Exception as error:
            self._handled = handled + self._handled
            if is_outage(error):
                services.database_health.unavailable(error)
            else:
                logger.exception("updates not recorded; handling them all the same")

    def is_duplicate(self, update: object) -> bool:
        """Handled before (Telegram sent it again): skip it, once."""
        update_id = getattr(update, "update_id", None)
        if update_id in self._duplicates:
            self._duplicates.discard(update_id)
            logger.info("update %s was handled before; skipped", update_id)
            return True
        return False

    def handled(self, update: object) -> None:
        update_id = getattr(update, "update_id", None)
        if isinstance(update_id, int):
            self._handled.append(update_id)

    async def flush(self) -> None:
        """Write down what was handled (at shutdown; otherwise with each fetch)."""
        if self._handled:
            await self.record(())


def _person(update: Update) -> int | None:
    """Whose update it is: /delete erases their records (``received_updates.person``)."""
    return update.effective_user.id if update.effective_user is not None else None


class RecordingBot(ExtBot[int]):
    # (int: the rate limiter's per-call argument, AIORateLimiter's max_retries)
    """PTB's bot, recording each fetched batch of updates before it is handed on."""

    def __init__(self, *args: Any, update_log: UpdateLog, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._update_log = update_log  # our own attribute (PTB freezes public ones)

    async def get_updates(self, *args: Any, **kwargs: Any) -> tuple[Update, ...]:
        updates = await super().get_updates(*args, **kwargs)
        if updates:
            await self._update_log.record(updates)
        return updates
