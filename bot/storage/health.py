"""The database being away is weather, not an error: which failures mean that, and saying so
once when it goes and once when it is back (not a traceback per update)."""

from __future__ import annotations

import logging

from sqlalchemy.exc import InterfaceError, OperationalError

logger = logging.getLogger(__name__)

# A server that is down, restarting or unreachable, a dropped connection, a SQLite file locked
# by another process beyond the busy timeout. Not among them: constraint violations and other
# errors in our own statements, which are bugs and must surface as such.
DATABASE_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    OSError,  # connection refused or reset, no route, a missing SQLite folder
    TimeoutError,
)


class DatabaseHealth:
    """Logs the transitions of the database's availability, each once."""

    def __init__(self) -> None:
        self.available_now = True

    def unavailable(self, error: BaseException) -> None:
        if self.available_now:
            logger.warning("the database is unavailable: %s", _one_line(error))
        self.available_now = False

    def available(self) -> None:
        if not self.available_now:
            logger.warning("the database is back")
        self.available_now = True


def _one_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip().splitlines()
    return text[0] if text else type(error).__name__
