"""Upgrade (or downgrade) the schema from inside the application.

The bot runs :func:`upgrade_to_head` on start, so an operator never has to run Alembic by hand.
The migrations travel inside the package as ``bot/migrations`` (the repository's ``alembic/``
folder: ``pyproject.toml`` maps it there in the wheel, and in a checkout ``bot/migrations`` is a
link to it), so an installed bot finds them wherever it is started from.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.resources import files

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.storage.engine import create_engine

# The advisory lock several instances starting together take around the upgrade ("SBMIGR").
MIGRATIONS_LOCK_KEY = 0x5342_4D49_4752


def migrations_directory() -> str:
    """The folder of the Alembic environment (``env.py``) and its ``versions``."""
    return str(files("bot") / "migrations")


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", migrations_directory())
    return config


def head_revision() -> str | None:
    """The newest migration, as the shipped migrations say."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _stored_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def current_revision(connection: AsyncConnection) -> str | None:
    """The revision the database's schema is at, as Alembic recorded it (``None`` before
    the first migration): compared with :func:`head_revision` to tell a current schema."""
    return await connection.run_sync(_stored_revision)


def _run(connection: Connection, revision: str, *, downgrade: bool) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    if downgrade:
        command.downgrade(config, revision)
    else:
        command.upgrade(config, revision)


@asynccontextmanager
async def _migrating(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A transaction to migrate in. On SQLite, foreign keys are off while it runs: batch mode
    rebuilds a table by copying it and dropping the original, and with foreign keys on, that
    drop would delete (ON DELETE CASCADE) every row that refers to it. The pragma only takes
    effect outside a transaction, so it is set on the driver's connection before SQLAlchemy
    begins one (Alembic's documented advice for batch mode)."""
    async with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            await _sqlite_foreign_keys(connection, "OFF")
        try:
            async with connection.begin():
                yield connection
        finally:
            if sqlite:
                await _sqlite_foreign_keys(connection, "ON")


async def _sqlite_foreign_keys(connection: AsyncConnection, state: str) -> None:
    driver = (await connection.get_raw_connection()).driver_connection
    assert driver is not None  # an open connection has one
    await driver.execute(f"PRAGMA foreign_keys={state}")


async def upgrade_to_head(engine: AsyncEngine) -> None:
    """On PostgreSQL under a transaction-level advisory lock: of several instances starting
    at once, one upgrades while the others wait, then find the schema current."""
    async with _migrating(engine) as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATIONS_LOCK_KEY}
            )
        await connection.run_sync(_run, "head", downgrade=False)


async def downgrade_to(engine: AsyncEngine, revision: str) -> None:
    async with _migrating(engine) as connection:
        await connection.run_sync(_run, revision, downgrade=True)


async def migrate_database(url: str) -> None:
    """Bring the database at ``url`` to the newest schema, on an engine of its own."""
    engine = create_engine(url)
    try:
        await upgrade_to_head(engine)
    finally:
        await engine.dispose()
