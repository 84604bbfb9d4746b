"""Engine and session factory for SQLite (aiosqlite) and PostgreSQL (asyncpg).

Both run on SQLAlchemy's own dialects. SQLite gets, on every new connection, WAL (readers of
other processes work beside the one writer), a busy timeout (a writer that finds the database
locked waits up to :data:`SQLITE_BUSY_TIMEOUT_MS` for it, then fails with SQLite's "database is
locked"), foreign keys (off unless asked) and ``synchronous=NORMAL`` (safe with WAL).

Every SQLite transaction starts with ``BEGIN IMMEDIATE``, following SQLAlchemy's documented
recipe ("Enabling Non-Legacy SQLite Transactional Modes"): ``sqlite3`` is told not to begin
transactions itself (``isolation_level = None``) and the engine's ``begin`` event emits the
``BEGIN``. A transaction thus takes SQLite's write lock when it starts, not at its first write.
The bot handles each update in one transaction that usually reads, then writes: begun the
default (deferred) way, such a transaction fails at once with ``SQLITE_BUSY_SNAPSHOT`` when
another connection committed after its first read, and the busy timeout does not help there.
Begun ``IMMEDIATE``, it instead waits on the busy timeout until the writer before it has
committed, and then reads what that writer wrote.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import AdaptedConnection, Connection, CursorResult, Result, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

SQLITE_BUSY_TIMEOUT_MS = 5_000
# A database server that does not answer a new connection within this is taken as away.
CONNECT_TIMEOUT_SECONDS = 10


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def on_postgresql(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def dialect_insert(session: AsyncSession):  # type: ignore[no-untyped-def]
    """The backend's ``insert``, for ``ON CONFLICT`` clauses (both dialects spell them alike)."""
    return (postgresql if on_postgresql(session) else sqlite).insert


def rows_changed(result: Result[Any]) -> int:
    """How many rows an UPDATE, DELETE or INSERT changed (a ``CursorResult``'s rowcount)."""
    return cast(CursorResult[Any], result).rowcount


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite database URL (plain or sqlite's ``file:...?uri=true`` form)."""
    parsed = make_url(url)
    name = parsed.database
    if parsed.get_backend_name() != "sqlite" or name in (None, "", ":memory:"):
        return None
    if parsed.query.get("uri") == "true" and name.startswith("file:"):
        name = name.removeprefix("file:").split("?", 1)[0]
    return Path(name).expanduser()


def ensure_sqlite_directory(url: str) -> None:
    """Create the folder of a SQLite file, so the default ``./data/`` works on a fresh checkout."""
    path = sqlite_file(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)


def set_sqlite_pragmas(
    dbapi_connection: Any, _record: Any, busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS
) -> None:
    """The bot's SQLite settings, for a ``connect`` event (see the module docstring)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _on_sqlite_connect(busy_timeout_ms: int) -> Callable[[Any, Any], None]:
    def on_connect(dbapi_connection: Any, record: Any) -> None:
        # The engine's begin event, not sqlite3, starts transactions (SQLAlchemy's recipe).
        dbapi_connection.isolation_level = None
        set_sqlite_pragmas(dbapi_connection, record, busy_timeout_ms)

    return on_connect


def _begin_immediate(connection: Connection) -> None:
    """The ``begin`` event of the recipe, in one trip to aiosqlite's thread (its
    ``execute_fetchall``, through SQLAlchemy's documented ``AdaptedConnection.run_async``)
    instead of three (a cursor opened, executed, closed, as ``exec_driver_sql`` does): each
    trip is a wake-up of the thread and of the event loop, and every update begins one
    transaction. A failure is raised as SQLAlchemy's ``OperationalError``, as before, so that
    "database is locked" still reads as an outage (:func:`bot.storage.health.is_outage`)."""
    adapted = connection.connection.dbapi_connection
    if not isinstance(adapted, AdaptedConnection):  # a plain sqlite3 connection
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        return
    try:
        adapted.run_async(lambda driver: driver.execute_fetchall("BEGIN IMMEDIATE"))
    except (sqlite3.Error, ValueError) as error:  # ValueError: aiosqlite's "closed"
        raise OperationalError("BEGIN IMMEDIATE", None, error) from error


def _rollback_if_open(dbapi_connection: Any, record: Any, reset_state: Any) -> None:
    """The pool's reset on return, as a ``reset`` event (SQLAlchemy's documented "custom
    reset-on-return" scheme, with ``pool_reset_on_return=None``): roll back only what is
    still open. Every session ends its transaction itself (commit, or rollback on an error),
    so the pool's unconditional rollback was one more driver call per update for nothing — a
    hop to aiosqlite's thread on SQLite, a round trip on PostgreSQL. The driver says whether
    a transaction is open (asyncpg: ``is_in_transaction()``, aiosqlite: ``in_transaction``);
    one left open (a cancelled task, an error mid-statement) is still rolled back here."""
    if reset_state.terminate_only:
        return  # the connection is being closed: nothing to keep clean
    driver = record.driver_connection
    if hasattr(driver, "is_in_transaction"):  # asyncpg
        is_open = driver.is_in_transaction()
    else:  # aiosqlite
        is_open = driver.in_transaction
    if is_open:
        dbapi_connection.rollback()


def create_engine(
    url: str, *, sqlite_busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS, **kwargs: Any
) -> AsyncEngine:
    """An engine for ``url`` with the settings each backend needs.

    ``sqlite_busy_timeout_ms``: how long a SQLite writer waits for the one before it.
    """
    if is_sqlite(url):
        ensure_sqlite_directory(url)
        engine = create_async_engine(url, pool_reset_on_return=None, **kwargs)
        event.listen(engine.sync_engine, "connect", _on_sqlite_connect(sqlite_busy_timeout_ms))
        event.listen(engine.sync_engine, "begin", _begin_immediate)
        event.listen(engine.sync_engine, "reset", _rollback_if_open)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("connect_args", {"timeout": CONNECT_TIMEOUT_SECONDS})
    engine = create_async_engine(url, pool_reset_on_return=None, **kwargs)
    event.listen(engine.sync_engine, "reset", _rollback_if_open)
    return engine


# At most this many connections kept open to PostgreSQL by one process (its default
# max_connections is 100, shared by every instance and job).
MAX_KEPT_CONNECTIONS = 32


def one_writer_pool(url: str) -> dict[str, Any]:
    """Engine arguments for a pool of one connection, for a SQLite file (else none)."""
    return {"pool_size": 1, "max_overflow": 0} if sqlite_file(url) is not None else {}


def pool_for_updates(url: str, concurrent_updates: int) -> dict[str, Any]:
    """Engine arguments for the bot's pool: one connection for a SQLite file
    (:func:`one_writer_pool`); on PostgreSQL, one kept open per update in flight (up to
    :data:`MAX_KEPT_CONNECTIONS`). With SQLAlchemy's default (5 kept, 10 more opened when
    needed and closed when returned) and 32 updates in flight, about one checkout in five
    opened a new connection — asyncpg's connect and SQLAlchemy's set-up of it, a large part
    of an update's CPU (bench/updates.py: 139 connects for 712 checkouts)."""
    if sqlite_file(url) is not None:
        return one_writer_pool(url)
    return {"pool_size": min(concurrent_updates, MAX_KEPT_CONNECTIONS)}


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: handlers read a row's fields after its transaction has ended.
    return async_sessionmaker(engine, expire_on_commit=False)
