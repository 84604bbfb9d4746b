"""The course in the chat: walking it, resuming it, reflections, the checklist."""

from __future__ import annotations

import shutil
from pathlib import Path

from timezonefinder import TimezoneFinder

from bot.config import Settings
from bot.content import Html, load_frameworks, render
from bot.content.course import FRAMEWORKS_DIR, Section
from bot.storage.models import Note
from tests.harness import TEXTS, BotHarness, shown
from tests.journeys import (
    COURSE,
    STALE,
    checklist_button,
    onboard,
    open_reflection,
    pair,
    step_title,
)
from tests.telegram_fake import FakeBotApi

FIXTURES = Path(__file__).parent / "fixtures" / "frameworks"
WORDS = TEXTS.lessons


def overview(*partner_lines: str) -> str:
    """/learn for someone who has not opened the course, with what it says of the partner."""
    sections = "\n".join(
        render(WORDS.overview_section, mark=WORDS.unvisited_mark, title=section.title)
        for section in COURSE.sections
    )
    text = shown(
        WORDS.overview, title=COURSE.title, tagline=COURSE.tagline, sections=Html(sections)
    )
    return "\n\n".join([text, "\n".join(partner_lines)]) if partner_lines else text


def practice_page(step: Section) -> str:
    """The body of a step's practice page."""
    return shown(
        WORDS.practice, practice=Html(step.practice or ""), reflection=Html(step.reflection or "")
    )


def checklist_labels(steps: list[Section], ticked: set[int]) -> list[str]:
    return [
        shown(
            WORDS.checklist_done if step.step in ticked else WORDS.checklist_open,
            label=step.checklist,
        )
        for step in steps
    ]


async def test_walk_the_whole_course_in_one_message_and_back(harness: BotHarness) -> None:
    alex = await onboard(harness)

    assert (await alex.send("/learn")).texts == [overview()]
    course_message = alex.last_message
    messages_before = len(alex.chat)

    await alex.press(WORDS.start_button, message=course_message)
    seen = [course_message.text]
    for _ in range(len(COURSE.pages()) - 1):
        await alex.press(WORDS.next_button, message=course_message)
        seen.append(course_message.text)

    assert course_message.text == shown(COURSE.closing)
    assert len(alex.chat) == messages_before  # every move edited the same message
    for step in COURSE.steps:
        assert sum(practice_page(step) in text for text in seen) == 1, step.title
    for section in COURSE.sections:
        assert any(section.title in text for text in seen), section.title

    await alex.press(WORDS.restart_button, message=course_message)
    assert course_message.text == seen[0]
    await alex.press(WORDS.next_button, message=course_message)
    await alex.press(WORDS.back_button, message=course_message)
    assert course_message.text == seen[0]
    await alex.press(WORDS.overview_button, message=course_message)
    assert WORDS.continue_button in [b["text"] for b in course_message.buttons]


async def test_learn_resumes_at_the_same_card_after_a_restart(harness: BotHarness) -> None:
    alex = await onboard(harness)
    principles = next(section for section in COURSE.sections if section.id == "principles")
    await alex.send("/learn")
    await alex.press(principles.title)
    await alex.press(WORDS.next_button)
    where = alex.last_message.text

    await harness.restart()
    replies = await alex.send("/learn")

    assert replies.texts == [where]
    header = shown(
        WORDS.card_header, section=principles.title, position=2, total=len(principles.cards)
    )
    assert where == f"{header}\n\n{shown(principles.cards[1].text)}"


async def test_reflection_is_private_until_shared(harness: BotHarness) -> None:
    alex = await onboard(harness)
    step = COURSE.steps[1]
    await alex.send("/learn")
    await alex.press(step_title(2))
    await alex.press(WORDS.next_button)
    await alex.press(WORDS.next_button)
    assert practice_page(step) in alex.last_message.text

    prompt = await alex.press(WORDS.reflect_button)
    assert prompt.texts == [shown(WORDS.reflection_prompt, reflection=Html(step.reflection or ""))]
    saved = await alex.send("I missed two of Sam's texts today & felt bad <3")

    assert saved.texts == [shown(TEXTS.notes.saved)]
    [note] = await harness.rows(Note)
    assert (note.framework_id, note.step, note.visibility) == ("secure_base", 2, "private")
    assert note.body == "I missed two of Sam's texts today & felt bad <3"

    await alex.press(TEXTS.notes.share_button)
    assert (await harness.rows(Note))[0].visibility == "shared"
    assert alex.last_message.text == shown(TEXTS.notes.shared_unpaired)
    await alex.press(TEXTS.notes.unshare_button)
    assert (await harness.rows(Note))[0].visibility == "private"
    assert alex.last_message.text == shown(TEXTS.notes.saved)


async def test_text_without_an_open_question_is_not_a_reflection(harness: BotHarness) -> None:
    alex = await onboard(harness)
    await alex.send("/learn")
    await alex.press(step_title(1))

    replies = await alex.send("this is just chatter")

    assert replies.texts == [shown(TEXTS.errors.unexpected_text)]
    assert await harness.rows(Note) == []


