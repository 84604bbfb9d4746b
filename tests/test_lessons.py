"""The course in the chat: walking it, resuming it, reflections, the checklist."""

from __future__ import annotations

import shutil
from pathlib import Path

from timezonefinder import TimezoneFinder

from bot.config import Settings
from bot.content import load_frameworks
from bot.content.course import FRAMEWORKS_DIR
from bot.storage.models import Note
from tests.harness import BotHarness
from tests.journeys import STALE, onboard, open_reflection, pair
from tests.telegram_fake import FakeBotApi

COURSE = load_frameworks()["secure_base"]
FIXTURES = Path(__file__).parent / "fixtures" / "frameworks"


async def test_walk_the_whole_course_in_one_message_and_back(harness: BotHarness) -> None:
    alex = await onboard(harness)

    overview = await alex.send("/learn")
    assert "The Secure Base Strategy" in overview.text
    assert "Five principles" in overview.text
    course_message = alex.last_message
    messages_before = len(alex.chat)

    await alex.press("Start", message=course_message)
    seen = [course_message.text]
    for _ in range(len(COURSE.pages()) - 1):
        await alex.press("Next", message=course_message)
        seen.append(course_message.text)

    assert "You've finished the course" in course_message.text
    assert len(alex.chat) == messages_before  # every move edited the same message
    practice_pages = [text for text in seen if "This week's practice" in text]
    assert len(practice_pages) == 4
    for section in COURSE.sections:
        assert any(section.title in text for text in seen), section.title

    await alex.press("Start again", message=course_message)
    assert "1/3" in course_message.text
    await alex.press("Next", message=course_message)
    await alex.press("Back", message=course_message)
    assert "1/3" in course_message.text
    await alex.press("Overview", message=course_message)
    assert "Continue" in " ".join(b["text"] for b in course_message.buttons)


async def test_learn_resumes_at_the_same_card_after_a_restart(harness: BotHarness) -> None:
    alex = await onboard(harness)
    await alex.send("/learn")
    await alex.press("Five principles")
    await alex.press("Next")
    where = alex.last_message.text

    await harness.restart()
    replies = await alex.send("/learn")

    assert replies.texts == [where]
    assert "Five principles · 2/3" in where


async def test_reflection_is_private_until_shared(harness: BotHarness) -> None:
    alex = await onboard(harness)
    await alex.send("/learn")
    await alex.press("Step 2")
    await alex.press("Next")
    await alex.press("Next")
    assert "This week's practice" in alex.last_message.text

    prompt = await alex.press("Write my answer")
    assert COURSE.steps[1].reflection in prompt.text
    saved = await alex.send("I missed two of Sam's texts today & felt bad <3")

    assert "Only you can see this" in saved.text
    [note] = await harness.rows(Note)
    assert (note.framework_id, note.step, note.visibility) == ("secure_base", 2, "private")
    assert note.body == "I missed two of Sam's texts today & felt bad <3"

    await alex.press("Share with my partner")
    assert (await harness.rows(Note))[0].visibility == "shared"
    await alex.press("Make it private again")
    assert (await harness.rows(Note))[0].visibility == "private"


async def test_text_without_an_open_question_is_not_a_reflection(harness: BotHarness) -> None:
    alex = await onboard(harness)
    await alex.send("/learn")
    await alex.press("Step 1")

    replies = await alex.send("this is just chatter")

    assert "not sure what to do with that" in replies.text
    assert await harness.rows(Note) == []


async def test_overlong_reflection_is_refused_and_the_question_stays_open(
    harness: BotHarness,
) -> None:
    alex = await onboard(harness)
    await open_reflection(alex, 1)

    too_long = await alex.send("x" * 10_000)
    sticker = await alex.send_sticker()
    fine = await alex.send("Needing Sam is not weakness.")

    assert "longer than I can keep (4,000 characters at most)" in too_long.text
    assert "only keep written answers" in sticker.text
    assert "Saved" in fine.text
    assert [n.body for n in await harness.rows(Note)] == ["Needing Sam is not weakness."]


async def test_checklist_toggles_persist(harness: BotHarness) -> None:
    alex = await onboard(harness)

    await alex.send("/checklist")
    labels = [b["text"] for b in alex.last_message.buttons][:4]
    assert labels == [f"⬜ {step.checklist}" for step in COURSE.steps]
    await alex.press(COURSE.steps[1].checklist)
    await alex.press(COURSE.steps[3].checklist)
    await alex.press(COURSE.steps[3].checklist)  # and off again

    await harness.restart()
    await alex.send("/checklist")
    labels = [b["text"] for b in alex.last_message.buttons][:4]
    assert labels == [
        f"{'✅' if n == 2 else '⬜'} {step.checklist}" for n, step in enumerate(COURSE.steps, 1)
    ]


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
    replies = await alex.send("/pair")
    code = replies.text.split("start=")[1][:10]
    await sam.send(f"/join {code}")
    await sam.press("Yes, pair us")

    assert "Sam hasn't opened the course yet" in (await alex.send("/learn")).text
    await open_reflection(sam, 3)
    await sam.send("A very private answer")

    overview = await alex.send("/learn")  # Alex never moved: the overview again

    assert "Sam is at: Step 3 · Be a safe harbour" in overview.text
    assert "private answer" not in overview.text


async def test_a_second_framework_is_just_a_file(
    settings: Settings, api: FakeBotApi, zone_finder: TimezoneFinder, tmp_path: Path
) -> None:
    shutil.copy(FRAMEWORKS_DIR / "secure_base.toml", tmp_path)
    shutil.copy(FIXTURES / "tiny.toml", tmp_path)
    async with BotHarness(
        settings, api=api, zone_finder=zone_finder, frameworks=load_frameworks(tmp_path)
    ) as harness:
        alex = await onboard(harness)
        chooser = await alex.send("/learn")
        assert "Which course" in chooser.text
        await alex.press("Tiny Habits")
        await alex.press("Start")
        while "Done!" not in alex.last_message.text:
            await alex.press("Next")
        await alex.send("/checklist")
        assert "Tiny Habits: your checklist" in alex.last_message.text
        assert [b["text"] for b in alex.last_message.buttons][:2] == [
            "⬜ Picked an anchor",
            "⬜ Celebrated a win",
        ]


async def test_a_shared_reflection_reaches_the_partner_and_a_private_one_does_not(
    harness: BotHarness,
) -> None:
    alex = await onboard(harness)
    sam = await onboard(harness, 2002, "Sam")
    await pair(alex, sam)
    await sam.send("/learn")
    await sam.press("Step 2")
    await sam.press("Next")
    await sam.press("Next")
    for text, share in (("Sam's open words", True), ("Sam's own words", False)):
        await sam.send("/learn")  # back on the practice page where Sam left off
        await sam.press("Write my answer")
        await sam.send(text)
        if share:
            await sam.press("Share with my partner")

    overview = (await alex.send("/learn")).text

    assert "Sam shared, on Step 2 · Answer their bids: “Sam's open words”" in overview
    assert "own words" not in overview
