"""The Mini App in a real browser: Debian's chromium, driven by Playwright (the Python package,
with ``executable_path``; never ``playwright install``), against the real aiohttp app and a
couple seeded through the real bot.

Telegram's ``telegram-web-app.js`` is unreachable offline: the browser is handed a small
stand-in for it that gives the page its ``initData`` (signed here as Telegram signs it) and
theme. Screenshots at 360 and 1024 px go to ``$ARTIFACTS_DIR`` (default ``tmp/artifacts``).

Without chromium the tests are skipped, except under CI (``CI`` set), where that is a failure:
CI installs chromium (``.ci/run``) and must run them.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, Route, async_playwright
from timezonefinder import TimezoneFinder

from bot.config import Settings
from bot.views.week_page import plain
from tests.harness import TEXTS, BotHarness, FakeClock
from tests.mini_app import (
    CHROMIUM,
    CHROMIUM_ARGS,
    HOSTILE,
    TELEGRAM_SCRIPT,
    TUESDAY,
    Served,
    init_data,
    keep_day,
    page_settings,
    seed_couple,
    served,
    stand_in,
)
from tests.telegram_fake import FakeBotApi

WORDS = TEXTS.mini_app
ALEX, SAM = 1001, 2002
# Each page's CSP violations and script errors, by id(page).
PROBLEMS: dict[int, list[str]] = {}


def artifacts() -> Path:
    folder = Path(os.environ.get("ARTIFACTS_DIR", "tmp/artifacts"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not os.path.exists(CHROMIUM):  # noqa: ASYNC240 (once, before the browser starts)
        message = f"the Mini App's browser test needs chromium at {CHROMIUM} (apt install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    async with async_playwright() as driver:
        launched = await driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def app(
    settings: Settings, api: FakeBotApi, clock: FakeClock, zone_finder: TimezoneFinder
) -> AsyncIterator[Served]:
    async with BotHarness(
        page_settings(settings), api=api, clock=clock, zone_finder=zone_finder
    ) as harness:
        await seed_couple(harness)
        async with served(harness) as serving:
            yield serving


async def open_page(browser: Browser, app: Served, init: str, width: int = 360) -> Page:
    """A page as Telegram would open it, with Telegram's script stood in for; any CSP
    violation or script error is collected on ``page.problems``."""
    context = await browser.new_context(
        viewport={"width": width, "height": 780}, device_scale_factor=2
    )
    page = await context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )

    async def telegram(route: Route) -> None:
        await route.fulfill(status=200, content_type="text/javascript", body=stand_in(init))

    await page.route(TELEGRAM_SCRIPT, telegram)
    await page.goto(f"{app.url}/app/")
    await page.wait_for_selector("html[data-screen]", state="attached")
    PROBLEMS[id(page)] = problems
    return page


async def test_the_week_renders_under_the_reveal_rule_with_earlier_weeks_and_the_journal(
    browser: Browser, app: Served
) -> None:
    now: datetime = app.harness.clock.now
    page = await open_page(browser, app, init_data(ALEX, auth_date=now - timedelta(minutes=2)))
    body = page.locator("body")

    text = await body.inner_text()
    assert WORDS.landed_title in text
    assert plain(TEXTS.us.landed.both_checked_in.render("en", 1)) in text
    assert plain(TEXTS.us.landed.gap_note) in text  # the day seen differently, named so
    # The hostile name is shown as the text it is, and ran nothing.
    assert HOSTILE in text
    assert await page.evaluate("window.__xss === undefined")
    assert await page.locator("img").count() == 0
    # The reveal rule: Sam's Tuesday is there, Sam's Wednesday waits for Alex's own.
    assert "Thanks for the walk" in text
    assert WORDS.after_yours.format(partner=HOSTILE) in text
    assert "wednesday secret" not in text
    assert "private thought <b>bold?</b>" in text
    # Theme colours from Telegram's themeParams.
    background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(253, 248, 242)"
    shots = artifacts()
    await page.screenshot(path=str(shots / "mini-app-360.png"), full_page=True)

    # A swipe to the right: the week before, the couple's first.
    box = await page.locator("main").bounding_box()
    assert box is not None
    y = box["y"] + 200
    await page.mouse.move(40, y)
    await page.mouse.down()
    await page.mouse.move(200, y + 5, steps=5)
    await page.mouse.up()
    await page.wait_for_selector("html[data-weeks-back='1']", state="attached")
    earlier = await body.inner_text()
    assert "An early walk together" in earlier
    assert WORDS.first_week in earlier
    assert await page.locator("[data-go=earlier]").is_disabled()
    # ...and the button back.
    await page.click("[data-go=later]")
    await page.wait_for_selector("html[data-weeks-back='0']", state="attached")

    # The journal: Alex's own notes, newest first.
    await page.click("[data-tab=journal]")
    await page.wait_for_selector("html[data-screen=journal]", state="attached")
    journal = await body.inner_text()
    assert journal.index("private thought <b>bold?</b>") < journal.index("An early walk together")
    assert "Thanks for the walk" not in journal
    assert PROBLEMS[id(page)] == []  # no CSP violation, no script error

    wide = await open_page(browser, app, init_data(ALEX, auth_date=now), width=1024)
    await wide.screenshot(path=str(shots / "mini-app-1024.png"), full_page=True)


async def test_talk_about_it_starts_in_the_chat_and_closes_the_page(
    browser: Browser, app: Served, api: FakeBotApi
) -> None:
    now: datetime = app.harness.clock.now
    page = await open_page(browser, app, init_data(ALEX, auth_date=now))
    before = len(api.chat(ALEX))

    await page.click("[data-action=talk]")
    await page.wait_for_selector("html[data-closed=yes]", state="attached")

    assert len(api.chat(ALEX)) == before + 1


async def test_a_kept_day_shows_not_shared_on_both_sides(browser: Browser, app: Served) -> None:
    await keep_day(app.harness.user(SAM, HOSTILE), TUESDAY)
    page = await open_page(browser, app, init_data(ALEX, auth_date=app.harness.clock.now))

    tuesday = page.locator("section.day", has_text=TEXTS.date(TUESDAY, TEXTS.us.day_format))
    sides = await tuesday.locator(".side p").all_inner_texts()

    assert sides == [plain(WORDS.kept_day), plain(WORDS.kept_day)]
    text = await page.locator("body").inner_text()
    assert "Thanks for the walk" not in text
    assert "private thought" not in text
    assert PROBLEMS[id(page)] == []


async def test_an_expired_init_data_shows_a_kind_screen(browser: Browser, app: Served) -> None:
    old = app.harness.clock.now - timedelta(hours=2)
    page = await open_page(browser, app, init_data(ALEX, auth_date=old))

    text = await page.locator("body").inner_text()

    assert await page.evaluate("document.documentElement.dataset.screen") == "refused"
    assert WORDS.expired_title in text
    assert plain(WORDS.expired_text) in text
    assert HOSTILE not in text
    assert "walk" not in text


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_demo_couple_for_the_readme(
    browser: Browser,
    settings: Settings,
    api: FakeBotApi,
    clock: FakeClock,
    zone_finder: TimezoneFinder,
) -> None:
    """The screenshot in docs/ (copied from the artefacts by hand when the page changes)."""
    config = page_settings(settings)
    async with BotHarness(config, api=api, clock=clock, zone_finder=zone_finder) as harness:
        await seed_couple(harness, "Anna", "Ben")
        async with served(harness) as serving:
            page = await open_page(browser, serving, init_data(ALEX, auth_date=harness.clock.now))
            assert "Ben" in await page.locator("body").inner_text()
            await page.screenshot(path=str(artifacts() / "mini-app-demo-360.png"), full_page=True)
