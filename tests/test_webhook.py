"""Webhook mode in-process: the bot's own web server in front of the real ``Application``,
with Telegram faked at the HTTP boundary (tests/telegram_fake.py).

Requests go over real HTTP on 127.0.0.1 to :class:`bot.web.server.BotWebServer`, as
Telegram's posts would; what the bot answers is read from the fake Bot API and the database.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from timezonefinder import TimezoneFinder

from bot.config import Settings
from bot.storage.models import ReceivedUpdate
from bot.views import callbacks
from bot.web.server import SECRET_HEADER, BotWebServer
from tests.harness import TEXTS, BotHarness, FakeClock, shown
from tests.tcp_proxy import TcpProxy
from tests.telegram_fake import FakeBotApi

SECRET = "w3bhook_Secret-for-tests"
PATH = "/telegram/hook"
PERSON = 987654321  # an id that must never appear in /metrics


def webhook_settings(settings: Settings, **changes: Any) -> Settings:
    return settings.model_copy(
        update={
            "updates": "webhook",
            "webhook_url": f"https://bot.example.org{PATH}",
            "webhook_secret": settings.bot_token.__class__(SECRET),
            "http_port": 0,
            **changes,
        }
    )


@dataclass
class Served:
    """The bot behind its web server, and an HTTP client posting to it as Telegram would."""

    harness: BotHarness
    server: BotWebServer
    http: aiohttp.ClientSession
    ids: itertools.count[int]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    async def post(
        self, body: bytes | dict[str, Any], *, secret: str | None = SECRET
    ) -> tuple[int, str]:
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers[SECRET_HEADER] = secret
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        async with self.http.post(self.url + PATH, data=data, headers=headers) as response:
            return response.status, await response.text()

    async def get(self, path: str) -> tuple[int, str]:
        async with self.http.get(self.url + path) as response:
            return response.status, await response.text()

    def typed(self, text_: str, person: int = PERSON) -> dict[str, Any]:
        """A new update: ``person`` typing ``text_``."""
        user = self.harness.user(person)
        return {"update_id": next(self.ids), **user.text_update(text_)}

    async def received(self) -> list[ReceivedUpdate]:
        return await self.harness.rows(ReceivedUpdate)


@pytest.fixture
async def served(
    settings: Settings, api: FakeBotApi, clock: FakeClock, zone_finder: TimezoneFinder
) -> AsyncIterator[Served]:
    config = webhook_settings(settings)
    async with BotHarness(config, api=api, clock=clock, zone_finder=zone_finder) as harness:
        assert harness.app is not None
        server = BotWebServer(config, port=0)
        await server.start(harness.app)
        try:
            async with aiohttp.ClientSession() as http:
                yield Served(harness, server, http, itertools.count(1000))
        finally:
            await server.stop()


def sent_texts(api: FakeBotApi, chat_id: int = PERSON) -> list[str]:
    return [message.text for message in api.chat(chat_id)]


async def test_an_update_is_answered_only_once_it_is_handled(
    served: Served, api: FakeBotApi
) -> None:
    status, _ = await served.post(served.typed("/help"))

    assert status == 200
    # Nothing to wait for: the reply went out before Telegram was answered.
    assert any(shown(TEXTS.help.text) in message for message in sent_texts(api))


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", SECRET + "x", SECRET[:-1]])
async def test_a_request_without_the_right_secret_is_refused_and_does_nothing(
    served: Served, api: FakeBotApi, secret: str | None
) -> None:
    before = len(api.calls)

    status, _ = await served.post(served.typed("/start"), secret=secret)

    assert status == 403
    assert api.calls[before:] == []
    assert await served.received() == []


async def test_the_same_update_sent_twice_is_handled_once(served: Served, api: FakeBotApi) -> None:
    update = served.typed("/help")

    first = await served.post(update)
    again = await served.post(update)

    assert (first[0], again[0]) == (200, 200)
    assert len(sent_texts(api)) == 1


async def test_the_same_update_sent_twice_at_once_is_handled_once(
    served: Served, api: FakeBotApi
) -> None:
    update = served.typed("/help")

    statuses = await asyncio.gather(served.post(update), served.post(update))

    assert [status for status, _ in statuses] == [200, 200]
    assert len(sent_texts(api)) == 1
    rows = await served.received()
    assert [(row.update_id, row.handled_at is not None) for row in rows] == [
        (update["update_id"], True)
    ]


@pytest.mark.parametrize(
    "body",
    [
        b"this is not json",
        b"\xff\xfe",
        b"[1, 2, 3]",
        b'{"message": {"text": "no update_id"}}',
        b'{"update_id": "7"}',
        b'{"update_id": 7, "message": "not an object"}',
        b'{"update_id": 7, "message": {"date": "never"}}',
        json.dumps({"update_id": 8, "padding": "x" * (2 * 1024 * 1024)}).encode(),
    ],
    ids=["text", "binary", "array", "no id", "id as text", "bad message", "bad fields", "huge"],
)
async def test_a_body_that_is_not_an_update_gets_400_and_the_bot_keeps_serving(
    served: Served, api: FakeBotApi, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    status, _ = await served.post(body)

    assert status == 400
    assert await served.received() == []
    refusals = [r for r in caplog.records if r.name.startswith("bot.web")]
    assert len(refusals) == 1
    assert "x" * 100 not in refusals[0].getMessage()
    status, _ = await served.post(served.typed("/help"))
    assert status == 200
    assert len(sent_texts(api)) == 1


async def test_healthz_and_readyz_answer_while_the_database_is_up(served: Served) -> None:
    assert (await served.get("/healthz"))[0] == 200
    assert await served.get("/readyz") == (200, "ready\n")


async def test_readyz_is_503_while_the_schema_is_not_the_newest(served: Served) -> None:
    async with served.harness.transaction() as session:
        head = await session.scalar(text("SELECT version_num FROM alembic_version"))
        await session.execute(text("UPDATE alembic_version SET version_num = 'older'"))

    status, reason = await served.get("/readyz")

    assert status == 503
    assert reason.count("\n") == 1
    assert "older" in reason
    assert str(head) in reason
    async with served.harness.transaction() as session:
        await session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})
    assert (await served.get("/readyz"))[0] == 200


async def test_metrics_show_every_family_and_no_chat_id(served: Served, api: FakeBotApi) -> None:
    await served.post(served.typed("/start"))
    await served.post(served.typed("/help"), secret="wrong")
    await served.post(b"not json")
    await served.post(served.typed("/help"))  # a turn: its reply goes after the commit
    api.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
    # "More commands" works without a turn (and the database): its send raises in the handler.
    more = served.harness.user(PERSON).press_update(f"{callbacks.MENU}:help_more")
    await served.post({"update_id": next(served.ids), **more})

    status, body = await served.get("/metrics")

    assert status == 200
    for family in (
        "secure_base_updates_total",
        "secure_base_update_handling_seconds_bucket",
        "secure_base_bot_api_calls_total",
        "secure_base_checkin_prompts_due",
        "secure_base_dispatch_lag_seconds_bucket",
        "secure_base_jobs_leader",
        "secure_base_webhook_requests_total",
    ):
        assert family in body, family
    assert 'secure_base_updates_total{kind="message",outcome="ok"} 2.0' in body
    # The reply to the person who blocked the bot raised in the handler (403).
    assert 'secure_base_updates_total{kind="callback_query",outcome="error"} 1.0' in body
    assert 'secure_base_bot_api_calls_total{method="sendMessage",result="403"} 1.0' in body
    assert 'secure_base_webhook_requests_total{status="403"} 1.0' in body
    assert 'secure_base_webhook_requests_total{status="400"} 1.0' in body
    assert str(PERSON) not in body


async def test_two_applications_keep_their_own_metrics(
    settings: Settings, zone_finder: TimezoneFinder
) -> None:
    async with (
        BotHarness(settings, zone_finder=zone_finder) as one,
        BotHarness(settings, zone_finder=zone_finder) as other,
    ):
        await one.feed_as_polled([one.user(5).text_update("/help")])
        assert one.app is not None
        assert other.app is not None
        first = one.app.bot_data.services.metrics.exposition().decode()
        second = other.app.bot_data.services.metrics.exposition().decode()
    assert 'secure_base_updates_total{kind="message",outcome="ok"} 1.0' in first
    assert 'kind="message"' not in second


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_readyz_is_503_while_the_database_is_unreachable_and_200_after(
    settings: Settings, api: FakeBotApi, clock: FakeClock, zone_finder: TimezoneFinder
) -> None:
    target = make_url(settings.database_url)
    assert target.port is not None
    with TcpProxy(target.host or "127.0.0.1", target.port) as proxy:
        through = target.set(host="127.0.0.1", port=proxy.port).render_as_string(False)
        config = webhook_settings(settings, database_url=through)
        async with BotHarness(config, api=api, clock=clock, zone_finder=zone_finder) as harness:
            assert harness.app is not None
            server = BotWebServer(config, port=0)
            await server.start(harness.app)
            try:
                async with aiohttp.ClientSession() as http:
                    ready = f"http://127.0.0.1:{server.port}/readyz"
                    async with http.get(ready) as response:
                        assert response.status == 200
                    proxy.cut()
                    async with http.get(ready) as response:
                        reason = await response.text()
                        assert response.status == 503
                    assert reason.startswith("not ready: the database")
                    assert reason.count("\n") == 1
                    proxy.restore()
                    async with http.get(ready) as response:
                        assert response.status == 200
            finally:
                await server.stop()


async def test_a_handler_error_is_still_acknowledged_and_counted(
    served: Served, api: FakeBotApi
) -> None:
    api.fail_next("sendMessage", 500, "Internal Server Error")

    status, _ = await served.post(served.typed("/help"))

    assert status == 200  # Telegram must not send it again: the error is the bot's
    assert served.harness.app is not None
    body = served.harness.app.bot_data.services.metrics.exposition().decode()
    assert 'secure_base_bot_api_calls_total{method="sendMessage",result="5xx"} 1.0' in body
