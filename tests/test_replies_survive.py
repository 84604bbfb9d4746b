"""What a turn says survives a crash between its commit and its sends (issue 24, review):
the ``/thanks`` relay and its confirmation, the ``/export`` file, ``/delete``'s last words and
the clearing below them — each written with the update, sent at start by the next process.
Also: a message in parts whose later part fails is partly there, never "not delivered".

Each crash is in-process: a send hangs (as one does when the process dies during it), the
update's task is cancelled there, and a new application starts on the same database and the
same fake Telegram.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from telegram.error import NetworkError
from telegram.request import RequestData
from timezonefinder import TimezoneFinder

from bot.config import Settings
from bot.recovery import UPDATE_LEASE, take_over_abandoned
from bot.services import talk
from bot.storage.models import Appreciation, ReceivedUpdate, TalkQuestion
from bot.update_order import PerPersonUpdateProcessor
from bot.web.intake import Outcome as IntakeOutcome
from bot.web.intake import UpdateIntake
from tests.harness import TEXTS, BotHarness, FakeClock, shipped_content, shown
from tests.journeys import ask_talk, onboard, pair
from tests.telegram_fake import FakeBotApi, FakeRequest, visible_text
from tests.test_together import together_run
from tests.test_webhook import webhook_settings

THANKS = shipped_content().together.thanks
TALK = shipped_content().together.talk
AFTERNOON = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # Berlin 16:00, New York 10:00


class Faults(FakeRequest):
    """The fake Bot API's HTTP layer with one planned fault: the ``nth`` call of ``method``
    to ``chat`` (counting from 1) hangs (``stall``: the process dies in it; ``stalled`` is
    set) or finds no connection (``refuse``: it surely did not arrive)."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.plan: tuple[str, int, int, str] | None = None
        self.seen = 0
        self.stalled = asyncio.Event()
        self.go_on = asyncio.Event()  # set: a stalled send goes on (the process lived)

    def fault(self, method: str, chat: int, kind: str, nth: int = 1) -> None:
        self.plan, self.seen = (method, chat, nth, kind), 0

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        chat = request_data.parameters.get("chat_id") if request_data is not None else None
        if self.plan is not None and chat is not None and url.endswith(f"/{self.plan[0]}"):
            _name, target, nth, kind = self.plan
            if int(str(chat)) == target:
                self.seen += 1
                if self.seen == nth:
                    self.plan = None
                    if kind == "stall":
                        self.stalled.set()
                        await self.go_on.wait()
                        return await super().do_request(
                            url,
                            method,
                            request_data,
                            read_timeout,
                            write_timeout,
                            connect_timeout,
                            pool_timeout,
                        )
                    cause = httpx.ConnectError("[Errno 111] Connection refused")
                    raise NetworkError(f"httpx.ConnectError: {cause}") from cause
        return await super().do_request(
            url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
        )


async def with_faults(harness: BotHarness) -> Faults:
    faults = Faults(harness.api)
    harness.request = faults
    await harness.restart()
    return faults


async def polled(harness: BotHarness, payload: dict[str, Any]) -> None:
    """One update as polling hands it over: recorded first (bot.update_log), then handled.
    (Not through the update processor: what it notes in memory a kill would lose.)"""
    assert harness.app is not None
    processor = harness.app.update_processor
    assert isinstance(processor, PerPersonUpdateProcessor)
    assert processor.update_log is not None
    update = harness.update(payload)
    await processor.update_log.record([update])
    await harness.app.process_update(update)


async def crash_while_sending(harness: BotHarness, faults: Faults, update: Awaitable[Any]) -> None:
    """Run ``update`` until a send hangs, kill the process there (its transaction is
    committed, nothing after the hanging send ran), and start a new one: at start, it
    sends what was left (bot.recovery)."""
    task = asyncio.ensure_future(update)
    await asyncio.wait_for(faults.stalled.wait(), timeout=10)
    task.cancel()
    with suppress(asyncio.CancelledError):
        await task
    harness.clock.now += timedelta(seconds=5)  # a restart takes a moment
    await harness.restart()
    await takes_the_lead(harness)


async def takes_the_lead(harness: BotHarness) -> None:
    """The new process's first job run, a second after start: it leads the jobs from now,
    and takes over a dead one's claims a lease later (bot.jobs.outbox.takeover_lease)."""
    assert harness.app is not None
    assert await harness.app.bot_data.services.leadership.check()


