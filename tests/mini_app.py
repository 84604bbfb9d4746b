"""What the Mini App's tests share: signed ``initData`` as Telegram makes it, a couple seeded
through the real bot (onboarding, pairing, check-ins, notes), and the bot's own web server
in front of it."""

from __future__ import annotations

import json
import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp

from bot.config import Settings
from bot.web.init_data import sign
from bot.web.server import BotWebServer
from tests.harness import TEST_TOKEN, TEXTS, BotHarness, TelegramUser, shown
from tests.journeys import QUIET_DAY, answer_checkin, evening, onboard, pair

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
TELEGRAM_SCRIPT = "https://telegram.org/js/telegram-web-app.js"
THEME = {
    "bg_color": "#fdf8f2",
    "text_color": "#2b2118",
    "hint_color": "#8a7a6a",
    "link_color": "#c2185b",
    "button_color": "#c2185b",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#f3e9df",
}
PAGE_URL = "https://bot.example.org/app/"
HOSTILE = '<img src=x onerror="window.__xss=1">'
# The check-ins of the seeded week: Alex saw a bid met that Sam felt missed (a day seen
# differently), and Sam answered Wednesday, which Alex has not (still hidden from Alex).
ALEX_TUESDAY = {
    "bids_noticed": "few",
    "bids_response": "toward",
    "bids_made": "met",
    "stressed_me": "no",
    "stressed_partner": "no",
}
SAM_TUESDAY = {
    "bids_noticed": "some",
    "bids_response": "toward",
    "bids_made": "missed",
    "stressed_me": "no",
    "stressed_partner": "no",
}
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
TUESDAY = date(2026, 11, 24)


def init_data(
    telegram_id: int,
    *,
    auth_date: datetime,
    token: str = TEST_TOKEN,
    language: str = "en",
    extra: list[tuple[str, str]] | None = None,
) -> str:
    """``initData`` as Telegram signs it for ``telegram_id`` (``extra``: fields added after
    signing, e.g. a duplicate)."""
    fields = {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps(
            {"id": telegram_id, "first_name": "Someone", "language_code": language},
            separators=(",", ":"),
        ),
        "auth_date": str(int(auth_date.timestamp())),
    }
    fields["hash"] = sign(fields, token)
    return urlencode([*fields.items(), *(extra or [])])


def page_settings(settings: Settings) -> Settings:
    """Polling with ``HTTP_PORT`` (any free one) and ``MINI_APP_URL`` set."""
    return settings.model_copy(update={"http_port": 0, "mini_app_url": PAGE_URL})


@dataclass
class Couple:
    alex: TelegramUser
    sam: TelegramUser


async def seed_couple(
    harness: BotHarness, alex_name: str = "Alex", sam_name: str = HOSTILE
) -> Couple:
    """Alex and Sam, paired on Tuesday 17 November 2026: both answered Wednesday 18 (the
    earlier week); on Tuesday 24 both answered and saw a bid differently, Alex with a private
    note, Sam with a shared one; on Wednesday 25 only Sam answered, with a shared note Alex
    may not see yet. "Now" is Thursday 26, 09:00 UTC."""
    harness.clock.now = datetime(2026, 11, 17, 12, 0, tzinfo=UTC)
    alex = await onboard(harness, 1001, alex_name, "Berlin")
    sam = await onboard(harness, 2002, sam_name, "London")
    await pair(alex, sam)
    await evening(harness, datetime(2026, 11, 17, 21, 0, tzinfo=UTC))
    await evening(harness, datetime(2026, 11, 18, 21, 0, tzinfo=UTC))
    await answer_checkin(alex, QUIET_DAY, note="An early walk together")
    await answer_checkin(sam, QUIET_DAY)
    for day in range(19, 25):  # evenings go by unanswered
        await evening(harness, datetime(2026, 11, day, 21, 0, tzinfo=UTC))
    await answer_checkin(alex, ALEX_TUESDAY, note="private thought <b>bold?</b>")
    await answer_checkin(sam, SAM_TUESDAY, note="Thanks for the walk")
    await sam.press(TEXTS.notes.share_button)
    await evening(harness, datetime(2026, 11, 25, 21, 0, tzinfo=UTC))
    await answer_checkin(sam, QUIET_DAY, note="wednesday secret")
    await sam.press(TEXTS.notes.share_button)
    harness.clock.now = NOW
    return Couple(alex, sam)


async def keep_day(person: TelegramUser, day: date) -> None:
    """``person`` keeps ``day`` to themselves after answering it, from /journal."""
    journal = (await person.send("/journal")).text
    when = TEXTS.date(day, TEXTS.journal.day_format)
    [number] = [
        found.group(1)
        for line in journal.splitlines()
        if f"🌙 {when}" in line and (found := re.match(r"(\d+)\.", line))
    ]
    await person.press(shown(TEXTS.sharing.open_day_button, number=number))
    kept = await person.press(TEXTS.sharing.keep_button)
    assert when in kept.text


async def seed_other_couple(harness: BotHarness) -> None:
    """Carol and Dan, another couple, with a shared note of their own."""
    saved = harness.clock.now
    harness.clock.now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    carol = await onboard(harness, 3003, "Carol", "Berlin")
    dan = await onboard(harness, 4004, "Dan", "Berlin")
    await pair(carol, dan)
    await evening(harness, datetime(2026, 11, 24, 21, 0, tzinfo=UTC))
    await answer_checkin(carol, QUIET_DAY)
    await answer_checkin(dan, QUIET_DAY, note="carol and dan only")
    await dan.press(TEXTS.notes.share_button)
    harness.clock.now = saved


@dataclass
class Served:
    harness: BotHarness
    server: BotWebServer
    http: aiohttp.ClientSession

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    async def call(
        self,
        path: str,
        init: str | None,
        *,
        method: str = "GET",
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        sent = dict(headers or {})
        if init is not None:
            sent["Authorization"] = f"tma {init}"
        async with self.http.request(method, self.url + path, headers=sent) as response:
            body = await response.json() if response.content_type == "application/json" else {}
            return response.status, body, dict(response.headers)

    def signed(self, telegram_id: int, *, age: timedelta = timedelta(minutes=1)) -> str:
        return init_data(telegram_id, auth_date=self.harness.clock.now - age)


@asynccontextmanager
async def served(harness: BotHarness) -> AsyncIterator[Served]:
    """The bot's web server (polling mode, ``HTTP_PORT`` set) in front of ``harness``."""
    assert harness.app is not None
    server = BotWebServer(harness.settings, port=0)
    await server.start(harness.app)
    try:
        async with aiohttp.ClientSession() as http:
            yield Served(harness, server, http)
    finally:
        await server.stop()


def stand_in(init: str, language: str = "en") -> str:
    """What telegram-web-app.js gives a page, as far as ours uses it."""
    web_app = {
        "initData": init,
        "initDataUnsafe": {"user": {"language_code": language}},
        "themeParams": THEME,
        "colorScheme": "light",
    }
    return (
        f"window.Telegram = {{ WebApp: Object.assign({json.dumps(web_app)}, {{"
        " ready: function () {}, expand: function () {},"
        ' close: function () { document.documentElement.dataset.closed = "yes"; } }) };'
    )
