"""/talk "not tonight" after the partner had answered (issue 25): the question set aside stays
the partner's open question, with their answer kept, and comes back first in the other's
/talk; a new question the other picks instead reaches them only once the old one is answered
or expires, and nothing — not the new question, not "they answered" — hints at the skip
meanwhile. Through the real Application and the fake Bot
API, on SQLite and PostgreSQL. Alex lives in Berlin, Sam in New York (tests/test_together.py).
"""

from __future__ import annotations

from datetime import timedelta

from bot.content import Html
from bot.services import talk
from bot.services.ping_budget import Kind
from bot.storage.models import HeldPing, TalkQuestion
from tests.harness import BotHarness, shown
from tests.journeys import ask_talk
from tests.test_talk_depth import answer, calls_to
from tests.test_together import AFTERNOON, TALK, TOGETHER, couple, texts_to, together_run


async def test_a_new_question_waits_while_the_partner_waits_on_the_one_set_aside(
    harness: BotHarness,
) -> None:
    alex, sam = await couple(harness)
    harness.clock.now = AFTERNOON
    await together_run(harness)  # the tips offer, which comes with the pairing
    await ask_talk(alex, "light")
    await answer(sam, "Sam's answer", "Alex")
    sam_view = (await sam.send("/talk")).texts
    sam_seen = calls_to(harness, sam.user_id)

    harness.clock.now = AFTERNOON + timedelta(minutes=5)
    await alex.press(TALK.not_tonight_button)
    await alex.send("/talk")  # the question set aside, offered again; Alex picks another
    await alex.press(TALK.new_question_button)
    await alex.press(TALK.light_button)  # a new question for Alex
    first, second = sorted(await harness.rows(TalkQuestion), key=lambda q: q.id)
    new_text = TOGETHER.question(second.question_key)
    assert new_text is not None
    await answer(alex, "Alex's answer to the new one", "Sam")
    await together_run(harness)  # the job sends what is due: nothing for Sam yet

    assert calls_to(harness, sam.user_id) == sam_seen  # no question, no "Alex answered"
    assert (await sam.send("/talk")).texts == sam_view  # still the one Sam answered
    sam_seen = calls_to(harness, sam.user_id)

    # A week on, the question set aside has expired: the new one reaches Sam, as any would.
    harness.clock.now = first.asked_at + talk.OPEN_FOR + timedelta(hours=1)
    await together_run(harness)
    arrived = calls_to(harness, sam.user_id)[len(sam_seen) :]
    assert len(arrived) == 1
    assert new_text.text.split("{")[0][:30] in arrived[0]
    assert all("Sam's answer" not in text for text in texts_to(harness, alex.user_id))


async def test_a_guided_talk_started_instead_waits_while_the_partner_waits_too(
    harness: BotHarness,
) -> None:
    """The guided talk is a new question like any other: Alex sets aside the question Sam
    answered and taps "a day we saw differently" (on an older message that still has it):
    Alex sees the guided step, and Sam gets nothing — not the step, not "Alex answered" —
    until the question set aside is answered; then the step reaches him as any would."""
    alex, sam = await couple(harness)
    harness.clock.now = AFTERNOON
    await together_run(harness)  # the tips offer, which comes with the pairing
    await ask_talk(alex, "light")
    await answer(sam, "Sam's answer", "Alex")
    sam_seen = calls_to(harness, sam.user_id)

    harness.clock.now = AFTERNOON + timedelta(days=1)  # a new day: Sam's extra slot is free
    await alex.send("/talk")  # the open question again, with its buttons
    await alex.press(TALK.not_tonight_button)
    again = await alex.send("/talk")  # the question set aside, offered again
    assert again.text.startswith(shown(TALK.set_aside_again, partner="Sam"))
    labels = [b["text"] for b in alex.last_message.buttons]
    assert TALK.guided_button not in labels  # answer it, or a different question: no third way
    assert TALK.new_question_button in labels

    await alex.press(TALK.guided_button)  # the button of Alex's first copy of the question
    step_one = shown(TALK.question, title=Html(TALK.guided_title), question=TALK.guided_steps[0])
    assert alex.last_message.text == step_one
    await answer(alex, "Alex's guided answer", "Sam")
    await together_run(harness)

    assert calls_to(harness, sam.user_id) == sam_seen  # nothing at all, not even held
    assert await harness.rows(HeldPing) == []

    await alex.send("/talk")  # the question set aside comes first; its answer reveals both
    await answer(alex, "Alex's answer", "Sam")
    await together_run(harness)

    arrived = calls_to(harness, sam.user_id)[len(sam_seen) :]
    assert any("Alex's answer" in text for text in arrived)  # the reveal
    assert any(TALK.guided_steps[0] in text for text in arrived)  # then the step, once
    assert sum(TALK.guided_steps[0] in text for text in arrived) == 1


