"""Nothing someone meant to send is thrown away: a ``/thanks`` or a ``/talk`` answer that reads
like a crisis gets the help first and is kept as a private draft, with "Keep it private" and
"Send it anyway"; only a second, confirmed tap sends it. Through the real Application and the
fake Bot API, on SQLite and PostgreSQL (the ``harness`` fixture runs each test on both).

Alex lives in Berlin, Sam in New York; 15:00 UTC is afternoon for both (no quiet hours).
"""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime
from typing import Any

from bot.services import appreciations, talk
from bot.storage.models import Appreciation, PrivateDraft, TalkAnswer, TalkQuestion
from tests.harness import TEXTS, BotHarness, TelegramUser, shipped_content, shown
from tests.journeys import HELP, STALE, ask_talk, help_in, onboard, pair
from tests.telegram_fake import BotMessage, visible_text

TOGETHER = shipped_content().together
THANKS, TALK, DRAFTS = TOGETHER.thanks, TOGETHER.talk, TOGETHER.drafts
AFTERNOON = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
# A disclosure inside a thank-you: it matches today's phrases, and surely any later ones.
DISCLOSURE = "thanks for the flowers. but some nights I want to kill myself"


async def couple(harness: BotHarness) -> tuple[TelegramUser, TelegramUser]:
    alex = await onboard(harness, 1001, "Alex", "Berlin", "21:00")
    sam = await onboard(harness, 2002, "Sam", "New York", "20:00")
    await pair(alex, sam)
    harness.clock.now = AFTERNOON
    return alex, sam


def seen_by(harness: BotHarness, chat_id: int) -> list[str]:
    """Every text that reached ``chat_id`` (sent, or edited in), as shown."""
    return [
        visible_text(call.text, call.params.get("parse_mode"))
        for call in harness.api.calls
        if call.chat_id == chat_id and call.text is not None and call.status == 200
    ]


def received_by_sam(harness: BotHarness, text: str) -> list[str]:
    return [
        t for t in seen_by(harness, 2002) if t == shown(THANKS.received, partner="Alex", text=text)
    ]


def reads_like_crisis(harness: BotHarness, text: str) -> bool:
    assert harness.app is not None
    return harness.app.bot_data.services.crisis.matches(text)


def labels(message: BotMessage) -> list[str]:
    return [button["text"] for button in message.buttons]


async def export_of(person: TelegramUser) -> dict[str, Any]:
    await person.send("/export")
    [document] = [m for m in person.chat if m.kind == "document"][-1:]
    assert document.file is not None
    return json.loads(document.file[1])


async def test_a_loving_thanks_reaches_the_partner(harness: BotHarness) -> None:
    alex, _sam = await couple(harness)

    replies = await alex.send("/thanks I can't imagine my life without you")

    assert replies.texts == [shown(THANKS.sent, partner="Sam")]
    assert received_by_sam(harness, "I can't imagine my life without you")


async def test_i_dont_want_to_live_without_you_reaches_the_partner_exactly_once(
    harness: BotHarness,
) -> None:
    """Today's phrases read it as a crisis: it takes the choice and the second tap, and then
    arrives. (Should the phrases learn it is loving, it simply arrives at once.)"""
    alex, _sam = await couple(harness)
    loving = "I don't want to live without you <3 & thank you"
    await alex.send("/thanks")

    replies = await alex.send(loving)

    if reads_like_crisis(harness, loving):
        assert replies.texts == [f"{HELP}\n\n{shown(DRAFTS.kept_appreciation, partner='Sam')}"]
        assert labels(alex.last_message) == [DRAFTS.keep_button, DRAFTS.send_button]
        assert received_by_sam(harness, loving) == []
        asked = await alex.press(DRAFTS.send_button)
        # The exact words, escaped: shown as written, never read as markup.
        assert asked.texts == [shown(DRAFTS.confirm_appreciation, partner="Sam", text=loving)]
        assert html.escape(loving) in alex.last_message.html
        assert labels(alex.last_message) == [DRAFTS.confirm_button, DRAFTS.keep_button]
        assert received_by_sam(harness, loving) == []
        await alex.press(DRAFTS.confirm_button)
    assert len(received_by_sam(harness, loving)) == 1
    assert alex.last_message.text == shown(THANKS.sent, partner="Sam")
    [appreciation] = await harness.rows(Appreciation)
    assert appreciation.body == loving


