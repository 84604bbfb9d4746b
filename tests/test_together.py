"""Doing things together, through the real Application: appreciations relayed and thanked,
the quiet safe-haven tip, and questions to talk about — two partners in different zones.

Alex lives in Berlin (UTC+1 in November), Sam in New York (UTC-5); quiet hours are
22:30-08:00 in each one's own zone.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, update
from sqlalchemy.exc import OperationalError

from bot.content import Html
from bot.jobs.checkin_sender import send_due_checkins
from bot.jobs.together import TogetherReport, run_together
from bot.services import appreciations, talk
from bot.services.appreciations import DAILY_LIMIT, AppreciationBids
from bot.storage.models import (
    Appreciation,
    Couple,
    SafeHavenTip,
    TalkAnswer,
    TalkQuestion,
    User,
)
from tests.harness import TEXTS, BotHarness, TelegramUser, shipped_content, shown
from tests.journeys import HELP, STALE, answer_checkin, ask_talk, onboard, pair
from tests.telegram_fake import ApiCall, visible_text

TOGETHER = shipped_content().together
THANKS = TOGETHER.thanks
TIPS = TOGETHER.tips
TALK = TOGETHER.talk
DRAFTS = TOGETHER.drafts
# Friday 27 November 2026.
AFTERNOON = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # Berlin 16:00, New York 10:00


async def couple(harness: BotHarness) -> tuple[TelegramUser, TelegramUser]:
    alex = await onboard(harness, 1001, "Alex", "Berlin", "21:00")
    sam = await onboard(harness, 2002, "Sam", "New York", "20:00")
    await pair(alex, sam)
    return alex, sam


def sends_to(harness: BotHarness, chat_id: int) -> list[ApiCall]:
    return [
        call
        for call in harness.api.calls
        if call.method == "sendMessage" and call.chat_id == chat_id and call.status == 200
    ]


def texts_to(harness: BotHarness, chat_id: int) -> list[str]:
    return [
        visible_text(c.text or "", c.params.get("parse_mode")) for c in sends_to(harness, chat_id)
    ]


async def together_run(harness: BotHarness) -> TogetherReport:
    assert harness.app is not None
    return await run_together(harness.app.bot, harness.app.bot_data.services)


async def user_row(harness: BotHarness, telegram_id: int) -> User:
    [user] = await harness.rows(User, User.telegram_id == telegram_id)
    return user


# --- appreciations ----------------------------------------------------------------------------


async def test_an_appreciation_is_relayed_quoted_thanked_and_answered(harness: BotHarness) -> None:
    alex, sam = await couple(harness)
    harness.clock.now = AFTERNOON
    asked = await alex.send("/thanks")
    assert asked.texts == [shown(THANKS.ask, partner="Sam", limit=500)]

    written = "Thank you for the coffee in bed <3"
    replies = await alex.send(written)

    received = sam.last_message
    assert received.text == shown(THANKS.received, partner="Alex", text=written)
    # The lock screen shows the first line: it never quotes the words.
    assert written not in received.text.splitlines()[0]
    assert [b["text"] for b in received.buttons] == [THANKS.thank_button, THANKS.reply_button]
    [delivery] = sends_to(harness, 2002)[-1:]
    assert not delivery.params.get("disable_notification")
    assert replies.texts == [shown(THANKS.sent, partner="Sam")]

    await sam.press(THANKS.thank_button, message=received)
    assert received.text == "\n\n".join(
        [shown(THANKS.received, partner="Alex", text=written), shown(THANKS.thanked_line)]
    )
    assert alex.last_message.text == shown(THANKS.thanked_you, partner="Sam", text=written)
    again = await sam.press_data(f"th:{(await harness.rows(Appreciation))[0].id}:ty")
    assert again.toasts == [THANKS.already_answered]

    await sam.press(THANKS.reply_button, message=received)
    assert sam.last_message.text == shown(THANKS.ask_reply, partner="Alex")
    answered = await sam.send("Anytime, love")
    assert answered.texts == [shown(THANKS.reply_sent, partner="Alex")]
    assert alex.last_message.text == shown(
        THANKS.reply_received, partner="Sam", text="Anytime, love"
    )

    # One bid made by Alex, turned toward by Sam: the same matched bid for both of them.
    alex_id, sam_id = (await user_row(harness, 1001)).id, (await user_row(harness, 2002)).id
    [couple_row] = await harness.rows(Couple)
    async with harness.session() as session:
        bids = await appreciations.appreciation_bids(
            session, couple_row.id, AFTERNOON.date(), AFTERNOON.date()
        )
    assert bids == {alex_id: AppreciationBids(made=1, answered=1)}
    assert sam_id not in bids


async def test_in_the_receivers_night_it_arrives_silently(harness: BotHarness) -> None:
    alex, sam = await couple(harness)
    harness.clock.now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)  # New York 07:00

    replies = await alex.send("/thanks you make mornings easier")

    delivery = sends_to(harness, 2002)[-1]
    assert delivery.params.get("disable_notification") is True
    assert sam.last_message.text == shown(
        THANKS.received, partner="Alex", text="you make mornings easier"
    )
    assert replies.texts == [shown(THANKS.sent_silently, partner="Sam")]


async def test_five_a_day_then_a_kind_no(harness: BotHarness) -> None:
    alex, _ = await couple(harness)
    harness.clock.now = AFTERNOON
    before = len(sends_to(harness, 2002))
    for number in range(DAILY_LIMIT):
        await alex.send(f"/thanks thing number {number}")

    refused = await alex.send("/thanks one more")

    assert refused.texts == [shown(THANKS.daily_limit.render("en", DAILY_LIMIT))]
    assert refused.texts[0].startswith("That's 5 appreciations today already")
    assert len(sends_to(harness, 2002)) == before + DAILY_LIMIT
    harness.clock.advance(days=1)
    assert (await alex.send("/thanks tomorrow's")).texts == [shown(THANKS.sent, partner="Sam")]


async def test_a_partner_who_muted_appreciations_gets_none(harness: BotHarness) -> None:
    alex, sam = await couple(harness)
    harness.clock.now = AFTERNOON
    await sam.send("/together")
    await sam.press(TOGETHER.together.appreciations_button.format(state=TOGETHER.together.off))
    before = len(sends_to(harness, 2002))

    refused = await alex.send("/thanks for everything")

    assert refused.texts == [shown(THANKS.muted_by_partner, partner="Sam")]
    assert len(sends_to(harness, 2002)) == before
    assert await harness.rows(Appreciation) == []
    # And Sam, having turned them off, is reminded where to turn them on.
    assert (await sam.send("/thanks hi")).texts == [shown(THANKS.muted_by_you, partner="Alex")]


async def test_nothing_reaches_a_partner_who_blocked_the_bot(harness: BotHarness) -> None:
    alex, _ = await couple(harness)
    harness.clock.now = AFTERNOON
    harness.api.blocked_chats.add(2002)

    replies = await alex.send("/thanks for listening")

    assert replies.texts == [shown(THANKS.unreachable, partner="Sam")]
    [appreciation] = await harness.rows(Appreciation)
    assert appreciation.delivered_at is None  # not a bid anyone saw
    assert not (await user_row(harness, 2002)).active
    again = await alex.send("/thanks")
    assert again.texts == [shown(THANKS.unreachable, partner="Sam")]


async def test_after_unpairing_nothing_is_sent_and_the_sender_is_told(harness: BotHarness) -> None:
    alex, sam = await couple(harness)
    harness.clock.now = AFTERNOON
    await alex.send("/thanks for the walk")
    received = sam.last_message
    await alex.send("/unpair")
    await alex.press(TEXTS.pairing.unpair_confirm_button)

    pressed = await sam.press(THANKS.reply_button, message=received)
    assert shown(THANKS.no_longer_paired, partner="Alex") in pressed.texts
    assert (await alex.send("/thanks still")).texts == [shown(THANKS.not_paired)]
    assert len(await harness.rows(Appreciation)) == 1


async def test_an_old_appreciation_names_its_sender_not_the_new_partner(
    harness: BotHarness,
) -> None:
    alex, sam = await couple(harness)
    harness.clock.now = AFTERNOON
    await alex.send("/thanks for the walk")
    received = sam.last_message
    await sam.press(THANKS.reply_button, message=received)  # Sam starts a reply...
    await alex.send("/unpair")
    await alex.press(TEXTS.pairing.unpair_confirm_button)
    to_alex = len(sends_to(harness, 1001))

    answered = await sam.send("and thank you for the talk")  # ...and sends it after that

    assert answered.texts == [shown(THANKS.no_longer_paired, partner="Alex")]
    kim = await onboard(harness, 3003, "Kim", "London", "20:00")
    await pair(sam, kim)
    pressed = await sam.press(THANKS.thank_button, message=received)
    assert pressed.texts == [shown(THANKS.no_longer_paired, partner="Alex")]
    assert len(sends_to(harness, 1001)) == to_alex  # nothing reaches Alex any more


async def test_an_appreciation_that_may_have_arrived_counts_as_delivered(
    harness: BotHarness,
) -> None:
    alex, sam = await couple(harness)
    harness.clock.now = AFTERNOON
    # Telegram delivers it to Sam, then the connection drops before its answer.
    harness.api.fault_next("sendMessage", "drop")

    replies = await alex.send("/thanks for the flowers")

    assert replies.texts == [shown(THANKS.sent, partner="Sam")]
    received = sam.last_message
    assert received.text == shown(THANKS.received, partner="Alex", text="for the flowers")
    assert (await user_row(harness, 2002)).active
    # Its buttons work: the thank-you goes back, a reply can follow.
    thanked = await sam.press(THANKS.thank_button, message=received)
    assert thanked.toasts != [STALE]
    assert alex.last_message.text == shown(
        THANKS.thanked_you, partner="Sam", text="for the flowers"
    )
    await sam.press(THANKS.reply_button, message=received)
    assert (await sam.send("always")).texts == [shown(THANKS.reply_sent, partner="Alex")]


async def test_a_bad_gateway_is_not_reported_as_blocked(harness: BotHarness) -> None:
    alex, _ = await couple(harness)
    harness.clock.now = AFTERNOON
    harness.api.fail_next("sendMessage", 502, "Bad Gateway")  # it may have arrived

    replies = await alex.send("/thanks for the soup")

    assert replies.texts == [shown(THANKS.sent, partner="Sam")]
    [appreciation] = await harness.rows(Appreciation)
    assert appreciation.delivered_at is not None


async def test_crisis_words_are_not_relayed(harness: BotHarness) -> None:
    """Kept as a private draft with the help first (tests/test_private_drafts.py follows the
    choice through)."""
    alex, _ = await couple(harness)
    harness.clock.now = AFTERNOON
    before = len(sends_to(harness, 2002))
    await alex.send("/thanks")

    replies = await alex.send("thanks for staying, some nights I don't want to live anymore")

    assert replies.texts == [f"{HELP}\n\n{shown(DRAFTS.kept_appreciation, partner='Sam')}"]
    assert len(sends_to(harness, 2002)) == before
    assert await harness.rows(Appreciation) == []
    # Inline, the check of every command's words gives the help; nothing is sent either.
    inline = await alex.send("/thanks I want to kill myself")
    assert inline.texts == [HELP, shown(DRAFTS.kept_appreciation, partner="Sam")]
    assert await harness.rows(Appreciation) == []
    assert len(sends_to(harness, 2002)) == before


async def test_forged_buttons_for_another_couples_appreciation_show_nothing(
    harness: BotHarness,
) -> None:
    alex, _ = await couple(harness)
    kim = await onboard(harness, 3003, "Kim", "London", "20:00")
    lee = await onboard(harness, 4004, "Lee", "London", "20:00")
    await pair(kim, lee)
    harness.clock.now = AFTERNOON
    await alex.send("/thanks a secret only Sam should read")
    [appreciation] = await harness.rows(Appreciation)

    for data in (f"th:{appreciation.id}:ty", f"th:{appreciation.id}:re"):
        replies = await kim.press_data(data)
        assert replies.toasts == [STALE]
        assert "secret" not in replies.text
    [appreciation] = await harness.rows(Appreciation)
    assert appreciation.thanked_at is None
    assert (await user_row(harness, 3003)).pending_input is None


# --- the quiet safe-haven tip ------------------------------------------------------------------


async def opt_in(harness: BotHarness, *people: TelegramUser) -> None:
    """The offer after pairing, accepted by ``people``."""
    await together_run(harness)
    for person in people:
        await person.press(TIPS.offer_yes_button)


async def sam_answers_his_day(harness: BotHarness, sam: TelegramUser) -> None:
    """Sam's check-in of Friday 27 November (New York 20:00), answered: a tip about Alex's
    day waits for it (the reveal rule)."""
    harness.clock.now = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)
    assert harness.app is not None
    await send_due_checkins(harness.app.bot, harness.app.bot_data.services)
    calm = {"bids_noticed": "none", "bids_made": "none", "stressed_me": "no"}
    await answer_checkin(sam, {**calm, "stressed_partner": "no"})
    harness.clock.advance(minutes=5)


def tips_to(harness: BotHarness, chat_id: int) -> list[str]:
    lines = {shown(tip) for tip in TIPS.items}
    return [text for text in texts_to(harness, chat_id) if any(t in text for t in lines)]


async def test_the_tip_goes_once_to_the_other_partner_never_quoting(harness: BotHarness) -> None:
    alex, sam = await couple(harness)
    harness.clock.now = datetime(2026, 11, 27, 19, 0, tzinfo=UTC)  # NY 14:00, Berlin 20:00
    await opt_in(harness, alex, sam)
    assert alex.last_message.text == shown(TIPS.offer_accepted, partner="Sam")
    assert sam.last_message.text == shown(TIPS.offer_accepted_both, partner="Alex")
    harness.clock.now = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)  # Alex's check-in
    assert harness.app is not None
    await send_due_checkins(harness.app.bot, harness.app.bot_data.services)
    note = "My boss shouted at me in front of everyone"
    await answer_checkin(
        alex,
        {
            "bids_noticed": "none",
            "bids_made": "none",
            "stressed_me": "yes",
            "support_received": "no",
            "stressed_partner": "no",
        },
        note=note,
    )
    harness.clock.advance(minutes=5)

    # Sam has not answered his own check-in of the day yet: the tip waits for it.
    assert (await together_run(harness)).arrived["tips"] == 0
    assert tips_to(harness, 2002) == []
    await sam_answers_his_day(harness, sam)

    report = await together_run(harness)
    await together_run(harness)

    assert report.arrived["tips"] == 1
    [tip] = tips_to(harness, 2002)
    assert tip == shown(TIPS.message, partner="Alex", tip=TIPS.items[0])
    assert "boss" not in tip
    # Alex, who was stressed, hears nothing of it.
    assert tips_to(harness, 1001) == []
    # One a day: another stressful moment the same evening brings no second tip.
    await alex.send("/stress")
    await alex.press(TEXTS.moments.stress_mine_button)
    await alex.press(TEXTS.moments.outcomes["stress_mine"]["no"])
    harness.clock.advance(minutes=5)
    await together_run(harness)
    assert len(tips_to(harness, 2002)) == 1


async def test_no_tip_unless_both_opted_in(harness: BotHarness) -> None:
    alex, sam = await couple(harness)
    harness.clock.now = datetime(2026, 11, 27, 19, 0, tzinfo=UTC)
    await opt_in(harness, sam)  # Alex lets the offer be
    await alex.send("/stress")
    await alex.press(TEXTS.moments.stress_mine_button)
    await alex.press(TEXTS.moments.outcomes["stress_mine"]["somewhat"])

    await together_run(harness)

    assert tips_to(harness, 2002) == []
    assert await harness.rows(SafeHavenTip) == []


async def test_a_tip_at_night_waits_for_the_receivers_morning(harness: BotHarness) -> None:
    alex, sam = await couple(harness)
    harness.clock.now = datetime(2026, 11, 27, 19, 0, tzinfo=UTC)
    await opt_in(harness, alex, sam)
    harness.clock.now = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)  # NY 20:00, Berlin 02:00
    await sam.send("/stress")
    await sam.press(TEXTS.moments.stress_mine_button)
    await sam.press(TEXTS.moments.outcomes["stress_mine"]["yes"])

    await together_run(harness)
    assert tips_to(harness, 1001) == []

    harness.clock.now = datetime(2026, 11, 28, 6, 59, tzinfo=UTC)  # Berlin 07:59
    await together_run(harness)
    assert tips_to(harness, 1001) == []
    harness.clock.now = datetime(2026, 11, 28, 7, 0, tzinfo=UTC)  # Berlin 08:00
    await together_run(harness)
    assert len(tips_to(harness, 1001)) == 1
    assert tips_to(harness, 2002) == []


# --- questions to talk about -------------------------------------------------------------------


async def answer_question(person: TelegramUser, text: str) -> list[str]:
    await person.press(TALK.answer_button)
    return (await person.send(text)).texts


async def test_answers_are_shown_only_once_both_answered(harness: BotHarness) -> None:
    alex, sam = await couple(harness)
    harness.clock.now = AFTERNOON
    asked = await ask_talk(alex)
    [question] = await harness.rows(TalkQuestion)
    text = talk.question_text(TOGETHER, question.question_key)
    shown_question = shown(TALK.question, title=Html(TALK.title), question=text)
    assert asked.texts == [shown_question]
    assert sam.last_message.text == shown_question

    first = await answer_question(alex, "Your hand on my back")
    assert first == [shown(TALK.saved_waiting, partner="Sam")]
    # "Alex has answered" waits for Sam's next check-in: the question was today's one extra
    # message Sam did not ask for (the ping budget, tests/test_ping_budget.py).
    assert sam.last_message.text == shown_question
    assert all("hand on my back" not in t for t in texts_to(harness, 2002))

    second = await answer_question(sam, "When you ask about my day")
    assert second == [
        shown(
            TALK.revealed,
            question=text,
            mine="When you ask about my day",
            partner="Alex",
            theirs="Your hand on my back",
        )
    ]
    assert alex.last_message.text == shown(
        TALK.revealed,
        question=text,
        mine="Your hand on my back",
        partner="Sam",
        theirs="When you ask about my day",
    )


async def test_a_question_is_not_offered_twice_within_180_days(harness: BotHarness) -> None:
    alex, sam = await couple(harness)
    harness.clock.now = AFTERNOON
    asked: list[tuple[datetime, str, int]] = []
    light = [q.id for q in TOGETHER.questions if q.depth == 1]
    for _ in range(len(light) + 1):
        await ask_talk(alex, "light")
        [question] = await harness.rows(TalkQuestion, TalkQuestion.revealed_at.is_(None))
        depth = TOGETHER.question(question.question_key).depth  # type: ignore[union-attr]
        asked.append((harness.clock.now, question.question_key, depth))
        await answer_question(alex, "mine")
        await answer_question(sam, "theirs")
        harness.clock.advance(days=1)

    keys = [key for _, key, _ in asked]
    # Light stays light, however many the two have answered.
    assert {depth for _, _, depth in asked} == {1}
    # Every light question of the bank is new until they are used up...
    assert len(set(keys[:-1])) == len(keys) - 1 == len(light)
    # ...then the least recently asked comes back.
    assert keys[-1] == keys[0]
    # After 180 days, the couple is back to fresh ones.
    harness.clock.advance(days=180)
    await ask_talk(alex, "light")
    [question] = await harness.rows(TalkQuestion, TalkQuestion.revealed_at.is_(None))
    assert question.question_key == keys[1]


async def test_the_weekly_question_comes_on_the_weekly_day_outside_quiet_hours(
    harness: BotHarness,
) -> None:
    alex, _ = await couple(harness)
    harness.clock.now = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)  # Sunday, Berlin 09:00
    await together_run(harness)
    assert await harness.rows(TalkQuestion) == []

    harness.clock.now = datetime(2026, 11, 29, 9, 30, tzinfo=UTC)  # Berlin 10:30, NY 04:30
    report = await together_run(harness)
    assert report.weekly_questions == 1
    [question] = await harness.rows(TalkQuestion)
    text = shown(
        TALK.question,
        title=Html(TALK.weekly_title),
        question=talk.question_text(TOGETHER, question.question_key),
    )
    assert alex.last_message.text == text
    assert text not in texts_to(harness, 2002)

    harness.clock.now = datetime(2026, 11, 29, 13, 0, tzinfo=UTC)  # NY 08:00
    await together_run(harness)
    await together_run(harness)
    assert texts_to(harness, 2002).count(text) == 1
    assert texts_to(harness, 1001).count(text) == 1
    assert len(await harness.rows(TalkQuestion)) == 1


async def test_forged_buttons_for_another_couples_question_show_nothing(
    harness: BotHarness,
) -> None:
    alex, _ = await couple(harness)
    kim = await onboard(harness, 3003, "Kim", "London", "20:00")
    harness.clock.now = AFTERNOON
    await ask_talk(alex)
    await answer_question(alex, "something private")
    [question] = await harness.rows(TalkQuestion)

    replies = await kim.press_data(f"tk:{question.id}:a")

    assert replies.toasts == [STALE]
    assert (await user_row(harness, 3003)).pending_input is None
    assert "something private" not in replies.text


async def test_a_guided_talk_goes_step_by_step(harness: BotHarness) -> None:
    alex, sam = await couple(harness)
    harness.clock.now = AFTERNOON
    await alex.send("/talk")
    harness.clock.advance(days=1)  # Sam had the question today: a new step waits a day
    await alex.press(TALK.guided_button)
    step_one = shown(TALK.question, title=Html(TALK.guided_title), question=TALK.guided_steps[0])
    assert alex.last_message.text == step_one
    assert sam.last_message.text == step_one
    await alex.press(TALK.guided_button)  # a second tap: the open step again, not a new talk
    assert len(await harness.rows(TalkQuestion, TalkQuestion.trigger == "guided")) == 1
    assert sam.last_message.text == step_one

    await answer_question(alex, "Busy, and I felt alone with it")
    await answer_question(sam, "Busy too, I didn't notice")

    step_two = shown(TALK.question, title=Html(TALK.guided_title), question=TALK.guided_steps[1])
    revealed = shown(
        TALK.revealed,
        question=TALK.guided_steps[0],
        mine="Busy, and I felt alone with it",
        partner="Sam",
        theirs="Busy too, I didn't notice",
    )
    # Both get both answers; once they reached both, the next step: Alex's added to them.
    assert alex.last_message.text == f"{revealed}\n\n{step_two}"
    assert sam.last_message.text == step_two


async def test_a_guided_step_whose_answers_did_not_reach_both_does_not_move_on(
    harness: BotHarness,
) -> None:
    """Sam's answer reveals step one, but the copy to Alex does not go: the talk
    stays at step one (no step two for either), and /talk shows the answers again; once
    they reached both, step two follows."""
    alex, sam = await couple(harness)
    harness.clock.now = AFTERNOON
    await alex.send("/talk")
    await alex.press(TALK.guided_button)
    await answer_question(alex, "Busy, and I felt alone with it")
    await sam.press(TALK.answer_button)
    harness.api.blocked_chats.add(1001)  # Sam's copy goes; Alex's is refused

    await sam.send("Busy too, I didn't notice")

    harness.api.blocked_chats.discard(1001)
    [step] = await harness.rows(TalkQuestion, TalkQuestion.trigger == "guided")
    assert step.question_key == "guided:1"
    assert step.revealed_at is None
    step_two = shown(TALK.question, title=Html(TALK.guided_title), question=TALK.guided_steps[1])
    assert all(step_two not in m.text for m in [*alex.chat, *sam.chat])

    await alex.send("/talk")  # both answers again, to both; now they arrive

    steps = await harness.rows(TalkQuestion, TalkQuestion.trigger == "guided")
    assert [s.question_key for s in steps] == ["guided:1", "guided:2"]
    assert alex.last_message.text == step_two
    assert sam.last_message.text.endswith(f"\n\n{step_two}")  # added to the answers


# --- export and delete ----------------------------------------------------------------------------


async def export_of(person: TelegramUser) -> dict[str, Any]:
    await person.send("/export")
    [document] = [m for m in person.chat if m.kind == "document"][-1:]
    assert document.file is not None
    return json.loads(document.file[1])


async def test_export_shows_each_their_own_and_delete_erases_it(harness: BotHarness) -> None:
    alex, sam = await couple(harness)
    harness.clock.now = datetime(2026, 11, 27, 19, 0, tzinfo=UTC)
    await opt_in(harness, alex, sam)
    await alex.send("/thanks for the soup")
    await ask_talk(alex)
    await answer_question(alex, "my private answer")
    await alex.send("/stress")
    await alex.press(TEXTS.moments.stress_mine_button)
    await alex.press(TEXTS.moments.outcomes["stress_mine"]["no"])
    await sam_answers_his_day(harness, sam)
    await together_run(harness)
    # Held for Sam's next check-in (Sam had the question today), and counted as received.
    assert tips_to(harness, 2002) == []

    alex_data, sam_data = await export_of(alex), await export_of(sam)

    assert [a["text"] for a in alex_data["appreciations"]] == ["for the soup"]
    assert [a["direction"] for a in sam_data["appreciations"]] == ["received"]
    [alex_question] = alex_data["questions_to_talk_about"]
    assert alex_question["my_answer"] == "my private answer"
    [sam_question] = sam_data["questions_to_talk_about"]
    # Not revealed yet: Sam's export does not hold Alex's answer.
    assert sam_question["partner_answer"] is None
    assert "my private answer" not in json.dumps(sam_data)
    assert len(sam_data["safe_haven_tips_received"]) == 1
    # The stressed partner's export never hints at the tip about them: no tip, and their
    # own tip setting (both opted in) reads as their partner's does.
    [tip] = sam_data["safe_haven_tips_received"]
    assert "safe_haven_tips_received" not in alex_data
    assert tip["text"] not in json.dumps(alex_data)
    assert alex_data["profile"]["safe_haven_tips"] == sam_data["profile"]["safe_haven_tips"]

    await sam.send("/delete")
    await sam.press(TEXTS.privacy.delete_confirm_button)

    assert await harness.rows(Appreciation) == []
    assert await harness.rows(SafeHavenTip) == []
    sam_rows = await harness.rows(TalkAnswer, TalkAnswer.body.is_(None))
    assert sam_rows == []  # Sam's (unanswered) copy went with Sam
    assert [a.body for a in await harness.rows(TalkAnswer)] == ["my private answer"]


async def test_appreciations_flow_again_once_turned_back_on(harness: BotHarness) -> None:
    alex, sam = await couple(harness)
    harness.clock.now = AFTERNOON
    async with harness.transaction() as session:
        await session.execute(
            update(User).where(User.telegram_id == 2002).values(appreciations_muted=True)
        )
    await sam.send("/together")
    await sam.press(TOGETHER.together.appreciations_button.format(state=TOGETHER.together.on))

    replies = await alex.send("/thanks welcome back")

    assert replies.texts == [shown(THANKS.sent, partner="Sam")]


async def test_a_database_failing_right_after_a_send_to_a_blocked_partner_loses_nothing(
    harness: BotHarness,
) -> None:
    """The send to Sam is refused (403); every statement after it fails (the database went
    away just then): Alex is still told Sam could not be reached, not "internal error", and
    what the turn saved stands."""
    alex, _ = await couple(harness)
    harness.clock.now = AFTERNOON
    harness.api.blocked_chats.add(2002)
    assert harness.app is not None
    engine = harness.app.bot_data.services.engine.sync_engine
    calls_before = len(harness.api.calls)

    def away_after_the_send(*_: object) -> None:
        if any(call.chat_id == 2002 for call in harness.api.calls[calls_before:]):
            raise OperationalError("UPDATE", {}, sqlite3.OperationalError("database is locked"))

    event.listen(engine, "before_cursor_execute", away_after_the_send)
    try:
        replies = await alex.send("/thanks for listening")
    finally:
        event.remove(engine, "before_cursor_execute", away_after_the_send)

    assert replies.texts == [shown(THANKS.unreachable, partner="Sam")]
    [appreciation] = await harness.rows(Appreciation)
    assert appreciation.body == "for listening"
    # Once the database is back, the next send finds out Sam is away, and it is recorded.
    assert (await alex.send("/thanks again")).texts == [shown(THANKS.unreachable, partner="Sam")]
    assert not (await user_row(harness, 2002)).active
