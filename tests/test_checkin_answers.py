"""The evening check-in as a person answers it: one stress question at a time, a mis-tap
changed, Snooze and Skip until the end, and answers stored before the questions changed."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.models import Checkin, CheckinAnswer
from tests.harness import TEXTS, BotHarness, MigrationRoundTrip, TelegramUser, shown
from tests.journeys import (
    answer_checkin,
    checkin_answered,
    checkin_message,
    checkin_question,
    evening,
    onboard,
)
from tests.telegram_fake import BotMessage

WORDS = TEXTS.checkin
FRIDAY = date(2026, 11, 27)


def option_data(message: BotMessage, item: str, value: str) -> str:
    """The data of the button answering ``item`` with ``value``, however it is labelled."""
    [data] = [
        b["callback_data"]
        for b in message.buttons
        if b["callback_data"].endswith(f":{item}:{value}")
    ]
    return data


async def stored(harness: BotHarness) -> dict[str, str]:
    return {a.item: a.value for a in await harness.rows(CheckinAnswer)}


async def test_stress_is_asked_one_thing_at_a_time(harness: BotHarness) -> None:
    alex = await onboard(harness)
    await evening(harness, datetime(2026, 11, 27, 20, 0, tzinfo=UTC))
    prompt = await answer_checkin(alex, {"bids_noticed": "none", "bids_made": "none"})
    assert prompt.text.endswith(checkin_question("stressed_me"))
    assert {b["text"] for b in prompt.buttons} >= set(WORDS.items["stressed_me"].options.values())

    # Not stressed: no question about support for it; the partner's day comes next.
    await answer_checkin(alex, {"stressed_me": "no"}, message=prompt)
    assert prompt.text.endswith(checkin_question("stressed_partner"))
    await answer_checkin(alex, {"stressed_partner": "yes"}, message=prompt)
    assert prompt.text.endswith(checkin_question("support_given"))
    await answer_checkin(alex, {"support_given": "no"}, message=prompt)

    # The summary reads as two plain answers, not one ambiguous "No".
    assert checkin_answered("stressed_me", "no") in prompt.text
    assert checkin_answered("stressed_partner", "yes") in prompt.text
    assert checkin_answered("support_given", "no") in prompt.text
    assert prompt.text.endswith(shown(WORDS.note_question))
    assert "support_received" not in await stored(harness)


async def test_a_mis_tapped_answer_is_changed_until_the_day_is_closed(
    harness: BotHarness,
) -> None:
    alex = await onboard(harness)
    await evening(harness, datetime(2026, 11, 27, 20, 0, tzinfo=UTC))
    prompt = await answer_checkin(
        alex, {"bids_noticed": "few", "bids_response": "away", "bids_made": "met"}
    )

    # "Turned away" was a mis-tap: change it, the new answer replaces the old.
    await alex.press(WORDS.change_button, message=prompt)
    assert shown(WORDS.change_question) in prompt.text
    short = WORDS.items["bids_response"].short
    await alex.press(short, message=prompt)
    assert prompt.text.endswith(checkin_question("bids_response"))
    marked = shown(WORDS.current_option, option=WORDS.items["bids_response"].options["away"])
    assert marked in [b["text"] for b in prompt.buttons]
    await alex.press_data(option_data(prompt, "bids_response", "toward"), message=prompt)

    assert checkin_answered("bids_response", "toward") in prompt.text
    assert checkin_answered("bids_response", "away") not in prompt.text
    assert prompt.text.endswith(checkin_question("stressed_me"))  # back where Alex was
    assert (await stored(harness))["bids_response"] == "toward"

    # Changing "few bids" to "none" takes the answer about responding to them along.
    await alex.press(WORDS.change_button, message=prompt)
    await alex.press(WORDS.items["bids_noticed"].short, message=prompt)
    await alex.press_data(option_data(prompt, "bids_noticed", "none"), message=prompt)
    assert "bids_response" not in await stored(harness)
    await answer_checkin(alex, {"stressed_me": "no", "stressed_partner": "no"}, message=prompt)
    await alex.press(WORDS.done_button, message=prompt)
    assert shown(WORDS.finished) in prompt.text

    # Even after "Done", until the next evening.
    await alex.press(WORDS.change_button, message=prompt)
    await alex.press(WORDS.items["bids_made"].short, message=prompt)
    await alex.press_data(option_data(prompt, "bids_made", "partly"), message=prompt)
    assert (await stored(harness))["bids_made"] == "partly"

    # The next evening closes the day: its buttons say so, and are taken away.
    await evening(harness, datetime(2026, 11, 28, 20, 0, tzinfo=UTC))
    replies = await alex.press(WORDS.change_button, message=prompt)
    assert replies.toasts == [WORDS.closed]
    assert prompt.buttons == []
    assert (await stored(harness))["bids_made"] == "partly"


async def snooze_once_started(harness: BotHarness, alex: TelegramUser) -> BotMessage:
    await evening(harness, datetime(2026, 11, 27, 20, 0, tzinfo=UTC))
    prompt = await answer_checkin(alex, {"bids_noticed": "some"})
    assert [WORDS.snooze_button, WORDS.skip_button] == [
        b["text"] for b in prompt.buttons if b["text"] in (WORDS.snooze_button, WORDS.skip_button)
    ]
    await alex.press(WORDS.snooze_button, message=prompt)
    return prompt


async def test_snooze_stays_until_the_check_in_is_complete_and_goes_on_from_there(
    harness: BotHarness,
) -> None:
    alex = await onboard(harness)
    await snooze_once_started(harness, alex)
    await evening(harness, datetime(2026, 11, 27, 21, 1, tzinfo=UTC))

    again = checkin_message(alex)
    assert checkin_answered("bids_noticed", "some") in again.text
    assert again.text.endswith(checkin_question("bids_response"))
    await answer_checkin(
        alex,
        {"bids_response": "toward", "bids_made": "none", "stressed_me": "no"},
        message=again,
    )
    await answer_checkin(alex, {"stressed_partner": "no"}, message=again)
    labels = [b["text"] for b in again.buttons]
    assert WORDS.snooze_button not in labels
    assert WORDS.skip_button not in labels


async def test_skip_is_offered_after_the_first_answer_too(harness: BotHarness) -> None:
    alex = await onboard(harness)
    await evening(harness, datetime(2026, 11, 27, 20, 0, tzinfo=UTC))
    prompt = await answer_checkin(alex, {"bids_noticed": "none"})

    await alex.press(WORDS.skip_button, message=prompt)

    assert prompt.text == shown(WORDS.skipped)
    [checkin] = await harness.rows(Checkin)
    assert checkin.skipped_at is not None


OLD_ANSWERS = {
    # (old my_stress, old partner_stress) -> what the new questions hold
    ("calm", "yes"): {"stressed_me": "no", "stressed_partner": "yes", "support_given": "yes"},
    ("somewhat", "no"): {
        "stressed_me": "yes",
        "support_received": "somewhat",
        "stressed_partner": "yes",
        "support_given": "no",
    },
    ("no", "calm"): {"stressed_me": "yes", "support_received": "no", "stressed_partner": "no"},
}


async def test_the_migration_maps_stored_stress_answers_to_the_new_questions(
    harness: BotHarness, migration_round_trip: MigrationRoundTrip
) -> None:
    harness.clock.now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    alex = await onboard(harness)
    for day in (24, 25, 26):
        await evening(harness, datetime(2026, 11, day, 20, 0, tzinfo=UTC))
    checkins = await harness.rows(Checkin, Checkin.kind == "evening")
    assert [c.local_date.day for c in checkins] == [24, 25, 26]

    async def old_answers(connection: AsyncConnection) -> None:
        """Answers as the bot stored them before the stress question was split."""
        for checkin, (mine, theirs) in zip(checkins, OLD_ANSWERS, strict=True):
            for item, value in (("bids_noticed", "none"), ("bids_made", "none"),
                                ("my_stress", mine), ("partner_stress", theirs)):  # fmt: skip
                await connection.execute(
                    text(
                        "INSERT INTO checkin_answers (checkin_id, item, value, answered_at) "
                        "VALUES (:c, :i, :v, :at)"
                    ),
                    {"c": checkin.id, "i": item, "v": value, "at": checkin.sent_at},
                )

    await migration_round_trip("0006", old_answers)

    await alex.send("/export")
    [document] = [m for m in alex.chat if m.kind == "document"]
    assert document.file is not None
    exported = json.loads(document.file[1])["checkins"]
    assert [entry["date"] for entry in exported] == ["2026-11-24", "2026-11-25", "2026-11-26"]
    for entry, expected in zip(exported, OLD_ANSWERS.values(), strict=True):
        assert entry["answers"] == {"bids_noticed": "none", "bids_made": "none", **expected}
