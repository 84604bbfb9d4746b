"""The typed ``CallbackContext`` every handler receives, and the services it carries.

Services live in one :class:`BotServices` object created at start-up (``post_init``) and
reached as ``context.services``; handlers never use string keys into ``bot_data``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from telegram.ext import Application, CallbackContext, ExtBot
from timezonefinder import TimezoneFinder

from bot.config import Settings
from bot.content import Framework, Texts
from bot.services.crisis import CrisisMatcher

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class BotServices:
    """Everything handlers need that outlives one update."""

    settings: Settings
    texts: Texts
    frameworks: dict[str, Framework]
    crisis: CrisisMatcher
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    zone_finder: TimezoneFinder
    clock: Clock = utc_now


class BotData:
    """``bot_data`` of the application: holds the services once start-up has made them."""

    __slots__ = ("_services",)

    def __init__(self) -> None:
        self._services: BotServices | None = None

    @property
    def services(self) -> BotServices:
        if self._services is None:
            raise RuntimeError("services are created in post_init; the application is not up")
        return self._services

    @services.setter
    def services(self, value: BotServices | None) -> None:
        self._services = value

    def release(self) -> BotServices | None:
        """Hand the services over for clean-up (``post_shutdown``); none remain afterwards."""
        services, self._services = self._services, None
        return services


class BotContext(CallbackContext[ExtBot[None], dict, dict, BotData]):
    """Context with typed shortcuts to the services."""

    @property
    def services(self) -> BotServices:
        return self.bot_data.services

    @property
    def texts(self) -> Texts:
        return self.bot_data.services.texts

    def now(self) -> datetime:
        return self.bot_data.services.clock()

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """The database session for this update.

        Handlers open one per update, do all their reads and writes in it, ``commit()`` and
        only then reply, so a user is never told about a change that was not saved. What is
        not committed is rolled back when the block ends.
        """
        async with self.bot_data.services.sessions() as session:
            yield session


BotApplication = Application[ExtBot[None], BotContext, dict, dict, BotData, object]
