"""Both partners answering at the very same moment, through the real Application on
PostgreSQL (several webhook processes): each transaction must see the other's answer, so the
reveal — of a question to talk about, of the day side by side — happens once, to both.

To make "the same moment" certain rather than likely, the test holds the two updates'
``received_updates`` rows (which every update marks handled just before it commits): both
transactions then run up to their commit before either can finish. SQLite writes one
transaction at a time and needs no such test.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, text

from bot.services import talk
from bot.storage.models import ReceivedUpdate, SharedDay, TalkQuestion
from tests.harness import BotHarness, shown
from tests.journeys import answer_button, answer_checkin, ask_talk, onboard, pair
from tests.test_shared_day import ALEX, SAM, days_to, evening
from tests.test_together import AFTERNOON, TALK, TOGETHER

EVENING = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)  # Berlin 21:00, both in Berlin


def postgresql_only(harness: BotHarness) -> None:
    if not harness.settings.database_url.startswith("postgresql"):
        pytest.skip("SQLite runs one write transaction at a time")


async def waiting_on_locks(harness: BotHarness) -> int:
    async with harness.session() as session:
        found = await session.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
        )
    return int(found or 0)


async def at_the_same_moment(harness: BotHarness, payloads: list[dict[str, Any]]) -> None:
    """Process the updates concurrently, each held just before its commit until both have
    got that far (or are waiting on each other)."""
    assert harness.app is not None
    app = harness.app
    updates = [harness.update(payload) for payload in payloads]
    ids = [update.update_id for update in updates]
    async with harness.transaction() as session:
        session.add_all(
            ReceivedUpdate(update_id=i, payload="", received_at=harness.clock.now) for i in ids
        )
    async with harness.transaction() as held:
        await held.execute(
            select(ReceivedUpdate).where(ReceivedUpdate.update_id.in_(ids)).with_for_update()
        )
        handling: Awaitable[Any] = asyncio.gather(*(app.process_update(u) for u in updates))
        both = asyncio.ensure_future(handling)
        # Polling the server: there is no event to await for "waiting on a lock".
        while not both.done() and await waiting_on_locks(harness) < len(updates):  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        assert not both.done()  # neither could commit while held
    await both


async def test_two_answers_at_once_are_revealed_once_to_both(harness: BotHarness) -> None:
    postgresql_only(harness)
    alex = await onboard(harness, 1001, "Alex")
    sam = await onboard(harness, 2002, "Sam")
    await pair(alex, sam)
    harness.clock.now = AFTERNOON
    await ask_talk(alex)
    [question] = await harness.rows(TalkQuestion)
    asked = talk.question_text(TOGETHER, question.question_key)
    await alex.press(TALK.answer_button)
    await sam.press(TALK.answer_button)

    await at_the_same_moment(
        harness, [alex.text_update("Your hand on my back"), sam.text_update("Tea in bed")]
    )

    def revealed(mine: str, partner: str, theirs: str) -> str:
        return shown(TALK.revealed, question=asked, mine=mine, partner=partner, theirs=theirs)

    to_alex = revealed("Your hand on my back", "Sam", "Tea in bed")
    to_sam = revealed("Tea in bed", "Alex", "Your hand on my back")
    assert [m.text for m in alex.chat].count(to_alex) == 1
    assert [m.text for m in sam.chat].count(to_sam) == 1
    [question] = await harness.rows(TalkQuestion)
    assert question.revealed_at is not None


async def test_two_check_ins_completed_at_once_make_the_day_side_by_side(
    harness: BotHarness,
) -> None:
    postgresql_only(harness)
    alex = await onboard(harness, 1001, "Alex")
    sam = await onboard(harness, 2002, "Sam")
    await pair(alex, sam)
    await evening(harness, EVENING)
    (*alex_first, (a_item, a_value)), (*sam_first, (s_item, s_value)) = ALEX.items(), SAM.items()
    alex_prompt = await answer_checkin(alex, dict(alex_first))
    sam_prompt = await answer_checkin(sam, dict(sam_first))

    await at_the_same_moment(
        harness,
        [
            alex.press_update(answer_button(alex_prompt, a_item, a_value), alex_prompt),
            sam.press_update(answer_button(sam_prompt, s_item, s_value), sam_prompt),
        ],
    )

    assert len(await harness.rows(SharedDay)) == 2
    assert len(days_to(harness, 1001)) == len(days_to(harness, 2002)) == 1
