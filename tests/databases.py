"""Throw-away PostgreSQL databases, for the test suite and the benchmarks in bench/."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.engine import make_url

from bot.storage.engine import create_engine
from bot.storage.models import Couple, CoupleMember, User

# The admin URL of the PostgreSQL server to use, e.g. postgresql+asyncpg://postgres@127.0.0.1/postgres
POSTGRES_ENV = "TEST_POSTGRES_URL"


async def _admin_execute(admin_url: str, statement: str) -> None:
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def create_database(
    admin_url: str, prefix: str
) -> tuple[str, Callable[[], Coroutine[Any, Any, None]]]:
    """A fresh database on the PostgreSQL server at ``admin_url``: its URL, and how to drop it."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    await _admin_execute(admin_url, f'CREATE DATABASE "{name}"')

    async def drop() -> None:
        await _admin_execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), drop


async def seed_due_users(url: str, count: int, first_id: int) -> None:
    """Insert ``count`` onboarded people (Telegram ids from ``first_id``) whose evening
    check-in was due a minute ago, in one statement, into the migrated database at ``url``.

    Why not through updates: the process tests and bench/faults.py measure the check-in
    sender under kills and outages, and onboarding hundreds of people through /start first
    would take most of their time and measure nothing they are about.
    """
    now = datetime.now(UTC)
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                insert(User),
                [
                    {
                        "telegram_id": first_id + n,
                        "first_name": f"P{n}",
                        "time_zone": "UTC",
                        "checkin_time": time(20, 0),
                        "consented_at": now,
                        "onboarded_at": now,
                        "created_at": now,
                        "updated_at": now,
                        "next_checkin_at": now - timedelta(minutes=1),
                        "weekly_day": 6 if now.weekday() != 6 else 5,
                        "active": True,
                        "partner_nudge": False,
                    }
                    for n in range(count)
                ],
            )
    finally:
        await engine.dispose()


async def seed_couples(url: str, count: int, first_id: int) -> None:
    """Insert ``count`` onboarded couples into the migrated database at ``url``: Telegram
    ids ``first_id + 2n`` (the one who will write) and ``first_id + 2n + 1`` (their partner),
    in UTC, no check-in due (nothing but what the test sends goes out). Why not through
    updates: see :func:`seed_due_users`."""
    now = datetime.now(UTC)
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            people = [
                {
                    "telegram_id": first_id + n,
                    "first_name": f"P{n}",
                    "time_zone": "UTC",
                    "checkin_time": time(20, 0),
                    "consented_at": now,
                    "onboarded_at": now,
                    "created_at": now,
                    "updated_at": now,
                    "next_checkin_at": None,
                    "weekly_day": 6,
                    "active": True,
                    "partner_nudge": False,
                }
                for n in range(2 * count)
            ]
            ids = list(
                await connection.scalars(
                    insert(User).returning(User.id, sort_by_parameter_order=True), people
                )
            )
            couples = list(
                await connection.scalars(
                    insert(Couple).returning(Couple.id, sort_by_parameter_order=True),
                    [{"created_at": now, "first_day": now.date()} for _ in range(count)],
                )
            )
            await connection.execute(
                insert(CoupleMember),
                [
                    {"couple_id": couple, "user_id": ids[2 * n + side], "joined_at": now}
                    for n, couple in enumerate(couples)
                    for side in (0, 1)
                ],
            )
    finally:
        await engine.dispose()
