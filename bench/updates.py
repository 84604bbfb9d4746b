"""Throughput and latency of the bot's update handling, next to two reference bots.

Run from the repository root::

    .venv/bin/python bench/updates.py [--transport {inprocess,http}] [--concurrency N [N ...]]
                                      [--users 300] [--rounds 3] [--warmup 300]
                                      [--rate-limit 1000] [--database-url URL] [--profile N]

By default both transports and the concurrencies 1 and 32 are measured: four tables.

The applications
----------------
All are real PTB ``Application`` objects, fed the same stream of update JSON (same users,
kinds and order) and measured the same way.

* **echo**: a minimal PTB bot without a database. A ``MessageHandler(filters.TEXT)`` replies
  with the text it got; a ``CallbackQueryHandler`` answers the query. It uses PTB's default
  request layer (``HTTPXRequest``), as a minimal PTB bot does. This is the issue's yardstick.
* **echo-aio** (http only): the same echo bot on the bot's own request layer,
  ``bot.telegram_request.AiohttpRequest``. ``bot/echo-aio`` compares the bot with an echo bot
  that pays the same price per Bot API call, so it shows what the handlers and the database
  cost, with nothing gained from the faster HTTP client.
* **naive**: the "naive SQLAlchemy-ORM bot doing one write per update" of the issue, as a
  calibration point. The echo bot's two handlers, but each first opens an ``AsyncSession``,
  loads the user's row of its own table ``bench_naive_users`` with ``session.get`` (a
  declarative model defined here, made with ``metadata.create_all``), adds one to a counter,
  commits, and only then replies like echo. Every update writes. Its engine is SQLAlchemy's own
  (``create_async_engine``) with the bot's database settings (for SQLite the same pragmas: WAL,
  ``synchronous=NORMAL``, busy timeout, foreign keys; for PostgreSQL ``pool_pre_ping``), but
  without the bot's SQLite connection class and writers' queue (``bot/storage/sqlite_driver.py``,
  ``sqlite_writes.py``): a naive bot would have neither. Its rows exist before timing.
* **bot**: ``bot.app.build_application`` with its migrated database and, over http, its
  production request layer (``AiohttpRequest``, built from ``TELEGRAM_BASE_URL``). Every user
  is first onboarded through it (``/start``, the consent button, typing ``Europe/Berlin``, the
  ``20:00`` button); that phase is timed, but only for information. Its cap on messages sent
  per second (``TELEGRAM_MAX_MESSAGES_PER_SECOND``, PTB's ``AIORateLimiter``; 25 by default,
  Telegram's own limit) is set to ``--rate-limit``, by default 1000, the most the setting
  allows and more than any rate reached here: the limiter's bookkeeping is measured, but it
  never makes the bot wait (at 25 it would hold every table at about 25 messages/s, by design).
  The application is never started (``start()``), so its job queue (the check-in dispatcher)
  does not run.

The timed mix: each of ``--rounds`` rounds sends, for every user, in three waves across all
users: ``/start`` (bot: a read, one reply); a press of the ``settings:time`` button (bot: a
read, a write, an answer and a question); the typed answer ``21:15`` (bot: a read, a write, the
settings summary). So the bot writes for two updates in three, the naive bot for all three.

Transports (``--transport``, default both)
------------------------------------------
Updates are always handed straight to ``await app.process_update(Update.de_json(...))`` (no
``getUpdates`` polling). What differs is how the applications' Bot API calls reach the fake
Telegram (``tests.telegram_fake.FakeBotApi``, which validates HTML and markup as Telegram
would):

* **inprocess**: PTB's request layer is ``tests.telegram_fake.FakeRequest``, which calls the fake
  directly, in the benchmark's process and thread. No sockets, no HTTP: the cheapest possible
  Telegram, so everything else (the handlers, the database) weighs the most here.
* **http**: ``tests.fake_server.FakeTelegramServer`` runs in a separate process (its own
  interpreter and GIL; on this machine's second core). The echo and naive bots use PTB's
  standard ``HTTPXRequest`` (httpx, HTTP/1.1, keep-alive, a pool of 256 connections), the bot
  and echo-aio ``AiohttpRequest``, each pointed at it with ``base_url``. Each Bot API call is a
  real HTTP round trip over 127.0.0.1: request encoding, the server's parsing and JSON, TCP,
  the client's connection pool. All the applications use the same token and the same server,
  one after the other. The server process sets
  ``TCP_NODELAY`` on its sockets and a listen backlog of 1024 (``http.server``'s defaults
  would add 40 ms Nagle stalls and reset connections when 32 open at once; see
  ``bench/_telegram.py``). Still far cheaper than the real api.telegram.org, which is tens of
  milliseconds away: in production the Telegram share of each update is larger still.

Concurrency (``--concurrency``, default 1 and 32)
-------------------------------------------------
With N > 1, each wave is fed by N workers, so N updates are in flight at once, as with PTB's
``concurrent_updates`` in production. A wave holds each user once, so no user ever has two
updates in flight and each user's updates stay in order. With N = 1 updates go one by one.

How it is measured
------------------
For every (transport, concurrency) pair, each application first gets ``--warmup`` untimed
updates of the mix at that concurrency (with http this also opens its connections). Then the
timed waves run; the order of the applications changes from wave to wave (cycling through
all their orders), so a slower stretch of the machine hits all of them alike. Update
JSON is built before timing.

Reading the tables
------------------
One table per (transport, concurrency), one row per application:

* ``updates``: timed updates; ``seconds``: the sum of its waves' wall time;
* ``updates/s``: updates over seconds, the throughput compared below;
* ``p50 ms`` / ``p99 ms``: median and 99th percentile of one update's latency, from the moment
  a worker hands it to ``process_update`` until that returns (with N > 1 this includes time
  spent waiting for the event loop while other updates run; it excludes time queued in the
  wave before a worker picks the update up);
* ``calls/upd``: Bot API calls per update;
* ``CPU %``: CPU time of the benchmark's process (all threads: the event loop and aiosqlite's
  database threads) over the wall time; about 100 % or more means that process (its event
  loop) is the bottleneck, well below means it waits (for SQLite's locks, or the fake server);
* ``srv CPU %``: the same for the fake server's process (http only); near 100 % would mean the
  fake Telegram, not the application, limits the figure.

Below each table: the bot's p50/p99 by kind of update, and (once per transport) its onboarding.
The summary gives, per table, ``bot/echo`` and ``naive/echo`` (throughput as a percentage of
echo's), ``bot/naive`` and (http) ``bot/echo-aio``. The target is ``bot/echo`` >= 75 %, set
where the issue's naive ORM bot measured about 55 %. Where ``naive/echo`` here is far from
55 %, this setup weighs Telegram against the database differently from the issue's;
``bot/naive`` (the same bar is 75 / 55 = 136 %) compares two bots that pay the same Telegram
and the same database. Two limits to keep in mind:

* the cheaper Telegram is, the more the database decides: in-process, an ORM round trip costs
  several times an echo reply, so any bot that writes lands far below 75 %;
* the dearer Telegram is, the more ``calls/upd`` decides: where Bot API calls are nearly all of
  the cost, ``bot/echo`` can reach at most echo's calls per update over the bot's (1.00 / 1.33
  = 75 % for this mix) even with free handlers and a free database.

Over http at high concurrency, httpx's connection pool spends time per request that grows
with the requests in flight, so the echo bot (whose time is all Bot API calls) slows down the
most there; this is why the bot uses aiohttp, and why ``echo-aio`` is printed next to it.
Concurrency 32 is how the bot runs in production (``MAX_CONCURRENT_UPDATES``, default 32);
concurrency 1 is how PTB runs a bot by default. Figures vary from run to run by several
percent; compare runs on the same machine.

``--profile N`` afterwards runs one more round of the mix on the bot, at concurrency 1, under
cProfile, for each transport, and prints the N entries with the highest cumulative time inside
``bot/`` and SQLAlchemy, and how much of the profiled time the event loop spent waiting in the
selector (for aiosqlite's database thread and, with http, the fake server).

Database
--------
Without ``--database-url`` each transport gets fresh SQLite files in a temporary directory,
one for the bot (migrated with ``upgrade_to_head``) and one for the naive bot; all are deleted
at the end. With ``--database-url`` (for example ``postgresql+asyncpg://user:pw@host/benchdb``)
the database is migrated to the newest schema first (a no-op if it already is), and it must
hold no users: the script refuses to run otherwise. Each transport uses users of its own. The
naive bot's table ``bench_naive_users`` is created in it (dropped first if present) and dropped
at the end; the bot's users are left behind, so empty the database before the next run.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import itertools
import math
import os
import pstats
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import time as day_time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import BigInteger, Integer, String, delete, event, func, select
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from telegram import Update
from telegram import User as TelegramUser
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters
from telegram.request import BaseRequest
from timezonefinder import TimezoneFinder

from bench._common import nearest_rank, peak_rss_mb
from bench._telegram import HttpTelegram, InProcessTelegram
from bot.app import build_application
from bot.config import Settings
from bot.context import BotApplication
from bot.logs import configure_logging
from bot.storage.engine import create_engine, is_sqlite, set_sqlite_pragmas
from bot.storage.migrate import upgrade_to_head
from bot.storage.models import User
from bot.telegram_request import AiohttpRequest
from tests.harness import (
    TEST_TOKEN,
    callback_query_json,
    private_chat_json,
    sender_json,
    text_json,
)
from tests.telegram_fake import FakeBotApi

AnyApplication = Application[Any, Any, Any, Any, Any, Any]
Payload = dict[str, Any]
Wave = list[Payload]
Telegram = InProcessTelegram | HttpTelegram

PROJECT_ROOT = Path(__file__).resolve().parents[1]
TARGET_PERCENT = 75.0
ISSUE_NAIVE_PERCENT = 55.0
TRANSPORTS = ("inprocess", "http")
DEFAULT_CONCURRENCY = (1, 32)
FIRST_USER_ID = 100_000_000
USER_ID_STRIDE = 10_000_000  # each transport gets users of its own
ONBOARDING_ZONE = "Europe/Berlin"
ONBOARDING_TIME = "20:00"
NEW_TIME = "21:15"
# (short name, what the bot does with it), in the order of the waves of a round.
MIX = (
    ("/start", "/start: a read and one reply"),
    ("settings:time", "press settings:time: a read, a write, an answer and the question"),
    (NEW_TIME, f"type {NEW_TIME}: a read, a write and the settings summary"),
)
BOT_USER = FakeBotApi().bot_user()
# The bot's cap on messages sent per second (PTB's AIORateLimiter), 0 meaning none.
RATE_LIMIT_SETTING = "telegram_max_messages_per_second"
DEFAULT_RATE_LIMIT = 1000


# --- update JSON ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    user_id: int
    first_name: str

    @property
    def sender(self) -> dict[str, Any]:
        return sender_json(self.user_id, self.first_name)


class Updates:
    """Builds update JSON as Telegram would send it, with fresh ids."""

    def __init__(self) -> None:
        self._update_ids = itertools.count(1)
        # Incoming message ids do not need to match anything the fake stores.
        self._message_ids = itertools.count(1_000_000_000)

    def text(self, person: Person, text: str) -> Payload:
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": private_chat_json(person.user_id, person.first_name),
            "from": person.sender,
            **text_json(text),
        }
        return {"update_id": next(self._update_ids), "message": message}

    def press(self, person: Person, data: str, target: dict[str, Any]) -> Payload:
        """A tap on an inline button of ``target`` (a bot message, as JSON)."""
        query = callback_query_json(str(next(self._message_ids)), person.sender, data, target)
        return {"update_id": next(self._update_ids), "callback_query": query}


def mix_waves(
    updates: Updates, people: list[Person], targets: dict[int, dict[str, Any]], rounds: int
) -> list[Wave]:
    """``rounds`` rounds of the mix, each three waves (one per kind) across all ``people``."""
    waves: list[Wave] = []
    for _ in range(rounds):
        waves.append([updates.text(person, "/start") for person in people])
        waves.append(
            [updates.press(person, "settings:time", targets[person.user_id]) for person in people]
        )
        waves.append([updates.text(person, NEW_TIME) for person in people])
    return waves


def warmup_waves(
    updates: Updates, people: list[Person], targets: dict[int, dict[str, Any]], count: int
) -> list[Wave]:
    """About ``count`` updates of whole mix rounds (a cut round would leave questions open)."""
    if count <= 0:
        return []
    groups = math.ceil(count / len(MIX))
    warm_people = people[: min(len(people), groups)]
    rounds = math.ceil(groups / len(warm_people))
    return mix_waves(updates, warm_people, targets, rounds)


def settings_message(person: Person) -> dict[str, Any]:
    """The message the echo and naive bots' users "press" a button on; neither looks at it."""
    return {
        "message_id": 1,
        "date": int(time.time()),
        "chat": {"id": person.user_id, "type": "private"},
        "from": BOT_USER,
        "text": "Settings",
        "reply_markup": {
            "inline_keyboard": [[{"text": "Change time", "callback_data": "settings:time"}]]
        },
    }


