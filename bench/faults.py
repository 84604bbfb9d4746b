"""Prompts and answers through crashes and outages: ``python -m bot`` killed, its database away
or locked, and what the users got: prompts sent, lost, duplicated; taps stored, refused, told
to try again, silently lost.

Run from the repository root::

    .venv/bin/python bench/faults.py [--users 300] [--rate 25] [--smoke]
    scripts/with-postgres .venv/bin/python bench/faults.py --backend postgresql

The bot runs as operators run it (a real process, HTTP to a fake Telegram on 127.0.0.1).
Users are inserted due one minute ago. Rows:

* **kill -9**: the first process is killed once a random share (20-80 %) of N users has a
  prompt; the second runs until everyone has one. Expected: 0 lost, duplicates at most the
  sends of the last second before the kill (prompts are recorded within a second of Telegram
  accepting them).
* **answering, no fault**: 2N users (600 by default), each taps an answer at a random moment
  within ``--answer-within`` seconds (30) of their prompt. Expected: 0 taps refused, all stored.
* **database away** (PostgreSQL, through tests/tcp_proxy.py: every connection cut, new ones
  refused) or **write lock held by another process** (SQLite) for ``--outage`` seconds (30 on
  PostgreSQL, 10 on SQLite), from when a third of N users has a prompt, while they answer as
  above. Expected: 0 prompts lost, duplicates at most the sends in flight; every tap stored or
  answered "please try again", none silently lost.
* **two live processes** (PostgreSQL; one polling, one with ``UPDATES=none``) and N more
  users due: 0 lost, 0 duplicated.

Exit status 1 if an expectation fails.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select
from sqlalchemy.engine import make_url

from bench import common
from bot.content import load_texts
from bot.storage.engine import create_engine, sqlite_file
from bot.storage.models import Checkin, CheckinAnswer, User
from tests.databases import seed_due_users
from tests.fake_server import FakeTelegramServer
from tests.processes import (
    TOKEN,
    delivery_env,
    is_checkin_message,
    prompts_per_chat,
    running_bot,
    tally,
)
from tests.tcp_proxy import TcpProxy

LEASE_SECONDS = 5
ROWS = ("kill", "answering", "outage", "two")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--rate", type=int, default=25, help="messages a second (default 25)")
    parser.add_argument("--seed", type=int, default=None, help="for the kill and the taps")
    parser.add_argument("--answer-within", type=float, default=30.0, help="seconds (30)")
    parser.add_argument("--only", nargs="+", choices=ROWS, help="some rows only (default all)")
    parser.add_argument("--outage", type=float, help="seconds (30 on PostgreSQL, 10 on SQLite)")
    args = common.parse_arguments(parser)
    if args.outage is None:
        args.outage = 30.0 if args.backend == "postgresql" else 10.0
    if args.smoke:
        args.users, args.rate, args.answer_within, args.outage = 6, 6, 1.0, 1.5
    rng = random.Random(args.seed)
    rows = set(args.only or ROWS)
    failures: list[str] = []
    # A database for each row: each row's fake Telegram numbers its updates from 1.
    if "kill" in rows:
        async with common.fresh_database(args) as url:
            await seed_due_users(url, args.users, 100_000)
            # The waiting is blocking (the fake Telegram's own thread records the calls).
            failures += await asyncio.to_thread(_crash_and_restart, url, args, rng)
    if "answering" in rows:
        async with common.fresh_database(args) as url:
            answering = range(300_000, 300_000 + 2 * args.users)
            await seed_due_users(url, len(answering), answering.start)
            failures += await asyncio.to_thread(_answering, url, url, args, answering, None, rng)
    if "outage" in rows:
        async with common.fresh_database(args) as url:
            people = range(400_000, 400_000 + args.users)
            await seed_due_users(url, len(people), people.start)
            with _Fault(url, args.outage) as (bot_url, fault):
                failures += await asyncio.to_thread(
                    _answering, bot_url, url, args, people, fault, rng
                )
    if "two" in rows and args.backend == "postgresql":
        async with common.fresh_database(args) as url:
            await seed_due_users(url, args.users, 200_000)
            failures += await asyncio.to_thread(_two_processes, url, args)
    if failures:
        raise common.BenchError("; ".join(failures))


@dataclass
class Fault:
    """Something done to the database for ``seconds`` while people answer."""

    name: str
    start: Callable[[], None]
    stop: Callable[[], None]
    seconds: float


class _Fault:
    """The backend's fault: on PostgreSQL the bot reaches it through a TCP proxy that is cut;
    on SQLite another connection takes the file's write lock (``BEGIN IMMEDIATE``)."""

    def __init__(self, url: str, seconds: float) -> None:
        self.url, self.seconds = url, seconds
        self.proxy: TcpProxy | None = None
        self.holder: sqlite3.Connection | None = None

    def __enter__(self) -> tuple[str, Fault]:
        path = sqlite_file(self.url)
        if path is not None:
            name = f"write lock held by another process for {self.seconds:g} s"
            return self.url, Fault(name, self.lock, self.unlock, self.seconds)
        target = make_url(self.url)
        self.proxy = TcpProxy(target.host or "127.0.0.1", target.port or 5432).__enter__()
        through = target.set(host="127.0.0.1", port=self.proxy.port).render_as_string(False)
        name = f"database away (connections cut) for {self.seconds:g} s"
        return through, Fault(name, self.proxy.cut, self.proxy.restore, self.seconds)

    def lock(self) -> None:
        self.holder = sqlite3.connect(sqlite_file(self.url) or "", timeout=10, isolation_level=None)
        self.holder.execute("BEGIN IMMEDIATE")

    def unlock(self) -> None:
        if self.holder is not None:
            self.holder.execute("ROLLBACK")
            self.holder.close()
            self.holder = None

    def __exit__(self, *exc: object) -> None:
        self.unlock()
        if self.proxy is not None:
            self.proxy.cut()


