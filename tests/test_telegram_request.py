"""``AiohttpRequest``, the bot's way to the Bot API, over real HTTP on 127.0.0.1.

What a user would notice if it were wrong: a message that arrives garbled or without its
buttons, an /export file that never arrives, a blocked partner or a rate limit that is not
recognised as such, a bot that hangs on a silent server, or a token in an error message.
"""

from __future__ import annotations

import asyncio
import io
import json
import time
from collections.abc import AsyncIterator, Iterator

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.constants import ParseMode
from telegram.error import Forbidden, NetworkError, RetryAfter, TimedOut

from bot.telegram_request import AiohttpRequest, redact_url
from tests.fake_server import FakeTelegramServer
from tests.harness import TEST_TOKEN

CHAT_ID = 4242
TOKEN_SECRET = TEST_TOKEN.split(":", 1)[1]


@pytest.fixture
def server() -> Iterator[FakeTelegramServer]:
    with FakeTelegramServer(TEST_TOKEN) as running:
        yield running


def make_bot(base_url: str, request: AiohttpRequest | None = None) -> Bot:
    return Bot(TEST_TOKEN, base_url=base_url, request=request or AiohttpRequest())


def clear_proxy_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for scheme in ("http", "https", "all", "no"):
        for name in (f"{scheme}_proxy", f"{scheme.upper()}_PROXY"):
            monkeypatch.delenv(name, raising=False)


@pytest.fixture
async def silent_port() -> AsyncIterator[int]:
    """A server that accepts connections and never answers."""
    held: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    listener = await asyncio.start_server(hold, "127.0.0.1", 0)
    try:
        yield listener.sockets[0].getsockname()[1]
    finally:
        for writer in held:
            writer.close()
        listener.close()
        await listener.wait_closed()


async def test_text_markup_and_unicode_arrive_as_sent(server: FakeTelegramServer) -> None:
    text = "Tonight, <b>Sam</b>: did you turn toward a bid? ❤️ — ça va"
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="checkin:1:yes")]])
    async with make_bot(server.base_url) as bot:
        sent = await bot.send_message(CHAT_ID, text, parse_mode=ParseMode.HTML, reply_markup=markup)

    assert sent.text == "Tonight, Sam: did you turn toward a bid? ❤️ — ça va"
    (call,) = server.calls("sendMessage")
    assert call.params["text"] == text
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "checkin:1:yes"


async def test_a_file_upload_arrives_whole(server: FakeTelegramServer) -> None:
    export = json.dumps({"notes": ["x" * 50_000]}).encode()
    async with make_bot(server.base_url) as bot:
        await bot.send_document(
            CHAT_ID, document=export, filename="secure-base-export.json", caption="Your data"
        )

    (call,) = server.calls("sendDocument")
    assert call.ok
    assert call.params["caption"] == "Your data"
    assert call.params["document"]["filename"] == "secure-base-export.json"
    assert call.params["document"]["size"] == len(export)


async def test_a_file_handle_can_be_sent_again_with_its_name_intact(
    server: FakeTelegramServer,
) -> None:
    # A retry (after a 429) sends the same request data again: the handle must survive.
    handle = io.BytesIO(b"x" * 2_000)
    upload = InputFile(handle, filename="semaine d'été.json", read_file_handle=False)
    async with make_bot(server.base_url) as bot:
        await bot.send_document(CHAT_ID, document=upload)
        await bot.send_document(CHAT_ID, document=upload)

    calls = server.calls("sendDocument")
    assert [call.ok for call in calls] == [True, True]
    assert [call.params["document"]["size"] for call in calls] == [2_000, 2_000]
    assert calls[0].params["document"]["filename"] == "semaine d'été.json"
    assert not handle.closed


async def test_telegram_refusals_become_ptb_errors(server: FakeTelegramServer) -> None:
    server.api.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
    server.api.fail_next("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)
    async with make_bot(server.base_url) as bot:
        with pytest.raises(Forbidden, match="blocked"):
            await bot.send_message(CHAT_ID, "hello")
        with pytest.raises(RetryAfter) as raised:
            await bot.send_message(CHAT_ID, "hello")
    assert "Retry in 7 seconds" in str(raised.value)


async def test_unreachable_api_is_a_network_error_without_the_token() -> None:
    # Port 9 (discard) on loopback: nothing listens there.
    bot = make_bot("http://127.0.0.1:9/bot")
    with pytest.raises(NetworkError) as raised:
        await bot.initialize()
    await bot.shutdown()
    assert not isinstance(raised.value, TimedOut)
    assert TOKEN_SECRET not in str(raised.value)
    assert "aiohttp." in str(raised.value)


async def test_a_silent_server_times_out_instead_of_hanging(silent_port: int) -> None:
    request = AiohttpRequest(read_timeout=0.3)
    await request.initialize()
    started = time.monotonic()
    try:
        with pytest.raises(TimedOut):
            await request.post(f"http://127.0.0.1:{silent_port}/bot{TEST_TOKEN}/getMe")
    finally:
        await request.shutdown()
    assert time.monotonic() - started < 3


async def test_a_full_pool_times_out_without_sending(silent_port: int) -> None:
    request = AiohttpRequest(
        connection_pool_size=1, read_timeout=5, connect_timeout=0.2, pool_timeout=0.2
    )
    await request.initialize()
    url = f"http://127.0.0.1:{silent_port}/bot{TEST_TOKEN}/getMe"
    hanging = asyncio.create_task(request.post(url))
    try:
        await asyncio.sleep(0.1)  # the one connection is now taken
        started = time.monotonic()
        with pytest.raises(TimedOut):
            await request.post(url)
        assert time.monotonic() - started < 3
    finally:
        hanging.cancel()
        await asyncio.gather(hanging, return_exceptions=True)
        await request.shutdown()


async def test_use_before_initialize_is_refused_and_shutdown_twice_is_harmless() -> None:
    request = AiohttpRequest()
    with pytest.raises(NetworkError, match="not initialized"):
        await request.post(f"http://127.0.0.1:9/bot{TEST_TOKEN}/getMe")
    await request.initialize()
    await request.shutdown()
    await request.shutdown()
    # A shut-down request can be initialized again, as PTB's Application does on restart.
    await request.initialize()
    await request.shutdown()


def test_tokens_in_urls_are_redacted() -> None:
    message = (
        f"Cannot connect to http://api.example/bot{TEST_TOKEN}/sendMessage and "
        f"http://api.example/file/bot{TEST_TOKEN}/photos/1.jpg"
    )
    redacted = redact_url(message)
    assert TOKEN_SECRET not in redacted
    assert "/bot<token>/sendMessage" in redacted
    assert "/file/bot<token>/photos" in redacted


async def test_an_http_proxy_from_the_environment_is_used(
    server: FakeTelegramServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The fake server stands in for the proxy: it is only reachable through it.
    clear_proxy_variables(monkeypatch)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{server.port}")
    async with make_bot("http://api.telegram.invalid/bot") as bot:
        await bot.send_message(CHAT_ID, "through the proxy")
    assert [call.params["text"] for call in server.calls("sendMessage")] == ["through the proxy"]


async def test_no_proxy_hosts_are_reached_directly(
    server: FakeTelegramServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    clear_proxy_variables(monkeypatch)
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens: must be bypassed
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    async with make_bot(server.base_url) as bot:
        await bot.send_message(CHAT_ID, "direct")
    assert [call.params["text"] for call in server.calls("sendMessage")] == ["direct"]
