"""One SQLite writer at a time per process, queued in asyncio instead of in SQLite's busy handler.

SQLite lets one connection write at a time. When a second connection wants to write, SQLite's
busy handler makes that connection's thread sleep and retry: 1, 2, 5, 10 … 100 ms, blind to when
the writer finishes. With updates handled concurrently (``MAX_CONCURRENT_UPDATES``), most
writes overlapped another, so writers spent most of their time asleep: at 32 updates in flight
the bot handled no more per second than one at a time, and one update in a hundred waited about
a second (``bench/updates.py``).

:class:`SQLiteWriteLock` queues those writers in the event loop instead. A connection takes the
engine's lock just before its first statement that is not a ``SELECT`` (that is where Python's
``sqlite3`` opens the write transaction) and gives it back when the pool gets the connection
back (after ``commit()`` or ``rollback()``), or when the connection is invalidated. The next
writer starts the moment the last one has committed. Reads never wait for it; WAL lets them run
beside the writer.

It only orders the writers of this process: other processes on the same file (a second bot,
``alembic upgrade``) are still handled by SQLite's busy timeout. A writer waits at most
``timeout`` seconds, the same as the busy timeout, and then fails with SQLite's own "database
is locked" error, so a transaction that never finishes can stall the others but never wedge the
bot for good; a connection dropped mid-transaction and garbage-collected gives the lock back.
"""

from __future__ import annotations

import asyncio
import sqlite3
import weakref
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.util import await_only

_READ_PREFIXES = ("SELECT", "WITH", "PRAGMA", "EXPLAIN")


def is_read(statement: str) -> bool:
    """Whether ``statement`` leaves the database as it was (so needs no write lock)."""
    return statement.lstrip()[:7].upper().startswith(_READ_PREFIXES)


class SQLiteWriteLock:
    """The write lock of one engine; see the module docstring."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        # One asyncio.Lock per event loop: an engine may outlive the loop it started in (tests,
        # ``python -m bot`` migrating before polling), and an asyncio.Lock belongs to one loop.
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        # The pool entry (its ``info``) of the connection that holds the lock; one at a time.
        self._holder: dict[Any, Any] | None = None
        self._held: asyncio.Lock | None = None
        self._held_loop: asyncio.AbstractEventLoop | None = None

    def install(self, engine: Engine) -> None:
        event.listen(engine, "before_cursor_execute", self._before_cursor_execute)
        event.listen(engine.pool, "checkin", self._on_checkin)
        event.listen(engine.pool, "invalidate", self._on_invalidate)
        event.listen(engine.pool, "detach", self._on_detach)

    def _lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        return lock

    async def _acquire(self, holder: dict[Any, Any]) -> None:
        lock = self._lock()
        try:
            async with asyncio.timeout(self.timeout):
                await lock.acquire()
        except TimeoutError:
            raise OperationalError(
                "(waiting for this process's other SQLite writer)",
                None,
                sqlite3.OperationalError("database is locked"),
            ) from None
        self._holder, self._held, self._held_loop = holder, lock, asyncio.get_running_loop()

    def _release(self, holder: dict[Any, Any]) -> None:
        if self._holder is holder and self._held is not None:
            lock, self._holder, self._held, self._held_loop = self._held, None, None, None
            lock.release()

    def _before_cursor_execute(
        self,
        conn: Connection,
        _cursor: Any,
        statement: str,
        _parameters: Any,
        _context: Any,
        _executemany: bool,
    ) -> None:
        if is_read(statement):
            return
        holder = conn.connection.info
        if self._holder is not holder:
            # Runs inside SQLAlchemy's greenlet for the async engine, so it may await.
            await_only(self._acquire(holder))

    def _on_checkin(self, _dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        self._release(record.info)

    def _on_invalidate(
        self, _dbapi_connection: Any, record: ConnectionPoolEntry, _error: BaseException | None
    ) -> None:
        self._release(record.info)

    def _on_detach(self, _dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        # A connection dropped mid-transaction without being closed is garbage-collected:
        # SQLAlchemy detaches it rather than checking it in. The garbage collector may run in
        # any thread (or in the middle of the loop's own code), so the lock is handed back
        # through the loop; the pool entry stops counting as its holder at once.
        if self._holder is record.info and self._held is not None:
            lock, loop = self._held, self._held_loop
            self._holder, self._held, self._held_loop = None, None, None
            if loop is not None and not loop.is_closed():
                loop.call_soon_threadsafe(lock.release)
