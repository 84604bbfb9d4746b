"""Throughput, round trips and memory of the check-in dispatcher over a simulated day.

Run from the repository root::

    .venv/bin/python bench/dispatch.py [--users 100000] [--backend sqlite|postgresql|both]
                                       [--database-url URL] [--step SECONDS]
                                       [--reminder-minutes N] [--digest-sample N]
                                       [--digest-share F] [--profile N] [--no-pin]

    scripts/with-postgres .venv/bin/python bench/dispatch.py --backend postgresql

Backends: SQLite is a file in a temporary folder. PostgreSQL needs a server: ``--database-url``
(or else ``TEST_POSTGRES_URL``, as set by ``scripts/with-postgres``) is an admin URL such as
``postgresql+asyncpg://postgres@127.0.0.1:5432/postgres``; fresh databases
``secure_base_bench_<random>`` are created there, migrated, and dropped at the end. Without
``--backend``, both run if a PostgreSQL URL is available, else SQLite alone. With ``both``, each
backend runs in a child process of its own, so each gets its own peak RSS.

What is measured
----------------
1. **Seeding** (not part of any target, and done in a child process so that it does not count
   in the peak RSS): ``--users`` users (default 100,000), onboarded and active, inserted with
   bulk Core ``INSERT``\\ s of 5,000 rows. Their zones are 40 real IANA zones, one per distinct
   UTC offset (picked with a seeded ``random``: every run is the same), their check-in times
   18:00 to 22:30 local in steps of 15 minutes, and their ``next_checkin_at`` is computed with
   :func:`bot.timezones.next_checkin_at` from the fixed start, 2026-01-14 00:00 UTC (a day
   without DST changes anywhere). So every user is due exactly once in the 24 hours that
   follow, in bursts at :00, :15, :30 and :45 UTC. Their weekly day is another day than the
   simulated one (``--digest-share`` changes that), so the day holds evening prompts and
   reminders; the weekly digest is measured on its own (6.).
2. **The real application**: :func:`bot.app.build_application` with Telegram faked at PTB's HTTP
   layer (``tests.telegram_fake.FakeRequest`` and a :class:`~tests.telegram_fake.FakeBotApi`
   that validates every message as Telegram would, but keeps none of them), no rate limiter
   (``TELEGRAM_MAX_MESSAGES_PER_SECOND=0``), a clock the benchmark moves, started like
   ``tests/harness.py`` does (``initialize()`` and ``post_init``; no polling, no job queue).
3. **Finding due work when nothing is due**: the median wall time of 200 dispatch runs that find
   nothing, with 1,000 users, with all users, and with all users after the day (when
   ``checkins`` holds a row per user), each split by query; and the query plans of the
   due-users query at 12:00, when about half of all users are due (EXPLAIN QUERY PLAN on
   SQLite, EXPLAIN ANALYZE on PostgreSQL), and of the reminders query at the end of the day.
   Equal times and index range scans that stop at the batch size mean the cost follows the
   number due, not the number of users.
4. **The day**: the clock moves from the start through 24 hours in steps of ``--step`` seconds
   (default 30, the default dispatch interval), and each step calls
   ``await dispatch(app.bot, app.bot_data.services)``, exactly what the job queue runs.
   Reminders are on, as in production (after ``--reminder-minutes``, default 120; nobody
   answers here, so every prompt gets one), so a run first sends its prompts, then its
   reminders. The benchmark notes the moment ``claim_reminders`` is called (it wraps that one
   function) to split each run into its *prompt phase* and *reminder phase*.
5. **Memory**: peak RSS after the imports and start-up, and after the day.
6. **Weekly digests**: ``--digest-sample`` users (default 100; 0 skips it) in a database of
   their own, all on their weekly day, so each gets the evening prompt and the digest (text and
   chart). The clock jumps to each due time and to one step past its reminder delay (within the
   day); the reminders sent are counted by kind of row. Runs after the day, so that the
   chart's memory does not hide the day's peak RSS; its own peak RSS is printed after it.

How to read the output
----------------------
* ``prompts/s``: prompts sent over the wall time of the prompt phases (claim, read, send,
  record). This is the figure for the target of at least 1,000 prompts/s. ``messages/s``
  counts prompts and reminders over the whole wall time of the runs that had work.
* ``CPU``: ``time.process_time()`` of the whole process over the same span. The process is
  pinned to one CPU (``os.sched_setaffinity``; ``--no-pin`` to allow all), so everything: the
  event loop, PTB, SQLAlchemy, the fake Telegram and, on SQLite, aiosqlite's helper threads
  (one per pooled connection, where SQLite itself runs) shares one core. PostgreSQL's server
  processes are not pinned: they are other processes, as in production.
* ``fake Telegram``: time spent inside ``FakeBotApi`` (HTML validation, building the answer);
  the real Telegram is a network round trip away and costs this process no CPU.
* ``round trips``: statements counted by a ``before_cursor_execute`` listener on the app's
  engine (an executemany counts once), plus COMMITs and ROLLBACKs, plus on PostgreSQL the
  BEGIN asyncpg sends for every transaction and the ``pool_pre_ping`` ping of every connection
  checkout. ``per prompt`` divides the prompt phases' count by the prompts sent. On SQLite a
  "round trip" is a hand-off to aiosqlite's thread (one statement takes several).
* ``statements by query``: each statement of the day, named by what it does, with its count per
  prompt sent and its mean time as the caller sees it (on SQLite: including the thread hops).
* ``per-run latency``: wall time of one dispatch run that had work, p50/p99/max; runs are also
  grouped by how many prompts they claimed, to show that the cost grows with the work.
* ``peak RSS``: ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` of this backend's process;
  target under 150 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import functools
import logging
import math
import multiprocessing
import os
import pstats
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as day_time
from pathlib import Path
from typing import Any
from zoneinfo import available_timezones

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine
from timezonefinder import TimezoneFinder

import bot.services.checkins as checkin_service
from bench._common import nearest_rank, peak_rss_mb
from bench._database import server_version
from bot.config import Settings
from bot.context import BotApplication
from bot.handlers.dispatch import BATCH, CONCURRENT_SENDS, DispatchReport, dispatch
from bot.storage import checkins as checkin_storage
from bot.storage.engine import create_engine
from bot.storage.migrate import upgrade_to_head
from bot.storage.models import Checkin, User
from bot.timezones import format_offset, local_now, next_checkin_at, zone_from_name
from tests.databases import POSTGRES_ENV, create_database
from tests.harness import TEST_TOKEN, BotHarness, FakeClock
from tests.telegram_fake import FakeBotApi

START = datetime(2026, 1, 14, 0, 0, tzinfo=UTC)
DAY = timedelta(hours=24)
ZONES = 40
EVENING_TIMES = [day_time(18 + quarter // 4, 15 * (quarter % 4)) for quarter in range(19)]
SEED_CHUNK = 5_000
SMALL_USERS = 1_000
EMPTY_RUNS = 200
RSS_TARGET_MB = 150
PROMPTS_TARGET = 1_000
# Zones the bot itself never offers (see bot.timezones._zone_index).
_SKIPPED_REGIONS = {"Etc", "US", "Canada", "Brazil", "Mexico", "Chile", "SystemV", "posix", "right"}
# Peak RSS of the imports alone, before anything else ran.
RSS_AT_IMPORT_MB = peak_rss_mb()


# --- the population -------------------------------------------------------------------------------


def pick_zones(rng: random.Random, count: int = ZONES) -> list[str]:
    """One real IANA zone per distinct UTC offset (at the start), spread over the globe."""
    by_offset: dict[timedelta, list[str]] = {}
    for name in sorted(available_timezones()):
        if "/" not in name or name.split("/", 1)[0] in _SKIPPED_REGIONS:
            continue
        offset = START.astimezone(zone_from_name(name)).utcoffset()
        assert offset is not None
        by_offset.setdefault(offset, []).append(name)
    offsets = sorted(by_offset)
    if len(offsets) > count:
        offsets = [offsets[round(i * (len(offsets) - 1) / (count - 1))] for i in range(count)]
    zones = [rng.choice(by_offset[offset]) for offset in offsets]
    spare = sorted(set().union(*by_offset.values()) - set(zones))
    zones += rng.sample(spare, max(0, count - len(zones)))
    return zones


@functools.cache
def _first_due(zone: str, at: day_time) -> datetime:
    return next_checkin_at(START, zone, at)


def user_rows(
    count: int, zones: list[str], seed: int, digest_share: float
) -> Iterator[dict[str, Any]]:
    """Rows for ``count`` users; the same ones on every run with the same seed.

    For a share ``digest_share`` of them, the weekly day is the local weekday of their evening
    in the simulated day (that evening also brings the weekly digest); for the rest another day.
    """
    rng = random.Random(seed)
    joined = START - timedelta(days=30)
    for number in range(count):
        zone = rng.choice(zones)
        at = rng.choice(EVENING_TIMES)
        due = _first_due(zone, at)
        weekday = local_now(zone, due).weekday()
        if rng.random() >= digest_share:
            weekday = (weekday + 1 + rng.randrange(6)) % 7
        yield {
            "telegram_id": 1_000_000_000 + number,
            "first_name": f"User {number}",
            "language_code": "en",
            "time_zone": zone,
            "checkin_time": at,
            "consented_at": joined,
            "onboarded_at": joined,
            "next_checkin_at": due,
            "weekly_day": weekday,
            "active": True,
            "created_at": joined,
            "updated_at": joined,
        }


async def seed(
    url: str, users: int, zones: list[str], seed_value: int, digest_share: float
) -> float:
    """Migrate and fill the database; returns the seconds spent inserting users."""
    engine = create_engine(url)
    try:
        await upgrade_to_head(engine)
        started = time.perf_counter()
        rows = user_rows(users, zones, seed_value, digest_share)
        async with engine.begin() as connection:
            while chunk := [row for _, row in zip(range(SEED_CHUNK), rows, strict=False)]:
                await connection.execute(insert(User.__table__), chunk)
        seconds = time.perf_counter() - started
        if engine.dialect.name == "postgresql":
            # What autovacuum would do soon after such an insert; makes the plans deterministic.
            async with engine.connect() as connection:
                await connection.execute(text("ANALYZE"))
        return seconds
    finally:
        await engine.dispose()


def _seed_blocking(
    url: str, users: int, zones: list[str], seed_value: int, digest_share: float
) -> float:
    return asyncio.run(seed(url, users, zones, seed_value, digest_share))


def seed_in_child(
    url: str, users: int, zones: list[str], seed_value: int, digest_share: float = 0.0
) -> float:
    """Seed in a separate process, so its memory never counts in this process's peak RSS."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(_seed_blocking, (url, users, zones, seed_value, digest_share))


