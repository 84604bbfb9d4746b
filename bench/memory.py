"""Peak memory of the bot as deployed: one ``python -m bot`` process, polling.

Run from the repository root::

    .venv/bin/python bench/memory.py [--users 40] [--charts 10] [--days 365] [--smoke]
    scripts/with-postgres .venv/bin/python bench/memory.py --backend postgresql

The other benchmarks run the bot inside their own process (next to the stock echo bot, the
seeding, the bench itself), so their peak RSS is not what a server pays for the bot. Here the
bot is the real process (``UPDATES=polling``, the default, no HTTP server, the rate limiter
off; ``--webhook``: ``UPDATES=webhook``, updates posted to its HTTP server) taking updates by
long polling from the fake Bot API of bench/common.py, and its peak
resident memory (``VmHWM`` in /proc/<pid>/status; ``VmRSS`` is what it holds now) is read:

1. after start-up (polling, the periodic jobs run once);
2. after traffic: ``--users`` people onboard at once (``/start``, consent, a typed time zone,
   a check-in time), chat and ask for ``/help``;
3. after charts: Anna and Ben (a year of check-ins, as in bench/reciprocity.py, up to today)
   send ``/us`` and press, week by week back, the chart button ``--charts`` times each;
4. after a newcomer shares a location for the time zone instead of typing one (the zone is
   looked up: the first lookup loads timezonefinder).

The first chart press is timed (from the update queued to the chart's message edited: the
first chart loads the drawing library), and the others' p50. Target: peak <= 150 MB with
charts drawn.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp

from bench import common
from bench.common import BenchError, Json, percentile_ms, press_update, text_update
from bench.reciprocity import PEOPLE, seed
from bench.webhook import PATH, SECRET, free_port
from tests import updates

ROOT = Path(__file__).resolve().parents[1]
TARGET_MB = 150
WAIT_SECONDS = 60
CHATTER = ("thanks!", "ok", "good night 🌙")
# Somewhere in Lisbon: a location shared for the time zone.
LISBON = (38.72, -9.14)


def memory_mb(pid: int) -> tuple[float, float]:
    """(peak, now) resident memory of process ``pid`` in MB: VmHWM and VmRSS (Linux)."""
    status = Path(f"/proc/{pid}/status").read_text()
    peak, now = (int(re.search(rf"{key}:\s+(\d+)", status)[1]) for key in ("VmHWM", "VmRSS"))  # type: ignore[index]
    return peak / 1024, now / 1024


class Bot:
    """``python -m bot`` polling the fake Telegram (or, with ``webhook``, taking Telegram's
    posts on its HTTP server); its output goes to ``log``."""

    def __init__(
        self, url: str, telegram: common.FakeTelegram, log: IO[bytes], *, webhook: bool
    ) -> None:
        self.port = free_port() if webhook else None
        env = common.bot_process_env(url, telegram, webhook_port=self.port)
        self.telegram = telegram
        self.posts: set[asyncio.Task[None]] = set()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot"], cwd=ROOT, env=env, stdout=log, stderr=log
        )

    def alive(self) -> None:
        if self.proc.poll() is not None:
            raise BenchError(f"the bot exited with status {self.proc.returncode}")
        for post in [post for post in self.posts if post.done()]:
            self.posts.discard(post)
            post.result()  # a refused post ends the benchmark

    async def ready(self) -> None:
        """Polling (its first getUpdates), or its webhook answering /readyz."""
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            self.alive()
            if self.port is None:
                if self.telegram.stats()["calls"].get("getUpdates", 0) >= 1:
                    return
            else:
                with contextlib.suppress(aiohttp.ClientError):
                    async with (
                        aiohttp.ClientSession() as http,
                        http.get(f"http://127.0.0.1:{self.port}/readyz") as response,
                    ):
                        if response.status == 200:
                            return
            await asyncio.sleep(0.05)
        raise BenchError(f"the bot was not ready within {WAIT_SECONDS} s")

    def send(self, update: Json) -> None:
        """Hand ``update`` over as Telegram would: queued for getUpdates, or posted."""
        if self.port is None:
            self.telegram.enqueue(update)
            return
        self.posts.add(asyncio.create_task(self._post(update)))

    async def _post(self, update: Json) -> None:
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                f"http://127.0.0.1:{self.port}{PATH}", json=update, headers=headers
            ) as response,
        ):
            await response.read()
            if response.status != 200:
                raise BenchError(f"the bot answered {response.status} to a webhook post")

    async def settled(self, quiet: float = 0.3) -> None:
        """Wait until every queued update was taken and no Bot API call came for ``quiet``
        seconds: the bot has answered what it was sent."""
        deadline = time.monotonic() + WAIT_SECONDS
        last, since = self.telegram.progress(), time.monotonic()
        while time.monotonic() < deadline:
            self.alive()
            await asyncio.sleep(0.02)
            now = self.telegram.progress()
            if now != last:
                last, since = now, time.monotonic()
            elif now[1] == 0 and not self.posts and time.monotonic() - since >= quiet:
                return
        raise BenchError(f"the bot did not settle within {WAIT_SECONDS} s")

    async def calls_reach(self, method: str, count: int) -> None:
        deadline = time.monotonic() + WAIT_SECONDS
        while self.telegram.stats()["calls"].get(method, 0) < count:
            self.alive()
            if time.monotonic() > deadline:
                raise BenchError(f"no {method} within {WAIT_SECONDS} s")
            await asyncio.sleep(0.002)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            if self.proc.wait(timeout=30) != 0:
                raise BenchError(f"the bot exited with {self.proc.returncode} on SIGTERM")


def location_update(user_id: int, latitude: float, longitude: float) -> Json:
    update = text_update(user_id, "")
    message = update["message"]
    del message["text"]
    message["location"] = updates.location(latitude, longitude)
    return update


def press(telegram: common.FakeTelegram, user: int, prefix: str) -> Json:
    """A tap on the first button starting with ``prefix`` under the user's newest message
    that has one."""
    message = telegram.newest_with([user], prefix)[user]
    if message is None:
        raise BenchError(f"no {prefix!r} button for user {user}")
    return press_update(user, common.button(message, prefix), message)


async def traffic(bot: Bot, telegram: common.FakeTelegram, users: list[int]) -> None:
    """Every user's next step at once, then wait for the answers: onboarding and chatter."""

    steps = [
        lambda user: text_update(user, "/start"),
        lambda user: press(telegram, user, "consent:yes"),
        lambda user: text_update(user, "Europe/Berlin"),
        lambda user: press(telegram, user, "time:"),
        *(lambda user, text=text: text_update(user, text) for text in CHATTER),
        lambda user: text_update(user, "/help"),
    ]
    for step in steps:
        for user in users:
            bot.send(step(user))
        await bot.settled()


