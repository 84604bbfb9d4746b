"""/us through the real Application: both sides of the week, the reveal rule, the chart."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.content import Html, render
from bot.jobs.checkin_sender import send_due_checkins
from tests import updates
from tests.harness import TEXTS, BotHarness, shown, shown_count
from tests.journeys import (
    QUIET_DAY,
    STALE,
    answer_checkin,
    checkin_header,
    evening,
    onboard,
    pair,
    settings_summary,
)
from tests.telegram_fake import visible_text

WORDS = TEXTS.us
FRIDAY = date(2026, 11, 27)


def day(value: date) -> str:
    """A day as the week names it in its lines ("Tue")."""
    return TEXTS.date(value, WORDS.short_day_format)


def week_title(last: date, *, together: bool = True) -> str:
    """The first line of the week that ends on ``last``: a couple's, or one person's."""
    first, last_day = (TEXTS.date(d, WORDS.day_format) for d in (last - timedelta(days=6), last))
    return shown(WORDS.title if together else WORDS.solo_title, first=first, last=last_day)


def tally(good: int, days: int) -> str:
    return WORDS.tally.render(TEXTS.language, days, good=good)


async def test_a_week_for_both_partners(harness: BotHarness) -> None:
    harness.clock.now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    alex = await onboard(harness, 1001, "Alex", "Berlin")  # 20:00 UTC
    sam = await onboard(harness, 2002, "Sam", "London")  # 21:00 UTC
    await pair(alex, sam)

    # Tuesday: both answer; Sam felt a bid was missed that Alex thinks was met, and Alex felt
    # alone in a stressful moment in which Sam felt there for Alex.
    await evening(harness, datetime(2026, 11, 24, 21, 0, tzinfo=UTC))
    alex_tuesday = {
        "bids_noticed": "few",
        "bids_response": "toward",
        "bids_made": "met",
        "stressed_me": "yes",
        "support_received": "no",
        "stressed_partner": "no",
    }
    await answer_checkin(alex, alex_tuesday, note="private thought")
    sam_tuesday = {
        "bids_noticed": "some",
        "bids_response": "toward",
        "bids_made": "missed",
        "stressed_me": "no",
        "stressed_partner": "yes",
        "support_given": "yes",
    }
    await answer_checkin(sam, sam_tuesday, note="Thanks for the walk")
    await sam.press(TEXTS.notes.share_button)
    # Wednesday: only Sam answers, so Sam's Wednesday stays hidden from Alex (who can still
    # answer it).
    await evening(harness, datetime(2026, 11, 25, 21, 0, tzinfo=UTC))
    await answer_checkin(sam, QUIET_DAY, note="secret")

    harness.clock.now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    replies = await alex.send("/us")
    text = replies.texts[0]

    tuesday = day(date(2026, 11, 24))
    differences, landed = WORDS.differences, WORDS.landed
    assert text.startswith(week_title(date(2026, 11, 26)))
    # The first screen leads with what the two of them share; the days seen differently
    # are named as such, and who saw what is in the details.
    assert shown_count(landed.both_checked_in, 1) in text
    gaps = landed.gap_separator.join(
        shown(landed.gap_day, mark=mark, day=tuesday)
        for mark in (landed.bids_mark, landed.harbor_mark)
    )
    assert shown(landed.gaps_title, days=Html(gaps)) in text
    assert shown(landed.gap_note) in text
    assert shown(differences.bids_gave_you, day=tuesday, partner="Sam") not in text
    assert shown(WORDS.showing_up, mine=1, partner="Sam", theirs=2) not in text
    assert shown_count(WORDS.hidden, 1, partner="Sam") in text
    assert "secret" not in text
    assert "sendPhoto" not in replies.methods  # the chart is one button away

    details = await alex.press(WORDS.details_button)
    detail = details.texts[0]
    assert shown(differences.bids_gave_you, day=tuesday, partner="Sam") in detail
    assert shown(differences.harbor_got_partner, day=tuesday, partner="Sam") in detail
    # Sam checked in on two days, one of them still hidden: both count as showing up.
    assert shown(WORDS.showing_up, mine=1, partner="Sam", theirs=2) in detail
    you_to_sam = Html(render(WORDS.you_to_partner, partner="Sam"))
    assert shown(WORDS.views, direction=you_to_sam, gave=tally(1, 1), felt=tally(0, 1)) in detail
    assert (
        shown(WORDS.partner_note, partner="Sam", day=tuesday, body="Thanks for the walk") in detail
    )
    private = shown(WORDS.my_note, day=tuesday, lock=WORDS.private_mark, body="private thought")
    assert private in detail
    assert "secret" not in detail
    back = await alex.press(WORDS.summary_button)
    assert back.texts == [text]

    sam_view = (await sam.send("/us")).texts[0]
    assert "private thought" not in sam_view  # Alex's private note
    assert shown_count(landed.both_checked_in, 1) in sam_view
    sam_details = (await sam.press(WORDS.details_button)).texts[0]
    assert "private thought" not in sam_details
    assert shown(WORDS.showing_up, mine=2, partner="Alex", theirs=1) in sam_details


async def test_unpaired_user_sees_their_own_week_and_an_invitation(harness: BotHarness) -> None:
    alex = await onboard(harness, 1001, "Alex", "Berlin")
    await evening(harness, datetime(2026, 11, 27, 20, 0, tzinfo=UTC))
    week = {
        "bids_noticed": "some",
        "bids_response": "away",
        "bids_made": "met",
        "stressed_me": "no",
        "stressed_partner": "no",
    }
    await answer_checkin(alex, week)

    text = (await alex.send("/us")).texts[0]

    assert text.startswith(week_title(FRIDAY, together=False))
    # Bids noticed and turned away: "not yet this week", never "0 of 1".
    landed = WORDS.landed
    assert shown(landed.bids, times=landed.not_yet) in text
    assert shown_count(landed.solo_checked_in, 1) in text
    assert shown(WORDS.invite_to_pair) in text
    details = (await alex.press(WORDS.details_button)).texts[0]
    assert shown(WORDS.solo_showing_up, mine=1) in details
    assert tally(0, 1) in details  # the honest figure stays, in the details


async def test_after_unpairing_the_former_partner_no_longer_shows(harness: BotHarness) -> None:
    alex = await onboard(harness, 1001, "Alex", "Berlin")
    sam = await onboard(harness, 2002, "Sam", "Berlin")
    await pair(alex, sam)
    await evening(harness, datetime(2026, 11, 27, 20, 0, tzinfo=UTC))
    await answer_checkin(alex, QUIET_DAY)
    await answer_checkin(sam, QUIET_DAY, note="to share")
    await sam.press(TEXTS.notes.share_button)
    shared = shown(WORDS.partner_note, partner="Sam", day=day(FRIDAY), body="to share")
    await alex.send("/us")
    assert shared in (await alex.press(WORDS.details_button)).texts[0]

    await sam.send("/unpair")
    await sam.press(TEXTS.pairing.unpair_confirm_button)
    text = (await alex.send("/us")).texts[0]

    assert "Sam" not in text
    assert text.startswith(week_title(FRIDAY, together=False))


async def test_earlier_weeks_stop_at_the_start_and_forged_buttons_stay_within_your_couple(
    harness: BotHarness,
) -> None:
    harness.clock.now = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)  # Wednesday the week before
    alex = await onboard(harness, 1001, "Alex", "Berlin")
    assert WORDS.earlier_button not in [
        b["text"] for b in (await alex.send("/us")).calls[0].buttons
    ]
    await evening(harness, datetime(2026, 11, 27, 12, 0, tzinfo=UTC))  # stale: moves on
    sam = await onboard(harness, 2002, "Sam", "Berlin")
    kim = await onboard(harness, 3003, "Kim", "Berlin")
    await pair(alex, sam)
    await evening(harness, datetime(2026, 11, 27, 20, 0, tzinfo=UTC))
    await answer_checkin(sam, QUIET_DAY, note="Sam's words")
    await sam.press(TEXTS.notes.share_button)
    await answer_checkin(alex, QUIET_DAY)

    await alex.send("/us")
    this_week = week_title(FRIDAY)
    week_message = next(m for m in reversed(alex.chat) if m.text.startswith(this_week))
    await alex.press(WORDS.details_button, message=week_message)
    assert "Sam's words" in week_message.text
    await alex.press(WORDS.earlier_button, message=week_message)
    # The week Alex started in is the oldest: no earlier one; details stay details.
    assert week_message.text.startswith(
        shown(WORDS.details_title, first="Sat 14 Nov", last="Fri 20 Nov")
    )
    assert "Sam's words" not in week_message.text  # before the couple existed
    assert WORDS.earlier_button not in [b["text"] for b in week_message.buttons]
    await alex.press(WORDS.later_button, message=week_message)
    assert "Sam's words" in week_message.text
    await alex.press(WORDS.summary_button, message=week_message)
    assert week_message.text.startswith(this_week)

    # The week is always the presser's own: Kim's forged press shows Kim's week, nobody else's.
    forged = await kim.press_data("us:0:d")
    assert "Sam's words" not in forged.text
    assert forged.texts[0].startswith(
        shown(WORDS.details_title, first="Sat 21 Nov", last="Fri 27 Nov")
    )
    # A press that claims to come from Alex's chat but was sent by Kim changes nothing there.
    cross = await kim.press_data("us:0", message=week_message)
    assert cross.toasts == [STALE]
    await alex.press_data("us:999", message=week_message)  # clamped to the oldest week shown
    assert week_message.text.startswith(week_title(date(2026, 11, 20)))


async def test_the_text_still_goes_when_the_picture_cannot(harness: BotHarness) -> None:
    alex = await onboard(harness, 1001, "Alex", "Berlin")
    await alex.send("/us")
    harness.api.fail_next("sendPhoto", 500, "Internal Server Error")

    replies = await alex.press(WORDS.chart_button)

    assert [c.status for c in replies.calls if c.method == "sendPhoto"] == [500]
    assert shown(TEXTS.errors.internal_error) not in replies.texts
    assert alex.last_message.text.startswith(week_title(FRIDAY, together=False))
    # Not sent, so not remembered as sent: the next press tries again.
    again = await alex.press(WORDS.chart_button)
    assert [c.status for c in again.calls if c.method == "sendPhoto"] == [200]


async def test_chart_button_sends_the_picture_for_that_week(harness: BotHarness) -> None:
    alex = await onboard(harness, 1001, "Alex", "Berlin")
    await alex.send("/us")

    replies = await alex.press(WORDS.chart_button)

    photos = [c for c in replies.calls if c.method == "sendPhoto"]
    assert len(photos) == 1
    assert photos[0].status == 200
    first, last = (TEXTS.date(d, WORDS.day_format) for d in (date(2026, 11, 21), FRIDAY))
    assert replies.texts == [shown(WORDS.chart_caption, first=first, last=last)]


async def test_optional_note_when_the_partner_has_checked_in(harness: BotHarness) -> None:
    alex = await onboard(harness, 1001, "Alex", "Berlin")
    sam = await onboard(harness, 2002, "Sam", "Berlin")
    kim = await onboard(harness, 3003, "Kim", "Berlin")
    lee = await onboard(harness, 4004, "Lee", "Berlin")
    await pair(alex, sam)
    await pair(kim, lee)
    await alex.send("/settings")
    words = TEXTS.settings
    await alex.press(shown(words.nudge_button, state=words.nudge_on))
    nudged = settings_summary("Europe/Berlin", "13:00", "21:00", nudge=True)
    assert alex.last_message.text == nudged
    await evening(harness, datetime(2026, 11, 27, 20, 0, tzinfo=UTC))

    def nudges() -> list[tuple[int | None, str]]:
        """Every nudge sent so far, to anyone about anyone: (chat, what it says)."""
        possible = {
            shown(TEXTS.checkin.partner_nudge, partner=name)
            for name in ("Alex", "Sam", "Kim", "Lee")
        }
        sent = [
            (call.chat_id, visible_text(call.text, call.params.get("parse_mode")))
            for call in harness.api.calls
            if call.text is not None
        ]
        return [(chat, text) for chat, text in sent if text in possible]

    none = {"bids_noticed": "none"}
    await answer_checkin(sam, none)
    await answer_checkin(sam, {"bids_made": "none"})  # only the first answer of the day nudges
    await answer_checkin(lee, none)  # Kim did not ask to be told

    assert nudges() == [(1001, shown(TEXTS.checkin.partner_nudge, partner="Sam"))]
    assert kim.last_message.text.startswith(checkin_header(FRIDAY))

    await answer_checkin(alex, none)  # Alex answered: no nudge back to Sam (not opted in)
    harness.clock.now = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
    assert harness.app is not None
    await send_due_checkins(harness.app.bot, harness.app.bot_data.services)
    await answer_checkin(alex, none)
    await answer_checkin(sam, none)  # Alex already answered today: no nudge
    assert len(nudges()) == 1


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
    done = shown(
        TEXTS.onboarding.done, first_name="Alex", checkin_time="21:00", zone="Europe/Berlin"
    )
    assert alex.chat[-1].text == done  # untouched
