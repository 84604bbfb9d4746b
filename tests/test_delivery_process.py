"""Delivery through crashes and faults, with real ``python -m bot`` processes over HTTP.

Each test waits on what it can observe (the fake Telegram's record, the database, a process
exit), never on a fixed sleep.
"""

from __future__ import annotations

import asyncio
import socket
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bot.storage.engine import create_engine
from bot.storage.migrate import migrate_database
from bot.storage.models import Appreciation, CheckinAnswer, ReceivedUpdate
from tests.databases import seed_couples, seed_due_users
from tests.fake_server import FakeTelegramServer
from tests.processes import (
    LEASE,
    RATE,
    STARTUP_TIMEOUT,
    TOKEN,
    BotProcess,
    bot_environment,
    delivery_env,
    prompts_per_chat,
    run_to_exit,
    running_bot,
    tally,
)
from tests.tcp_proxy import TcpProxy

pytestmark = pytest.mark.slow  # real processes


async def _scalar(url: str, statement: object) -> object:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.scalar(statement)  # type: ignore[call-overload]
    finally:
        await engine.dispose()


def kill_the_leader(
    server: FakeTelegramServer, first: BotProcess, second: BotProcess, people: range
) -> None:
    """``kill -9`` whichever of the two leads the jobs; the other must take over and prompt
    everyone, then stop cleanly."""
    leader, other = (first, second) if "now leads" in first.stderr else (second, first)
    assert "now leads" in leader.stderr
    assert "now leads" not in other.stderr  # one leader at a time
    leader.proc.kill()
    leader.proc.wait(timeout=10)
    server.wait_until(
        lambda: set(prompts_per_chat(server, people)) == set(people),
        timeout=STARTUP_TIMEOUT + LEASE + len(people) / RATE,
        abort=other.exited,
        describe=lambda: f"prompted: {sorted(prompts_per_chat(server, people))}",
    )
    assert "now leads" in other.stderr
    assert other.terminate() == 0, other.stderr[-3000:]
    assert "Traceback" not in other.stderr


def test_kill_9_in_the_middle_of_sending_loses_nothing_and_repeats_at_most_the_sends_in_flight(
    database_url: str, tmp_path: Path
) -> None:
    people = range(7000, 7030)
    asyncio.run(seed_due_users(database_url, len(people), people.start))
    with FakeTelegramServer(TOKEN) as server:
        env = delivery_env(database_url, server)
        with running_bot(env, tmp_path, "first") as bot:
            server.wait_until(
                lambda: sum(prompts_per_chat(server, people).values()) >= 8,
                timeout=STARTUP_TIMEOUT,
                abort=bot.exited,
            )
            bot.proc.kill()  # kill -9: no clean-up at all
            bot.proc.wait(timeout=10)
        sent_before = sum(prompts_per_chat(server, people).values())

        with running_bot(env, tmp_path, "second") as bot:
            server.wait_until(
                lambda: set(prompts_per_chat(server, people)) == set(people),
                timeout=STARTUP_TIMEOUT + LEASE + len(people) / RATE,
                abort=bot.exited,
                describe=lambda: f"prompted: {sorted(prompts_per_chat(server, people))}",
            )
            assert bot.terminate() == 0, bot.stderr[-3000:]
            assert "Traceback" not in bot.stderr

    _, lost, duplicates = tally(server, people)
    assert lost == 0
    # Sends are recorded within half a second of Telegram taking them: at most one burst of
    # the rate limiter (a second's sends) and those in flight can be repeated.
    assert duplicates <= RATE + 2, sent_before