# --- instruments ----------------------------------------------------------------------------------


@dataclass
class QuietTelegram(FakeBotApi):
    """The fake Bot API, validating as usual, but keeping no call or message; timed."""

    seconds: float = 0.0
    methods: Counter[str] = field(default_factory=Counter)

    def handle(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        started = time.perf_counter()
        status, body = self._answer(method, params)
        self.messages.clear()
        self.methods[method if status == 200 else f"{method} {status}"] += 1
        self.seconds += time.perf_counter() - started
        return status, body


# What each of the dispatcher's statements does, recognised by a piece of its SQL.
_LABELS = [
    (re.compile(r"next_checkin_at <="), "due users (claim_due)"),
    (re.compile(r"^\s*INSERT INTO checkins", re.I), "insert check-ins (claim_due)"),
    (re.compile(r"^\s*UPDATE users SET next_checkin_at", re.I), "move due times (claim_due)"),
    (re.compile(r"claimed_at <"), "abandoned (claim_abandoned)"),
    (re.compile(r"snoozed_until <="), "snoozes due (claim_snoozed)"),
    (re.compile(r"reminded_at IS NULL"), "reminders due (claim_reminders)"),
    (re.compile(r"^\s*UPDATE checkins SET reminded_at", re.I), "mark reminded (claim_reminders)"),
    (re.compile(r"^\s*UPDATE checkins SET sent_at", re.I), "mark sent (record_sent)"),
    (re.compile(r"FROM checkins JOIN users .* IN \(", re.I | re.S), "outbox rows (claim_due)"),
    (re.compile(r"FROM checkin_answers", re.I), "answers of one check-in (checkin_state)"),
    (re.compile(r"FROM checkins\s+WHERE checkins\.id =", re.I), "one check-in (checkin_state)"),
]
_VERB = re.compile(r"^\s*(SELECT|INSERT INTO|UPDATE|DELETE FROM)\s+(?:.*?\bFROM\s+)?\"?(\w+)", re.S)


def label_of(statement: str) -> str:
    for pattern, label in _LABELS:
        if pattern.search(statement):
            return label
    match = _VERB.match(statement)
    return f"other: {match.group(1)} {match.group(2)}" if match else "other"


@dataclass
class DbCounter:
    """Statements (with their time, by label) and transaction events on one engine."""

    statements: int = 0
    begins: int = 0
    commits: int = 0
    rollbacks: int = 0
    checkouts: int = 0
    labels: Counter[str] = field(default_factory=Counter)
    seconds: Counter[str] = field(default_factory=Counter)
    captured: list[tuple[str, Any]] | None = None

    def attach(self, engine: AsyncEngine) -> None:
        sync = engine.sync_engine
        event.listen(sync, "before_cursor_execute", self._before)
        event.listen(sync, "after_cursor_execute", self._after)
        event.listen(sync, "begin", self._begin)
        event.listen(sync, "commit", self._commit)
        event.listen(sync, "rollback", self._rollback)
        event.listen(sync, "checkout", self._checkout)

    def _before(self, conn: Any, _cur: Any, statement: str, params: Any, _x: Any, _m: Any) -> None:
        self.statements += 1
        if self.captured is not None:
            self.captured.append((statement, params))
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    def _after(self, conn: Any, _cur: Any, statement: str, _p: Any, _x: Any, _m: Any) -> None:
        label = label_of(statement)
        self.labels[label] += 1
        self.seconds[label] += time.perf_counter() - conn.info["bench_started"].pop()

    def _begin(self, _connection: Any) -> None:
        self.begins += 1

    def _commit(self, _connection: Any) -> None:
        self.commits += 1

    def _rollback(self, _connection: Any) -> None:
        self.rollbacks += 1

    def _checkout(self, *_args: Any) -> None:
        self.checkouts += 1

    def snapshot(self) -> tuple[int, int, int, int, int]:
        return self.statements, self.begins, self.commits, self.rollbacks, self.checkouts


Counts = tuple[int, int, int, int, int]


def round_trips(delta: Counts, postgres: bool) -> int:
    """Statements, COMMIT/ROLLBACK; on PostgreSQL also BEGIN and the pre-ping per checkout."""
    statements, begins, commits, rollbacks, checkouts = delta
    return statements + commits + rollbacks + ((begins + checkouts) if postgres else 0)


def minus(a: Counts, b: Counts) -> Counts:
    return (a[0] - b[0], a[1] - b[1], a[2] - b[2], a[3] - b[3], a[4] - b[4])


def plus(a: Counts, b: Counts) -> Counts:
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3], a[4] + b[4])


