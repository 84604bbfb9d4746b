"""/export says exactly what it holds, /delete leaves nothing describing the person behind
(in their partner's data either) and clears the chat, and a crisis note waits behind a tap
in /journal — through the real Application and the fake Bot API, on SQLite and PostgreSQL.

Иван writes in Russian, Anna in German: the issue's couple. Both live in Berlin and check in
at 21:00 (20:00 UTC in November).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from bot.content import Html, Texts
from bot.content.together import TogetherContent
from bot.jobs.together import run_together
from bot.services.privacy import EXPORT_FORMAT_VERSION, recent_message_batches
from bot.storage.models import Base, Note, ReceivedUpdate, SafeHavenTip, TalkAnswer
from bot.update_order import PerPersonUpdateProcessor
from tests.harness import TEXTS, BotHarness, TelegramUser, shipped_content, shown
from tests.journeys import (
    STALE,
    answer_checkin,
    ask_talk,
    checkin_message,
    evening,
    invite_code,
    onboard,
    open_reflection,
    pair,
)
from tests.telegram_fake import visible_text
from tests.test_replies_survive import polled

CONTENT = shipped_content()
EVENING = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)  # Friday, 21:00 in Berlin
ANNAS_SECRET = "Annas geheime Notiz über den Abend"
ANNAS_ANSWER = "Wenn du mir abends zuhörst"
ANNAS_THANKS = "Danke für die Suppe gestern"
IVANS_ANSWER = "Когда ты спрашиваешь, как прошёл день"
IVANS_THANKS = "Спасибо за прогулку"


def texts_of(code: str) -> Texts:
    return CONTENT.languages[code].texts


def together_of(code: str) -> TogetherContent:
    return CONTENT.languages[code].together


async def start_in(harness: BotHarness, user_id: int, name: str, code: str) -> TelegramUser:
    """A new person whose Telegram is in ``code``: /start, consent, zone, time."""
    person = harness.user(user_id, name, language_code=code)
    await person.send("/start")
    await person.press(texts_of(code).onboarding.consent_yes_button)
    await person.send("Berlin")
    await person.send("21:00")
    return person


async def check_in(
    person: TelegramUser, code: str, answers: dict[str, str], note: str | None = None
) -> None:
    """Tap ``answers`` by their labels in ``code``, then a note (or "done")."""
    texts = texts_of(code)
    prompt = checkin_message(person)
    for item, value in answers.items():
        await person.press(texts.checkin.items[item].options[value], message=prompt)
    if note is not None:
        await person.press(texts.checkin.note_button, message=prompt)
        await person.send(note)


STRESSED = {
    "bids_noticed": "none",
    "bids_made": "none",
    "stressed_me": "yes",
    "support_received": "somewhat",
    "stressed_partner": "no",
}
QUIET = {"bids_noticed": "none", "bids_made": "none", "stressed_me": "no", "stressed_partner": "no"}


async def ivan_and_anna(harness: BotHarness) -> tuple[TelegramUser, TelegramUser]:
    """Paired, tips on for both; one evening: Anna's stressful day with a private note,
    Иван's check-in; a question both answered; an appreciation each way; Иван's tip."""
    harness.clock.now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    ivan = await start_in(harness, 1001, "Иван", "ru")
    anna = await start_in(harness, 2002, "Anna", "de")
    await anna.send(f"/join {invite_code(await ivan.send('/pair'))}")
    await anna.press(texts_of("de").pairing.confirm_button)
    assert harness.app is not None
    await run_together(harness.app.bot, harness.app.bot_data.services)  # the tips' offer
    await ivan.press(together_of("ru").tips.offer_yes_button)
    await anna.press(together_of("de").tips.offer_yes_button)

    await evening(harness, EVENING)
    # Ivan first: the day side by side is Ivan's one extra message of the day; Anna's
    # answers her own (the ping budget), so Ivan's question below reaches her at once.
    await check_in(ivan, "ru", QUIET)
    await check_in(anna, "de", STRESSED, note=ANNAS_SECRET)
    harness.clock.advance(minutes=5)
    await run_together(harness.app.bot, harness.app.bot_data.services)

    await ask_talk(ivan)
    await ivan.press(together_of("ru").talk.answer_button)
    await ivan.send(IVANS_ANSWER)
    await anna.press(together_of("de").talk.answer_button)
    await anna.send(ANNAS_ANSWER)
    await anna.send(f"/thanks {ANNAS_THANKS}")
    await ivan.send(f"/thanks {IVANS_THANKS}")
    return ivan, anna


async def export_of(person: TelegramUser) -> tuple[str, dict[str, Any]]:
    """The caption and the data of ``person``'s newest export."""
    await person.send("/export")
    document = [m for m in person.chat if m.kind == "document"][-1]
    assert document.file is not None
    return document.text, json.loads(document.file[1])


def labels_of(code: str, item: str, value: str) -> dict[str, str]:
    labels = texts_of(code).checkin.items[item]
    return {"question": visible_text(labels.short, "HTML"), "answer": labels.options[value]}


