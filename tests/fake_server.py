"""The fake Bot API over real HTTP on 127.0.0.1, for end-to-end runs of ``python -m bot``.

:class:`FakeTelegramServer` serves a :class:`~tests.telegram_fake.FakeBotApi` the way
api.telegram.org does: ``POST`` (or ``GET``) ``/bot<TOKEN>/<method>`` with a JSON,
form-urlencoded or multipart body, answered with JSON and the HTTP status the fake chose.
``getUpdates`` long-polls briefly, so a polling bot neither busy-loops nor waits long.

Only the standard library is used: a :class:`~http.server.ThreadingHTTPServer` in a background
thread, one lock (a :class:`threading.Condition`) around the not-thread-safe fake::

    with FakeTelegramServer(TOKEN) as server:
        env["TELEGRAM_BASE_URL"] = server.base_url  # http://127.0.0.1:PORT/bot
        ...
        server.send_text(4242, "/start")
        server.wait_for_message(4242, "Hi Alex")
"""

from __future__ import annotations

import contextlib
import email.parser
import email.policy
import hmac
import itertools
import json
import re
import socket
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests import updates
from tests.telegram_fake import CANONICAL_METHODS, FakeBotApi

# Parameters that are strings in the Bot API even when they look like JSON ("42", "[x]").
# Everything else arrives JSON-encoded from PTB (``RequestParameter.json_value``) and is decoded.
_STRING_PARAMETERS = frozenset(
    {
        "text", "caption", "parse_mode", "callback_query_id", "inline_message_id", "url",
        "description", "short_description", "name", "title", "query", "language_code",
        "emoji", "secret_token", "message_effect_id", "business_connection_id", "data",
        "file_id", "switch_pm_text", "switch_pm_parameter", "next_offset", "payload",
    }
)  # fmt: skip
_PATH = re.compile(r"^/bot(?P<token>[^/]*)/(?P<method>[A-Za-z0-9_]+)/?$")
_UNAUTHORIZED = {"ok": False, "error_code": 401, "description": "Unauthorized"}
_NOT_FOUND = {"ok": False, "error_code": 404, "description": "Not Found"}


@dataclass(frozen=True)
class Exchange:
    """One request the bot made over HTTP and what the fake answered."""

    method: str
    params: dict[str, Any]
    status: int
    response: dict[str, Any]

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.response.get("ok"))

    @property
    def result(self) -> Any:
        return self.response.get("result")


class _UnreadableRequestError(Exception):
    """The HTTP request itself could not be read (not a Bot API error of the fake)."""


def _decode_value(name: str, value: Any) -> Any:
    """Undo PTB's JSON encoding of non-string parameters (``"4242"`` -> 4242, markup -> dict)."""
    if not isinstance(value, str) or name in _STRING_PARAMETERS:
        return value
    try:
        decoded = json.loads(value)
    except ValueError:
        return value
    return decoded if isinstance(decoded, dict | list | bool | int | float) else value


