"""One open question at a time: a command or a new question closes it, and the person is
told; what the bot sends on its own leaves it open. Nothing typed lands in the wrong place."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.jobs.checkin_sender import send_due_checkins
from bot.storage.models import Note, User
from tests.harness import TEXTS, BotHarness, shown
from tests.journeys import onboard, open_reflection, settings_summary

WORDS = TEXTS.questions


def set_aside(what: str) -> str:
    return shown(WORDS.set_aside, what=what)


async def test_a_command_closes_the_reflection_so_later_chat_is_not_saved(
    harness: BotHarness,
) -> None:
    alex = await onboard(harness)
    await open_reflection(alex, 1)

    settings = await alex.send("/settings")
    chatter = await alex.send("lol that's funny")

    assert settings.texts == [
        set_aside(WORDS.reflection),
        settings_summary("Europe/Berlin", "13:00", "21:00"),
    ]
    assert chatter.texts == [shown(TEXTS.errors.unexpected_text)]
    assert await harness.rows(Note) == []


async def test_help_and_unknown_commands_close_it_too(harness: BotHarness) -> None:
    alex = await onboard(harness)
    await open_reflection(alex, 2)
    for command in ("/help", "/nonsense"):
        await alex.press(TEXTS.lessons.reflect_button)
        replies = await alex.send(command)
        assert replies.texts[0] == set_aside(WORDS.reflection), command
        assert (await alex.send("not an answer")).texts == [shown(TEXTS.errors.unexpected_text)]
    assert await harness.rows(Note) == []


async def test_nothing_open_nothing_said(harness: BotHarness) -> None:
    alex = await onboard(harness)

    replies = await alex.send("/settings")

    assert replies.texts == [settings_summary("Europe/Berlin", "13:00", "21:00")]


async def test_a_new_question_closes_the_old_one_and_takes_the_answer(
    harness: BotHarness,
) -> None:
    alex = await onboard(harness)
    await open_reflection(alex, 1)
    await alex.send("/settings")  # closes the reflection
    await alex.press(TEXTS.lessons.reflect_button)

    asked = await alex.press(TEXTS.settings.change_time_button)
    answered = await alex.send("21:30")

    assert asked.texts[0] == set_aside(WORDS.reflection)
    assert shown(TEXTS.settings.time_changed, checkin_time="21:30") in answered.text
    assert await harness.rows(Note) == []


async def test_a_command_during_a_settings_change_closes_it_and_removes_its_keyboard(
    harness: BotHarness,
) -> None:
    alex = await onboard(harness)
    await alex.send("/settings")
    await alex.press(TEXTS.settings.change_zone_button)

    replies = await alex.send("/learn")
    tokyo = await alex.send("Tokyo")

    [closing, *_] = replies.calls
    assert closing.params.get("reply_markup") == {"remove_keyboard": True}
    assert replies.texts[0] == set_aside(WORDS.settings_zone)
    assert tokyo.texts == [shown(TEXTS.errors.unexpected_text)]
    [user] = await harness.rows(User)
    assert user.time_zone == "Europe/Berlin"


async def test_the_evening_prompt_does_not_close_an_open_reflection(harness: BotHarness) -> None:
    alex = await onboard(harness)  # Berlin, 21:00 = 20:00 UTC in November
    await open_reflection(alex, 1)
    harness.clock.now = datetime(2026, 11, 27, 20, 0, 30, tzinfo=UTC)
    assert harness.app is not None
    assert (await send_due_checkins(harness.app.bot, harness.app.bot_data.services)).sent == 1

    saved = await alex.send("Needing Sam is not weakness.")

    assert saved.texts[0] == shown(TEXTS.notes.saved)
    assert [note.body for note in await harness.rows(Note)] == ["Needing Sam is not weakness."]


async def test_setup_questions_stay_open_through_commands(harness: BotHarness) -> None:
    kim = harness.user(3003, "Kim")
    await kim.send("/start")
    await kim.press(TEXTS.onboarding.consent_yes_button)

    await kim.send("/help")
    replies = await kim.send("Berlin")

    assert set_aside(WORDS.settings_zone) not in replies.text
    [user] = await harness.rows(User)
    assert user.time_zone == "Europe/Berlin"
