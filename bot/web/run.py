"""``UPDATES=webhook``: an ``Application`` without an ``Updater`` behind the bot's own server.

As PTB's custom-webhook examples, but the route awaits each update's handling before it
answers (see :mod:`bot.web.intake`). At start each instance calls ``setWebhook`` (several
doing so is harmless); ``deleteWebhook`` is never called, since other instances still serve.
SIGTERM or SIGINT: stop taking requests, finish those in flight, stop, exit.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from bot.config import Settings
from bot.context import BotApplication
from bot.lifecycle import run_until_signalled
from bot.web.server import BotWebServer

logger = logging.getLogger(__name__)


class WebhookRefusedError(Exception):
    """Telegram refused ``setWebhook``; the message is one line for the operator."""


async def serve_webhook(
    application: BotApplication, settings: Settings, server: BotWebServer
) -> None:
    """The server starts in ``post_init``; on SIGTERM it stops taking requests and finishes
    those in flight before the application stops."""

    async def stop_serving() -> None:
        logger.info("stopping: answering the requests in flight")
        await server.stop()

    await run_until_signalled(
        application,
        started=f"taking updates from the webhook {settings.webhook_url}",
        before_start=lambda: _set_webhook(application, settings),
        on_stop=stop_serving,
    )


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
