"""The both-answered moment, through the real Application: once both partners completed the
same day's check-in, each gets the day side by side — answers only, never a note — at once,
or in their morning if it falls in their quiet hours; "talk about it" where the views differ.

Alex lives in Berlin (UTC+1 in November), Sam in New York (UTC-5). Friday 27 November 2026:
Alex's check-in comes at 21:00 Berlin (20:00 UTC), Sam's at 20:00 New York (01:00 UTC).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from bot.content import Html
from bot.services import talk
from bot.storage.models import Couple, SharedDay, TalkQuestion, User
from tests.harness import TEXTS, BotHarness, TelegramUser, shown
from tests.journeys import (
    STALE,
    answer_checkin,
    checkin_answered,
    checkin_day,
    evening,
    onboard,
    pair,
)
from tests.test_together import TOGETHER, couple, export_of, sends_to, texts_to, together_run

WORDS = TEXTS.shared_day
DAY = date(2026, 11, 27)
ALEX_EVENING = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)  # Berlin 21:00, NY 15:00
SAM_EVENING = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)  # NY 20:00, Berlin 02:00
BERLIN_MORNING = datetime(2026, 11, 28, 7, 0, tzinfo=UTC)  # Berlin 08:00
SECRET = "I still haven't told Sam about the job offer"

ALEX = {
    "bids_noticed": "some",
    "bids_response": "toward",
    "bids_made": "met",
    "stressed_me": "no",
    "stressed_partner": "yes",
    "support_given": "yes",
}
# Sam felt the bids missed and Alex not there: two days' views that differ.
SAM = {
    "bids_noticed": "few",
    "bids_response": "toward",
    "bids_made": "missed",
    "stressed_me": "yes",
    "support_received": "no",
    "stressed_partner": "no",
}
TITLE = shown(WORDS.title, day=checkin_day(DAY))


def partner_answered(item: str, value: str) -> str:
    """The line for the partner's answer: in the third person, under their name."""
    labels = TEXTS.checkin.items[item]
    return shown(
        TEXTS.checkin.answered_line,
        question=Html(labels.partner_short),
        answer=labels.partner_options[value],
    )


def answer_lines(answers: dict[str, str], *, theirs: bool = False) -> list[str]:
    bids = [key for key in answers if key.startswith("bids")]
    stress = [key for key in answers if not key.startswith("bids")]
    line = partner_answered if theirs else checkin_answered
    return [
        WORDS.separator.join(line(key, answers[key]) for key in keys) for keys in (bids, stress)
    ]


def side_by_side(mine: dict[str, str], partner: str, theirs: dict[str, str]) -> str:
    return "\n\n".join(
        [
            TITLE,
            "\n".join([shown(WORDS.you), *answer_lines(mine)]),
            "\n".join([shown(WORDS.partner, partner=partner), *answer_lines(theirs, theirs=True)]),
            shown(WORDS.differ),
        ]
    )


def days_to(harness: BotHarness, chat_id: int) -> list[str]:
    return [text for text in texts_to(harness, chat_id) if text.startswith(TITLE)]


async def both_check_in(harness: BotHarness) -> tuple[TelegramUser, TelegramUser]:
    """Alex checks in (with a private note) in the Berlin evening; Sam completes the same
    day in the New York evening, Berlin's night."""
    alex, sam = await couple(harness)
    await evening(harness, ALEX_EVENING)
    await answer_checkin(alex, ALEX, note=SECRET)
    await together_run(harness)
    assert days_to(harness, 1001) == days_to(harness, 2002) == []  # Sam has not answered
    await evening(harness, SAM_EVENING)
    await answer_checkin(sam, SAM)
    return alex, sam


async def test_the_day_side_by_side_goes_once_to_each_waiting_for_the_morning(
    harness: BotHarness,
) -> None:
    _, sam = await both_check_in(harness)

    # Sam, who answered second in the evening, sees it at once...
    assert days_to(harness, 2002) == [side_by_side(SAM, "Alex", ALEX)]
    # ...Alex, at 02:00 in Berlin, not before the morning.
    harness.clock.advance(minutes=30)
    await together_run(harness)
    assert days_to(harness, 1001) == []

    harness.clock.now = BERLIN_MORNING
    first = await together_run(harness)
    await together_run(harness)

    assert first.arrived["days"] == 1
    assert days_to(harness, 1001) == [side_by_side(ALEX, "Sam", SAM)]
    # With a sound: it is morning now.
    [delivered] = [c for c in sends_to(harness, 1001) if (c.text or "").find("🤝") == 0]
    assert not delivered.params.get("disable_notification")
    # A changed answer completes the day again: still once to each.
    await sam.press(TEXTS.checkin.change_button)
    await sam.press(TEXTS.checkin.items["bids_made"].short)
    await sam.press(TEXTS.checkin.items["bids_made"].options["partly"])
    await together_run(harness)
    assert len(days_to(harness, 2002)) == len(days_to(harness, 1001)) == 1
    assert len(await harness.rows(SharedDay)) == 2
    # Only answers: Alex's private note is in no message to either of them.
    assert all(SECRET not in text for text in texts_to(harness, 2002))
    assert all(SECRET not in text for text in days_to(harness, 1001))


async def test_no_side_by_side_while_one_has_not_finished(harness: BotHarness) -> None:
    alex, sam = await couple(harness)
    await evening(harness, ALEX_EVENING)
    await answer_checkin(alex, ALEX)
    await evening(harness, SAM_EVENING)
    await answer_checkin(sam, dict(list(SAM.items())[:3]))  # stops half-way

    harness.clock.now = BERLIN_MORNING
    await together_run(harness)

    assert days_to(harness, 1001) == days_to(harness, 2002) == []
    assert await harness.rows(SharedDay) == []