@dataclass
class PhaseMark:
    """Set when the dispatcher calls ``claim_reminders``: the end of a run's prompt phase."""

    counter: DbCounter
    api: QuietTelegram
    at: float | None = None
    cpu: float = 0.0
    db: Counts = (0, 0, 0, 0, 0)
    telegram: float = 0.0

    def install(self) -> Callable[[], None]:
        original = checkin_service.claim_reminders

        @functools.wraps(original)
        async def marked(*args: Any, **kwargs: Any) -> Any:
            self.at, self.cpu = time.perf_counter(), time.process_time()
            self.db, self.telegram = self.counter.snapshot(), self.api.seconds
            return await original(*args, **kwargs)

        checkin_service.claim_reminders = marked  # type: ignore[assignment]

        def uninstall() -> None:
            checkin_service.claim_reminders = original  # type: ignore[assignment]

        return uninstall


# --- the application ------------------------------------------------------------------------------


@dataclass
class Bench:
    """The bot (started through the test suite's harness) and what counts its statements."""

    harness: BotHarness
    counter: DbCounter

    @property
    def app(self) -> BotApplication:
        assert self.harness.app is not None
        return self.harness.app

    @property
    def api(self) -> QuietTelegram:
        assert isinstance(self.harness.api, QuietTelegram)
        return self.harness.api

    @property
    def clock(self) -> FakeClock:
        return self.harness.clock

    @property
    def engine(self) -> AsyncEngine:
        return self.app.bot_data.services.engine

    @property
    def postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    async def dispatch(self) -> DispatchReport:
        return await dispatch(self.app.bot, self.app.bot_data.services)

    async def stop(self) -> None:
        await self.harness.stop()


