"""aiosqlite connections whose statements make one trip to their thread, not four.

aiosqlite runs each SQLite connection in a thread of its own and hands it every call through
a queue: SQLAlchemy's adapter makes four such trips per statement (open a cursor, execute,
fetch, close the cursor), one per ``commit()``, and one more when the pool resets the
connection, even when there is nothing to commit or roll back. Each trip costs two thread
switches, a wake-up of the event loop and a greenlet switch; together they were most of the
cost of the bot's database work (``bench/updates.py``: "read a user" took 6 trips and 1.2 ms
of CPU, of which SQLAlchemy's own work was 0.25 ms).

:class:`SQLiteConnection` keeps aiosqlite's thread and queue, and changes two things:

* its cursors run a statement, fetch all of its rows and close the ``sqlite3`` cursor in one
  trip, then answer ``fetchall()``/``fetchone()``/``description``/``rowcount`` from what that
  trip brought back (SQLAlchemy reads every row of a result at once anyway);
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

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

import aiosqlite
from sqlalchemy import event
from sqlalchemy.engine import Dialect, Engine

_Description = tuple[tuple[Any, ...], ...] | None
_Outcome = tuple[_Description, int, int | None, list[Any], bool]


def _run(connection: sqlite3.Connection, statement: str, parameters: Any, many: bool) -> _Outcome:
    """In the connection's thread: execute, fetch everything, close; report what it did."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(statement, parameters)
        else:
            cursor.execute(statement, parameters)
        rows = cursor.fetchall() if cursor.description is not None else []
        return (
            cursor.description,
            cursor.rowcount,
            cursor.lastrowid,
            rows,
            connection.in_transaction,
        )
    finally:
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

    async def __aenter__(self) -> BufferedCursor:
        return self

    async def __aexit__(self, *_exc_info: object) -> None:
        await self.close()

    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> BufferedCursor:
        return await self._run(sql, () if parameters is None else parameters, many=False)

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> BufferedCursor:
        return await self._run(sql, parameters, many=True)

    async def _run(self, sql: str, parameters: Any, *, many: bool) -> BufferedCursor:
        outcome = await self._connection.run_statement(sql, parameters, many)
        self.description, self.rowcount, self.lastrowid, self._rows, _ = outcome
        self._position = 0
        return self

    async def fetchone(self) -> Any | None:
        if self._position >= len(self._rows):
            return None
        self._position += 1
        return self._rows[self._position - 1]

    async def fetchmany(self, size: int | None = None) -> Sequence[Any]:
        end = self._position + (self.arraysize if size is None else size)
        rows = self._rows[self._position : end]
        self._position += len(rows)
        return rows

    async def fetchall(self) -> Sequence[Any]:
        rows = self._rows[self._position :]
        self._position = len(self._rows)
        return rows

    async def close(self) -> None:
        self._rows, self._position = [], 0

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
        self._in_transaction = outcome[4]
        return outcome

    async def _execute(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        # Whatever else runs on the connection may open or end a transaction.
        if fn is not _run:
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
