"""The first minutes with the bot: /start, consent, time zone, check-in time, the menu."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, time

from timezonefinder import TimezoneFinder

from bot.config import Settings
from bot.storage.models import User
from bot.zone_finder import LazyZoneFinder
from tests.harness import TEXTS, BotHarness, shown
from tests.journeys import STALE
from tests.telegram_fake import FakeBotApi

MENU = TEXTS.menu
MENU_BUTTONS = [
    MENU.learn_button,
    MENU.pair_button,
    MENU.journal_button,
    MENU.settings_button,
    MENU.help_button,
    MENU.support_button,
]
YES = TEXTS.onboarding.consent_yes_button


def time_buttons(default: str) -> list[str]:
    """The suggested times and the operator's default, in order, the default starred."""
    times = sorted({*TEXTS.onboarding.suggested_times, default})
    mark = TEXTS.onboarding.suggested_time_mark
    return [shown(mark, time=at) if at == default else at for at in times]


def done(name: str, at: str, zone: str) -> str:
    return shown(TEXTS.onboarding.done, first_name=name, checkin_time=at, zone=zone)


def zone_saved(zone: str, local_time: str) -> str:
    return shown(TEXTS.onboarding.zone_saved, zone=zone, local_time=local_time)


async def onboard(harness: BotHarness, user_id: int = 1001, name: str = "Alex") -> None:
    person = harness.user(user_id, name)
    await person.send("/start")
    await person.press(YES)
    await person.send("Berlin")
    await person.press("21:00")


async def test_new_user_is_greeted_by_name_and_asked_for_consent(harness: BotHarness) -> None:
    alex = harness.user(1001, "Alex")

    replies = await alex.send("/start")

    welcome = shown(TEXTS.onboarding.welcome, first_name="Alex")
    assert replies.texts == [welcome, shown(TEXTS.onboarding.consent_question)]
    consent = alex.last_message
    assert [button["text"] for button in consent.buttons] == [
        YES,
        TEXTS.onboarding.consent_no_button,
    ]
    assert await harness.rows(User) == []  # nothing stored before consent


async def test_full_onboarding_stores_zone_and_time_and_ends_on_menu(harness: BotHarness) -> None:
    alex = harness.user(1001, "Alex")
    await alex.send("/start")

    replies = await alex.press(YES)
    # The consent message turned into thanks; the press is answered without a toast.
    assert alex.chat[-2].text == shown(TEXTS.onboarding.consent_accepted)
    assert replies.toasts == [""]
    assert alex.last_message.text == shown(TEXTS.onboarding.ask_time_zone)
    assert TEXTS.onboarding.share_location_button in alex.last_message.keyboard

    replies = await alex.send("Europe/Berlin")
    # The local time now: 12:00 UTC is 13:00 in Berlin in winter.
    assert zone_saved("Europe/Berlin", "13:00") in replies.texts
    assert [b["text"] for b in alex.last_message.buttons] == time_buttons("20:00")

    replies = await alex.press("21:00")
    assert replies.texts == [done("Alex", "21:00", "Europe/Berlin")]
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
        await alex.press(YES)
        share_location = TEXTS.onboarding.share_location_button
        assert alex.last_message.keyboard[:2] == [share_location, "Europe/Madrid"]
        await alex.send("Europe/Madrid")
        labels = [b["text"] for b in alex.last_message.buttons]
        assert labels == time_buttons("21:30")
        await alex.press("21:30")
        [user] = await harness.rows(User)
        assert user.checkin_time == time(21, 30)


async def test_time_zone_from_shared_location(harness: BotHarness) -> None:
    alex = harness.user(1001, "Alex")
    await alex.send("/start")
    await alex.press(YES)

    replies = await alex.send_location(latitude=35.68, longitude=139.69)  # Tokyo

    assert zone_saved("Asia/Tokyo", "21:00") in replies.texts
    [user] = await harness.rows(User)
    assert user.time_zone == "Asia/Tokyo"


class SlowFirstLookup:
    """A zone finder whose lookup waits until released, as the first one does while it loads
    timezonefinder's data (0.2-0.5 s): what others' updates must not wait for."""

    def __init__(self, finder: TimezoneFinder) -> None:
        self.finder = finder
        self.looking = threading.Event()
        self.release = threading.Event()

    def timezone_at(self, *, lng: float, lat: float) -> str | None:
        self.looking.set()
        self.release.wait(timeout=30)
        return self.finder.timezone_at(lng=lng, lat=lat)


