"""Each person uses the bot in their own language: chosen from Telegram's at first contact,
changed with /language, offered once to people who started before; partners each read
everything, including what the bot tells them about the other, in their own."""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import update

from bot.content import Plural, Texts
from bot.content.texts import CONTENT_DIR
from bot.services.appreciations import DAILY_LIMIT
from bot.storage.models import User
from tests.harness import TEXTS, BotHarness, TelegramUser, shipped_content, shown
from tests.journeys import (
    QUIET_DAY,
    checkin_message,
    evening,
    help_in,
    invite_code,
    onboard,
    support_in,
)
from tests.telegram_fake import visible_text

CONTENT = shipped_content()
OTHER_LANGUAGES = [code for code in CONTENT.languages if code != "en"]
TUESDAY = date(2026, 11, 24)


def texts_of(code: str) -> Texts:
    return CONTENT.languages[code].texts


def two_languages() -> tuple[str, str]:
    """The couple of the issue (Russian and German), or the two languages there are."""
    if {"ru", "de"} <= set(CONTENT.languages):
        return "ru", "de"
    first, *rest = OTHER_LANGUAGES or ["en"]
    return first, (rest[0] if rest else "en")


async def start_in(
    harness: BotHarness, user_id: int, name: str, code: str, zone: str = "Berlin"
) -> TelegramUser:
    """A new person whose Telegram is in ``code``: /start, consent, zone, time."""
    texts = texts_of(code)
    person = harness.user(user_id, name, language_code=code)
    replies = await person.send("/start")
    assert shown(texts.onboarding.welcome, first_name=name) in replies.text
    await person.press(texts.onboarding.consent_yes_button)
    await person.send(zone)
    await person.send("21:00")
    return person


async def answer_quietly(person: TelegramUser, texts: Texts) -> None:
    """Tap a quiet day's answers by the buttons' labels in ``texts``."""
    prompt = checkin_message(person)
    for item, value in QUIET_DAY.items():
        prompt = checkin_message(person)
        await person.press(texts.checkin.items[item].options[value], message=prompt)


@pytest.mark.skipif(not OTHER_LANGUAGES, reason="no locale besides English is shipped")
@pytest.mark.parametrize("code", OTHER_LANGUAGES)
async def test_a_whole_journey_in_each_language(harness: BotHarness, code: str) -> None:
    texts, course = texts_of(code), CONTENT.languages[code].frameworks["secure_base"]
    harness.clock.now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    alex = await start_in(harness, 1001, "Alex", code)
    [stored] = await harness.rows(User)
    assert stored.language == code

    # A course card.
    await alex.send("/learn")
    step = course.step_section(1)
    assert step is not None
    card = await alex.press(step.title)
    assert shown(step.cards[0].text) in card.text
    assert texts.lessons.next_button in [b["text"] for b in alex.last_message.buttons]

    # The evening check-in, its date in the language's own words.
    await evening(harness, datetime(2026, 11, 24, 20, 0, tzinfo=UTC))
    prompt = checkin_message(alex)
    day = texts.date(TUESDAY, texts.checkin.day_format)
    assert prompt.text.startswith(shown(texts.checkin.header, day=day))
    await answer_quietly(alex, texts)
    await alex.press(texts.checkin.done_button)
    assert shown(texts.checkin.finished) in alex.last_message.text

    # /us
    week = await alex.send("/us")
    first = texts.date(date(2026, 11, 18), texts.us.day_format)
    last = texts.date(TUESDAY, texts.us.day_format)
    assert week.texts[0].startswith(shown(texts.us.solo_title, first=first, last=last))
    # Not a word of English where the language has its own.
    if texts.us.solo_title != TEXTS.us.solo_title:
        assert shown(TEXTS.us.solo_title, first=first, last=last) not in week.text