# --- feeding and measuring -----------------------------------------------------------------


async def feed_wave(
    app: AnyApplication, wave: Wave, concurrency: int, errors: list[BaseException]
) -> list[int]:
    """Feed ``wave`` with ``concurrency`` updates in flight; each update's latency in ns.

    Stops at the first error an application reports (into ``errors``), instead of logging
    a traceback for every remaining update.
    """
    latencies = [0] * len(wave)
    bot = app.bot
    process_update = app.process_update
    de_json = Update.de_json
    clock = time.perf_counter_ns
    jobs = iter(enumerate(wave))

    async def worker() -> None:
        for index, payload in jobs:
            before = clock()
            await process_update(de_json(payload, bot))
            latencies[index] = clock() - before
            if errors:
                return

    if concurrency <= 1:
        await worker()
    else:
        await asyncio.gather(*(worker() for _ in range(min(concurrency, len(wave)))))
    if errors:
        raise BenchmarkError(f"{len(errors)} update(s) failed; first: {errors[0]!r}")
    return latencies


class BenchmarkError(Exception):
    """An application under test failed; its figures would mean nothing."""


class ErrorCounter:
    """An extra error handler: the bot's own one replies kindly, this one makes us notice."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.errors: list[BaseException] = []

    async def __call__(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        if context.error is not None:
            self.errors.append(context.error)

    def check(self) -> None:
        if self.errors:
            raise BenchmarkError(
                f"the {self.name} failed {len(self.errors)} times; first: {self.errors[0]!r}"
            )


@dataclass
class Subject:
    """One application under test and the fake Telegram it talks to."""

    name: str
    app: AnyApplication
    telegram: Telegram
    errors: ErrorCounter
    fed: int = 0

    async def untimed(self, waves: list[Wave], concurrency: int) -> None:
        for wave in waves:
            await feed_wave(self.app, wave, concurrency, self.errors.errors)
            self.fed += len(wave)

    def check(self) -> None:
        self.errors.check()
        fake_errors = self.telegram.stats().errors
        if fake_errors:
            raise BenchmarkError(f"the fake Telegram reported {fake_errors[:3]}")


@dataclass
class Measured:
    """Latencies and totals of one application's timed waves."""

    name: str
    latencies_ns: list[int] = field(default_factory=list)
    seconds: float = 0.0
    api_calls: int = 0
    cpu_seconds: float = 0.0
    server_cpu_seconds: float | None = None

    async def wave(self, subject: Subject, wave: Wave, concurrency: int) -> None:
        """Feed and time one wave; the fake Telegram's counters are read outside the timing."""
        before = subject.telegram.stats()
        cpu_before = time.process_time()
        started = time.perf_counter_ns()
        latencies = await feed_wave(subject.app, wave, concurrency, subject.errors.errors)
        elapsed = time.perf_counter_ns() - started
        cpu_after = time.process_time()
        after = subject.telegram.stats()
        subject.fed += len(wave)
        self.latencies_ns += latencies
        self.seconds += elapsed / 1e9
        self.cpu_seconds += cpu_after - cpu_before
        self.api_calls += after.calls - before.calls
        if after.server_cpu is not None and before.server_cpu is not None:
            self.server_cpu_seconds = (self.server_cpu_seconds or 0.0) + (
                after.server_cpu - before.server_cpu
            )

    @property
    def updates(self) -> int:
        return len(self.latencies_ns)

    @property
    def per_second(self) -> float:
        return self.updates / self.seconds if self.seconds else 0.0

    def percentile_ms(self, percent: float) -> float:
        return percentile_ms(self.latencies_ns, percent)

    @property
    def calls_per_update(self) -> float:
        return self.api_calls / self.updates if self.updates else 0.0

    @property
    def cpu_percent(self) -> float:
        return 100 * self.cpu_seconds / self.seconds if self.seconds else 0.0

    @property
    def server_cpu_percent(self) -> float | None:
        if self.server_cpu_seconds is None or not self.seconds:
            return None
        return 100 * self.server_cpu_seconds / self.seconds


