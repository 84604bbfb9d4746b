"""What a partner sees, said plainly; and keeping a day to oneself — through the real
Application, on SQLite and PostgreSQL.

Anna and Ivan both live in Berlin with their check-in at 21:00 (20:00 UTC in winter). They
pair on Monday 30 November 2026 at noon, so Monday is their first day as a couple; Tuesday
1 December is the day Anna keeps to herself.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.app import load_content
from bot.content import Html
from bot.storage.models import HiddenDay, SharedDay
from tests.harness import TEXTS, BotHarness, TelegramUser, shown
from tests.journeys import (
    STALE,
    answer_checkin,
    checkin_message,
    evening,
    invite_code,
    onboard,
    pair,
)
from tests.test_couple_scope import view_of
from tests.test_together import export_of, opt_in, texts_to, tips_to, together_run

WORDS = TEXTS.sharing
MONDAY, TUESDAY = date(2026, 11, 30), date(2026, 12, 1)
PAIRING = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
MONDAY_EVENING = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)  # Berlin 21:00
TUESDAY_EVENING = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)
LATER_TUESDAY = datetime(2026, 12, 1, 20, 30, tzinfo=UTC)

MONDAY_ANNA = {
    "bids_noticed": "few",
    "bids_response": "toward",
    "bids_made": "met",
    "stressed_me": "no",
    "stressed_partner": "no",
}
MONDAY_IVAN = dict(MONDAY_ANNA)
# Tuesday is the only stressful day of the week: whatever shows of stress is Tuesday's.
TUESDAY_ANNA = {
    "bids_noticed": "some",
    "bids_response": "toward",
    "bids_made": "missed",
    "stressed_me": "yes",
    "support_received": "no",
    "stressed_partner": "no",
}
TUESDAY_IVAN = {
    "bids_noticed": "few",
    "bids_response": "away",
    "bids_made": "met",
    "stressed_me": "no",
    "stressed_partner": "yes",
    "support_given": "yes",
}


async def couple(harness: BotHarness) -> tuple[TelegramUser, TelegramUser]:
    harness.clock.now = PAIRING
    anna = await onboard(harness, 1001, "Anna", "Berlin", "21:00")
    ivan = await onboard(harness, 2002, "Ivan", "Berlin", "21:00")
    await pair(anna, ivan)
    return anna, ivan


def day_title(day: date) -> str:
    return shown(TEXTS.shared_day.title, day=TEXTS.date(day, TEXTS.checkin.day_format))


def both_answered_days(harness: BotHarness, chat_id: int, day: date) -> list[str]:
    return [text for text in texts_to(harness, chat_id) if text.startswith(day_title(day))]


def short_day(day: date) -> str:
    return TEXTS.date(day, TEXTS.us.short_day_format)


async def monday_together(harness: BotHarness) -> tuple[TelegramUser, TelegramUser]:
    anna, ivan = await couple(harness)
    await evening(harness, MONDAY_EVENING)
    await answer_checkin(anna, MONDAY_ANNA)
    await answer_checkin(ivan, MONDAY_IVAN)
    return anna, ivan


# --- say what is shared ---------------------------------------------------------------------


async def test_a_new_couple_is_told_plainly_what_the_other_sees(harness: BotHarness) -> None:
    harness.clock.now = PAIRING
    anna = harness.user(1001, "Anna")
    consent = await anna.send("/start")
    # Consent: answers appear next to the partner's, where; notes and drafts never do.
    assert shown(TEXTS.onboarding.consent_question) in consent.text
    for said in ("appear next to theirs", "/us", "evening message", "weekly digest"):
        assert said in consent.text
    assert "notes and drafts never do" in consent.text
    assert "mark private" not in consent.text  # privacy is not something one switches on
    await anna.press(TEXTS.onboarding.consent_yes_button)
    await anna.send("Berlin")
    await anna.send("21:00")
    ivan = await onboard(harness, 2002, "Ivan", "Berlin", "21:00")

    code = invite_code(await anna.send("/pair"))
    asked = await ivan.send(f"/join {code}")
    assert "your check-in answers appear next to Anna's" in asked.text
    confirmed = await ivan.press(TEXTS.pairing.confirm_button)

    # Both pairing texts name the partner and say where the answers appear.
    [to_ivan] = [text for text in confirmed.texts if "now paired" in text]
    assert to_ivan.startswith(shown(TEXTS.pairing.paired_you, partner="Anna"))
    assert "your answers appear next to Anna's: in /us" in to_ivan
    [to_anna] = [text for text in texts_to(harness, 1001) if "accepted your invite" in text]
    assert to_anna.startswith(shown(TEXTS.pairing.paired_inviter, partner="Ivan"))
    assert "your answers appear next to Ivan's: in /us" in to_anna
    assert "weekly digest" in to_anna
    assert "weekly digest" in to_ivan

    # The first check-in as a couple says it again, naming the partner, with the way out.
    await evening(harness, MONDAY_EVENING)
    first = checkin_message(anna)
    assert shown(WORDS.first_checkin, partner="Ivan") in first.text
    assert "Your answers will appear next to Ivan's in /us" in first.text
    assert WORDS.keep_button in [b["text"] for b in first.buttons]
    assert shown(WORDS.first_checkin, partner="Anna") in checkin_message(ivan).text
    # Only the first: Tuesday's check-in keeps the button but not the explanation.
    await evening(harness, TUESDAY_EVENING)
    second = checkin_message(anna)
    assert second.message_id != first.message_id
    assert "appear next to" not in second.text
    assert WORDS.keep_button in [b["text"] for b in second.buttons]


async def test_someone_unpaired_gets_no_keep_button(harness: BotHarness) -> None:
    harness.clock.now = PAIRING
    anna = await onboard(harness, 1001, "Anna", "Berlin", "21:00")
    await evening(harness, MONDAY_EVENING)

    prompt = checkin_message(anna)
    assert WORDS.keep_button not in [b["text"] for b in prompt.buttons]
    assert "appear next to" not in prompt.text


async def test_settings_say_what_the_partner_sees(harness: BotHarness) -> None:
    anna, _ = await couple(harness)
    await anna.send("/settings")

    shown_text = (await anna.press(WORDS.settings_button)).text
    assert shown_text == shown(WORDS.settings_text)
    assert "in /us" in shown_text
    assert "weekly digest" in shown_text
    assert "only if you share it" in shown_text
    back = await anna.press(WORDS.back_button)
    assert back.text.startswith(shown(TEXTS.settings.summary.split("\n")[0]))


# --- keep a day to yourself ------------------------------------------------------------------


async def test_a_day_kept_before_answering_hides_both_sides_for_both(
    harness: BotHarness,
) -> None:
    anna, ivan = await monday_together(harness)
    await evening(harness, TUESDAY_EVENING)

    # Anna keeps Tuesday before answering it, then answers; Ivan answers too.
    kept = await anna.press(WORDS.keep_button, message=checkin_message(anna))
    assert shown(WORDS.checkin_kept, partner="Ivan") in kept.text
    assert WORDS.share_again_button in [b["text"] for b in checkin_message(anna).buttons]
    prompt = await answer_checkin(anna, TUESDAY_ANNA)
    done = await anna.press(TEXTS.checkin.done_button, message=prompt)
    assert shown(WORDS.checkin_kept, partner="Ivan") in done.text  # said again at the end
    await answer_checkin(ivan, TUESDAY_IVAN)

    # No both-answered message for Tuesday, to either (Monday's went out as usual).
    for chat_id in (1001, 2002):
        assert len(both_answered_days(harness, chat_id, MONDAY)) == 1
        assert both_answered_days(harness, chat_id, TUESDAY) == []
    assert {row.local_date for row in await harness.rows(SharedDay)} == {MONDAY}

    # Ivan's /us and its details: Tuesday "not shared", nothing of either answer, never who.
    not_shared = shown(WORDS.us_not_shared, days=short_day(TUESDAY))
    summary = await ivan.send("/us")
    assert not_shared in summary.text
    details = (await ivan.press(TEXTS.us.details_button)).text
    assert not_shared in details
    assert shown(TEXTS.us.harbor_section) not in details  # Tuesday was the only stressful day
    assert not any(line.startswith(f"{short_day(TUESDAY)}:") for line in details.splitlines())
    assert "Anna" not in not_shared
    # Anna's own /us says the same: the rule is symmetrical.
    assert not_shared in (await anna.send("/us")).text
    assert shown(TEXTS.us.harbor_section) not in (await anna.press(TEXTS.us.details_button)).text

    # The chart and the digest draw from the same week: nothing of Tuesday, either side.
    view = await view_of(harness, 2002)
    tuesday = view.summary.days.index(TUESDAY)
    for points in (view.summary.my_points, view.summary.partner_points):
        assert points[tuesday].bids_level is None
        assert points[tuesday].support_given is None
    assert view.summary.not_shared == (TUESDAY,)

    # Anna's own journal keeps her Tuesday answers.
    journal = (await anna.send("/journal")).text
    stressed = TEXTS.checkin.items["support_received"]
    assert (
        shown(
            TEXTS.journal.answer,
            question=Html(stressed.short),
            answer=stressed.options["no"],
        )
        in journal
    )
    # ...and so does her export; Ivan's holds none of hers.
    exported = {entry["date"]: entry["answers"] for entry in (await export_of(anna))["checkins"]}
    assert exported[TUESDAY.isoformat()] == TUESDAY_ANNA
    assert "missed" not in str((await export_of(ivan)).get("checkins"))


async def test_a_day_kept_after_its_message_went_out_says_it_cannot_be_recalled(
    harness: BotHarness,
) -> None:
    anna, ivan = await monday_together(harness)
    assert len(both_answered_days(harness, 2002, MONDAY)) == 1  # delivered to Ivan

    await anna.send("/journal")
    opened = await anna.press(shown(WORDS.open_day_button, number=1))
    assert shown(WORDS.status_shared, partner="Ivan") in opened.text
    confirmed = await anna.press(WORDS.keep_button)

    when = TEXTS.date(MONDAY, TEXTS.journal.day_format)
    assert shown(WORDS.kept, day=when, partner="Ivan") in confirmed.text
    assert shown(WORDS.kept_already_sent, day=when) in confirmed.text
    assert shown(WORDS.status_kept, partner="Ivan") in confirmed.text
    # From now on, Monday is not shared in Ivan's /us.
    us = await ivan.send("/us")
    assert shown(WORDS.us_not_shared, days=short_day(MONDAY)) in us.text
    # Ivan was told nothing of it, beyond "not shared" when he looks.
    assert not any("stays with you" in text for text in texts_to(harness, 2002))


async def test_a_day_kept_while_its_message_waits_is_never_sent(harness: BotHarness) -> None:
    """Ivan completes Tuesday late, in Anna's quiet hours: her copy waits for the morning.
    Anna keeps the day from /journal before then: the copy is withdrawn, and the
    confirmation does not claim it was delivered."""
    anna, ivan = await couple(harness)
    await evening(harness, MONDAY_EVENING)
    await answer_checkin(anna, MONDAY_ANNA)
    harness.clock.now = datetime(2026, 11, 30, 22, 0, tzinfo=UTC)  # 23:00 Berlin: quiet
    await answer_checkin(ivan, MONDAY_IVAN)
    # Both are in their quiet hours: both copies wait.
    assert both_answered_days(harness, 1001, MONDAY) == []

    await anna.send("/journal")
    await anna.press(shown(WORDS.open_day_button, number=1))
    confirmed = await anna.press(WORDS.keep_button)
    when = TEXTS.date(MONDAY, TEXTS.journal.day_format)
    assert shown(WORDS.kept_already_sent, day=when) not in confirmed.text
    assert await harness.rows(SharedDay) == []

    harness.clock.now = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # Berlin morning
    await together_run(harness)
    assert both_answered_days(harness, 1001, MONDAY) == []
    assert both_answered_days(harness, 2002, MONDAY) == []


async def test_sharing_the_day_again_brings_it_back_without_a_late_message(
    harness: BotHarness,
) -> None:
    anna, ivan = await monday_together(harness)
    await evening(harness, TUESDAY_EVENING)
    await anna.press(WORDS.keep_button, message=checkin_message(anna))
    await answer_checkin(anna, TUESDAY_ANNA)
    await answer_checkin(ivan, TUESDAY_IVAN)

    harness.clock.now = LATER_TUESDAY
    await anna.send("/journal")
    await anna.press(shown(WORDS.open_day_button, number=1))  # Tuesday, the newest
    again = await anna.press(WORDS.share_again_button)
    when = TEXTS.date(TUESDAY, TEXTS.journal.day_format)
    assert shown(WORDS.shared_again, day=when) in again.text
    assert await harness.rows(HiddenDay) == []

    us = (await ivan.send("/us")).text
    assert "Not shared" not in us
    details = (await ivan.press(TEXTS.us.details_button)).text
    assert shown(TEXTS.us.harbor_section) in details  # Tuesday's stress is back, both sides
    assert both_answered_days(harness, 2002, TUESDAY) == []


async def test_one_partner_sharing_again_does_not_undo_the_others_choice(
    harness: BotHarness,
) -> None:
    anna, ivan = await monday_together(harness)
    await evening(harness, TUESDAY_EVENING)
    await anna.press(WORDS.keep_button, message=checkin_message(anna))
    await ivan.press(WORDS.keep_button, message=checkin_message(ivan))
    await ivan.press(WORDS.share_again_button, message=checkin_message(ivan))
    await answer_checkin(anna, TUESDAY_ANNA)
    await answer_checkin(ivan, TUESDAY_IVAN)

    assert both_answered_days(harness, 2002, TUESDAY) == []
    assert shown(WORDS.us_not_shared, days=short_day(TUESDAY)) in (await ivan.send("/us")).text


async def test_forged_and_stale_keep_buttons_get_a_kind_reply(harness: BotHarness) -> None:
    anna, ivan = await monday_together(harness)
    anna_checkin = checkin_message(anna).buttons[0]["callback_data"].split(":")[1]

    # Someone else's check-in, or one that does not exist: the stale toast, nothing kept.
    for data in (f"kd:k:{anna_checkin}:0", "kd:k:999999:0", f"ci:{anna_checkin}:keep"):
        replies = await ivan.press_data(data)
        assert replies.toasts == [STALE]
    assert await harness.rows(HiddenDay) == []

    # After unpairing, the day has no one to be kept from: said kindly, nothing stored.
    await anna.send("/unpair")
    await anna.press(TEXTS.pairing.unpair_confirm_button)
    replies = await anna.press_data(f"kd:k:{anna_checkin}:0")
    assert shown(WORDS.not_paired) in replies.text
    assert await harness.rows(HiddenDay) == []


async def test_no_tip_is_drawn_from_a_kept_day(harness: BotHarness) -> None:
    anna, ivan = await couple(harness)
    await opt_in(harness, anna, ivan)
    stressed = {**MONDAY_ANNA, "stressed_me": "yes", "support_received": "somewhat"}
    stressed = {key: stressed[key] for key in TUESDAY_ANNA}  # in the order asked
    # Monday, shared: Anna's stressful day brings Ivan one quiet tip, once he has answered.
    await evening(harness, MONDAY_EVENING)
    await answer_checkin(anna, stressed)
    await answer_checkin(ivan, MONDAY_IVAN)
    harness.clock.advance(minutes=5)
    await together_run(harness)
    assert len(tips_to(harness, 2002)) == 1

    # Tuesday, kept by Anna before answering: nothing of it reaches Ivan, not even a tip.
    await evening(harness, TUESDAY_EVENING)
    await anna.press(WORDS.keep_button, message=checkin_message(anna))
    await answer_checkin(anna, stressed)
    await answer_checkin(ivan, MONDAY_IVAN)
    harness.clock.advance(minutes=5)
    await together_run(harness)
    assert len(tips_to(harness, 2002)) == 1


def test_every_language_says_what_is_shared_naming_the_partner() -> None:
    """The consent, both pairing texts and the first check-in, in each shipped language:
    /us and the partner's name are in each (the rest is read by people, not tests)."""
    for language, content in load_content().languages.items():
        texts = content.texts
        assert "/us" in texts.onboarding.consent_question, language
        for template in (
            texts.pairing.paired_you,
            texts.pairing.paired_inviter,
            texts.sharing.first_checkin,
        ):
            assert "/us" in template, language
            assert "{partner}" in template, language
        assert "{inviter}" in texts.pairing.confirm_question, language
        assert "/us" in texts.pairing.confirm_question, language


async def test_talk_about_it_no_longer_opens_a_day_kept_since(harness: BotHarness) -> None:
    anna, ivan = await couple(harness)
    await evening(harness, MONDAY_EVENING)
    await answer_checkin(anna, {**MONDAY_ANNA, "bids_made": "missed"})  # they saw it apart
    await answer_checkin(ivan, MONDAY_IVAN)
    assert len(both_answered_days(harness, 2002, MONDAY)) == 1

    await anna.send("/journal")
    await anna.press(shown(WORDS.open_day_button, number=1))
    await anna.press(WORDS.keep_button)

    replies = await ivan.press(TEXTS.shared_day.talk_button)
    assert replies.toasts == [STALE]
