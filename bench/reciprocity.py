"""``/us`` for a couple with a year of check-ins: latency of the text and of the chart.

Run from the repository root::

    .venv/bin/python bench/reciprocity.py [--presses 400] [--days 365] [--smoke]
    scripts/with-postgres .venv/bin/python bench/reciprocity.py --backend postgresql

Anna (Europe/Berlin, check-in at 20:00) and Ben (America/New_York, 21:00), paired, each have
an evening check-in for every one of ``--days`` days before "now" (2026-01-14 21:30 UTC),
inserted with the bot's models into a fresh migrated database: 5 % unanswered, 2 % skipped,
the rest answered in the bot's own order (``next_item``) with random options, one answered
day in eight with a note (a third of them shared); Sundays add the weekly items.

The bot (``bot.app.build_application``, the fake Bot API over HTTP from bench/common.py, its
clock at "now") then gets, one update at a time, as the update fetcher would hand them over:

1. ``/us`` from each: the text (the chart is one button away);
2. ``--presses`` presses of the buttons under the newest ``/us`` message, each person walking
   week by week back through the year and forward again: each press edits the message to
   another week, the text alone (target: p99 at most 50 ms); every fifth press is the chart
   button instead (the chart alone, drawn and sent unless that picture is already under the
   message; the first one also loads the drawing library and font: cold).

Latency is from hand-over to the update processor until handled, the bot's Bot API calls on
loopback included. Exit status 1 if a handler failed or Telegram refused a call (an edit
that changes nothing, HTML it cannot parse, ...).
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import common
from bench.common import BenchError, Json, latency, percentile_ms, press_update, text_update
from bot.services.checkin_items import next_item
from bot.storage.engine import create_engine, create_session_factory
from bot.storage.models import Checkin, CheckinAnswer, Couple, CoupleMember, Note, User
from bot.timezones import at_local_time, local_now, next_checkin_at

NOW = datetime(2026, 1, 14, 21, 30, tzinfo=UTC)
PEOPLE = (
    (1_000_001, "Anna", "Europe/Berlin", clock_time(20)),
    (1_000_002, "Ben", "America/New_York", clock_time(21)),
)
TARGET_MS = 50
NOTES = (
    "Long day, but the walk after dinner helped.",
    "They asked about my presentation before I even brought it up.",
    "Felt a bit alone tonight. Not their fault, just a heavy week at work <3 & all that.",
    "We disagreed about money again; it stayed calm, which is new and worth writing down "
    "because last month the same talk ended with both of us going quiet for a whole evening.",
)


async def seed(url: str, days: int, now: datetime = NOW) -> str:
    """The couple and their check-ins up to ``now``; returns what was inserted, in words."""
    rng = random.Random(days)
    joined = now - timedelta(days=days + 1)
    engine = create_engine(url)
    try:
        async with create_session_factory(engine)() as session, session.begin():
            users = [
                User(telegram_id=telegram_id, first_name=name, language_code="en", time_zone=zone,
                     checkin_time=at, consented_at=joined, onboarded_at=joined, weekly_day=6,
                     next_checkin_at=next_checkin_at(now, zone, at), created_at=joined,
                     updated_at=joined)
                for telegram_id, name, zone, at in PEOPLE
            ]  # fmt: skip
            couple = Couple(created_at=joined)
            session.add_all([*users, couple])
            await session.flush()
            session.add_all(
                CoupleMember(couple_id=couple.id, user_id=user.id, joined_at=joined)
                for user in users
            )
            days_done: list[tuple[Checkin, dict[str, str]]] = []
            for user, (_, _, zone, at) in zip(users, PEOPLE, strict=True):
                today = local_now(zone, now).date()
                for back in range(days):
                    day = today - timedelta(days=back)
                    sent = at_local_time(day, at, zone)
                    if sent > now:
                        continue
                    checkin = Checkin(
                        user_id=user.id, local_date=day, kind="evening", due_at=sent,
                        includes_weekly=day.weekday() == 6, claimed_at=sent, send_attempts=1,
                        sent_at=sent,
                    )  # fmt: skip
                    answers: dict[str, str] = {}
                    fate = rng.random()
                    if fate < 0.05:
                        checkin.reminded_at = sent + timedelta(hours=2)
                    elif fate < 0.07:
                        checkin.skipped_at = sent + timedelta(minutes=10)
                    else:
                        checkin.answered_at = sent + timedelta(minutes=rng.randint(1, 120))
                        weekly = checkin.includes_weekly
                        while (item := next_item(answers, weekly=weekly)) is not None:
                            answers[item.key] = rng.choice(item.options)
                    session.add(checkin)
                    days_done.append((checkin, answers))
            await session.flush()
            notes = 0
            for checkin, answers in days_done:
                answered_at = checkin.answered_at
                session.add_all(
                    CheckinAnswer(
                        checkin_id=checkin.id, item=key, value=value, answered_at=answered_at
                    )
                    for key, value in answers.items()
                )
                if answers and rng.random() < 1 / 8:
                    visibility = "shared" if rng.random() < 1 / 3 else "private"
                    body = rng.choice(NOTES)
                    session.add(Note(user_id=checkin.user_id, checkin_id=checkin.id, body=body,
                                     visibility=visibility, created_at=answered_at))  # fmt: skip
                    notes += 1
    finally:
        await engine.dispose()
    answered = sum(1 for _, answers in days_done if answers)
    total = sum(len(answers) for _, answers in days_done)
    return f"{len(days_done)} check-ins ({answered} answered, {total} answers), {notes} notes"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=365, help="default 365")
    parser.add_argument("--presses", type=int, default=400, help="button presses (default 400)")
    args = common.parse_arguments(parser)
    if args.smoke:
        args.days, args.presses = 30, 10
    weeks = max(2, min(52, args.days // 7))  # the walk goes this far back
    times: dict[str, list[float]] = {"/us": [], "week": [], "chart": []}
    photos_expected = 0
    cpu = dict.fromkeys(times, 0.0)
    async with common.fresh_database(args) as url:
        started = time.perf_counter()
        seeded = await seed(url, args.days)
        seeding = time.perf_counter() - started
        with common.FakeTelegram() as telegram:
            settings = common.bot_settings(url, telegram)
            async with common.running_bot(settings, clock=lambda: NOW) as (app, errors):

                async def send(kind: str, update: Json) -> None:
                    started = time.process_time()
                    times[kind] += await common.feed(app, [update], 1)
                    cpu[kind] += time.process_time() - started

                for telegram_id, *_ in PEOPLE:
                    await send("/us", text_update(telegram_id, "/us"))
                shown = {telegram_id: 0 for telegram_id, *_ in PEOPLE}
                step = {telegram_id: 1 for telegram_id, *_ in PEOPLE}
                charted: dict[int, int | None] = {telegram_id: None for telegram_id, *_ in PEOPLE}
                for n in range(args.presses):
                    chat = PEOPLE[n % 2][0]
                    if n // 2 % 5 == 4:  # every fifth press of each: the chart
                        kind, wanted = "chart", re.compile(rf"us:{shown[chat]}:c(:|$)")
                        # The chart already under the message is not sent again.
                        photos_expected += charted[chat] != shown[chat]
                        charted[chat] = shown[chat]
                    else:
                        if not 0 <= shown[chat] + step[chat] < weeks:
                            step[chat] = -step[chat]
                        shown[chat] += step[chat]
                        kind, wanted = "week", re.compile(rf"us:{shown[chat]}(:s:|$)")
                    message = telegram.newest_with([chat], "us:")[chat]
                    data = next((d for d in common.buttons(message) if wanted.match(d)), None)
                    if message is None or data is None:
                        raise BenchError(f"no {wanted.pattern!r} button under {message}")
                    await send(kind, press_update(chat, data, message))
            stats = common.check(errors, telegram)
    if (photos := stats["calls"].get("sendPhoto", 0)) != photos_expected:
        raise BenchError(f"{photos} charts sent for {photos_expected} new charts pressed for")

    print(
        f"{args.backend}: Anna and Ben, paired, {args.days} days: {seeded} "
        f"(seeded in {seeding:.1f} s); weeks shown 0 to {weeks - 1} back"
    )
    for kind, label in (("week", "/us text (week buttons)"), ("chart", "chart (chart button)")):
        count = len(times[kind])
        print(
            f"{label:24} {count:4} presses: {latency(times[kind])}, "
            f"CPU {1000 * cpu[kind] / count:.1f} ms each"
        )
    p99 = percentile_ms(times["week"], 0.99)
    print(f"/us text p99 {p99:.1f} ms (target <= {TARGET_MS} ms: "
          f"{'met' if p99 <= TARGET_MS else 'NOT met'})")  # fmt: skip
    first, second = (1000 * seconds for seconds in times["/us"])
    print(
        f"/us (text; the chart is a button): {first:.0f} ms and {second:.0f} ms; the first chart "
        f"loads Pillow and the font (cold); peak RSS of this process (bench, seeding and bot) "
        f"{common.peak_rss_mb():.0f} MB (the bot's own process: bench/memory.py)"
    )


if __name__ == "__main__":
    common.run(main)