def texts_to(harness: BotHarness, chat_id: int, method: str = "sendMessage") -> list[str]:
    """What reached ``chat_id`` by ``method``, as shown."""
    return [
        visible_text(call.text or "", call.params.get("parse_mode"))
        for call in harness.api.calls
        if call.method == method and call.chat_id == chat_id and call.status == 200
    ]


async def test_a_thanks_cut_off_by_a_crash_reaches_the_partner_once_after_the_restart(
    harness: BotHarness,
) -> None:
    alex = await onboard(harness, 1001, "Alex", "Berlin", "21:00")
    sam = await onboard(harness, 2002, "Sam", "New York", "20:00")
    await pair(alex, sam)
    harness.clock.now = AFTERNOON
    faults = await with_faults(harness)
    faults.fault("sendMessage", 2002, "stall")  # the relay to Sam: the process dies in it

    await crash_while_sending(
        harness, faults, polled(harness, alex.text_update("/thanks for the soup"))
    )

    relayed = shown(THANKS.received, partner="Alex", text="for the soup")
    assert texts_to(harness, 2002).count(relayed) == 1
    assert texts_to(harness, 1001)[-1] == shown(THANKS.sent, partner="Sam")
    [appreciation] = await harness.rows(Appreciation)
    assert appreciation.delivered_at is not None
    # Nothing is left to send: a second restart sends nothing again.
    await harness.restart()
    assert texts_to(harness, 2002).count(relayed) == 1


async def test_a_thanks_to_a_partner_who_blocked_the_bot_after_a_crash_is_not_counted(
    harness: BotHarness,
) -> None:
    alex = await onboard(harness, 1001, "Alex", "Berlin", "21:00")
    sam = await onboard(harness, 2002, "Sam", "New York", "20:00")
    await pair(alex, sam)
    harness.clock.now = AFTERNOON
    faults = await with_faults(harness)
    faults.fault("sendMessage", 2002, "stall")
    harness.api.blocked_chats.add(2002)  # by the time it is sent again

    await crash_while_sending(
        harness, faults, polled(harness, alex.text_update("/thanks for the soup"))
    )

    assert texts_to(harness, 1001)[-1] == shown(THANKS.unreachable, partner="Sam")
    [appreciation] = await harness.rows(Appreciation)
    assert appreciation.delivered_at is None  # never shown, never counted


async def test_an_export_cut_off_by_a_crash_arrives_after_the_restart(
    harness: BotHarness,
) -> None:
    alex = await onboard(harness)
    await alex.send("/note the blue cup")
    faults = await with_faults(harness)
    faults.fault("sendDocument", alex.user_id, "stall")

    await crash_while_sending(harness, faults, polled(harness, alex.text_update("/export")))

    [document] = [m for m in alex.chat if m.kind == "document"]
    assert document.file is not None
    assert json.loads(document.file[1])["format"] == "secure-base-export"


async def test_deleting_cut_off_by_a_crash_still_clears_the_chat_after_the_restart(
    harness: BotHarness,
) -> None:
    alex = await onboard(harness)
    await alex.send("/note the blue cup")
    alex_typed = {key for key in harness.api.incoming if key[0] == alex.user_id}
    await alex.send("/delete")
    faults = await with_faults(harness)
    faults.fault("sendMessage", alex.user_id, "stall")  # the last words: the process dies

    pressed, data = alex.find_button(TEXTS.privacy.delete_confirm_button)
    await crash_while_sending(harness, faults, polled(harness, alex.press_update(data, pressed)))

    last_words = f"{shown(TEXTS.privacy.deleted)}\n\n{shown(TEXTS.privacy.clear_chat)}"
    [left] = alex.chat
    assert left.text == last_words
    assert alex_typed <= set(harness.api.deleted)
    assert [c.chat_id for c in harness.api.calls if c.method == "deleteMyCommands"] != []
    # The update's record holds nothing of hers any more.
    assert all(not row.replies for row in await harness.rows(ReceivedUpdate))