async def test_a_guided_talks_next_step_waits_too(harness: BotHarness) -> None:
    """A guided talk begun before the skip goes on as the two answer it, but its next step,
    started by Alex's answer, reaches Sam only once the question Alex set aside is answered
    (the step is new for Sam, as the job would hold it)."""
    alex, sam = await couple(harness)
    harness.clock.now = AFTERNOON
    await together_run(harness)
    await ask_talk(alex, "light")
    question, _ = alex.find_button(TALK.not_tonight_button)
    await answer(sam, "Sam's answer", "Alex")
    harness.clock.now = AFTERNOON + timedelta(days=1)
    await alex.press(TALK.guided_button)  # step one reaches both: nothing was set aside yet
    step_one = shown(TALK.question, title=Html(TALK.guided_title), question=TALK.guided_steps[0])
    assert sam.last_message.text == step_one
    await alex.press(TALK.not_tonight_button, message=question)
    await sam.press(TALK.answer_button)
    await sam.send("Busy too")
    sam_seen = calls_to(harness, sam.user_id)

    await answer(alex, "Busy, and alone with it", "Sam")  # reveals step one to both
    await together_run(harness)

    step_two = TALK.guided_steps[1]
    assert step_two in alex.last_message.text
    arrived = calls_to(harness, sam.user_id)[len(sam_seen) :]
    assert any("Busy, and alone with it" in text for text in arrived)
    assert not any(step_two in text for text in arrived)

    await alex.send("/talk")  # the question set aside; its answer reveals both
    await answer(alex, "Alex's answer", "Sam")
    await together_run(harness)
    arrived = calls_to(harness, sam.user_id)[len(sam_seen) :]
    assert sum(step_two in text for text in arrived) == 1


async def test_without_an_answer_from_the_partner_a_new_question_goes_at_once(
    harness: BotHarness,
) -> None:
    """Nothing waits when the partner had not answered: "not tonight" then a new question
    reaches both as before."""
    alex, _sam = await couple(harness)
    harness.clock.now = AFTERNOON
    await ask_talk(alex, "light")
    await alex.press(TALK.not_tonight_button)
    await alex.send("/talk")
    await alex.press(TALK.light_button)
    newest = max(await harness.rows(TalkQuestion), key=lambda q: q.id)
    question = TOGETHER.question(newest.question_key)
    assert question is not None
    # Sam's one extra message of the day was the first question: this one is held for his
    # next check-in, as any would be.
    [held] = await harness.rows(HeldPing)
    assert held.kind == Kind.QUESTION
    assert question.text.split("{")[0][:30] in held.text


async def test_the_question_set_aside_comes_back_first_and_its_answer_reveals_both(
    harness: BotHarness,
) -> None:
    """ "Not tonight" after the partner answered is not a dead end: Alex's next /talk offers
    that question again (Sam's answer still hidden), with a way to a different one; Alex's
    answer reveals both, as always, and Sam is told nothing before that."""
    alex, sam = await couple(harness)
    harness.clock.now = AFTERNOON
    await ask_talk(alex, "light")
    await answer(sam, "Sam's answer", "Alex")
    [question] = await harness.rows(TalkQuestion)
    text = talk.question_text(TOGETHER, question.question_key)
    sam_seen = calls_to(harness, sam.user_id)

    harness.clock.now = AFTERNOON + timedelta(hours=3)
    await alex.press(TALK.not_tonight_button)
    harness.clock.now = AFTERNOON + timedelta(days=2)
    again = await alex.send("/talk")

    [shown_again] = again.texts
    assert shown_again.startswith(shown(TALK.set_aside_again, partner="Sam"))
    assert text in shown_again
    assert "Sam's answer" not in shown_again
    labels = [b["text"] for b in alex.last_message.buttons]
    assert TALK.answer_button in labels
    assert TALK.new_question_button in labels
    # "A different question" leads to light or deep, and asks nothing yet.
    assert (await alex.press(TALK.new_question_button)).texts == [shown(TALK.choose)]
    assert len(await harness.rows(TalkQuestion)) == 1
    assert calls_to(harness, sam.user_id) == sam_seen  # nothing reached Sam meanwhile

    await alex.send("/talk")
    await answer(alex, "Alex's answer", "Sam")
    revealed = shown(
        TALK.revealed, question=text, mine="Alex's answer", partner="Sam", theirs="Sam's answer"
    )
    assert alex.last_message.text == revealed
    assert sam.last_message.text == shown(
        TALK.revealed, question=text, mine="Sam's answer", partner="Alex", theirs="Alex's answer"
    )
    [question] = await harness.rows(TalkQuestion)
    assert question.revealed_at is not None
    # Answered, it is not offered again: /talk offers light or deep.
    assert (await alex.send("/talk")).texts == [shown(TALK.choose)]


async def test_not_tonight_says_truly_whether_the_question_comes_back(
    harness: BotHarness,
) -> None:
    """After the partner answered, the question set aside comes back with the next /talk: the
    reply says so, not "it may come back another time". Before they answered, it says that
    (a new question comes with /talk)."""
    alex, sam = await couple(harness)
    harness.clock.now = AFTERNOON
    await ask_talk(alex, "light")
    await answer(sam, "Sam's answer", "Alex")

    answered = await alex.press(TALK.not_tonight_button)

    assert answered.texts == [shown(TALK.not_tonight_partner_done, partner="Sam")]
    assert "another time" not in answered.text
    assert (await alex.send("/talk")).text.startswith(shown(TALK.set_aside_again, partner="Sam"))

    await alex.press(TALK.new_question_button)
    await alex.press(TALK.light_button)  # a new question, which Sam has not answered
    unanswered = await alex.press(TALK.not_tonight_button)

    assert unanswered.texts == [shown(TALK.not_tonight, partner="Sam")]
