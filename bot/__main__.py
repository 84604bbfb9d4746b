"""``python -m bot``: check the settings and content, migrate the database, then poll."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from sqlalchemy.engine import make_url
from telegram import Bot, Update
from telegram.error import InvalidToken, NetworkError

from bot.app import build_application, load_content
from bot.config import Settings, SettingsError, load_settings
from bot.content import ContentError
from bot.logs import configure_logging
from bot.storage.migrate import migrate_database

EXIT_CONFIG = 2
EXIT_RUNTIME = 1
logger = logging.getLogger("bot")


def _fail(message: str, status: int) -> int:
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


def main() -> int:
    try:
        settings = load_settings()
        content = load_content()
    except (SettingsError, ContentError) as exc:
        return _fail(str(exc), EXIT_CONFIG)
    configure_logging(settings)
    safe_url = make_url(settings.database_url).render_as_string(hide_password=True)
    try:
        asyncio.run(migrate_database(settings.database_url))
    except Exception as exc:  # any driver error: say which database, not a traceback
        return _fail(f"cannot prepare the database {safe_url}: {exc}", EXIT_RUNTIME)
    logger.info("database %s is at the newest schema", safe_url)
    try:
        username = asyncio.run(_check_token(settings))
    except InvalidToken:
        return _fail(
            "Telegram rejected BOT_TOKEN: check it with @BotFather (/mybots → API Token).",
            EXIT_CONFIG,
        )
    except NetworkError as exc:
        return _fail(f"cannot reach {settings.telegram_base_url}: {exc}", EXIT_RUNTIME)
    logger.info("starting as @%s", username)

    application = build_application(settings, content=content)
    # From here on network trouble is retried by PTB (start-up included) instead of exiting.
    application.run_polling(
        allowed_updates=Update.ALL_TYPES,
        stop_signals=(signal.SIGINT, signal.SIGTERM),
        bootstrap_retries=-1,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
