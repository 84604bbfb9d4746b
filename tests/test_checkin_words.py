"""Words and stickers in the middle of an evening check-in, and numbers in each language's
digits (issue #25: "I don't know what to do with that", "höchstens 4,000 Zeichen")."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.jobs.checkin_sender import send_due_checkins
from bot.storage.models import Checkin, CheckinAnswer, Note, User
from tests.harness import TEXTS, BotHarness, TelegramUser, shipped_content, shown
from tests.journeys import answer_button, checkin_message, checkin_question, onboard

WORDS = TEXTS.checkin
FRIDAY_EVENING = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)  # 21:00 in Berlin


async def asked(harness: BotHarness) -> TelegramUser:
    """Alex, set up in Berlin, with Friday's check-in open at its first question."""
    alex = await onboard(harness)
    harness.clock.now = FRIDAY_EVENING
    assert harness.app is not None
    await send_due_checkins(harness.app.bot, harness.app.bot_data.services)
    return alex


def labels(buttons: list[dict[str, str]]) -> list[str]:
    return [button["text"] for button in buttons]


async def test_words_mid_question_bring_the_question_back_and_can_be_kept_as_a_note(
    harness: BotHarness,
) -> None:
    alex = await asked(harness)
    prompt = checkin_message(alex)

    replies = await alex.send("Long day, Sam cooked")

    [reply] = replies.texts
    assert reply.startswith(shown(WORDS.words_during_question))
    assert checkin_question("bids_noticed") in reply
    assert TEXTS.errors.unexpected_text not in reply
    again = alex.last_message
    offered = labels(again.buttons)
    assert set(WORDS.items["bids_noticed"].options.values()) <= set(offered)
    assert offered[-1] == WORDS.keep_words_button
    assert await harness.rows(Note) == []  # nothing kept before the tap

    kept = await alex.press(WORDS.keep_words_button, message=again)

    assert kept.texts == [shown(TEXTS.notes.saved)]
    [note] = await harness.rows(Note)
    [checkin] = await harness.rows(Checkin)
    assert (note.body, note.checkin_id) == ("Long day, Sam cooked", checkin.id)
    assert WORDS.keep_words_button not in labels(again.buttons)  # kept once

    # The question shown again answers the same check-in as the first message.
    await alex.press_data(answer_button(again, "bids_noticed", "few"), message=again)
    [answer] = await harness.rows(CheckinAnswer)
    assert (answer.item, answer.value) == ("bids_noticed", "few")
    assert checkin_question("bids_response") in again.text
    assert prompt.buttons  # the first message still works too


async def test_a_sticker_mid_question_brings_the_question_back(harness: BotHarness) -> None:
    alex = await asked(harness)

    replies = await alex.send_sticker()

    [reply] = replies.texts
    assert reply.startswith(shown(WORDS.other_during_question))
    assert checkin_question("bids_noticed") in reply
    assert WORDS.keep_words_button not in labels(alex.last_message.buttons)
    assert set(WORDS.items["bids_noticed"].options.values()) <= set(
        labels(alex.last_message.buttons)
    )


async def test_words_after_a_finished_checkin_are_chatter_as_before(harness: BotHarness) -> None:
    alex = await asked(harness)
    await alex.press(WORDS.skip_button)

    replies = await alex.send("just chatting")

    assert replies.texts == [shown(TEXTS.errors.unexpected_text)]


@pytest.mark.parametrize(
    ("code", "limit"), [("en", "4,000"), ("de", "4.000"), ("ru", "4\u00a0000")]
)
async def test_the_note_limit_is_written_with_the_languages_digits(
    harness: BotHarness, code: str, limit: str
) -> None:
    texts = shipped_content().languages[code].texts
    alex = harness.user(1001, "Alex", language_code=code)
    await alex.send("/start")
    await alex.press(texts.onboarding.consent_yes_button)
    await alex.send("Europe/Berlin")
    await alex.send("21:00")
    harness.clock.now = FRIDAY_EVENING
    assert harness.app is not None
    await send_due_checkins(harness.app.bot, harness.app.bot_data.services)

    await alex.send("x" * 4050)  # over a note, within a message
    replies = await alex.press(texts.checkin.keep_words_button)

    assert replies.texts == [shown(texts.notes.too_long, limit=limit)]
    assert "4,000" not in replies.text or code == "en"
    assert await harness.rows(Note) == []


async def test_keep_as_a_note_for_someone_elses_check_in_asks_for_nothing(
    harness: BotHarness,
) -> None:
    """A stale "keep it as a note" whose words are gone (no quoted message) names a check-in
    id that is now someone else's (SQLite gives a deleted row's id again): nothing is asked
    and no question is left open on it (found by tests/test_fuzz.py)."""
    await onboard(harness, 2002, "Sam", "Berlin")
    alex = await asked(harness)  # Sam's check-in is sent too
    [sam] = await harness.rows(User, User.telegram_id == 2002)
    [sams] = await harness.rows(Checkin, Checkin.user_id == sam.id)

    pressed = await alex.press_data(f"ci:{sams.id}:words")

    assert pressed.texts == []  # no "write your note" for Sam's check-in
    assert pressed.toasts == [shown(TEXTS.errors.stale_button)]
