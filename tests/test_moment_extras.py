"""What #16 and #17 left for the check-in and /us, through the real Application: an answered
appreciation is a matched bid for both in /us; "talk about it" next to the week's differing
views; the week's practice recalled once a practice week in the evening check-in; an
appreciation offered from the finished check-in; the weekly question on the couple's day."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.services import talk
from bot.storage.models import TalkQuestion
from tests.harness import TEXTS, BotHarness, TelegramUser, shown, shown_count
from tests.journeys import answer_checkin, checkin_message, evening, onboard, step_title
from tests.test_shared_day import ALEX, SAM
from tests.test_together import AFTERNOON, THANKS, TOGETHER, couple, together_run

MATCHED_ONE = shown_count(TEXTS.us.matched_bids, 1)
LANDED = TEXTS.us.landed
BIDS_MET_ONCE = shown(LANDED.bids, times=shown_count(LANDED.times, 1))


def buttons(person: TelegramUser) -> list[str]:
    return [button["text"] for button in person.last_message.buttons]


async def test_an_appreciation_and_its_thank_you_are_one_matched_bid_for_both(
    harness: BotHarness,
) -> None:
    alex, sam = await couple(harness)
    harness.clock.now = AFTERNOON
    await alex.send("/thanks for the coffee in bed")
    unanswered = await alex.send("/us")
    assert BIDS_MET_ONCE not in unanswered.text  # a bid made, not yet met
    await alex.press(TEXTS.us.details_button)
    assert MATCHED_ONE not in alex.last_message.text

    await sam.press(THANKS.thank_button)

    for person in (alex, sam):
        week = await person.send("/us")
        # On the first screen, a bid turned toward; in the details, what it was.
        assert BIDS_MET_ONCE in week.texts[0].split("\n")
        details = await person.press(TEXTS.us.details_button)
        assert MATCHED_ONE in details.texts[0].split("\n")


async def test_us_offers_to_talk_about_a_day_seen_differently(harness: BotHarness) -> None:
    alex, sam = await couple(harness)
    harness.clock.now = AFTERNOON
    await alex.send("/us")
    assert TEXTS.us.talk_button not in buttons(alex)  # nothing differed yet

    alex, sam = await both_check_in_again(harness, alex, sam)
    week = await sam.send("/us")
    assert shown(TEXTS.us.landed.gap_note) in week.text
    assert TEXTS.us.talk_button in buttons(sam)

    started = await sam.press(TEXTS.us.talk_button)

    [question] = await harness.rows(TalkQuestion)
    assert question.trigger == talk.GUIDED
    assert TOGETHER.talk.guided_steps[0] in started.text


async def both_check_in_again(
    harness: BotHarness, alex: TelegramUser, sam: TelegramUser
) -> tuple[TelegramUser, TelegramUser]:
    """Alex and Sam (already a couple) answer Friday's check-in with views that differ."""
    await evening(harness, datetime(2026, 11, 27, 20, 0, tzinfo=UTC))
    await answer_checkin(alex, ALEX)
    await evening(harness, datetime(2026, 11, 28, 1, 0, tzinfo=UTC))
    await answer_checkin(sam, SAM)
    return alex, sam


async def test_the_weeks_practice_is_recalled_once_a_practice_week(harness: BotHarness) -> None:
    alex = await onboard(harness)  # Berlin, check-in at 21:00 (20:00 UTC)
    await alex.send("/learn")
    await alex.press(step_title(1))  # Friday 27 November, 12:00 UTC
    recall = shown(TEXTS.checkin.practice_recall, practice=step_title(1))
    quiet = {key: value for key, value in ALEX.items() if key != "bids_response"}
    quiet["bids_noticed"] = "none"

    async def check_in(at: datetime) -> str:
        await evening(harness, at)
        prompt = checkin_message(alex)
        assert recall not in prompt.text  # not with the first question
        await answer_checkin(alex, quiet, message=prompt)
        return prompt.text

    first = await check_in(datetime(2026, 11, 27, 20, 0, tzinfo=UTC))
    second = await check_in(datetime(2026, 11, 28, 20, 0, tzinfo=UTC))
    await evening(harness, datetime(2026, 12, 4, 19, 0, tzinfo=UTC))  # a week on
    next_week = await check_in(datetime(2026, 12, 4, 20, 0, tzinfo=UTC))

    assert recall in first.split("\n\n")
    assert recall not in second
    assert recall in next_week.split("\n\n")


async def test_the_finished_check_in_offers_an_appreciation_when_paired(
    harness: BotHarness,
) -> None:
    kim = await onboard(harness, 3003, "Kim", "London", "20:00")
    alex, _ = await couple(harness)
    await evening(harness, datetime(2026, 11, 27, 20, 0, tzinfo=UTC))
    solo = await answer_checkin(kim, {**SAM, "bids_response": "toward"})
    await kim.press(TEXTS.checkin.done_button, message=solo)
    assert TEXTS.checkin.appreciate_button not in [b["text"] for b in solo.buttons]

    prompt = await answer_checkin(alex, ALEX)
    await alex.press(TEXTS.checkin.done_button, message=prompt)
    assert TEXTS.checkin.appreciate_button in [b["text"] for b in prompt.buttons]
    asked = await alex.press(TEXTS.checkin.appreciate_button, message=prompt)

    assert asked.texts == [shown(THANKS.ask, partner="Sam", limit=500)]


async def test_the_weekly_question_comes_on_the_day_either_partner_set(
    harness: BotHarness,
) -> None:
    _, sam = await couple(harness)
    await sam.send("/settings")  # Sam joined the bot second
    await sam.press(TEXTS.settings.weekly_day_button)
    await sam.press(TEXTS.settings.weekdays[2])  # Wednesday, for both

    harness.clock.now = datetime(2026, 11, 29, 9, 30, tzinfo=UTC)  # Sunday, the old day
    assert (await together_run(harness)).weekly_questions == 0
    harness.clock.now = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)  # Wednesday, Berlin 10:30
    assert (await together_run(harness)).weekly_questions == 1