async def test_partners_in_two_languages_each_read_their_own(harness: BotHarness) -> None:
    mine, theirs = two_languages()
    alex_texts, sam_texts = texts_of(mine), texts_of(theirs)
    alex_together, sam_together = (CONTENT.languages[c].together for c in (mine, theirs))
    harness.clock.now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    alex = await start_in(harness, 1001, "Alex", mine)
    sam = await start_in(harness, 2002, "Sam", theirs, zone="London")

    code = invite_code(await alex.send("/pair"))
    await sam.send(f"/join {code}")
    await sam.press(sam_texts.pairing.confirm_button)
    assert shown(alex_texts.pairing.paired_inviter, partner="Sam") in alex.chat[-1].text

    # An appreciation arrives in the receiver's words; the thanks in the sender's.
    await alex.send("/thanks")
    await alex.send("Thank you for the walk")
    received = sam.chat[-1]
    assert received.text == shown(
        sam_together.thanks.received, partner="Alex", text="Thank you for the walk"
    )
    await sam.press(sam_together.thanks.thank_button)
    assert alex.chat[-1].text == shown(
        alex_together.thanks.thanked_you, partner="Sam", text="Thank you for the walk"
    )

    # A change to the couple's weekly day: the partner is told, with the day in their words.
    await alex.send("/settings")
    await alex.press(alex_texts.settings.weekly_day_button)
    await alex.press(alex_texts.settings.weekdays[2])
    assert sam.chat[-1].text == shown(
        sam_texts.settings.weekly_day_changed_by_partner,
        partner="Alex",
        day=sam_texts.settings.weekdays[2],
    )

    # Each one's check-in in their own language.
    await evening(harness, datetime(2026, 11, 24, 21, 0, tzinfo=UTC))
    for person, texts in ((alex, alex_texts), (sam, sam_texts)):
        day = texts.date(TUESDAY, texts.checkin.day_format)
        assert checkin_message(person).text.startswith(shown(texts.checkin.header, day=day))

    # The day side by side: the partner's answers, under their name, are about them, in the
    # reader's words (not "Иван: … Stressiger Tag für mich").
    await answer_quietly(alex, alex_texts)
    await answer_quietly(sam, sam_texts)
    for person, texts, partner in ((alex, alex_texts, "Sam"), (sam, sam_texts, "Alex")):
        day = texts.date(TUESDAY, texts.checkin.day_format)
        title = shown(texts.shared_day.title, day=day)
        [shared] = [m.text for m in person.chat if m.text.startswith(title)]
        mine, theirs = shared.split(shown(texts.shared_day.partner, partner=partner))
        stressed = texts.checkin.items["stressed_me"]
        assert shown(stressed.short) in mine
        assert shown(stressed.partner_short) in theirs
        assert shown(stressed.short) not in theirs


# The CLDR category each language uses for 0, 1, 2, 5 and 21.
PLURAL_CATEGORIES = {
    "en": ("other", "one", "other", "other", "other"),
    "de": ("other", "one", "other", "other", "other"),
    "es": ("other", "one", "other", "other", "other"),
    "ru": ("many", "one", "few", "many", "one"),
}


@pytest.mark.parametrize("code", list(CONTENT.languages))
def test_plural_forms_for_0_1_2_5_21(code: str) -> None:
    texts = texts_of(code)
    plural: Plural = texts.us.streak
    expected = PLURAL_CATEGORIES.get(code)
    if expected is None:
        pytest.skip(f"no expected categories written down for {code}")
    for count, category in zip((0, 1, 2, 5, 21), expected, strict=True):
        form = getattr(plural, category)
        assert form is not None, f"{code}: us.streak has no {category} form"
        assert plural.render(code, count) == form.format(count=count)


@pytest.mark.skipif(not OTHER_LANGUAGES, reason="no locale besides English is shipped")
async def test_someone_from_before_is_offered_the_choice_once(harness: BotHarness) -> None:
    code = OTHER_LANGUAGES[-1]
    texts = texts_of(code)
    alex = await onboard(harness)  # Telegram in English then
    async with harness.transaction() as session:  # as the migration leaves earlier users
        await session.execute(update(User).values(language_settled_at=None))
    alex.language_code = code  # their app speaks another language now

    replies = await alex.send("/settings")
    assert replies.texts[-1] == visible_text(texts.languages.offer, "HTML")
    assert replies.texts[0].startswith(visible_text(TEXTS.settings.summary.split("\n")[0], "HTML"))
    again = await alex.send("/settings")
    assert visible_text(texts.languages.offer, "HTML") not in again.text

    chosen = await alex.press(texts.languages.name)
    assert chosen.texts == [visible_text(texts.languages.changed, "HTML")]
    [stored] = await harness.rows(User)
    assert stored.language == code
    menu = harness.api.menu_of(alex.user_id, "en")
    assert [c["description"] for c in menu] == [c.description for c in texts.commands]
    later = await alex.send("/settings")
    assert shown(texts.settings.running_line) in later.text


async def test_language_command_switches_back_and_forth(harness: BotHarness) -> None:
    alex = await onboard(harness)
    [stored] = await harness.rows(User)
    assert stored.language == "en"
    current = "en"
    for code in [*OTHER_LANGUAGES, "en"]:
        texts = texts_of(code)
        await alex.send("/language")
        assert [b["text"] for b in alex.last_message.buttons] == [
            ("✓ " if each == current else "") + language.texts.languages.name
            for each, language in CONTENT.languages.items()
        ]
        replies = await alex.press(texts.languages.name)
        assert replies.texts == [visible_text(texts.languages.changed, "HTML")]
        help_reply = await alex.send("/help")
        assert help_reply.texts == [visible_text(texts.help.text, "HTML")]
        support = await alex.send("/support")
        assert support.text == support_in("DE", texts)  # set up in Berlin
        current = code


async def test_command_menus_per_language_at_start(harness: BotHarness) -> None:
    menus = harness.api.command_menus
    english = [c.command for c in TEXTS.commands]
    assert [c["command"] for c in menus[("default", None, "")]] == english
    for code in OTHER_LANGUAGES:
        menu = menus[("default", None, code)]
        assert [c["command"] for c in menu] == english
        assert [c["description"] for c in menu] == [c.description for c in texts_of(code).commands]


