"""The first week's rough edges (issue #16, part A): sharing in full, a menu that fits, what
comes after pairing, honest words and counts, old settings panels, one weekly question day per
couple, and a step a week in the course."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text
from timezonefinder import TimezoneFinder

from bot.config import Settings
from bot.jobs.notices import send_notices
from bot.services.lessons import current_practice
from bot.storage.models import Notice, User
from tests.harness import TEXTS, BotHarness, MigrationRoundTrip, shown
from tests.journeys import COURSE, invite_code, onboard, open_reflection, pair, step_title
from tests.telegram_fake import FakeBotApi

NOTES = TEXTS.notes


# --- sharing ----------------------------------------------------------------------------------


async def test_a_shared_reflection_reaches_the_partner_in_full_and_a_double_tap_once(
    harness: BotHarness,
) -> None:
    alex = await onboard(harness)
    sam = await onboard(harness, 2002, "Sam")
    await pair(alex, sam)
    words = "When Sam reached for my hand at dinner I almost missed it. " * 20  # ~1,200
    await open_reflection(alex, 2)
    await alex.send(words)
    before = len(sam.chat)

    shared = await alex.press(NOTES.share_button)
    share_message = alex.last_message
    await alex.press_data(share_message.buttons[0]["callback_data"].replace("private", "shared"))

    assert shared.texts == [shown(NOTES.shared, partner="Sam")]
    [told] = sam.chat[before:]
    assert told.text == shown(
        NOTES.reflection_shared_with_you, partner="Alex", step=step_title(2), text=words
    )
    # The overview shows its start; the button shows it whole.
    overview = await sam.send("/learn")
    assert words.strip() not in overview.text
    in_full = await sam.press(TEXTS.lessons.partner_shared_button)
    assert words.strip() in in_full.text


async def test_sharing_while_unpaired_says_nobody_sees_it_yet(harness: BotHarness) -> None:
    alex = await onboard(harness)
    await open_reflection(alex, 1)
    await alex.send("Just for me for now")

    replies = await alex.press(NOTES.share_button)

    assert replies.texts == [shown(NOTES.shared_unpaired)]


# --- the menu and what comes next -------------------------------------------------------------


async def test_the_menu_fits_the_person(harness: BotHarness) -> None:
    alex = await onboard(harness)
    sam = await onboard(harness, 2002, "Sam")
    await alex.send("/start")
    alone = [b["text"] for b in alex.last_message.buttons]
    await pair(alex, sam)

    await alex.send("/start")
    paired = [b["text"] for b in alex.last_message.buttons]
    week = await alex.press(TEXTS.menu.us_button)

    assert TEXTS.menu.pair_button in alone
    assert TEXTS.menu.us_button not in alone
    assert TEXTS.menu.us_button in paired
    assert TEXTS.menu.pair_button not in paired
    together = [TEXTS.menu.thanks_button, TEXTS.menu.talk_button]
    assert [label for label in alone if label in together] == []
    assert [label for label in paired if label in together] == together
    assert week.texts  # the week, as /us shows it
    assert "answerCallbackQuery" in week.methods


async def test_after_a_reflection_a_button_back_to_the_course(harness: BotHarness) -> None:
    alex = await onboard(harness)
    await open_reflection(alex, 1)
    await alex.send("Needing Sam is not weakness.")

    back = await alex.press(NOTES.back_to_course_button)

    assert step_title(1) in back.text


async def test_pairing_ends_with_what_happens_next(harness: BotHarness) -> None:
    alex = await onboard(harness)
    sam = await onboard(harness, 2002, "Sam", zone="London", at="20:00")
    code = invite_code(await alex.send("/pair"))
    await sam.send(f"/join {code}")

    replies = await sam.press(TEXTS.pairing.confirm_button)

    sams_next = shown(TEXTS.pairing.next_checkin, day="Fri 27 Nov", time="20:00")
    alexs_next = shown(TEXTS.pairing.next_checkin, day="Fri 27 Nov", time="21:00")
    assert replies.texts == [f"{shown(TEXTS.pairing.paired_you, partner='Alex')}\n\n{sams_next}"]
    assert alex.last_message.text.endswith(alexs_next)
    assert "/us" in sams_next


# --- words and counts -------------------------------------------------------------------------


async def test_a_newcomer_refused_twice_is_not_welcomed_twice(harness: BotHarness) -> None:
    kim = harness.user(3003, "Kim")
    welcome = shown(TEXTS.onboarding.welcome, first_name="Kim")
    for _ in range(2):
        replies = await kim.send("/start ABCDEFGHJK")
        assert welcome not in replies.text
        assert replies.texts == [
            f"{shown(TEXTS.pairing.refusals.unknown)}\n\n{shown(TEXTS.pairing.refused_newcomer)}"
        ]


async def test_counts_take_their_plural_form(
    settings: Settings, api: FakeBotApi, zone_finder: TimezoneFinder
) -> None:
    one_hour = settings.model_copy(update={"invite_ttl_hours": 1})
    async with BotHarness(one_hour, api=api, zone_finder=zone_finder) as harness:
        alex = await onboard(harness)
        replies = await alex.send("/pair")
    hours = TEXTS.pairing.hours.render(TEXTS.language, 1)
    assert shown(TEXTS.pairing.invite_created, hours=hours) in replies.texts


async def test_an_old_settings_panel_acts_on_the_settings_as_they_are(
    harness: BotHarness,
) -> None:
    alex = await onboard(harness)
    await alex.send("/settings")
    old_panel = alex.last_message
    await alex.send("/settings")
    await alex.press(shown(TEXTS.settings.nudge_button, state=TEXTS.settings.nudge_on))

    # The old panel still offers "turn on"; pressing it leaves it on, and shows it is on.
    await alex.press(
        shown(TEXTS.settings.nudge_button, state=TEXTS.settings.nudge_on), message=old_panel
    )

    [user] = await harness.rows(User)
    assert user.partner_nudge is True
    labels = [b["text"] for b in old_panel.buttons]
    assert shown(TEXTS.settings.nudge_button, state=TEXTS.settings.nudge_off) in labels


# --- one weekly question day per couple -------------------------------------------------------


async def test_either_partner_changes_the_couples_day_and_the_other_is_told(
    harness: BotHarness,
) -> None:
    alex = await onboard(harness)
    await alex.send("/settings")
    await alex.press(TEXTS.settings.weekly_day_button)
    await alex.press(TEXTS.settings.weekdays[5])  # Saturday, before pairing
    sam = await onboard(harness, 2002, "Sam")
    await pair(alex, sam)
    assert {u.weekly_day for u in await harness.rows(User)} == {5}  # Sam took the inviter's

    await sam.send("/settings")
    await sam.press(TEXTS.settings.weekly_day_button)
    changed = await sam.press(TEXTS.settings.weekdays[2])

    wednesday = TEXTS.settings.weekdays[2]
    lead = shown(TEXTS.settings.weekly_day_set_together, partner="Alex", day=wednesday)
    assert changed.texts[0].startswith(lead)
    told = shown(TEXTS.settings.weekly_day_changed_by_partner, partner="Sam", day=wednesday)
    assert alex.last_message.text == told
    assert {u.weekly_day for u in await harness.rows(User)} == {2}


async def test_couples_with_two_days_keep_the_inviters_and_both_are_told_once(
    harness: BotHarness, migration_round_trip: MigrationRoundTrip
) -> None:
    alex = await onboard(harness)
    sam = await onboard(harness, 2002, "Sam")
    await pair(alex, sam)  # Alex invited
    async with harness.transaction() as session:  # as before: each had picked their own day
        await session.execute(text("UPDATE users SET weekly_day = 1 WHERE telegram_id = 1001"))
        await session.execute(text("UPDATE users SET weekly_day = 4 WHERE telegram_id = 2002"))
    await migration_round_trip("0006")
    assert harness.app is not None
    services = harness.app.bot_data.services
    await services.leadership.check()

    assert await send_notices(harness.app.bot, services) == 2
    assert await send_notices(harness.app.bot, services) == 0

    tuesday = TEXTS.settings.weekdays[1]
    assert {u.weekly_day for u in await harness.rows(User)} == {1}
    assert alex.last_message.text == shown(
        TEXTS.settings.question_day_aligned, partner="Sam", day=tuesday
    )
    assert sam.last_message.text == shown(
        TEXTS.settings.question_day_aligned, partner="Alex", day=tuesday
    )
    assert all(notice.sent_at is not None for notice in await harness.rows(Notice))


# --- a step a week ----------------------------------------------------------------------------


async def test_the_next_step_is_suggested_a_week_after_the_last_was_opened(
    harness: BotHarness,
) -> None:
    alex = await onboard(harness)
    await alex.send("/learn")
    await alex.press(step_title(1))
    opened = harness.clock.now
    await alex.press(TEXTS.lessons.overview_button)
    suggested = TEXTS.date(opened + timedelta(days=7), TEXTS.checkin.day_format)
    this_week = shown(
        TEXTS.lessons.pace_this_week, step=step_title(1), next=step_title(2), day=suggested
    )
    assert this_week in alex.last_message.text
    assert harness.app is not None
    async with harness.session() as session:
        [user] = await harness.rows(User)
        practice = await current_practice(session, user, {COURSE.id: COURSE}, harness.clock.now)
    assert practice is not None
    assert practice.step.step == 1
    assert practice.next_at > opened

    harness.clock.advance(days=7)
    resumed = await alex.send("/learn")

    due = shown(TEXTS.lessons.pace_next_due, step=step_title(1), next=step_title(2))
    assert resumed.texts[0].startswith(due)
    following = await alex.press(shown(TEXTS.lessons.pace_next_button, step=step_title(2)))
    assert step_title(2) in following.text


async def test_reading_ahead_stays_possible(harness: BotHarness) -> None:
    alex = await onboard(harness)
    await alex.send("/learn")
    await alex.press(step_title(1))

    ahead = await alex.press(TEXTS.lessons.overview_button)
    await alex.press(step_title(3))

    assert step_title(3) in alex.last_message.text
    assert ahead.texts
