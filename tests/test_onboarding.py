"""The first minutes with the bot: /start, consent, time zone, check-in time, the menu."""

from __future__ import annotations

from datetime import UTC, datetime, time

from timezonefinder import TimezoneFinder

from bot.config import Settings
from bot.storage.models import User
from tests.harness import BotHarness
from tests.journeys import STALE
from tests.telegram_fake import FakeBotApi

MENU_BUTTONS = ["📖 Learn", "💞 Invite partner", "⚙️ Settings", "❓ Help", "🆘 Support"]


async def onboard(harness: BotHarness, user_id: int = 1001, name: str = "Alex") -> None:
    person = harness.user(user_id, name)
    await person.send("/start")
    await person.press("Yes")
    await person.send("Berlin")
    await person.press("21:00")


async def test_new_user_is_greeted_by_name_and_asked_for_consent(harness: BotHarness) -> None:
    alex = harness.user(1001, "Alex")

    replies = await alex.send("/start")

    assert "Hi Alex" in replies.text
    assert "not" in replies.text
    assert "therap" in replies.text
    consent = alex.last_message
    assert [button["text"] for button in consent.buttons] == ["✅ Yes, that's okay", "Not now"]
    assert await harness.rows(User) == []  # nothing stored before consent


async def test_full_onboarding_stores_zone_and_time_and_ends_on_menu(harness: BotHarness) -> None:
    alex = harness.user(1001, "Alex")
    await alex.send("/start")

    replies = await alex.press("Yes")
    assert "Thank you" in alex.chat[-2].text  # the consent message turned into thanks
    assert "time zone" not in replies.toasts
    assert "📍 Share my location" in alex.last_message.keyboard

    replies = await alex.send("Europe/Berlin")
    assert "Europe/Berlin" in replies.text
    assert "13:00" in replies.text  # local time now (12:00 UTC is 13:00 in Berlin in winter)
    assert [b["text"] for b in alex.last_message.buttons] == ["19:00", "⭐ 20:00", "21:00", "22:00"]

    replies = await alex.press("21:00")
    assert "All set, Alex" in replies.text
    assert "21:00" in replies.text
    assert [b["text"] for b in alex.last_message.buttons] == MENU_BUTTONS

    [user] = await harness.rows(User)
    assert user.telegram_id == 1001
    assert user.time_zone == "Europe/Berlin"
    assert user.checkin_time == time(21, 0)
    assert user.onboarded_at is not None
    assert user.pending_input is None
    # The first check-in is tonight at 21:00 Berlin time, i.e. 20:00 UTC.
    assert user.next_checkin_at == datetime(2026, 11, 27, 20, 0, tzinfo=UTC)


async def test_operator_defaults_are_offered_first(
    settings: Settings, api: FakeBotApi, zone_finder: TimezoneFinder
) -> None:
    custom = settings.model_copy(
        update={"default_checkin_time": time(21, 30), "default_time_zone": "Europe/Madrid"}
    )
    async with BotHarness(custom, api=api, zone_finder=zone_finder) as harness:
        alex = harness.user(1001, "Alex")
        await alex.send("/start")
        await alex.press("Yes")
        assert alex.last_message.keyboard[:2] == ["📍 Share my location", "Europe/Madrid"]
        await alex.send("Europe/Madrid")
        labels = [b["text"] for b in alex.last_message.buttons]
        assert labels == ["19:00", "20:00", "21:00", "⭐ 21:30", "22:00"]
        await alex.press("21:30")
        [user] = await harness.rows(User)
        assert user.checkin_time == time(21, 30)


async def test_time_zone_from_shared_location(harness: BotHarness) -> None:
    alex = harness.user(1001, "Alex")
    await alex.send("/start")
    await alex.press("Yes")

    replies = await alex.send_location(latitude=35.68, longitude=139.69)  # Tokyo

    assert "Asia/Tokyo" in replies.text
    [user] = await harness.rows(User)
    assert user.time_zone == "Asia/Tokyo"


async def test_typed_offset_and_typed_time(harness: BotHarness) -> None:
    alex = harness.user(1001, "Alex")
    await alex.send("/start")
    await alex.press("Yes")

    assert "UTC+03:00" in (await alex.send("UTC+3")).text
    replies = await alex.send("19:45")

    assert "19:45" in replies.text
    [user] = await harness.rows(User)
    assert (user.time_zone, user.checkin_time) == ("UTC+03:00", time(19, 45))


async def test_declining_consent_stores_nothing(harness: BotHarness) -> None:
    alex = harness.user(1001, "Alex")
    await alex.send("/start")

    await alex.press("Not now")

    assert "haven't stored anything" in alex.last_message.text
    assert alex.last_message.buttons == []
    assert await harness.rows(User) == []


async def test_start_again_shows_menu_and_creates_no_second_user(harness: BotHarness) -> None:
    await onboard(harness)
    alex = harness.user(1001, "Alex")

    replies = await alex.send("/start")

    assert "Welcome back, Alex" in replies.text
    assert [b["text"] for b in alex.last_message.buttons] == MENU_BUTTONS
    assert len(await harness.rows(User)) == 1


async def test_double_tap_on_consent_creates_one_user(harness: BotHarness) -> None:
    alex = harness.user(1001, "Alex")
    await alex.send("/start")
    consent, data = alex.find_button("Yes")

    await alex.press_data(data, message=consent)
    replies = await alex.press_data(data, message=consent)  # the same tap, delivered twice

    assert replies.toasts == [STALE]
    assert len(await harness.rows(User)) == 1


async def test_onboarding_resumes_after_restart(harness: BotHarness) -> None:
    alex = harness.user(1001, "Alex")
    await alex.send("/start")
    await alex.press("Yes")
    await alex.send("Lisbon")

    await harness.restart()
    replies = await alex.send("8:30 pm")

    assert "All set" in replies.text
    [user] = await harness.rows(User)
    assert (user.time_zone, user.checkin_time) == ("Europe/Lisbon", time(20, 30))


async def test_start_midway_repeats_the_open_question(harness: BotHarness) -> None:
    alex = harness.user(1001, "Alex")
    await alex.send("/start")
    await alex.press("Yes")

    replies = await alex.send("/start")

    assert "Let's finish setting up" in replies.text
    assert "where are you in time" in replies.text
    assert len(await harness.rows(User)) == 1


async def test_settings_remembered_after_restart(harness: BotHarness) -> None:
    await onboard(harness)
    await harness.restart()

    replies = await harness.user(1001, "Alex").send("/settings")

    assert "Europe/Berlin" in replies.text
    assert "21:00" in replies.text


async def test_command_menu_is_set_at_start_up(harness: BotHarness) -> None:
    commands = [entry["command"] for entry in harness.api.commands]
    assert {"start", "settings", "help", "cancel"} <= set(commands)


async def test_user_names_are_escaped(harness: BotHarness) -> None:
    mallory = harness.user(1002, "<b>Mal & Co</b>")

    replies = await mallory.send("/start")

    # The fake API rejects HTML that does not parse, so reaching here means it was escaped.
    assert "Hi <b>Mal & Co</b>" in replies.text
    await mallory.press("Yes")
    await mallory.send("UTC")
    replies = await mallory.press("20:00")
    assert "All set, <b>Mal & Co</b>!" in replies.text