async def charts(bot: Bot, telegram: common.FakeTelegram, per_person: int) -> list[float]:
    """``/us`` from Anna and Ben, then the chart button of week 0, 1, 2... back, each press
    on the newest week message. Returns each chart's seconds from queued to message edited."""
    seconds: list[float] = []
    for telegram_id, *_ in PEOPLE:
        bot.send(text_update(telegram_id, "/us"))
    await bot.settled()
    for weeks_back in range(per_person):
        for telegram_id, *_ in PEOPLE:
            message = telegram.newest_with([telegram_id], "us:")[telegram_id]
            wanted = re.compile(rf"us:{weeks_back}:c(:|$)")
            if weeks_back:
                # The earlier week first (an edit of the message), then its chart.
                earlier = re.compile(rf"us:{weeks_back}(:s:|$)")
                data = next((d for d in common.buttons(message) if earlier.match(d)), None)
                if message is None or data is None:
                    raise BenchError(f"no week {weeks_back} button under {message}")
                bot.send(press_update(telegram_id, data, message))
                await bot.settled(quiet=0.1)
                message = telegram.newest_with([telegram_id], "us:")[telegram_id]
            data = next((d for d in common.buttons(message) if wanted.match(d)), None)
            if message is None or data is None:
                raise BenchError(f"no {wanted.pattern!r} button under {message}")
            edits = telegram.stats()["calls"].get("editMessageReplyMarkup", 0)
            started = time.perf_counter()
            bot.send(press_update(telegram_id, data, message))
            # Drawn, sent, and the week message's buttons then carry it.
            await bot.calls_reach("editMessageReplyMarkup", edits + 1)
            seconds.append(time.perf_counter() - started)
            await bot.settled(quiet=0.1)
    return seconds


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=40, help="people onboarding (default 40)")
    parser.add_argument("--charts", type=int, default=10, help="charts each (default 10)")
    parser.add_argument("--days", type=int, default=365, help="days of check-ins (default 365)")
    parser.add_argument(
        "--webhook", action="store_true", help="UPDATES=webhook (its HTTP server) instead"
    )
    args = common.parse_arguments(parser)
    if args.smoke:
        args.users, args.charts, args.days = 4, 2, 30
    mode = "webhook" if args.webhook else "polling"
    rows: list[tuple[str, float, float]] = []
    async with common.fresh_database(args) as url:
        seeded = await seed(url, args.days, datetime.now(UTC))
        with common.FakeTelegram(keep_messages=True) as telegram, tempfile.TemporaryFile() as log:
            bot = Bot(url, telegram, log, webhook=args.webhook)
            try:
                await bot.ready()
                await bot.settled(quiet=1.0)
                rows.append((f"after start-up ({mode})", *memory_mb(bot.proc.pid)))
                users = [300_000_001 + n for n in range(args.users)]
                await traffic(bot, telegram, users)
                rows.append((f"after traffic ({args.users} people onboard, chat)",
                             *memory_mb(bot.proc.pid)))  # fmt: skip
                chart_seconds = await charts(bot, telegram, args.charts)
                rows.append((f"after {len(chart_seconds)} charts drawn", *memory_mb(bot.proc.pid)))
                newcomer = 300_000_000
                bot.send(text_update(newcomer, "/start"))
                await bot.settled(quiet=0.1)
                bot.send(press(telegram, newcomer, "consent:yes"))
                await bot.settled(quiet=0.1)
                sent = telegram.stats()["calls"].get("sendMessage", 0)
                started = time.perf_counter()
                bot.send(location_update(newcomer, *LISBON))
                await bot.calls_reach("sendMessage", sent + 1)  # "saved: Europe/Lisbon"
                located = time.perf_counter() - started
                await bot.settled(quiet=0.1)
                rows.append(("after a location shared (zone looked up)", *memory_mb(bot.proc.pid)))
                stats = common.check(common.ErrorCounter(), telegram)
            finally:
                bot.stop()
            log.seek(0)
            output = log.read().decode(errors="replace")
            if "Traceback" in output or "ERROR" in output:
                raise BenchError(f"the bot logged errors:\n{output[-2000:]}")
    if stats["calls"].get("sendPhoto", 0) != len(chart_seconds):
        raise BenchError(f"{stats['calls'].get('sendPhoto', 0)} charts for {len(chart_seconds)}")
    print(f"{args.backend}: one `python -m bot` process, {mode}; Anna and Ben: {seeded}")
    print(f"{'bot process':44} {'peak MB':>8} {'now MB':>7}")
    for label, peak, now in rows:
        print(f"{label:44} {peak:8.1f} {now:7.1f}")
    first, *others = chart_seconds
    print(
        f"first chart press {1000 * first:.0f} ms (loads the drawing library), the others p50 "
        f"{percentile_ms(others, 0.5):.0f} ms; location to zone saved {1000 * located:.0f} ms "
        "(first lookup)"
    )
    for label, peak in (
        ("with charts drawn", max(row[1] for row in rows[:3])),
        ("with charts drawn and a location looked up", rows[3][1]),
    ):
        print(f"bot process peak RSS {label}: {peak:.1f} MB (target <= {TARGET_MB} MB: "
              f"{'met' if peak <= TARGET_MB else 'NOT met'})")  # fmt: skip


if __name__ == "__main__":
    common.run(main)
