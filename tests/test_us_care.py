"""/us and the weekly digest lead with what landed, in every language: a couple's first week
read as they would read it — no bare zero, no "you N, partner M", "partly" shown as partly,
a day seen differently named as a difference in view. Through the real Application."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from bot.content import Texts
from tests.harness import BotHarness, TelegramUser, shipped_content, shown
from tests.journeys import checkin_message, evening, invite_code
from tests.telegram_fake import BotMessage, visible_text

CONTENT = shipped_content()
LANGUAGES = sorted(CONTENT.languages)
# Telegram allows first names of up to 64 characters: the worst case for a screen's length.
LONG_A = "Maximiliane-Alexandrina Wilhelmina Ottilie Friederike Sophie Ann"
LONG_B = "Konstantin-Alexander Wladimirowitsch Bartholomäus Theodor Maximi"
# Sunday 22 November 2026, the couple's weekly day (the weekly question and the digest).
FIRST_EVENING = datetime(2026, 11, 22, 20, 0, tzinfo=UTC)
FIRST_SCREEN_LIMIT = 600

# A standalone 0 (not part of 10, 20, a date or a time), and any "N of M" tally.
BARE_ZERO = re.compile(r"(?<![\d.,:/])0(?![\d.,:/])")
N_OF_M = re.compile(r"\d+\s+(?:of|von|de|из)\s+\d+", re.IGNORECASE)

# The week, day by day (0 = Sunday): what A and B answer. Items not asked (no bids noticed,
# no stress) are left out, as the check-in leaves them out.
WEEK: list[tuple[dict[str, str] | None, dict[str, str] | None]] = [
    # Sunday (weekly): "partly" met bids and "somewhat" there for A; encouragement both ways.
    (
        {
            "bids_noticed": "few",
            "bids_response": "toward",
            "bids_made": "partly",
            "stressed_me": "yes",
            "support_received": "somewhat",
            "stressed_partner": "no",
            "encouraged_partner": "yes",
            "felt_encouraged": "somewhat",
        },
        {
            "bids_noticed": "some",
            "bids_response": "toward",
            "bids_made": "met",
            "stressed_me": "no",
            "stressed_partner": "yes",
            "support_given": "somewhat",
            "encouraged_partner": "yes",
            "felt_encouraged": "yes",
        },
    ),
    # Monday: A had a hard day and B was there.
    (
        {
            "bids_noticed": "none",
            "bids_made": "met",
            "stressed_me": "yes",
            "support_received": "yes",
            "stressed_partner": "no",
        },
        {
            "bids_noticed": "few",
            "bids_response": "toward",
            "bids_made": "none",
            "stressed_me": "no",
            "stressed_partner": "yes",
            "support_given": "yes",
        },
    ),
    # Tuesday: a one-sided bid (B made one, A noticed none).
    (
        {
            "bids_noticed": "none",
            "bids_made": "none",
            "stressed_me": "no",
            "stressed_partner": "no",
        },
        {
            "bids_noticed": "none",
            "bids_made": "missed",
            "stressed_me": "no",
            "stressed_partner": "no",
        },
    ),
    # Wednesday: B felt there for A; A felt alone.
    (
        {
            "bids_noticed": "none",
            "bids_made": "none",
            "stressed_me": "yes",
            "support_received": "no",
            "stressed_partner": "no",
        },
        {
            "bids_noticed": "none",
            "bids_made": "none",
            "stressed_me": "no",
            "stressed_partner": "yes",
            "support_given": "yes",
        },
    ),
    # Thursday: only A checks in, a day with no stress at all.
    (
        {
            "bids_noticed": "none",
            "bids_made": "none",
            "stressed_me": "no",
            "stressed_partner": "no",
        },
        None,
    ),
    # Friday: two more days seen differently (a bid, a hard moment).
    (
        {
            "bids_noticed": "few",
            "bids_response": "toward",
            "bids_made": "none",
            "stressed_me": "yes",
            "support_received": "no",
            "stressed_partner": "no",
        },
        {
            "bids_noticed": "none",
            "bids_made": "missed",
            "stressed_me": "no",
            "stressed_partner": "yes",
            "support_given": "yes",
        },
    ),
    # Saturday: only B, so far (A can still answer: B's day waits for A's).
    (
        None,
        {
            "bids_noticed": "none",
            "bids_made": "none",
            "stressed_me": "no",
            "stressed_partner": "no",
        },
    ),
]


def texts_of(code: str) -> Texts:
    return CONTENT.languages[code].texts


async def start_in(harness: BotHarness, user_id: int, name: str, code: str) -> TelegramUser:
    texts = texts_of(code)
    person = harness.user(user_id, name, language_code=code)
    await person.send("/start")
    await person.press(texts.onboarding.consent_yes_button)
    await person.send("Berlin")
    await person.send("21:00")
    return person


async def answer(person: TelegramUser, answers: dict[str, str]) -> None:
    """Tap ``answers`` on the newest check-in by the buttons' data (any language)."""
    prompt = checkin_message(person)
    for item, value in answers.items():
        [data] = [
            b["callback_data"]
            for b in prompt.buttons
            if b["callback_data"].endswith(f":a:{item}:{value}")
        ]
        await person.press_data(data, message=prompt)