async def test_a_stranger_is_answered_in_their_telegram_language(harness: BotHarness) -> None:
    for index, code in enumerate(OTHER_LANGUAGES):
        stranger = harness.user(5000 + index, "Kim", language_code=f"{code}-XX")
        replies = await stranger.send("/settings")
        assert replies.texts == [visible_text(texts_of(code).errors.not_started, "HTML")]
    unknown = harness.user(6000, "Kim", language_code="xx")
    replies = await unknown.send("/settings")
    assert replies.texts == [visible_text(TEXTS.errors.not_started, "HTML")]


@pytest.mark.skipif(len(OTHER_LANGUAGES) < 2, reason="needs two locales besides English")
async def test_words_of_danger_in_another_language_get_help_in_the_own(
    harness: BotHarness,
) -> None:
    own, other = OTHER_LANGUAGES[0], OTHER_LANGUAGES[1]
    texts = texts_of(own)
    alex = await start_in(harness, 1001, "Alex", own)
    raw = (CONTENT_DIR / "locales" / other / "crisis.toml").read_text(encoding="utf-8")
    phrase = next(p for p in tomllib.loads(raw)["phrases"]["suicide_and_self_harm"] if "{" not in p)
    replies = await alex.send(phrase)
    assert replies.texts[0] == help_in("DE", texts)


@pytest.mark.parametrize(
    ("code", "typed", "stored"),
    [("ru", "Москва", "Europe/Moscow"), ("de", "Wien", "Europe/Vienna"),
     ("es", "Ciudad de México", "America/Mexico_City")],
)  # fmt: skip
async def test_a_city_typed_in_ones_own_language_sets_the_zone(
    harness: BotHarness, code: str, typed: str, stored: str
) -> None:
    if code not in OTHER_LANGUAGES:
        pytest.skip(f"no {code} locale shipped")
    await start_in(harness, 1001, "Alex", code, zone=typed)

    [user] = await harness.rows(User)
    assert user.time_zone == stored
    assert user.onboarded_at is not None


@pytest.mark.skipif(not OTHER_LANGUAGES, reason="no locale besides English is shipped")
async def test_deleting_ones_data_takes_the_chats_own_menu_too(harness: BotHarness) -> None:
    code = OTHER_LANGUAGES[0]
    texts = texts_of(code)
    alex = await onboard(harness)
    await alex.send("/language")
    await alex.press(texts.languages.name)
    assert harness.api.menu_of(alex.user_id, "en") == [
        {"command": c.command, "description": c.description} for c in texts.commands
    ]

    await alex.send("/delete")
    await alex.press(texts.privacy.delete_confirm_button)

    assert await harness.rows(User) == []
    assert [c["description"] for c in harness.api.menu_of(alex.user_id, "en")] == [
        c.description for c in TEXTS.commands
    ]


async def test_the_daily_limit_of_thanks_counts_in_the_language_s_plural(
    harness: BotHarness,
) -> None:
    """Russian counts five in its "many" form ("5 благодарностей"), from the text's plural."""
    ivan = await start_in(harness, 1001, "Иван", "ru")
    anna = await start_in(harness, 2002, "Anna", "de")
    await anna.send(f"/join {invite_code(await ivan.send('/pair'))}")
    await anna.press(texts_of("de").pairing.confirm_button)
    for number in range(DAILY_LIMIT):
        await ivan.send(f"/thanks спасибо номер {number}")

    refused = await ivan.send("/thanks ещё одно")

    words = CONTENT.languages["ru"].together.thanks
    assert refused.texts == [shown(words.daily_limit.render("ru", DAILY_LIMIT))]
    assert "5 благодарностей" in refused.texts[0]


@pytest.mark.skipif("es" not in CONTENT.languages, reason="Spanish is not shipped")
async def test_a_spanish_draft_answer_is_named_as_the_bot_speaks_to_its_reader(
    harness: BotHarness,
) -> None:
    """The Spanish texts speak to the reader as "tú" (and to the two as "ustedes"): the
    journal names a /talk answer kept back as a draft as one to "tu" shared question, not
    "su" (someone else's, or a formal "usted" the bot never uses)."""
    texts = texts_of("es")
    lucia = await start_in(harness, 1001, "Lucía", "es")
    mateo = await start_in(harness, 2002, "Mateo", "es")
    await mateo.send(f"/join {invite_code(await lucia.send('/pair'))}")
    await mateo.press(texts.pairing.confirm_button)
    harness.clock.now = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    await lucia.send("/talk")
    await lucia.press_data("tk:light")
    await lucia.press(CONTENT.languages["es"].together.talk.answer_button)
    await lucia.send("ya no quiero vivir")  # kept back as a private draft, with the help

    journal = (await lucia.send("/journal")).text

    assert shown(texts.journal.draft_answer_what) in journal
    assert "tu pregunta compartida" in journal
    assert "su pregunta" not in journal
