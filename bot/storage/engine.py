"""Engine and session factory for SQLite (aiosqlite) and PostgreSQL (asyncpg)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult, Result, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.storage import sqlite_driver
from bot.storage.sqlite_writes import SQLiteWriteLock

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


def ensure_sqlite_directory(url: str) -> None:
    """Create the folder of a SQLite file, so the default ``./data/`` works on a fresh checkout."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers work while the one writer writes; the busy timeout makes a second writer
    # wait instead of failing at once; SQLite leaves foreign keys off unless asked.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An engine for ``url`` with the settings each backend needs."""
    if is_sqlite(url):
        ensure_sqlite_directory(url)
        engine = create_async_engine(url, **kwargs)
        sqlite_driver.install(engine.sync_engine)
        event.listen(engine.sync_engine, "connect", set_sqlite_pragmas)
        SQLiteWriteLock(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000).install(engine.sync_engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("connect_args", {"timeout": CONNECT_TIMEOUT_SECONDS})
    return create_async_engine(url, **kwargs)


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: handlers read a row's fields after its transaction has ended.
    return async_sessionmaker(engine, expire_on_commit=False)
