"""When a handler fails for a reason nobody planned for (here: a row edited by hand into
something the code cannot read), the person still gets a kind word, help first if their words
call for it, and the log gets the traceback without the token."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import update

from bot.storage.models import User
from tests.harness import TEST_TOKEN, TEXTS, BotHarness, shown
from tests.journeys import help_in, onboard


async def break_time_zone(harness: BotHarness, telegram_id: int) -> None:
    async with harness.transaction() as session:
        await session.execute(
            update(User).where(User.telegram_id == telegram_id).values(time_zone="Mars/Olympus")
        )


async def test_a_failing_handler_apologises_and_logs_without_the_token(
    harness: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    alex = await onboard(harness)
    await break_time_zone(harness, alex.user_id)

    with caplog.at_level(logging.ERROR):
        replies = await alex.send("/settings")

    assert replies.texts == [shown(TEXTS.errors.internal_error)]
    assert "unhandled error" in caplog.text
    assert TEST_TOKEN not in caplog.text


async def test_help_comes_before_the_apology_when_the_words_call_for_it(
    harness: BotHarness,
) -> None:
    alex = await onboard(harness)
    await break_time_zone(harness, alex.user_id)

    replies = await alex.send("/settings I want to kill myself")

    assert replies.texts[-1] == shown(TEXTS.errors.internal_error)
    # Its zone is broken: the language's countries.
    assert replies.texts[:-1]
    assert all(text == help_in(None) for text in replies.texts[:-1])
