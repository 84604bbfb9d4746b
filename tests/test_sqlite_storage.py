"""SQLite as the bot runs it: its own connection class (``bot.storage.sqlite_driver``) and the
in-process queue for writers (``bot.storage.sqlite_writes``) keep every committed write, drop
every uncommitted one, and never leave the database stuck after a failure."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError, SAWarning
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.storage.engine import create_engine
from bot.storage.sqlite_driver import PREFETCH_ROWS
from bot.storage.sqlite_writes import SQLiteWriteLock, is_read

metadata = MetaData()
items = Table(
    "items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("text", String, unique=True, nullable=False),
)


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'storage.db'}"


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


async def test_committed_writes_are_kept_and_uncommitted_ones_are_not(
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


async def test_results_read_in_any_way_hold_every_row(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(insert(items), [{"text": f"item {n:02d}"} for n in range(12)])
        changed = await connection.execute(
            update(items).where(items.c.id > 4).values(text=items.c.text + "!")
        )
        assert changed.rowcount == 8
        inserted = await connection.execute(insert(items).values(text="last"))
        assert inserted.inserted_primary_key == (13,)

        query = select(items.c.text).order_by(items.c.id)
        result = await connection.execute(query)
        assert result.fetchone() == ("item 00",)
        assert result.fetchmany(3) == [("item 01",), ("item 02",), ("item 03",)]
        assert [row.text for row in result.all()][-3:] == ["item 10!", "item 11!", "last"]

        streamed = await connection.stream(query)
        assert len([row async for row in streamed]) == 13
        assert await connection.scalar(select(func.count()).select_from(items)) == 13
        assert await connection.scalar(select(items.c.text).where(items.c.id == 99)) is None


async def test_results_larger_than_one_trip_hold_every_row_once(engine: AsyncEngine) -> None:
    count = 2 * PREFETCH_ROWS + 5
    async with engine.begin() as connection:
        await connection.execute(insert(items), [{"text": f"row {n:05d}"} for n in range(count)])
        query = select(items.c.text).order_by(items.c.id)
        expected = [f"row {n:05d}" for n in range(count)]

        assert list((await connection.execute(query)).scalars()) == expected
        streamed = await connection.stream(query)
        partitions = [len(part) async for part in streamed.partitions(PREFETCH_ROWS // 3)]
        assert sum(partitions) == count
        assert max(partitions) == PREFETCH_ROWS // 3
        result = await connection.execute(query)
        assert [result.fetchone() for _ in range(3)] == [(text,) for text in expected[:3]]
        assert len(result.fetchmany(PREFETCH_ROWS + 1)) == PREFETCH_ROWS + 1
        assert len(result.all()) == count - PREFETCH_ROWS - 4
        # A result left half read on its connection does not stop the next statement.
        half_read = await connection.stream(query)
        assert (await half_read.fetchone()) == (expected[0],)
        await connection.execute(update(items).values(text=items.c.text + "."))
    async with engine.connect() as connection:
        assert await connection.scalar(select(items.c.text).where(items.c.id == 1)) == "row 00000."


async def test_a_savepoint_rolls_back_only_its_own_writes(engine: AsyncEngine, url: str) -> None:
    async with engine.begin() as connection:
        await connection.execute(insert(items).values(text="outer"))
        savepoint = await connection.begin_nested()
        await connection.execute(insert(items).values(text="inner"))
        await savepoint.rollback()

    assert await stored_texts(url) == ["outer"]


async def test_after_a_failed_statement_the_next_writes_go_through(
    engine: AsyncEngine, url: str
) -> None:
    async with engine.begin() as connection:
        await connection.execute(insert(items).values(text="taken"))
    with pytest.raises(IntegrityError):
        await write(engine, "lost with the failure", "taken")
    # Every pooled connection and the writers' queue are usable again.
    for text in ("a", "b", "c", "d", "e", "f"):
        async with engine.begin() as connection:
            await connection.execute(insert(items).values(text=text))

    assert await stored_texts(url) == ["a", "b", "c", "d", "e", "f", "taken"]


async def test_concurrent_writers_all_commit_and_readers_never_wait_for_them(
    engine: AsyncEngine, url: str
) -> None:
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

    holding = asyncio.create_task(first())
    await first_has_written.wait()
    waiting = [asyncio.create_task(writer(n)) for n in range(20)]
    # While the first writer has not committed, reads go on (and see none of the new rows).
    async with engine.connect() as connection:
        assert await connection.scalar(select(func.count()).select_from(items)) == 0
    let_first_commit.set()
    await asyncio.gather(holding, *waiting)

    assert await stored_texts(url) == ["first"] + [f"writer {n:02d}" for n in range(20)]


async def test_a_writer_that_waits_too_long_gets_sqlites_own_error(url: str) -> None:
    # create_engine waits as long as SQLite's busy timeout (5 s); a short wait keeps this quick.
    engine = create_async_engine(url)
    SQLiteWriteLock(timeout=0.2).install(engine.sync_engine)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        async with engine.connect() as holder:
            await holder.execute(insert(items).values(text="held open"))
            with pytest.raises(OperationalError, match="database is locked"):
                await write(engine, "gave up")
            await holder.commit()
        async with engine.begin() as connection:
            await connection.execute(insert(items).values(text="next"))
    finally:
        await engine.dispose()

    assert await stored_texts(url) == ["held open", "next"]


async def test_a_writer_whose_connection_breaks_does_not_block_the_next(
    engine: AsyncEngine, url: str
) -> None:
    async with engine.connect() as connection:
        await connection.execute(insert(items).values(text="lost with the connection"))
        await connection.invalidate()
    async with engine.begin() as connection:
        await connection.execute(insert(items).values(text="next"))

    assert await stored_texts(url) == ["next"]


async def test_a_writer_dropped_without_closing_does_not_block_the_next(
    engine: AsyncEngine, url: str
) -> None:
    # Other connections in the pool, so the next writer gets a different one.
    connections = [await engine.connect() for _ in range(3)]
    for connection in connections:
        await connection.scalar(select(1))
        await connection.close()

    async def forget_to_close() -> None:
        connection = await engine.connect()
        await connection.execute(insert(items).values(text="lost with the connection"))

    await forget_to_close()
    with pytest.warns(SAWarning, match="garbage collector is trying to clean up"):
        gc.collect()  # SQLAlchemy detaches the abandoned connection, with this warning
    await write(engine, "next")

    assert await stored_texts(url) == ["next"]


@pytest.mark.parametrize(
    ("statement", "reads"),
    [
        ("SELECT users.id FROM users", True),
        ("  select 1", True),
        ("WITH recent AS (SELECT 1) SELECT * FROM recent", True),
        ("PRAGMA foreign_keys=ON", True),
        ("INSERT INTO users (id) VALUES (?)", False),
        ("UPDATE users SET active=?", False),
        ("DELETE FROM users", False),
        ("CREATE TABLE t (id INTEGER)", False),
        ("SAVEPOINT sa_savepoint_1", False),
    ],
)
def test_which_statements_queue_as_writers(statement: str, reads: bool) -> None:
    assert is_read(statement) is reads
