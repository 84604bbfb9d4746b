"""The evening check-in dispatcher with N users due at once: prompts/s and peak RSS.

Run from the repository root::

    .venv/bin/python bench/dispatch.py [--users 100000] [--smoke]
    scripts/with-postgres .venv/bin/python bench/dispatch.py --backend postgresql

``--users`` onboarded users (default 100,000), in twelve time zones, each with a check-in
time that falls on the same instant, are inserted with bulk INSERTs of the bot's models into
a fresh migrated database (on PostgreSQL, then ANALYZE, as autovacuum would soon do); none is
on their weekly day, so no digests. Then ``bot.app.build_application`` starts with the fake
Bot API over HTTP (bench/common.py), no rate limiter, and a clock one minute past that
instant, and ``bot.jobs.checkin_sender.send_due_checkins(app.bot, services)`` (what the job
queue runs every 30 s) is timed until nothing is left.

Figures: prompts/s over the dispatch's wall time (targets: at least 1,000 on PostgreSQL and
500 on SQLite); CPU seconds of this process (on SQLite including its database threads); peak
RSS of this process (target at most 150 MB), printed also before the bot starts. Exit status
1 if any prompt was not sent exactly once, a handler failed or Telegram refused a call.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, insert, select, text

from bench import common
from bench.common import BenchError
from bot.jobs.checkin_sender import send_due_checkins
from bot.storage.engine import create_engine
from bot.storage.models import Checkin, User

DUE = datetime(2026, 1, 14, 19, 0, tzinfo=UTC)
NOW = DUE + timedelta(minutes=1)
ZONES = (
    "Pacific/Honolulu", "America/Los_Angeles", "America/Chicago", "America/New_York",
    "America/Sao_Paulo", "Europe/London", "Europe/Berlin", "Africa/Nairobi", "Asia/Kolkata",
    "Asia/Shanghai", "Asia/Tokyo", "Australia/Sydney",
)  # fmt: skip
TARGETS = {"sqlite": 500, "postgresql": 1_000}
RSS_TARGET_MB = 150
CHUNK = 5_000


async def seed(url: str, users: int) -> float:
    """Insert ``users`` users due at ``DUE``; returns the seconds it took."""
    started = time.perf_counter()
    joined = DUE - timedelta(days=30)
    engine = create_engine(url)
    try:
        for first in range(0, users, CHUNK):
            rows = []
            for number in range(first, min(users, first + CHUNK)):
                zone = ZONES[number % len(ZONES)]
                local = DUE.astimezone(ZoneInfo(zone))
                rows.append(
                    {"telegram_id": 1_000_000_000 + number, "first_name": f"User {number}",
                     "language_code": "en", "time_zone": zone, "checkin_time": local.time(),
                     "consented_at": joined, "onboarded_at": joined, "next_checkin_at": DUE,
                     "weekly_day": (local.weekday() + 3) % 7,  # not today: no digest
                     "active": True, "created_at": joined, "updated_at": joined}
                )  # fmt: skip
            async with engine.begin() as connection:
                await connection.execute(insert(User), rows)
        if engine.dialect.name == "postgresql":
            async with engine.connect() as connection:
                await connection.execute(text("ANALYZE"))
    finally:
        await engine.dispose()
    return time.perf_counter() - started


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=100_000, help="default 100,000")
    args = common.parse_arguments(parser)
    if args.smoke:
        args.users = 200
    async with common.fresh_database(args) as url:
        seeding = await seed(url, args.users)
        with common.FakeTelegram(keep_messages=False) as telegram:
            settings = common.bot_settings(url, telegram)
            rss_before = common.peak_rss_mb()
            async with common.running_bot(settings, clock=lambda: NOW) as (app, errors):
                services = app.bot_data.services
                cpu, wall = time.process_time(), time.perf_counter()
                prompts = sent = failed = 0
                while (report := await send_due_checkins(app.bot, services)).any:
                    prompts, sent = prompts + report.claimed["prompts"], sent + report.sent
                    failed += report.failed + report.blocked
                seconds, cpu = time.perf_counter() - wall, time.process_time() - cpu
                async with services.sessions() as session:
                    rows = await session.scalar(
                        select(func.count()).where(Checkin.sent_at.is_not(None))
                    )
                stats = common.check(errors, telegram)
    calls = stats["calls"]["sendMessage"]
    if not prompts == sent == rows == calls == args.users or failed:
        raise BenchError(
            f"{args.users} users due: {prompts} claimed, {sent} sent ({failed} failed), "
            f"{rows} check-ins marked sent, {calls} sendMessage calls"
        )

    target, rss = TARGETS[args.backend], common.peak_rss_mb()
    print(
        f"{args.backend}: {args.users:,} users due at once (seeded in {seeding:.1f} s); "
        f"dispatch sent {sent:,} prompts in {seconds:.1f} s ({cpu:.1f} s CPU)"
    )
    print(
        f"prompts/s {sent / seconds:,.0f} (target >= {target:,}: "
        f"{'met' if sent / seconds >= target else 'NOT met'}); "
        f"{sent / cpu:,.0f} per CPU second of this process"
    )
    print(
        f"peak RSS {rss:.0f} MB (target <= {RSS_TARGET_MB} MB: "
        f"{'met' if rss <= RSS_TARGET_MB else 'NOT met'}); {rss_before:.0f} MB before the bot "
        f"started (imports, seeding); fake Telegram {stats['cpu']:.1f} s CPU"
    )


if __name__ == "__main__":
    common.run(main)
