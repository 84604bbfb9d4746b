"""Each job's send ledger (``bot.jobs.outbox.SendLedger``): what Telegram took is recorded
once the database is back, whoever leads by then, and is never sent again (review of #24).

Alex lives in Berlin, Sam in New York. "Away" is every statement failing as an outage from
the moment Telegram took the message (a SQLite lock, a dropped PostgreSQL connection)."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, event, text, update
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from timezonefinder import TimezoneFinder

from bot.config import Settings
from bot.jobs.checkin_sender import send_due_checkins
from bot.jobs.outbox import Message, Outbox, SendLedger, drain
from bot.services import pings, talk_copies
from bot.services.ping_budget import Kind
from bot.storage import talk as talk_rows
from bot.storage.health import is_outage
from bot.storage.models import Checkin, PingDay, TalkAnswer, User
from bot.views.together import question_copy
from tests.harness import BotHarness, FakeClock
from tests.journeys import ask_talk, is_checkin, onboard, pair
from tests.telegram_fake import FakeBotApi
from tests.test_checkins import prompts_to
from tests.test_replies_survive import AFTERNOON

EVENING = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
HELD_NOTICE = "A notice that waited for Sam's check-in"


def sent_to(harness: BotHarness, chat_id: int) -> int:
    """Messages Telegram took for this chat (a dropped answer counts: it arrived), besides
    check-in prompts."""
    return sum(
        1
        for call in harness.api.calls
        if call.method == "sendMessage" and call.chat_id == chat_id and not is_checkin(call.buttons)
    )


async def sams_next_evenings(harness: BotHarness) -> None:
    """Sam's next two check-ins (20:00 in New York): what was held for him goes with them."""
    assert harness.app is not None
    for day in (29, 30):
        harness.clock.now = datetime(2026, 11, day, 1, 0, tzinfo=UTC)
        await send_due_checkins(harness.app.bot, harness.app.bot_data.services)