def bench_settings(url: str, args: argparse.Namespace) -> Settings:
    return Settings(
        bot_token=TEST_TOKEN,  # type: ignore[arg-type]
        database_url=url,
        telegram_base_url="http://127.0.0.1:9/bot",
        telegram_base_file_url="http://127.0.0.1:9/file/bot",
        log_level="WARNING",
        telegram_max_messages_per_second=0,
        checkin_reminder_minutes=args.reminder_minutes,
        dispatch_interval_seconds=args.step,
        _env_file=None,  # type: ignore[call-arg]
    )


async def start_app(url: str, args: argparse.Namespace, zone_finder: TimezoneFinder) -> Bench:
    harness = BotHarness(
        bench_settings(url, args),
        api=QuietTelegram(),
        clock=FakeClock(now=START),
        zone_finder=zone_finder,
    )
    await harness.start()
    bench = Bench(harness, DbCounter())
    bench.counter.attach(bench.engine)
    return bench


@dataclass
class Idle:
    """Dispatch runs that found nothing to do."""

    median_ms: float
    p90_ms: float
    statements: int
    by_label_ms: dict[str, float]

    def describe(self) -> str:
        split = ", ".join(
            f"{label.split(' (')[0]} {value:.2f}" for label, value in self.by_label_ms.items()
        )
        return (
            f"median {self.median_ms:.2f} ms, p90 {self.p90_ms:.2f} ms, {self.statements} "
            f"statements; per query ms: {split}"
        )


async def idle_runs(bench: Bench, runs: int = EMPTY_RUNS) -> Idle:
    for _ in range(10):  # warm the pool and the statement caches
        await bench.dispatch()
    times: list[float] = []
    statements = bench.counter.statements
    seconds = Counter(bench.counter.seconds)
    for _ in range(runs):
        started = time.perf_counter()
        report = await bench.dispatch()
        times.append((time.perf_counter() - started) * 1000)
        if report.any:
            raise RuntimeError(f"expected nothing due at {bench.clock.now}, got {report}")
    spent = bench.counter.seconds - seconds
    return Idle(
        statistics.median(times),
        nearest_rank(times, 0.9),
        (bench.counter.statements - statements) // runs,
        {label: value / runs * 1000 for label, value in spent.items()},
    )


async def explain(
    bench: Bench, query: Callable[[Any], Awaitable[object]], marker: str
) -> list[str]:
    """The plan of the statement ``query`` runs, as the database would run it."""
    bench.counter.captured = []
    try:
        async with bench.app.bot_data.services.sessions() as session:
            await query(session)
            await session.rollback()
    finally:
        captured, bench.counter.captured = bench.counter.captured, None
    statement, parameters = next((s, p) for s, p in captured if marker in s)
    prefix = "EXPLAIN (ANALYZE, COSTS OFF) " if bench.postgres else "EXPLAIN QUERY PLAN "
    async with bench.engine.connect() as connection:
        result = await connection.exec_driver_sql(prefix + statement, parameters)
        rows = result.all()
        await connection.rollback()
    return [row[0] if bench.postgres else row[-1] for row in rows]


# --- the day --------------------------------------------------------------------------------------


@dataclass
class Run:
    wall: float
    cpu: float
    prompt_wall: float
    prompt_cpu: float
    prompts: int
    reminders: int
    sent: int
    prompt_db: Counts
    all_db: Counts


@dataclass
class Day:
    runs: list[Run] = field(default_factory=list)
    steps: int = 0
    empty_wall: float = 0.0
    empty_cpu: float = 0.0
    telegram_prompt: float = 0.0
    failed: int = 0
    blocked: int = 0
    labels: Counter[str] = field(default_factory=Counter)
    seconds: Counter[str] = field(default_factory=Counter)

    def total(self, attribute: str) -> float:
        return sum(getattr(run, attribute) for run in self.runs)

    def counts(self, attribute: str) -> Counts:
        total: Counts = (0, 0, 0, 0, 0)
        for run in self.runs:
            total = plus(total, getattr(run, attribute))
        return total


