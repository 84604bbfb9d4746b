"""Latency of ``/us`` for a couple with a year of daily check-ins: the text and the chart.

Run from the repository root::

    .venv/bin/python bench/reciprocity.py [--iterations 200] [--database-url URL] [--seed N]

    scripts/with-postgres .venv/bin/python bench/reciprocity.py

Backend: without a PostgreSQL URL, a migrated SQLite file in a temporary folder. With
``--database-url`` (or else ``TEST_POSTGRES_URL``, as set by ``scripts/with-postgres``), an
admin URL such as ``postgresql+asyncpg://postgres@127.0.0.1:5432/postgres``, a fresh database
``secure_base_bench_<random>`` is created there, migrated, and dropped at the end.
``--backend sqlite`` forces SQLite even when a PostgreSQL URL is set.

The data (seeding is not timed against any target)
--------------------------------------------------
Two users, Anna (Europe/Berlin, check-in at 20:00) and Ben (America/New_York, 21:00), paired a
year before the fixed "now", 2026-01-14 21:30 UTC: then it is 22:30 in Berlin (Anna has
answered today) and 16:30 in New York (Ben has not been asked yet), so the reveal rule has work.
Each gets one evening ``Checkin`` per local day for 365 days (with ``due_at``, ``claimed_at``,
``sent_at`` from their zone, so the year crosses both zones' DST changes), ``includes_weekly``
on Sundays, and a weekly digest row. With a seeded ``random``: about 3 % of days have no row
(paused), 5 % were sent but never answered (reminded), 2 % skipped, 3 % answered only in part;
the rest are answered in the bot's own order (:func:`bot.services.checkin_items.next_item`, so
``bids_response`` is not asked after ``bids_noticed=none`` and the weekly items come only on
Sundays). Values follow per-item weights; a shared "hard day" (25 %) shifts both partners
towards the negative options, so their views mostly agree and sometimes do not. About 12 % of
answered days carry a check-in note (40 % of them shared, some longer than the 160-character
preview), and each user has a few lesson reflections (notes without a check-in). Everything is
inserted with bulk ``INSERT``\\ s; on PostgreSQL an ``ANALYZE`` follows (what autovacuum would
soon do).

What is measured
----------------
Each timed case is one viewer (Anna and Ben alternate) and one ``weeks_back`` (0 … 51, so the
week moves over the whole year; ``week_for`` reads ``first`` = the earlier of the week's start
and 120 days back, up to today, so older weeks read more rows).

1. **/us text, end to end minus Telegram**: what ``bot.handlers.us.show_week`` and
   ``week_button`` do: open a session from the app's factory
   (``bot.storage.engine.create_engine`` + ``create_session_factory``), load the user by
   Telegram id (``accounts.find_user``, as ``find_sender`` does), ``week_for(session, user,
   now, weeks_back=…)`` (the partnership, both partners' answers and notes), close the
   session, then ``render_week(texts, view)``. Target: p99 ≤ 50 ms.
2. **/us text, pure part**: ``summarize(...)`` on exactly the inputs ``week_for`` passed it
   (recorded after step 1, in one more pass over all cases, by wrapping
   ``bot.services.weekly.summarize``) plus ``render_week``. No I/O: the difference between 1
   and 2 is the database's share. The recorded inputs are then frozen out of the garbage
   collector's way (``gc.freeze``), so that the benchmark's own data does not slow 2 and 3.
3. **Chart**: ``render_week_chart(summary, labels)`` on the same cases' summaries, with the
   labels ``send_chart`` builds (recorded from ``send_chart`` itself in that same pass). The
   handler runs it in ``asyncio.to_thread``; here it is called directly (the thread hop is
   microseconds). Target: p99 ≤ 300 ms. The very first call of the process is shown apart as
   "cold": ``bot.charts`` imports matplotlib on first use, then loads the font and makes the
   first Agg canvas, so this is what the first chart after a restart costs. One PNG (Anna's
   current week, what ``/us`` sends first) is saved to a temporary file to look at.

How to read the output
----------------------
Wall times from ``time.perf_counter`` per iteration, after a warm-up of one pass over all 104
cases (2 viewers × 52 weeks) for the text and 3 charts; p50 is the median, p99 the 99th
percentile (inclusive method; with 200 iterations, between the second and third largest), max
the largest. ``PASS``/``FAIL`` compares p99 with the target. The text is also split by
``weeks_back``: up to 16 weeks back ``week_for`` reads 120 days, further back it reads from the
week's start to today (up to a year of rows). "CPU ms/it" is ``time.process_time`` of this
process over all iterations divided by their number (all threads: on SQLite it includes
aiosqlite's thread, where SQLite runs; PostgreSQL's server CPU is not in it). Wall well above
CPU means waiting (the database, or other processes holding the CPUs: the load average printed
at the start tells). "statements per /us" counts ``before_cursor_execute`` events on the engine
(on PostgreSQL, asyncpg's BEGIN and the pool's pre-ping come on top). "peak RSS" is
``resource.getrusage(RUSAGE_SELF).ru_maxrss`` of the whole run, seeding and matplotlib
included, with the peak at three earlier points: after imports (before matplotlib, which
``bot.charts`` loads lazily), after the text timings, and after recording every case's inputs
for 2 and 3 (that copy is the benchmark's, not the bot's); the rest is the chart's.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_time
from importlib import metadata
from pathlib import Path
from typing import Any, cast
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy
from sqlalchemy import event, insert, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from telegram import Bot

from bench._common import peak_rss_mb
from bench._database import server_version
from bot.charts import ChartLabels, render_week_chart
from bot.content import Texts, load_texts
from bot.handlers import us as us_handlers
from bot.handlers.us import render_week
from bot.services import accounts, weekly
from bot.services.checkin_items import ITEMS, ITEMS_BY_KEY, next_item
from bot.services.reciprocity import WeekSummary, summarize
from bot.services.weekly import WeekView, week_for
from bot.storage.engine import create_engine, create_session_factory
from bot.storage.migrate import upgrade_to_head
from bot.storage.models import Checkin, CheckinAnswer, Couple, CoupleMember, Note, User
from bot.timezones import at_local_time, local_now
from tests.databases import POSTGRES_ENV, create_database

NOW = datetime(2026, 1, 14, 21, 30, tzinfo=UTC)
DAYS = 365
WEEKS = 52
TEXT_TARGET_MS = 50.0
CHART_TARGET_MS = 300.0
CHART_WARMUP = 3
TELEGRAM_TEXT_LIMIT = 4096
# week_for reads from the week's first day or 120 days back (the streak), whichever is earlier.
WINDOW_WEEKS = weekly.STREAK_HISTORY_DAYS // 7


@dataclass(frozen=True)
class Person:
    telegram_id: int
    first_name: str
    zone: str
    checkin_time: day_time


PEOPLE = (
    Person(1_000_001, "Anna", "Europe/Berlin", day_time(20, 0)),
    Person(1_000_002, "Ben", "America/New_York", day_time(21, 0)),
)

# Per item, weights for its options (in ITEMS order) on an ordinary day and on a hard day.
WEIGHTS: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "bids_noticed": ((5, 35, 40, 20), (20, 45, 25, 10)),
    "bids_response": ((85, 10, 5), (40, 35, 25)),
    "bids_made": ((10, 70, 15, 5), (15, 20, 30, 35)),
    "my_stress": ((55, 35, 8, 2), (20, 20, 30, 30)),
    "partner_stress": ((55, 35, 8, 2), (25, 25, 30, 20)),
    "encouraged_partner": ((70, 25, 5), (30, 40, 30)),
    "felt_encouraged": ((65, 28, 7), (25, 40, 35)),
}
HARD_DAY = 0.25
PAUSED, UNANSWERED, SKIPPED, PARTIAL = 0.03, 0.05, 0.02, 0.03
NOTE_SHARE, SHARED_NOTE_SHARE, REFLECTIONS = 0.12, 0.40, 6
NOTE_BODIES = (
    "Long day, but the walk after dinner helped.",
    "I felt heard when we talked about the weekend plans.",
    "Missed the moment when they showed me the photo. Will ask about it tomorrow.",
    "Too tired to talk much. Tomorrow.",
    "We laughed about the burnt pasta. Small things.",
    "I was short with them in the morning and apologised at lunch; it felt good that they "
    "took it well, and I want to notice earlier when I am running on empty so it does not "
    "land on the person who is trying to help me with the kids and the move.",
    "They asked about my presentation before I even brought it up.",
    "Felt a bit alone tonight. Not their fault, just a heavy week at work.",
    "Cooked together for the first time in weeks!",
    "Phone call from my sister, they made tea without asking. 💞",
    "We disagreed about money again; it stayed calm, which is new and worth writing down "
    "because last month the same talk ended with both of us going quiet for a whole evening.",
    "Good morning hug, good evening hug.",
)


def check_weights() -> None:
    """The weights must cover exactly the bot's items and options, or the data is not real."""
    assert set(WEIGHTS) == set(ITEMS_BY_KEY), "WEIGHTS and checkin_items.ITEMS differ"
    for item in ITEMS:
        for weights in WEIGHTS[item.key]:
            assert len(weights) == len(item.options), f"weights of {item.key} are off"