def test_updates_fetched_before_a_kill_9_are_handled_once_after_the_restart(
    database_url: str, tmp_path: Path
) -> None:
    people = range(8000, 8024)
    unhandled = (
        select(func.count()).select_from(ReceivedUpdate).where(ReceivedUpdate.handled_at.is_(None))
    )
    with FakeTelegramServer(TOKEN) as server:
        # Replies paced at 2 a second: most updates are fetched (and confirmed to Telegram
        # by the next fetch) long before they are handled.
        env = delivery_env(database_url, server, TELEGRAM_MAX_MESSAGES_PER_SECOND="2")
        with running_bot(env, tmp_path, "first") as bot:
            server.wait_until(lambda: server.calls("getUpdates"), abort=bot.exited)
            for person in people:
                server.send_text(person, "/help")
            server.wait_until(
                lambda: not server.pending_updates() and server.sent_messages(people.start),
                timeout=STARTUP_TIMEOUT,
                abort=bot.exited,
            )
            bot.proc.kill()
            bot.proc.wait(timeout=10)
        assert server.pending_updates() == []  # Telegram would not send these again

        with running_bot(env, tmp_path, "second") as bot:
            server.wait_until(
                lambda: all(server.sent_messages(person) for person in people),
                timeout=STARTUP_TIMEOUT + len(people),
                abort=bot.exited,
            )
            server.wait_until(
                lambda: asyncio.run(_scalar(database_url, unhandled)) == 0, interval=0.2
            )
            # Polling again (not still starting up) before it is stopped.
            server.send_text(people.stop, "/help")
            server.wait_until(lambda: server.sent_messages(people.stop), abort=bot.exited)
            assert bot.terminate() == 0, bot.stderr[-3000:]

    # /help changes nothing, so a reply may repeat if the kill fell between sending it and
    # writing it down; never more than that.
    assert all(len(server.sent_messages(person)) <= 2 for person in people)


def test_taps_saved_before_a_kill_9_are_all_answered_after_the_restart(
    database_url: str, tmp_path: Path
) -> None:
    """The taps are handled and committed at once, but their edits wait behind the rate
    limiter (2 a second) when the process dies: at start, what was left is sent first, so
    every person sees the state their tap made, and nobody gets a new message twice."""
    people = range(9000, 9030)
    asyncio.run(seed_due_users(database_url, len(people), people.start))
    answers = select(func.count()).select_from(CheckinAnswer)
    with FakeTelegramServer(TOKEN) as server:
        fast = delivery_env(database_url, server, TELEGRAM_MAX_MESSAGES_PER_SECOND="0")
        with running_bot(fast, tmp_path, "prompts") as bot:
            server.wait_until(
                lambda: set(prompts_per_chat(server, people)) == set(people),
                timeout=STARTUP_TIMEOUT + len(people),
                abort=bot.exited,
            )
            assert bot.terminate() == 0, bot.stderr[-3000:]
        prompts = {person: server.newest_with_prefix(person, "ci:") for person in people}
        taps = mark = 0
        slow = delivery_env(database_url, server, TELEGRAM_MAX_MESSAGES_PER_SECOND="2")
        with running_bot(slow, tmp_path, "taps") as bot:
            server.wait_until(lambda: server.calls("getUpdates"), abort=bot.exited)
            mark = server.mark()
            for person, prompt in prompts.items():
                assert prompt is not None
                data = prompt["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
                server.press_button(person, data, message=prompt)
            server.wait_until(
                lambda: asyncio.run(_scalar(database_url, answers)) == len(people),
                timeout=STARTUP_TIMEOUT,
                interval=0.1,
                abort=bot.exited,
            )
            bot.proc.kill()  # kill -9, the taps saved, most of their edits still waiting
            bot.proc.wait(timeout=10)
            taps = len([e for e in server.calls("editMessageText", after=mark) if e.ok])
        assert taps < len(people) // 2, "the kill came too late to test anything"

        with running_bot(fast, tmp_path, "restart") as bot:

            def unanswered() -> list[int]:
                edited = {
                    int(e.params["chat_id"])
                    for e in server.calls("editMessageText", after=mark)
                    if e.ok or "not modified" in str(e.response.get("description"))
                }
                return [person for person in people if person not in edited]

            server.wait_until(
                lambda: not unanswered(),
                timeout=STARTUP_TIMEOUT + len(people),
                abort=bot.exited,
                describe=lambda: f"not answered: {unanswered()}",
            )
            # Polling again (not still starting up) before it is stopped.
            server.send_text(people.stop, "/help")
            server.wait_until(lambda: server.sent_messages(people.stop), abort=bot.exited)
            assert bot.terminate() == 0, bot.stderr[-3000:]
            assert "Traceback" not in bot.stderr, bot.stderr[-4000:]
    # A tap is answered by an edit: no new message, so none twice.
    assert all(server.sent_messages(person, after=mark) == [] for person in people)


# --- start-up, in one line ------------------------------------------------------------------


def _one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("secure-base:")]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def test_a_malformed_database_url_is_one_line(tmp_path: Path) -> None:
    env = bot_environment(DATABASE_URL="postgresql+asyncpg://bot:s3cret@db:port/base")

    result, elapsed = run_to_exit(env, tmp_path)

    assert result.returncode == 2
    line = _one_line(result.stderr)
    assert "DATABASE_URL is not a valid database URL" in line
    assert "s3cret" not in result.stderr
    assert elapsed < 10


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts connections and never says a word."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield listener.getsockname()[1]


