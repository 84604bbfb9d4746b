"""Database helpers for the benchmarks in bench/ (throw-away databases: tests/databases.py)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


async def server_version(engine: AsyncEngine) -> str:
    """``PostgreSQL 15.x (asyncpg)`` or ``SQLite 3.x (aiosqlite)``."""
    async with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            version = await connection.scalar(text("SHOW server_version"))
            return f"PostgreSQL {version} (asyncpg)"
        version = await connection.scalar(text("SELECT sqlite_version()"))
        return f"SQLite {version} (aiosqlite)"
