"""``UPDATES=webhook``: an ``Application`` without an ``Updater`` behind the bot's own server.

As PTB's custom-webhook examples, but the route awaits each update's handling before it
answers (see :mod:`bot.web.intake`). At start each instance calls ``setWebhook`` (several
doing so is harmless); ``deleteWebhook`` is never called, since other instances still serve.
SIGTERM or SIGINT: stop taking requests, finish those in flight, stop, exit.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from telegram import Update
from telegram.error import TelegramError

from bot.config import Settings
from bot.context import BotApplication
from bot.web.server import BotWebServer

logger = logging.getLogger(__name__)


class WebhookRefusedError(Exception):
    """Telegram refused ``setWebhook``; the message is one line for the operator."""


async def serve_webhook(
    application: BotApplication, settings: Settings, server: BotWebServer
) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await application.initialize()
    started = False
    try:
        if application.post_init is not None:
            await application.post_init(application)  # starts the server
        await _set_webhook(application, settings)
        await application.start()
        started = True
        logger.info("taking updates from the webhook %s", settings.webhook_url)
        await stop.wait()
        logger.info("stopping: answering the requests in flight")
        await server.stop()
    finally:
        await server.stop()
        if started:
            await application.stop()
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)


async def _set_webhook(application: BotApplication, settings: Settings) -> None:
    assert settings.webhook_url is not None and settings.webhook_secret is not None
    try:
        await application.bot.set_webhook(
            settings.webhook_url,
            secret_token=settings.webhook_secret.get_secret_value(),
            allowed_updates=Update.ALL_TYPES,
        )
    except TelegramError as error:
        raise WebhookRefusedError(
            f"Telegram refused the webhook {settings.webhook_url}: {error.message}"
        ) from None