def lead_problems(text: str, texts: Texts, partner: str) -> list[str]:
    """What the first screen must never show: a bare zero, an "N of M" tally, the partner's
    name next to a count (a "you N, partner M" line), more than the limit."""
    problems = []
    if len(text) > FIRST_SCREEN_LIMIT:
        problems.append(f"{len(text)} characters")
    if BARE_ZERO.search(text):
        problems.append("a bare zero")
    if N_OF_M.search(text):
        problems.append(f"a tally: {N_OF_M.search(text)}")
    # The only line that may name the partner is the one about their days still hidden.
    hidden = [
        visible_text(texts.us.hidden.render(texts.language, count, partner=partner), "HTML")
        for count in range(1, 8)
    ]
    rest = text
    for line in hidden:
        rest = rest.replace(line, "")
    if partner in rest:
        problems.append("the partner's name beside the week's figures")
    return problems


def week_message(person: TelegramUser, texts: Texts) -> BotMessage:
    title = texts.us.title.split("<b>")[0]
    return next(m for m in reversed(person.chat) if m.text.startswith(title))


@pytest.mark.parametrize("code", LANGUAGES)
async def test_a_couples_first_week_leads_with_what_landed(harness: BotHarness, code: str) -> None:
    texts = texts_of(code)
    words, landed = texts.us, texts.us.landed
    harness.clock.now = FIRST_EVENING - timedelta(hours=8)
    a = await start_in(harness, 1001, LONG_A, code)
    b = await start_in(harness, 2002, LONG_B, code)
    link = invite_code(await a.send("/pair"))
    await b.send(f"/join {link}")
    await b.press(texts.pairing.confirm_button)

    moments, thanks = texts.moments, CONTENT.languages[code].together.thanks
    for n, (for_a, for_b) in enumerate(WEEK):
        await evening(harness, FIRST_EVENING + timedelta(days=n))
        for person, answers in ((a, for_a), (b, for_b)):
            if answers is not None:
                await answer(person, answers)
        if n == 0:  # A logs a bid turned toward as it happened (Sunday's answer says so too)
            await a.send("/bid")
            await a.press(moments.bid_noticed_button)
            await a.press(moments.outcomes["bid_noticed"]["toward"])
        if n == 1:  # A's appreciation, answered by B: a matched bid
            await a.send("/thanks for the soup")
            await b.press(thanks.thank_button)
    harness.clock.now = FIRST_EVENING + timedelta(days=6, hours=2)

    # A's first screen: what landed, for the two of them.
    replies = await a.send("/us")
    [text] = replies.texts
    assert lead_problems(text, texts, LONG_B) == [], text
    assert shown(landed.both_checked_in.render(texts.language, 5)) in text
    once = shown(landed.times.render(texts.language, 1))
    # Bids: A turned toward B's on Sunday, B toward A's on Monday, B answered A's
    # appreciation; B turned toward A's on Sunday only partly, as A felt it.
    three = shown(landed.times.render(texts.language, 3))
    full_and_partly = shown(landed.full_and_partly, full=three, partly=once)
    assert shown(landed.bids, times=full_and_partly) in text
    # Being there: on Monday; on Sunday "somewhat" — shown as partly, never as "0 of 1".
    assert shown(landed.harbor, times=shown(landed.full_and_partly, full=once, partly=once)) in text
    # The days seen differently, named as a difference in view, with "talk about it".
    assert shown(landed.gap_note) in text
    assert shown(landed.more_gaps.render(texts.language, 1)) in text
    assert words.talk_button in [button["text"] for button in replies.calls[0].buttons]
    # B's Saturday waits for A's answer: said, without why.
    assert shown(words.hidden.render(texts.language, 1, partner=LONG_B)) in text

    # The honest figures, per person, are one button away.
    details = (await a.press(words.details_button, message=week_message(a, texts))).texts[0]
    assert shown(words.showing_up, mine=6, partner=LONG_B, theirs=6) in details
    differences = words.differences
    wednesday = texts.date(FIRST_EVENING.date() + timedelta(days=3), words.short_day_format)
    assert shown(differences.harbor_got_partner, day=wednesday, partner=LONG_B) in details

    # B's first screen, after B's Saturday: the same lead, from B's side.
    b_text = (await b.send("/us")).texts[0]
    assert lead_problems(b_text, texts, LONG_A) == [], b_text
    assert shown(landed.both_checked_in.render(texts.language, 5)) in b_text
    b_details = (await b.press(words.details_button, message=week_message(b, texts))).texts[0]
    assert shown(words.showing_up, mine=6, partner=LONG_A, theirs=6) in b_details

    # The digest, on the next weekly day: the same lead, no tally, no bare zero.
    await evening(harness, FIRST_EVENING + timedelta(days=7))
    intro = shown(words.digest_intro)
    for person, partner in ((a, LONG_B), (b, LONG_A)):
        [digest] = [m.text for m in person.chat if m.text.startswith(intro)]
        lead = digest.removeprefix(intro).strip()
        assert lead_problems(lead, texts, partner) == [], digest
        assert shown(landed.gap_note) in digest