def percentile_ms(latencies_ns: list[int], percent: float) -> float:
    """Nearest-rank percentile, in milliseconds."""
    return nearest_rank(latencies_ns, percent / 100) / 1e6


def per_kind(measured: Measured, users: int) -> Iterator[tuple[str, float, float]]:
    """p50 and p99 of each kind of update (the waves come ``users`` long, in ``MIX`` order)."""
    for kind, (label, _) in enumerate(MIX):
        values = [
            latency
            for index, latency in enumerate(measured.latencies_ns)
            if (index // users) % len(MIX) == kind
        ]
        yield label, percentile_ms(values, 50), percentile_ms(values, 99)


# --- the echo bot --------------------------------------------------------------------------


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None
    assert update.message.text is not None
    await update.message.reply_text(update.message.text)


async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.callback_query is not None
    await update.callback_query.answer()


def build_simple_application(
    telegram: Telegram,
    on_text: Any,
    on_button: Any,
    bot_data: dict[str, Any] | None = None,
    request: BaseRequest | None = None,
) -> AnyApplication:
    """An application with one text and one button handler, like the echo bot."""
    request = request or telegram.request()
    application = (
        Application.builder()
        .token(TEST_TOKEN)
        .base_url(telegram.base_url)
        .base_file_url(telegram.base_file_url)
        .request(request)
        .get_updates_request(request)
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT, on_text))
    application.add_handler(CallbackQueryHandler(on_button))
    application.bot_data.update(bot_data or {})
    return application


