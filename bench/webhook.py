"""``bench/updates.py --webhook``: updates/s, latency and CPU per update of one and two
``python -m bot`` instances in webhook mode on one database, over real HTTP.

Each instance is the real process (``UPDATES=webhook``) calling the fake Bot API of
bench/common.py; this script plays Telegram's webhook side: it posts every user's updates in
turn to the instances (round-robin), a user's next update only once the request of their
previous one was answered, as Telegram does per chat. Latency is the request's round trip
(the instance answers once the update is handled). CPU is the instances' own (user + system,
from /proc), per update. Several instances need PostgreSQL; on SQLite only one is run.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import IO

import aiohttp
from sqlalchemy import func, select

from bench import common
from bench.common import BenchError, Json, percentile_ms
from bot.storage.engine import create_engine
from bot.storage.models import User

ROOT = Path(__file__).resolve().parents[1]
SECRET = common.WEBHOOK_SECRET
PATH = common.WEBHOOK_PATH
CHATTER = ("thanks!", "ok", "good night 🌙")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a running process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Instance:
    def __init__(self, url: str, telegram: common.FakeTelegram, log: IO[bytes]) -> None:
        self.port = free_port()
        env = common.bot_process_env(
            url, telegram, webhook_port=self.port, DISPATCH_INTERVAL_SECONDS="3600"
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot"], cwd=ROOT, env=env, stdout=log, stderr=log
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{PATH}"

    async def wait_ready(self, http: aiohttp.ClientSession) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"an instance exited with status {self.proc.returncode}")
            try:
                async with http.get(f"http://127.0.0.1:{self.port}/readyz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
        raise BenchError("an instance was not ready within a minute")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            if self.proc.wait(timeout=30) != 0:
                raise BenchError(f"an instance exited with {self.proc.returncode} on SIGTERM")


async def one_run(args: argparse.Namespace, users: list[int], count: int) -> str:
    async with common.fresh_database(args) as url:
        with (
            common.FakeTelegram() as telegram,
            tempfile.TemporaryFile() as log,
            ExitStack() as stack,
        ):
            instances = [Instance(url, telegram, log) for _ in range(count)]
            for instance in instances:
                stack.callback(instance.stop)
            turn = itertools.count()
            latencies: list[float] = []

            async def post(http: aiohttp.ClientSession, update: Json) -> None:
                instance = instances[next(turn) % count]
                started = time.perf_counter()
                headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
                async with http.post(instance.url, json=update, headers=headers) as response:
                    await response.read()
                    if response.status != 200:
                        raise BenchError(f"an instance answered {response.status}")
                latencies.append(time.perf_counter() - started)

            def press(user: int, prefix: str) -> Json:
                message = telegram.newest_with([user], prefix)[user]
                if message is None:
                    raise BenchError(f"no {prefix!r} button for user {user}")
                return common.press_update(user, common.button(message, prefix), message)

            async def one_user(http: aiohttp.ClientSession, user: int) -> None:
                await post(http, common.text_update(user, "/start"))
                await post(http, press(user, "consent:yes"))
                await post(http, common.text_update(user, "Europe/Berlin"))
                await post(http, press(user, "time:"))
                for text in CHATTER:
                    await post(http, common.text_update(user, text))
                await post(http, common.text_update(user, "/help"))
                if user % 10 == 0:
                    await post(http, common.text_update(user, "/us"))

            connector = aiohttp.TCPConnector(limit=0)
            async with aiohttp.ClientSession(connector=connector) as http:
                for instance in instances:
                    await instance.wait_ready(http)
                cpu = sum(cpu_seconds(i.proc.pid) for i in instances)
                wall = time.perf_counter()
                await asyncio.gather(*(one_user(http, user) for user in users))
                wall = time.perf_counter() - wall
                cpu = sum(cpu_seconds(i.proc.pid) for i in instances) - cpu
            engine = create_engine(url)
            try:
                async with engine.connect() as connection:
                    onboarded = await connection.scalar(
                        select(func.count()).where(User.onboarded_at.is_not(None))
                    )
            finally:
                await engine.dispose()
            if onboarded != len(users):
                raise BenchError(f"{onboarded} of {len(users)} users onboarded")
            stats = common.check(common.ErrorCounter(), telegram)
    n = len(latencies)
    p50, p99 = percentile_ms(latencies, 0.5), percentile_ms(latencies, 0.99)
    return (
        f"{count:9} {n:8} {n / wall:9.1f} {p50:7.1f} {p99:7.1f} {1000 * cpu / n:8.2f}"
        f"   (fake Telegram {stats['cpu']:.1f} s CPU)"
    )


async def run_webhook(args: argparse.Namespace) -> None:
    users = [200_000_001 + n for n in range(args.users)]
    counts = [1, 2] if args.backend == "postgresql" else [1]
    print(
        f"{args.backend}: webhook mode, {len(users)} users, each posting onboarding, chatter "
        "and /help (one in ten /us), one request at a time per user, round-robin"
    )
    if args.backend != "postgresql":
        print("(one instance only: several instances need PostgreSQL)")
    print(f"{'instances':>9} {'updates':>8} {'updates/s':>9} {'p50 ms':>7} {'p99 ms':>7} "
          f"{'CPU ms/u':>8}")  # fmt: skip
    for count in counts:
        print(await one_run(args, users, count), flush=True)
