"""A guided talk's step sent by the together job (its send cut off by a crash) names its day
and how each saw it, as the chat's copy does: the German–Russian couple of issue 25, through
the real Application and the fake Bot API, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from bot.services.talk_copies import claim_copies
from bot.views.together import question_copy
from tests.harness import BotHarness, TelegramUser, shown
from tests.journeys import evening, invite_code
from tests.test_replies_survive import crash_while_sending, polled, with_faults
from tests.test_together import texts_to, together_run
from tests.test_us_care import (
    ANNA_WEDNESDAY,
    CONTENT,
    IVAN_WEDNESDAY,
    WEDNESDAY,
    answer,
    start_in,
    texts_of,
)

DE, RU = texts_of("de"), texts_of("ru")
ANNA_TALK, IVAN_TALK = (CONTENT.languages[code].together.talk for code in ("de", "ru"))
DAY = WEDNESDAY.date()
ANNA_SEES = shown(
    DE.us.differences.harbor_got_partner,
    day=DE.date(DAY, DE.us.landed.guided_day_format),
    partner="Ivan",
)
IVAN_SEES = shown(
    RU.us.differences.harbor_gave_you,
    day=RU.date(DAY, RU.us.landed.guided_day_format),
    partner="Anna",
)


async def step_two_cut_off(harness: BotHarness) -> tuple[TelegramUser, TelegramUser]:
    """Anna and Ivan saw Wednesday differently; Ivan starts the guided talk, both answer
    step 1, and the process dies sending step 2 (the reveal went): step 2's copies are
    claimed, not sent. The clock is then past the claim's lease."""
    harness.clock.now = WEDNESDAY - timedelta(hours=8)
    anna = await start_in(harness, 1001, "Anna", "de")
    ivan = await start_in(harness, 2002, "Ivan", "ru")
    await ivan.send(f"/join {invite_code(await anna.send('/pair'))}")
    await ivan.press(RU.pairing.confirm_button)
    await evening(harness, WEDNESDAY)
    await answer(anna, ANNA_WEDNESDAY)
    await answer(ivan, IVAN_WEDNESDAY)
    harness.clock.now = WEDNESDAY + timedelta(days=1, hours=-8)
    faults = await with_faults(harness)
    await ivan.send("/talk")
    await ivan.press(IVAN_TALK.guided_button)
    assert ANNA_SEES in anna.last_message.text  # the chat's copy names the day
    await ivan.press(IVAN_TALK.answer_button)
    await ivan.send("Как это было для меня")
    await anna.press(ANNA_TALK.answer_button)
    faults.fault("sendMessage", anna.user_id, "stall", nth=2)  # the reveal goes; step 2 hangs

    await crash_while_sending(harness, faults, polled(harness, anna.text_update("Wie es war")))

    for person, words in ((anna, ANNA_TALK), (ivan, IVAN_TALK)):
        assert not any(words.guided_steps[1] in t for t in texts_to(harness, person.user_id))
    harness.clock.now += timedelta(seconds=harness.settings.claim_lease_seconds + 1)
    return anna, ivan


async def test_the_claimed_copies_carry_the_day_for_the_one_builder(harness: BotHarness) -> None:
    """What the job is to send (claimed by :func:`claim_copies`, built by
    :func:`question_copy`, the chat's builder) names the day from each reader's side."""
    anna, ivan = await step_two_cut_off(harness)
    async with harness.transaction() as session:
        copies = await claim_copies(
            session, harness.clock.now, owner="test", lease=timedelta(seconds=1), limit=10
        )
    by_reader = {copy.telegram_id: copy for copy in copies}
    assert set(by_reader) == {anna.user_id, ivan.user_id}
    for person, code, sees in ((anna, "de", ANNA_SEES), (ivan, "ru", IVAN_SEES)):
        copy = by_reader[person.user_id]
        text, _ = question_copy(
            texts_of(code),
            CONTENT.languages[code].together,
            copy.question_id,
            copy.question_key,
            copy.trigger,
            about=copy.about,
            partner=copy.partner_name,
        )
        assert sees in text
        assert CONTENT.languages[code].together.talk.guided_steps[1] in text


async def test_a_step_sent_by_the_job_after_a_crash_names_the_day(harness: BotHarness) -> None:
    anna, ivan = await step_two_cut_off(harness)

    await together_run(harness)

    for person, words, sees in ((anna, ANNA_TALK, ANNA_SEES), (ivan, IVAN_TALK, IVAN_SEES)):
        [step_two] = [t for t in texts_to(harness, person.user_id) if words.guided_steps[1] in t]
        assert sees in step_two
