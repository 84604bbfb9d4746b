"""Several ``python -m bot`` processes in webhook mode on one PostgreSQL, over real HTTP.

The test plays Telegram's webhook side: it posts each update, with the secret, to the
instances in turn (round-robin), and sends a person's next update only once the request of
their previous one was answered, as Telegram does per chat. The Bot API the instances call is
:class:`~tests.fake_server.FakeTelegramServer`. Waits are on what can be observed (answers,
the fake's record, the database, a process exit), never a fixed sleep.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import socket
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.storage.models import ReceivedUpdate, User
from bot.web.server import SECRET_HEADER
from tests import updates
from tests.databases import seed_due_users
from tests.fake_server import FakeTelegramServer
from tests.harness import TEXTS
from tests.processes import (
    RATE,
    STARTUP_TIMEOUT,
    TOKEN,
    BotProcess,
    delivery_env,
    prompts_per_chat,
    running_bot,
    tally,
)
from tests.test_delivery_process import _scalar, kill_the_leader

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("backend", ["postgresql"])]

SECRET = "process-test_Secret-0123456789"
PATH = "/telegram"
PEOPLE = 30
CLOCK = re.compile(r"\b\d{1,2}:\d{2}\b")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def webhook_env(
    database_url: str, server: FakeTelegramServer, port: int, **extra: str
) -> dict[str, str]:
    return delivery_env(
        database_url,
        server,
        UPDATES="webhook",
        WEBHOOK_URL=f"http://127.0.0.1:{port}{PATH}",
        WEBHOOK_SECRET=SECRET,
        HTTP_PORT=str(port),
        **extra,
    )


class Instances:
    """The running instances, and Telegram's webhook side posting to them."""

    def __init__(self, server: FakeTelegramServer, bots: list[BotProcess], ports: list[int]):
        self.server = server
        self.bots = bots
        self.ports = ports
        self._turn = itertools.count()
        self._update_ids = itertools.count(1)
        self.answers: Counter[int] = Counter()

    def exited(self) -> str | None:
        for bot in self.bots:
            if (reason := bot.exited()) is not None:
                return reason
        return None

    def wait_ready(self) -> None:
        """Every instance answers /readyz 200 and has set its webhook."""

        async def all_ready() -> bool:
            async with aiohttp.ClientSession() as http:
                for port in self.ports:
                    try:
                        async with http.get(f"http://127.0.0.1:{port}/readyz") as response:
                            if response.status != 200:
                                return False
                    except aiohttp.ClientError:
                        return False
            return len(self.server.calls("setWebhook")) >= len(self.ports)

        self.server.wait_until(
            lambda: asyncio.run(all_ready()),
            timeout=STARTUP_TIMEOUT,
            interval=0.2,
            abort=self.exited,
        )

    def next_id(self) -> int:
        return next(self._update_ids)

    async def post(
        self, http: aiohttp.ClientSession, update: dict[str, Any], *, port: int | None = None
    ) -> int:
        """Post as Telegram: to the next instance in turn, with the secret; the status."""
        if port is None:
            port = self.ports[next(self._turn) % len(self.ports)]
        headers = {SECRET_HEADER: SECRET}
        async with http.post(
            f"http://127.0.0.1:{port}{PATH}", json=update, headers=headers
        ) as response:
            self.answers[response.status] += 1
            return response.status


def text_update(update_id: int, person: int, text: str) -> dict[str, Any]:
    message = updates.message(
        update_id * 10,
        int(time.time()),
        updates.private_chat(person, "Alex"),
        updates.user(person, "Alex"),
        **updates.text(text),
    )
    return {"update_id": update_id, "message": message}


def press_update(
    server: FakeTelegramServer, update_id: int, person: int, label: str
) -> dict[str, Any]:
    """A press on the newest button labelled ``label`` in ``person``'s chat."""
    with server.lock:
        data = next(
            button["callback_data"]
            for message in reversed(server.api.chat(person))
            for button in message.buttons
            if label in button["text"]
        )
    message = server.message_with_button(person, data)
    query = updates.callback_query(str(update_id), updates.user(person, "Alex"), data, message)
    return {"update_id": update_id, "callback_query": query}


def chat_length(server: FakeTelegramServer, person: int) -> int:
    with server.lock:
        return len(server.api.chat(person))


