"""The together job under load and faults, through the real Application: people waiting for
their morning never keep the awake ones waiting, the tips offer survives a failed send, and
the weekly step reads only the couples that are due.

Alex lives in Berlin, Sam in New York; quiet hours are 22:30-08:00 in each one's own zone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event

from bot.jobs.together import BATCH
from bot.services import talk
from bot.services.safe_haven import OFFERS_PER_RUN
from bot.storage.models import Couple, CoupleMember, SafeHavenTip, TalkAnswer, TalkQuestion, User
from tests.harness import TEXTS, BotHarness, shipped_content
from tests.journeys import onboard, pair
from tests.test_together import couple, opt_in, sam_answers_his_day, together_run, user_row

TOGETHER = shipped_content().together
TIPS = TOGETHER.tips
# Saturday 28 November 2026, 07:30 UTC: Berlin 08:30 (awake), New York 02:30 (asleep).
BERLIN_MORNING = datetime(2026, 11, 28, 7, 30, tzinfo=UTC)


def offered(harness: BotHarness, chat_id: int) -> int:
    return sum(
        1
        for call in harness.api.calls
        if call.method == "sendMessage"
        and call.chat_id == chat_id
        and call.status == 200
        and TIPS.offer_yes_button in str(call.params.get("reply_markup"))
    )


async def night_couples(harness: BotHarness, count: int) -> None:
    """``count`` paired New Yorkers, set up and never offered the tips."""
    now = harness.clock.now
    async with harness.transaction() as session:
        for number in range(count):
            pair_of = Couple(created_at=now)
            session.add(pair_of)
            people = [
                User(
                    telegram_id=900_000 + 2 * number + side,
                    first_name="Night",
                    time_zone="America/New_York",
                    consented_at=now,
                    onboarded_at=now,
                    created_at=now,
                    updated_at=now,
                )
                for side in (0, 1)
            ]
            session.add_all(people)
            await session.flush()
            session.add_all(
                CoupleMember(couple_id=pair_of.id, user_id=person.id, joined_at=now)
                for person in people
            )


async def test_questions_waiting_for_morning_never_fill_the_batch(harness: BotHarness) -> None:
    alex_chat, _ = await couple(harness)
    harness.clock.now = BERLIN_MORNING
    [couple_row] = await harness.rows(Couple)
    alex, sam = await user_row(harness, 1001), await user_row(harness, 2002)
    key = TOGETHER.questions[0].id
    async with harness.transaction() as session:
        for _ in range(BATCH + 1):  # more copies for Sam's night than a batch holds...
            question = TalkQuestion(
                couple_id=couple_row.id, question_key=key, trigger="talk", asked_at=BERLIN_MORNING
            )
            session.add(question)
            await session.flush()
            session.add(TalkAnswer(question_id=question.id, user_id=sam.id))
        question = TalkQuestion(  # ...then one for Alex, who is awake
            couple_id=couple_row.id, question_key=key, trigger="talk", asked_at=BERLIN_MORNING
        )
        session.add(question)
        await session.flush()
        session.add(TalkAnswer(question_id=question.id, user_id=alex.id))

    report = await together_run(harness)

    assert report.arrived["questions"] == 1
    assert talk.question_text(TOGETHER, key) in alex_chat.last_message.text
    assert (
        await harness.rows(
            TalkAnswer, TalkAnswer.user_id == sam.id, TalkAnswer.sent_at.is_not(None)
        )
        == []
    )


async def test_the_tips_offer_reaches_the_awake_however_many_are_asleep(
    harness: BotHarness,
) -> None:
    await night_couples(harness, OFFERS_PER_RUN // 2 + 1)  # more than a run's offers
    await couple(harness)
    harness.clock.now = BERLIN_MORNING

    report = await together_run(harness)

    assert report.arrived["offers"] == 1
    assert offered(harness, 1001) == 1
    assert offered(harness, 2002) == 0  # Sam's night: the offer waits for the morning
    harness.clock.now = datetime(2026, 11, 28, 13, 0, tzinfo=UTC)  # New York 08:00
    await together_run(harness)
    await together_run(harness)  # (a run makes at most OFFERS_PER_RUN offers)
    assert offered(harness, 2002) == 1


async def test_a_tips_offer_that_did_not_go_is_made_later_once(harness: BotHarness) -> None:
    await couple(harness)
    harness.clock.now = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # both awake
    for _ in range(3):  # Alex's offer never reaches Telegram, tried again in the run or not
        harness.api.fault_next("sendMessage", "refuse", 1001)

    await together_run(harness)
    await together_run(harness)  # still claimed: not sent twice at once

    assert (offered(harness, 1001), offered(harness, 2002)) == (0, 1)
    harness.clock.advance(minutes=5)  # the claim has lapsed
    await together_run(harness)
    await together_run(harness)
    assert (offered(harness, 1001), offered(harness, 2002)) == (1, 1)


async def test_a_lapsed_tip_waits_for_the_receivers_morning(harness: BotHarness) -> None:
    alex, sam = await couple(harness)
    harness.clock.now = datetime(2026, 11, 27, 19, 0, tzinfo=UTC)
    await opt_in(harness, alex, sam)
    await sam_answers_his_day(harness, sam)  # the tip waits for it
    harness.clock.now = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)  # New York 22:00
    await alex.send("/stress")
    await alex.press(TEXTS.moments.stress_mine_button)
    await alex.press(TEXTS.moments.outcomes["stress_mine"]["yes"])
    for _ in range(3):  # Sam's tip does not go, tried again in the run or not
        harness.api.fault_next("sendMessage", "refuse", 2002)
    await together_run(harness)
    [tip] = await harness.rows(SafeHavenTip)
    assert tip.sent_at is None
    tip_calls = len(harness.api.calls)

    harness.clock.now = datetime(2026, 11, 28, 3, 40, tzinfo=UTC)  # New York 22:40: night
    await together_run(harness)

    sent_since = [c for c in harness.api.calls[tip_calls:] if c.chat_id == 2002]
    assert sent_since == []
    harness.clock.now = datetime(2026, 11, 28, 8, 30, tzinfo=UTC)  # New York 03:30: night
    await together_run(harness)
    assert [c for c in harness.api.calls[tip_calls:] if c.chat_id == 2002] == []


async def test_the_weekly_step_reads_no_couple_that_is_not_due(harness: BotHarness) -> None:
    await couple(harness)
    harness.clock.now = datetime(2026, 11, 29, 9, 30, tzinfo=UTC)  # Sunday, Berlin 10:30
    assert (await together_run(harness)).weekly_questions == 1
    assert harness.app is not None
    engine = harness.app.bot_data.services.engine
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        harness.clock.advance(minutes=5)
        await together_run(harness)
        with_one = len(statements)
        for number in range(4):  # four more couples on their weekly day, all asked already
            first = await onboard(harness, 5000 + 2 * number, "Kim", "Berlin", "20:00")
            second = await onboard(harness, 5001 + 2 * number, "Lee", "Berlin", "20:00")
            await pair(first, second)
        await together_run(harness)
        statements.clear()
        harness.clock.advance(minutes=5)
        await together_run(harness)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)

    assert len(await harness.rows(TalkQuestion)) == 5
    assert len(statements) == with_one  # the same few queries, however many couples