async def run_once(
    bench: Bench, mark: PhaseMark, day: Day, profile: cProfile.Profile | None
) -> DispatchReport:
    mark.at = None
    db0, tg0 = bench.counter.snapshot(), bench.api.seconds
    cpu0, wall0 = time.process_time(), time.perf_counter()
    if profile is not None:
        profile.enable()
    report = await bench.dispatch()
    if profile is not None:
        profile.disable()
    wall1, cpu1 = time.perf_counter(), time.process_time()
    db1 = bench.counter.snapshot()
    day.failed += report.failed
    day.blocked += report.blocked
    if not report.any:
        day.empty_wall += wall1 - wall0
        day.empty_cpu += cpu1 - cpu0
        return report
    if mark.at is None:  # reminders off: the whole run is the prompt phase
        mark.at, mark.cpu, mark.db, mark.telegram = wall1, cpu1, db1, bench.api.seconds
    day.telegram_prompt += mark.telegram - tg0
    day.runs.append(
        Run(
            wall=wall1 - wall0,
            cpu=cpu1 - cpu0,
            prompt_wall=mark.at - wall0,
            prompt_cpu=mark.cpu - cpu0,
            prompts=report.prompts + report.resent + report.snoozed,
            reminders=report.reminders,
            sent=report.sent,
            prompt_db=minus(mark.db, db0),
            all_db=minus(db1, db0),
        )
    )
    return report


async def simulate(
    bench: Bench, instants: list[datetime], profile: cProfile.Profile | None = None
) -> Day:
    """One dispatch run at each instant, as the job queue would make them."""
    day = Day(steps=len(instants))
    mark = PhaseMark(bench.counter, bench.api)
    uninstall = mark.install()
    labels, seconds = Counter(bench.counter.labels), Counter(bench.counter.seconds)
    try:
        for instant in instants:
            bench.clock.now = instant
            await run_once(bench, mark, day, profile)
    finally:
        uninstall()
    day.labels = bench.counter.labels - labels
    day.seconds = bench.counter.seconds - seconds
    return day


@dataclass
class Check:
    users_moved: int
    checkins: Counter[str]
    sent: Counter[str]
    reminded: Counter[str]
    reminders_due: int
    prompt_lag_max: float
    reminder_lag: list[float]


async def check_database(bench: Bench, end: datetime, reminder_minutes: int) -> Check:
    """What the database says happened, and how late prompts and reminders went out."""
    delay = timedelta(minutes=reminder_minutes)
    prompt_lag = 0.0
    reminder_lag: list[float] = []
    reminders_due = 0
    checkins: Counter[str] = Counter()
    sent: Counter[str] = Counter()
    reminded: Counter[str] = Counter()
    async with bench.engine.connect() as connection:
        moved = await connection.scalar(
            select(func.count()).select_from(User).where(User.next_checkin_at > end)
        )
        stream = await connection.stream(
            select(Checkin.kind, Checkin.due_at, Checkin.sent_at, Checkin.reminded_at)
        )
        async for partition in stream.partitions(5_000):
            for kind, due_at, sent_at, reminded_at in partition:
                checkins[kind] += 1
                if sent_at is None:
                    continue
                sent[kind] += 1
                prompt_lag = max(prompt_lag, (sent_at - due_at).total_seconds())
                if reminder_minutes and sent_at + delay < end:
                    reminders_due += 1
                if reminded_at is not None:
                    reminded[kind] += 1
                    reminder_lag.append((reminded_at - sent_at - delay).total_seconds())
    return Check(int(moved or 0), checkins, sent, reminded, reminders_due, prompt_lag, reminder_lag)


# --- printing -------------------------------------------------------------------------------------


def line(label: str, value: str) -> None:
    print(f"  {label:<24} {value}")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def print_statements(day: Day, per: int, noun: str) -> None:
    print(f"  statements by query       count   per {noun}   mean ms")
    for label, count in day.labels.most_common():
        mean = day.seconds[label] / count * 1000
        print(f"    {label:<40} {count:>9,} {count / per:>9.3f} {mean:>9.3f}")