@pytest.fixture
def two_instances(
    database_url: str, tmp_path: Path
) -> Iterator[tuple[FakeTelegramServer, Instances]]:
    ports = [free_port(), free_port()]
    with FakeTelegramServer(TOKEN) as server, ExitStack() as stack:
        bots = [
            stack.enter_context(
                running_bot(
                    webhook_env(database_url, server, port, TELEGRAM_MAX_MESSAGES_PER_SECOND="0"),
                    tmp_path,
                    f"instance{n}",
                )
            )
            for n, port in enumerate(ports)
        ]
        instances = Instances(server, bots, ports)
        instances.wait_ready()
        yield server, instances
        for bot in bots:
            if bot.proc.poll() is None:
                assert bot.terminate() == 0, bot.stderr[-3000:]
            assert "Traceback" not in bot.stderr, bot.stderr[-3000:]
            bot.assert_token_never_printed()
            assert SECRET not in bot.stderr


def test_people_onboard_through_two_instances_each_update_once_and_in_order(
    two_instances: tuple[FakeTelegramServer, Instances], database_url: str
) -> None:
    server, instances = two_instances
    people = range(50_000, 50_000 + PEOPLE)
    posted: list[int] = []

    async def one_person(http: aiohttp.ClientSession, person: int) -> None:
        steps: list[Any] = [
            lambda n: text_update(n, person, "/start"),
            lambda n: press_update(server, n, person, TEXTS.onboarding.consent_yes_button),
            lambda n: text_update(n, person, "Berlin"),
            lambda n: text_update(n, person, "21:00"),
            lambda n: text_update(n, person, "/us"),
        ]
        for step in steps:
            before = chat_length(server, person)
            update = step(instances.next_id())
            posted.append(update["update_id"])
            assert await instances.post(http, update) == 200
            # Answered only once handled: the reply is already there.
            assert chat_length(server, person) > before, (person, update)
        # The same update reaching both instances (Telegram sending it again) counts once.
        again = text_update(instances.next_id(), person, "/help")
        posted.append(again["update_id"])
        before = chat_length(server, person)
        statuses = await asyncio.gather(
            *(instances.post(http, again, port=port) for port in instances.ports)
        )
        assert statuses == [200, 200]
        assert chat_length(server, person) == before + 1

    async def refused(http: aiohttp.ClientSession, person: int) -> list[int]:
        statuses = []
        for port, headers in zip(instances.ports, ({}, {SECRET_HEADER: "wrong"}), strict=True):
            update = text_update(instances.next_id(), person, "/start")
            async with http.post(
                f"http://127.0.0.1:{port}{PATH}", json=update, headers=headers
            ) as response:
                statuses.append(response.status)
        return statuses

    async def everyone() -> None:
        async with aiohttp.ClientSession() as http:
            assert await refused(http, people.stop) == [403, 403]
            await asyncio.gather(*(one_person(http, person) for person in people))

    asyncio.run(everyone())

    onboarded = asyncio.run(
        _scalar(database_url, select(func.count()).where(User.onboarded_at.is_not(None)))
    )
    handled = asyncio.run(
        _scalar(
            database_url,
            select(func.count())
            .select_from(ReceivedUpdate)
            .where(ReceivedUpdate.handled_at.is_not(None)),
        )
    )
    assert server.sent_messages(people.stop) == []  # the refused requests did nothing
    assert onboarded == PEOPLE
    assert handled == len(posted) == len(set(posted))
    # Everyone saw the same conversation: nothing doubled, nothing missing (the local clock
    # the zone reply shows may have moved on a minute between two people).
    with server.lock:
        chats = {
            person: [CLOCK.sub("HH:MM", m.text)[:40] for m in server.api.chat(person)]
            for person in people
        }
    typical = chats[people.start]
    assert all(chat == typical for chat in chats.values()), [
        *[chat for chat in chats.values() if chat != typical][:2],
        typical,
    ]
    # Both instances took their share.
    for bot in instances.bots:
        assert "taking updates from the webhook" in bot.stderr


def test_the_job_leader_killed_mid_dispatch_the_other_instance_finishes_once(
    database_url: str, tmp_path: Path
) -> None:
    people = range(7800, 7830)
    asyncio.run(seed_due_users(database_url, len(people), people.start))
    ports = [free_port(), free_port()]
    with FakeTelegramServer(TOKEN) as server, ExitStack() as stack:
        bots = [
            stack.enter_context(
                running_bot(webhook_env(database_url, server, port), tmp_path, f"jobs{n}")
            )
            for n, port in enumerate(ports)
        ]
        server.wait_until(
            lambda: sum(prompts_per_chat(server, people).values()) >= 8,
            timeout=STARTUP_TIMEOUT,
            abort=lambda: bots[0].exited() or bots[1].exited(),
        )
        kill_the_leader(server, bots[0], bots[1], people)
        # setWebhook at start, never deleteWebhook at the stop.
        assert len(server.calls("setWebhook")) == 2
        assert server.calls("deleteWebhook") == []

    _, lost, duplicates = tally(server, people)
    assert lost == 0
    assert duplicates <= RATE + 2
