"""``bot.jobs.outbox.drain``, the claim → send → record loop the jobs configure: a row with
nothing to send is handed back, not held by this process (review of #24)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery import Step
from bot.jobs.outbox import Message, Outbox, drain
from bot.storage import talk as talk_rows
from bot.storage.models import TalkAnswer
from tests.harness import BotHarness
from tests.journeys import ask_talk, onboard, pair
from tests.test_replies_survive import AFTERNOON


async def test_a_claimed_row_with_nothing_to_send_is_handed_back(harness: BotHarness) -> None:
    """Sam's copy of a question is claimed; its text turns out to be gone (``message`` is
    ``None``): the claim is cleared, so the row is not held until a lease lapses."""
    alex = await onboard(harness, 1001, "Alex", "Berlin", "21:00")
    sam = await onboard(harness, 2002, "Sam", "New York", "20:00")
    await pair(alex, sam)
    harness.clock.now = AFTERNOON
    await ask_talk(alex)
    async with harness.transaction() as session:  # Sam's copy not sent yet
        await session.execute(
            update(TalkAnswer).values(sent_at=None, claimed_at=None, claimed_by=None)
        )
    assert harness.app is not None
    services = harness.app.bot_data.services
    await services.leadership.check()

    claimed: list[talk_rows.QuestionToSend] = []

    async def claim(session: AsyncSession, now: datetime) -> list[talk_rows.QuestionToSend]:
        if claimed:  # one batch
            return []
        rows = await talk_rows.claim_unsent_questions(
            session, zones=["Europe/Berlin", "America/New_York"], lapsed_before=now, limit=10
        )
        await talk_rows.claim_questions(session, rows, services.instance_id, now)
        claimed.extend(rows)
        return rows

    def release(row: talk_rows.QuestionToSend) -> Step:
        async def step(session: AsyncSession) -> None:
            await session.execute(
                update(TalkAnswer)
                .where(TalkAnswer.question_id == row.question_id)
                .values(claimed_at=None, claimed_by=None)
            )

        return step

    async def gone(row: talk_rows.QuestionToSend) -> Message | None:
        return None

    outbox: Outbox[talk_rows.QuestionToSend] = Outbox(
        "gone", claim, gone, lambda row, sent, now: None, release=release
    )
    report = await drain(harness.app.bot, services, outbox)

    assert claimed  # Sam's copy was claimed by this process
    assert sum(report.outcomes.values()) == 0  # nothing was sent
    answers = await harness.rows(TalkAnswer)
    assert answers
    assert all(row.claimed_by is None and row.sent_at is None for row in answers)