async def test_talk_about_it_starts_the_guided_conversation(harness: BotHarness) -> None:
    _, sam = await both_check_in(harness)
    message = sam.last_message
    assert [b["text"] for b in message.buttons] == [WORDS.talk_button]

    replies = await sam.press(WORDS.talk_button, message=message)

    [question] = await harness.rows(TalkQuestion)
    assert question.trigger == talk.GUIDED
    assert talk.question_text(TOGETHER, question.question_key) == TOGETHER.talk.guided_steps[0]
    assert TOGETHER.talk.guided_steps[0] in replies.text


async def test_forged_talk_buttons_show_nothing(harness: BotHarness) -> None:
    alex, _ = await both_check_in(harness)
    kim = await onboard(harness, 3003, "Kim", "London", "20:00")
    [couple_row] = await harness.rows(Couple)

    forged = await kim.press_data(f"sd:{couple_row.id}:20261127")
    other_day = await alex.press_data(f"sd:{couple_row.id}:20261126")
    no_day = await alex.press_data(f"sd:{couple_row.id}:20261399")

    for replies in (forged, other_day, no_day):
        assert replies.toasts == [STALE]
        assert replies.texts == []
    assert await harness.rows(TalkQuestion) == []


async def test_a_failed_immediate_copy_is_sent_again_by_the_job(harness: BotHarness) -> None:
    alex, sam = await couple(harness)
    await evening(harness, ALEX_EVENING)
    await answer_checkin(alex, ALEX)
    await evening(harness, SAM_EVENING)
    *first, last = SAM.items()
    prompt = await answer_checkin(sam, dict(first))
    harness.api.fault_next("sendMessage", "refuse")  # no connection: it surely did not go

    await answer_checkin(sam, dict([last]), message=prompt)

    assert days_to(harness, 2002) == []
    await together_run(harness)  # claimed by the failed send: not twice at once
    assert days_to(harness, 2002) == []
    harness.clock.advance(seconds=harness.settings.claim_lease_seconds + 1)
    await together_run(harness)
    await together_run(harness)
    assert days_to(harness, 2002) == [side_by_side(SAM, "Alex", ALEX)]


async def test_an_immediate_copy_that_may_have_arrived_is_not_sent_again(
    harness: BotHarness,
) -> None:
    alex, sam = await couple(harness)
    await evening(harness, ALEX_EVENING)
    await answer_checkin(alex, ALEX)
    await evening(harness, SAM_EVENING)
    *first, last = SAM.items()
    prompt = await answer_checkin(sam, dict(first))
    harness.api.fault_next("sendMessage", "drop")  # Telegram has it; the answer is lost

    await answer_checkin(sam, dict([last]), message=prompt)

    assert days_to(harness, 2002) == [side_by_side(SAM, "Alex", ALEX)]
    harness.clock.advance(seconds=harness.settings.claim_lease_seconds + 1)
    await together_run(harness)
    assert days_to(harness, 2002) == [side_by_side(SAM, "Alex", ALEX)]  # not twice


KIM = {
    "bids_noticed": "many",
    "bids_response": "away",
    "bids_made": "none",
    "stressed_me": "no",
    "stressed_partner": "no",
}


async def test_a_waiting_copy_never_shows_a_new_partners_answers(harness: BotHarness) -> None:
    alex, _ = await both_check_in(harness)  # Alex's copy waits for the Berlin morning
    kim = await onboard(harness, 3003, "Kim", "New York", "20:30")
    await evening(harness, SAM_EVENING.replace(minute=30))
    await answer_checkin(kim, KIM)  # Kim completed the same day too

    await alex.send("/unpair")
    await alex.press(TEXTS.pairing.unpair_confirm_button)
    await pair(kim, alex)
    harness.clock.now = BERLIN_MORNING
    await together_run(harness)
    await together_run(harness)

    assert days_to(harness, 1001) == []
    assert all("Kim" not in text for text in texts_to(harness, 1001)[-3:] if TITLE in text)
    # The ended couple's copy is done with, not left waiting.
    alex_id = (await harness.rows(User, User.telegram_id == 1001))[0].id
    assert await harness.rows(SharedDay, SharedDay.user_id == alex_id) == []


async def test_export_lists_the_days_shown_and_the_newer_settings(harness: BotHarness) -> None:
    alex, sam = await both_check_in(harness)

    sam_data = await export_of(sam)
    alex_data = await export_of(alex)

    assert sam_data["version"] == alex_data["version"] == 5
    [shown_day] = sam_data["days_side_by_side"]
    assert (shown_day["date"], shown_day["partner"]) == (DAY.isoformat(), "Alex")
    assert shown_day["shown_at"] == SAM_EVENING.isoformat()
    # Alex's copy waits for the Berlin morning: not shown, so not listed yet.
    assert alex_data["days_side_by_side"] == []
    # Only when and with whom: no answers of the partner, nor Alex's private note.
    assert SECRET not in json.dumps(sam_data)
    assert set(shown_day) == {"date", "shown_at", "partner"}
    assert sam_data["notices"] == []
    profile = sam_data["profile"]
    assert {key: profile[key] for key in ("appreciations_muted", "safe_haven_tips")} == {
        "appreciations_muted": False,
        "safe_haven_tips": False,
    }
    # The offer of tips went with the evening check-in; the export says when.
    assert profile["tips_offered_at"] is not None
    assert {"partner_nudge", "language", "language_settled_at"} <= set(profile)