async def test_a_disclosure_is_sent_only_after_the_second_tap_and_only_once(
    harness: BotHarness,
) -> None:
    alex, sam = await couple(harness)
    before = len(seen_by(harness, 2002))
    await alex.send("/thanks")

    replies = await alex.send(DISCLOSURE)

    # Help first, in the same message; then the choice, "Keep it private" first.
    assert replies.texts == [f"{HELP}\n\n{shown(DRAFTS.kept_appreciation, partner='Sam')}"]
    choice = alex.last_message
    assert labels(choice) == [DRAFTS.keep_button, DRAFTS.send_button]
    [draft] = await harness.rows(PrivateDraft)
    assert (draft.body, draft.state, draft.kind) == (DISCLOSURE, "pending", "appreciation")

    asked = await alex.press(DRAFTS.send_button, message=choice)
    assert asked.texts == [shown(DRAFTS.confirm_appreciation, partner="Sam", text=DISCLOSURE)]
    # A second "send it anyway" only asks again.
    await alex.press(DRAFTS.send_button, message=choice)
    assert len(seen_by(harness, 2002)) == before
    assert await harness.rows(Appreciation) == []

    sent = await alex.press(DRAFTS.confirm_button)

    assert sent.texts == [shown(THANKS.sent, partner="Sam")]
    assert received_by_sam(harness, DISCLOSURE) == [
        shown(THANKS.received, partner="Alex", text=DISCLOSURE)
    ]
    # Repeated: on the confirmation, on the first choice, and an older confirmation.
    confirmations = [m for m in alex.chat if DRAFTS.confirm_button in labels(m)]
    again = await alex.press_data(f"dr:{draft.id}:y", message=confirmations[0])
    assert again.toasts == [DRAFTS.already_sent]
    kept = await alex.press(DRAFTS.keep_button, message=choice)
    assert kept.toasts == [DRAFTS.already_sent]
    assert len(received_by_sam(harness, DISCLOSURE)) == 1
    assert len(await harness.rows(Appreciation)) == 1
    [draft] = await harness.rows(PrivateDraft)
    assert draft.state == "sent"
    # Sent, it is an appreciation like any other: Sam can thank Alex for it.
    await sam.press(THANKS.thank_button)
    assert alex.last_message.text == shown(THANKS.thanked_you, partner="Sam", text=DISCLOSURE)


async def test_kept_private_nothing_is_sent_it_is_in_journal_and_export_and_gone_after_delete(
    harness: BotHarness,
) -> None:
    alex, sam = await couple(harness)
    before = len(seen_by(harness, 2002))
    await alex.send("/thanks")
    await alex.send(DISCLOSURE)
    choice = alex.last_message

    kept = await alex.press(DRAFTS.keep_button, message=choice)

    assert kept.texts == [shown(DRAFTS.kept_private, partner="Sam")]
    assert choice.buttons == []  # the help stays, the choice is made
    assert HELP in choice.text
    stale = await alex.press_data(f"dr:{(await harness.rows(PrivateDraft))[0].id}:s")
    assert stale.toasts == [DRAFTS.already_private]
    confirm = await alex.press_data(f"dr:{(await harness.rows(PrivateDraft))[0].id}:y")
    assert confirm.toasts == [DRAFTS.already_private]
    assert len(seen_by(harness, 2002)) == before
    assert await harness.rows(Appreciation) == []

    journal = await alex.send("/journal")
    assert TEXTS.journal.draft_appreciation_what in journal.text
    # Words that read like a crisis are never on a page someone may glance at: one tap away.
    assert DISCLOSURE not in journal.text
    page = alex.last_message
    opened = await alex.press(shown(TEXTS.journal.open_button, number=1), message=page)
    assert DISCLOSURE in opened.text
    assert DISCLOSURE not in (await sam.send("/journal")).text
    forged = await sam.press_data(f"journal:r:{(await harness.rows(PrivateDraft))[0].id}:0")
    assert forged.toasts == [TEXTS.errors.stale_button]
    [exported] = (await export_of(alex))["private_drafts"]
    assert (exported["text"], exported["state"], exported["for"]) == (
        DISCLOSURE,
        "private",
        "appreciation",
    )
    assert DISCLOSURE not in json.dumps(await export_of(sam))
    assert all(DISCLOSURE not in text for text in seen_by(harness, 2002))

    await alex.send("/delete")
    await alex.press(TEXTS.privacy.delete_confirm_button)
    assert await harness.rows(PrivateDraft) == []


