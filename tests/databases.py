"""Throw-away PostgreSQL databases, for the test suite and the benchmarks in bench/."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.storage.engine import create_engine

# The admin URL of the PostgreSQL server to use, e.g. postgresql+asyncpg://postgres@127.0.0.1/postgres
POSTGRES_ENV = "TEST_POSTGRES_URL"


async def _admin_execute(admin_url: str, statement: str) -> None:
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def create_database(admin_url: str, prefix: str) -> tuple[str, Callable[[], Awaitable[None]]]:
    """A fresh database on the PostgreSQL server at ``admin_url``: its URL, and how to drop it."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    await _admin_execute(admin_url, f'CREATE DATABASE "{name}"')

    async def drop() -> None:
        await _admin_execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), drop