# --- the guided talk: the day, and how each of the two saw it --------------------------------

WEDNESDAY = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)
ANNA_WEDNESDAY = {  # Anna was stressed and felt alone with it
    "bids_noticed": "none",
    "bids_made": "none",
    "stressed_me": "yes",
    "support_received": "no",
    "stressed_partner": "no",
}
IVAN_WEDNESDAY = {  # Ivan felt he was there for her
    "bids_noticed": "none",
    "bids_made": "none",
    "stressed_me": "no",
    "stressed_partner": "yes",
    "support_given": "yes",
}


async def test_the_guided_talk_names_the_day_and_how_each_saw_it(harness: BotHarness) -> None:
    """The German–Russian couple of the issue: each reads the day in their own language (a
    CLDR date) and the other's view in the third person, never "I" under the other's name."""
    de, ru = texts_of("de"), texts_of("ru")
    harness.clock.now = WEDNESDAY - timedelta(hours=8)
    anna = await start_in(harness, 1001, "Anna", "de")
    ivan = await start_in(harness, 2002, "Ivan", "ru")
    link = invite_code(await anna.send("/pair"))
    await ivan.send(f"/join {link}")
    await ivan.press(ru.pairing.confirm_button)
    await evening(harness, WEDNESDAY)
    await answer(anna, ANNA_WEDNESDAY)
    await answer(ivan, IVAN_WEDNESDAY)
    harness.clock.now = WEDNESDAY + timedelta(days=1, hours=-8)

    day = WEDNESDAY.date()
    anna_sees = shown(
        de.us.differences.harbor_got_partner,
        day=de.date(day, de.us.landed.guided_day_format),
        partner="Ivan",
    )
    ivan_sees = shown(
        ru.us.differences.harbor_gave_you,
        day=ru.date(day, ru.us.landed.guided_day_format),
        partner="Anna",
    )
    anna_together, ivan_together = (CONTENT.languages[c].together.talk for c in ("de", "ru"))

    # From /talk, with no day given: the newest day of the last week seen differently.
    await ivan.send("/talk")
    await ivan.press(ivan_together.guided_button)
    assert ivan_sees in ivan.last_message.text
    assert ivan_together.guided_steps[0] in ivan.last_message.text
    assert anna_sees in anna.last_message.text
    # From /us, the day is on the button; the talk already open is shown again.
    await anna.send("/us")
    again = await anna.press(de.us.talk_button)
    assert anna_sees in again.text
    assert anna_together.guided_steps[0] in again.text
    # Each step of the talk names the same day.
    for person, words in ((anna, anna_together), (ivan, ivan_together)):
        await person.press(words.answer_button)
        await person.send("Wie es mir ging" if person is anna else "Как это было для меня")
    assert anna_sees in anna.last_message.text
    assert anna_together.guided_steps[1] in anna.last_message.text
    assert ivan_sees in ivan.last_message.text
    assert ivan_together.guided_steps[1] in ivan.last_message.text

    # A week on, the talk open no more: a new one names no day that far back.
    harness.clock.advance(days=8)
    await ivan.send("/talk")
    await ivan.press(ivan_together.guided_button)
    assert ivan_sees not in ivan.last_message.text  # more than a week ago now


@pytest.mark.parametrize("code", LANGUAGES)
async def test_partly_there_is_shown_as_partly(harness: BotHarness, code: str) -> None:
    """The issue's «⚓ рядом: 0 из 1 трудного дня»: "somewhat" there on the one hard day."""
    texts = texts_of(code)
    landed = texts.us.landed
    harness.clock.now = WEDNESDAY - timedelta(hours=8)
    anna = await start_in(harness, 1001, "Anna", code)
    ivan = await start_in(harness, 2002, "Ivan", code)
    link = invite_code(await anna.send("/pair"))
    await ivan.send(f"/join {link}")
    await ivan.press(texts.pairing.confirm_button)
    await evening(harness, WEDNESDAY)
    await answer(anna, {**ANNA_WEDNESDAY, "support_received": "somewhat"})
    await answer(ivan, {**IVAN_WEDNESDAY, "support_given": "somewhat"})

    for person, partner in ((anna, "Ivan"), (ivan, "Anna")):
        text = (await person.send("/us")).texts[0]
        once = shown(landed.times.render(texts.language, 1))
        assert shown(landed.harbor, times=shown(landed.only_partly, partly=once)) in text
        assert lead_problems(text, texts, partner) == [], text
        details = (await person.press(texts.us.details_button)).texts[0]
        assert shown(landed.tally_only_partly.render(texts.language, 1, partly=1)) in details