@contextmanager
def database_away(harness: BotHarness, when: Callable[[str], bool]) -> Iterator[None]:
    """Every statement for which ``when(statement)`` holds fails as an outage."""
    assert harness.app is not None
    engine = harness.app.bot_data.services.engine.sync_engine

    def away(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if when(statement):
            raise OperationalError(statement, {}, sqlite3.OperationalError("database is locked"))

    event.listen(engine, "before_cursor_execute", away)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", away)


async def a_question_for_sam(harness: BotHarness) -> int:
    """Alex asks a question; neither copy is sent yet, and no one has had today's extra
    message. Returns how many messages Sam had before."""
    alex = await onboard(harness, 1001, "Alex", "Berlin", "21:00")
    sam = await onboard(harness, 2002, "Sam", "New York", "20:00")
    await pair(alex, sam)
    harness.clock.now = AFTERNOON
    await together_job(harness)  # the tips offers
    harness.clock.advance(days=1)
    await ask_talk(alex)
    async with harness.transaction() as session:
        await session.execute(
            update(TalkAnswer).values(sent_at=None, claimed_at=None, claimed_by=None)
        )
        await session.execute(delete(PingDay))
    return sent_to(harness, 2002)


async def together_job(harness: BotHarness) -> None:
    """One run of the together job as the JobQueue runs it: with the job's own data."""
    assert harness.app is not None
    assert harness.app.job_queue is not None
    [job] = harness.app.job_queue.get_jobs_by_name("together")
    await job.run(harness.app)


async def test_a_question_sent_while_the_database_is_away_reaches_sam_once(
    harness: BotHarness,
) -> None:
    """The together job keeps what it sent from run to run: written once the database is
    back, the copy is not claimed again when its claim lapses."""
    before = await a_question_for_sam(harness)

    with database_away(harness, lambda _: sent_to(harness, 2002) > before):
        await together_job(harness)
    assert sent_to(harness, 2002) == before + 1
    harness.clock.advance(minutes=10)  # long past the claim
    await together_job(harness)
    harness.clock.advance(minutes=10)
    await together_job(harness)
    await sams_next_evenings(harness)

    assert sent_to(harness, 2002) == before + 1
    assert all(answer.sent_at is not None for answer in await harness.rows(TalkAnswer))


async def test_a_question_that_may_have_arrived_is_sent_once_more_and_no_third_time(
    harness: BotHarness,
) -> None:
    """Twice Telegram takes Sam's copy and the answer is lost: sent once more, then counted
    as arrived, as a prompt is; not sent again, nor held into his next check-in."""
    before = await a_question_for_sam(harness)
    harness.api.fault_next("sendMessage", "drop", 2002)
    harness.api.fault_next("sendMessage", "drop", 2002)

    await together_job(harness)
    for _ in range(3):
        harness.clock.advance(minutes=5)
        await together_job(harness)
    await sams_next_evenings(harness)

    assert sent_to(harness, 2002) == before + 2
    assert all(answer.sent_at is not None for answer in await harness.rows(TalkAnswer))


async def test_nothing_new_is_claimed_while_what_was_sent_is_not_written(
    harness: BotHarness,
) -> None:
    """Batches of one: the first copy's "sent" cannot be written, so drain claims no second
    batch (it would be sent and lost the same way); once the database is back, the first is
    written and the second sent, each once."""
    await a_question_for_sam(harness)
    assert harness.app is not None
    services = harness.app.bot_data.services
    await services.leadership.check()
    texts, together = services.texts_for("en"), services.together_for("en")

    async def claim(session: AsyncSession, now: datetime) -> list[talk_copies.QuestionCopy]:
        return await talk_copies.claim_copies(
            session, now, owner=services.instance_id, lease=timedelta(minutes=1), limit=1
        )

    async def message(row: talk_copies.QuestionCopy) -> Message:
        view = question_copy(
            texts,
            together,
            row.question_id,
            row.question_key,
            row.trigger,
            about=row.about,
            partner=row.partner_name,
        )
        return Message(row.telegram_id, *view)

    def record(row: talk_copies.QuestionCopy, _sent: Any, now: datetime) -> Any:
        async def step(session: AsyncSession) -> None:
            await talk_rows.mark_question_sent(session, row.question_id, row.user_id, now)

        return step

    outbox = Outbox("copies", claim, message, record, batch=1)
    ledger = SendLedger()
    copies = {1001: sent_to(harness, 1001), 2002: sent_to(harness, 2002)}

    def marking_sent(statement: str) -> bool:
        return statement.lstrip().upper().startswith("UPDATE TALK_ANSWERS SET SENT_AT")

    with database_away(harness, marking_sent):
        report = await drain(harness.app.bot, services, outbox, ledger=ledger)
    assert (sum(report.claimed.values()), len(ledger.pending)) == (1, 1)

    report = await drain(harness.app.bot, services, outbox, ledger=ledger)

    assert (sum(report.claimed.values()), ledger.pending) == (1, [])
    assert {chat: sent_to(harness, chat) - n for chat, n in copies.items()} == {1001: 1, 2002: 1}
    assert all(answer.sent_at is not None for answer in await harness.rows(TalkAnswer))


async def test_a_record_that_keeps_failing_is_set_aside_and_the_rest_are_written(
    harness: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """Alex's prompt was sent while the database was away; a record that the database
    refuses as a mistake (a bug) waits in the same ledger. Once the database is back the
    prompt's "sent" is written all the same, the job goes on, and the bad record is logged
    (what it was, not whom it was about) and dropped."""
    await onboard(harness)
    harness.clock.now = EVENING
    assert harness.app is not None
    services = harness.app.bot_data.services
    ledger = SendLedger()
    with database_away(harness, lambda _: bool(prompts_to(harness, 1001))):
        await send_due_checkins(harness.app.bot, services, ledger)

    async def broken(session: AsyncSession) -> None:
        await session.execute(text("UPDATE no_such_table SET telegram_id = 1001"))

    ledger.add(broken)
    harness.clock.advance(minutes=10)
    with caplog.at_level(logging.ERROR, logger="bot.jobs.outbox"):
        await send_due_checkins(harness.app.bot, services, ledger)

    assert ledger.pending == []
    [checkin] = await harness.rows(Checkin)
    assert checkin.sent_at == EVENING
    assert len(prompts_to(harness, 1001)) == 1
    [logged] = [r.getMessage() for r in caplog.records if "set aside" in r.getMessage()]
    assert "broken" in logged
    assert "1001" not in logged


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_a_former_leader_writes_what_it_sent_before_its_claims_are_taken_over(
    harness: BotHarness,
) -> None:
    """Alex's prompt is sent, then PostgreSQL restarts: the sender's "sent" is not written,
    and its lock goes with its connection. Another process takes the lead; it takes over no
    claim until the former leader's next run has written what it sent, leading or not."""
    await onboard(harness)
    harness.clock.now = EVENING
    assert harness.app is not None
    services = harness.app.bot_data.services
    ledger = SendLedger()
    with database_away(harness, lambda _: bool(prompts_to(harness, 1001))):
        await send_due_checkins(harness.app.bot, services, ledger)
    assert ledger.pending
    async with harness.transaction() as session:  # the restart ends the lock's connection
        await session.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks"
                " WHERE locktype = 'advisory' AND pid <> pg_backend_pid()"
            )
        )
    harness.clock.advance(minutes=10)  # the database was away long past the claim

    async with BotHarness(
        harness.settings, api=harness.api, clock=harness.clock, zone_finder=harness.zone_finder
    ) as other:
        assert other.app is not None
        other_services = other.app.bot_data.services
        assert (await send_due_checkins(other.app.bot, other_services)).claimed["resent"] == 0
        harness.clock.advance(seconds=services.settings.dispatch_interval_seconds)
        await send_due_checkins(harness.app.bot, services, ledger)  # no longer leading
        assert (ledger.pending, services.leadership.leading) == ([], False)
        harness.clock.advance(minutes=5)
        report = await send_due_checkins(other.app.bot, other_services)

    assert report.claimed["resent"] == 0
    assert len(prompts_to(harness, 1001)) == 1
    [checkin] = await harness.rows(Checkin)
    assert checkin.sent_at == EVENING