async def test_a_location_being_looked_up_holds_up_no_one_else(
    settings: Settings, api: FakeBotApi, zone_finder: TimezoneFinder
) -> None:
    """Alex shares a location while Sam writes: Sam's update is handled while Alex's zone is
    still being looked up (no transaction held open for the lookup: on SQLite every other
    update would wait for its write lock), and Alex's zone is saved once it is found."""
    slow = SlowFirstLookup(zone_finder)
    async with BotHarness(settings, api=api, zone_finder=slow) as harness:  # type: ignore[arg-type]
        await onboard(harness, 2002, "Sam")
        alex = harness.user(1001, "Alex")
        await alex.send("/start")
        await alex.press(YES)

        sharing = asyncio.create_task(alex.send_location(latitude=35.68, longitude=139.69))
        assert await asyncio.to_thread(slow.looking.wait, 10)
        sam = harness.user(2002, "Sam")
        writing = asyncio.create_task(sam.send("/start"))
        done, _ = await asyncio.wait({writing}, timeout=5)
        slow.release.set()
        replies = await sharing
        await writing

        assert writing in done  # Sam was answered while Alex's lookup went on
        assert zone_saved("Asia/Tokyo", "21:00") in replies.texts
        alex_row = await harness.rows(User, User.telegram_id == 1001)
        assert [user.time_zone for user in alex_row] == ["Asia/Tokyo"]


async def test_typed_offset_and_typed_time(harness: BotHarness) -> None:
    alex = harness.user(1001, "Alex")
    await alex.send("/start")
    await alex.press(YES)

    assert zone_saved("UTC+03:00", "15:00") in (await alex.send("UTC+3")).texts
    replies = await alex.send("19:45")

    assert replies.texts == [done("Alex", "19:45", "UTC+03:00")]
    [user] = await harness.rows(User)
    assert (user.time_zone, user.checkin_time) == ("UTC+03:00", time(19, 45))


async def test_declining_consent_stores_nothing(harness: BotHarness) -> None:
    alex = harness.user(1001, "Alex")
    await alex.send("/start")

    await alex.press(TEXTS.onboarding.consent_no_button)

    assert alex.last_message.text == shown(TEXTS.onboarding.consent_declined)
    assert alex.last_message.buttons == []
    assert await harness.rows(User) == []


async def test_start_again_shows_menu_and_creates_no_second_user(harness: BotHarness) -> None:
    await onboard(harness)
    alex = harness.user(1001, "Alex")

    replies = await alex.send("/start")

    assert replies.texts == [shown(TEXTS.onboarding.welcome_back, first_name="Alex")]
    assert [b["text"] for b in alex.last_message.buttons] == MENU_BUTTONS
    assert len(await harness.rows(User)) == 1


async def test_double_tap_on_consent_creates_one_user(harness: BotHarness) -> None:
    alex = harness.user(1001, "Alex")
    await alex.send("/start")
    consent, data = alex.find_button(YES)

    await alex.press_data(data, message=consent)
    replies = await alex.press_data(data, message=consent)  # the same tap, delivered twice

    assert replies.toasts == [STALE]
    assert len(await harness.rows(User)) == 1


async def test_onboarding_resumes_after_restart(harness: BotHarness) -> None:
    alex = harness.user(1001, "Alex")
    await alex.send("/start")
    await alex.press(YES)
    await alex.send("Lisbon")

    await harness.restart()
    replies = await alex.send("8:30 pm")

    assert replies.texts == [done("Alex", "20:30", "Europe/Lisbon")]
    [user] = await harness.rows(User)
    assert (user.time_zone, user.checkin_time) == ("Europe/Lisbon", time(20, 30))


async def test_start_midway_repeats_the_open_question(harness: BotHarness) -> None:
    alex = harness.user(1001, "Alex")
    await alex.send("/start")
    await alex.press(YES)

    replies = await alex.send("/start")

    assert replies.texts == [
        shown(TEXTS.onboarding.resume, first_name="Alex"),
        shown(TEXTS.onboarding.ask_time_zone),
    ]
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
    assert shown(TEXTS.onboarding.welcome, first_name="<b>Mal & Co</b>") in replies.texts
    await mallory.press(YES)
    await mallory.send("UTC")
    replies = await mallory.press("20:00")
    assert replies.texts == [done("<b>Mal & Co</b>", "20:00", "UTC")]


async def test_a_stray_location_loads_no_zone_finder(settings: Settings, api: FakeBotApi) -> None:
    """Sam, set up already, and Kim, who never started, share a location no question asked
    for: each gets the kind reply, and timezonefinder (~20 MB for the process's life) is not
    loaded for it. Alex, at the zone question, shares one: it is looked up and saved."""
    finder = LazyZoneFinder()
    async with BotHarness(settings, api=api, zone_finder=finder) as harness:  # type: ignore[arg-type]
        await onboard(harness, 2002, "Sam")
        sam, kim = harness.user(2002, "Sam"), harness.user(3003, "Kim")

        stray = await sam.send_location(latitude=35.68, longitude=139.69)
        stranger = await kim.send_location(latitude=35.68, longitude=139.69)

        assert stray.texts == [shown(TEXTS.errors.unsupported_message)]
        assert stranger.texts != []
        assert not finder.loaded
        alex = harness.user(1001, "Alex")
        await alex.send("/start")
        await alex.press(YES)
        replies = await alex.send_location(latitude=35.68, longitude=139.69)  # Tokyo
        assert finder.loaded
        assert zone_saved("Asia/Tokyo", "21:00") in replies.texts
        alex_row = await harness.rows(User, User.telegram_id == 1001)
        assert [user.time_zone for user in alex_row] == ["Asia/Tokyo"]
