"""/journal: one's own notes, reflections and check-in answers, readable, editable, deletable."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.content import Html
from bot.jobs.checkin_sender import send_due_checkins
from bot.storage.models import Note
from bot.views.journal import PREVIEW
from bot.views.text import shorten
from tests.harness import TEXTS, BotHarness, TelegramUser, shown
from tests.journeys import STALE, answer_checkin, onboard, open_reflection, step_title

WORDS = TEXTS.journal


async def evening_with_note(harness: BotHarness, person: TelegramUser, note: str) -> None:
    """The evening prompt of 27 Nov (21:00 Berlin), answered with one bid noticed, and a note."""
    harness.clock.now = datetime(2026, 11, 27, 20, 0, 30, tzinfo=UTC)
    assert harness.app is not None
    await send_due_checkins(harness.app.bot, harness.app.bot_data.services)
    answers = {"bids_noticed": "few", "bids_response": "toward", "bids_made": "none"}
    answers |= {"stressed_me": "no", "stressed_partner": "no"}
    await answer_checkin(person, answers, note=note)


async def test_the_journal_shows_my_entries_newest_first(harness: BotHarness) -> None:
    alex = await onboard(harness)
    await open_reflection(alex, 1)
    await alex.send("Needing Sam is not weakness.")
    await evening_with_note(harness, alex, "Sam made tea when I was stressed.")

    replies = await alex.send("/journal")

    [text] = replies.texts
    assert text.startswith(shown(WORDS.title, page=1, pages=1))
    newest, middle, oldest = text.split("\n\n")[1:]
    assert "Sam made tea" in newest
    assert shown(WORDS.checkin_note_what) in newest
    bids = TEXTS.checkin.items["bids_noticed"]
    assert shown(WORDS.answer, question=Html(bids.short), answer=bids.options["few"]) in middle
    assert "Needing Sam is not weakness." in oldest
    assert shown(WORDS.reflection_what, step=step_title(1)) in oldest
    assert [b["text"] for b in alex.last_message.buttons] == [
        shown(WORDS.open_button, number=1),
        shown(TEXTS.sharing.open_day_button, number=2),  # the check-in day opens too
        shown(WORDS.open_button, number=3),
    ]


async def test_an_empty_journal_says_what_will_gather_there(harness: BotHarness) -> None:
    alex = await onboard(harness)

    assert (await alex.send("/journal")).texts == [shown(WORDS.empty)]


async def test_paged_chat_sized_and_a_note_in_full(harness: BotHarness) -> None:
    alex = await onboard(harness)
    await open_reflection(alex, 2)
    long_words = "I keep coming back to this. " * 140  # ~3,900 characters
    await alex.send(long_words)
    for number in range(6):
        harness.clock.advance(minutes=1)
        await alex.press(TEXTS.lessons.reflect_button)
        await alex.send(f"Thought number {number}")

    first = await alex.send("/journal")
    journal = alex.last_message
    assert first.texts[0].startswith(shown(WORDS.title, page=1, pages=2))
    assert "Thought number 5" in first.text
    assert long_words.strip()[:50] not in first.text
    assert len(first.text) < 1500
    older = await alex.press(WORDS.older_button, message=journal)
    assert older.texts[0].startswith(shown(WORDS.title, page=2, pages=2))
    assert shorten(long_words, PREVIEW) in older.text

    opened = await alex.press(shown(WORDS.open_button, number=2), message=journal)
    assert long_words.strip() in opened.text  # in full, one message
    await alex.press(WORDS.back_button, message=journal)
    assert journal.text.startswith(shown(WORDS.title, page=2, pages=2))
    newer = await alex.press(WORDS.newer_button, message=journal)
    assert "Thought number 5" in newer.text


async def test_edit_and_delete_a_note(harness: BotHarness) -> None:
    alex = await onboard(harness)
    await open_reflection(alex, 1)
    await alex.send("First words")
    await alex.send("/journal")
    await alex.press(shown(WORDS.open_button, number=1))

    prompt = await alex.press(WORDS.edit_button)
    edited = await alex.send("Better words")

    assert prompt.texts == [shown(WORDS.edit_prompt)]
    assert edited.texts[0] == shown(WORDS.edited)
    assert "Better words" in edited.texts[1]
    assert [note.body for note in await harness.rows(Note)] == ["Better words"]

    question = await alex.press(WORDS.delete_button)
    assert "Better words" in question.text
    kept = await alex.press(WORDS.delete_cancel_button)
    assert "Better words" in kept.text
    assert len(await harness.rows(Note)) == 1
    await alex.press(WORDS.delete_button)
    deleted = await alex.press(WORDS.delete_confirm_button)

    assert deleted.texts == [shown(WORDS.deleted)]
    assert await harness.rows(Note) == []
    again = await alex.press(WORDS.back_button)
    assert again.texts == [shown(WORDS.empty)]


async def test_someone_elses_or_a_deleted_note_shows_nothing(harness: BotHarness) -> None:
    alex = await onboard(harness)
    sam = await onboard(harness, 2002, "Sam")
    await open_reflection(alex, 1)
    await alex.send("Alex's private thought")
    [note] = await harness.rows(Note)

    for action in ("n", "e", "d", "x"):
        forged = await sam.press_data(f"journal:{action}:{note.id}:0")
        assert forged.toasts == [STALE], action
        assert forged.texts == [], action
    assert [n.body for n in await harness.rows(Note)] == ["Alex's private thought"]

    await alex.send("/journal")
    await alex.press(shown(WORDS.open_button, number=1))
    await alex.press(WORDS.delete_button)
    await alex.press(WORDS.delete_confirm_button)
    stale = await alex.press_data(f"journal:n:{note.id}:0")
    assert stale.toasts == [STALE]
    assert stale.texts == []


async def test_journal_is_in_the_command_menu_help_and_main_menu(harness: BotHarness) -> None:
    [journal] = [command for command in TEXTS.commands if command.command == "journal"]
    assert f"/{journal.command} " in shown(TEXTS.help.text)
    alex = await onboard(harness)

    replies = await alex.press(TEXTS.menu.journal_button)

    assert replies.texts == [shown(WORDS.empty)]