def test_a_database_that_never_answers_is_one_line_within_seconds(
    tmp_path: Path, silent_server: int
) -> None:
    url = f"postgresql+asyncpg://bot:s3cret@127.0.0.1:{silent_server}/base"

    result, elapsed = run_to_exit(bot_environment(DATABASE_URL=url), tmp_path)

    assert result.returncode == 1
    line = _one_line(result.stderr)
    assert "did not answer within 10 s" in line
    assert "s3cret" not in result.stderr
    assert elapsed < 20


def test_a_database_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    asyncio.run(migrate_database(f"sqlite+aiosqlite:///{path}"))
    # Read-only, as a file the bot's user may not write (tests run as root, who may).
    url = f"sqlite+aiosqlite:///file:{path}?mode=ro&uri=true"

    result, _ = run_to_exit(bot_environment(DATABASE_URL=url), tmp_path)

    assert result.returncode == 1
    assert "cannot write to the database" in _one_line(result.stderr)


def test_a_bot_api_url_answering_404_does_not_blame_the_token(tmp_path: Path) -> None:
    with FakeTelegramServer(TOKEN) as server:
        env = bot_environment(
            DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
            TELEGRAM_BASE_URL=server.base_url.replace("/bot", "/wrong"),
        )
        result, _ = run_to_exit(env, tmp_path)

    assert result.returncode == 2
    line = _one_line(result.stderr)
    assert "404 Not Found" in line
    assert "TELEGRAM_BASE_URL" in line


