"""aiosqlite connections whose statements make one trip to their thread, not four.

aiosqlite runs each SQLite connection in a thread of its own and hands it every call through
a queue: SQLAlchemy's adapter makes four such trips per statement (open a cursor, execute,
fetch, close the cursor), one per ``commit()``, and one more when the pool resets the
connection, even when there is nothing to commit or roll back. Each trip costs two thread
switches, a wake-up of the event loop and a greenlet switch; together they were most of the
cost of the bot's database work (``bench/updates.py``: "read a user" took 6 trips and 1.2 ms
of CPU, of which SQLAlchemy's own work was 0.25 ms).

:class:`SQLiteConnection` keeps aiosqlite's thread and queue, and changes two things:

* its cursors run a statement, fetch its rows and close the ``sqlite3`` cursor in one trip,
  then answer ``fetchall()``/``fetchone()``/``description``/``rowcount`` from what that trip
  brought back; a query with more than :data:`PREFETCH_ROWS` rows keeps its cursor open and
  is read in further trips as it is consumed (``stream()`` stays streaming);
* ``commit()`` and ``rollback()`` skip the trip when the connection is known to be outside a
  transaction, where ``sqlite3`` itself would do nothing. The state is read in the
  connection's thread after each statement; anything else run on the connection makes it
  unknown again, and an unknown state always makes the trip.

Installed for SQLite engines by :func:`bot.storage.engine.create_engine` through SQLAlchemy's
``do_connect`` event. It relies on ``aiosqlite.Connection._execute`` (the one way to run a
function in the connection's thread), so ``pyproject.toml`` keeps aiosqlite to the minor
version this was written against; the whole test suite runs on it.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import aiosqlite
from sqlalchemy import event
from sqlalchemy.engine import Dialect, Engine

from bot.storage.sqlite_writes import is_read

# Rows a query's first trip brings back. Nearly every result is smaller, so is read in that
# one trip; a larger one (a ``stream()`` over a whole table) is read in further trips of about
# this size as it is consumed, so it is never all in memory at once.
PREFETCH_ROWS = 1000

_Description = tuple[tuple[Any, ...], ...] | None


@dataclass(frozen=True)
class _Outcome:
    """What one statement's trip brought back from the connection's thread."""

    description: _Description
    rowcount: int
    lastrowid: int | None
    rows: list[Any]
    in_transaction: bool
    # The sqlite3 cursor, still open, when a query has more rows than were brought back.
    unread: sqlite3.Cursor | None


def _run(connection: sqlite3.Connection, statement: str, parameters: Any, many: bool) -> _Outcome:
    """In the connection's thread: execute, fetch, and close unless rows remain unread."""
    cursor = connection.cursor()
    unread: sqlite3.Cursor | None = None
    try:
        if many:
            cursor.executemany(statement, parameters)
        else:
            cursor.execute(statement, parameters)
        if cursor.description is None:
            rows = []
        elif is_read(statement):
            rows = cursor.fetchmany(PREFETCH_ROWS)
            if len(rows) == PREFETCH_ROWS:
                unread = cursor
        else:
            # INSERT/UPDATE … RETURNING: its rowcount is final only once every row is read.
            rows = cursor.fetchall()
        return _Outcome(
            cursor.description,
            cursor.rowcount,
            cursor.lastrowid,
            rows,
            connection.in_transaction,
            unread,
        )
    finally:
        if unread is None:
            cursor.close()


def _fetch(cursor: sqlite3.Cursor, size: int | None) -> list[Any]:
    """In the connection's thread: ``size`` more rows (all, if ``None``); closes when done."""
    rows = cursor.fetchall() if size is None else cursor.fetchmany(size)
    if size is None or len(rows) < size:
        cursor.close()
    return rows


def _close(cursor: sqlite3.Cursor) -> None:
    cursor.close()


