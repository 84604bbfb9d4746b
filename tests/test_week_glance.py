"""/us at a glance, its details, the chart and the weekly digest, through the real Application."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from PIL import Image

from bot.charts import DRAWING_KEY
from bot.content import Html
from bot.storage.models import Checkin
from tests.harness import TEXTS, BotHarness, TelegramUser, shown, shown_count
from tests.journeys import COURSE, QUIET_DAY, answer_checkin, evening, onboard, pair
from tests.telegram_fake import BotMessage

WORDS = TEXTS.us
# Sunday 22 to Saturday 28 November 2026; the weekly question (and digest) is on Sundays.
FIRST_EVENING = datetime(2026, 11, 22, 20, 0, tzinfo=UTC)


def a_day(n: int, *, giver: bool) -> dict[str, str]:
    """Varied answers: bids missed now and then, stress on most days, views that differ."""
    return {
        "bids_noticed": ("few", "some", "many")[n % 3],
        "bids_response": "missed" if n % 3 == 0 and giver else "toward",
        "bids_made": "missed" if n % 2 else "met",
        "stressed_me": "yes",
        "support_received": ("no", "yes", "somewhat")[n % 3],
        "stressed_partner": "yes",
        "support_given": "yes" if giver else ("no", "yes")[n % 2],
    }


async def a_full_week(harness: BotHarness) -> tuple[TelegramUser, TelegramUser]:
    harness.clock.now = FIRST_EVENING - timedelta(hours=8)
    alex = await onboard(harness, 1001, "Alex", "London", "20:00")
    sam = await onboard(harness, 2002, "Sam", "London", "20:00")
    await pair(alex, sam)
    for n in range(7):
        await evening(harness, FIRST_EVENING + timedelta(days=n))
        for person, giver in ((alex, True), (sam, False)):
            prompt = await answer_checkin(person, a_day(n, giver=giver))
            if "encouraged_partner" in " ".join(b["callback_data"] for b in prompt.buttons):
                await answer_checkin(
                    person, {"encouraged_partner": "yes", "felt_encouraged": "no"}, message=prompt
                )
            await person.press(TEXTS.checkin.note_button, message=prompt)
            await person.send(f"{person.first_name}'s thoughts on day {n}, at some length " * 3)
    harness.clock.now = FIRST_EVENING + timedelta(days=6, hours=2)
    return alex, sam


async def test_the_first_screen_of_a_full_week_reads_at_a_glance(harness: BotHarness) -> None:
    alex, _ = await a_full_week(harness)

    replies = await alex.send("/us")

    [text] = replies.texts
    assert len(text) <= 600, f"{len(text)} characters:\n{text}"
    landed = WORDS.landed
    sunday = TEXTS.date(date(2026, 11, 22), WORDS.short_day_format)
    first_gap = shown(landed.gap_day, mark=landed.bids_mark, day=sunday)
    assert shown(landed.gaps_title, days=Html(first_gap)).split(first_gap)[0] + first_gap in text
    assert shown(landed.gap_note) in text
    assert shown_count(landed.both_checked_in, 7) in text
    for gottman in ("86", "Gottman", "divorce"):
        assert gottman not in text

    details = (await alex.press(WORDS.details_button)).texts[0]
    assert len(details) <= 4096
    assert shown(WORDS.differences_hint) in details
    # Named in the details: the day, the thing and the direction; and who checked in when.
    assert shown(WORDS.differences.bids_gave_partner, day=sunday, partner="Sam") in details
    assert shown(WORDS.showing_up, mine=7, partner="Sam", theirs=7) in details
    assert "Alex's thoughts on day 6" in details
    for gottman in ("86", "Gottman", "divorce"):
        assert gottman not in details
    # The figure lives in the course, as context for bids.
    step2 = COURSE.step_section(2)
    assert step2 is not None
    assert any("86%" in card.text and "Gottman" in card.text for card in step2.cards)


async def test_moments_count_in_the_week(harness: BotHarness) -> None:
    alex = await onboard(harness, 1001, "Alex", "Berlin")
    await alex.send("/bid")
    await alex.press(TEXTS.moments.bid_noticed_button)
    await alex.press(TEXTS.moments.outcomes["bid_noticed"]["toward"])
    await alex.send("/stress")
    await alex.press(TEXTS.moments.stress_partner_button)
    await alex.press(TEXTS.moments.outcomes["stress_partner"]["somewhat"])

    text = (await alex.send("/us")).texts[0]

    landed = WORDS.landed
    once = shown_count(landed.times, 1)
    assert shown(landed.bids, times=once) in text
    # "Somewhat" there for the partner is shown as partly, never as 0 of 1.
    assert shown(landed.solo_harbor, times=shown(landed.only_partly, partly=once)) in text
    details = (await alex.press(WORDS.details_button)).texts[0]
    assert shown_count(landed.tally_only_partly, 1, partly=1) in details
    assert shown_count(WORDS.moments, 2) in details
    assert shown(WORDS.nothing_yet) not in text

    drawing = await chart_drawing(alex)
    assert any(TEXTS.us.chart_logged == entry for entry in drawing["legend"])


async def test_counts_take_their_plural_forms(harness: BotHarness) -> None:
    alex = await onboard(harness, 1001, "Alex", "Berlin")
    await evening(harness, datetime(2026, 11, 27, 20, 0, tzinfo=UTC))
    day = {
        "bids_noticed": "few",
        "bids_response": "toward",
        "bids_made": "none",
        "stressed_me": "no",
        "stressed_partner": "no",
    }
    await answer_checkin(alex, day)
    await alex.send("/bid")
    await alex.press(TEXTS.moments.bid_made_button)
    await alex.press(TEXTS.moments.outcomes["bid_made"]["met"])

    text = (await alex.send("/us")).texts[0]

    landed = WORDS.landed
    one_day = shown_count(landed.solo_checked_in, 1)
    assert one_day in text
    assert one_day != shown_count(landed.solo_checked_in, 2).replace("2", "1")
    assert shown(landed.bids, times=shown_count(landed.times, 1)) in text
    details = (await alex.press(WORDS.details_button)).texts[0]
    assert shown_count(WORDS.tally, 1, good=1) in details
    assert shown_count(WORDS.moments, 1) in details


async def test_a_day_you_can_no_longer_answer_is_not_hidden_behind_your_answer(
    harness: BotHarness,
) -> None:
    harness.clock.now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    alex = await onboard(harness, 1001, "Alex", "Berlin")
    sam = await onboard(harness, 2002, "Sam", "Berlin")
    await pair(alex, sam)
    await evening(harness, datetime(2026, 11, 24, 20, 0, tzinfo=UTC))
    await answer_checkin(sam, QUIET_DAY)  # Alex never answers Tuesday
    await evening(harness, datetime(2026, 11, 25, 20, 0, tzinfo=UTC))
    await alex.press(TEXTS.checkin.skip_button)  # and skips Wednesday

    text = (await alex.send("/us")).texts[0]

    assert shown_count(WORDS.hidden, 1, partner="Sam") not in text
    assert shown(WORDS.landed.both_not_yet) in text
    details = (await alex.press(WORDS.details_button)).texts[0]
    assert shown(WORDS.showing_up, mine=0, partner="Sam", theirs=1) in details


async def chart_drawing(person: TelegramUser) -> dict[str, Any]:
    """Press "Chart" under the newest week message; what the chart sent drew."""
    before = len(person.chat)
    await person.press(WORDS.chart_button)
    [photo] = [m for m in person.chat[before:] if m.kind == "photo"]
    return drawing_of(photo)


def drawing_of(photo: BotMessage) -> dict[str, Any]:
    assert photo.file is not None
    with Image.open(io.BytesIO(photo.file[1])) as image:
        image.load()
        return dict(json.loads(image.info[DRAWING_KEY]))


async def test_each_partner_keeps_one_colour_on_both_phones_and_a_chart_is_sent_once(
    harness: BotHarness,
) -> None:
    alex, sam = await a_full_week(harness)
    await alex.send("/us")
    await sam.send("/us")

    alex_sees = await chart_drawing(alex)
    sam_sees = await chart_drawing(sam)

    you = TEXTS.us.chart_you
    assert alex_sees["colors"][you] == sam_sees["colors"]["Alex"]
    assert sam_sees["colors"][you] == alex_sees["colors"]["Sam"]
    assert len(alex_sees["colors"][you]) == 1
    assert alex_sees["colors"][you] != alex_sees["colors"]["Sam"]
    for drawing in (alex_sees, sam_sees):
        assert drawing["inside_axes"]
        # Ranges drawn as the ranges the question offered; support as its three answers.
        assert drawing["y_ticks"] == [WORDS.chart_bids_levels, WORDS.chart_support_levels]
        for mark in (WORDS.chart_toward, WORDS.chart_not_toward, WORDS.chart_no_checkin):
            assert mark in drawing["legend"]

    # The same picture is not sent twice; another week's is.
    again = await alex.press(WORDS.chart_button)
    assert "sendPhoto" not in again.methods
    assert again.toasts == [WORDS.chart_already_sent]
    harness.clock.advance(days=7)
    await alex.send("/us")
    assert (await alex.press(WORDS.chart_button)).methods.count("sendPhoto") == 1
    await alex.press(WORDS.earlier_button)
    other_week = await alex.press(WORDS.chart_button)
    assert other_week.methods.count("sendPhoto") == 1


async def test_the_digest_waits_for_a_week_and_is_no_check_in(harness: BotHarness) -> None:
    # Alex starts on a Sunday, the weekly day: no digest that evening.
    harness.clock.now = FIRST_EVENING - timedelta(hours=8)
    alex = await onboard(harness, 1001, "Alex", "London", "20:00")
    digest = shown(WORDS.digest_intro)
    await evening(harness, FIRST_EVENING)
    assert not any(m.text.startswith(digest) for m in alex.chat)
    for n in range(1, 7):
        await evening(harness, FIRST_EVENING + timedelta(days=n))
        await answer_checkin(alex, QUIET_DAY)

    await evening(harness, FIRST_EVENING + timedelta(days=7))

    [sent] = [m for m in alex.chat if m.text.startswith(digest)]
    assert shown_count(WORDS.landed.solo_checked_in, 6) in sent.text
    digests = await harness.rows(Checkin, Checkin.kind == "digest")
    assert [d.sent_at is not None for d in digests] == [False, True]
    await alex.send("/export")
    [document] = [m for m in alex.chat if m.kind == "document"]
    assert document.file is not None
    exported = json.loads(document.file[1])
    assert len(exported["checkins"]) == 8  # the evenings (22 to 29 Nov), not the digests
    assert [d["date"] for d in exported["weekly_digests"]] == ["2026-11-29"]