def test_a_second_process_on_one_sqlite_file_is_refused_and_a_restart_is_not(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    with FakeTelegramServer(TOKEN) as server:
        env = delivery_env(url, server)
        with running_bot(env, tmp_path, "first") as bot:
            server.wait_until(lambda: server.calls("getUpdates"), abort=bot.exited)

            result, _ = run_to_exit(env, tmp_path)

            assert result.returncode == 1
            assert "only one process may use a SQLite database" in _one_line(result.stderr)
            bot.proc.kill()  # a crash: the guard goes with the process
            bot.proc.wait(timeout=10)
        with running_bot(env, tmp_path, "second") as bot:
            server.send_text(4242, "/help")
            server.wait_until(lambda: server.sent_messages(4242), abort=bot.exited)
            assert bot.terminate() == 0, bot.stderr[-3000:]


def test_jobs_only_process_sends_prompts_and_takes_no_updates(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    asyncio.run(migrate_database(url))
    people = range(9000, 9003)
    asyncio.run(seed_due_users(url, len(people), people.start))
    with FakeTelegramServer(TOKEN) as server:
        with running_bot(delivery_env(url, server, UPDATES="none"), tmp_path, "jobs") as bot:
            server.wait_until(
                lambda: set(prompts_per_chat(server, people)) == set(people),
                timeout=STARTUP_TIMEOUT,
                abort=bot.exited,
            )
            assert bot.terminate() == 0, bot.stderr[-3000:]
        assert server.calls("getUpdates") == []
    with sqlite3.connect(tmp_path / "bot.db") as db:
        assert db.execute("SELECT count(*) FROM checkins WHERE sent_at IS NOT NULL").fetchone() == (
            len(people),
        )


# --- several processes, and a database that goes away -----------------------------------


def _through(url: str, proxy: TcpProxy) -> str:
    return make_url(url).set(host="127.0.0.1", port=proxy.port).render_as_string(False)


@pytest.mark.parametrize("backend", ["postgresql"])
def test_the_job_leader_killed_mid_run_another_process_finishes_once(
    database_url: str, tmp_path: Path
) -> None:
    people = range(7500, 7530)
    asyncio.run(seed_due_users(database_url, len(people), people.start))
    with FakeTelegramServer(TOKEN) as server:
        env = delivery_env(database_url, server)
        with (
            running_bot(env, tmp_path, "poller") as poller,
            running_bot({**env, "UPDATES": "none"}, tmp_path, "jobs") as jobs,
        ):
            server.wait_until(
                lambda: sum(prompts_per_chat(server, people).values()) >= 8,
                timeout=STARTUP_TIMEOUT,
                abort=lambda: poller.exited() or jobs.exited(),
            )
            kill_the_leader(server, poller, jobs, people)

    _, lost, duplicates = tally(server, people)
    assert lost == 0
    assert duplicates <= RATE + 2


@pytest.mark.parametrize("backend", ["postgresql"])
def test_while_the_database_is_away_people_are_asked_to_try_again_and_the_log_says_so_once(
    database_url: str, tmp_path: Path
) -> None:
    person = 7700
    asyncio.run(seed_due_users(database_url, 1, person))
    target = make_url(database_url)
    assert target.port is not None
    with (
        TcpProxy(target.host or "127.0.0.1", target.port) as proxy,
        FakeTelegramServer(TOKEN) as server,
    ):
        env = delivery_env(_through(database_url, proxy), server, CHECKIN_GRACE_HOURS="0.001")
        with running_bot(env, tmp_path, "bot") as bot:
            mark = server.mark()
            server.send_text(person, "/settings")
            server.wait_for_message(
                person, "Your settings", after=mark, timeout=STARTUP_TIMEOUT, abort=bot.exited
            )

            proxy.cut()
            for _ in range(3):
                mark = server.mark()
                server.send_text(person, "/pause 3")
                server.wait_for_message(
                    person, "couldn't save that just now", after=mark, timeout=20, abort=bot.exited
                )

            proxy.restore()
            mark = server.mark()
            server.send_text(person, "/pause 3")
            server.wait_for_message(
                person, "paused", after=mark, timeout=STARTUP_TIMEOUT, abort=bot.exited
            )
            assert bot.terminate() == 0, bot.stderr[-3000:]

    log = bot.stderr
    assert "Traceback" not in log
    assert log.count("the database is unavailable") == 1, log[-3000:]
    assert log.count("the database is back") == 1, log[-3000:]


def test_thanks_saved_before_a_kill_9_reach_every_partner_after_the_restart(
    database_url: str, tmp_path: Path
) -> None:
    """Each of 12 people sends /thanks; the appreciations are committed at once, but their
    relays wait behind the rate limiter (2 a second) when the process dies. After the
    restart every partner has theirs; a partner who had it before the kill gets it again
    only if it was sent in the last moment before (in flight, or not yet crossed off)."""
    couples = 12
    first = 9500
    asyncio.run(seed_couples(database_url, couples, first))
    writers = [first + 2 * n for n in range(couples)]
    partners = {writer: writer + 1 for writer in writers}
    saved = select(func.count()).select_from(Appreciation)

    def relays(server: FakeTelegramServer) -> dict[int, int]:
        return {
            writer: sum(
                f"for the soup {writer}" in message.get("text", "")
                for message in server.sent_messages(partner)
            )
            for writer, partner in partners.items()
        }

    with FakeTelegramServer(TOKEN) as server:
        slow = delivery_env(database_url, server, TELEGRAM_MAX_MESSAGES_PER_SECOND="2")
        with running_bot(slow, tmp_path, "thanks") as bot:
            server.wait_until(
                lambda: server.calls("getUpdates"), timeout=STARTUP_TIMEOUT, abort=bot.exited
            )
            for writer in writers:
                server.send_text(writer, f"/thanks for the soup {writer}")
            server.wait_until(
                lambda: asyncio.run(_scalar(database_url, saved)) == couples,
                timeout=STARTUP_TIMEOUT,
                interval=0.1,
                abort=bot.exited,
            )
            bot.proc.kill()  # kill -9: the appreciations saved, most relays still waiting
            bot.proc.wait(timeout=10)
        before = relays(server)
        assert sum(before.values()) < couples // 2, "the kill came too late to test anything"

        fast = delivery_env(database_url, server, TELEGRAM_MAX_MESSAGES_PER_SECOND="0")
        with running_bot(fast, tmp_path, "restart") as bot:
            server.wait_until(
                lambda: all(relays(server).values()),
                timeout=STARTUP_TIMEOUT + couples,
                abort=bot.exited,
                describe=lambda: f"relays: {relays(server)}",
            )
            server.send_text(first - 1, "/help")  # polling again, not still starting up
            server.wait_until(lambda: server.sent_messages(first - 1), abort=bot.exited)
            assert bot.terminate() == 0, bot.stderr[-3000:]
            assert "Traceback" not in bot.stderr, bot.stderr[-4000:]

    after = relays(server)
    # Not reached before the kill: exactly once now.
    assert all(after[writer] == 1 for writer, count in before.items() if count == 0), after
    # Reached before: again at most for those sent in the last moment (the rate's second).
    assert sum(after[writer] - 1 for writer, count in before.items() if count) <= 2, after
