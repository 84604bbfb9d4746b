"""What the benchmarks share: a fake Bot API over HTTP, a database, the bot, and measuring.

The fake Telegram is the tests' own: tests/fake_server.py's ``FakeTelegramServer`` (a
``FakeBotApi`` from tests/telegram_fake.py, which refuses what Telegram would refuse, behind a
real HTTP server on 127.0.0.1 with TCP_NODELAY and a backlog of 1024), here in a child
process (its own interpreter and GIL, so its CPU is not the bot's). One fake for both: a fix
or a stricter check in it holds for the tests and the figures alike. Applications reach it
through their base URL, as they would api.telegram.org.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import math
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from telegram import Update
from telegram.ext import Application

from bot.app import build_application
from bot.config import Settings, load_settings
from bot.context import BotApplication, utc_now
from bot.storage.migrate import migrate_database
from tests.databases import POSTGRES_ENV, create_database
from tests.fake_server import FakeTelegramServer

TOKEN = "123456789:BENCH-token_for_the_fake_bot_api_0"
WEBHOOK_SECRET = "bench-webhook-secret_0123456789"
WEBHOOK_PATH = "/telegram"
Json = dict[str, Any]


class BenchError(Exception):
    """The bot (or the fake Telegram) went wrong: the figures would mean nothing."""


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def percentile_ms(seconds: list[float], fraction: float) -> float:
    """Nearest-rank percentile (0.5 for p50, 0.99 for p99) of ``seconds``, in ms."""
    ordered = sorted(seconds)
    if not ordered:
        return math.nan
    return 1000 * ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]


def latency(seconds: list[float]) -> str:
    p50, p95, p99 = (percentile_ms(seconds, fraction) for fraction in (0.5, 0.95, 0.99))
    return f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms"


# --- the fake Telegram -------------------------------------------------------------------------


def serve_fake_telegram(connection: Any, keep_messages: bool) -> None:
    """In the child: serve tests/fake_server.py's ``FakeTelegramServer`` (the one fake Bot API
    of tests and benchmarks) and answer the benchmark on ``connection`` until it says None."""
    server = FakeTelegramServer(TOKEN, keep_exchanges=False, keep_messages=keep_messages)
    with server:
        connection.send(server.port)
        while (question := connection.recv()) is not None:
            if question == "stats":
                usage = resource.getrusage(resource.RUSAGE_SELF)
                with server.lock:
                    answer: Any = {
                        "calls": Counter(server.counts),
                        "refusals": [*server.refusals, *server.errors, *server.unauthorized],
                        "cpu": usage.ru_utime + usage.ru_stime,
                    }
            elif question == "progress":
                with server.lock:
                    answer = (sum(server.counts.values()) - server.counts["getUpdates"],
                              len(server.api.updates))  # fmt: skip
            elif question[0] == "update":
                answer = server.enqueue_update(question[1])["update_id"]
            else:
                chat_ids, prefix = question
                answer = {
                    chat_id: server.newest_with_prefix(chat_id, prefix) for chat_id in chat_ids
                }
            connection.send(answer)


class FakeTelegram:
    """The fake Bot API in a child process; ``keep_messages=False`` forgets every message."""

    def __init__(self, *, keep_messages: bool = True) -> None:
        # fork: the child starts at once, without importing the benchmark all over again.
        context = multiprocessing.get_context("fork")
        self.connection, child = context.Pipe()
        self.process = context.Process(
            target=serve_fake_telegram, args=(child, keep_messages), daemon=True
        )
        self.process.start()
        port = self.connection.recv()
        self.base_url = f"http://127.0.0.1:{port}/bot"
        self.base_file_url = f"http://127.0.0.1:{port}/file/bot"

    def ask(self, question: Any) -> Any:
        self.connection.send(question)
        return self.connection.recv()

    def stats(self) -> dict[str, Any]:
        """``calls`` (a Counter by method), ``refusals`` and ``cpu`` (seconds) so far."""
        return self.ask("stats")

    def progress(self) -> tuple[int, int]:
        """Bot API calls so far (long polls aside) and updates not yet taken by ``getUpdates``."""
        return self.ask("progress")

    def enqueue(self, update: Json) -> int:
        """Queue ``update`` for the bot's ``getUpdates`` (a polling ``python -m bot``)."""
        return self.ask(("update", update))

    def newest_with(self, chat_ids: list[int], prefix: str) -> dict[int, Json | None]:
        return self.ask((chat_ids, prefix))

    def __enter__(self) -> FakeTelegram:
        return self

    def __exit__(self, *exc: object) -> None:
        self.connection.send(None)
        self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.kill()


