"""Input the bot did not ask for gets a short, kind reply and changes nothing."""

from __future__ import annotations

import sqlite3
from datetime import time

import pytest

from bot.storage.models import User
from tests import updates
from tests.harness import TEXTS, BotHarness, TelegramUser, shown
from tests.journeys import STALE


async def snapshot(harness: BotHarness) -> list[tuple[object, ...]]:
    """Every stored user field that a stray input could change."""
    return [
        (u.telegram_id, u.time_zone, u.checkin_time, u.pending_input, u.next_checkin_at)
        for u in await harness.rows(User)
    ]


async def at_zone_question(harness: BotHarness) -> TelegramUser:
    alex = harness.user(1001, "Alex")
    await alex.send("/start")
    await alex.press(TEXTS.onboarding.consent_yes_button)
    return alex


async def at_time_question(harness: BotHarness) -> TelegramUser:
    alex = await at_zone_question(harness)
    await alex.send("Berlin")
    return alex


async def onboarded(harness: BotHarness) -> TelegramUser:
    alex = await at_time_question(harness)
    await alex.press("20:00")
    return alex


async def test_unknown_zone_is_refused_kindly(harness: BotHarness) -> None:
    alex = await at_zone_question(harness)
    before = await snapshot(harness)

    replies = await alex.send("Mars/Olympus_Mons")

    assert replies.texts == [shown(TEXTS.onboarding.zone_invalid, text="Mars/Olympus_Mons")]
    assert await snapshot(harness) == before


async def test_gmt_minus_five_means_utc_minus_five(harness: BotHarness) -> None:
    # The IANA name Etc/GMT-5 is UTC+5; a person typing GMT-5 means five hours behind.
    alex = await at_zone_question(harness)

    replies = await alex.send("GMT-5")

    # 12:00 UTC is 07:00 there.
    assert shown(TEXTS.onboarding.zone_saved, zone="UTC-05:00", local_time="07:00") in replies.texts


async def test_impossible_time_is_refused_kindly(harness: BotHarness) -> None:
    alex = await at_time_question(harness)
    before = await snapshot(harness)

    replies = await alex.send("25:99")

    assert replies.texts == [shown(TEXTS.onboarding.time_invalid, text="25:99")]
    assert await snapshot(harness) == before


async def test_sticker_and_photo_where_a_time_is_expected(harness: BotHarness) -> None:
    alex = await at_time_question(harness)
    before = await snapshot(harness)

    sticker = await alex.send_sticker()
    photo = await alex.send_photo()

    for replies in (sticker, photo):
        assert replies.texts == [shown(TEXTS.onboarding.time_not_text)]
    assert await snapshot(harness) == before


async def test_sticker_where_a_zone_is_expected(harness: BotHarness) -> None:
    alex = await at_zone_question(harness)
    before = await snapshot(harness)

    replies = await alex.send_sticker()

    assert replies.texts == [shown(TEXTS.onboarding.zone_not_text)]
    assert await snapshot(harness) == before


async def test_location_at_sea_uses_the_nautical_offset(harness: BotHarness) -> None:
    alex = await at_zone_question(harness)

    replies = await alex.send_location(latitude=-48.87, longitude=-123.39)  # Point Nemo

    # The lookup answers Etc/GMT+8, which in POSIX terms means eight hours *behind* UTC.
    assert shown(TEXTS.onboarding.zone_saved, zone="UTC-08:00", local_time="04:00") in replies.texts


async def test_location_when_nothing_was_asked(harness: BotHarness) -> None:
    alex = await onboarded(harness)
    before = await snapshot(harness)

    replies = await alex.send_location(latitude=35.68, longitude=139.69)

    assert replies.texts == [shown(TEXTS.errors.unsupported_message)]
    assert await snapshot(harness) == before


async def test_unknown_command(harness: BotHarness) -> None:
    alex = await onboarded(harness)
    before = await snapshot(harness)

    replies = await alex.send("/dance")

    assert replies.texts == [shown(TEXTS.errors.unknown_command)]
    assert await snapshot(harness) == before


async def test_unknown_command_while_a_question_is_open_keeps_it_open(
    harness: BotHarness,
) -> None:
    alex = await at_time_question(harness)

    await alex.send("/dance")
    replies = await alex.send("21:30")

    done = shown(
        TEXTS.onboarding.done, first_name="Alex", checkin_time="21:30", zone="Europe/Berlin"
    )
    assert replies.texts == [done]


async def test_settings_before_start(harness: BotHarness) -> None:
    stranger = harness.user(2002, "Sam")

    replies = await stranger.send("/settings")

    assert replies.texts == [shown(TEXTS.errors.not_started)]
    assert await snapshot(harness) == []


