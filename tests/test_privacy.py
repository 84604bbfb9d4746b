"""Owning one's data (/export, /delete), finding help (/support), and staying out of groups."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.jobs.checkin_sender import send_due_checkins
from bot.storage.models import (
    Checkin,
    CheckinAnswer,
    CodeAttempt,
    CoupleMember,
    LessonProgress,
    Moment,
    Note,
    User,
)
from tests import updates
from tests.harness import TEXTS, BotHarness, TelegramUser, shown, shown_count
from tests.journeys import (
    SUPPORT_UNKNOWN,
    answer_checkin,
    checklist_button,
    onboard,
    open_reflection,
    pair,
)

WORDS = TEXTS.privacy


async def a_full_life(harness: BotHarness) -> tuple[TelegramUser, TelegramUser]:
    """Alex and Sam, paired, with a check-in, a note each, a moment, a reflection, progress."""
    alex = await onboard(harness, 1001, "Alex")
    sam = await onboard(harness, 2002, "Sam")
    await pair(alex, sam)
    harness.clock.now = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
    assert harness.app is not None
    await send_due_checkins(harness.app.bot, harness.app.bot_data.services)
    answers = {
        "bids_noticed": "few",
        "bids_response": "toward",
        "bids_made": "met",
        "stressed_me": "no",
        "stressed_partner": "no",
    }
    for person, note in ((alex, "Alex's private words"), (sam, "Sam's private words")):
        await answer_checkin(person, answers, note=note)
    await alex.send("/bid")
    await alex.press(TEXTS.moments.bid_made_button)
    await alex.press(TEXTS.moments.outcomes["bid_made"]["met"])
    await open_reflection(alex, 1)
    await alex.send("Alex's reflection")
    await alex.send("/checklist")
    await alex.press(checklist_button(0))
    return alex, sam


async def test_export_holds_everything_of_mine_and_nothing_of_my_partners(
    harness: BotHarness,
) -> None:
    alex, _ = await a_full_life(harness)

    replies = await alex.send("/export")

    [document] = [m for m in alex.chat if m.kind == "document"]
    assert document.file is not None
    name, content = document.file
    assert name == shown(WORDS.export_filename, day="2026-11-27")
    data = json.loads(content)
    assert data["profile"]["time_zone"] == "Europe/Berlin"
    assert data["pairing_history"][0]["partner"] == "Sam"
    assert data["checkins"][0]["answers"]["bids_made"] == "met"
    assert [n["text"] for n in data["notes"]] == ["Alex's private words", "Alex's reflection"]
    assert data["moments"][0]["kind"] == "bid_made"
    assert data["checklist"][0]["step"] == 1
    assert data["lessons"][0]["framework"] == "secure_base"
    assert "Sam's private words" not in content.decode()
    counts = {
        "checkins": shown_count(WORDS.checkins, 1),
        "moments": shown_count(WORDS.moments, 1),
        "notes": shown_count(WORDS.notes, 2),
    }
    summary = shown(WORDS.export_summary, **counts)
    assert replies.texts == [f"{summary}\n\n{shown(WORDS.export_nothing_from_partner)}"]


async def test_delete_erases_everything_and_ends_the_couple(harness: BotHarness) -> None:
    alex, sam = await a_full_life(harness)
    question = await alex.send("/delete")
    assert question.texts == [shown(f"{WORDS.delete_question}\n\n{TEXTS.quiet.delete_hint}")]

    kept = await alex.press(WORDS.delete_cancel_button)
    assert kept.texts == [shown(WORDS.delete_kept)]
    assert len(await harness.rows(User)) == 2

    await alex.send("/delete")
    done = await alex.press(WORDS.delete_confirm_button)

    assert done.texts == [f"{shown(WORDS.deleted)}\n\n{shown(WORDS.clear_chat)}"]
    # The partner learns that the pairing ended, and nothing more (no word of deleting, in any
    # language: tests/test_content.py).
    assert sam.last_message.text == shown(TEXTS.pairing.unpaired_partner, partner="Alex")
    assert len(await harness.rows(User, User.telegram_id == 1001)) == 0
    for model in (Note, Moment, LessonProgress):
        assert len(await harness.rows(model, model.user_id != 2)) == 0
    assert len(await harness.rows(Note)) == 1  # Sam's own note stays
    assert len(await harness.rows(Checkin, Checkin.user_id != 2)) == 0
    assert len(await harness.rows(CheckinAnswer)) == 5  # Sam's answers only
    assert len(await harness.rows(CoupleMember, CoupleMember.ended_at.is_(None))) == 0
    ended = shown(TEXTS.pairing.pairing_ended_unnamed, day="27 November 2026")
    assert (await sam.send("/partner")).texts == [ended]

    again = await alex.send("/start")
    # Alex starts fresh: greeted as new, asked for consent again.
    assert again.texts == [
        shown(TEXTS.onboarding.welcome, first_name="Alex"),
        shown(TEXTS.onboarding.consent_question),
    ]


async def test_delete_also_forgets_wrong_code_attempts(harness: BotHarness) -> None:
    mallory = await onboard(harness, 6666, "Mallory")
    await mallory.send("/join AAAAA-AAAAA")
    assert len(await harness.rows(CodeAttempt)) == 1

    await mallory.send("/delete")
    await mallory.press(WORDS.delete_confirm_button)

    assert len(await harness.rows(CodeAttempt)) == 0


async def test_support_is_one_command_away_for_everyone(harness: BotHarness) -> None:
    stranger = harness.user(4040, "Robin")

    replies = await stranger.send("/support")

    # The help and the first words point to it (what they must say: tests/test_content.py).
    assert replies.texts == [SUPPORT_UNKNOWN]
    assert (await stranger.send("/help")).texts == [shown(TEXTS.help.text)]
    welcome = shown(TEXTS.onboarding.welcome, first_name="Robin")
    assert welcome in (await stranger.send("/start")).texts


async def test_the_bot_leaves_groups_it_is_added_to(harness: BotHarness) -> None:
    friends = updates.group_chat(-100777, "supergroup", "Friends")
    added = updates.member_update(
        friends, updates.user(1001, "Alex"), 1_700_000_000, harness.api.bot_user(), "left", "member"
    )
    payload = {"my_chat_member": added}

    replies = await harness.feed(payload)

    assert replies.texts == [shown(TEXTS.group.joined)]
    assert -100777 in harness.api.left_chats


async def test_prompts_and_notifications_never_quote_a_note(harness: BotHarness) -> None:
    await a_full_life(harness)
    sent = [c for c in harness.api.calls if c.method == "sendMessage" and c.status == 200]

    for call in sent:
        first_line = (call.text or "").splitlines()[0]
        assert "private words" not in first_line
        assert "Alex's reflection" not in first_line