# --- the naive ORM bot ---------------------------------------------------------------------


class NaiveBase(DeclarativeBase):
    pass


class NaiveUser(NaiveBase):
    __tablename__ = "bench_naive_users"

    telegram_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    first_name: Mapped[str] = mapped_column(String(64))
    updates: Mapped[int] = mapped_column(Integer, default=0)


async def naive_touch(context: ContextTypes.DEFAULT_TYPE, user: TelegramUser | None) -> None:
    """One session per update: get the user's row, write one field, commit."""
    assert user is not None
    sessions: async_sessionmaker[AsyncSession] = context.bot_data["sessions"]
    async with sessions() as session:
        row = await session.get(NaiveUser, user.id)
        if row is None:
            row = NaiveUser(telegram_id=user.id, first_name=user.first_name, updates=0)
            session.add(row)
        row.updates += 1
        await session.commit()


async def naive_echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await naive_touch(context, update.effective_user)
    await echo(update, context)


async def naive_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await naive_touch(context, update.effective_user)
    await answer(update, context)


def create_stock_engine(url: str) -> AsyncEngine:
    """SQLAlchemy's own engine with the bot's database settings (see the module docstring)."""
    if is_sqlite(url):
        engine = create_async_engine(url)
        event.listen(engine.sync_engine, "connect", set_sqlite_pragmas)
        return engine
    return create_async_engine(url, pool_pre_ping=True)


