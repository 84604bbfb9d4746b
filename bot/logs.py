"""Logging set-up that can never print the bot token."""

from __future__ import annotations

import logging
import sys

from bot.config import Settings

REDACTED = "[BOT_TOKEN]"


class RedactingFormatter(logging.Formatter):
    """Replaces secrets in the finished line, tracebacks included.

    Redacting the formatted text (not ``record.msg``) also catches the token inside URLs that
    libraries put into exception messages.
    """

    def __init__(self, fmt: str, secrets: list[str]) -> None:
        super().__init__(fmt)
        self._secrets = [secret for secret in secrets if secret]

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        for secret in self._secrets:
            line = line.replace(secret, REDACTED)
        return line


class _SkippedRunFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances" not in record.getMessage()


def configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        RedactingFormatter(
            "%(asctime)s %(levelname)s %(name)s: %(message)s",
            secrets=[settings.bot_token.get_secret_value()],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    # PTB's request layer, httpx, logs every request URL (with the token) at INFO.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # A long check-in run makes APScheduler skip the job's next start, with a warning each
    # time: expected (the run goes on), so not worth a line every interval.
    logging.getLogger("apscheduler.scheduler").addFilter(_SkippedRunFilter())
