"""Running an ``Application`` that has no ``Updater`` (webhook mode, jobs only) until SIGINT or
SIGTERM, in the order ``Application.run_polling`` keeps for the polling mode: initialize,
``post_init``, start; on a signal stop, shutdown, ``post_shutdown``."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable

from bot.context import BotApplication

logger = logging.getLogger(__name__)

Step = Callable[[], Awaitable[None]]


async def run_until_signalled(
    application: BotApplication,
    *,
    started: str,
    before_start: Step | None = None,
    on_stop: Step | None = None,
) -> None:
    """``before_start`` runs after ``post_init`` (e.g. ``setWebhook``); ``on_stop`` runs first
    when stopping, also after a failure (e.g. stop taking requests, finish those in flight).
    ``started`` is logged once the application runs."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await application.initialize()
    running = False
    try:
        if application.post_init is not None:
            await application.post_init(application)
        if before_start is not None:
            await before_start()
        await application.start()
        running = True
        logger.info("%s", started)
        await stop.wait()
    finally:
        if on_stop is not None:
            await on_stop()
        if running:
            await application.stop()
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)