async def test_an_export_holds_what_its_message_says(harness: BotHarness) -> None:
    ivan, anna = await ivan_and_anna(harness)
    [tip] = await harness.rows(SafeHavenTip)

    caption, data = await export_of(ivan)

    ru = texts_of("ru").privacy
    summary = shown(
        ru.export_summary,
        checkins=Html(ru.checkins.render("ru", 1)),
        moments=Html(ru.moments.render("ru", 0)),
        notes=Html(ru.notes.render("ru", 0)),
    )
    from_anna = shown(
        ru.export_from_partner,
        answers=Html(ru.answers.render("ru", 1)),
        appreciations=Html(ru.appreciations.render("ru", 1)),
    )
    assert caption == "\n\n".join([summary, from_anna, shown(ru.export_tips.render("ru", 1))])
    assert len(caption) <= 1024  # a document's caption
    assert data["version"] == EXPORT_FORMAT_VERSION == 5
    # What Anna shared with Иван is there, and said to be hers.
    [question] = data["questions_to_talk_about"]
    assert (question["my_answer"], question["partner_answer"]) == (IVANS_ANSWER, ANNAS_ANSWER)
    assert question["partner_answer_deleted"] is False
    received = [a for a in data["appreciations"] if a["direction"] == "received"]
    assert [(a["text"], a["partner"]) for a in received] == [(ANNAS_THANKS, "Anna")]
    assert [t["text"] for t in data["safe_haven_tips_received"]] == [tip.body]
    # Her private note, and her check-in answers, are not.
    file_text = json.dumps(data, ensure_ascii=False)
    assert ANNAS_SECRET not in file_text
    assert len(data["checkins"]) == 1
    # Codes with readable labels in Иван's language, from the check-in's own texts.
    [checkin] = data["checkins"]
    assert checkin["answers"]["stressed_me"] == "no"
    assert checkin["answers_readable"]["stressed_me"] == labels_of("ru", "stressed_me", "no")
    ru_question = together_of("ru").question(question["question"])
    assert ru_question is not None
    assert question["question_text"] == ru_question.text
    for label in checkin["answers_readable"].values():
        assert "<" not in label["question"]
        assert label["answer"]

    # Anna's file: her own labels in German; Иван's revealed answer; no tip about her day.
    anna_caption, anna_data = await export_of(anna)
    [anna_checkin] = anna_data["checkins"]
    assert anna_checkin["answers_readable"]["support_received"] == labels_of(
        "de", "support_received", "somewhat"
    )
    assert [n["text"] for n in anna_data["notes"]] == [ANNAS_SECRET]
    assert anna_data["questions_to_talk_about"][0]["partner_answer"] == IVANS_ANSWER
    assert "safe_haven_tips_received" not in anna_data
    assert shown(texts_of("de").privacy.export_tips.render("de", 1)) not in anna_caption


async def test_an_unpaired_export_says_nothing_of_a_partner_is_in_it(harness: BotHarness) -> None:
    alex = await onboard(harness)
    await evening(harness, EVENING)
    await answer_checkin(alex, QUIET)
    await alex.send("/bid")
    await alex.press(TEXTS.moments.bid_made_button)
    await alex.press(TEXTS.moments.outcomes["bid_made"]["met"])

    caption, data = await export_of(alex)

    assert caption.endswith(shown(TEXTS.privacy.export_nothing_from_partner))
    [moment] = data["moments"]
    assert moment["readable"] == {
        "kind": TEXTS.privacy.moment_kinds["bid_made"],
        "question": TEXTS.moments.bid_made_outcome,
        "answer": TEXTS.moments.outcomes["bid_made"]["met"],
    }


async def every_stored_text(harness: BotHarness) -> str:
    """Every row of every table, as text: what the database still holds."""
    rows: list[str] = []
    async with harness.session() as session:
        for table in Base.metadata.sorted_tables:
            rows.extend(str(tuple(row)) for row in await session.execute(select(table)))
    return "\n".join(rows)


async def test_a_deleted_partner_leaves_nothing_describing_them(harness: BotHarness) -> None:
    ivan, anna = await ivan_and_anna(harness)
    [tip] = await harness.rows(SafeHavenTip)
    assert "Anna" in tip.body  # the tip names her hard day
    # The update log: a message of hers recorded and still waiting to be handled, and
    # Иван's ❤️ to her appreciation, whose reply to her (quoting it) is not crossed off yet.
    assert harness.app is not None
    processor = harness.app.update_processor
    assert isinstance(processor, PerPersonUpdateProcessor)
    assert processor.update_log is not None
    await processor.update_log.record([harness.update(anna.text_update(ANNAS_SECRET))])
    thanked, button = ivan.find_button(together_of("ru").thanks.thank_button)
    await polled(harness, ivan.press_update(button, thanked))
    log = "\n".join(str((r.payload, r.replies)) for r in await harness.rows(ReceivedUpdate))
    assert ANNAS_SECRET.split(" über")[0] in log  # (the JSON escapes the "ü")
    assert ANNAS_THANKS in log

    await anna.send("/delete")
    await anna.press(texts_of("de").privacy.delete_confirm_button)

    # Nothing anywhere names her or holds her words: not the tip, not her answer or thanks,
    # not Иван's appreciation to her.
    stored = await every_stored_text(harness)
    for trace in ("Anna", ANNAS_SECRET, ANNAS_ANSWER, ANNAS_THANKS, IVANS_THANKS, tip.body):
        assert trace not in stored, trace
    assert await harness.rows(SafeHavenTip) == []
    # Иван keeps his own answer; hers is marked deleted in his export.
    assert [a.body for a in await harness.rows(TalkAnswer)] == [IVANS_ANSWER]
    caption, data = await export_of(ivan)
    [question] = data["questions_to_talk_about"]
    assert question["my_answer"] == IVANS_ANSWER
    assert question["partner_answer"] is None
    assert question["partner_answer_deleted"] is True
    assert data["appreciations"] == []
    assert "safe_haven_tips_received" not in data
    assert data["pairing_history"][0]["partner"] is None
    assert "Anna" not in json.dumps(data, ensure_ascii=False)
    assert caption.endswith(shown(texts_of("ru").privacy.export_nothing_from_partner))
    assert await harness.rows(Note) == []  # her note went with her; Иван wrote none