def buttons(message: Json | None) -> list[str]:
    """The data of each inline button of ``message`` (a bot message's JSON)."""
    rows = (message or {}).get("reply_markup", {}).get("inline_keyboard", [])
    return [b["callback_data"] for row in rows for b in row if "callback_data" in b]


def button(message: Json, prefix: str) -> str:
    """The data of the first button of ``message`` that starts with ``prefix``."""
    for data in buttons(message):
        if data.startswith(prefix):
            return data
    raise BenchError(f"no {prefix!r} button in {message!r}")


# --- updates -----------------------------------------------------------------------------------

UPDATE_IDS = itertools.count(1)


def sender(user_id: int) -> Json:
    return {"id": user_id, "is_bot": False, "first_name": f"User{user_id}", "language_code": "en"}


def text_update(user_id: int, text: str) -> Json:
    """A message from ``user_id`` in their private chat; a ``/command`` gets its entity."""
    update_id = next(UPDATE_IDS)
    message = {
        "message_id": update_id,
        "date": int(time.time()),
        "chat": {"id": user_id, "type": "private", "first_name": f"User{user_id}"},
        "from": sender(user_id),
        "text": text,
    }
    if text.startswith("/"):
        length = len(text.split(maxsplit=1)[0])
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    return {"update_id": update_id, "message": message}


def press_update(user_id: int, data: str, message: Json) -> Json:
    """A tap on the button with ``data`` under ``message`` (a bot message's JSON)."""
    update_id = next(UPDATE_IDS)
    query = {"id": str(update_id), "from": sender(user_id), "chat_instance": str(user_id),
             "data": data, "message": message}  # fmt: skip
    return {"update_id": update_id, "callback_query": query}


async def feed(app: Application, updates: list[Json], concurrency: int) -> list[float]:
    """Hand ``updates`` over as the application's update fetcher hands over what polling
    brings (``update_processor.process_update(update, app.process_update(update))``), at most
    ``concurrency`` at a time, in order. Returns each one's seconds from hand-over to done."""
    seconds = [0.0] * len(updates)
    work = iter(enumerate(updates))

    async def worker() -> None:
        for index, payload in work:
            update = Update.de_json(payload, app.bot)
            started = time.perf_counter()
            await app.update_processor.process_update(update, app.process_update(update))
            seconds[index] = time.perf_counter() - started

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return seconds


# --- the bot -----------------------------------------------------------------------------------


class ErrorCounter:
    """An extra error handler (PTB calls each one): the bot's replies kindly, this one counts."""

    def __init__(self) -> None:
        self.errors: list[BaseException] = []

    async def __call__(self, update: object, context: Any) -> None:
        self.errors.append(context.error)


def check(counter: ErrorCounter, telegram: FakeTelegram) -> dict[str, Any]:
    """Telegram's stats; ``BenchError`` if a handler failed or Telegram refused a call."""
    stats, errors = telegram.stats(), counter.errors
    if errors:
        raise BenchError(f"{len(errors)} errors in handlers, the first: {errors[0]!r}")
    if stats["refusals"]:
        raise BenchError(f"Telegram refused {len(stats['refusals'])}: {stats['refusals'][:3]}")
    return stats


