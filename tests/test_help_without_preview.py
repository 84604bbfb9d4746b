"""The crisis help goes without a link preview card on the turn's path too: words of danger in
a plain message, and the help put in front of another reply (a note kept privately, the
share button pressed on it). The help's lines carry links (the directory's site): a card under
them would push the numbers out of sight on a phone. A reply sent again after a crash keeps it.
"""

from __future__ import annotations

from telegram import Bot

from bot.delivery import Reply, dump, load
from tests.harness import TEST_TOKEN, TEXTS, BotHarness, shipped_content, shown
from tests.journeys import HELP, help_in, onboard, open_reflection, pair
from tests.telegram_fake import ApiCall, visible_text
from tests.test_crisis import preview_disabled
from tests.test_languages import start_in
from tests.test_replies_survive import crash_while_sending, polled, with_faults

SAVED = shown(TEXTS.notes.saved)
DANGER = {  # a plain message with words of danger, in the person's own language
    "en": "I don't want to live anymore",
    "de": "Ich will nicht mehr leben.",
    "ru": "я не хочу больше жить",
    "es": "ya no quiero vivir",
}


def sent(calls: list[ApiCall], method: str = "sendMessage") -> list[ApiCall]:
    return [call for call in calls if call.method == method]


def shown_text(call: ApiCall) -> str:
    return visible_text(call.text or "", call.params.get("parse_mode"))


def with_help(calls: list[ApiCall]) -> list[ApiCall]:
    """The messages sent or edited to lead with the help."""
    return [
        call
        for call in calls
        if call.method in ("sendMessage", "editMessageText") and shown_text(call).startswith(HELP)
    ]


async def test_the_help_for_a_plain_message_goes_without_a_preview_in_each_language(
    harness: BotHarness,
) -> None:
    for index, (code, words) in enumerate(DANGER.items()):
        person = await start_in(harness, 1001 + index, "Kim", code)

        [help_sent] = sent((await person.send(words)).calls)

        texts = shipped_content().languages[code].texts
        assert shown_text(help_sent) == help_in("DE", texts), code
        assert preview_disabled(help_sent), code
    # An ordinary reply keeps the bot's default.
    [ordinary] = sent((await person.send("see you at 8")).calls)
    assert not preview_disabled(ordinary)


async def test_help_in_front_of_a_reply_or_an_edit_goes_without_a_preview(
    harness: BotHarness,
) -> None:
    alex = await onboard(harness, 1001, "Alex")
    sam = await onboard(harness, 1002, "Sam", zone="London")
    await pair(alex, sam)
    await open_reflection(alex, 1)
    await alex.send("Sam made me tea")
    saved = alex.last_message  # "saved, private" with its Share button
    await alex.send("/journal")
    await alex.press(shown(TEXTS.journal.open_button, number=1))
    await alex.press(TEXTS.journal.edit_button)

    [made_private] = with_help((await alex.send("Ich will nicht mehr leben.")).calls)
    [edited] = with_help((await alex.press(TEXTS.notes.share_button, message=saved)).calls)
    await alex.press_data("reflect:secure_base:1")  # "Write my answer" once more
    [kept] = with_help((await alex.send("Some nights I don't want to live anymore.")).calls)

    assert shown_text(made_private) == f"{HELP}\n\n{shown(TEXTS.journal.edited_private)}"
    assert preview_disabled(made_private)
    for call in (edited, kept):
        assert shown_text(call) == f"{HELP}\n\n{SAVED}"
        assert preview_disabled(call)
    assert edited.method == "editMessageText"


async def test_help_sent_again_after_a_crash_still_goes_without_a_preview(
    harness: BotHarness,
) -> None:
    alex = await onboard(harness)
    faults = await with_faults(harness)
    faults.fault("sendMessage", alex.user_id, "stall")  # the help: the process dies in it

    await crash_while_sending(harness, faults, polled(harness, alex.text_update(DANGER["en"])))

    [again] = [call for call in sent(harness.api.calls)
               if call.chat_id == alex.user_id and shown_text(call) == HELP]  # fmt: skip
    assert again.status == 200
    assert preview_disabled(again)


def test_a_reply_written_before_the_field_existed_still_loads() -> None:
    """What an older process wrote on an update's record has no ``no_preview``: it loads as
    an ordinary reply; one with it keeps it through the record."""
    bot = Bot(TEST_TOKEN)
    [old] = load('[{"chat_id":1001,"text":"Saved"}]', bot)
    assert old == Reply(1001, "Saved")
    record = dump([Reply(1001, HELP, no_preview=True)])
    assert record is not None
    assert load(record, bot) == [Reply(1001, HELP, no_preview=True)]