def test_a_deadlock_or_serialization_failure_is_tried_again_not_a_crash() -> None:
    """PostgreSQL ends one of two transactions that wait on each other (40P01), or one that
    cannot be serialized (40001): the same statements go through when tried again."""

    class RefusalError(Exception):
        def __init__(self, sqlstate: str) -> None:
            super().__init__("deadlock detected")
            self.sqlstate = sqlstate

    for sqlstate in ("40P01", "40001"):
        assert is_outage(DBAPIError("UPDATE", {}, RefusalError(sqlstate)))
    assert not is_outage(DBAPIError("UPDATE", {}, RefusalError("42P01")))  # a mistake surfaces


async def test_a_question_slowed_by_telegram_keeps_its_claim(
    settings: Settings, api: FakeBotApi, clock: FakeClock, zone_finder: TimezoneFinder
) -> None:
    """Telegram says "retry after 4 s" to one copy while the lease is 6 s: the together job
    renews the claims of the batch it is sending (every 2 s), so another process finds
    nothing lapsed to take over and send a second time."""
    short = settings.model_copy(update={"claim_lease_seconds": 6})
    async with BotHarness(short, api=api, clock=clock, zone_finder=zone_finder) as harness:
        await a_question_for_sam(harness)
        api.fail_next("sendMessage", 429, "Too Many Requests: retry after 4", retry_after=4)
        sending = asyncio.create_task(together_job(harness))
        await asyncio.sleep(0.5)
        clock.advance(seconds=10)  # the claim made at the start would have lapsed
        await asyncio.sleep(2.5)  # a renewal has come, the slowed copy is not sent yet
        async with harness.transaction() as session:
            taken = await talk_copies.claim_copies(
                session, clock.now, owner="other:1:abc", lease=timedelta(seconds=6), limit=10
            )
        await sending

    assert taken == []


async def test_what_was_held_goes_once_even_if_its_handover_is_written_later(
    harness: BotHarness,
) -> None:
    """A notice held for Sam goes just before his check-in; the database is away from then
    on. Its handover waits in the job's ledger with the prompt's "sent", so the notice is not
    taken again and sent a second time with a later check-in."""
    await onboard(harness, 2002, "Sam", "New York", "20:00")
    assert harness.app is not None
    services = harness.app.bot_data.services
    harness.clock.now = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)  # his morning
    async with harness.transaction() as session:
        [sam] = await harness.rows(User, User.telegram_id == 2002)
        assert await pings.admit(session, sam, Kind.NOTICE, harness.clock.now, text="Today's")
        held = await pings.admit(session, sam, Kind.NOTICE, harness.clock.now, text=HELD_NOTICE)
        assert held is None  # over the day's budget: held for a later check-in

    def notices(harness: BotHarness) -> int:
        return sum(HELD_NOTICE in (call.text or "") for call in harness.api.calls)

    ledger = SendLedger()
    for day in (29, 30):  # 20:00 in New York: that day's extra is taken; the next one's free
        harness.clock.now = datetime(2026, 11, day, 1, 0, tzinfo=UTC)
        with database_away(harness, lambda _: notices(harness) > 0):
            await send_due_checkins(harness.app.bot, services, ledger)
    assert notices(harness) == 1
    harness.clock.advance(minutes=10)
    await send_due_checkins(harness.app.bot, services, ledger)  # the database is back
    assert ledger.pending == []
    prompts = len(prompts_to(harness, 2002))
    harness.clock.now = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    await send_due_checkins(harness.app.bot, services, ledger)

    assert notices(harness) == 1
    assert len(prompts_to(harness, 2002)) == prompts + 1  # his next check-in, on its own