@dataclass
class _Tap:
    at: float  # when the person taps (monotonic)
    data: str
    message: dict[str, Any]
    query_id: str | None = None


def _answering(
    bot_url: str,
    url: str,
    args: argparse.Namespace,
    people: range,
    fault: Fault | None,
    rng: random.Random,
) -> list[str]:
    """Everyone taps an answer on their prompt within ``args.answer_within`` seconds of it;
    ``fault`` from when a third of them has a prompt."""
    texts = load_texts()
    refusals = {texts.checkin.closed, texts.errors.stale_button}
    taps: dict[int, _Tap] = {}
    started = ended = None
    seen = 0
    timeout = 60 + len(people) / args.rate + args.answer_within + (fault.seconds if fault else 0)
    with tempfile.TemporaryDirectory() as folder, FakeTelegramServer(TOKEN) as server:
        env = delivery_env(bot_url, server, TELEGRAM_MAX_MESSAGES_PER_SECOND=str(args.rate))
        env["CLAIM_LEASE_SECONDS"] = str(LEASE_SECONDS)
        with running_bot(env, Path(folder), "answering") as bot:
            deadline = time.monotonic() + timeout
            while True:
                now, mark = time.monotonic(), server.mark()
                for exchange in server.calls("sendMessage", after=seen):
                    result = exchange.result if exchange.ok else {}
                    chat = result.get("chat", {}).get("id")
                    if chat in people and chat not in taps and is_checkin_message(result):
                        answer = next(d for d in common.buttons(result) if ":a:" in d)
                        taps[chat] = _Tap(now + rng.uniform(0, args.answer_within), answer, result)
                seen = mark
                for person, tap in taps.items():
                    if tap.query_id is None and tap.at <= now:
                        update = server.press_button(person, tap.data, message=tap.message)
                        tap.query_id = update["callback_query"]["id"]
                if fault and started is None and len(taps) >= len(people) / 3:
                    fault.start()
                    started = now
                if (
                    fault
                    and started is not None
                    and ended is None
                    and now > started + fault.seconds
                ):
                    fault.stop()
                    ended = now
                answers = {
                    e.params.get("callback_query_id"): e.params.get("text")
                    for e in server.calls("answerCallbackQuery")
                }
                if (
                    len(taps) == len(people)
                    and all(tap.query_id in answers for tap in taps.values())
                    and (fault is None or ended is not None)
                ):
                    break
                if (reason := bot.exited()) or now > deadline:
                    if fault and ended is None:
                        fault.stop()
                    unanswered = sum(tap.query_id not in answers for tap in taps.values())
                    print(bot.stderr[-4000:], file=sys.stderr)
                    return [
                        f"answering: {reason or 'timed out'}; {len(taps)} of {len(people)} "
                        f"prompted, {unanswered} taps unanswered"
                    ]
                time.sleep(0.05)  # pacing the taps, not a proof of anything
            bot.terminate()
            log = bot.stderr
        sent, lost, duplicates = tally(server, people)
    stored = asyncio.run(_answered(url, people))
    told = {
        p for p, tap in taps.items() if answers[tap.query_id] == texts.errors.database_unavailable
    }
    refused = {p for p, tap in taps.items() if answers[tap.query_id] in refusals}
    silent = set(people) - stored - told - refused
    tracebacks = log.count("Traceback")
    if tracebacks:  # what went wrong, for whoever reads CI's output
        print(log[-6000:], file=sys.stderr)
    title = fault.name if fault else "answering, no fault"
    print(
        f"{title}, {args.backend}: {len(people)} due, {args.rate} msg/s, each taps within "
        f"{args.answer_within:.0f} s of the prompt"
    )
    print(
        f"  prompts sent {sent}, lost {lost}, duplicated {duplicates}; taps {len(taps)}: stored "
        f"{len(stored)}, refused {len(refused)}, told to try again {len(told)}, silently lost "
        f"{len(silent)}; log: {tracebacks} tracebacks, 'unavailable' "
        f"{log.count('the database is unavailable')}x, 'back' {log.count('the database is back')}x"
    )
    allowed = args.rate + 2 if fault else 0
    if lost or duplicates > allowed or refused or silent or tracebacks:
        return [f"{title}: lost, doubled, refused or silently dropped what it must not"]
    return []


