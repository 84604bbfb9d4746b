"""The bot, started by ``python -m bot`` once its settings and content are loaded: check the
database, migrate, then poll (or, with ``UPDATES=webhook``, serve Telegram's webhook posts;
with ``UPDATES=none``, run the periodic jobs only). The bot's HTTP server (/healthz, /readyz,
/metrics) runs in webhook mode, and in the others when ``HTTP_PORT`` is set."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from typing import TYPE_CHECKING

from telegram import Bot, Update
from telegram.error import InvalidToken, NetworkError, TelegramError

from bot.app import build_application
from bot.config import Settings
from bot.context import BotApplication
from bot.lifecycle import run_until_signalled
from bot.logs import configure_logging
from bot.services.content import Content
from bot.storage.startup import (
    DatabaseUnusableError,
    hold_sqlite_file,
    prepare_database,
    safe_url,
)

if TYPE_CHECKING:
    from bot.web.server import BotWebServer

EXIT_CONFIG = 2
EXIT_RUNTIME = 1
logger = logging.getLogger("bot")


def fail(message: str, status: int) -> int:
    """One line on stderr for the operator, and the exit status."""
    print(f"secure-base: {message}", file=sys.stderr)
    return status


async def _check_token(settings: Settings) -> str:
    """Ask the Bot API who we are, so a bad token or an unreachable server is one clear line
    here rather than a traceback from inside the polling loop."""
    bot = Bot(
        settings.bot_token.get_secret_value(),
        base_url=settings.telegram_base_url,
        base_file_url=settings.telegram_base_file_url,
    )
    async with bot:
        return bot.username


def _serve_webhook(
    application: BotApplication, settings: Settings, server: BotWebServer
) -> str | None:
    """Serve Telegram's webhook posts until SIGINT or SIGTERM; why Telegram refused the
    webhook, if it did."""
    from bot.web.run import WebhookRefusedError, serve_webhook

    try:
        asyncio.run(serve_webhook(application, settings, server))
    except WebhookRefusedError as exc:
        return str(exc)
    return None


async def run_jobs_only(application: BotApplication) -> None:
    """``UPDATES=none``: the periodic jobs without taking updates, until SIGINT or SIGTERM
    (next to another process that polls)."""
    await run_until_signalled(application, started="running the periodic jobs only (UPDATES=none)")


def launch(settings: Settings, content: Content) -> int:
    """Run the bot until it is stopped; the exit status."""
    configure_logging(settings)
    try:
        # Held (open) until the process ends: one process per SQLite file.
        guard = hold_sqlite_file(settings.database_url)
        asyncio.run(prepare_database(settings.database_url))
    except DatabaseUnusableError as exc:
        return fail(str(exc), EXIT_RUNTIME)
    logger.info("database %s is at the newest schema", safe_url(settings.database_url))
    try:
        username = asyncio.run(_check_token(settings))
    except InvalidToken as exc:
        # PTB re-raises getMe's refusal as "token rejected"; the server's own words are inside.
        answer = exc.__cause__ if isinstance(exc.__cause__, TelegramError) else exc
        if "not found" in answer.message.lower():
            return fail(
                f"{settings.telegram_base_url} answered 404 Not Found: check "
                "TELEGRAM_BASE_URL (it ends in /bot, e.g. https://api.telegram.org/bot) "
                "and BOT_TOKEN.",
                EXIT_CONFIG,
            )
        return fail(
            "Telegram rejected BOT_TOKEN: check it with @BotFather (/mybots → API Token).",
            EXIT_CONFIG,
        )
    except NetworkError as exc:
        return fail(f"cannot reach {settings.telegram_base_url}: {exc}", EXIT_RUNTIME)
    logger.info("starting as @%s", username)

    server: BotWebServer | None = None
    if settings.server_port is not None:
        # Imported only by a process that serves HTTP: aiohttp and the Mini App's API are
        # ~17 MB of resident memory that polling without HTTP_PORT (the default) never uses.
        from bot.web.server import BotWebServer

        server = BotWebServer(settings)
    application = build_application(settings, content=content, server=server)
    try:
        if settings.updates == "webhook":
            assert server is not None
            if (refused := _serve_webhook(application, settings, server)) is not None:
                return fail(refused, EXIT_CONFIG)
        elif settings.updates == "none":
            asyncio.run(run_jobs_only(application))
        else:
            # From here on network trouble is retried by PTB (start-up included), not fatal.
            application.run_polling(
                allowed_updates=Update.ALL_TYPES,
                stop_signals=(signal.SIGINT, signal.SIGTERM),
                bootstrap_retries=-1,
            )
    except OSError as exc:
        if server is None or not server.failed_to_listen:
            raise
        where = f"{settings.http_host}:{settings.server_port}"
        problem = f"cannot listen on {where} (HTTP_HOST, HTTP_PORT): {exc.strerror}"
        return fail(problem, EXIT_RUNTIME)
    if guard is not None:
        guard.close()
    return 0
