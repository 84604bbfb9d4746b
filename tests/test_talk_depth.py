"""/talk for a couple in a hard patch, through the real Application: light or deep on asking
(light stays available however many deep questions were answered), the weekly question
alternating, "not tonight" without a trace to the partner, and questions about growing up
that wait for "share" or "keep it to myself" before anything is revealed.

Alex lives in Berlin, Sam in New York (see tests/test_together.py).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bot.content import Html
from bot.services import talk
from bot.storage import talk as talk_storage
from bot.storage.models import Couple, TalkQuestion, User
from tests.harness import TEXTS, BotHarness, TelegramUser, shown
from tests.journeys import ask_talk
from tests.telegram_fake import visible_text
from tests.test_private_drafts import export_of
from tests.test_together import AFTERNOON, TALK, TOGETHER, couple, texts_to, together_run

DRAFTS = TOGETHER.drafts


def depth_of(question: TalkQuestion) -> int:
    found = TOGETHER.question(question.question_key)
    assert found is not None
    return found.depth


async def open_question(harness: BotHarness) -> TalkQuestion:
    [question] = await harness.rows(
        TalkQuestion, TalkQuestion.revealed_at.is_(None), TalkQuestion.trigger != "weekly"
    )
    return question


async def answer(person: TelegramUser, text: str, partner: str) -> list[str]:
    """Answer the newest question; one about growing up is then shared with the partner."""
    await person.press(TALK.answer_button)
    replies = await person.send(text)
    share = TALK.childhood_share_button.format(partner=partner)
    if any(share == b["text"] for b in person.last_message.buttons):
        replies = await person.press(share)
    return replies.texts


def calls_to(harness: BotHarness, chat_id: int) -> list[str]:
    """Everything the bot did in a chat (messages, edits, buttons), as the person sees it."""
    return [
        f"{call.method}:{visible_text(call.text or '', call.params.get('parse_mode'))}"
        for call in harness.api.calls
        if call.chat_id == chat_id
    ]


# --- light or deep ------------------------------------------------------------------------------


async def test_talk_offers_light_and_deep_and_honours_the_choice(harness: BotHarness) -> None:
    alex, sam = await couple(harness)
    harness.clock.now = AFTERNOON

    offer = await alex.send("/talk")
    assert offer.texts == [shown(TALK.choose)]
    labels = [b["text"] for b in alex.last_message.buttons]
    assert TALK.light_button in labels
    assert TALK.deep_button in labels
    assert await harness.rows(TalkQuestion) == []  # nothing asked before a choice

    asked = await alex.press(TALK.deep_button)
    question = await open_question(harness)
    assert depth_of(question) >= 2
    text = talk.question_text(TOGETHER, question.question_key)
    assert asked.texts == [shown(TALK.question, title=Html(TALK.title), question=text)]
    assert sam.last_message.text == asked.texts[0]
    await answer(alex, "mine", "Sam")
    await answer(sam, "theirs", "Alex")

    await ask_talk(sam, "light")
    assert depth_of(await open_question(harness)) == 1


async def test_after_fifteen_deep_answers_light_questions_still_come(harness: BotHarness) -> None:
    alex, sam = await couple(harness)
    harness.clock.now = AFTERNOON
    depths = []
    for _ in range(15):
        await ask_talk(alex, "deep")
        question = await open_question(harness)
        depths.append(depth_of(question))
        await answer(alex, "mine", "Sam")
        await answer(sam, "theirs", "Alex")
        harness.clock.advance(days=1)
    assert min(depths) == 2
    assert max(depths) == 3
    assert len(await harness.rows(TalkQuestion, TalkQuestion.revealed_at.is_not(None))) == 15

    for _ in range(3):
        await ask_talk(sam, "light")
        assert depth_of(await open_question(harness)) == 1
        await answer(alex, "mine", "Sam")
        await answer(sam, "theirs", "Alex")


async def test_the_weekly_question_alternates_light_and_deep(harness: BotHarness) -> None:
    await couple(harness)
    sunday = datetime(2026, 11, 29, 13, 0, tzinfo=UTC)  # Berlin 14:00, New York 08:00
    for week in range(4):
        harness.clock.now = sunday + timedelta(days=7 * week)
        await together_run(harness)
    weekly = await harness.rows(TalkQuestion, TalkQuestion.trigger == "weekly")
    depths = [depth_of(q) for q in sorted(weekly, key=lambda q: q.asked_at)]
    assert len(depths) == 4
    assert depths[0] == depths[2] == 1
    assert depths[1] >= 2
    assert depths[3] >= 2


# --- not tonight --------------------------------------------------------------------------------


async def test_not_tonight_leaves_no_trace_for_the_partner(harness: BotHarness) -> None:
    alex, sam = await couple(harness)
    harness.clock.now = AFTERNOON
    await ask_talk(alex, "light")
    skipped = await open_question(harness)
    await answer(sam, "Sam's answer", "Alex")
    sam_view_before = (await sam.send("/talk")).texts
    sam_seen = calls_to(harness, sam.user_id)

    replies = await alex.press(TALK.not_tonight_button)

    # Sam answered: the question comes back with Alex's next /talk, and the reply says so.
    assert replies.texts[-1] == shown(TALK.not_tonight_partner_done, partner="Sam")
    assert calls_to(harness, sam.user_id) == sam_seen  # nothing at all reached Sam
    # Sam's /talk is exactly what it was: still waiting for Alex, nothing named.
    assert (await sam.send("/talk")).texts == sam_view_before
    assert all("Sam's answer" not in text for text in texts_to(harness, alex.user_id))
    # Alex's /talk offers the question set aside again (Sam's answer unseen till Alex
    # answers); "a different question" leads to light or deep, and a new question.
    [again] = (await alex.send("/talk")).texts
    assert again.startswith(shown(TALK.set_aside_again, partner="Sam"))
    assert "Sam's answer" not in again
    assert (await alex.press(TALK.new_question_button)).texts == [shown(TALK.choose)]
    await alex.press(TALK.light_button)
    newest = max(await harness.rows(TalkQuestion), key=lambda q: q.id)
    assert newest.question_key != skipped.question_key


def test_a_question_set_aside_comes_back_later() -> None:
    now = AFTERNOON
    light = [q for q in TOGETHER.questions if q.depth == 1]
    set_aside = light[0].id
    # Every other light question was asked recently; the one set aside is a while ago.
    history = {q.id: now - timedelta(days=2) for q in light[1:]}
    soon = talk.with_set_aside(history, {set_aside: now - timedelta(days=3)})
    later = talk.with_set_aside(history, {set_aside: now - talk.SET_ASIDE_COMES_BACK})
    fresh = {q.id: now - timedelta(days=200) for q in light[5:]}
    assert talk.choose_question(TOGETHER.questions, (1,), {**soon, **fresh}, now).id != set_aside
    assert talk.choose_question(TOGETHER.questions, (1,), later, now).id == set_aside


async def test_answering_after_the_partner_does_not_say_they_have_yet_to_answer(
    harness: BotHarness,
) -> None:
    alex, sam = await couple(harness)
    harness.clock.now = AFTERNOON
    await ask_talk(alex, "light")
    await answer(sam, "theirs", "Alex")

    prompt = await alex.press(TALK.answer_button)

    assert prompt.texts == [shown(TALK.ask_answer_partner_done, partner="Sam")]
    assert shown(TALK.ask_answer, partner="Sam") not in prompt.texts


# --- questions about growing up ----------------------------------------------------------------


async def childhood_question(harness: BotHarness) -> TalkQuestion:
    """A question about growing up asked of both (as the weekly job or /talk would)."""
    [couple_row] = await harness.rows(Couple)
    people = sorted(await harness.rows(User), key=lambda user: user.telegram_id)
    alex_id, sam_id = (person.id for person in people)
    async with harness.transaction() as session:
        question = await talk_storage.add_question(
            session,
            couple_id=couple_row.id,
            key="depend-2b",
            trigger="talk",
            now=AFTERNOON,
            members=[alex_id, sam_id],
            sent_to=[alex_id, sam_id],
        )
    assert question is not None
    return question


async def test_a_kept_childhood_answer_reveals_nothing_and_the_partner_sees_not_tonight(
    harness: BotHarness,
) -> None:
    alex, sam = await couple(harness)
    harness.clock.now = AFTERNOON
    question = await childhood_question(harness)
    text = talk.question_text(TOGETHER, question.question_key)

    await sam.press_data(f"tk:{question.id}:a")
    choice = await sam.send("My grandmother's kitchen")
    assert choice.texts[-1] == shown(TALK.childhood_choice, partner="Alex")
    await sam.press(TALK.childhood_share_button.format(partner="Alex"))
    assert sam.last_message.text == shown(TALK.saved_waiting, partner="Alex")

    prompt = await alex.press_data(f"tk:{question.id}:a")
    assert shown(TALK.childhood_ask, partner="Sam") in prompt.texts[-1]
    await alex.send("Something I never told anyone")
    sam_before = calls_to(harness, sam.user_id)
    kept = await alex.press(TALK.childhood_keep_button)

    assert kept.texts[-1] == shown(TALK.childhood_kept, partner="Sam")
    # Sam reads "not tonight", and neither answer reached the other.
    new_for_sam = calls_to(harness, sam.user_id)[len(sam_before) :]
    assert new_for_sam == [f"sendMessage:{shown(TALK.passed, partner='Alex', question=text)}"]
    assert all("never told anyone" not in t for t in texts_to(harness, sam.user_id))
    assert all("grandmother" not in t for t in texts_to(harness, alex.user_id))
    assert await harness.rows(TalkQuestion, TalkQuestion.revealed_at.is_not(None)) == []


async def test_a_childhood_answer_waits_for_share_then_reveals_as_usual(
    harness: BotHarness,
) -> None:
    alex, sam = await couple(harness)
    harness.clock.now = AFTERNOON
    question = await childhood_question(harness)
    text = talk.question_text(TOGETHER, question.question_key)

    await alex.press_data(f"tk:{question.id}:a")
    await alex.send("To manage on my own")
    await sam.press_data(f"tk:{question.id}:a")
    before_share = calls_to(harness, alex.user_id)
    await sam.send("That asking was fine")
    # Nothing is revealed before Sam chooses.
    assert calls_to(harness, alex.user_id) == before_share
    assert not any("To manage on my own" in t for t in texts_to(harness, sam.user_id))

    await alex.press(TALK.childhood_share_button.format(partner="Sam"))
    assert alex.last_message.text == shown(TALK.saved_waiting, partner="Sam")
    await sam.press(TALK.childhood_share_button.format(partner="Alex"))

    assert sam.last_message.text == shown(
        TALK.revealed,
        question=text,
        mine="That asking was fine",
        partner="Alex",
        theirs="To manage on my own",
    )
    assert alex.last_message.text == shown(
        TALK.revealed,
        question=text,
        mine="To manage on my own",
        partner="Sam",
        theirs="That asking was fine",
    )


# --- in /journal and /export ----------------------------------------------------------------------


async def test_a_childhood_answer_shows_in_the_journal_as_waiting_then_as_kept(
    harness: BotHarness,
) -> None:
    """An answer about growing up waits for "share" or "keep it to myself": /journal names it
    so (not a "private draft", which is words kept back for reading like a crisis), and, once
    kept, as kept to oneself; its words stay one tap away."""
    alex, _sam = await couple(harness)
    harness.clock.now = AFTERNOON
    question = await childhood_question(harness)
    await alex.press_data(f"tk:{question.id}:a")
    await alex.send("The smell of my father's workshop")
    journal = TEXTS.journal

    waiting = (await alex.send("/journal")).text
    assert journal.growing_up_waiting_what in waiting
    assert journal.draft_answer_what not in waiting
    assert "workshop" not in waiting
    opened = await alex.press(shown(journal.open_button, number=1))
    assert journal.growing_up_waiting_what in opened.texts[-1]
    assert "workshop" in opened.texts[-1]

    await alex.press(TALK.childhood_keep_button)
    kept = (await alex.send("/journal")).text
    assert journal.growing_up_kept_what in kept
    assert journal.draft_answer_what not in kept


async def test_the_export_holds_not_tonight_and_no_answer_and_nothing_unrevealed(
    harness: BotHarness,
) -> None:
    """/export holds what its owner chose about their own copy of a question ("not tonight",
    an answer kept to themself), and nothing of the partner's they were not shown."""
    alex, sam = await couple(harness)
    harness.clock.now = AFTERNOON
    await ask_talk(alex, "light")
    await answer(sam, "Sam's unrevealed answer", "Alex")
    harness.clock.now = AFTERNOON + timedelta(minutes=5)
    await alex.press(TALK.not_tonight_button)
    question = await childhood_question(harness)
    await alex.press_data(f"tk:{question.id}:a")
    await alex.send("Something of mine")
    await alex.press(TALK.childhood_keep_button)

    data = await export_of(alex)
    set_aside, kept = data["questions_to_talk_about"]
    assert set_aside["not_tonight_at"] == (AFTERNOON + timedelta(minutes=5)).isoformat()
    assert set_aside["answer_kept_private_at"] is None
    assert set_aside["partner_answer"] is None
    assert kept["answer_kept_private_at"] is not None
    assert kept["not_tonight_at"] is None
    assert "Sam's unrevealed answer" not in json.dumps(data)
    # Sam's own export says nothing of Alex's "not tonight".
    sams = await export_of(sam)
    assert all(q["not_tonight_at"] is None for q in sams["questions_to_talk_about"])
