"""The fake Telegram the benchmark's applications talk to: in-process, or over HTTP.

* :class:`InProcessTelegram`: a :class:`~tests.telegram_fake.FakeBotApi` behind a
  :class:`~tests.telegram_fake.FakeRequest` (PTB's ``BaseRequest``), in the benchmark's process.
* :class:`HttpTelegram`: :class:`~tests.fake_server.FakeTelegramServer` in a process of its own
  (``python -m bench._telegram TOKEN``, so it has its own GIL and, on a multi-core machine, its
  own core), reached through PTB's ``HTTPXRequest`` over real TCP connections on 127.0.0.1.
  The benchmark asks it about its state (newest message of a chat, calls so far, CPU time)
  through the process's stdin and stdout, one JSON line each way, between timed waves only.

Both answer the same questions, so the benchmark does not care which one it has.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from telegram.request import BaseRequest, HTTPXRequest

from bench._common import peak_rss_mb
from tests.telegram_fake import FakeBotApi, FakeRequest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# The application builder's own default for the request of Bot API calls is 256 connections;
# set explicitly so it stays above any --concurrency asked for.
HTTP_POOL_SIZE = 256
INPROCESS_BASE_URL = "http://127.0.0.1:9/bot"  # never contacted: FakeRequest answers
INPROCESS_BASE_FILE_URL = "http://127.0.0.1:9/file/bot"


@dataclass(frozen=True)
class Stats:
    """Totals of the fake Telegram so far."""

    calls: int
    # CPU seconds of the fake server's process (all its threads); None when in-process.
    server_cpu: float | None = None
    server_peak_rss_mb: float | None = None
    # Exceptions inside the fake and calls with a wrong token (both must stay empty).
    errors: tuple[str, ...] = ()


def newest_with_button(
    api: FakeBotApi, chat_ids: Iterable[int], button: str
) -> dict[int, dict[str, Any]]:
    """The JSON of each chat's newest bot message, which must carry a ``button`` button.

    One pass over all messages, newest first (a pass per chat would be quadratic).
    """
    wanted = set(chat_ids)
    found: dict[int, dict[str, Any]] = {}
    for message in reversed(api.messages.values()):
        if message.chat_id not in wanted or message.chat_id in found:
            continue
        if not any(item.get("callback_data") == button for item in message.buttons):
            raise RuntimeError(
                f"expected a {button!r} button in chat {message.chat_id}, got {message!r}"
            )
        found[message.chat_id] = api._message_json(message)
        if len(found) == len(wanted):
            break
    missing = wanted - found.keys()
    if missing:
        raise RuntimeError(f"the bot sent nothing to {len(missing)} chats, e.g. {min(missing)}")
    return found


class InProcessTelegram:
    """One :class:`FakeBotApi` per application, called directly by PTB's request layer."""

    base_url = INPROCESS_BASE_URL
    base_file_url = INPROCESS_BASE_FILE_URL

    def __init__(self) -> None:
        self.api = FakeBotApi()

    def request(self) -> BaseRequest:
        return FakeRequest(self.api)

    def newest_with_button(self, chat_ids: Iterable[int], button: str) -> dict[int, dict]:
        return newest_with_button(self.api, chat_ids, button)

    def stats(self) -> Stats:
        return Stats(calls=len(self.api.calls))


class HttpTelegram:
    """A handle on a ``FakeTelegramServer`` running in a child process."""

    def __init__(self, token: str) -> None:
        self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "bench._telegram", token],
            cwd=PROJECT_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        assert self._process.stdout is not None
        first = self._process.stdout.readline()
        if not first:
            raise RuntimeError("the fake Telegram server process did not start")
        self.base_url: str = json.loads(first)["base_url"]
        self.base_file_url = self.base_url.replace("/bot", "/file/bot")

    def request(self) -> BaseRequest:
        """PTB's standard HTTP layer (httpx, HTTP/1.1, keep-alive), as the builder makes it."""
        return HTTPXRequest(connection_pool_size=HTTP_POOL_SIZE)

    def _ask(self, **command: Any) -> Any:
        assert self._process.stdin is not None
        assert self._process.stdout is not None
        self._process.stdin.write(json.dumps(command) + "\n")
        self._process.stdin.flush()
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError("the fake Telegram server process went away")
        answer = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"fake Telegram server: {answer['error']}")
        return answer["result"]

    def newest_with_button(self, chat_ids: Iterable[int], button: str) -> dict[int, dict]:
        found = self._ask(op="newest", chats=list(chat_ids), button=button)
        return {int(chat_id): message for chat_id, message in found.items()}

    def stats(self) -> Stats:
        answer = self._ask(op="stats")
        return Stats(
            calls=answer["calls"],
            server_cpu=answer["cpu"],
            server_peak_rss_mb=answer["peak_rss_mb"],
            errors=tuple(answer["errors"]),
        )

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()


# --- the server process ----------------------------------------------------------------------


def serve(token: str) -> None:
    """Run a ``FakeTelegramServer`` and answer the benchmark's questions until stdin closes."""
    from tests import fake_server

    # Two settings of this process only, so that the fake behaves like a real server:
    # http.server writes a reply's headers and body in two send() calls; with Nagle's
    # algorithm on, the body then waits for the client's delayed ACK of the headers (about
    # 40 ms on Linux loopback). Telegram's servers do not make their clients wait like that, so
    # the fake's sockets get TCP_NODELAY, which asyncio (the client side) sets by default too.
    fake_server._Handler.disable_nagle_algorithm = True
    # socketserver listens with a backlog of 5: when 32 connections open at once, the kernel's
    # accept queue overflows and some of them are reset (httpx.ReadError in the bot).
    fake_server._HttpServer.request_queue_size = 1024

    with fake_server.FakeTelegramServer(token) as server:
        print(json.dumps({"base_url": server.base_url}), flush=True)
        for line in sys.stdin:
            command = json.loads(line)
            try:
                with server.lock:
                    if command["op"] == "newest":
                        found = newest_with_button(server.api, command["chats"], command["button"])
                        result: Any = {str(chat_id): found[chat_id] for chat_id in found}
                    elif command["op"] == "stats":
                        result = {
                            "calls": len(server.api.calls),
                            "cpu": time.process_time(),
                            "peak_rss_mb": peak_rss_mb(),
                            "errors": [*server.errors, *(f"401: {m}" for m in server.unauthorized)],
                        }
                    else:
                        raise ValueError(f"unknown op {command['op']!r}")
                answer = {"result": result}
            except Exception as exc:  # tell the benchmark instead of dying silently
                answer = {"error": f"{type(exc).__name__}: {exc}"}
            print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    serve(sys.argv[1])
