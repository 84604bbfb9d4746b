"""Updates handed over as polling does: others are answered while one person waits for
Telegram, and one person's updates are handled in the order they were sent."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from telegram.request import RequestData
from timezonefinder import TimezoneFinder

from bot.config import Settings
from bot.update_order import PerPersonUpdateProcessor
from tests.harness import BotHarness, FakeClock
from tests.journeys import onboard
from tests.telegram_fake import FakeBotApi, FakeRequest

WAIT_SECONDS = 5.0


class GatedRequest(FakeRequest):
    """The fake Telegram, but calls of a held method wait until their gate opens."""

    def __init__(self, api: FakeBotApi) -> None:
        super().__init__(api)
        self.gates: dict[str, asyncio.Event] = {}

    def hold(self, method: str) -> asyncio.Event:
        self.gates[method] = asyncio.Event()
        return self.gates[method]

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, *args: Any, **kw: Any
    ) -> tuple[int, bytes]:
        gate = self.gates.get(url.rsplit("/", 1)[-1])
        if gate is not None:
            await gate.wait()
        return await super().do_request(url, method, request_data, *args, **kw)


@pytest.fixture
async def gated(
    settings: Settings, api: FakeBotApi, clock: FakeClock, zone_finder: TimezoneFinder
) -> Any:
    request = GatedRequest(api)
    async with BotHarness(
        settings, api=api, clock=clock, zone_finder=zone_finder, request=request
    ) as harness:
        yield harness, request


async def until(condition: Any) -> None:
    """Poll ``condition``: the fake records calls synchronously and signals nothing."""
    async with asyncio.timeout(WAIT_SECONDS):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def test_others_are_answered_while_one_person_waits_and_each_keeps_their_order(
    gated: tuple[BotHarness, GatedRequest], api: FakeBotApi
) -> None:
    harness, request = gated
    alex = await onboard(harness, 1001, "Alex")
    sam = await onboard(harness, 1002, "Sam")
    await sam.send("/settings")
    await sam.press_data("settings:time", message=sam.last_message)
    await alex.send("/settings")
    settings_message = alex.last_message
    assert "settings:time" in [button["callback_data"] for button in settings_message.buttons]
    before = len(api.calls)

    # Alex taps "change time" and types the new time at once; Telegram is slow to take the
    # answer to the tap. Sam types a new time of their own meanwhile: it is saved and
    # answered without waiting for Alex's tap (no write is held open across a Telegram call).
    gate = request.hold("answerCallbackQuery")
    handled = asyncio.create_task(
        harness.feed_as_polled(
            [
                alex.press_update("settings:time", settings_message),
                alex.text_update("21:15"),
                sam.text_update("07:30"),
            ]
        )
    )

    def sent_to(chat_id: int) -> list[str]:
        return [
            call.text or ""
            for call in api.calls[before:]
            if call.chat_id == chat_id and call.method in ("sendMessage", "editMessageText")
        ]

    await until(lambda: len(sent_to(sam.user_id)) == 1)
    assert "07:30" in sent_to(sam.user_id)[0]
    # Alex's tap is stuck in Telegram and his typed time waits its turn behind it, unanswered.
    assert harness.app is not None
    processor = harness.app.update_processor
    assert isinstance(processor, PerPersonUpdateProcessor)
    await until(lambda: processor.in_flight(alex.user_id) == 2)
    assert sent_to(alex.user_id) == []

    gate.set()
    await handled
    question, summary = sent_to(alex.user_id)
    assert "21:15" not in question
    assert "21:15" in summary
    # The typed time answered the question the tap opened: it is stored.
    await alex.send("/settings")
    assert "21:15" in alex.last_message.text
    await sam.send("/settings")
    assert "07:30" in sam.last_message.text


async def test_many_people_changing_their_time_at_once_each_get_their_own_saved(
    harness: BotHarness, api: FakeBotApi
) -> None:
    people = [await onboard(harness, 2000 + n, f"Person{n}") for n in range(16)]
    times = {p.user_id: f"{7 + n % 12:02d}:{n * 7 % 60:02d}" for n, p in enumerate(people)}
    menus = {}
    for person in people:
        await person.send("/settings")
        menus[person.user_id] = person.last_message
    before = len(api.calls)

    # Everyone taps "change time" and types their new time, all arriving together: the
    # updates are handled concurrently, and most of them write.
    await harness.feed_as_polled(
        [
            payload
            for person in people
            for payload in (
                person.press_update("settings:time", menus[person.user_id]),
                person.text_update(times[person.user_id]),
            )
        ]
    )

    for person in people:
        sent = [
            call.text or ""
            for call in api.calls[before:]
            if call.chat_id == person.user_id and call.method == "sendMessage"
        ]
        assert len(sent) == 2, (person.first_name, sent)
        assert times[person.user_id] in sent[1], (person.first_name, sent)
    await harness.restart()
    for person in people:
        await person.send("/settings")
        assert times[person.user_id] in person.last_message.text


async def test_a_flood_from_one_person_holds_one_slot_of_the_running_limit(
    gated: tuple[BotHarness, GatedRequest], api: FakeBotApi
) -> None:
    """Through PTB's real processing path: if PTB stopped calling ``do_process_update`` (or
    took its own slot after it), Sam would wait behind Alex's flood and this would fail."""
    harness, request = gated
    alex = await onboard(harness, 1001, "Alex")
    sam = await onboard(harness, 1002, "Sam")
    assert harness.app is not None
    processor = harness.app.update_processor
    assert isinstance(processor, PerPersonUpdateProcessor)
    flood = processor.running_limit * 3
    gate = request.hold("answerCallbackQuery")
    before = len(api.calls)

    presses = [alex.press_update("settings:time") for _ in range(flood)]
    async with asyncio.TaskGroup() as tasks:
        tasks.create_task(harness.feed_as_polled(presses))
        await until(lambda: processor.in_flight(alex.user_id) == flood)
        await harness.feed_as_polled([sam.text_update("/help")])

        assert any(call.chat_id == sam.user_id for call in api.calls[before:])
        gate.set()
