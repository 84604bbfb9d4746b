"""SQLite as the bot runs it (SQLAlchemy's aiosqlite dialect, set up by ``create_engine``):
every committed write is kept and no uncommitted one, concurrent writers all get through,
a transaction that reads and then writes is not spoiled by another writer, foreign keys hold,
and a writer stuck behind another gets SQLite's own error after the busy timeout."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError, SAWarning
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.engine import create_engine

# Generous: a bounded wait where the behaviour under test is an answer well within it.
NO_HANG_SECONDS = 30

metadata = MetaData()
items = Table(
    "items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("text", String, unique=True, nullable=False),
)
counters = Table(
    "counters",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("value", Integer, nullable=False),
)
tags = Table(
    "tags",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "storage.db"


@pytest.fixture
def url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
async def engine(url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


async def stored_texts(url: str) -> list[str]:
    """What a fresh engine (as after a restart) finds on disk."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(select(items.c.text).order_by(items.c.text))
            return list(rows.scalars())
    finally:
        await engine.dispose()


async def write(engine: AsyncEngine, *texts: str) -> None:
    """One transaction inserting ``texts``."""
    async with engine.begin() as connection:
        for text in texts:
            await connection.execute(insert(items).values(text=text))


async def write_then_fail(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(insert(items).values(text="failed midway"))
        raise RuntimeError("the handler failed")


async def test_committed_writes_survive_a_restart_and_uncommitted_ones_do_not(
    engine: AsyncEngine, url: str
) -> None:
    async with engine.begin() as connection:
        await connection.execute(insert(items).values(text="committed"))
    async with engine.connect() as connection:
        await connection.execute(insert(items).values(text="never committed"))
    async with engine.connect() as connection:
        await connection.execute(insert(items).values(text="rolled back"))
        await connection.rollback()
    with pytest.raises(RuntimeError):
        await write_then_fail(engine)
    async with engine.connect() as connection:
        await connection.execute(insert(items).values(text="second commit"))
        await connection.commit()
        await connection.execute(insert(items).values(text="after the commit, not committed"))

    assert await stored_texts(url) == ["committed", "second commit"]


async def test_many_concurrent_writers_are_all_saved(engine: AsyncEngine, url: str) -> None:
    first_has_written = asyncio.Event()
    let_first_commit = asyncio.Event()

    async def first() -> None:
        async with engine.begin() as connection:
            await connection.execute(insert(items).values(text="first"))
            first_has_written.set()
            await let_first_commit.wait()

    async def writer(n: int) -> None:
        async with engine.begin() as connection:
            await connection.execute(insert(items).values(text=f"writer {n:02d}"))

    # More writers than the pool keeps connections (5 + 10 overflow): some wait for one.
    holding = asyncio.create_task(first())
    await first_has_written.wait()
    waiting = [asyncio.create_task(writer(n)) for n in range(40)]
    let_first_commit.set()
    async with asyncio.timeout(NO_HANG_SECONDS):
        await asyncio.gather(holding, *waiting)

    assert await stored_texts(url) == ["first"] + [f"writer {n:02d}" for n in range(40)]


async def test_transactions_that_read_then_write_under_contention_all_succeed(
    engine: AsyncEngine,
) -> None:
    # What the bot does for most updates: read a row, decide, write, in one transaction. Begun
    # the default (deferred) way, a concurrent writer's commit makes such a transaction fail
    # at once ("database is locked", SQLITE_BUSY_SNAPSHOT) or lose an update.
    async with engine.begin() as connection:
        await connection.execute(insert(counters).values(id=1, value=0))

    async def increment() -> None:
        async with engine.begin() as connection:
            value = await connection.scalar(select(counters.c.value).where(counters.c.id == 1))
            assert value is not None
            await asyncio.sleep(0)  # let the other transactions run their statements meanwhile
            await connection.execute(
                update(counters).where(counters.c.id == 1).values(value=value + 1)
            )

    async with asyncio.timeout(NO_HANG_SECONDS):
        await asyncio.gather(*(increment() for _ in range(30)))

    async with engine.connect() as connection:
        assert await connection.scalar(select(counters.c.value)) == 30


async def test_a_savepoint_rolls_back_only_its_own_writes(engine: AsyncEngine, url: str) -> None:
    async with engine.begin() as connection:
        await connection.execute(insert(items).values(text="outer"))
        savepoint = await connection.begin_nested()
        await connection.execute(insert(items).values(text="inner"))
        await savepoint.rollback()
        kept = await connection.begin_nested()
        await connection.execute(insert(items).values(text="inner, kept"))
        await kept.commit()

    assert await stored_texts(url) == ["inner, kept", "outer"]


async def test_after_a_failed_statement_the_next_writes_go_through(
    engine: AsyncEngine, url: str
) -> None:
    async with engine.begin() as connection:
        await connection.execute(insert(items).values(text="taken"))
    with pytest.raises(IntegrityError):
        await write(engine, "lost with the failure", "taken")
    # Every pooled connection is usable again, none left holding the database.
    for text in ("a", "b", "c", "d", "e", "f"):
        async with engine.begin() as connection:
            await connection.execute(insert(items).values(text=text))

    assert await stored_texts(url) == ["a", "b", "c", "d", "e", "f", "taken"]


async def test_foreign_keys_are_enforced(engine: AsyncEngine) -> None:
    with pytest.raises(IntegrityError, match="FOREIGN KEY"):
        async with engine.begin() as connection:
            await connection.execute(insert(tags).values(item_id=999))

    async with engine.begin() as connection:
        await connection.execute(insert(items).values(id=1, text="tagged"))
        await connection.execute(insert(tags).values(item_id=1))
    async with engine.begin() as connection:
        await connection.execute(items.delete())
    async with engine.connect() as connection:
        assert list(await connection.scalars(select(tags.c.id))) == []  # ON DELETE CASCADE


async def test_a_writer_held_longer_than_the_busy_timeout_gets_database_is_locked(
    url: str,
) -> None:
    # The bot waits SQLite's busy timeout of 5 s; a short one keeps this test quick.
    engine = create_engine(url, sqlite_busy_timeout_ms=200)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        async with engine.connect() as holder:
            await holder.execute(insert(items).values(text="held open"))
            async with asyncio.timeout(NO_HANG_SECONDS):
                with pytest.raises(OperationalError, match="database is locked"):
                    await write(engine, "gave up")
            await holder.commit()
        async with engine.begin() as connection:
            await connection.execute(insert(items).values(text="next"))
    finally:
        await engine.dispose()

    assert await stored_texts(url) == ["held open", "next"]


async def test_readers_outside_the_bot_see_the_last_commit_while_it_writes(
    engine: AsyncEngine, path: Path
) -> None:
    # WAL: an operator's sqlite3 (a backup, a look at the data) never waits for the bot.
    await write(engine, "committed")
    async with engine.begin() as connection:
        await connection.execute(insert(items).values(text="being written"))
        with contextlib.closing(sqlite3.connect(path, timeout=0)) as reader:
            assert reader.execute("PRAGMA journal_mode").fetchone() == ("wal",)
            assert reader.execute("SELECT text FROM items").fetchall() == [("committed",)]


async def test_a_writer_whose_connection_breaks_does_not_block_the_next(
    engine: AsyncEngine, url: str
) -> None:
    async with engine.connect() as connection:
        await connection.execute(insert(items).values(text="lost with the connection"))
        await connection.invalidate()
    async with asyncio.timeout(NO_HANG_SECONDS):
        await write(engine, "next")

    assert await stored_texts(url) == ["next"]


async def test_a_writer_dropped_without_closing_does_not_block_the_next(
    engine: AsyncEngine, url: str
) -> None:
    async def forget_to_close() -> None:
        connection = await engine.connect()
        await connection.execute(insert(items).values(text="lost with the connection"))

    await forget_to_close()
    with pytest.warns(SAWarning, match="garbage collector is trying to clean up"):
        gc.collect()  # SQLAlchemy terminates the abandoned connection, with this warning
    async with asyncio.timeout(NO_HANG_SECONDS):
        await write(engine, "next")

    assert await stored_texts(url) == ["next"]


async def test_a_transaction_left_open_under_the_pool_is_rolled_back_on_return(
    engine: AsyncEngine, url: str
) -> None:
    # The pool rolls back only what is still open (bot.storage.engine): a transaction begun
    # behind SQLAlchemy's back, in the driver itself, must not outlive the connection's return.
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        await driver.execute("BEGIN IMMEDIATE")
        await driver.execute("INSERT INTO items (text) VALUES ('left open')")
    async with asyncio.timeout(NO_HANG_SECONDS):
        await write(engine, "next")

    assert await stored_texts(url) == ["next"]