# --- seeding --------------------------------------------------------------------------------------


@dataclass
class Seeded:
    checkins: int = 0
    answered_days: int = 0
    answers: int = 0
    notes: int = 0
    seconds: float = 0.0


def _day_answers(
    rng: random.Random, *, weekly_day: bool, hard: bool, partial: bool
) -> dict[str, str]:
    answers: dict[str, str] = {}
    stop_after = rng.randint(1, 3) if partial else None
    while (item := next_item(answers, weekly=weekly_day)) is not None:
        if stop_after is not None and len(answers) >= stop_after:
            break
        weights = WEIGHTS[item.key][1 if hard else 0]
        answers[item.key] = rng.choices(item.options, weights=weights)[0]
    return answers


async def seed(engine: AsyncEngine, rng: random.Random) -> Seeded:
    """Two paired users and a year of evening check-ins each; returns counts and time."""
    started = time.perf_counter()
    counts = Seeded()
    joined = NOW - timedelta(days=DAYS + 5)
    paired = NOW - timedelta(days=DAYS)
    factory = create_session_factory(engine)
    async with factory() as session, session.begin():
        user_ids: list[int] = list(
            await session.scalars(
                insert(User).returning(User.id, sort_by_parameter_order=True),
                [
                    {
                        "telegram_id": person.telegram_id,
                        "first_name": person.first_name,
                        "language_code": "en",
                        "time_zone": person.zone,
                        "checkin_time": person.checkin_time,
                        "consented_at": joined,
                        "onboarded_at": joined,
                        "next_checkin_at": None,
                        "weekly_day": 6,
                        "active": True,
                        "created_at": joined,
                        "updated_at": joined,
                    }
                    for person in PEOPLE
                ],
            )
        )
        couple_id = await session.scalar(
            insert(Couple).values(created_at=paired).returning(Couple.id)
        )
        await session.execute(
            insert(CoupleMember),
            [{"couple_id": couple_id, "user_id": uid, "joined_at": paired} for uid in user_ids],
        )

        # Local dates are each partner's own; a "hard day" is shared by calendar date.
        last_day = max(local_now(p.zone, NOW).date() for p in PEOPLE)
        hard_days = {
            last_day - timedelta(days=n) for n in range(DAYS + 1) if rng.random() < HARD_DAY
        }
        checkin_rows: list[dict[str, Any]] = []
        planned: list[dict[str, str]] = []
        message_id = 10_000
        for person, user_id in zip(PEOPLE, user_ids, strict=True):
            today = local_now(person.zone, NOW).date()
            for offset in range(DAYS - 1, -1, -1):
                day = today - timedelta(days=offset)
                sent = at_local_time(day, person.checkin_time, person.zone)
                if sent > NOW:
                    continue  # tonight's prompt is still to come
                sunday = day.weekday() == 6
                if sunday:
                    checkin_rows.append(
                        _checkin_row(user_id, day, "digest", sent, message_id, sunday=False)
                    )
                    planned.append({})
                    message_id += 1
                fate = rng.random()
                if fate < PAUSED:
                    continue
                row = _checkin_row(user_id, day, "evening", sent, message_id, sunday=sunday)
                message_id += 1
                answers: dict[str, str] = {}
                if fate < PAUSED + UNANSWERED:
                    row["reminded_at"] = sent + timedelta(hours=2)
                elif fate < PAUSED + UNANSWERED + SKIPPED:
                    row["skipped_at"] = sent + timedelta(minutes=rng.randint(1, 90))
                else:
                    partial = fate < PAUSED + UNANSWERED + SKIPPED + PARTIAL
                    answers = _day_answers(
                        rng, weekly_day=sunday, hard=day in hard_days, partial=partial
                    )
                    row["answered_at"] = sent + timedelta(minutes=rng.randint(1, 150))
                checkin_rows.append(row)
                planned.append(answers)
        checkin_ids: list[int] = list(
            await session.scalars(
                insert(Checkin).returning(Checkin.id, sort_by_parameter_order=True),
                checkin_rows,
            )
        )
        answer_rows: list[dict[str, Any]] = []
        note_rows: list[dict[str, Any]] = []
        for checkin_id, row, answers in zip(checkin_ids, checkin_rows, planned, strict=True):
            if not answers:
                continue
            counts.answered_days += 1
            at = row["answered_at"]
            for index, (item, value) in enumerate(answers.items()):
                answer_rows.append(
                    {
                        "checkin_id": checkin_id,
                        "item": item,
                        "value": value,
                        "answered_at": at + timedelta(seconds=20 * index),
                    }
                )
            if rng.random() < NOTE_SHARE:
                note_rows.append(
                    {
                        "user_id": row["user_id"],
                        "checkin_id": checkin_id,
                        "body": rng.choice(NOTE_BODIES),
                        "visibility": "shared" if rng.random() < SHARED_NOTE_SHARE else "private",
                        "created_at": at + timedelta(minutes=3),
                    }
                )
        for user_id in user_ids:
            for step in range(REFLECTIONS):
                note_rows.append(
                    {
                        "user_id": user_id,
                        "checkin_id": None,
                        "framework_id": "secure_base",
                        "step": step + 1,
                        "body": rng.choice(NOTE_BODIES),
                        "visibility": "private",
                        "created_at": paired + timedelta(days=7 * step),
                    }
                )
        await session.execute(insert(CheckinAnswer), answer_rows)
        await session.execute(insert(Note), note_rows)
    if engine.dialect.name == "postgresql":
        async with engine.connect() as connection:
            await connection.execute(text("ANALYZE"))
    counts.checkins = len(checkin_rows)
    counts.answers = len(answer_rows)
    counts.notes = len(note_rows)
    counts.seconds = time.perf_counter() - started
    return counts


