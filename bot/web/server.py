"""The aiohttp server of one bot instance: the webhook route, ``/healthz``, ``/readyz``,
``/metrics``, and the Mini App's page and API under ``/app/`` (:mod:`bot.web.mini_app`).

Started with the application and stopped before it (SIGTERM): the listening socket closes
first, so nothing new comes in; requests in flight are answered; then updates still being
handled after their request was answered at the cap are awaited (:meth:`UpdateIntake.drain`).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging

from aiohttp import web
from telegram import Update

from bot.config import Settings
from bot.context import BotApplication
from bot.metrics import CONTENT_TYPE
from bot.storage.health import one_line
from bot.storage.migrate import current_revision, head_revision
from bot.web.intake import Outcome, UpdateIntake
from bot.web.mini_app import MiniApp

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header's name)
# Telegram's updates are a few kB; anything near this is not one.
MAX_BODY_BYTES = 1024 * 1024
# /readyz gives the database this long to answer.
READY_TIMEOUT_SECONDS = 3.0
# On SIGTERM, requests in flight get this long to be answered.
SHUTDOWN_TIMEOUT_SECONDS = 25.0


class NotAnUpdateError(ValueError):
    """The body of a webhook request is not a Telegram update (the reason is safe to log)."""


def parse_update(body: bytes, application: BotApplication) -> Update:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise NotAnUpdateError("not JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
        raise NotAnUpdateError("not an update (no update_id)")
    try:
        return Update.de_json(data, application.bot)
    except (KeyError, TypeError, ValueError, AttributeError):
        raise NotAnUpdateError("not an update (fields of the wrong shape)") from None


class BotWebServer:
    """Serves one application on ``HTTP_HOST:HTTP_PORT`` (``port=0`` in tests: any free one)."""

    def __init__(self, settings: Settings, *, port: int | None = None) -> None:
        self.settings = settings
        self.port = settings.server_port if port is None else port
        self._application: BotApplication | None = None
        self._intake: UpdateIntake | None = None
        self._runner: web.AppRunner | None = None
        # Set when the address could not be bound (main() says so in one line).
        self.failed_to_listen = False
        self._head = head_revision()
        secret = settings.webhook_secret
        self._secret = secret.get_secret_value().encode() if secret is not None else None
        # The Mini App's page and API (/app/): served whenever the server runs.
        self.mini_app = MiniApp(settings, lambda: self._application)

    @property
    def webhook(self) -> bool:
        return self.settings.updates == "webhook"

    def web_app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/readyz", self.readyz)
        app.router.add_get("/metrics", self.metrics)
        if self.webhook:
            app.router.add_post(self.settings.webhook_path, self.take_update)
        self.mini_app.add_routes(app)
        return app

    async def start(self, application: BotApplication) -> None:
        """Listen (raises ``OSError`` if the address is taken)."""
        if self._runner is not None or self.port is None:
            return
        self._application = application
        self._intake = UpdateIntake(application)
        runner = web.AppRunner(
            self.web_app(), access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT_SECONDS
        )
        await runner.setup()
        site = web.TCPSite(runner, self.settings.http_host, self.port)
        try:
            await site.start()
        except OSError:
            self.failed_to_listen = True
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = self.bound_port() or self.port
        paths = (
            "the webhook, /healthz, /readyz, /metrics, the Mini App (/app/)"
            if self.webhook
            else ("/healthz, /readyz, /metrics, the Mini App (/app/)")
        )
        logger.info("serving %s on %s:%s", paths, self.settings.http_host, self.port)

    def bound_port(self) -> int | None:
        if self._runner is None:
            return None
        for address in self._runner.addresses:
            if isinstance(address, tuple):
                return int(address[1])
        return None

    async def stop(self) -> None:
        """Stop taking requests, answer those in flight, finish updates still handled."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        await runner.cleanup()
        if self._intake is not None:
            await self._intake.drain()

    # --- routes -------------------------------------------------------------------------------

    async def healthz(self, request: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def readyz(self, request: web.Request) -> web.Response:
        reason = await self.not_ready()
        if reason is None:
            return web.Response(text="ready\n")
        return web.Response(status=503, text=f"not ready: {reason}\n")

    async def not_ready(self) -> str | None:
        """Why this instance should not be sent traffic, in one line; ``None`` if it is ready."""
        application = self._application
        if application is None:
            return "starting"
        try:
            services = application.bot_data.services
        except RuntimeError:
            return "starting or stopping"
        try:
            async with asyncio.timeout(READY_TIMEOUT_SECONDS), services.engine.connect() as db:
                revision = await current_revision(db)
        except TimeoutError:
            return f"the database did not answer within {READY_TIMEOUT_SECONDS:.0f} s"
        except Exception as error:
            return f"the database is unavailable: {one_line(error)}"
        if revision != self._head:
            return f"the database schema is at {revision}, not at the newest ({self._head})"
        return None

    async def metrics(self, request: web.Request) -> web.Response:
        application = self._application
        if application is None:
            return web.Response(status=503, text="starting\n")
        try:
            body = application.bot_data.services.metrics.exposition()
        except RuntimeError:
            return web.Response(status=503, text="starting or stopping\n")
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})

    async def take_update(self, request: web.Request) -> web.Response:
        application, intake = self._application, self._intake
        assert application is not None and intake is not None and self._secret is not None
        metrics = application.bot_data.services.metrics
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            metrics.webhook_requests.labels("403").inc()
            logger.warning("webhook: refused a request without the right secret token")
            return web.Response(status=403, text="forbidden\n")
        try:
            if (request.content_length or 0) > MAX_BODY_BYTES:
                raise NotAnUpdateError("too large")
            try:
                body = await request.read()
            except web.HTTPRequestEntityTooLarge:
                raise NotAnUpdateError("too large") from None
            update = parse_update(body, application)
        except NotAnUpdateError as error:
            metrics.webhook_requests.labels("400").inc()
            logger.warning("webhook: refused a request: %s", error)
            return web.Response(status=400, text=f"bad request: {error}\n")
        outcome = await intake.take(update)
        if outcome is Outcome.BUSY_ELSEWHERE:
            # Telegram tries again later; by then it is handled (skipped) or taken over.
            metrics.webhook_requests.labels("503").inc()
            return web.Response(status=503, text="being handled elsewhere\n")
        metrics.webhook_requests.labels("200").inc()
        return web.Response(text="ok\n")
