"""Prompts through a crash: N users due, ``kill -9`` of ``python -m bot`` at a random moment of
its sending, a restart, and what the users got: sent, lost, duplicated.

Run from the repository root::

    .venv/bin/python bench/faults.py [--users 300] [--rate 25] [--smoke]
    scripts/with-postgres .venv/bin/python bench/faults.py --backend postgresql

The bot runs as operators run it (a real process, HTTP to a fake Telegram on 127.0.0.1).
Users are inserted due one minute ago; the first process is killed once a random share
(20-80 %) of them has a prompt; the second runs until everyone has one (or a time-out).
Expected: 0 lost, duplicates at most the sends of the last second before the kill (the
prompts are recorded within a second of Telegram accepting them). On PostgreSQL, then: two
live processes (one polling, one with ``UPDATES=none``) and N more users due: 0 lost, 0
duplicated. Exit status 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import common
from tests.fake_server import FakeTelegramServer
from tests.test_delivery_process import _seed_due_users, delivery_env, prompts_per_chat, tally
from tests.test_main_process import TOKEN, running_bot

LEASE_SECONDS = 5


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--rate", type=int, default=25, help="messages a second (default 25)")
    parser.add_argument("--seed", type=int, default=None, help="for the moment of the kill")
    args = common.parse_arguments(parser)
    if args.smoke:
        args.users, args.rate = 12, 6
    async with common.fresh_database(args) as url:
        await _seed_due_users(url, args.users, 100_000)
        # The waiting is blocking (the fake Telegram's own thread records the calls).
        await asyncio.to_thread(_crash_and_restart, url, args, random.Random(args.seed))
        if args.backend == "postgresql":
            await _seed_due_users(url, args.users, 200_000)
            await asyncio.to_thread(_two_processes, url, args)


def _crash_and_restart(url: str, args: argparse.Namespace, rng: random.Random) -> None:
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
        f"{args.backend}: {args.users} due, {args.rate} msg/s; killed after {before} prompts; "
        f"restart finished in {finished:.1f} s"
    )
    print(
        f"sent {sent}, lost {lost}, duplicated {duplicates} "
        f"(allowed: {args.rate + 2}: one burst of the rate limiter, a second's sends, and "
        "those in flight)"
    )
    if lost or duplicates > args.rate + 2:
        raise common.BenchError("prompts lost or sent twice beyond what a kill allows")


def _two_processes(url: str, args: argparse.Namespace) -> None:
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
        raise common.BenchError("two live processes lost or doubled a prompt")


if __name__ == "__main__":
    common.run(main)
