"""A quiet way out (issue 25), through the real Application and the fake Bot API.

Anna and Ivan live in Berlin (UTC+1), check-ins at 21:00; Ivan asked to be told when Anna has
checked in, and both take the safe-haven tips. Anna pauses sharing: Ivan is told nothing, and
nothing of hers reaches him (her answers, her note, the both-answered day, the nudge, a tip,
/talk, /thanks); his /us and his digest read like a quiet week and never name a pause, in any
language's words. The days of the pause stay unshared after she resumes; what comes after is
shared again. Ending quietly, with /unpair or /delete, sends Ivan nothing at all, and what he
sees afterwards never names who ended it. /support fits a chat message everywhere.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from bot.storage.models import Couple, SharedDay, TalkQuestion, User
from bot.views.helplines import HelpView, visible_length
from tests.harness import TEXTS, BotHarness, TelegramUser, shipped_content, shown
from tests.journeys import HELPLINES, QUIET_DAY, answer_checkin, checkin_day, evening, onboard, pair
from tests.telegram_fake import visible_text
from tests.test_couple_scope import everything_to, view_of
from tests.test_together import opt_in, tips_to, together_run

CONTENT = shipped_content()
QUIET = TEXTS.quiet
ANNA, IVAN = 1001, 2002
MORNING = datetime(2026, 11, 27, 11, 0, tzinfo=UTC)  # Friday, Berlin 12:00
FRIDAY_EVENING = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)  # Berlin 21:00
SUNDAY_EVENING = datetime(2026, 11, 29, 20, 0, tzinfo=UTC)  # the weekly digest
MONDAY_EVENING = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)
ANNAS_NOTE = "I need some room from Ivan right now"
ANNAS_DAY = {
    "bids_noticed": "none",
    "bids_made": "none",
    "stressed_me": "yes",
    "support_received": "no",
    "stressed_partner": "no",
}
# What would name a pause, in each language (the partner's texts must hold none of them).
PAUSE_WORDS = re.compile(
    r"paus|angehalten|anhalten|dejad[oa] de compartir|deja de compartir|"
    r"пауз|останов|не делиться",
    re.IGNORECASE,
)


def told_since(harness: BotHarness, chat_id: int, since: int) -> list[str]:
    """Every text the bot sent (or edited) to this person after API call ``since``."""
    return [
        visible_text(call.text or call.params.get("caption") or "", call.params.get("parse_mode"))
        for call in harness.api.calls[since:]
        if call.chat_id == chat_id and call.status == 200
    ]


async def anna_and_ivan(harness: BotHarness) -> tuple[TelegramUser, TelegramUser]:
    harness.clock.now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    anna = await onboard(harness, ANNA, "Anna", "Berlin", "21:00")
    ivan = await onboard(harness, IVAN, "Ivan", "Berlin", "21:00")
    await pair(anna, ivan)
    await evening(harness, MORNING)  # the missed evenings are not sent; the next is tonight
    harness.clock.now = datetime(2026, 11, 27, 18, 0, tzinfo=UTC)
    await opt_in(harness, anna, ivan)
    await ivan.send("/settings")
    await ivan.press(shown(TEXTS.settings.nudge_button, state=TEXTS.settings.nudge_on))
    return anna, ivan


async def test_a_pause_shares_nothing_either_way_and_the_partner_is_never_told(
    harness: BotHarness,
) -> None:
    anna, ivan = await anna_and_ivan(harness)
    before = len(harness.api.calls)

    await anna.send("/settings")
    paused = await anna.press(QUIET.pause_button)

    assert paused.texts[0].startswith(shown(QUIET.paused, partner="Ivan"))
    assert QUIET.resume_button in [b["text"] for b in anna.last_message.buttons]
    assert told_since(harness, IVAN, before) == []  # not a word to Ivan

    # Friday: Anna has a hard day, writes a note and tries to share it; Ivan answers after her.
    await evening(harness, FRIDAY_EVENING)
    await answer_checkin(anna, ANNAS_DAY, note=ANNAS_NOTE)
    kept = await anna.press(TEXTS.notes.share_button)
    assert kept.texts == [shown(QUIET.note_kept)]
    await answer_checkin(ivan, QUIET_DAY)
    assert await harness.rows(SharedDay) == []  # no both-answered day
    harness.clock.advance(minutes=10)
    await together_run(harness)
    assert tips_to(harness, IVAN) == []  # no tip about Anna's day

    # Ivan's screens: a quiet week, nothing that names a pause or who.
    us = await ivan.send("/us")
    assert shown(QUIET.nothing_new) in us.text
    thanks = await ivan.send("/thanks")
    assert thanks.texts == [shown(CONTENT.together.thanks.not_sharing)]
    talk = await ivan.send("/talk")
    assert talk.texts == [shown(QUIET.nothing_to_talk)]
    # Symmetrical: Anna sees nothing of Ivan's either, and cannot send him anything.
    assert shown(QUIET.nothing_new) in (await anna.send("/us")).text
    assert (await anna.send("/talk")).texts == [shown(QUIET.nothing_to_talk)]
    for telegram_id in (ANNA, IVAN):
        view = await view_of(harness, telegram_id)
        assert view.partner is None
        assert view.summary.partner is None

    await ivan.send("/learn")  # the course is his own: no line about Anna's progress
    # Sunday: the weekly question is not asked; Ivan's digest is his own week.
    await evening(harness, datetime(2026, 11, 28, 20, 0, tzinfo=UTC))
    await evening(harness, SUNDAY_EVENING)
    await together_run(harness)
    assert await harness.rows(TalkQuestion) == []  # no weekly question while paused
    digests = [t for t in told_since(harness, IVAN, before) if t.startswith(QUIET.digest_intro)]
    assert len(digests) == 1, told_since(harness, IVAN, before)
    assert shown(QUIET.nothing_new) in digests[0]

    to_ivan = told_since(harness, IVAN, before)
    nudge = shown(TEXTS.checkin.partner_nudge, partner="Anna")
    assert nudge not in to_ivan
    everything = "\n".join(to_ivan)
    assert ANNAS_NOTE not in everything
    assert PAUSE_WORDS.search(everything) is None, PAUSE_WORDS.search(everything)
    assert "Anna" not in everything  # nothing of hers, not even her name, since the pause
    # /partner says what it always says: still paired, nothing about sharing.
    partner = await ivan.send("/partner")
    since = TEXTS.date(date(2026, 11, 20), TEXTS.pairing.since_format)
    assert partner.texts == [shown(TEXTS.pairing.partner_status, partner="Anna", since=since)]
    assert PAUSE_WORDS.search(partner.text) is None

    # Resumed: what comes next is shared again; Friday stays unshared.
    await anna.send("/settings")
    resumed = await anna.press(QUIET.resume_button)
    assert resumed.texts[0].startswith(shown(QUIET.resumed, partner="Ivan"))
    await evening(harness, MONDAY_EVENING)  # (Sunday's check-in left unanswered)
    await answer_checkin(anna, QUIET_DAY)
    assert nudge in told_since(harness, IVAN, before)  # the nudge is back
    await answer_checkin(ivan, QUIET_DAY)
    monday = shown(TEXTS.shared_day.title, day=checkin_day(date(2026, 11, 30)))
    assert monday in everything_to(harness, IVAN)
    view = await view_of(harness, IVAN)
    assert view.summary.partner is not None
    assert view.summary.partner.checked_in_days == 1  # Monday; Friday was kept back
    assert ANNAS_NOTE not in everything_to(harness, IVAN)
    [couple] = await harness.rows(Couple)
    assert couple.unshared_days == '[["2026-11-27", "2026-11-29"]]'


async def test_ivan_pausing_hides_his_side_from_anna_too(harness: BotHarness) -> None:
    anna, ivan = await anna_and_ivan(harness)
    await ivan.send("/settings")
    await ivan.press(QUIET.pause_button)

    await evening(harness, FRIDAY_EVENING)
    await answer_checkin(ivan, ANNAS_DAY)
    await answer_checkin(anna, QUIET_DAY)

    assert await harness.rows(SharedDay) == []
    assert (await view_of(harness, ANNA)).summary.partner is None
    thanks = await anna.send("/thanks")
    assert thanks.texts == [shown(CONTENT.together.thanks.not_sharing)]


async def neutral_afterwards(harness: BotHarness, ivan: TelegramUser, since: int) -> None:
    """Ivan was sent nothing; his /us, /partner, /thanks and /talk never name Anna."""
    assert told_since(harness, IVAN, since) == []
    partner = await ivan.send("/partner")
    assert partner.texts == [shown(QUIET.sharing_ended)]
    seen = [partner.text]
    for command in ("/us", "/thanks", "/talk"):
        seen.append((await ivan.send(command)).text)
    for text in seen:
        assert "Anna" not in text
        assert PAUSE_WORDS.search(text) is None
    everything = everything_to(harness, IVAN)
    assert shown(TEXTS.pairing.unpaired_partner, partner="Anna") not in everything


async def test_ending_quietly_with_unpair_tells_the_partner_nothing(harness: BotHarness) -> None:
    anna, ivan = await anna_and_ivan(harness)
    before = len(harness.api.calls)

    question = await anna.send("/unpair")
    assert shown(QUIET.unpair_hint, partner="Ivan") in question.text
    ended = await anna.press(QUIET.unpair_quiet_button)

    assert ended.texts == [shown(QUIET.unpaired_quietly, partner="Ivan")]
    [couple] = await harness.rows(Couple)
    assert couple.ended_at is not None
    assert couple.ended_quietly
    await neutral_afterwards(harness, ivan, before)
    # Anna's own /partner reads the same.
    assert (await anna.send("/partner")).texts == [shown(QUIET.sharing_ended)]


async def test_deleting_quietly_tells_the_partner_nothing(harness: BotHarness) -> None:
    anna, ivan = await anna_and_ivan(harness)
    before = len(harness.api.calls)

    question = await anna.send("/delete")
    assert shown(QUIET.delete_hint) in question.text
    await anna.press(QUIET.delete_quiet_button)

    assert [user.first_name for user in await harness.rows(User)] == ["Ivan"]
    await neutral_afterwards(harness, ivan, before)


async def test_the_normal_buttons_still_tell_the_partner(harness: BotHarness) -> None:
    anna, ivan = await anna_and_ivan(harness)
    await anna.send("/unpair")
    await anna.press(TEXTS.pairing.unpair_confirm_button)

    assert ivan.last_message.text == shown(TEXTS.pairing.unpaired_partner, partner="Anna")
    [couple] = await harness.rows(Couple)
    assert not couple.ended_quietly


async def test_pausing_while_unpaired_pauses_nothing(harness: BotHarness) -> None:
    anna = await onboard(harness, ANNA, "Anna")
    await anna.send("/settings")
    await anna.press(QUIET.pause_button)

    [user] = await harness.rows(User)
    assert user.sharing_paused_at is None
    assert QUIET.pause_button in [b["text"] for b in anna.last_message.buttons]


# --- /support -----------------------------------------------------------------------------------


def test_support_fits_a_chat_message_in_every_language_and_country() -> None:
    """At most 900 visible characters once the helplines are filled in; one's own help and a
    violence line before couples therapy; the quiet way out named."""
    longest: dict[str, int] = {}
    for code, language in CONTENT.languages.items():
        for country in [*HELPLINES.countries, None]:
            view = HelpView(language.texts, HELPLINES, country)
            text = view.support()
            length = visible_length(text)
            assert length <= 900, (code, country, length)
            longest[code] = max(longest.get(code, 0), length)
            unsafe, ongoing = text.index("🛟"), text.index("🛋")
            assert text.index(view.block()) < unsafe < ongoing, (code, country)
            assert "/settings" in text[unsafe:ongoing]
            assert "/unpair" in text[unsafe:ongoing]
    print("longest /support, visible characters:", longest)


async def test_a_day_waiting_for_the_morning_is_not_sent_once_sharing_is_paused(
    harness: BotHarness,
) -> None:
    anna, ivan = await anna_and_ivan(harness)
    await evening(harness, FRIDAY_EVENING)
    await answer_checkin(anna, QUIET_DAY)
    harness.clock.now = datetime(2026, 11, 27, 22, 0, tzinfo=UTC)  # Berlin 23:00: night
    await answer_checkin(ivan, QUIET_DAY)
    assert len(await harness.rows(SharedDay)) == 2  # both copies wait for the morning

    await ivan.send("/settings")
    await ivan.press(QUIET.pause_button)
    harness.clock.now = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)  # Berlin 09:00
    await together_run(harness)

    friday = shown(TEXTS.shared_day.title, day=checkin_day(date(2026, 11, 27)))
    assert friday not in everything_to(harness, ANNA)
    assert friday not in everything_to(harness, IVAN)
    assert await harness.rows(SharedDay) == []


async def test_sharing_comes_back_only_once_neither_has_paused(harness: BotHarness) -> None:
    anna, ivan = await anna_and_ivan(harness)
    harness.clock.now = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    await anna.send("/settings")
    await anna.press(QUIET.pause_button)
    harness.clock.now = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    await ivan.send("/settings")
    await ivan.press(QUIET.pause_button)
    harness.clock.now = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
    await anna.send("/settings")
    await anna.press(QUIET.resume_button)

    [couple] = await harness.rows(Couple)
    assert couple.unshared_days == '[["2026-11-27", null]]'  # Ivan's pause holds
    assert (await view_of(harness, ANNA)).partner is None

    harness.clock.now = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    await ivan.send("/settings")
    await ivan.press(QUIET.resume_button)
    [couple] = await harness.rows(Couple)
    assert couple.unshared_days == '[["2026-11-27", "2026-11-30"]]'
    assert (await view_of(harness, ANNA)).partner is not None
    # Her own export holds her pause as it stands (none now).
    await anna.send("/export")
    [document] = [m for m in anna.chat if m.kind == "document"]
    assert document.file is not None
    assert '"sharing_paused_at": null' in document.file[1].decode()


async def test_the_days_of_a_pause_do_not_count_in_the_couple_streak(harness: BotHarness) -> None:
    anna, ivan = await anna_and_ivan(harness)
    harness.clock.now = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    await anna.send("/settings")
    await anna.press(QUIET.pause_button)
    for day in (27, 28, 29):
        if day == 28:
            harness.clock.now = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
            await anna.send("/settings")
            await anna.press(QUIET.resume_button)  # Friday and Saturday stay unshared
        await evening(harness, datetime(2026, 11, day, 20, 0, tzinfo=UTC))
        await answer_checkin(anna, QUIET_DAY)
        await answer_checkin(ivan, QUIET_DAY)

    for telegram_id in (ANNA, IVAN):
        summary = (await view_of(harness, telegram_id)).summary
        assert summary.partner is not None
        assert summary.partner.checked_in_days == 1
        assert summary.streak == 1  # Sunday only


def test_what_the_partner_may_read_names_no_pause_in_any_language() -> None:
    """The neutral texts, in all four languages: none holds a word of pausing, nor a name."""
    for code, language in CONTENT.languages.items():
        quiet, thanks = language.texts.quiet, language.together.thanks
        for text in (
            quiet.nothing_new,
            quiet.digest_intro,
            quiet.nothing_to_talk,
            quiet.note_kept,
            quiet.sharing_ended,
            thanks.not_sharing,
        ):
            assert PAUSE_WORDS.search(text) is None, (code, text)
            assert "{partner}" not in text, (code, text)