async def test_a_crisis_note_waits_behind_a_tap_in_the_journal(harness: BotHarness) -> None:
    alex = await onboard(harness)
    sam = await onboard(harness, 2002, "Sam")
    await evening(harness, EVENING)
    danger = "Some nights I want to die and nobody knows"
    prompt = await answer_checkin(alex, QUIET)
    harness.clock.advance(minutes=1)
    await alex.press(TEXTS.checkin.note_button, message=prompt)
    await alex.send(danger)
    harness.clock.advance(minutes=1)
    await open_reflection(alex, 1)
    await alex.send("Needing Sam is not weakness.")
    words = TEXTS.journal

    page = await alex.send("/journal")

    assert danger not in page.text
    assert "Needing Sam is not weakness." in page.text  # an ordinary note shows as ever
    button = shown(words.open_button, number=2)
    hidden = shown(
        words.note_behind_tap,
        number=2,
        day=TEXTS.date(EVENING.date(), words.day_format),
        what=Html(words.checkin_note_what),
        mark=words.private_mark,
        button=button,
    )
    assert hidden in page.text
    opened = await alex.press(button)
    assert danger in opened.text
    # A forged or stale tap shows nothing and says the button is old.
    [note] = await harness.rows(Note, Note.body == danger)
    forged = await sam.press_data(f"journal:n:{note.id}:0")
    assert forged.toasts == [STALE]
    assert forged.texts == []
    stale = await alex.press_data(f"journal:n:{note.id + 100}:0")
    assert stale.toasts == [STALE]


async def test_delete_clears_the_recent_chat_and_says_how_to_clear_the_rest(
    harness: BotHarness,
) -> None:
    alex = await onboard(harness)
    sam = await onboard(harness, 2002, "Sam")
    await pair(alex, sam)
    await alex.send("/thanks for the tea")
    sams_messages = [m.message_id for m in sam.chat]
    alex_typed = {key for key in harness.api.incoming if key[0] == 1001}
    assert alex_typed
    assert len(alex.chat) > 3

    await alex.send("/delete")
    done = await alex.press(TEXTS.privacy.delete_confirm_button)

    last_words = f"{shown(TEXTS.privacy.deleted)}\n\n{shown(TEXTS.privacy.clear_chat)}"
    assert done.texts == [last_words]
    # Only the last message is left in Alex's chat: the bot's and Alex's own went.
    [left] = alex.chat
    assert left.text == last_words
    assert not {key for key in harness.api.incoming if key[0] == 1001}
    assert alex_typed <= set(harness.api.deleted)
    calls = [c for c in harness.api.calls if c.method == "deleteMessages"]
    assert calls
    assert all(c.chat_id == 1001 and 0 < len(c.params["message_ids"]) <= 100 for c in calls)
    # Nothing of Sam's chat was touched (its ids are interleaved with Alex's).
    assert all(key[0] == 1001 for key in harness.api.deleted)
    assert [m.message_id for m in sam.chat][: len(sams_messages)] == sams_messages


async def test_clearing_stops_where_telegram_refuses(harness: BotHarness) -> None:
    alex = await onboard(harness)
    harness.api.fail_next("deleteMessages", 400, "Bad Request: message can't be deleted")

    await alex.send("/delete")
    done = await alex.press(TEXTS.privacy.delete_confirm_button)

    assert done.texts == [f"{shown(TEXTS.privacy.deleted)}\n\n{shown(TEXTS.privacy.clear_chat)}"]
    assert [c.method for c in harness.api.calls].count("deleteMessages") == 1


def test_the_ids_to_clear_are_the_newest_thousand_in_batches_of_a_hundred() -> None:
    batches = recent_message_batches(5000)
    assert len(batches) == 10
    assert all(len(batch) == 100 for batch in batches)
    assert batches[0][0] == 4999
    assert batches[-1][-1] == 4000
    assert recent_message_batches(42) == [list(range(41, 0, -1))]
    assert recent_message_batches(1) == []