async def _answered(url: str, people: range) -> set[int]:
    """Who among ``people`` has an answer stored on a check-in."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(User.telegram_id)
                .join(Checkin, Checkin.user_id == User.id)
                .join(CheckinAnswer, CheckinAnswer.checkin_id == Checkin.id)
                .where(User.telegram_id.between(people.start, people.stop - 1))
                .group_by(User.telegram_id)
            )
            return {row[0] for row in rows}
    finally:
        await engine.dispose()


def _crash_and_restart(url: str, args: argparse.Namespace, rng: random.Random) -> list[str]:
    people = range(100_000, 100_000 + args.users)
    kill_at = max(1, round(args.users * rng.uniform(0.2, 0.8)))
    with tempfile.TemporaryDirectory() as folder, FakeTelegramServer(TOKEN) as server:
        env = delivery_env(url, server, TELEGRAM_MAX_MESSAGES_PER_SECOND=str(args.rate))
        env["CLAIM_LEASE_SECONDS"] = str(LEASE_SECONDS)
        tmp = Path(folder)
        with running_bot(env, tmp, "first") as bot:
            server.wait_until(
                lambda: sum(prompts_per_chat(server, people).values()) >= kill_at,
                timeout=60 + args.users / args.rate,
                abort=bot.exited,
            )
            bot.proc.kill()
            bot.proc.wait(timeout=10)
        before = sum(prompts_per_chat(server, people).values())
        started = time.monotonic()
        with running_bot(env, tmp, "second") as bot:
            server.wait_until(
                lambda: set(prompts_per_chat(server, people)) == set(people),
                timeout=60 + LEASE_SECONDS + args.users / args.rate,
                abort=bot.exited,
            )
            finished = time.monotonic() - started
            bot.terminate()
        sent, lost, duplicates = tally(server, people)
    print(
        f"kill -9, {args.backend}: {args.users} due, {args.rate} msg/s; killed after {before} "
        f"prompts; restart finished in {finished:.1f} s"
    )
    print(
        f"sent {sent}, lost {lost}, duplicated {duplicates} "
        f"(allowed: {args.rate + 2}: one burst of the rate limiter, a second's sends, and "
        "those in flight)"
    )
    if lost or duplicates > args.rate + 2:
        return ["kill -9: prompts lost or sent twice beyond what a kill allows"]
    return []


def _two_processes(url: str, args: argparse.Namespace) -> list[str]:
    """Two live processes on one PostgreSQL (one polls, one runs jobs only), nobody killed:
    only the leader sends, so not one prompt twice."""
    people = range(200_000, 200_000 + args.users)
    with tempfile.TemporaryDirectory() as folder, FakeTelegramServer(TOKEN) as server:
        env = delivery_env(url, server, TELEGRAM_MAX_MESSAGES_PER_SECOND=str(args.rate))
        tmp = Path(folder)
        with (
            running_bot(env, tmp, "poller") as poller,
            running_bot({**env, "UPDATES": "none"}, tmp, "jobs") as jobs,
        ):
            server.wait_until(
                lambda: set(prompts_per_chat(server, people)) == set(people),
                timeout=60 + args.users / args.rate,
                abort=lambda: poller.exited() or jobs.exited(),
            )
            poller.terminate()
            jobs.terminate()
        sent, lost, duplicates = tally(server, people)
    print(f"two processes, none killed: sent {sent}, lost {lost}, duplicated {duplicates}")
    if lost or duplicates:
        return ["two live processes lost or doubled a prompt"]
    return []


if __name__ == "__main__":
    common.run(main)