def print_day(bench: Bench, day: Day, check: Check, args: argparse.Namespace, users: int) -> None:
    prompts = int(day.total("prompts"))
    reminders = int(day.total("reminders"))
    sent = int(day.total("sent"))
    prompts_sent = check.sent["evening"]
    once = check.users_moved == users and prompts_sent == users == check.checkins["evening"]
    line(
        "prompts",
        f"{prompts:,} claimed, {prompts_sent:,} sent; "
        f"each user exactly once: {'yes' if once else 'NO'}",
    )
    if check.checkins.get("digest"):
        line("digests", f"{check.sent['digest']:,} sent")
    if args.reminder_minutes:
        line(
            "reminders",
            f"{reminders:,} claimed and sent ({check.reminders_due:,} prompts were sent early "
            "enough to be due one by the end)",
        )
    line("failed / blocked sends", f"{day.failed} / {day.blocked}")
    line("fake Telegram answered", ", ".join(f"{n}: {c:,}" for n, c in bench.api.methods.items()))
    prompt_wall, prompt_cpu = day.total("prompt_wall"), day.total("prompt_cpu")
    work_wall, work_cpu = day.total("wall"), day.total("cpu")
    line(
        "wall time in dispatch",
        f"{work_wall + day.empty_wall:.1f} s = runs with work {work_wall:.1f} s (prompt phases "
        f"{prompt_wall:.1f} s, reminder phases {work_wall - prompt_wall:.1f} s) + "
        f"{day.steps - len(day.runs):,} empty runs {day.empty_wall:.1f} s",
    )
    line(
        "CPU time in dispatch",
        f"{work_cpu + day.empty_cpu:.1f} s = runs with work {work_cpu:.1f} s (prompt phases "
        f"{prompt_cpu:.1f} s) + empty runs {day.empty_cpu:.1f} s",
    )
    rate = prompts / prompt_wall if prompt_wall else math.nan
    line(
        "prompts/s",
        f"{rate:,.0f}  (target ≥ {PROMPTS_TARGET:,}: {verdict(rate >= PROMPTS_TARGET)}); "
        f"per CPU second {prompts / prompt_cpu:,.0f} (wall counts other processes on the core)",
    )
    line(
        "messages/s",
        f"{sent / work_wall:,.0f} over runs with work; {sent / (work_wall + day.empty_wall):,.0f} "
        "over all runs (prompts + reminders)",
    )
    share = day.telegram_prompt / prompt_wall if prompt_wall else 0
    line(
        "fake Telegram's share",
        f"{day.telegram_prompt:.1f} s of the prompt phases ({share:.0%}); "
        f"without it {prompts / (prompt_wall - day.telegram_prompt):,.0f} prompts/s",
    )
    walls = [run.wall for run in day.runs]
    line(
        "per-run latency",
        f"p50 {ms(nearest_rank(walls, 0.5))}, p99 {ms(nearest_rank(walls, 0.99))}, "
        f"max {ms(max(walls))} (the {len(day.runs):,} runs with work)",
    )
    print("  runs by prompts claimed   runs  mean ms (prompt phase)  ms/prompt  round trips/prompt")
    buckets = [(1, 100), (101, 500), (501, 1000), (1001, 2000), (2001, 5000), (5001, 10**9)]
    for low, high in buckets:
        chosen = [run for run in day.runs if low <= run.prompts <= high]
        if not chosen:
            continue
        count = sum(run.prompts for run in chosen)
        wall = sum(run.prompt_wall for run in chosen)
        trips = sum(round_trips(run.prompt_db, bench.postgres) for run in chosen)
        label = f"{low:,}–{high:,}" if high < 10**9 else f"{low:,}+"
        print(
            f"    {label:<21} {len(chosen):>6} {wall / len(chosen) * 1000:>22.1f}"
            f" {wall / count * 1000:>10.3f} {trips / count:>19.2f}"
        )
    with_reminders = [run for run in day.runs if run.reminders]
    if with_reminders:
        count = sum(run.reminders for run in with_reminders)
        wall = sum(run.wall - run.prompt_wall for run in with_reminders)
        trips = sum(
            round_trips(minus(run.all_db, run.prompt_db), bench.postgres) for run in with_reminders
        )
        print(
            f"    reminder phases: {len(with_reminders):,} runs, {count:,} reminders, "
            f"{wall / count * 1000:.3f} ms and {trips / count:.3f} round trips per reminder"
        )
    lateness = f"prompts sent ≤ {check.prompt_lag_max:.0f} s after due (step {args.step} s)"
    if args.reminder_minutes and check.reminder_lag:
        lag = check.reminder_lag
        lateness += (
            f"; reminders p50 {nearest_rank(lag, 0.5):.0f} s, p99 {nearest_rank(lag, 0.99):.0f} s, "
            f"max {max(lag):.0f} s after due"
        )
    line("lateness", lateness)

    print()
    print("database round trips during the day")
    counts = day.counts("prompt_db")
    statements, begins, commits, rollbacks, checkouts = counts
    trips = round_trips(counts, bench.postgres)
    formula = (
        "statements + BEGIN + COMMIT/ROLLBACK + pre-ping per checkout"
        if bench.postgres
        else "statements + COMMIT/ROLLBACK"
    )
    line(
        "prompt phases",
        f"{statements:,} statements, {commits:,} commits, {rollbacks:,} rollbacks, "
        f"{begins:,} begins, {checkouts:,} connection checkouts",
    )
    line(
        "per prompt",
        f"{statements / prompts:.2f} statements, {trips / prompts:.2f} round trips ({formula})",
    )
    whole = round_trips(day.counts("all_db"), bench.postgres)
    line(
        "runs with work",
        f"{whole:,} round trips, {whole / sent:.2f} per message sent (prompts and reminders)",
    )
    print_statements(day, prompts, "prompt")


# --- one backend ----------------------------------------------------------------------------------


async def describe_database(url: str) -> str:
    engine = create_engine(url)
    try:
        where = (
            "a fresh database on the given server"
            if engine.dialect.name == "postgresql"
            else "a file in a temporary folder"
        )
        return f"{await server_version(engine)}, {where}"
    finally:
        await engine.dispose()


async def run_backend(backend: str, args: argparse.Namespace, admin_url: str | None) -> None:
    zones = pick_zones(random.Random(args.seed))
    cleanups: list[Callable[[], Awaitable[None]]] = []
    tmp = tempfile.TemporaryDirectory(prefix="secure-base-bench-")
    try:

        async def new_database(label: str) -> str:
            if backend == "sqlite":
                return f"sqlite+aiosqlite:///{Path(tmp.name) / label}.db"
            assert admin_url is not None
            url, drop = await create_database(admin_url, "secure_base_bench")
            cleanups.append(drop)
            return url

        await measure(args, zones, new_database)
    finally:
        for cleanup in reversed(cleanups):
            await cleanup()
        tmp.cleanup()


