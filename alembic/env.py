"""Alembic environment, async-aware.

Two ways in: the bot (and the tests) hand over an open connection through
``config.attributes["connection"]`` (see ``bot/storage/migrate.py``); the ``alembic`` command
line opens its own async engine from ``DATABASE_URL``.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection

from bot.storage.engine import create_engine
from bot.storage.models import Base, UtcDateTime

config = context.config
target_metadata = Base.metadata
DEFAULT_URL = "sqlite+aiosqlite:///data/secure_base.db"


def _render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Write our UTC column type as a plain DateTime, so migrations never import app code."""
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things in place; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
    )


def run_migrations(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_own_engine(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(run_migrations)
            await connection.commit()
    finally:
        await engine.dispose()


def run_offline(url: str) -> None:
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


url = config.get_main_option("sqlalchemy.url") or os.environ.get("DATABASE_URL", DEFAULT_URL)
shared_connection = config.attributes.get("connection")
if context.is_offline_mode():
    run_offline(url)
elif shared_connection is not None:
    run_migrations(shared_connection)
else:
    asyncio.run(_run_with_own_engine(url))
