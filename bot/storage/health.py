"""The database being away is weather, not an error: which failures mean that, and saying so
once when it goes and once when it is back (not a traceback per update)."""

from __future__ import annotations

import logging

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

logger = logging.getLogger(__name__)

# PostgreSQL's codes for "not now": connection problems (class 08), the server shutting down or
# starting up (57P01-57P03), too many connections (53300), and a transaction the server chose
# to end so another could go on (40001 serialization failure, 40P01 deadlock): the same
# statements succeed when tried again.
_UNAVAILABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03", "53300", "40001", "40P01")
# SQLite's words for "not now": another process holds the lock, the file cannot be opened.
_UNAVAILABLE_SQLITE = ("database is locked", "database is busy", "unable to open", "disk i/o")


def is_outage(error: BaseException) -> bool:
    """Whether ``error`` means the database is unreachable or busy for now (try again later),
    as opposed to a mistake in a statement, which is a bug and must surface as one."""
    if isinstance(error, OSError | TimeoutError | PoolTimeoutError):
        return True
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    original = error.orig
    if isinstance(original, OSError | TimeoutError):
        return True
    sqlstate = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    if isinstance(sqlstate, str) and sqlstate.startswith(_UNAVAILABLE_SQLSTATES):
        return True
    message = str(original).lower()
    return any(words in message for words in _UNAVAILABLE_SQLITE) or (
        "connection" in message and ("closed" in message or "refused" in message)
    )


class DatabaseHealth:
    """Logs the transitions of the database's availability, each once."""

    def __init__(self) -> None:
        self.available_now = True

    def unavailable(self, error: BaseException) -> None:
        if self.available_now:
            logger.warning("the database is unavailable: %s", one_line(error))
        self.available_now = False

    def available(self) -> None:
        if not self.available_now:
            logger.warning("the database is back")
        self.available_now = True


def one_line(error: BaseException) -> str:
    """An error as a short reason; some (a timeout) have no message of their own."""
    text = str(getattr(error, "orig", None) or error).strip().splitlines()
    return text[0] if text else type(error).__name__