async def open_naive_database(url: str) -> AsyncEngine:
    """A stock engine, and a fresh ``bench_naive_users`` table."""
    engine = create_stock_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(NaiveBase.metadata.drop_all)
        await connection.run_sync(NaiveBase.metadata.create_all)
    return engine


async def drop_naive_table(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(NaiveBase.metadata.drop_all)
    finally:
        await engine.dispose()


async def seed_naive(sessions: async_sessionmaker[AsyncSession], people: list[Person]) -> None:
    async with sessions() as session:
        ids = [person.user_id for person in people]
        await session.execute(delete(NaiveUser).where(NaiveUser.telegram_id.in_(ids)))
        session.add_all(
            NaiveUser(telegram_id=person.user_id, first_name=person.first_name, updates=0)
            for person in people
        )
        await session.commit()


async def check_naive(
    sessions: async_sessionmaker[AsyncSession], people: list[Person], expected: int
) -> None:
    """Every update the naive bot got was counted, once."""
    async with sessions() as session:
        counted = await session.scalar(
            select(func.sum(NaiveUser.updates)).where(
                NaiveUser.telegram_id.in_([person.user_id for person in people])
            )
        )
    if counted != expected:
        raise RuntimeError(f"the naive bot counted {counted} updates, it got {expected}")


# --- the bot -------------------------------------------------------------------------------


async def onboard(
    bot: Subject, updates: Updates, people: list[Person]
) -> tuple[Measured, dict[int, dict[str, Any]]]:
    """Onboard everyone in four waves; returns the timing and each user's menu message.

    Button presses must name messages the fake holds, so between waves (untimed) the fake is
    asked for each chat's newest message.
    """
    measured = Measured("bot onboarding")
    ids = [person.user_id for person in people]
    await measured.wave(bot, [updates.text(person, "/start") for person in people], 1)
    consent = bot.telegram.newest_with_button(ids, "consent:yes")
    await measured.wave(
        bot, [updates.press(person, "consent:yes", consent[person.user_id]) for person in people], 1
    )
    await measured.wave(bot, [updates.text(person, ONBOARDING_ZONE) for person in people], 1)
    question = bot.telegram.newest_with_button(ids, f"time:{ONBOARDING_TIME}")
    await measured.wave(
        bot,
        [
            updates.press(person, f"time:{ONBOARDING_TIME}", question[person.user_id])
            for person in people
        ],
        1,
    )
    return measured, bot.telegram.newest_with_button(ids, "menu:settings")


async def check_users(app: BotApplication, people: list[Person], *, changed: bool) -> None:
    """Every user is onboarded, has no open question, and (if ``changed``) the new time."""
    async with app.bot_data.services.sessions() as session:
        statement = select(func.count()).where(
            User.telegram_id.in_([person.user_id for person in people]),
            User.onboarded_at.is_not(None),
            User.pending_input.is_(None),
        )
        if changed:
            hour, minute = map(int, NEW_TIME.split(":"))
            statement = statement.where(User.checkin_time == day_time(hour, minute))
        stored = await session.scalar(statement)
    if stored != len(people):
        raise RuntimeError(f"only {stored} of {len(people)} users are in the expected state")


async def profile_round(subject: Subject, waves: list[Wave]) -> pstats.Stats:
    """Feed ``waves`` one update at a time under cProfile."""
    profiler = cProfile.Profile()
    profiler.enable()
    for wave in waves:
        await feed_wave(subject.app, wave, 1, subject.errors.errors)
    profiler.disable()
    return pstats.Stats(profiler)


# --- database ------------------------------------------------------------------------------


async def prepare_database(url: str) -> None:
    """Migrate to the newest schema (a no-op when already there); refuse a database with users."""
    engine = create_engine(url)
    try:
        await upgrade_to_head(engine)
        async with engine.connect() as connection:
            users = await connection.scalar(select(func.count()).select_from(User))
    finally:
        await engine.dispose()
    if users:
        raise SystemExit(f"bench: the database holds {users} users; give an empty database")


def make_settings(database_url: str, telegram: Telegram, rate_limit: int) -> Settings:
    return Settings(
        bot_token=TEST_TOKEN,  # type: ignore[arg-type]
        database_url=database_url,
        telegram_base_url=telegram.base_url,
        telegram_base_file_url=telegram.base_file_url,
        telegram_max_messages_per_second=rate_limit,
        _env_file=None,  # type: ignore[call-arg]
    )


# --- one transport -------------------------------------------------------------------------


@dataclass
class Table:
    transport: str
    concurrency: int
    rows: dict[str, Measured]

    def ratio(self, name: str, base: str = "echo") -> float:
        return 100 * self.rows[name].per_second / self.rows[base].per_second


@dataclass
class TransportRun:
    tables: list[Table]
    server_peak_rss_mb: float | None


async def run_transport(
    transport: str, bot_url: str, naive_url: str, arguments: argparse.Namespace
) -> TransportRun:
    """Build the three applications on one transport and measure each concurrency."""
    offset = FIRST_USER_ID + TRANSPORTS.index(transport) * USER_ID_STRIDE
    people = [Person(offset + index, f"User{index}") for index in range(arguments.users)]
    updates = Updates()
    tables: list[Table] = []
    server_peak: float | None = None
    async with AsyncExitStack() as stack:
        # One fake per application in-process; one server process for all three over HTTP.
        telegrams: dict[str, Telegram]
        if transport == "http":
            server = HttpTelegram(TEST_TOKEN)
            stack.callback(server.close)
            names = ("echo", "echo-aio", "naive", "bot")
            telegrams = dict.fromkeys(names, server)
        else:
            names = ("echo", "naive", "bot")
            telegrams = {name: InProcessTelegram() for name in names}

        # The bot first: onboarding looks for each chat's newest message, which must be its own.
        # Over HTTP the bot reaches the server the way it does in production (its own request
        # layer, from base_url); in-process it is handed the fake's request object.
        bot_app = build_application(
            make_settings(bot_url, telegrams["bot"], arguments.rate_limit),
            request=telegrams["bot"].request() if transport == "inprocess" else None,
            zone_finder=TimezoneFinder(),
        )
        bot = Subject("bot", bot_app, telegrams["bot"], ErrorCounter("bot"))
        bot_app.add_error_handler(bot.errors)
        await bot_app.initialize()
        stack.push_async_callback(bot_app.shutdown)
        assert bot_app.post_init is not None
        assert bot_app.post_shutdown is not None
        await bot_app.post_init(bot_app)
        stack.push_async_callback(bot_app.post_shutdown, bot_app)

        naive_engine = await open_naive_database(naive_url)
        stack.push_async_callback(naive_engine.dispose)
        naive_sessions = async_sessionmaker(naive_engine)
        await seed_naive(naive_sessions, people)

        subjects = [bot]
        for name, on_text, on_button, data, request in (
            ("echo", echo, answer, None, None),
            ("echo-aio", echo, answer, None, AiohttpRequest()),
            ("naive", naive_echo, naive_answer, {"sessions": naive_sessions}, None),
        ):
            if name not in names:
                continue
            app = build_simple_application(telegrams[name], on_text, on_button, data, request)
            subject = Subject(name, app, telegrams[name], ErrorCounter(f"{name} bot"))
            app.add_error_handler(subject.errors)
            await app.initialize()
            stack.push_async_callback(app.shutdown)
            subjects.append(subject)
        by_name = {subject.name: subject for subject in subjects}
        subjects = [by_name[name] for name in names]

        onboarding, menus = await onboard(bot, updates, people)
        await check_users(bot_app, people, changed=False)
        others = {person.user_id: settings_message(person) for person in people}
        targets = {"echo": others, "echo-aio": others, "naive": others, "bot": menus}

        for concurrency in arguments.concurrency:
            for subject in subjects:
                waves = warmup_waves(updates, people, targets[subject.name], arguments.warmup)
                await subject.untimed(waves, concurrency)
            rows = {subject.name: Measured(subject.name) for subject in subjects}
            plan = {
                subject.name: mix_waves(updates, people, targets[subject.name], arguments.rounds)
                for subject in subjects
            }
            orders = itertools.cycle(itertools.permutations(subjects))
            gc.collect()
            for index in range(len(MIX) * arguments.rounds):
                for subject in next(orders):
                    await rows[subject.name].wave(subject, plan[subject.name][index], concurrency)
            for subject in subjects:
                subject.check()
            await check_users(bot_app, people, changed=True)
            await check_naive(naive_sessions, people, by_name["naive"].fed)
            table = Table(transport, concurrency, rows)
            tables.append(table)
            print_table(table, arguments.users, onboarding if len(tables) == 1 else None)

        if arguments.profile > 0:
            stats = await profile_round(bot, mix_waves(updates, people, menus, 1))
            bot.check()
            print_profile(stats, arguments.profile, transport)
        server_peak = telegrams["bot"].stats().server_peak_rss_mb
    return TransportRun(tables, server_peak)


# --- report --------------------------------------------------------------------------------


def print_table(table: Table, users: int, onboarding: Measured | None) -> None:
    print()
    print(f"{table.transport}, concurrency {table.concurrency}")
    print(
        f"{'':8} {'updates':>7} {'seconds':>8} {'updates/s':>9} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'calls/upd':>9} {'CPU %':>6} {'srv CPU %':>9}"
    )
    for row in table.rows.values():
        server = row.server_cpu_percent
        print(
            f"{row.name:8} {row.updates:7d} {row.seconds:8.3f} {row.per_second:9.1f} "
            f"{row.percentile_ms(50):7.2f} {row.percentile_ms(99):7.2f} "
            f"{row.calls_per_update:9.2f} {row.cpu_percent:6.0f} "
            f"{'-' if server is None else f'{server:.0f}':>9}"
        )
    kinds = ", ".join(
        f"{label} {p50:.2f}/{p99:.2f}" for label, p50, p99 in per_kind(table.rows["bot"], users)
    )
    print(f"bot p50/p99 ms by kind: {kinds}")
    if onboarding is not None:
        print(
            f"bot onboarding (information only, concurrency 1): {onboarding.updates} updates, "
            f"{onboarding.per_second:.1f} updates/s, p50 {onboarding.percentile_ms(50):.2f} ms, "
            f"p99 {onboarding.percentile_ms(99):.2f} ms, "
            f"{onboarding.calls_per_update:.2f} calls/upd"
        )


def print_summary(tables: list[Table]) -> None:
    print()
    print(
        f"summary: throughput ratios   {'bot/echo':>8} {'naive/echo':>10} {'bot/naive':>9} "
        f"{'bot/echo-aio':>12}  bot/echo >= {TARGET_PERCENT:.0f}%?"
    )
    for table in tables:
        bot_echo = table.ratio("bot")
        verdict = "yes" if bot_echo >= TARGET_PERCENT else "NO"
        label = f"{table.transport}, concurrency {table.concurrency}"
        same_layer = (
            f"{table.ratio('bot', 'echo-aio'):11.1f}%" if "echo-aio" in table.rows else f"{'-':>12}"
        )
        print(
            f"  {label:26} {bot_echo:7.1f}% {table.ratio('naive'):9.1f}% "
            f"{table.ratio('bot', 'naive'):8.1f}% {same_layer}  {verdict}"
        )
    met = sum(table.ratio("bot") >= TARGET_PERCENT for table in tables)
    print(
        f"target bot/echo >= {TARGET_PERCENT:.0f}%: met in {met} of {len(tables)}. "
        f"The issue's naive ORM bot measured about {ISSUE_NAIVE_PERCENT:.0f}% of echo "
        f"(so bot/naive >= {100 * TARGET_PERCENT / ISSUE_NAIVE_PERCENT:.0f}% is the same bar)."
    )


def print_profile(stats: pstats.Stats, entries: int, transport: str) -> None:
    print()
    print(f"{transport}: cProfile of one extra round of the mix on the bot, concurrency 1: top")
    print(f"{entries} cumulative entries inside bot/ and sqlalchemy (inflated by the profiler)")
    bot_dir = re.escape(str(PROJECT_ROOT / "bot") + "/")
    stats.sort_stats(pstats.SortKey.CUMULATIVE).print_stats(rf"{bot_dir}|sqlalchemy", entries)
    # cProfile sees only the event loop's thread: aiosqlite runs SQLite in a thread of its own,
    # and while the loop waits for it (or for the fake server), it sits in the selector.
    profiled: float = stats.total_tt  # type: ignore[attr-defined]
    waiting = sum(
        row[2]
        for (_, _, name), row in stats.stats.items()  # type: ignore[attr-defined]
        if name.startswith(("<method 'poll' of 'select.", "<method 'select' of"))
    )
    print(
        f"profiled {profiled:.3f}s, of which {waiting:.3f}s ({100 * waiting / profiled:.0f}%) "
        "waiting in the selector (database thread, fake server)"
    )


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--users", type=int, default=300, help="users (default 300)")
    parser.add_argument(
        "--rounds", type=int, default=3, help="timed rounds of the mix per user (default 3)"
    )
    parser.add_argument(
        "--warmup",
        type=int,
        default=300,
        help="untimed updates per application before each table (default 300)",
    )
    parser.add_argument(
        "--transport",
        choices=TRANSPORTS,
        action="append",
        help="how Bot API calls reach the fake Telegram (default: both, in-process first)",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        nargs="+",
        default=list(DEFAULT_CONCURRENCY),
        metavar="N",
        help="updates in flight at once; one table each (default: 1 32)",
    )
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=DEFAULT_RATE_LIMIT,
        metavar="N",
        help="the bot's TELEGRAM_MAX_MESSAGES_PER_SECOND (default 1000, above any rate reached "
        "here: the limiter's cost is measured, its waiting is not; 0 turns it off)",
    )
    parser.add_argument(
        "--database-url",
        help="use this database instead of temporary SQLite files; it is migrated and must "
        "hold no users",
    )
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="afterwards profile one round on the bot and print the top N cumulative entries",
    )
    arguments = parser.parse_args()
    if arguments.users < 1 or arguments.rounds < 1 or arguments.warmup < 0:
        parser.error("--users and --rounds must be at least 1, --warmup at least 0")
    if any(n < 1 for n in arguments.concurrency):
        parser.error("--concurrency must be at least 1")
    arguments.transport = [t for t in TRANSPORTS if t in (arguments.transport or TRANSPORTS)]
    return arguments


