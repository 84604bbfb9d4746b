"""Checks before the bot starts: the database answers, can be brought to the newest schema and
written to, and (SQLite) no other process uses the same file. Each problem is one line.
"""

from __future__ import annotations

import asyncio
import fcntl
from typing import IO

from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.storage.engine import CONNECT_TIMEOUT_SECONDS, create_engine, sqlite_file
from bot.storage.health import one_line
from bot.storage.migrate import migrate_database


class DatabaseUnusableError(Exception):
    """The database cannot be used; the message is one line for the operator."""


def safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def hold_sqlite_file(url: str) -> IO[bytes] | None:
    """Make sure this is the only process on a SQLite file, for as long as it runs.

    Two processes would each send every check-in. The lock is the operating system's: it goes
    with the process, so a restart after a crash is never refused. Keep the returned file open.
    """
    database = sqlite_file(url)
    if database is None:
        return None
    try:
        database.parent.mkdir(parents=True, exist_ok=True)
        guard = (database.parent / f"{database.name}.lock").open("ab")
    except OSError as error:
        problem = f"cannot use the folder of the database {database}: {one_line(error)}"
        raise DatabaseUnusableError(problem) from None
    try:
        fcntl.flock(guard, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        guard.close()
        raise DatabaseUnusableError(
            f"another process already uses {database}: only one process may use a SQLite "
            "database; run several with PostgreSQL (see README, 'Running several instances')"
        ) from None
    return guard


async def prepare_database(url: str) -> None:
    """Connect (giving up after ``CONNECT_TIMEOUT_SECONDS``), migrate, and probe a write."""
    where = safe_url(url)
    engine = create_engine(url)
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT_SECONDS), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except TimeoutError:
        raise DatabaseUnusableError(
            f"the database {where} did not answer within {CONNECT_TIMEOUT_SECONDS} s"
        ) from None
    except Exception as error:  # any driver's way of saying no
        problem = f"cannot connect to the database {where}: {one_line(error)}"
        raise DatabaseUnusableError(problem) from None
    finally:
        await engine.dispose()
    try:
        await migrate_database(url)
    except Exception as error:
        problem = f"cannot prepare the database {where}: {one_line(error)}"
        raise DatabaseUnusableError(problem) from None
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            # Changes nothing, but needs write access: a read-only file fails here, not later.
            await connection.execute(text("UPDATE alembic_version SET version_num = version_num"))
    except Exception as error:
        problem = f"cannot write to the database {where}: {one_line(error)}"
        raise DatabaseUnusableError(problem) from None
    finally:
        await engine.dispose()
