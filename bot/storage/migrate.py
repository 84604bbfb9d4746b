"""Upgrade (or downgrade) the schema from inside the application.

The bot runs :func:`upgrade_to_head` on start, so an operator never has to run Alembic by hand.
The migrations travel inside the package as ``bot/migrations`` (the repository's ``alembic/``
folder: ``pyproject.toml`` maps it there in the wheel, and in a checkout ``bot/migrations`` is a
link to it), so an installed bot finds them wherever it is started from.
"""

from __future__ import annotations

from importlib.resources import files

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

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


def _run(connection: Connection, revision: str, *, downgrade: bool) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    if downgrade:
        command.downgrade(config, revision)
    else:
        command.upgrade(config, revision)


async def upgrade_to_head(engine: AsyncEngine) -> None:
    """On PostgreSQL under a transaction-level advisory lock: of several instances starting
    at once, one upgrades while the others wait, then find the schema current."""
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATIONS_LOCK_KEY}
            )
        await connection.run_sync(_run, "head", downgrade=False)


async def downgrade_to(engine: AsyncEngine, revision: str) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(_run, revision, downgrade=True)


async def migrate_database(url: str) -> None:
    """Bring the database at ``url`` to the newest schema, on an engine of its own."""
    engine = create_engine(url)
    try:
        await upgrade_to_head(engine)
    finally:
        await engine.dispose()
