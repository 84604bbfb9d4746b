"""/us through the real Application: both sides of the week, the reveal rule, the chart."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.jobs.checkin_sender import send_due_checkins
from tests import updates
from tests.harness import BotHarness, TelegramUser
from tests.journeys import STALE, onboard, pair


async def evening(harness: BotHarness, when: datetime) -> None:
    harness.clock.now = when
    assert harness.app is not None
    await send_due_checkins(harness.app.bot, harness.app.bot_data.services)


async def answer(person: TelegramUser, choices: list[str], note: str | None = None) -> None:
    prompt = next(m for m in reversed(person.chat) if "Evening check-in" in m.text)
    for label in choices:
        await person.press(label, message=prompt)
    if note is not None:
        await person.press("Add a note", message=prompt)
        await person.send(note)


async def test_a_week_for_both_partners(harness: BotHarness) -> None:
    harness.clock.now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    alex = await onboard(harness, 1001, "Alex", "Berlin")  # 20:00 UTC
    sam = await onboard(harness, 2002, "Sam", "London")  # 21:00 UTC
    await pair(alex, sam)

    # Tuesday: both answer; Sam felt a bid was missed that Alex thinks was met.
    await evening(harness, datetime(2026, 11, 24, 21, 0, tzinfo=UTC))
    await answer(
        alex, ["1–2", "Turned toward", "Met", "Yes, there", "Not stressed"], "private thought"
    )
    await answer(sam, ["3–5", "Turned toward", "Missed", "Not stressed", "Yes, I was"])
    await sam.press("Add a note")
    await sam.send("Thanks for the walk")
    await sam.press("Share with my partner")
    # Wednesday: only Sam answers, so Sam's Wednesday stays hidden from Alex.
    await evening(harness, datetime(2026, 11, 25, 21, 0, tzinfo=UTC))
    await answer(sam, ["None", "Made none", "Yes, there", "Not stressed"], "secret")

    harness.clock.now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    replies = await alex.send("/us")
    text = replies.texts[0]

    assert "Your week together · Fri 20 Nov – Thu 26 Nov" in text
    assert (
        "You → Sam: as the giver saw it, 1 of 1 days · as the receiver felt it, 0 of 1 days" in text
    )
    assert "On Tue your two views differ" in text
    assert "You checked in on 1 of 7 days, Sam on 1." in text
    assert "1 of Sam's days stay hidden until you answer those days too" in text
    assert "Sam, Tue: Thanks for the walk" in text
    assert "You, Tue 🔒: private thought" in text
    assert "secret" not in text
    assert "turned toward about 86%" in text
    assert "sendPhoto" in replies.methods

    sam_view = (await sam.send("/us")).texts[0]
    assert "private thought" not in sam_view  # Alex's private note
    assert "You checked in on 2 of 7 days, Alex on 1." in sam_view


async def test_unpaired_user_sees_their_own_week_and_an_invitation(harness: BotHarness) -> None:
    alex = await onboard(harness, 1001, "Alex", "Berlin")
    await evening(harness, datetime(2026, 11, 27, 20, 0, tzinfo=UTC))
    await answer(alex, ["3–5", "Turned away", "Met", "Not stressed", "Not stressed"])

    text = (await alex.send("/us")).texts[0]

    assert "Your week · Sat 21 Nov – Fri 27 Nov" in text
    assert "You noticed about 4 bids and turned toward them on 0 of 1 days." in text
    assert "Pair with your partner (/pair)" in text


async def test_after_unpairing_the_former_partner_no_longer_shows(harness: BotHarness) -> None:
    alex = await onboard(harness, 1001, "Alex", "Berlin")
    sam = await onboard(harness, 2002, "Sam", "Berlin")
    await pair(alex, sam)
    await evening(harness, datetime(2026, 11, 27, 20, 0, tzinfo=UTC))
    await answer(alex, ["None", "Made none", "Not stressed", "Not stressed"])
    await answer(sam, ["None", "Made none", "Not stressed", "Not stressed"], "to share")
    await sam.press("Share with my partner")
    assert "Sam, Fri: to share" in (await alex.send("/us")).texts[0]

    await sam.send("/unpair")
    await sam.press("End pairing")
    text = (await alex.send("/us")).texts[0]

    assert "Sam" not in text
    assert "Your week ·" in text


async def test_earlier_weeks_and_forged_week_buttons_stay_within_your_couple(
    harness: BotHarness,
) -> None:
    alex = await onboard(harness, 1001, "Alex", "Berlin")
    sam = await onboard(harness, 2002, "Sam", "Berlin")
    kim = await onboard(harness, 3003, "Kim", "Berlin")
    await pair(alex, sam)
    await evening(harness, datetime(2026, 11, 27, 20, 0, tzinfo=UTC))
    await answer(sam, ["None", "Made none", "Not stressed", "Not stressed"], "Sam's words")
    await sam.press("Share with my partner")
    await answer(alex, ["None", "Made none", "Not stressed", "Not stressed"])

    await alex.send("/us")
    week_message = next(m for m in reversed(alex.chat) if "Your week together" in m.text)
    await alex.press("Earlier week", message=week_message)
    assert "Sat 14 Nov – Fri 20 Nov" in week_message.text
    assert "Sam's words" not in week_message.text  # before the couple existed
    await alex.press("Later week", message=week_message)
    assert "Sam's words" in week_message.text

    # The week is always the presser's own: Kim's forged press shows Kim's week, nobody else's.
    forged = await kim.press_data("us:0")
    assert "Sam's words" not in forged.text
    assert "Your week ·" in forged.text
    # A press that claims to come from Alex's chat but was sent by Kim changes nothing there.
    cross = await kim.press_data("us:0", message=week_message)
    assert cross.toasts == [STALE]
    assert "Sam's words" in week_message.text
    await alex.press_data("us:999", message=week_message)  # clamped to the oldest week shown
    assert "Your week together" in week_message.text


async def test_the_text_still_goes_when_the_picture_cannot(harness: BotHarness) -> None:
    alex = await onboard(harness, 1001, "Alex", "Berlin")
    harness.api.fail_next("sendPhoto", 500, "Internal Server Error")

    replies = await alex.send("/us")

    assert "Your week" in replies.texts[0]
    assert [c.status for c in replies.calls if c.method == "sendPhoto"] == [500]
    assert "went wrong" not in replies.text


async def test_chart_button_sends_the_picture_for_that_week(harness: BotHarness) -> None:
    alex = await onboard(harness, 1001, "Alex", "Berlin")
    await alex.send("/us")

    replies = await alex.press("Chart")

    photos = [c for c in replies.calls if c.method == "sendPhoto"]
    assert len(photos) == 1
    assert photos[0].status == 200
    assert "Your week, side by side" in (photos[0].text or "")


async def test_optional_note_when_the_partner_has_checked_in(harness: BotHarness) -> None:
    alex = await onboard(harness, 1001, "Alex", "Berlin")
    sam = await onboard(harness, 2002, "Sam", "Berlin")
    kim = await onboard(harness, 3003, "Kim", "Berlin")
    lee = await onboard(harness, 4004, "Lee", "Berlin")
    await pair(alex, sam)
    await pair(kim, lee)
    await alex.send("/settings")
    await alex.press("Partner check-in note: turn on")
    assert "Tell me when my partner has checked in: on" in alex.last_message.text
    await evening(harness, datetime(2026, 11, 27, 20, 0, tzinfo=UTC))

    await answer(sam, ["None"])
    await answer(sam, ["Made none"])  # only the first answer of the day nudges
    await answer(lee, ["None"])  # Kim did not ask to be told

    nudges = [c for c in harness.api.calls if "has checked in for today" in (c.text or "")]
    assert [(c.chat_id, c.text) for c in nudges] == [
        (1001, "💞 Sam has checked in for today. Yours is waiting whenever you're ready ↑")
    ]
    assert kim.last_message.text.startswith("🌙")

    await answer(alex, ["None"])  # Alex answered: no nudge back to Sam (not opted in)
    harness.clock.now = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
    assert harness.app is not None
    await send_due_checkins(harness.app.bot, harness.app.bot_data.services)
    await answer(alex, ["None"])
    await answer(sam, ["None"])  # Alex already answered today: no nudge
    nudges = [c for c in harness.api.calls if "has checked in for today" in (c.text or "")]
    assert len(nudges) == 1


async def test_a_forged_press_on_a_group_message_changes_nothing(harness: BotHarness) -> None:
    alex = await onboard(harness, 1001, "Alex", "Berlin")
    friends = updates.group_chat(-100123, "supergroup", "Friends")
    group_message = updates.message(
        77, 1_700_000_000, friends, harness.api.bot_user(), text="an old message"
    )
    query = updates.callback_query("forged-1", updates.user(1001, "Alex"), "us:0", group_message)
    payload = {"callback_query": query}

    replies = await harness.feed(payload)

    assert replies.methods == ["answerCallbackQuery"]
    assert replies.toasts == [STALE]
    assert "All set" in alex.chat[-1].text
