"""PTB's request layer on aiohttp: how every Bot API call leaves the process.

PTB talks HTTP through a replaceable ``BaseRequest``; its default, ``HTTPXRequest``, spends
most of a small bot's CPU time per call, and its connection pool grows dearer with every
request in flight. On the same fake Telegram (``bench/updates.py``) this class makes a call
for about a third of that CPU at 32 calls in flight and about two thirds one at a time, which
is the difference between keeping up with an evening's check-ins and queueing them.

It behaves as ``HTTPXRequest`` does where PTB can tell: the same default timeouts, the same
``TimedOut`` / ``NetworkError`` for failures, form-encoded parameters and multipart uploads,
an HTTP proxy from ``HTTPS_PROXY`` / ``HTTP_PROXY`` unless ``NO_PROXY`` names the host.
Differences: the proxy variables are read once, at start-up (aiohttp's own ``trust_env`` would
look them and ``~/.netrc`` up in a thread on every call); SOCKS proxies are not supported; and
aiohttp has no timeout for writing a request, so a write is bounded by the whole call's
deadline (the sum of the others).
"""

from __future__ import annotations

import re
import urllib.request
from typing import IO
from urllib.parse import urlencode, urlsplit

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput, UploadFileDict
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

# A Bot API URL holds the token ("…/bot<token>/method"); library errors may quote the URL.
_TOKEN_IN_URL = re.compile(r"/(bot|file/bot)[^/\s'\"]+")


def redact_url(text: str) -> str:
    """``text`` with any Bot API token in a URL replaced, for exception messages."""
    return _TOKEN_IN_URL.sub(r"/\1<token>", text)


class AiohttpRequest(BaseRequest):
    """A ``BaseRequest`` over one ``aiohttp.ClientSession`` with a bounded connection pool.

    Arguments mirror ``HTTPXRequest``'s, defaults included, so swapping one for the other
    changes speed, not behaviour.
    """

    __slots__ = (
        "_connect_timeout",
        "_connection_pool_size",
        "_media_write_timeout",
        "_pool_timeout",
        "_proxies",
        "_proxy_by_origin",
        "_read_timeout",
        "_session",
        "_write_timeout",
    )

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        if connection_pool_size < 1:
            raise ValueError("connection_pool_size must be at least 1")
        self._connection_pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[str, str] = {}
        self._proxy_by_origin: dict[str, str | None] = {}

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout; PTB adds it to ``getUpdates``' long-polling timeout."""
        return self._read_timeout

    async def initialize(self) -> None:
        # The session needs a running event loop, so it is made here rather than in __init__.
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connection_pool_size),
                headers={"User-Agent": self.USER_AGENT},
            )
            self._proxies = urllib.request.getproxies_environment()
            self._proxy_by_origin = {}

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")

        files = request_data.multipart_data if request_data else None
        read = _chosen(read_timeout, self._read_timeout)
        connect = _chosen(connect_timeout, self._connect_timeout)
        pool = _chosen(pool_timeout, self._pool_timeout)
        write = _chosen(write_timeout, self._media_write_timeout if files else self._write_timeout)
        timeout = aiohttp.ClientTimeout(
            total=_sum_or_none(read, write, connect, pool),
            # aiohttp's "connect" covers waiting for a free connection and opening one.
            connect=_sum_or_none(connect, pool),
            sock_connect=connect,
            sock_read=read,
        )
        body: aiohttp.FormData | bytes | None = None
        headers = None
        if request_data is not None:
            parameters = request_data.json_parameters
            if files:
                body = _multipart(parameters, files)
            else:
                # The bytes aiohttp would send for the dict, without the FormData (and the
                # multipart writer it makes for every call) it builds to get there.
                body = urlencode(parameters).encode()
                headers = _FORM_HEADERS

        try:
            async with session.request(
                method,
                url,
                data=body,
                headers=headers,
                timeout=timeout,
                proxy=self._proxy_for(url),
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            # aiohttp's ServerTimeoutError and ConnectionTimeoutError are TimeoutErrors too.
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(redact_url(f"aiohttp.{type(exc).__name__}: {exc}")) from exc

    def _proxy_for(self, url: str) -> str | None:
        """The proxy for ``url``'s server (looked up once per server: it is always Telegram's)."""
        path_starts = url.find("/", url.find("//") + 2)
        origin = url if path_starts == -1 else url[:path_starts]
        if origin not in self._proxy_by_origin:
            parts = urlsplit(origin)
            proxy = self._proxies.get(parts.scheme)
            if proxy and urllib.request.proxy_bypass_environment(
                parts.hostname or "", self._proxies
            ):
                proxy = None
            self._proxy_by_origin[origin] = proxy
        return self._proxy_by_origin[origin]


_FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}


def _chosen(given: ODVInput[float], default: float | None) -> float | None:
    return default if isinstance(given, DefaultValue) else given


def _sum_or_none(*timeouts: float | None) -> float | None:
    """One deadline for several phases; none if any phase may wait forever."""
    if any(timeout is None for timeout in timeouts):
        return None
    return sum(timeout for timeout in timeouts if timeout is not None)


def _multipart(parameters: dict[str, str], files: UploadFileDict) -> aiohttp.FormData:
    # quote_fields=False: file names go out as UTF-8, as httpx sends them, not %-encoded.
    form = aiohttp.FormData(quote_fields=False)
    for name, value in parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mime_type) in files.items():
        form.add_field(name, _file_bytes(content), filename=filename, content_type=mime_type)
    return form


def _file_bytes(content: bytes | IO[bytes]) -> bytes:
    """A file's bytes, leaving a file object open and where it was: aiohttp would close it
    after sending, and a retry (after a 429, say) must be able to send it again."""
    if isinstance(content, bytes):
        return content
    start = content.tell() if content.seekable() else None
    data = content.read()
    if start is not None:
        content.seek(start)
    return data
