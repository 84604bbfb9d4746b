"""Throw-away databases for the benchmarks in bench/ (dispatch.py and reciprocity.py)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.engine import create_engine


async def create_database(admin_url: str) -> tuple[str, Callable[[], Awaitable[None]]]:
    """A fresh database on the PostgreSQL server at ``admin_url``: its URL, and how to drop it."""
    name = f"secure_base_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await admin.dispose()

    async def drop() -> None:
        engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as connection:
                await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        finally:
            await engine.dispose()

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), drop


async def server_version(engine: AsyncEngine) -> str:
    """``PostgreSQL 15.x (asyncpg)`` or ``SQLite 3.x (aiosqlite)``."""
    async with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            version = await connection.scalar(text("SHOW server_version"))
            return f"PostgreSQL {version} (asyncpg)"
        version = await connection.scalar(text("SELECT sqlite_version()"))
        return f"SQLite {version} (aiosqlite)"
