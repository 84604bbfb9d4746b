"""Care follow-ups (issue 25), through the real Application and the fake Bot API: a weekly day
changed during a pause tells the partner nothing, a kept day counts in neither partner's view
of the other, and a thanked reply to an appreciation loses its Reply button."""

from __future__ import annotations

from bot.storage.models import User
from tests.harness import TEXTS, BotHarness, shown
from tests.journeys import onboard, pair
from tests.test_quiet_way_out import PAUSE_WORDS, QUIET, told_since

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