async def test_text_before_start(harness: BotHarness) -> None:
    replies = await harness.user(2002, "Sam").send("hello?")

    assert replies.texts == [shown(TEXTS.errors.not_started)]
    assert await snapshot(harness) == []


async def test_chatter_with_no_open_question(harness: BotHarness) -> None:
    alex = await onboarded(harness)
    before = await snapshot(harness)

    replies = await alex.send("21:45")  # looks like a time, but nobody asked

    assert replies.texts == [shown(TEXTS.errors.unexpected_text)]
    assert await snapshot(harness) == before


async def test_ten_thousand_characters_are_not_echoed_back(harness: BotHarness) -> None:
    alex = await at_zone_question(harness)
    before = await snapshot(harness)

    replies = await alex.send("<script>" + "x" * 10_000)

    [reply] = replies.texts
    assert len(reply) < 400
    assert "<script>xxxxxxx" in reply  # quoted, shortened and escaped
    assert await snapshot(harness) == before


async def test_time_button_from_an_old_message(harness: BotHarness) -> None:
    alex = await at_time_question(harness)
    question, data = alex.find_button("19:00")
    await alex.press("20:00")
    before = await snapshot(harness)

    replies = await alex.press_data(data, message=question)

    assert replies.toasts == [STALE]
    assert await snapshot(harness) == before
    assert before[0][2] == time(20, 0)


async def test_consent_button_from_an_old_message_after_onboarding(harness: BotHarness) -> None:
    alex = harness.user(1001, "Alex")
    await alex.send("/start")
    consent, data = alex.find_button(TEXTS.onboarding.consent_no_button)
    await alex.press(TEXTS.onboarding.consent_yes_button)
    await alex.send("Berlin")
    await alex.press("20:00")
    before = await snapshot(harness)

    replies = await alex.press_data(data, message=consent)  # "Not now", long after saying yes

    assert replies.toasts == [STALE]
    assert await snapshot(harness) == before


async def test_forged_callback_data(harness: BotHarness) -> None:
    alex = await at_time_question(harness)
    before = await snapshot(harness)

    for data in ["time:99:99", "time:", "settings:drop_table", "nonsense", "\x00\xff" * 20]:
        replies = await alex.press_data(data)
        assert replies.toasts == [STALE], data
    assert await snapshot(harness) == before


async def test_edited_message_is_ignored(harness: BotHarness) -> None:
    alex = await at_time_question(harness)
    before = await snapshot(harness)

    replies = await alex.edit_message("21:00")

    assert replies.calls == []
    assert await snapshot(harness) == before


async def test_commands_in_groups_get_a_hint_only(harness: BotHarness) -> None:
    family = updates.group_chat(-100123, "supergroup", "Family")
    alex = updates.user(1001, "Alex")
    payload = {"message": updates.message(5, 1_700_000_000, family, alex, **updates.text("/start"))}

    replies = await harness.feed(payload)

    assert replies.texts == [shown(TEXTS.errors.group_chat)]
    assert await snapshot(harness) == []


async def test_a_reply_telegram_refuses_holds_back_nothing_else_and_the_change_stands(
    harness: BotHarness,
) -> None:
    alex = await at_zone_question(harness)
    # The "zone saved" reply fails at Telegram; the next question must still be asked.
    harness.api.fail_next("sendMessage", 500, "Internal Server Error")

    replies = await alex.send("Berlin")

    assert [call.status for call in replies.calls] == [500, 200]
    assert alex.last_message.text == shown(TEXTS.onboarding.ask_checkin_time)
    [user] = await harness.rows(User)
    assert user.time_zone == "Europe/Berlin"


@pytest.mark.parametrize("backend", ["sqlite"])  # another process's file lock: SQLite only
async def test_while_another_process_holds_the_sqlite_file_a_change_is_asked_again(
    harness: BotHarness, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    alex = await at_zone_question(harness)
    other = sqlite3.connect(database_url.removeprefix("sqlite+aiosqlite:///"), timeout=0)
    other.execute("BEGIN IMMEDIATE")  # another process writing, longer than the busy timeout
    try:
        replies = await alex.send("Berlin")
    finally:
        other.rollback()
        other.close()

    assert replies.texts == [TEXTS.errors.database_unavailable]
    assert [u.time_zone for u in await harness.rows(User)] == [None]
    assert "the database is unavailable" in caplog.text
    assert "Traceback" not in caplog.text

    replies = await alex.send("Berlin")  # once it has let go, the same answer is saved

    assert [u.time_zone for u in await harness.rows(User)] == ["Europe/Berlin"]
    assert "the database is back" in caplog.text