def bot_settings(database_url: str, telegram: FakeTelegram, **overrides: Any) -> Settings:
    """The bot's settings as ``python -m bot`` reads them (environment, ``.env``), with the
    database, the fake Telegram and no rate limiter (``TELEGRAM_MAX_MESSAGES_PER_SECOND=0``)."""
    overrides.setdefault("telegram_max_messages_per_second", 0)
    return load_settings(
        bot_token=TOKEN,
        database_url=database_url,
        telegram_base_url=telegram.base_url,
        telegram_base_file_url=telegram.base_file_url,
        **overrides,
    )


def bot_process_env(
    database_url: str, telegram: FakeTelegram, *, webhook_port: int | None = None, **extra: str
) -> dict[str, str]:
    """The environment of a real ``python -m bot`` process (bench/webhook.py, bench/memory.py):
    this one's, less any token or port of its own, with the database, the fake Telegram and no
    rate limiter; polling, or with ``webhook_port`` a webhook on 127.0.0.1 at ``WEBHOOK_PATH``."""
    env = {k: v for k, v in os.environ.items() if k.upper() not in {"BOT_TOKEN", "HTTP_PORT"}}
    env |= {
        "BOT_TOKEN": TOKEN,
        "DATABASE_URL": database_url,
        "TELEGRAM_BASE_URL": telegram.base_url,
        "TELEGRAM_BASE_FILE_URL": telegram.base_file_url,
        "TELEGRAM_MAX_MESSAGES_PER_SECOND": "0",
        "UPDATES": "polling",
        "LOG_LEVEL": "WARNING",
    }
    if webhook_port is not None:
        env |= {
            "UPDATES": "webhook",
            "WEBHOOK_URL": f"http://127.0.0.1:{webhook_port}{WEBHOOK_PATH}",
            "WEBHOOK_SECRET": WEBHOOK_SECRET,
            "HTTP_HOST": "127.0.0.1",
            "HTTP_PORT": str(webhook_port),
        }
    return env | extra


@asynccontextmanager
async def running_bot(
    settings: Settings, clock: Callable[[], datetime] = utc_now
) -> AsyncIterator[tuple[BotApplication, ErrorCounter]]:
    """``build_application`` with its default request layer, started as ``run_polling``
    starts it (``initialize()``, then ``post_init``), but without polling or the job queue."""
    app = build_application(settings, clock=clock)
    errors = ErrorCounter()
    app.add_error_handler(errors)
    await app.initialize()
    try:
        assert app.post_init is not None
        await app.post_init(app)
        yield app, errors
    finally:
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)


# --- command line and database -----------------------------------------------------------------


def parse_arguments(parser: argparse.ArgumentParser) -> argparse.Namespace:
    """Adds ``--smoke``, ``--backend`` and ``--database-url``; sets ``args.admin_url``."""
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: a check, in seconds")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"))
    parser.add_argument(
        "--database-url",
        help=f"admin URL of a PostgreSQL server (default ${POSTGRES_ENV}); implies --backend "
        "postgresql; a throw-away database is created on it and dropped afterwards",
    )
    args = parser.parse_args()
    args.admin_url = args.database_url or os.environ.get(POSTGRES_ENV)
    args.backend = args.backend or ("postgresql" if args.database_url else "sqlite")
    if args.backend == "postgresql" and not args.admin_url:
        parser.error(f"PostgreSQL needs --database-url or ${POSTGRES_ENV}")
    if args.smoke:
        print("--smoke: tiny sizes, to check that the benchmark and the bot work; no figures")
    return args


@asynccontextmanager
async def fresh_database(args: argparse.Namespace) -> AsyncIterator[str]:
    """The URL of a new database at the newest schema: a SQLite file in a temporary folder,
    or a database on the PostgreSQL server; removed afterwards."""
    if args.backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="secure-base-bench-") as folder:
            url = f"sqlite+aiosqlite:///{folder}/bench.db"
            await migrate_database(url)
            yield url
        return
    url, drop = await create_database(args.admin_url, "secure_base_bench")
    try:
        await migrate_database(url)
        yield url
    finally:
        await drop()


def run(main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run a benchmark; a ``BenchError`` ends it with one line and exit status 1."""
    try:
        asyncio.run(main())
    except BenchError as exc:
        raise SystemExit(f"bench: FAILED: {exc}") from None