async def test_the_rules_of_the_usual_way_hold_for_a_draft_sent_anyway(
    harness: BotHarness,
) -> None:
    """The daily limit: refused, nothing is sent, and the draft waits to be decided."""
    alex, _sam = await couple(harness)
    await alex.send("/thanks")
    await alex.send(DISCLOSURE)
    for number in range(appreciations.DAILY_LIMIT):
        await alex.send(f"/thanks for the little thing number {number}")
    await alex.press(DRAFTS.send_button)

    refused = await alex.press(DRAFTS.confirm_button)

    assert refused.texts == [shown(THANKS.daily_limit.render("en", appreciations.DAILY_LIMIT))]
    assert received_by_sam(harness, DISCLOSURE) == []
    [draft] = await harness.rows(PrivateDraft)
    assert draft.state == "pending"


async def test_a_reply_that_reads_like_a_crisis_is_kept_then_sent_as_the_reply(
    harness: BotHarness,
) -> None:
    alex, sam = await couple(harness)
    await alex.send("/thanks for the soup")
    await sam.press(THANKS.reply_button)

    replies = await sam.send(DISCLOSURE)

    # Sam lives in New York: the help names the lines of the United States.
    assert replies.texts == [
        f"{help_in('US')}\n\n{shown(DRAFTS.kept_appreciation, partner='Alex')}"
    ]
    reply_received = shown(THANKS.reply_received, partner="Sam", text=DISCLOSURE)
    assert reply_received not in seen_by(harness, 1001)
    await sam.press(DRAFTS.send_button)
    sent = await sam.press(DRAFTS.confirm_button)
    assert sent.texts == [shown(THANKS.reply_sent, partner="Alex")]
    assert seen_by(harness, 1001).count(reply_received) == 1
    [original, reply] = await harness.rows(Appreciation)
    assert reply.reply_to_id == original.id


# --- /talk -----------------------------------------------------------------------------------


async def ask(harness: BotHarness, alex: TelegramUser) -> tuple[TalkQuestion, str]:
    await ask_talk(alex)
    [question] = await harness.rows(TalkQuestion)
    return question, talk.question_text(TOGETHER, question.question_key)


async def answer(person: TelegramUser, text: str) -> list[str]:
    await person.press(TALK.answer_button)
    return (await person.send(text)).texts


async def test_an_answer_kept_private_reveals_neither_answer(harness: BotHarness) -> None:
    alex, sam = await couple(harness)
    _, question = await ask(harness, alex)
    await answer(sam, "When you ask about my day")
    sam_before = len(seen_by(harness, 2002))

    kept = await answer(alex, "honestly I want to die some days")

    assert kept == [f"{HELP}\n\n{shown(DRAFTS.kept_answer, partner='Sam')}"]
    assert len(seen_by(harness, 2002)) == sam_before  # Sam still waits, told nothing
    await alex.press(DRAFTS.keep_button)

    # Sam sees the neutral "no answer this time": no draft, no crisis, no words of Alex's.
    assert seen_by(harness, 2002)[sam_before:] == [
        shown(TALK.passed, partner="Alex", question=question)
    ]
    assert all("die" not in text for text in seen_by(harness, 2002))
    assert all("ask about my day" not in text for text in seen_by(harness, 1001))
    [copy] = await harness.rows(TalkAnswer, TalkAnswer.body.is_not(None))
    assert copy.body == "When you ask about my day"
    [asked] = await harness.rows(TalkQuestion)
    assert asked.revealed_at is None
    # The question is closed: /talk asks a new one, and the old answer button is done.
    await ask_talk(alex)
    assert len(await harness.rows(TalkQuestion)) == 2
    again = await alex.press_data(f"tk:{asked.id}:a")
    assert again.toasts == [TALK.already_answered]