def _checkin_row(
    user_id: int, day: date, kind: str, sent: datetime, message_id: int, *, sunday: bool
) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "local_date": day,
        "kind": kind,
        "due_at": sent,
        "includes_weekly": sunday,
        "claimed_at": sent,
        "send_attempts": 1,
        "sent_at": sent + timedelta(milliseconds=150),
        "message_id": message_id,
        "snoozed_until": None,
        "reminded_at": None,
        "answered_at": None,
        "skipped_at": None,
    }


# --- measuring ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    person: Person
    weeks_back: int


@dataclass(frozen=True)
class Captured:
    """What ``week_for`` handed to ``summarize`` for one case, and what came back."""

    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    view: WeekView
    labels: ChartLabels  # as send_chart builds them for this view


def cases() -> list[Case]:
    return [Case(person, weeks_back) for weeks_back in range(WEEKS) for person in PEOPLE]


async def us_text(
    factory: async_sessionmaker[AsyncSession], texts: Texts, case: Case
) -> tuple[WeekView, str]:
    """The ``/us`` path of the handlers, without sending."""
    async with factory() as session:
        user = await accounts.find_user(session, case.person.telegram_id)
        assert user is not None
        view = await week_for(session, user, NOW, weeks_back=case.weeks_back)
    return view, render_week(texts, view)


