"""/settings, /cancel, /help and the main menu."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from timezonefinder import TimezoneFinder

from bot.config import Settings
from bot.storage.models import User
from tests.harness import TEXTS, BotHarness, TelegramUser, shipped_content, shown
from tests.journeys import settings_summary
from tests.telegram_fake import FakeBotApi


async def onboarded(harness: BotHarness) -> TelegramUser:
    alex = harness.user(1001, "Alex")
    await alex.send("/start")
    await alex.press(TEXTS.onboarding.consent_yes_button)
    await alex.send("Berlin")
    await alex.press("20:00")
    return alex


async def test_settings_show_zone_local_time_and_checkin_time(harness: BotHarness) -> None:
    alex = await onboarded(harness)

    replies = await alex.send("/settings")

    # Sunday (6) is everyone's weekly question day until they choose another.
    assert replies.texts == [settings_summary("Europe/Berlin", "13:00", "20:00", weekly_day=6)]
    labels = [b["text"] for b in alex.last_message.buttons]
    words = TEXTS.settings
    assert labels == [
        words.change_zone_button,
        words.change_time_button,
        words.weekly_day_button,
        words.pause_button,
        shown(words.nudge_button, state=words.nudge_on),
        words.together_button,
        TEXTS.quiet.pause_button,
        words.language_button,
        TEXTS.sharing.settings_button,
        words.close_button,
    ]


async def test_change_time_zone_moves_the_next_checkin(harness: BotHarness) -> None:
    alex = await onboarded(harness)
    await alex.send("/settings")

    await alex.press(TEXTS.settings.change_zone_button)
    assert TEXTS.onboarding.share_location_button in alex.last_message.keyboard
    replies = await alex.send("America/New_York")

    assert settings_summary("America/New_York", "07:00", "20:00") in replies.texts
    [user] = await harness.rows(User, User.telegram_id == 1001)
    assert user.time_zone == "America/New_York"
    assert user.pending_input is None
    # 20:00 in New York on 27 Nov (EST, UTC-5) is 01:00 UTC the next day.
    assert user.next_checkin_at == datetime(2026, 11, 28, 1, 0, tzinfo=UTC)


async def test_change_checkin_time_by_typing(harness: BotHarness) -> None:
    alex = await onboarded(harness)
    await alex.send("/settings")

    await alex.press(TEXTS.settings.change_time_button)
    replies = await alex.send("7:15 pm")

    changed = shown(TEXTS.settings.time_changed, checkin_time="19:15")
    assert replies.texts == [f"{changed}\n\n{settings_summary('Europe/Berlin', '13:00', '19:15')}"]
    [user] = await harness.rows(User, User.telegram_id == 1001)
    assert user.checkin_time == time(19, 15)
    assert user.next_checkin_at == datetime(2026, 11, 27, 18, 15, tzinfo=UTC)


async def test_change_checkin_time_by_button(harness: BotHarness) -> None:
    alex = await onboarded(harness)
    await alex.send("/settings")
    await alex.press(TEXTS.settings.change_time_button)

    await alex.press("22:00")

    [user] = await harness.rows(User, User.telegram_id == 1001)
    assert user.checkin_time == time(22, 0)
    assert alex.chat[-2].buttons == []  # the buttons of the answered question are gone


async def test_checkin_time_earlier_than_now_schedules_tomorrow(harness: BotHarness) -> None:
    alex = await onboarded(harness)
    await alex.send("/settings")
    await alex.press(TEXTS.settings.change_time_button)

    await alex.send("09:00")  # it is 13:00 in Berlin already

    [user] = await harness.rows(User, User.telegram_id == 1001)
    assert user.next_checkin_at == datetime(2026, 11, 28, 8, 0, tzinfo=UTC)


async def test_cancel_a_settings_change(harness: BotHarness) -> None:
    alex = await onboarded(harness)
    await alex.send("/settings")
    await alex.press(TEXTS.settings.change_zone_button)

    replies = await alex.send("/cancel")
    assert replies.texts == [shown(TEXTS.errors.cancelled)]
    replies = await alex.send("Tokyo")  # no longer taken as a zone

    assert replies.texts == [shown(TEXTS.errors.unexpected_text)]
    [user] = await harness.rows(User, User.telegram_id == 1001)
    assert user.time_zone == "Europe/Berlin"


async def test_cancel_with_nothing_open(harness: BotHarness) -> None:
    alex = await onboarded(harness)

    replies = await alex.send("/cancel")

    assert replies.texts == [shown(TEXTS.errors.nothing_to_cancel)]


async def test_done_closes_the_settings(harness: BotHarness) -> None:
    alex = await onboarded(harness)
    await alex.send("/settings")

    await alex.press(TEXTS.settings.close_button)

    assert alex.last_message.buttons == []
    summary = settings_summary("Europe/Berlin", "13:00", "20:00")
    assert alex.last_message.text == f"{summary}\n\n{shown(TEXTS.settings.closed)}"


async def test_settings_during_onboarding_repeats_the_question(harness: BotHarness) -> None:
    alex = harness.user(1001, "Alex")
    await alex.send("/start")
    await alex.press(TEXTS.onboarding.consent_yes_button)

    replies = await alex.send("/settings")

    assert replies.texts == [shown(TEXTS.onboarding.ask_time_zone)]


async def test_help_for_anyone(harness: BotHarness) -> None:
    replies = await harness.user(3003, "Kim").send("/help")

    # What it must say: tests/test_content.py.
    assert replies.texts == [shown(TEXTS.help.text)]

    more = await harness.user(3003, "Kim").press(TEXTS.help.more_button)

    assert more.texts == [shown(TEXTS.help.more)]


async def test_menu_buttons(harness: BotHarness) -> None:
    alex = await onboarded(harness)

    settings = await alex.press(TEXTS.menu.settings_button)
    help_ = await alex.press(TEXTS.menu.help_button)

    assert settings.texts == [settings_summary("Europe/Berlin", "13:00", "20:00")]
    assert help_.texts == [shown(TEXTS.help.text)]


async def test_stats_for_operators_only(
    settings: Settings, api: FakeBotApi, zone_finder: TimezoneFinder
) -> None:
    operator_settings = settings.model_copy(update={"admin_ids": frozenset({9001})})
    async with BotHarness(operator_settings, api=api, zone_finder=zone_finder) as harness:
        await onboarded(harness)
        await harness.user(1002, "Sam").send("/start")  # greeted, not yet consenting

        operator = await harness.user(9001, "Operator").send("/stats")
        partner = await harness.user(1001, "Alex").send("/stats")

        stats = shown(
            TEXTS.admin.stats,
            users=1,
            onboarded=1,
            joined_last_week=1,
            inactive=0,
            active_couples=0,
        )
        assert operator.texts == [stats]
        assert partner.texts == [shown(TEXTS.errors.unknown_command)]


@pytest.mark.parametrize(
    ("code", "typed", "expected"),
    [
        ("de", "21.30 Uhr", time(21, 30)),
        ("de", "um 21 Uhr", time(21, 0)),
        ("en", "9 pm", time(21, 0)),
        ("en", "9:30pm", time(21, 30)),
        ("es", "a las 21", time(21, 0)),
        ("ru", "в 21", time(21, 0)),
        ("ru", "21:30", time(21, 30)),
    ],
)
async def test_time_typed_as_people_write_it_in_their_language(
    harness: BotHarness, code: str, typed: str, expected: time
) -> None:
    """Onboarding and /settings both read the forms of each language (issue #25: "21.30 Uhr"
    was refused)."""
    texts = shipped_content().languages[code].texts
    alex = harness.user(1001, "Alex", language_code=code)
    await alex.send("/start")
    await alex.press(texts.onboarding.consent_yes_button)
    await alex.send("Europe/Berlin")

    replies = await alex.send(typed)

    at = expected.strftime("%H:%M")
    assert replies.texts == [
        shown(texts.onboarding.done, first_name="Alex", checkin_time=at, zone="Europe/Berlin")
    ]
    await alex.send("/settings")
    await alex.press(texts.settings.change_time_button)
    replies = await alex.send(f" {typed.upper()} ")
    assert replies.texts[0].startswith(shown(texts.settings.time_changed, checkin_time=at))
    [user] = await harness.rows(User, User.telegram_id == 1001)
    assert user.checkin_time == expected