async def test_the_partner_answering_after_a_private_answer_sees_the_neutral_state(
    harness: BotHarness,
) -> None:
    alex, sam = await couple(harness)
    await ask(harness, alex)
    await answer(alex, "honestly I want to die some days")
    await alex.press(DRAFTS.keep_button)
    sam_seen = len(seen_by(harness, 2002))
    alex_seen = len(seen_by(harness, 1001))

    replies = await answer(sam, "When you ask about my day")

    assert replies == [shown(TALK.saved_passed, partner="Alex")]
    assert len(seen_by(harness, 1001)) == alex_seen  # nothing of Sam's answer reaches Alex
    assert all("die" not in text for text in seen_by(harness, 2002)[sam_seen:])
    [asked] = await harness.rows(TalkQuestion)
    assert asked.revealed_at is None


async def test_an_answer_sent_anyway_is_revealed_once_both_answered(harness: BotHarness) -> None:
    alex, sam = await couple(harness)
    _, question = await ask(harness, alex)
    words = "honestly I want to die some days"
    await answer(alex, words)
    await alex.press(DRAFTS.send_button)
    assert alex.last_message.text == shown(DRAFTS.confirm_answer, partner="Sam", text=words)

    sent = await alex.press(DRAFTS.confirm_button)

    assert sent.texts == [shown(TALK.saved_waiting, partner="Sam")]
    # "Alex has answered" is held: the question was Sam's one extra message today.
    assert [m.text for m in sam.chat].count(shown(TALK.partner_answered, partner="Alex")) == 0
    revealed = await answer(sam, "When you ask about my day")
    assert revealed == [
        shown(
            TALK.revealed,
            question=question,
            mine="When you ask about my day",
            partner="Alex",
            theirs=words,
        )
    ]


async def test_forged_and_stale_draft_buttons_change_nothing(harness: BotHarness) -> None:
    alex, _ = await couple(harness)
    kim = await onboard(harness, 3003, "Kim", "London", "20:00")
    lee = await onboard(harness, 4004, "Lee", "London", "20:00")
    await pair(kim, lee)
    await alex.send("/thanks")
    await alex.send(DISCLOSURE)
    [draft] = await harness.rows(PrivateDraft)
    sam_seen = len(seen_by(harness, 2002))

    for data in (f"dr:{draft.id}:s", f"dr:{draft.id}:y", f"dr:{draft.id}:k"):
        forged = await kim.press_data(data)
        assert forged.toasts == [STALE]
        assert DISCLOSURE not in forged.text
    for data in ("dr:999999:y", f"dr:{draft.id}:z", f"dr:{draft.id}9999999999:y", "dr:y"):
        assert (await alex.press_data(data)).toasts == [STALE]

    [draft] = await harness.rows(PrivateDraft)
    assert draft.state == "pending"
    assert await harness.rows(Appreciation) == []
    assert len(seen_by(harness, 2002)) == sam_seen
    assert all(DISCLOSURE not in text for text in seen_by(harness, 4004))
    # Still Alex's to decide.
    await alex.press(DRAFTS.send_button)
    await alex.press(DRAFTS.confirm_button)
    assert len(received_by_sam(harness, DISCLOSURE)) == 1


async def test_a_draft_goes_to_nobody_once_the_couple_has_ended(harness: BotHarness) -> None:
    alex, _sam = await couple(harness)
    await alex.send("/thanks")
    await alex.send(DISCLOSURE)
    choice = alex.last_message
    await alex.send("/unpair")
    await alex.press(TEXTS.pairing.unpair_confirm_button)
    jo = await onboard(harness, 5005, "Jo", "London", "20:00")
    await pair(alex, jo)

    asked = await alex.press(DRAFTS.send_button, message=choice)

    assert asked.texts == [shown(THANKS.no_longer_paired, partner="Sam")]
    assert await harness.rows(Appreciation) == []
    assert all(DISCLOSURE not in text for text in seen_by(harness, 5005) + seen_by(harness, 2002))