async def test_a_reveal_whose_second_part_fails_is_partly_there_and_not_sent_whole_again(
    harness: BotHarness,
) -> None:
    """Two answers at the limit do not fit one message: the reveal goes in parts. The first
    part reaches Alex, the second finds no connection: the message is partly there, so the
    question counts as revealed (not "never sent"), and /talk does not send it whole again."""
    alex = await onboard(harness, 1001, "Alex", "Berlin", "21:00")
    sam = await onboard(harness, 2002, "Sam", "New York", "20:00")
    await pair(alex, sam)
    harness.clock.now = AFTERNOON
    faults = await with_faults(harness)
    his, hers = "Your hand on my back. " * 90, "When you ask about my day. " * 74
    assert len(his) <= talk.MAX_ANSWER_LENGTH
    assert len(hers) <= talk.MAX_ANSWER_LENGTH
    await ask_talk(alex)
    await alex.press(TALK.answer_button)
    await alex.send(his)
    await sam.press(TALK.answer_button)
    before = len(texts_to(harness, alex.user_id))
    faults.fault("sendMessage", alex.user_id, "refuse", nth=2)

    await sam.send(hers)

    assert len(texts_to(harness, alex.user_id)) == before + 1  # the first part only
    [question] = await harness.rows(TalkQuestion)
    assert question.revealed_at is not None
    await ask_talk(alex)
    assert len(await harness.rows(TalkQuestion)) == 2  # a new question, not the old again
    assert sum(hers[:40] in text for text in texts_to(harness, alex.user_id)) == 1


async def test_the_job_leader_does_not_send_again_what_a_live_webhook_instance_still_sends(
    settings: Settings, api: FakeBotApi, clock: FakeClock, zone_finder: TimezoneFinder
) -> None:
    """A webhook instance's reply waits (Telegram slow, the rate limiter) longer than the
    lease: the instance is alive and renews its claim, so the job leader's take-over leaves
    the reply alone, and it arrives once."""
    config = webhook_settings(settings)
    faults = Faults(api)
    async with BotHarness(
        config, api=api, clock=clock, zone_finder=zone_finder, request=faults
    ) as harness:
        assert harness.app is not None
        alex = await onboard(harness)
        intake = UpdateIntake(harness.app, reply_cap=0.01, renew_every=0.02)
        faults.fault("sendMessage", alex.user_id, "stall")
        update = harness.update(alex.text_update("/thanks"))
        assert await intake.take(update) is IntakeOutcome.HANDLED  # answered at the cap
        await asyncio.wait_for(faults.stalled.wait(), timeout=10)
        [record] = await harness.rows(ReceivedUpdate, ReceivedUpdate.update_id == update.update_id)
        assert record.replies  # handled, its reply not sent yet
        assert record.person == alex.user_id  # whose it is, for /delete

        clock.now += UPDATE_LEASE * 2  # still sending, long after the lease
        await asyncio.sleep(0.2)  # the instance renews its claim meanwhile
        await asyncio.wait_for(take_over_abandoned(harness.app), 10)  # the job leader's run
        faults.go_on.set()
        await intake.drain()

        refusal = shown(THANKS.not_paired)
        assert texts_to(harness, alex.user_id).count(refusal) == 1
        [record] = await harness.rows(ReceivedUpdate, ReceivedUpdate.update_id == update.update_id)
        assert record.replies is None  # crossed off once sent


async def test_a_guided_talks_next_step_cut_off_by_a_crash_reaches_both_after_the_restart(
    harness: BotHarness,
) -> None:
    """Both answered step 1 of a guided talk: the answers reach both, the talk moves on to
    step 2, and the process dies sending step 2. Its copies were claimed, not marked sent:
    once the claim lapsed, the together job asks it of both (after both answers: outside the
    ping budget, as the chat sends it) — once each."""
    alex = await onboard(harness, 1001, "Alex", "Berlin", "21:00")
    sam = await onboard(harness, 2002, "Sam", "New York", "20:00")
    await pair(alex, sam)
    harness.clock.now = AFTERNOON
    faults = await with_faults(harness)
    await alex.press_data("tk:guided")
    await alex.press(TALK.answer_button)
    await alex.send("How quiet the evening was")
    await sam.press(TALK.answer_button)
    step_two = TALK.guided_steps[1]
    faults.fault("sendMessage", sam.user_id, "stall", nth=2)  # the reveal goes; step 2 hangs

    await crash_while_sending(harness, faults, polled(harness, sam.text_update("How tired I was")))

    assert any("How tired I was" in text for text in texts_to(harness, alex.user_id))
    assert not any(step_two in text for text in [*texts_to(harness, sam.user_id),
                                                 *texts_to(harness, alex.user_id)])  # fmt: skip
    harness.clock.now += timedelta(seconds=harness.settings.claim_lease_seconds + 1)

    await together_run(harness)

    for person in (alex, sam):
        assert sum(step_two in text for text in texts_to(harness, person.user_id)) == 1
    await together_run(harness)  # recorded as sent: never again
    for person in (alex, sam):
        assert sum(step_two in text for text in texts_to(harness, person.user_id)) == 1
