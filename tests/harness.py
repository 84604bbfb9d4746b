"""Drive the real ``Application`` as Telegram users would, with Telegram faked at HTTP level.

``BotHarness`` builds the bot with :func:`bot.app.build_application` and a
:class:`~tests.telegram_fake.FakeRequest`; ``TelegramUser`` turns "send this text", "share a
location" or "press that button" into real update JSON fed through ``process_update`` and
returns what the bot sent in reply. ``async with BotHarness(...) as harness`` starts and stops
it; ``harness.rows(Model, ...)`` and ``harness.session()`` look into its database.

What a test expects the bot to say comes from the loaded texts: ``TEXTS``, and :func:`shown`
for a text as the user sees it, filled in and rendered.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import string
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Self, TypeVar

from sqlalchemy import ColumnElement, inspect, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from telegram import Update
from telegram.request import BaseRequest
from timezonefinder import TimezoneFinder

from bot.app import build_application
from bot.config import Settings
from bot.content import Framework, Plural, render
from bot.context import BotApplication
from bot.services.content import Content, load_content
from bot.storage.engine import create_engine
from bot.storage.migrate import downgrade_to, upgrade_to_head
from bot.storage.models import Base
from tests import updates
from tests.telegram_fake import ApiCall, BotMessage, FakeBotApi, FakeRequest, visible_text

TEST_TOKEN = "123456789:TEST-token_for_the_fake_bot_api_000"

M = TypeVar("M", bound=Base)


@cache
def shipped_content() -> Content:
    """The content files, loaded and checked once per test run (they are immutable)."""
    return load_content()


@cache
def content_from(directory: Path) -> Content:
    """The content of a copied content folder (with a language added, say), loaded once."""
    return load_content(directory)


# The texts the bot sends (bot/content/texts.toml): tests expect what these say, not a copy.
TEXTS = shipped_content().texts


def content_variant(tmp_path: Path, source: Path, edit: str, replacement: str) -> Path:
    """A copy of the content file ``source`` with ``edit`` replaced once, for loader tests."""
    original = source.read_text(encoding="utf-8")
    assert edit in original
    path = tmp_path / source.name
    path.write_text(original.replace(edit, replacement, 1), encoding="utf-8")
    return path


def shown(template: str, /, **values: object) -> str:
    """What the user sees of a text from the content files, filled in as the bot fills it
    (values escaped, unless marked :class:`~bot.content.Html`) and rendered as Telegram shows
    HTML."""
    return visible_text(render(template, **values), "HTML")


def shown_count(plural: Plural, count: int, /, **values: object) -> str:
    """:func:`shown` for a text that counts: the plural form the bot picks for ``count``."""
    return visible_text(plural.render(TEXTS.language, count, **values), "HTML")


def shown_pattern(template: str, /, **values: object) -> re.Pattern[str]:
    """:func:`shown` for a text with values a test cannot know (the clock of another
    process): a pattern of the whole text, in which the placeholders not given match any
    text on one line."""
    names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    holes = {name: f"HOLE{index}X" for index, name in enumerate(sorted(names - set(values)))}
    pattern = re.escape(shown(template, **values, **holes))
    for hole in holes.values():
        pattern = pattern.replace(hole, ".+?")
    return re.compile(f"^{pattern}$")


@dataclass
class FakeClock:
    """The bot's notion of now; tests move it."""

    now: datetime = field(default_factory=lambda: datetime(2026, 11, 27, 12, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass
class Replies:
    """What the bot did in answer to one update."""

    calls: list[ApiCall]

    @property
    def texts(self) -> list[str]:
        """The texts the user sees (HTML rendered), of messages sent or edited."""
        return [
            visible_text(call.text, call.params.get("parse_mode"))
            for call in self.calls
            if call.text is not None and call.method != "answerCallbackQuery"
        ]

    @property
    def text(self) -> str:
        """All message texts of this reply, joined; for ``in`` checks."""
        return "\n".join(self.texts)

    @property
    def toasts(self) -> list[str]:
        return [
            call.params.get("text") or ""
            for call in self.calls
            if call.method == "answerCallbackQuery"
        ]

    @property
    def methods(self) -> list[str]:
        return [call.method for call in self.calls]


class BotHarness:
    """The bot, a fake Telegram, a clock, and a database URL: restartable as a whole."""

    def __init__(
        self,
        settings: Settings,
        *,
        api: FakeBotApi | None = None,
        clock: FakeClock | None = None,
        zone_finder: TimezoneFinder | None = None,
        frameworks: dict[str, Framework] | None = None,
        request: BaseRequest | None = None,
        content: Content | None = None,
    ) -> None:
        self.settings = settings
        self.content = content
        self.request = request
        self.frameworks = frameworks
        self.api = api or FakeBotApi()
        self.clock = clock or FakeClock()
        self.zone_finder = zone_finder
        self.app: BotApplication | None = None
        self._update_ids = itertools.count(1)

    async def start(self) -> None:
        content = self.content or shipped_content()
        if self.frameworks is not None:
            frameworks = self.frameworks
            content = Content(
                {
                    code: replace(language, frameworks=frameworks)
                    for code, language in content.languages.items()
                },
                content.helplines,
            )
        app = build_application(
            self.settings,
            content=content,
            request=self.request or FakeRequest(self.api),
            clock=self.clock,
            zone_finder=self.zone_finder,
        )
        await app.initialize()
        if app.post_init:
            await app.post_init(app)
        self.app = app

    async def stop(self) -> None:
        if self.app is None:
            return
        await self.app.shutdown()
        if self.app.post_shutdown:
            await self.app.post_shutdown(self.app)
        self.app = None

    async def restart(self) -> None:
        """A new process on the same database: nothing survives but what was stored."""
        await self.stop()
        await self.start()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session on the bot's database, made as the bot makes its own; what is not
        committed is rolled back when the block ends."""
        assert self.app is not None, "start() the harness first"
        async with self.app.bot_data.services.sessions() as session:
            yield session

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A transaction on the bot's database, as its jobs and handlers use one: committed
        when the block ends."""
        assert self.app is not None, "start() the harness first"
        async with self.app.bot_data.services.transaction() as session:
            yield session

    async def rows(self, model: type[M], *where: ColumnElement[bool]) -> list[M]:
        """The stored rows of ``model`` matching all of ``where``, in primary key order."""
        async with self.session() as session:
            ordered = select(model).where(*where).order_by(*inspect(model).primary_key)
            return list(await session.scalars(ordered))

    def user(
        self, user_id: int, first_name: str = "Alex", *, language_code: str | None = "en"
    ) -> TelegramUser:
        """A person whose Telegram app is in ``language_code``."""
        return TelegramUser(self, user_id, first_name, language_code)

    def update(self, payload: dict[str, Any]) -> Update:
        assert self.app is not None, "start() the harness first"
        return Update.de_json({"update_id": next(self._update_ids), **payload}, self.app.bot)

    async def feed_as_polled(self, payloads: list[dict[str, Any]]) -> None:
        """Hand updates over as polling does when they arrive together: each to the
        application's update processor at once (``Application`` makes one task per update),
        and wait until all are handled."""
        assert self.app is not None, "start() the harness first"
        processor = self.app.update_processor
        updates = [self.update(payload) for payload in payloads]
        await asyncio.gather(
            *(
                processor.process_update(update, self.app.process_update(update))
                for update in updates
            )
        )

    async def feed(self, payload: dict[str, Any], *, chat_id: int | None = None) -> Replies:
        """Send one update (JSON as Telegram would) through the application.

        The replies are the calls made while it was processed; with ``chat_id``, only those
        meant for that chat (and the answer to this update's button press), so that updates
        fed concurrently each see their own.
        """
        assert self.app is not None, "start() the harness first"
        callback_id = payload.get("callback_query", {}).get("id")
        before = len(self.api.calls)
        await self.app.process_update(self.update(payload))
        calls = self.api.calls[before:]
        if chat_id is not None:
            calls = [
                call
                for call in calls
                if call.chat_id == chat_id
                or (callback_id is not None and call.params.get("callback_query_id") == callback_id)
            ]
        return Replies(calls)


# The names bench/updates.py imports from here; the builders live in tests/updates.py.
sender_json = updates.user
private_chat_json = updates.private_chat
text_json = updates.text
callback_query_json = updates.callback_query


@dataclass
class TelegramUser:
    """A person in a private chat with the bot."""

    harness: BotHarness
    user_id: int
    first_name: str
    language_code: str | None = "en"

    @property
    def _from(self) -> dict[str, Any]:
        return updates.user(self.user_id, self.first_name, language_code=self.language_code)

    @property
    def _now(self) -> int:
        return int(self.harness.clock.now.timestamp())

    def _message(self, **content: Any) -> dict[str, Any]:
        chat = updates.private_chat(self.user_id, self.first_name)
        message_id = self.harness.api.incoming_message(self.user_id)
        if "text" in content:
            self.harness.api.incoming_texts[(self.user_id, message_id)] = content["text"]
        return updates.message(message_id, self._now, chat, self._from, **content)

    def text_update(self, text: str) -> dict[str, Any]:
        """The update JSON of typing ``text``."""
        return {"message": self._message(**updates.text(text))}

    async def send(self, text: str) -> Replies:
        """Type ``text``."""
        return await self.harness.feed(self.text_update(text), chat_id=self.user_id)

    async def send_location(self, latitude: float, longitude: float) -> Replies:
        location = updates.location(latitude, longitude)
        return await self.harness.feed(
            {"message": self._message(location=location)}, chat_id=self.user_id
        )

    async def send_sticker(self) -> Replies:
        sticker = updates.sticker()
        return await self.harness.feed(
            {"message": self._message(sticker=sticker)}, chat_id=self.user_id
        )

    async def send_photo(self, caption: str | None = None) -> Replies:
        content = {"photo": updates.photo(), **updates.caption(caption)}
        return await self.harness.feed({"message": self._message(**content)}, chat_id=self.user_id)

    async def edit_message(self, text: str) -> Replies:
        """An edit of something the user wrote earlier."""
        edited = self._message(**updates.text(text), edit_date=self._now)
        return await self.harness.feed({"edited_message": edited}, chat_id=self.user_id)

    # --- buttons ---------------------------------------------------------------------------

    @property
    def chat(self) -> list[BotMessage]:
        """The bot's messages in this chat, as they stand now."""
        return self.harness.api.chat(self.user_id)

    @property
    def last_message(self) -> BotMessage:
        return self.chat[-1]

    def find_button(self, label: str) -> tuple[BotMessage, str]:
        """The newest message with an inline button whose label contains ``label``."""
        for message in reversed(self.chat):
            for button in message.buttons:
                if label in button["text"]:
                    return message, button["callback_data"]
        raise AssertionError(f"no button {label!r} in the chat; last: {self.chat[-1:]}")

    async def press(self, label: str, *, message: BotMessage | None = None) -> Replies:
        """Tap the inline button labelled ``label`` (in ``message``, or the newest that has it)."""
        if message is None:
            message, data = self.find_button(label)
        else:
            matches = [b["callback_data"] for b in message.buttons if label in b["text"]]
            assert matches, f"no button {label!r} in {message}"
            data = matches[0]
        return await self.press_data(data, message=message)

    async def press_data(self, data: str, *, message: BotMessage | None = None) -> Replies:
        """Deliver a callback query with arbitrary data, as a forged or stale button would."""
        return await self.harness.feed(self.press_update(data, message), chat_id=self.user_id)

    def press_update(self, data: str, message: BotMessage | None = None) -> dict[str, Any]:
        """The update JSON of a press on a button with ``data`` (on ``message``, else the
        newest message)."""
        target = message or self.last_message
        markup: dict[str, Any] = {"reply_markup": target.reply_markup} if target.buttons else {}
        if target.reply_to is not None:
            quoted_id, quoted_text = target.reply_to
            markup["reply_to_message"] = updates.message(
                quoted_id,
                self._now,
                updates.private_chat(target.chat_id),
                self._from,
                **updates.text(quoted_text),
            )
        pressed = updates.message(
            target.message_id,
            self._now,
            updates.private_chat(target.chat_id),
            self.harness.api.bot_user(),
            text=target.text,
            **markup,
        )
        query_id = str(self.harness.api.next_message_id())
        return {"callback_query": updates.callback_query(query_id, self._from, data, pressed)}


OldSchema = Callable[[AsyncConnection], Awaitable[None]]


class MigrationRoundTrip:
    """The bot's database taken down to an older revision and up to head again, the way an
    operator's upgrade meets data stored by an older release. Tests of a migration's data
    (what it maps, keeps or fills in) share this one path: stop the bot, downgrade, let the
    test write or check rows as the old schema had them, upgrade, start the bot again."""

    def __init__(self, harness: BotHarness, database_url: str) -> None:
        self.harness, self.database_url = harness, database_url

    async def __call__(self, revision: str, at_old: OldSchema | None = None) -> None:
        """Down to ``revision`` (``"base"``: no tables), ``at_old`` in one transaction there,
        then up to head; the harness is stopped meanwhile and started again after."""
        await self.harness.stop()
        engine = create_engine(self.database_url)
        try:
            await downgrade_to(engine, revision)
            if at_old is not None:
                async with engine.begin() as connection:
                    await at_old(connection)
            await upgrade_to_head(engine)
        finally:
            await engine.dispose()
        await self.harness.start()
