"""Fixtures: a migrated database per test on SQLite and PostgreSQL, and the bot harness.

PostgreSQL tests use the server named by ``TEST_POSTGRES_URL`` (an admin URL such as
``postgresql+asyncpg://postgres@127.0.0.1:5432/postgres``); each test run creates and drops
its own database there. Without the variable they are skipped, except under CI, where a
missing server is a failure: CI must test PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from timezonefinder import TimezoneFinder

from bot.config import Settings
from bot.storage.engine import create_engine
from bot.storage.migrate import migrate_database
from bot.storage.models import Base
from tests.crisis_report import REPORT_KEY
from tests.databases import POSTGRES_ENV, create_database
from tests.harness import TEST_TOKEN, BotHarness, FakeClock, MigrationRoundTrip
from tests.telegram_fake import FakeBotApi

# The databases every database test runs on; TEST_BACKENDS narrows them (CI's lowest-versions
# run uses PostgreSQL's half only).
BACKENDS = os.environ.get("TEST_BACKENDS", "sqlite,postgresql").split(",")


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


async def _empty_all_tables(url: str) -> None:
    tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    asyncio.run(migrate_database(sqlite_url(path)))
    return path


def postgres_admin_url() -> str | None:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        if os.environ.get("CI"):
            pytest.fail(f"{POSTGRES_ENV} is not set: CI must run the PostgreSQL tests")
        pytest.skip(f"PostgreSQL tests need {POSTGRES_ENV} (see README)")
    return url


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A database of its own on the test server, created for this run, migrated once."""
    admin_url = postgres_admin_url()
    assert admin_url is not None
    url, drop = asyncio.run(create_database(admin_url, "secure_base_test"))
    try:
        asyncio.run(migrate_database(url))
        yield url
    finally:
        asyncio.run(drop())


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def database_url(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[str]:
    """A migrated, empty database for one test."""
    if backend == "sqlite":
        path = tmp_path / "bot.db"
        shutil.copyfile(sqlite_template, path)
        yield sqlite_url(path)
        return
    url = request.getfixturevalue("postgres_server_url")
    yield url
    asyncio.run(_empty_all_tables(url))


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        bot_token=TEST_TOKEN,  # type: ignore[arg-type]
        database_url=database_url,
        telegram_base_url="http://127.0.0.1:9/bot",
        telegram_base_file_url="http://127.0.0.1:9/file/bot",
        log_level="DEBUG",
        # The tests feed updates one by one; pacing them would only slow the suite.
        telegram_max_messages_per_second=0,
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture(scope="session")
def zone_finder() -> TimezoneFinder:
    return TimezoneFinder()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def api() -> FakeBotApi:
    return FakeBotApi()


@pytest.fixture
async def harness(
    settings: Settings, api: FakeBotApi, clock: FakeClock, zone_finder: TimezoneFinder
) -> AsyncIterator[BotHarness]:
    async with BotHarness(settings, api=api, clock=clock, zone_finder=zone_finder) as bot:
        yield bot


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The crisis corpus table (tests/test_crisis_corpus.py), visible in a plain run: the
    recall and false alarms per language and family are the figures issue #23 asks for."""
    report = terminalreporter.config.stash.get(REPORT_KEY, None)
    if report is not None:
        terminalreporter.write_sep("-", "crisis corpus: recall and false alarms (EveryLanguage)")
        terminalreporter.write_line(report)


@pytest.fixture
def migration_round_trip(harness: BotHarness, database_url: str) -> MigrationRoundTrip:
    return MigrationRoundTrip(harness, database_url)