async def measure(
    args: argparse.Namespace, zones: list[str], new_database: Callable[[str], Awaitable[str]]
) -> None:
    users = args.users
    small_users = min(SMALL_USERS, users)
    url, small_url = await new_database("bench"), await new_database("small")
    seconds = seed_in_child(url, users, zones, args.seed, args.digest_share)
    seed_in_child(small_url, small_users, zones, args.seed)
    zone_finder = TimezoneFinder()  # the bot loads it at start-up; the dispatcher never uses it
    pinned = os.sched_getaffinity(0)
    offsets = sorted(
        START.astimezone(zone_from_name(zone)).utcoffset() or timedelta() for zone in zones
    )

    print(f"== check-in dispatch benchmark: {await describe_database(url)} ==")
    line(
        "users",
        f"{users:,} onboarded, active; {len(zones)} IANA zones ({format_offset(offsets[0])} … "
        f"{format_offset(offsets[-1])}); check-ins 18:00–22:30 local, every 15 min",
    )
    line(
        "seeding",
        f"{seconds:.1f} s ({users / seconds:,.0f} users/s), Core INSERTs of {SEED_CHUNK:,} rows, "
        "in a child process (not part of the targets)",
    )
    threads = (
        "aiosqlite: SQLite runs in one helper thread per pooled connection, on the same core"
        if url.startswith("sqlite")
        else "the PostgreSQL server is other processes, not pinned"
    )
    where = f"pinned to CPU {min(pinned)}" if len(pinned) == 1 else f"on CPUs {sorted(pinned)}"
    line("process", f"{where}; one asyncio thread; {threads}")
    line("Telegram", "FakeBotApi behind FakeRequest (PTB's HTTP layer), no rate limiter")
    reminders = f"after {args.reminder_minutes} min" if args.reminder_minutes else "off"
    line(
        "dispatcher",
        f"a run every {args.step} s of the simulated day; batch {BATCH}, {CONCURRENT_SENDS} "
        f"sends in flight, reminders {reminders}",
    )

    print()
    print("finding due work when nothing is due (dispatch runs that find nothing)")
    small = await start_app(small_url, args, zone_finder)
    try:
        line(f"{small_users:,} users", (await idle_runs(small)).describe())
    finally:
        await small.stop()
    bench = await start_app(url, args, zone_finder)
    rss_started = peak_rss_mb()
    try:
        line(f"{users:,} users", (await idle_runs(bench)).describe())
        noon = START + timedelta(hours=12)
        async with bench.engine.connect() as connection:
            due_at_noon = await connection.scalar(
                select(func.count()).select_from(User).where(User.next_checkin_at <= noon)
            )
        plan = await explain(
            bench,
            lambda session: checkin_storage.due_users(session, noon, limit=BATCH),
            "next_checkin_at <=",
        )
        kind = "EXPLAIN ANALYZE" if bench.postgres else "EXPLAIN QUERY PLAN"
        print(f"  due-users query at 12:00 ({due_at_noon:,} users due, LIMIT {BATCH}), {kind}:")
        for row in plan:
            print(f"    {row}")

        # --- the day
        steps = math.ceil(DAY.total_seconds() / args.step)
        instants = [
            min(START + timedelta(seconds=args.step * n), START + DAY) for n in range(1, steps + 1)
        ]
        profile = cProfile.Profile() if args.profile else None
        wall0, cpu0 = time.perf_counter(), time.process_time()
        day = await simulate(bench, instants, profile)
        elapsed, cpu_elapsed = time.perf_counter() - wall0, time.process_time() - cpu0
        rss_day = peak_rss_mb()
        check = await check_database(bench, START + DAY, args.reminder_minutes)
        print()
        print(
            f"the day: {START:%Y-%m-%d %H:%M} → {START + DAY:%Y-%m-%d %H:%M} UTC, {steps:,} "
            f"dispatch runs ({len(day.runs):,} with work) in {elapsed:.1f} s wall, "
            f"{cpu_elapsed:.1f} s CPU"
        )
        print_day(bench, day, check, args, users)

        print()
        print("finding due work after the day (a check-in row per user, nothing due)")
        bench.clock.now = START + DAY
        leftover = 0
        while (report := await bench.dispatch()).any:
            leftover += report.sent
        after = await idle_runs(bench)
        line(
            f"{users:,} users",
            after.describe()
            + (f" ({leftover:,} leftover messages sent first)" if leftover else ""),
        )
        if args.reminder_minutes:
            end = START + DAY
            async with bench.engine.connect() as connection:
                window = await connection.scalar(
                    select(func.count())
                    .select_from(Checkin)
                    .where(
                        Checkin.sent_at > end - checkin_service.REMINDER_HORIZON,
                        Checkin.sent_at < end - timedelta(minutes=args.reminder_minutes),
                        Checkin.answered_at.is_(None),
                        Checkin.skipped_at.is_(None),
                    )
                )
            plan = await explain(
                bench,
                lambda session: checkin_storage.due_reminders(
                    session,
                    sent_before=end - timedelta(minutes=args.reminder_minutes),
                    sent_after=end - checkin_service.REMINDER_HORIZON,
                    limit=BATCH,
                ),
                "reminded_at IS NULL",
            )
            print(
                f"  reminders query at the end of the day (0 due; {window:,} unanswered prompts "
                f"sent in its {checkin_service.REMINDER_HORIZON.total_seconds() / 3600:.0f} h "
                f"window, all reminded already), {kind}:"
            )
            for row in plan:
                print(f"    {row}")
    finally:
        await bench.stop()

    print()
    print("memory (peak RSS of this process)")
    line(
        "imports",
        f"{RSS_AT_IMPORT_MB:.0f} MB (bot.app, PTB, SQLAlchemy, matplotlib via bot.charts, …)",
    )
    line("started", f"{rss_started:.0f} MB (+ TimezoneFinder, two applications, 1k-user idle runs)")
    line(
        "after the day",
        f"{rss_day:.0f} MB; target < {RSS_TARGET_MB} MB: {verdict(rss_day < RSS_TARGET_MB)}",
    )

    if args.digest_sample:
        await measure_digests(args, zones, new_database, zone_finder, day)

    if profile is not None:
        print()
        print(f"profile of the day's dispatch runs (main thread only; top {args.profile}):")
        stats = pstats.Stats(profile, stream=sys.stdout)
        stats.strip_dirs().sort_stats("tottime").print_stats(args.profile)
        stats.sort_stats("cumulative").print_stats(args.profile)