class BufferedCursor:
    """The part of ``aiosqlite.Cursor`` SQLAlchemy uses, with results fetched in advance."""

    def __init__(self, connection: SQLiteConnection) -> None:
        self._connection = connection
        self.description: _Description = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1
        self._rows: list[Any] = []
        self._position = 0
        self._unread: sqlite3.Cursor | None = None

    async def __aenter__(self) -> BufferedCursor:
        return self

    async def __aexit__(self, *_exc_info: object) -> None:
        await self.close()

    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> BufferedCursor:
        return await self._run(sql, () if parameters is None else parameters, many=False)

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> BufferedCursor:
        return await self._run(sql, parameters, many=True)

    async def _run(self, sql: str, parameters: Any, *, many: bool) -> BufferedCursor:
        await self.close()
        outcome = await self._connection.run_statement(sql, parameters, many)
        self.description, self.rowcount = outcome.description, outcome.rowcount
        self.lastrowid, self._unread = outcome.lastrowid, outcome.unread
        self._rows, self._position = outcome.rows, 0
        return self

    async def _read(self, wanted: int | None) -> None:
        """Have ``wanted`` rows (``None``: all) buffered, as far as the result has them."""
        if self._unread is None:
            return
        buffered = len(self._rows) - self._position
        if wanted is not None and buffered >= wanted:
            return
        size = None if wanted is None else max(wanted - buffered, PREFETCH_ROWS)
        more = await self._connection.fetch_rows(self._unread, size)
        if size is None or len(more) < size:
            self._unread = None  # _fetch closed it
        self._rows, self._position = self._rows[self._position :] + more, 0

    async def fetchone(self) -> Any | None:
        await self._read(1)
        if self._position >= len(self._rows):
            return None
        self._position += 1
        return self._rows[self._position - 1]

    async def fetchmany(self, size: int | None = None) -> Sequence[Any]:
        wanted = self.arraysize if size is None else size
        await self._read(wanted)
        rows = self._rows[self._position : self._position + wanted]
        self._position += len(rows)
        return rows

    async def fetchall(self) -> Sequence[Any]:
        await self._read(None)
        rows = self._rows[self._position :]
        self._rows, self._position = [], 0
        return rows

    async def close(self) -> None:
        self._rows, self._position = [], 0
        if self._unread is not None:
            unread, self._unread = self._unread, None
            await self._connection.close_cursor(unread)

    def __aiter__(self) -> BufferedCursor:
        return self

    async def __anext__(self) -> Any:
        row = await self.fetchone()
        if row is None:
            raise StopAsyncIteration
        return row


class SQLiteConnection(aiosqlite.Connection):
    """An aiosqlite connection with one-trip statements; see the module docstring."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # None: unknown, so commit() and rollback() must make the trip.
        self._in_transaction: bool | None = None

    def cursor(self) -> BufferedCursor:  # type: ignore[override]
        return BufferedCursor(self)

    async def run_statement(self, sql: str, parameters: Any, many: bool) -> _Outcome:
        self._in_transaction = None
        outcome: _Outcome = await self._execute(_run, self._conn, sql, parameters, many)
        self._in_transaction = outcome.in_transaction
        return outcome

    async def fetch_rows(self, cursor: sqlite3.Cursor, size: int | None) -> list[Any]:
        rows: list[Any] = await self._execute(_fetch, cursor, size)
        return rows

    async def close_cursor(self, cursor: sqlite3.Cursor) -> None:
        # aiosqlite's ValueError "Connection closed": the cursor went with the connection.
        with contextlib.suppress(ValueError):
            await self._execute(_close, cursor)

    async def _execute(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        # Whatever else runs on the connection may open or end a transaction; reading the rows
        # of a query does not.
        if fn not in (_run, _fetch, _close):
            self._in_transaction = None
        return await super()._execute(fn, *args, **kwargs)

    async def commit(self) -> None:
        if self._in_transaction is not False:
            await super().commit()
            self._in_transaction = False

    async def rollback(self) -> None:
        if self._in_transaction is not False:
            await super().rollback()
            self._in_transaction = False


def connect(database: str, *, iter_chunk_size: int = 64, **kwargs: Any) -> SQLiteConnection:
    """Like ``aiosqlite.connect``, for a :class:`SQLiteConnection`."""

    def connector() -> sqlite3.Connection:
        return sqlite3.connect(database, **kwargs)

    connection = SQLiteConnection(connector, iter_chunk_size)
    # As SQLAlchemy does for aiosqlite's own connections: a connection nobody closed must not
    # keep the interpreter from exiting.
    connection._thread.daemon = True
    return connection


def _connect(dialect: Dialect, _record: Any, cargs: list[Any], cparams: dict[str, Any]) -> Any:
    return dialect.dbapi.connect(*cargs, async_creator_fn=connect, **cparams)  # type: ignore[union-attr]


def install(engine: Engine) -> None:
    """Make ``engine`` (an aiosqlite engine's ``sync_engine``) open :class:`SQLiteConnection`s."""
    event.listen(engine, "do_connect", _connect)
