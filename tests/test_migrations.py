"""The Alembic migrations and the SQLAlchemy models describe the same schema, both ways."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.storage.engine import create_engine
from bot.storage.migrate import alembic_config, upgrade_to_head
from bot.storage.models import Base, Couple, CoupleMember, Invite, User, UtcDateTime
from tests.harness import BotHarness, MigrationRoundTrip
from tests.journeys import onboard, pair


def _render_free_diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return compare_metadata(context, Base.metadata)


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def _diff(engine: AsyncEngine) -> list[Any]:
    async with engine.connect() as connection:
        return await connection.run_sync(_render_free_diff)


async def test_migrated_schema_matches_the_models(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        assert await _diff(engine) == []
    finally:
        await engine.dispose()


async def test_downgrade_to_base_and_up_again(
    migration_round_trip: MigrationRoundTrip, database_url: str
) -> None:
    async def no_tables(connection: AsyncConnection) -> None:
        assert await connection.run_sync(_tables) <= {"alembic_version"}

    await migration_round_trip("base", no_tables)

    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            tables = await connection.run_sync(_tables)
        assert {table.name for table in Base.metadata.sorted_tables} <= tables
        assert await _diff(engine) == []
    finally:
        await engine.dispose()


async def test_upgrade_is_idempotent(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade_to_head(engine)  # already at head: a no-op, not an error
        assert await _diff(engine) == []
    finally:
        await engine.dispose()


def test_one_head_and_no_app_imports_in_migrations() -> None:
    """Migrations are frozen history: they must not change when the models do."""
    scripts = ScriptDirectory.from_config(alembic_config())
    assert len(scripts.get_heads()) == 1
    for revision in scripts.walk_revisions():
        source = open(revision.path, encoding="utf-8").read()  # noqa: SIM115
        assert "bot." not in source, revision.path
    assert UtcDateTime.cache_ok


async def test_a_downgrade_and_upgrade_keep_every_row(
    harness: BotHarness, migration_round_trip: MigrationRoundTrip
) -> None:
    """SQLite rebuilds a table to drop a column; with foreign keys on, dropping the old copy
    would delete every row that refers to it (a couple's members, their check-ins)."""
    alex = await onboard(harness)
    sam = await onboard(harness, 2002, "Sam")
    await pair(alex, sam)
    before = await row_counts(harness)

    await migration_round_trip("0006")

    assert await row_counts(harness) == before
    assert before["couple_members"] == 2


async def row_counts(harness: BotHarness) -> dict[str, int]:
    return {
        model.__tablename__: len(await harness.rows(model))
        for model in (User, Couple, CoupleMember, Invite)
    }