def _decode_params(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    return {name: _decode_value(name, value) for name, value in pairs}


def _multipart_params(content_type: str, body: bytes) -> list[tuple[str, Any]]:
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise _UnreadableRequestError("Bad Request: malformed multipart/form-data body")
    pairs: list[tuple[str, Any]] = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        content = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename is not None:
            # A file upload: keep what a test could check, not the bytes.
            pairs.append(
                (
                    name,
                    {
                        "filename": filename,
                        "content_type": part.get_content_type(),
                        "size": len(content),
                    },
                )
            )
        else:
            charset = part.get_content_charset() or "utf-8"
            pairs.append((name, content.decode(charset)))
    return pairs


def parse_params(query: str, content_type: str, body: bytes) -> dict[str, Any]:
    """Bot API parameters from the query string and a JSON, urlencoded or multipart body."""
    pairs: list[tuple[str, Any]] = list(parse_qsl(query, keep_blank_values=True))
    media_type = content_type.split(";", 1)[0].strip().lower()
    if body.strip():
        if media_type == "application/json":
            try:
                data = json.loads(body.decode("utf-8"))
            except ValueError as exc:
                raise _UnreadableRequestError("Bad Request: can't parse JSON body") from exc
            if not isinstance(data, dict):
                raise _UnreadableRequestError("Bad Request: JSON body must be an object")
            pairs += data.items()
        elif media_type == "application/x-www-form-urlencoded":
            pairs += parse_qsl(body.decode("utf-8"), keep_blank_values=True)
        elif media_type == "multipart/form-data":
            pairs += _multipart_params(content_type, body)
        else:
            raise _UnreadableRequestError(
                f"Bad Request: unsupported content type {media_type or 'none'}"
            )
    return _decode_params(pairs)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as PTB's httpx pool expects
    # TCP_NODELAY: without it each reply's body waits ~40 ms for the client's delayed ACK of
    # its headers (Nagle), which would show in every latency figure of bench/.
    disable_nagle_algorithm = True
    server: _HttpServer

    def setup(self) -> None:
        super().setup()
        self.server.owner._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.owner._track(self.connection, add=False)

    def do_POST(self) -> None:
        self._serve()

    def do_GET(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        # Quiet: the request line contains the token, and pytest output should stay readable.
        return

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _serve(self) -> None:
        owner = self.server.owner
        url = urlsplit(self.path)
        try:
            body = self._read_body()
        except ValueError:
            self._reply(400, {"ok": False, "error_code": 400, "description": "Bad Request"})
            return
        match = _PATH.match(url.path)
        if match is None:
            self._reply(404, _NOT_FOUND)
            return
        if not hmac.compare_digest(match["token"].encode(), owner.token.encode()):
            with owner.lock:
                owner.unauthorized.append(match["method"])
            self._reply(401, _UNAUTHORIZED)
            return
        try:
            params = parse_params(url.query, self.headers.get("Content-Type") or "", body)
        except _UnreadableRequestError as exc:
            self._reply(400, {"ok": False, "error_code": 400, "description": str(exc)})
            return
        status, response = owner._dispatch(match["method"], params)
        self._reply(status, response)

    def _reply(self, status: int, response: dict[str, Any]) -> None:
        payload = json.dumps(response).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        self.wfile.flush()


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # The default backlog of 5 resets connections when a bot opens its pool (32 at once).
    request_queue_size = 1024

    def __init__(self, owner: FakeTelegramServer) -> None:
        self.owner = owner
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A killed bot leaves a long poll behind; answering it then fails. Not worth a traceback.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class FakeTelegramServer:
    """A :class:`FakeBotApi` on ``http://127.0.0.1:<ephemeral port>``.

    ``api`` may be read by tests, but only while holding :attr:`lock` once the bot runs; the
    helpers here do that themselves.
    """

    def __init__(
        self,
        token: str,
        api: FakeBotApi | None = None,
        *,
        max_long_poll: float = 1.0,
        keep_exchanges: bool = True,
        keep_messages: bool = True,
    ) -> None:
        """``keep_exchanges=False`` (benchmarks) keeps only :attr:`counts` and
        :attr:`refusals`, not every request; ``keep_messages=False`` also forgets each
        message once sent, so a long run's memory stays flat (nothing can be edited then)."""
        self.token = token
        self.api = api or FakeBotApi()
        self.max_long_poll = max_long_poll
        self.keep_exchanges, self.keep_messages = keep_exchanges, keep_messages
        self.lock = threading.Condition()
        self.exchanges: list[Exchange] = []
        # Every call by canonical method name, and each answer other than 200, kept or not.
        self.counts: Counter[str] = Counter()
        self.refusals: list[str] = []
        # Exceptions the fake raised (its own bugs, or parameters it could not read).
        self.errors: list[str] = []
        # Methods called with a wrong token (answered 401, not passed to the fake).
        self.unauthorized: list[str] = []
        self._update_ids = itertools.count(1)
        self._httpd: _HttpServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self._stopping = False

    # --- life cycle --------------------------------------------------------------------------

    def start(self) -> str:
        """Listen and serve in a background thread; returns :attr:`base_url`."""
        if self._httpd is not None:
            return self.base_url
        self._stopping = False
        self._httpd = _HttpServer(self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-telegram-server",
            daemon=True,
        )
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        """Stop serving, wake long polls and close every open (keep-alive) connection."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        with self.lock:
            self._stopping = True
            self.lock.notify_all()
        httpd.shutdown()
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by the client
                connection.shutdown(socket.SHUT_RDWR)
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeTelegramServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "start() the server first"
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """For ``TELEGRAM_BASE_URL``: PTB appends the token and ``/method``."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """For ``TELEGRAM_BASE_FILE_URL`` (file downloads are not served: 404)."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    def _track(self, connection: socket.socket, *, add: bool) -> None:
        with self._connections_lock:
            if add:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    # --- serving -----------------------------------------------------------------------------

    def _has_updates(self, offset: int) -> bool:
        return any(update["update_id"] >= offset for update in self.api.updates)

    def _dispatch(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.lock:
            if method.lower() == "getupdates":
                self._long_poll(params)
            try:
                status, response = self.api.handle(method, params)
            except Exception as exc:  # the fake could not cope: tell the bot and the test
                self.errors.append(f"{method}: {type(exc).__name__}: {exc}")
                status = 400 if isinstance(exc, KeyError | ValueError | TypeError) else 500
                description = "Bad Request" if status == 400 else "Internal Server Error"
                response = {
                    "ok": False,
                    "error_code": status,
                    "description": f"{description}: {type(exc).__name__}: {exc}",
                }
            self.counts[CANONICAL_METHODS.get(method.lower(), method)] += 1
            if status != 200:
                self.refusals.append(f"{method} {status}: {response.get('description')}")
            if self.keep_exchanges:
                self.exchanges.append(Exchange(method, params, status, response))
            else:
                self.api.calls.clear()
            if not self.keep_messages:
                self.api.messages.clear()
            self.lock.notify_all()
            return status, response

    def _long_poll(self, params: dict[str, Any]) -> None:
        """Wait (lock released) until an update at or after ``offset`` exists, briefly."""
        try:
            offset = int(params.get("offset") or 0)
            timeout = float(params.get("timeout") or 0)
        except (TypeError, ValueError):
            return  # let the fake answer the bad parameters
        deadline = time.monotonic() + min(max(timeout, 0.0), self.max_long_poll)
        while not self._stopping and not self._has_updates(offset):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            self.lock.wait(remaining)

    # --- what users do -----------------------------------------------------------------------

    def enqueue_update(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for ``getUpdates``; ``update_id`` is added unless given."""
        with self.lock:
            update = {"update_id": next(self._update_ids), **payload}
            self.api.updates.append(update)
            self.lock.notify_all()
            return update

    def send_text(self, user_id: int, text: str, *, first_name: str = "Alex") -> dict[str, Any]:
        """A private-chat message from ``user_id``; a leading ``/command`` gets its entity."""
        with self.lock:
            message_id = self.api.incoming_message(user_id)
        message = updates.message(
            message_id,
            int(time.time()),
            updates.private_chat(user_id, first_name),
            updates.user(user_id, first_name),
            **updates.text(text),
        )
        return self.enqueue_update({"message": message})

    def message_with_button(self, chat_id: int, callback_data: str) -> dict[str, Any]:
        """The newest message the bot has in ``chat_id`` (as it stands now) with that button."""
        with self.lock:
            for message in reversed(self.api.chat(chat_id)):
                if any(b.get("callback_data") == callback_data for b in message.buttons):
                    return self.api._message_json(message)
            texts = [message.text[:60] for message in self.api.chat(chat_id)]
        raise AssertionError(f"no button {callback_data!r} in chat {chat_id}; messages: {texts}")

    def newest_with_prefix(self, chat_id: int, prefix: str) -> dict[str, Any] | None:
        """The newest message in ``chat_id`` with a button whose data starts with ``prefix``."""
        with self.lock:
            for message in reversed(self.api.chat(chat_id)):
                if any(b.get("callback_data", "").startswith(prefix) for b in message.buttons):
                    return self.api._message_json(message)
        return None

    def press_button(
        self,
        user_id: int,
        callback_data: str,
        *,
        message: dict[str, Any] | None = None,
        first_name: str = "Alex",
    ) -> dict[str, Any]:
        """A tap on an inline button of ``message`` (default: the newest one that has it)."""
        target = message or self.message_with_button(user_id, callback_data)
        with self.lock:
            query_id = str(self.api.next_message_id())
        callback = updates.callback_query(
            query_id, updates.user(user_id, first_name), callback_data, target
        )
        return self.enqueue_update({"callback_query": callback})

    # --- what the bot did --------------------------------------------------------------------

    def mark(self) -> int:
        """A position in :attr:`exchanges`, for "only what happened after this" checks."""
        with self.lock:
            return len(self.exchanges)

    def calls(self, method: str, *, after: int = 0) -> list[Exchange]:
        with self.lock:
            return [e for e in self.exchanges[after:] if e.method.lower() == method.lower()]

    def sent_messages(self, chat_id: int, *, after: int = 0) -> list[dict[str, Any]]:
        """Messages successfully sent to ``chat_id`` (as Telegram returned them: visible text)."""
        return [
            exchange.result
            for exchange in self.calls("sendMessage", after=after)
            if exchange.ok and exchange.result["chat"]["id"] == chat_id
        ]

    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates the bot has not confirmed yet (``getUpdates`` with a higher offset)."""
        with self.lock:
            return list(self.api.updates)

    def wait_until(
        self,
        predicate: Callable[[], Any],
        *,
        timeout: float = 10.0,
        interval: float = 0.02,
        abort: Callable[[], str | None] | None = None,
        describe: Callable[[], str] | None = None,
    ) -> Any:
        """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds.

        ``abort`` is checked too and ends the wait early with its message (e.g. "the bot
        exited"); ``describe`` adds context to the failure.
        """
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            reason = abort() if abort is not None else None
            if reason is None and time.monotonic() >= deadline:
                reason = f"timed out after {timeout:.1f} s"
            if reason is not None:
                details = describe() if describe is not None else ""
                raise AssertionError(f"{reason}{'; ' if details else ''}{details}")
            with self.lock:
                self.lock.wait(interval)

    def wait_for_message(
        self,
        chat_id: int,
        *contains: str | re.Pattern[str],
        after: int = 0,
        timeout: float = 10.0,
        abort: Callable[[], str | None] | None = None,
    ) -> dict[str, Any]:
        """Wait for a ``sendMessage`` to ``chat_id`` whose text contains every ``contains``
        (a string, or a pattern that matches somewhere in it)."""

        def has(text: str, part: str | re.Pattern[str]) -> bool:
            return part in text if isinstance(part, str) else part.search(text) is not None

        def found() -> dict[str, Any] | None:
            for message in self.sent_messages(chat_id, after=after):
                if all(has(message.get("text", ""), part) for part in contains):
                    return message
            return None

        def describe() -> str:
            sent = [m.get("text", "")[:80] for m in self.sent_messages(chat_id, after=after)]
            with self.lock:
                failed = [
                    f"{e.method} {e.status} {e.response.get('description')}"
                    for e in self.exchanges[after:]
                    if not e.ok
                ]
                errors = list(self.errors)
            return (
                f"no message to {chat_id} containing {contains!r}; sent: {sent}; "
                f"failed calls: {failed}; fake errors: {errors}"
            )

        return self.wait_until(found, timeout=timeout, abort=abort, describe=describe)