async def measure_digests(
    args: argparse.Namespace,
    zones: list[str],
    new_database: Callable[[str], Awaitable[str]],
    zone_finder: TimezoneFinder,
    day: Day,
) -> None:
    count = args.digest_sample
    url = await new_database("digests")
    seed_in_child(url, count, zones, args.seed + 1, digest_share=1.0)
    bench = await start_app(url, args, zone_finder)
    try:
        async with bench.engine.connect() as connection:
            due = set(await connection.scalars(select(User.next_checkin_at).distinct()))
        # Each due time, and one step past the reminder delay after it; within the day, so
        # nobody's next evening comes round.
        later = timedelta(minutes=args.reminder_minutes, seconds=args.step)
        instants = sorted(due | {at + later for at in due if args.reminder_minutes})
        sample = await simulate(bench, [at for at in instants if at <= START + DAY])
        check = await check_database(bench, START + DAY, args.reminder_minutes)
    finally:
        await bench.stop()
    prompt_wall, prompt_cpu = sample.total("prompt_wall"), sample.total("prompt_cpu")
    evening_ms = day.total("prompt_wall") / max(1, day.total("prompts")) * 1000
    per_user_ms = prompt_wall / count * 1000
    digest_ms = per_user_ms - evening_ms
    print()
    print(
        f"weekly digests: {count:,} users on their weekly day "
        "(evening prompt + digest text + chart)"
    )
    line(
        "sent",
        f"{check.sent['evening']:,} prompts, {check.sent['digest']:,} digests; fake Telegram: "
        + ", ".join(f"{n}: {c:,}" for n, c in bench.api.methods.items() if n.startswith("send")),
    )
    line(
        "prompt phases",
        f"{prompt_wall:.1f} s wall, {prompt_cpu:.1f} s CPU: {per_user_ms:.1f} ms per user, so "
        f"≈ {digest_ms:.1f} ms per digest "
        f"(the day's evening prompts took {evening_ms:.2f} ms each)",
    )
    line(
        "at 100,000 users",
        f"a weekly day for everyone (weekly_day defaults to 6, Sunday) would take "
        f"≈ {100_000 * per_user_ms / 1000 / 3600:.1f} h of dispatch on one core",
    )
    if args.reminder_minutes:
        line(
            "reminders sent",
            f"{check.reminded['evening']:,} for evening prompts, {check.reminded['digest']:,} for "
            "digests (a digest can never be answered, so any reminder for one is spurious)",
        )
    print_statements(sample, count, "user")
    rss = peak_rss_mb()
    line(
        "peak RSS after digests",
        f"{rss:.0f} MB; target < {RSS_TARGET_MB} MB: {verdict(rss < RSS_TARGET_MB)}",
    )


# --- command line ---------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"])
    parser.add_argument(
        "--database-url",
        help=f"postgresql+asyncpg:// admin URL of a server (default: ${POSTGRES_ENV}); "
        "fresh databases are created there and dropped afterwards",
    )
    parser.add_argument("--step", type=int, default=30, help="simulated seconds between runs")
    parser.add_argument("--reminder-minutes", type=int, default=120, help="0: no reminders")
    parser.add_argument(
        "--digest-share",
        type=float,
        default=0.0,
        help="share of the day's users whose weekly digest falls on it (default 0)",
    )
    parser.add_argument(
        "--digest-sample", type=int, default=100, help="users of the weekly-digest sample (0: none)"
    )
    parser.add_argument("--seed", type=int, default=20260114)
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="cProfile, top N")
    parser.add_argument("--no-pin", action="store_true", help="do not pin to one CPU")
    args = parser.parse_args(argv)
    if args.users < 1:
        parser.error("--users must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    admin_url = args.database_url or os.environ.get(POSTGRES_ENV)
    if admin_url and not admin_url.startswith("postgresql+asyncpg://"):
        print("--database-url must be a postgresql+asyncpg:// URL", file=sys.stderr)
        return 2
    backend = args.backend or ("both" if admin_url else "sqlite")
    if backend == "both":
        status = 0
        for one in ("sqlite", "postgresql"):
            if one == "postgresql" and not admin_url:
                print(f"PostgreSQL skipped: give --database-url or set {POSTGRES_ENV}.")
                continue
            sys.stdout.flush()
            command = [sys.executable, str(Path(__file__).resolve()), *argv, "--backend", one]
            returncode = subprocess.run(command, check=False).returncode  # noqa: S603
            status = status or returncode
            print()
        return status
    if backend == "postgresql" and not admin_url:
        print(f"PostgreSQL needs --database-url or {POSTGRES_ENV}", file=sys.stderr)
        return 2
    if not args.no_pin:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    asyncio.run(run_backend(backend, args, admin_url if backend == "postgresql" else None))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