# --- main ----------------------------------------------------------------------------------


async def main() -> None:
    arguments = parse_arguments()
    with tempfile.TemporaryDirectory(prefix="secure-base-bench-") as folder:
        # (the bot's database, the naive bot's database) of each transport
        urls: dict[str, tuple[str, str]] = {}
        if arguments.database_url:
            await prepare_database(arguments.database_url)
            urls = dict.fromkeys(arguments.transport, (arguments.database_url,) * 2)
        else:
            base = f"sqlite+aiosqlite:///{Path(folder)}"
            for transport in arguments.transport:
                urls[transport] = (f"{base}/bot-{transport}.db", f"{base}/naive-{transport}.db")
                await prepare_database(urls[transport][0])
        first_url = urls[arguments.transport[0]][0]
        configure_logging(make_settings(first_url, InProcessTelegram(), arguments.rate_limit))

        fresh = "" if arguments.database_url else ", a fresh file each"
        database = first_url.split(":", 1)[0] + fresh
        print(
            f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, database {database}; "
            f"{arguments.users} users per transport"
        )
        print(f"timed mix: {arguments.rounds} rounds, each three waves across all users:")
        for step, (_, description) in enumerate(MIX, 1):
            print(f"  {step}. {description}")
        print(
            "apps: echo (no database); echo-aio (http only: echo on the bot's request layer); "
            "naive (per update: ORM session.get, one field, commit, reply like echo); bot"
        )
        print(
            f"warm-up: {arguments.warmup} untimed updates per app before each table; "
            "the order of the apps rotates wave by wave"
        )
        default = Settings.model_fields[RATE_LIMIT_SETTING].default
        print(
            f"bot: {RATE_LIMIT_SETTING.upper()}={arguments.rate_limit} "
            f"(its default {default} would cap it at {default} messages/s)"
        )

        tables: list[Table] = []
        server_peak: float | None = None
        for transport in arguments.transport:
            bot_url, naive_url = urls[transport]
            run = await run_transport(transport, bot_url, naive_url, arguments)
            tables += run.tables
            server_peak = run.server_peak_rss_mb or server_peak
        if arguments.database_url:
            await drop_naive_table(arguments.database_url)

    print_summary(tables)
    server = "" if server_peak is None else f"; fake server process {server_peak:.0f} MB"
    print(f"peak RSS: benchmark process {peak_rss_mb():.0f} MB (all apps, both transports){server}")


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except BenchmarkError as exc:
        raise SystemExit(f"bench: {exc}") from None