async def capture(
    factory: async_sessionmaker[AsyncSession], texts: Texts, all_cases: Sequence[Case]
) -> list[Captured]:
    """One untimed pass over every case, recording ``summarize``'s inputs and the labels."""
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def recording(*args: Any, **kwargs: Any) -> WeekSummary:
        calls.append((args, kwargs))
        return summarize(*args, **kwargs)

    captured: list[Captured] = []
    with mock.patch.object(weekly, "summarize", recording):
        for case in all_cases:
            calls.clear()
            view, _message = await us_text(factory, texts, case)
            assert len(calls) == 1, "week_for no longer calls weekly.summarize once"
            assert view.partner is not None, "the couple is not paired"
            labels = await handler_labels(texts, view)
            captured.append(Captured(calls[0][0], calls[0][1], view, labels))
    return captured


class _NoTelegram:
    """Stands in for the ``Bot`` in ``send_chart``: the photo goes nowhere."""

    async def send_photo(self, *_args: Any, **_kwargs: Any) -> None:
        return None


async def handler_labels(texts: Texts, view: WeekView) -> ChartLabels:
    """The ``ChartLabels`` that ``bot.handlers.us.send_chart`` draws ``view`` with.

    Taken from the handler itself (its ``render_week_chart`` is swapped for a recorder), so the
    benchmark draws exactly what ``/us`` draws, whatever labels the chart grows.
    """
    seen: list[ChartLabels] = []

    def record(_summary: WeekSummary, labels: ChartLabels) -> bytes:
        seen.append(labels)
        return b"PNG"

    with mock.patch.object(us_handlers, "render_week_chart", record):
        await us_handlers.send_chart(cast(Bot, _NoTelegram()), texts, 0, view)
    assert len(seen) == 1, "send_chart no longer calls render_week_chart once"
    return seen[0]


