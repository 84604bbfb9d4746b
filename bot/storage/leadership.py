"""Which process runs the periodic jobs: one at a time, chosen through the database.

Telegram's send limit is per bot, not per process, and a prompt must go out once: so only
one process sends. On PostgreSQL the leader holds a session-level advisory lock on a
connection of its own; if the process dies, or that connection drops, PostgreSQL releases
the lock and another process takes it at its next try (every ``DISPATCH_INTERVAL_SECONDS``).
A process that finds its connection gone stops leading at once. On SQLite only one process
may use the file at all (``bot.storage.engine.hold_sqlite_file``), so it always leads.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

logger = logging.getLogger(__name__)

# The advisory lock's key: any number the bot's database uses for nothing else ("SBJOBS").
JOBS_LOCK_KEY = 0x5342_4A4F_4253


class Leadership:
    """Whether this process leads; ``check()`` keeps that up to date."""

    def __init__(
        self, engine: AsyncEngine, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._engine = engine
        self._clock = clock
        # When this process took the lead (PostgreSQL): see ``since``.
        self._since: datetime | None = None
        self._always = engine.dialect.name != "postgresql"
        self._connection: AsyncConnection | None = None
        # The check-in sender, the together job and upkeep check at the same moments: one at
        # a time, or one drops the lock's connection while another is using it.
        self._checking = asyncio.Lock()

    @property
    def leading(self) -> bool:
        """As of the last ``check()``."""
        return self._always or self._connection is not None

    @property
    def since(self) -> datetime | None:
        """When this process last took the lead; ``None`` where it always leads (SQLite: the
        one process using the file, so any other owner of a claim is dead). A new leader
        takes over no other process's claim for a lease after this: a live former leader
        writes what it sent (its next run does that first, leading or not) before then."""
        return None if self._always else self._since

    async def check(self) -> bool:
        """Confirm the lock is still held (its connection answers), or try to take it."""
        if self._always:
            return True
        async with self._checking:
            return await self._check()

    async def _check(self) -> bool:
        if self._connection is not None:
            try:
                await self._connection.execute(text("SELECT 1"))
                await self._connection.commit()  # no transaction left open on it
                return True
            except (DBAPIError, OSError):
                logger.warning("lost the lead of the periodic jobs (database connection lost)")
                await self._drop(invalidate=True)
        return await self._try_to_lead()

    async def _try_to_lead(self) -> bool:
        """Raises what connecting raises: the database is away, and the caller says so."""
        connection = await self._engine.connect()
        try:
            got = await connection.scalar(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": JOBS_LOCK_KEY}
            )
            # Leave no transaction open on the lock's connection: the lock is the session's.
            await connection.commit()
        except (DBAPIError, OSError):
            await connection.invalidate()
            await connection.close()
            return False
        if not got:
            await connection.close()
            return False
        self._connection, self._since = connection, self._clock()
        logger.info("this process now leads the periodic jobs")
        return True

    async def _drop(self, *, invalidate: bool) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        if invalidate:
            # A broken connection must not go back to the pool; closing it frees the lock.
            await connection.invalidate()
        else:
            await connection.execute(
                text("SELECT pg_advisory_unlock(:key)"), {"key": JOBS_LOCK_KEY}
            )
            await connection.commit()
        await connection.close()

    async def release(self) -> None:
        """Hand the lead over at shutdown (another process takes it at its next try)."""
        try:
            await self._drop(invalidate=False)
        except (DBAPIError, OSError):
            logger.warning("could not release the lead cleanly; PostgreSQL frees it anyway")
