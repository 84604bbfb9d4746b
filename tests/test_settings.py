"""/settings, /cancel, /help and the main menu."""

from __future__ import annotations

from datetime import UTC, datetime, time

from timezonefinder import TimezoneFinder

from bot.config import Settings
from bot.storage.models import User
from tests.harness import BotHarness, TelegramUser
from tests.telegram_fake import FakeBotApi


async def onboarded(harness: BotHarness) -> TelegramUser:
    alex = harness.user(1001, "Alex")
    await alex.send("/start")
    await alex.press("Yes")
    await alex.send("Berlin")
    await alex.press("20:00")
    return alex


async def test_settings_show_zone_local_time_and_checkin_time(harness: BotHarness) -> None:
    alex = await onboarded(harness)

    replies = await alex.send("/settings")

    assert "Time zone: Europe/Berlin (it's 13:00 there now)" in replies.text
    assert "Evening check-in: 20:00" in replies.text
    assert "Weekly question: Sunday" in replies.text
    assert "Check-ins: on" in replies.text
    labels = [b["text"] for b in alex.last_message.buttons]
    assert labels == [
        "🌍 Change time zone",
        "🕗 Change check-in time",
        "📅 Weekly question day",
        "⏸ Pause for a week",
        "🔔 Partner check-in note: turn on",
        "Done",
    ]


async def test_change_time_zone_moves_the_next_checkin(harness: BotHarness) -> None:
    alex = await onboarded(harness)
    await alex.send("/settings")

    await alex.press("Change time zone")
    assert "📍 Share my location" in alex.last_message.keyboard
    replies = await alex.send("America/New_York")

    assert "Time zone: America/New_York" in replies.text
    [user] = await harness.rows(User, User.telegram_id == 1001)
    assert user.time_zone == "America/New_York"
    assert user.pending_input is None
    # 20:00 in New York on 27 Nov (EST, UTC-5) is 01:00 UTC the next day.
    assert user.next_checkin_at == datetime(2026, 11, 28, 1, 0, tzinfo=UTC)


async def test_change_checkin_time_by_typing(harness: BotHarness) -> None:
    alex = await onboarded(harness)
    await alex.send("/settings")

    await alex.press("Change check-in time")
    replies = await alex.send("7:15 pm")

    assert "Your check-in now comes at 19:15" in replies.text
    assert "Evening check-in: 19:15" in replies.text
    [user] = await harness.rows(User, User.telegram_id == 1001)
    assert user.checkin_time == time(19, 15)
    assert user.next_checkin_at == datetime(2026, 11, 27, 18, 15, tzinfo=UTC)


async def test_change_checkin_time_by_button(harness: BotHarness) -> None:
    alex = await onboarded(harness)
    await alex.send("/settings")
    await alex.press("Change check-in time")

    await alex.press("22:00")

    [user] = await harness.rows(User, User.telegram_id == 1001)
    assert user.checkin_time == time(22, 0)
    assert alex.chat[-2].buttons == []  # the buttons of the answered question are gone


async def test_checkin_time_earlier_than_now_schedules_tomorrow(harness: BotHarness) -> None:
    alex = await onboarded(harness)
    await alex.send("/settings")
    await alex.press("Change check-in time")

    await alex.send("09:00")  # it is 13:00 in Berlin already

    [user] = await harness.rows(User, User.telegram_id == 1001)
    assert user.next_checkin_at == datetime(2026, 11, 28, 8, 0, tzinfo=UTC)


async def test_cancel_a_settings_change(harness: BotHarness) -> None:
    alex = await onboarded(harness)
    await alex.send("/settings")
    await alex.press("Change time zone")

    replies = await alex.send("/cancel")
    assert replies.texts == ["Okay, cancelled. Nothing was changed."]
    replies = await alex.send("Tokyo")  # no longer taken as a zone

    assert "not sure what to do with that" in replies.text
    [user] = await harness.rows(User, User.telegram_id == 1001)
    assert user.time_zone == "Europe/Berlin"


async def test_cancel_with_nothing_open(harness: BotHarness) -> None:
    alex = await onboarded(harness)

    replies = await alex.send("/cancel")

    assert replies.texts == ["There's nothing to cancel right now."]


async def test_done_closes_the_settings(harness: BotHarness) -> None:
    alex = await onboarded(harness)
    await alex.send("/settings")

    await alex.press("Done")

    assert alex.last_message.buttons == []
    assert "Settings saved" in alex.last_message.text


async def test_settings_during_onboarding_repeats_the_question(harness: BotHarness) -> None:
    alex = harness.user(1001, "Alex")
    await alex.send("/start")
    await alex.press("Yes")

    replies = await alex.send("/settings")

    assert "where are you in time" in replies.text


async def test_help_lists_every_command_with_a_line_each(harness: BotHarness) -> None:
    replies = await harness.user(3003, "Kim").send("/help")

    for command in harness.api.commands:
        assert f"/{command['command']} – " in replies.text
    assert "not therapy" in replies.text


async def test_menu_buttons(harness: BotHarness) -> None:
    alex = await onboarded(harness)

    settings = await alex.press("Settings")
    help_ = await alex.press("Help")

    assert "Your settings" in settings.text
    assert "What I can do" in help_.text


async def test_stats_for_operators_only(
    settings: Settings, api: FakeBotApi, zone_finder: TimezoneFinder
) -> None:
    operator_settings = settings.model_copy(update={"admin_ids": frozenset({9001})})
    async with BotHarness(operator_settings, api=api, zone_finder=zone_finder) as harness:
        await onboarded(harness)
        await harness.user(1002, "Sam").send("/start")  # greeted, not yet consenting

        operator = await harness.user(9001, "Operator").send("/stats")
        partner = await harness.user(1001, "Alex").send("/stats")

        assert "People: 1 (1 fully set up, 1 new this week)" in operator.text
        assert "Couples: 0" in operator.text
        assert partner.texts == ["I don't know that command. /help lists everything I can do."]
