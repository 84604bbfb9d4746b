"""The typed ``CallbackContext`` every handler receives, and the services it carries.

Services live in one :class:`BotServices` object created at start-up (``post_init``) and
reached as ``context.services``; handlers never use string keys into ``bot_data``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from telegram.ext import Application, CallbackContext, ExtBot, JobQueue

from bot.config import Settings
from bot.content import Framework, Texts
from bot.content.crisis_matcher import EveryLanguage
from bot.content.helplines import Helplines
from bot.content.locales import DEFAULT_LANGUAGE, LanguageContent
from bot.content.together import TogetherContent
from bot.metrics import Metrics
from bot.services.zone_country import ZoneCountries
from bot.storage.health import DatabaseHealth
from bot.storage.leadership import Leadership
from bot.zone_finder import ZoneFinder

Clock = Callable[[], datetime]


class KeptRecords(Protocol):
    """Where a turn's record of a send (a claimed row as sent, a 403's "blocked") waits when
    the database was away right after the send: the together job's send ledger
    (``bot.jobs.outbox.SendLedger``, handed in by ``bot.app``), which its next run — or the
    shutdown — writes before it claims anything, so the row is not sent again. Named here
    by its shape only: ``context`` is below ``jobs``."""

    def add(self, *records: Callable[[AsyncSession], Awaitable[None]] | None) -> None: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class BotServices:
    """Everything handlers need that outlives one update."""

    settings: Settings
    # English: for what is said where no person is known (a stranger, an operator's log).
    texts: Texts
    # Every language by code, English first; a person's is ``content_for(user.language)``.
    languages: dict[str, LanguageContent]
    frameworks: dict[str, Framework]
    crisis: EveryLanguage
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    # The time zone of a shared location (loaded on the first one, see bot.zone_finder).
    zone_finder: ZoneFinder
    # This process, as the owner of the check-in claims it makes.
    instance_id: str
    leadership: Leadership
    # The texts, tips and questions of the shared moments (together.toml).
    together: TogetherContent
    # Help for the person's country (helplines.toml), and the country of each time zone.
    helplines: Helplines
    zone_countries: ZoneCountries
    clock: Clock = utc_now
    database_health: DatabaseHealth = field(default_factory=DatabaseHealth)
    # This application's /metrics (made with the application, see bot.app).
    metrics: Metrics = field(default_factory=Metrics)
    # What a turn sent and could not record (the database away): written by the together
    # job's next run (see KeptRecords). ``None``: noted and forgotten, the claim then lapses.
    kept_records: KeptRecords | None = None
    # The one thread for the occasional heavy work: drawing a chart, looking up a location's
    # zone (the first loads timezonefinder). One chart's ~10 MB of buffers at a time however
    # many people press at once, from one malloc arena: with the default executor each of its
    # threads kept an arena of its own, and the process grew by a chart's buffers per thread.
    worker: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=1, thread_name_prefix="worker")
    )

    def content_for(self, language: str | None) -> LanguageContent:
        """Everything said in ``language``; English for a code the bot does not have."""
        return self.languages.get(language or DEFAULT_LANGUAGE) or self.languages[DEFAULT_LANGUAGE]

    def texts_for(self, language: str | None) -> Texts:
        """The texts of a person's language (``user.language``): what the *recipient* reads."""
        return self.content_for(language).texts

    def frameworks_for(self, language: str | None) -> dict[str, Framework]:
        return self.content_for(language).frameworks

    def together_for(self, language: str | None) -> TogetherContent:
        return self.content_for(language).together

    def language_of(self, telegram_code: str | None) -> str:
        """The language we have for Telegram's ``language_code`` ("de", "de-AT", "pt-br"):
        the code itself, else its base language, else English."""
        if telegram_code:
            ours = {_tag(code): code for code in self.languages}
            tag = _tag(telegram_code)
            for candidate in (tag, tag.split("-")[0]):
                if candidate in ours:
                    return ours[candidate]
        return DEFAULT_LANGUAGE

    def language_names(self) -> dict[str, str]:
        """Each language's name in itself, by code, English first: the buttons to choose."""
        return {code: language.texts.languages.name for code, language in self.languages.items()}

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One transaction: committed when the block ends normally, rolled back on an error.

        Every update runs in one (see ``bot.handlers.turn``), and so does each step of the
        periodic jobs; services never commit on their own.
        """
        async with self.sessions() as session, session.begin():
            yield session


def _tag(code: str) -> str:
    """A language code as Telegram writes it (IETF: "pt-br"), whatever the folder says."""
    return code.lower().replace("_", "-")


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


class BotContext(CallbackContext[ExtBot[int], dict[Any, Any], dict[Any, Any], BotData]):
    """Context with typed shortcuts to the services."""

    @property
    def services(self) -> BotServices:
        return self.bot_data.services

    @property
    def texts(self) -> Texts:
        """English: only where no person is known. A person's texts come from their turn
        (``turn.texts``) or ``services.texts_for(user.language)``."""
        return self.bot_data.services.texts

    def now(self) -> datetime:
        return self.bot_data.services.clock()


BotApplication = Application[ExtBot[int], BotContext, dict, dict, BotData, JobQueue[BotContext]]