@dataclass(frozen=True)
class Timings:
    samples: list[float]  # wall seconds per iteration
    cpu: float  # process CPU seconds over all iterations

    def only(self, keep: Callable[[int], bool]) -> list[float]:
        return [sample for index, sample in enumerate(self.samples) if keep(index)]


async def time_async(iterations: int, step: Callable[[int], Awaitable[object]]) -> Timings:
    samples = []
    cpu = time.process_time()
    for index in range(iterations):
        started = time.perf_counter()
        await step(index)
        samples.append(time.perf_counter() - started)
    return Timings(samples, time.process_time() - cpu)


def time_sync(iterations: int, step: Callable[[int], object]) -> Timings:
    samples = []
    cpu = time.process_time()
    for index in range(iterations):
        started = time.perf_counter()
        step(index)
        samples.append(time.perf_counter() - started)
    return Timings(samples, time.process_time() - cpu)


class StatementCounter:
    def __init__(self, engine: AsyncEngine) -> None:
        self.count = 0
        event.listen(engine.sync_engine, "before_cursor_execute", self._count)

    def _count(self, *_args: Any) -> None:
        self.count += 1


# --- reporting ------------------------------------------------------------------------------------


def line(label: str, value: str) -> None:
    print(f"  {label:<30} {value}")


def percentiles(samples: Sequence[float]) -> tuple[float, float, float]:
    """p50, p99, max in milliseconds."""
    in_ms = sorted(s * 1000 for s in samples)
    p99 = statistics.quantiles(in_ms, n=100, method="inclusive")[98] if len(in_ms) > 1 else in_ms[0]
    return statistics.median(in_ms), p99, in_ms[-1]


def report(label: str, timings: Timings | list[float], target_ms: float | None = None) -> float:
    """One line of p50/p99/max (and CPU per iteration); returns p50 in milliseconds."""
    samples = timings.samples if isinstance(timings, Timings) else timings
    p50, p99, worst = percentiles(samples)
    cpu = ""
    if isinstance(timings, Timings):
        cpu = f" · CPU {timings.cpu * 1000 / len(samples):6.2f} ms/it"
    verdict = ""
    if target_ms is not None:
        verdict = f"  {'PASS' if p99 <= target_ms else 'FAIL'} (p99 ≤ {target_ms:g} ms)"
    line(label, f"p50 {p50:7.2f} ms · p99 {p99:7.2f} ms · max {worst:7.2f} ms{cpu}{verdict}")
    return p50


RSS_AFTER_IMPORTS_MB = peak_rss_mb()


# --- one run --------------------------------------------------------------------------------------


