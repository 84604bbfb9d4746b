"""A turn's follow-up step (``turn.later`` → ``delivery.follow_up``, and
``delivery.deliver_recorded``) meets the database away right after a copy arrived: what it
could not record waits in the together job's send ledger (``bot.jobs.outbox.SendLedger``),
written when the database is back before anything is claimed again, so the copy is never
sent twice. Through the real Application and the fake Bot API, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from bot.storage.models import SharedDay, TalkAnswer
from tests.harness import BotHarness
from tests.journeys import answer_checkin, evening, invite_code
from tests.telegram_fake import visible_text
from tests.test_guided_copies import ANNA_TALK, IVAN_TALK
from tests.test_send_ledger import database_away, together_job
from tests.test_shared_day import ALEX, ALEX_EVENING, SAM, SAM_EVENING, days_to, side_by_side
from tests.test_together import couple
from tests.test_us_care import (
    ANNA_WEDNESDAY,
    IVAN_WEDNESDAY,
    WEDNESDAY,
    answer,
    start_in,
    texts_of,
)

RU = texts_of("ru")


async def past_the_claim_then_the_job_twice(harness: BotHarness) -> None:
    """The database is back; long past the turn's claim, the together job runs (with its own
    kept data, as the JobQueue runs it) twice."""
    harness.clock.now += timedelta(seconds=harness.settings.claim_lease_seconds + 60)
    await together_job(harness)
    harness.clock.now += timedelta(minutes=10)
    await together_job(harness)


async def test_a_shared_day_that_arrived_while_the_database_went_away_goes_once(
    harness: BotHarness,
) -> None:
    """Sam completes the day; his side by side arrives, and the database is away from then
    on: its "sent" cannot be written. Once it is back, the job does not send it again."""
    alex, sam = await couple(harness)
    await evening(harness, ALEX_EVENING)
    await answer_checkin(alex, ALEX)
    await evening(harness, SAM_EVENING)
    *first, last = SAM.items()
    prompt = await answer_checkin(sam, dict(first))

    with database_away(harness, lambda _: days_to(harness, 2002) != []):
        await answer_checkin(sam, dict([last]), message=prompt)
    assert days_to(harness, 2002) == [side_by_side(SAM, "Alex", ALEX)]

    await past_the_claim_then_the_job_twice(harness)

    assert days_to(harness, 2002) == [side_by_side(SAM, "Alex", ALEX)]  # once
    [sams] = [day for day in await harness.rows(SharedDay) if day.sent_at is not None]
    assert sams is not None


async def test_a_guided_step_that_arrived_while_the_database_went_away_goes_once(
    harness: BotHarness,
) -> None:
    """Anna and Ivan both answer a guided talk's first step: the reveal is recorded, step
    2's copies go to both and arrive, and the database is away from then on. Once it is
    back, the job sends neither copy again."""
    harness.clock.now = WEDNESDAY - timedelta(hours=8)
    anna = await start_in(harness, 1001, "Anna", "de")
    ivan = await start_in(harness, 2002, "Ivan", "ru")
    await ivan.send(f"/join {invite_code(await anna.send('/pair'))}")
    await ivan.press(RU.pairing.confirm_button)
    await evening(harness, WEDNESDAY)
    await answer(anna, ANNA_WEDNESDAY)
    await answer(ivan, IVAN_WEDNESDAY)
    harness.clock.now = WEDNESDAY + timedelta(days=1, hours=-8)
    await ivan.send("/talk")
    await ivan.press(IVAN_TALK.guided_button)
    await ivan.press(IVAN_TALK.answer_button)
    await ivan.send("Как это было для меня")
    await anna.press(ANNA_TALK.answer_button)

    def step_two(person_id: int) -> list[str]:
        """Step 2 as it reached ``person_id``: a message, or (Ivan's) the reveal edited."""
        words = ANNA_TALK if person_id == anna.user_id else IVAN_TALK
        return [
            call.text or ""
            for call in harness.api.calls
            if call.method in ("sendMessage", "editMessageText")
            and call.chat_id == person_id
            and call.status == 200
            and words.guided_steps[1]
            in visible_text(call.text or "", call.params.get("parse_mode"))
        ]

    both = (anna.user_id, ivan.user_id)
    with database_away(harness, lambda _: any(step_two(person) for person in both)):
        await anna.send("Wie es war")
    assert [len(step_two(person)) for person in both] == [1, 1]

    await past_the_claim_then_the_job_twice(harness)

    assert [len(step_two(person)) for person in both] == [1, 1]  # once each
    unsent = [a for a in await harness.rows(TalkAnswer) if a.sent_at is None]
    assert unsent == []