async def test_overlong_reflection_is_refused_and_the_question_stays_open(
    harness: BotHarness,
) -> None:
    alex = await onboard(harness)
    await open_reflection(alex, 1)

    too_long = await alex.send("x" * 10_000)
    sticker = await alex.send_sticker()
    fine = await alex.send("Needing Sam is not weakness.")

    assert too_long.texts == [shown(TEXTS.notes.too_long, limit="4,000")]
    assert sticker.texts == [shown(WORDS.reflection_not_text)]
    assert fine.texts == [shown(TEXTS.notes.saved)]
    assert [n.body for n in await harness.rows(Note)] == ["Needing Sam is not weakness."]


async def test_checklist_toggles_persist(harness: BotHarness) -> None:
    alex = await onboard(harness)

    await alex.send("/checklist")
    labels = [b["text"] for b in alex.last_message.buttons][:4]
    assert labels == checklist_labels(COURSE.steps, ticked=set())
    await alex.press(checklist_button(1))
    await alex.press(checklist_button(3))
    await alex.press(checklist_button(3))  # and off again

    await harness.restart()
    await alex.send("/checklist")
    labels = [b["text"] for b in alex.last_message.buttons][:4]
    assert labels == checklist_labels(COURSE.steps, ticked={2})


async def test_stale_and_forged_buttons_change_nothing(harness: BotHarness) -> None:
    alex = await onboard(harness)
    sam = await onboard(harness, 2002, "Sam")
    await open_reflection(alex, 1)
    await alex.send("My private thought")
    [note] = await harness.rows(Note)
    before = alex.last_message.text

    for data in [
        "learn:secure_base:no_such_card",  # a card removed from the content
        "learn:other_framework:@",  # a framework that does not exist
        "reflect:secure_base:7",  # a step that does not exist
        "check:secure_base:9",
        "learn:secure_base:../../etc",
        "learn:" + "a" * 58,
    ]:
        assert (await alex.press_data(data)).toasts == [STALE], data
    # Sam cannot share (or even touch) Alex's note by forging its id.
    assert (await sam.press_data(f"note:{note.id}:shared")).toasts == [STALE]
    assert (await harness.rows(Note))[0].visibility == "private"
    assert alex.last_message.text == before


async def test_partner_sees_where_i_am_but_never_my_reflections(harness: BotHarness) -> None:
    alex = await onboard(harness)
    sam = await onboard(harness, 2002, "Sam")
    await pair(alex, sam)

    not_started = shown(WORDS.partner_not_started, partner="Sam")
    assert (await alex.send("/learn")).texts == [overview(not_started)]
    await open_reflection(sam, 3)
    await sam.send("A very private answer")

    replies = await alex.send("/learn")  # Alex never moved: the overview again

    at_step_3 = shown(WORDS.partner_progress, partner="Sam", where=step_title(3))
    assert replies.texts == [overview(at_step_3)]


async def test_a_second_framework_is_just_a_file(
    settings: Settings, api: FakeBotApi, zone_finder: TimezoneFinder, tmp_path: Path
) -> None:
    shutil.copy(FRAMEWORKS_DIR / "secure_base.toml", tmp_path)
    shutil.copy(FIXTURES / "tiny.toml", tmp_path)
    frameworks = load_frameworks(tmp_path)
    tiny = frameworks["tiny_habits"]
    async with BotHarness(
        settings, api=api, zone_finder=zone_finder, frameworks=frameworks
    ) as harness:
        alex = await onboard(harness)
        chooser = await alex.send("/learn")
        assert chooser.texts == [shown(WORDS.choose_framework)]
        await alex.press(tiny.title)
        await alex.press(WORDS.start_button)
        while alex.last_message.text != shown(tiny.closing):
            await alex.press(WORDS.next_button)
        await alex.send("/checklist")
        assert alex.last_message.text == shown(WORDS.checklist_title, title=tiny.title)
        labels = [b["text"] for b in alex.last_message.buttons][:2]
        assert labels == checklist_labels(tiny.steps, ticked=set())


async def test_a_shared_reflection_reaches_the_partner_and_a_private_one_does_not(
    harness: BotHarness,
) -> None:
    alex = await onboard(harness)
    sam = await onboard(harness, 2002, "Sam")
    await pair(alex, sam)
    await sam.send("/learn")
    await sam.press(step_title(2))
    await sam.press(WORDS.next_button)
    await sam.press(WORDS.next_button)
    for text, share in (("Sam's open words", True), ("Sam's own words", False)):
        await sam.send("/learn")  # back on the practice page where Sam left off
        await sam.press(WORDS.reflect_button)
        await sam.send(text)
        if share:
            await sam.press(TEXTS.notes.share_button)

    replies = await alex.send("/learn")

    where = shown(WORDS.partner_progress, partner="Sam", where=step_title(2))
    shared = shown(
        WORDS.partner_reflection, partner="Sam", step=step_title(2), text="Sam's open words"
    )
    assert replies.texts == [overview(where, shared)]