async def measure(url: str, args: argparse.Namespace) -> None:
    texts = load_texts()
    engine = create_engine(url)
    try:
        await upgrade_to_head(engine)
        seeded = await seed(engine, random.Random(args.seed))
        print(f"Secure Base /us benchmark · {await server_version(engine)}")
        line(
            "machine",
            f"Python {platform.python_version()}, SQLAlchemy {sqlalchemy.__version__}, "
            f"matplotlib {metadata.version('matplotlib')}, {os.cpu_count()} CPUs, "
            f"load average {os.getloadavg()[0]:.2f}",
        )
        line(
            "seeded",
            f"2 users (Europe/Berlin, America/New_York), 1 couple, {seeded.checkins:,} check-ins "
            f"({seeded.answered_days:,} answered days), {seeded.answers:,} answers, "
            f"{seeded.notes:,} notes in {seeded.seconds:.2f} s",
        )
        line("now", f"{NOW:%Y-%m-%d %H:%M} UTC, weeks_back 0…{WEEKS - 1}, both viewers")

        factory = create_session_factory(engine)
        all_cases = cases()
        longest = 0
        for case in all_cases:  # the warm-up
            longest = max(longest, len((await us_text(factory, texts, case))[1]))
        counter = StatementCounter(engine)
        iterations = args.iterations

        async def text_step(index: int) -> None:
            await us_text(factory, texts, all_cases[index % len(all_cases)])

        text_samples = await time_async(iterations, text_step)
        statements = counter.count / iterations

        def recent(index: int) -> bool:
            return all_cases[index % len(all_cases)].weeks_back < WINDOW_WEEKS

        rss_before_charts = peak_rss_mb()
        captured = await capture(factory, texts, all_cases)
        # What the benchmark keeps (every case's inputs) is no garbage; keep the collector
        # from walking it again and again during the timings that follow.
        gc.collect()
        gc.freeze()
        rss_recorded = peak_rss_mb()

        def pure_step(index: int) -> None:
            record = captured[index % len(captured)]
            summary = summarize(*record.args, **record.kwargs)
            render_week(texts, WeekView(summary, record.view.partner, record.view.weeks_back))

        pure_samples = time_sync(iterations, pure_step)

        first = captured[0]  # Anna, this week: what /us sends first
        started = time.perf_counter()
        png = render_week_chart(first.view.summary, first.labels)
        cold = time.perf_counter() - started
        for record in captured[1 : 1 + CHART_WARMUP]:
            render_week_chart(record.view.summary, record.labels)

        def chart_step(index: int) -> None:
            record = captured[index % len(captured)]
            render_week_chart(record.view.summary, record.labels)

        chart_samples = time_sync(iterations, chart_step)

        handle, name = tempfile.mkstemp(prefix="secure-base-week-", suffix=".png")
        with os.fdopen(handle, "wb") as file:
            file.write(png)

        print(f"\n/us text ({iterations} iterations after a warm-up of {len(all_cases)})")
        end_to_end = report("end to end (DB + render)", text_samples, TEXT_TARGET_MS)
        if iterations > 2 * WINDOW_WEEKS:
            newer = text_samples.only(recent)
            older = text_samples.only(lambda index: not recent(index))
            report(f"  weeks_back 0…{WINDOW_WEEKS - 1} ({len(newer)})", newer)
            report(f"  weeks_back {WINDOW_WEEKS}…{WEEKS - 1} ({len(older)})", older)
        pure = report("pure (summarize + render)", pure_samples)
        line("database share of p50", f"≈ {end_to_end - pure:.2f} ms")
        line("statements per /us", f"{statements:g}")
        line("longest text", f"{longest:,} characters (Telegram's limit: {TELEGRAM_TEXT_LIMIT:,})")
        print(f"\nchart ({iterations} iterations after {CHART_WARMUP} warm-up charts)")
        report("render_week_chart", chart_samples, CHART_TARGET_MS)
        line(
            "first call of the process",
            f"{cold * 1000:.2f} ms (cold: import matplotlib, font, first canvas)",
        )
        line("PNG (Anna, this week)", f"{name} ({len(png):,} bytes)")
        print()
        line("peak RSS", f"{peak_rss_mb():.1f} MB at the end")
        line("  after imports", f"{RSS_AFTER_IMPORTS_MB:.1f} MB (matplotlib not loaded yet)")
        line("  after the text timings", f"{rss_before_charts:.1f} MB (seeding included)")
        line(
            "  after recording the inputs",
            f"{rss_recorded:.1f} MB (the benchmark's own copy of every case's data)",
        )
    finally:
        await engine.dispose()


async def run(args: argparse.Namespace, admin_url: str | None) -> None:
    if admin_url is None:
        with tempfile.TemporaryDirectory(prefix="secure-base-bench-") as folder:
            await measure(f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}", args)
        return
    url, drop = await create_database(admin_url, "secure_base_bench")
    try:
        await measure(url, args)
    finally:
        await drop()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--iterations", type=int, default=200, help="timed runs of each path")
    parser.add_argument(
        "--database-url",
        help="postgresql+asyncpg:// admin URL of a server (default: $TEST_POSTGRES_URL); "
        "a fresh database is created there and dropped afterwards",
    )
    parser.add_argument(
        "--backend",
        choices=["sqlite", "postgresql"],
        help="default: postgresql when a URL is given or set, else sqlite",
    )
    parser.add_argument("--seed", type=int, default=20260114)
    args = parser.parse_args(argv)
    if args.iterations < 1:
        parser.error("--iterations must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    check_weights()
    admin_url = args.database_url or os.environ.get(POSTGRES_ENV)
    backend = args.backend or ("postgresql" if admin_url else "sqlite")
    if backend == "postgresql":
        if not admin_url:
            print(f"PostgreSQL needs --database-url or {POSTGRES_ENV}", file=sys.stderr)
            return 2
        if not admin_url.startswith("postgresql+asyncpg://"):
            print("--database-url must be a postgresql+asyncpg:// URL", file=sys.stderr)
            return 2
    asyncio.run(run(args, admin_url if backend == "postgresql" else None))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
