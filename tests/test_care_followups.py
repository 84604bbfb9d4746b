"""Care follow-ups (issue 25), through the real Application and the fake Bot API: a weekly day
changed during a pause tells the partner nothing, a kept day counts in neither partner's view
of the other, and a thanked reply to an appreciation loses its Reply button."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.services.streak import couple_streak
from bot.storage.models import User
from tests.harness import TEXTS, BotHarness, shown
from tests.journeys import QUIET_DAY, answer_checkin, checkin_message, evening, onboard, pair
from tests.test_couple_scope import view_of
from tests.test_quiet_way_out import PAUSE_WORDS, QUIET, told_since
from tests.test_sharing import (
    MONDAY_ANNA,
    MONDAY_EVENING,
    MONDAY_IVAN,
    TUESDAY_EVENING,
    WORDS,
    couple,
)
from tests.test_together import AFTERNOON, THANKS
from tests.test_together import couple as together_couple

SETTINGS = TEXTS.settings


# --- 1. the weekly day during a pause ---------------------------------------------------------


async def test_a_weekly_day_changed_during_a_pause_tells_the_partner_nothing(
    harness: BotHarness,
) -> None:
    anna = await onboard(harness, 1001, "Anna")
    ivan = await onboard(harness, 2002, "Ivan")
    await pair(anna, ivan)
    await anna.send("/settings")
    await anna.press(QUIET.pause_button)
    before = len(harness.api.calls)

    # The one who paused moves the couple's day: Ivan hears nothing of it.
    await anna.send("/settings")
    await anna.press(SETTINGS.weekly_day_button)
    moved = await anna.press(SETTINGS.weekdays[2])
    wednesday = SETTINGS.weekdays[2]
    assert moved.texts[0].startswith(
        shown(SETTINGS.weekly_day_set_quietly, partner="Ivan", day=wednesday)
    )
    assert told_since(harness, 2002, before) == []
    assert {u.weekly_day for u in await harness.rows(User)} == {2}  # still one day per couple

    # Ivan moves it: Anna is not told either, and Ivan is not told she was told.
    await ivan.send("/settings")
    await ivan.press(SETTINGS.weekly_day_button)
    anna_before = len(harness.api.calls)
    moved = await ivan.press(SETTINGS.weekdays[4])
    friday = SETTINGS.weekdays[4]
    assert told_since(harness, 1001, anna_before) == []
    lead = shown(SETTINGS.weekly_day_set_quietly, partner="Anna", day=friday)
    assert moved.texts[0].startswith(lead)
    assert PAUSE_WORDS.search("\n".join(told_since(harness, 2002, before))) is None
    assert {u.weekly_day for u in await harness.rows(User)} == {4}

    # Shared again: a change is told as before.
    await anna.send("/settings")
    await anna.press(QUIET.resume_button)
    await anna.send("/settings")
    await anna.press(SETTINGS.weekly_day_button)
    await anna.press(SETTINGS.weekdays[1])
    told = shown(SETTINGS.weekly_day_changed_by_partner, partner="Anna", day=SETTINGS.weekdays[1])
    assert ivan.last_message.text == told


# --- 2. a kept day in the streak and the nudge ------------------------------------------------


async def test_a_kept_day_counts_in_neither_the_streak_nor_the_nudge(harness: BotHarness) -> None:
    anna, ivan = await couple(harness)
    await ivan.send("/settings")  # Ivan asks to be told when Anna has checked in
    await ivan.press(shown(SETTINGS.nudge_button, state=SETTINGS.nudge_on))
    nudge = shown(TEXTS.checkin.partner_nudge, partner="Anna")

    # Monday, shared: Ivan is nudged, and it counts for the couple.
    await evening(harness, MONDAY_EVENING)
    before = len(harness.api.calls)
    await answer_checkin(anna, MONDAY_ANNA)
    assert nudge in told_since(harness, 2002, before)
    await answer_checkin(ivan, MONDAY_IVAN)

    # Tuesday: Anna keeps the day before answering, then answers; Ivan hears nothing of it.
    await evening(harness, TUESDAY_EVENING)
    await anna.press(WORDS.keep_button, message=checkin_message(anna))
    before = len(harness.api.calls)
    await answer_checkin(anna, QUIET_DAY)
    assert nudge not in told_since(harness, 2002, before)
    await answer_checkin(ivan, QUIET_DAY)

    # Wednesday, shared again: both check in.
    await evening(harness, datetime(2026, 12, 2, 20, 0, tzinfo=UTC))
    await answer_checkin(anna, QUIET_DAY)
    await answer_checkin(ivan, QUIET_DAY)

    # Monday and Wednesday count; the kept Tuesday neither counts nor breaks the streak.
    for telegram_id in (1001, 2002):
        assert (await view_of(harness, telegram_id)).summary.streak == 2


def test_a_kept_day_neither_counts_nor_breaks_the_streak() -> None:
    today = date(2026, 12, 6)
    days = [today - timedelta(days=n) for n in range(6)]
    both = {day: {"both": "yes"} for day in days}
    kept = {days[1], days[2]}  # two days in a row: as missed days they would end it
    shown_both = {day: answers for day, answers in both.items() if day not in kept}
    assert couple_streak(shown_both, shown_both, today, kept=kept) == 4
    assert couple_streak(shown_both, shown_both, today) == 1


# --- 3. thanking an appreciation one already replied to ---------------------------------------


async def test_thanking_an_answered_appreciation_leaves_no_reply_button(
    harness: BotHarness,
) -> None:
    alex, sam = await together_couple(harness)
    harness.clock.now = AFTERNOON
    await alex.send("/thanks")
    await alex.send("Thank you for the coffee in bed <3")
    received = sam.last_message
    await sam.press(THANKS.reply_button, message=received)
    await sam.send("Anytime, love")

    await sam.press(THANKS.thank_button, message=received)

    assert [b["text"] for b in received.buttons] == []  # nothing left to press
    assert received.text.endswith(shown(THANKS.thanked_line))
