"""Someone in danger who writes to the bot reads where to get help first, whatever they wrote.

The phrases live in ``bot/content/crisis.toml``; these tests drive real updates through the
real ``Application`` and check what the person (and their partner) would see.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.content import ContentError
from bot.content.crisis import CRISIS_FILE, load_crisis_phrases
from bot.jobs.checkin_sender import send_due_checkins
from bot.storage.models import Checkin, Note, User
from tests.harness import (
    TEXTS,
    BotHarness,
    Replies,
    TelegramUser,
    content_variant,
    shipped_content,
    shown,
)
from tests.journeys import (
    HELP,
    HELP_UNKNOWN,
    QUIET_DAY,
    SUPPORT,
    answer_checkin,
    onboard,
    open_reflection,
    pair,
)
from tests.telegram_fake import ApiCall, visible_text

SAVED = shown(TEXTS.notes.saved)
UNEXPECTED = shown(TEXTS.errors.unexpected_text)

# Several phrasings of each family, inside longer messages, in capitals, with punctuation.
CRISIS_MESSAGES = {
    "suicide_and_self_harm": [
        "I don't want to be alive anymore",
        "I'm thinking about killing myself",
        "honestly today was awful and I want to die, sorry",
        "I DONT WANT TO LIVE LIKE THIS!!!",
        "everyone would be better off without me…",
        "i keep thinking about suicide",
        "I’ve been cutting myself again",
        "sometimes i wanna hurt myself",
        "I overdosed",  # issue #23's missed examples from here on
        "I took all my pills",
    ],
    "partner_violence": [
        "she hit me again tonight",
        "My husband SLAPPED me.",
        "my boyfriend choked me during the fight",
        "i think i'm in an abusive relationship",
        "he beats me",
        "my husband is hitting me",
        "he has hit me",
        "my bf hit me",
    ],
    "fear_of_partner": [
        "I'm afraid of my husband",
        "im scared to go home tonight",
        "Honestly? I'm terrified of her.",
        "I'm scared of her",  # a phrase that ends a sentence matches at the end of a message
        "I'm afraid of her, she yells when I'm late",  # and before a comma
        "I'm scared he will hurt me",
        "my partner scares me sometimes",
        "terrified he'll hurt me",
    ],
    "sexual_violence": [
        "he forced me to have sex",
        "I was raped last year and it still comes back",
        "she doesn't stop when I say no",
        "it happened without my consent",
        "he touched me without my consent",
    ],
    # Issue #23: a threat to hurt or kill is a family of its own; a threat to leave is not one.
    "threats_to_hurt_or_kill": [
        "he threatened to kill me if I leave",
        "threatens to kill me",
        "he said he'd kill me",
    ],
}

# Ordinary sentences that share words with the phrases and must get the ordinary reply.
NEAR_MISSES = [
    "this deadline is killing me",
    "I could kill for a coffee",
    "my feet are killing me after that hike",
    "I'm dying to see the new film",
    "that joke killed me 😂",
    "the news really hit me hard today",
    "he hit me up on WhatsApp at lunch",
    "it hit me that we never talk about money",
    "I'm scared of spiders",
    "I'm afraid of her reaction when I tell her about the car",
    "I cut myself a slice of cake",
    "she beat me at chess again",
    "he pushed me to apply for the job",
    "I want to die laughing at this meme",
    "she hurt my feelings when she forgot our date",
    "I'm grateful for the rapeseed fields on our walk",
    # Issue #23: loving words, a threat to leave, a car sold.
    "I don't want to live without you",
    "he threatens me with divorce",
    "he sold my car without my consent",
]


def all_crisis_messages() -> list[str]:
    return [message for family in CRISIS_MESSAGES.values() for message in family]


def sent_to(harness: BotHarness, chat_id: int) -> list[str]:
    return [
        call.text or ""
        for call in harness.api.calls
        if call.method == "sendMessage" and call.chat_id == chat_id
    ]


# --- the phrases, family by family -----------------------------------------------------------


@pytest.mark.parametrize(
    ("family", "message"),
    [(family, message) for family, messages in CRISIS_MESSAGES.items() for message in messages],
)
def test_each_family_is_recognised_in_several_forms(family: str, message: str) -> None:
    assert shipped_content().crisis.family_of(message) == family


@pytest.mark.parametrize("message", NEAR_MISSES)
def test_ordinary_words_do_not_count(message: str) -> None:
    assert shipped_content().crisis.family_of(message) is None


# --- through the bot --------------------------------------------------------------------------


async def test_someone_who_never_started_gets_help_and_nothing_is_stored(
    harness: BotHarness,
) -> None:
    for number, message in enumerate(all_crisis_messages()):
        stranger = harness.user(5000 + number, "Robin")

        replies = await stranger.send(message)

        assert replies.texts == [HELP_UNKNOWN], message
    assert await harness.rows(User) == []


async def test_the_help_carries_emergency_numbers_and_crisis_lines() -> None:
    # Someone in Berlin: Germany's emergency number, crisis line and the women's and men's
    # violence lines; the directory for anywhere else.
    for words in ("112", "TelefonSeelsorge 0800 111 0 111", "116 016", "0800 123 99 00"):
        assert words in HELP
    # Someone whose country is unknown: their language's countries (English: the US, the UK).
    for words in ("emergency number", "911", "999", "988", "116 123", "1-800-799-7233"):
        assert words in HELP_UNKNOWN
    for each in (HELP, HELP_UNKNOWN):
        assert "findahelpline.com" in each
        assert "/support" in each
        assert len(each) <= 600  # the most important message is the shortest


async def test_before_consent_help_comes_first_and_nothing_is_stored(harness: BotHarness) -> None:
    robin = harness.user(1001, "Robin")
    await robin.send("/start")  # the consent question is open, nothing is stored yet

    replies = await robin.send("I'm thinking about killing myself")

    assert replies.texts == [HELP_UNKNOWN]
    assert await harness.rows(User) == []


async def test_with_no_question_open_help_replaces_the_i_dont_understand(
    harness: BotHarness,
) -> None:
    alex = await onboard(harness)

    for message in all_crisis_messages():
        replies = await alex.send(message)
        assert replies.texts == [HELP], message


async def test_near_misses_get_the_ordinary_reply(harness: BotHarness) -> None:
    alex = await onboard(harness)

    for message in NEAR_MISSES:
        replies = await alex.send(message)
        assert replies.texts == [UNEXPECTED], message


async def test_at_the_time_zone_question_help_comes_first_and_the_question_stays(
    harness: BotHarness,
) -> None:
    alex = harness.user(1001, "Alex")
    await alex.send("/start")
    await alex.press(TEXTS.onboarding.consent_yes_button)

    replies = await alex.send("she hit me again tonight")

    assert replies.texts == [HELP_UNKNOWN]  # no zone yet: the language's countries
    [user] = await harness.rows(User)
    assert user.time_zone is None
    # Still the zone question.
    saved = shown(TEXTS.onboarding.zone_saved, zone="Europe/Berlin", local_time="13:00")
    assert saved in (await alex.send("Berlin")).texts


async def test_a_photo_caption_and_an_edit_with_crisis_words_get_help(harness: BotHarness) -> None:
    alex = await onboard(harness)

    assert (await alex.send_photo(caption="I want to die")).texts == [HELP]
    assert (await alex.edit_message("he raped me")).texts == [HELP]
    assert (await alex.edit_message("see you at 8")).calls == []  # other edits: ignored


async def test_a_reflection_with_crisis_words_is_saved_privately_and_answered_with_help(
    harness: BotHarness,
) -> None:
    alex = await onboard(harness, 1001, "Alex")
    sam = await onboard(harness, 1002, "Sam", zone="London")
    await pair(alex, sam)
    to_sam_before = len(sent_to(harness, sam.user_id))
    await open_reflection(alex, 1)
    written = "Needing Sam scares me. Some nights I don't want to live anymore."

    replies = await alex.send(written)

    assert replies.texts == [f"{HELP}\n\n{SAVED}"]
    assert alex.last_message.buttons == []  # no "share with my partner" one tap away
    [note] = await harness.rows(Note)
    assert (note.body, note.visibility) == (written, "private")
    assert len(sent_to(harness, sam.user_id)) == to_sam_before  # Sam is told nothing
    assert "want to live" not in (await sam.send("/us")).text


async def test_a_checkin_note_with_crisis_words_is_saved_and_answered_with_help(
    harness: BotHarness,
) -> None:
    alex = await onboard(harness)  # Berlin, 21:00
    harness.clock.now = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
    assert harness.app is not None
    await send_due_checkins(harness.app.bot, harness.app.bot_data.services)
    await answer_checkin(alex, QUIET_DAY)
    await alex.press(TEXTS.checkin.note_button)

    replies = await alex.send("He pushed me against the wall. I'm afraid of him.")

    assert replies.texts == [f"{HELP}\n\n{SAVED}"]
    [note] = await harness.rows(Note)
    [checkin] = await harness.rows(Checkin)
    assert (note.checkin_id, note.visibility) == (checkin.id, "private")


async def test_a_note_too_long_to_keep_still_leads_with_help(harness: BotHarness) -> None:
    alex = await onboard(harness)
    await open_reflection(alex, 2)

    replies = await alex.send("I want to die. " + "x" * 10_000)

    assert replies.texts == [f"{HELP}\n\n{shown(TEXTS.notes.too_long, limit='4,000')}"]
    assert await harness.rows(Note) == []


async def test_ordinary_notes_keep_their_share_button(harness: BotHarness) -> None:
    alex = await onboard(harness)
    await open_reflection(alex, 2)

    replies = await alex.send("This deadline is killing me but Sam made me tea")

    assert replies.texts == [SAVED]
    assert [b["text"] for b in alex.last_message.buttons] == [
        TEXTS.notes.share_button,
        TEXTS.notes.back_to_course_button,
    ]


async def test_support_is_in_the_command_menu_and_the_main_menu(harness: BotHarness) -> None:
    menus = harness.api.command_menus  # the default menu, and one per other language
    assert len(menus) == len(shipped_content().languages)
    for menu in menus.values():
        assert "support" in [command["command"] for command in menu]
    alex = await onboard(harness)

    replies = await alex.press(TEXTS.menu.support_button)

    assert replies.texts == [SUPPORT]
    assert (await alex.send("/support")).texts == [SUPPORT]


async def test_the_log_says_help_was_given_and_nothing_else(
    harness: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    robin: TelegramUser = harness.user(424242, "Robin")

    replies: Replies = await robin.send("I want to end my life")

    assert replies.texts == [HELP_UNKNOWN]
    assert "crisis help given" in caplog.messages
    # Ours at any level, and what anyone logs at INFO and above (the database driver's
    # DEBUG lines echo queries, as drivers do).
    logged = "\n".join(
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("bot") or record.levelno >= logging.INFO
    )
    assert "end my life" not in logged
    assert "424242" not in logged


# --- the phrase file is checked at start ------------------------------------------------------


def test_an_empty_family_names_file_and_field(tmp_path: Path) -> None:
    # The file's last family, emptied.
    start = CRISIS_FILE.read_text(encoding="utf-8").index("threats_to_hurt_or_kill = [")
    original = CRISIS_FILE.read_text(encoding="utf-8")
    path = tmp_path / "crisis.toml"
    path.write_text(original[:start] + "threats_to_hurt_or_kill = []\n", encoding="utf-8")

    with pytest.raises(ContentError) as error:
        load_crisis_phrases(path, "en")

    assert str(error.value).startswith(f"{path}: phrases.threats_to_hurt_or_kill")


@pytest.mark.parametrize(
    ("edit", "replacement", "named"),
    [
        ("fear_of_partner = [", "fear_of_partnr = [", "phrases.fear_of_partner is missing"),
        ('"want to die",', '"want to die", 7,', "phrases.suicide_and_self_harm.1"),
        ('"{partner} scares me",', '"{partnr} scares me",', "uses {partnr}"),
        ('"{partner} scares me",', '"{partner scares me",', "plain {word_list}"),
        ('"want to die",', '"?!",', "phrases.suicide_and_self_harm[0] has no words"),
        ("suicide_and_self_harm = [", "suicide_and_self_harm = 3\nx = [", "suicide_and_self"),
        # Issue #23: how phrases match is part of the file, and checked like the rest.
        ("[matching]\n", "[matchng]\n", "matching is missing"),
        ("max_gap = 2", "max_gap = 9", "matching.max_gap"),
        ('"not", "never",', '"not", "not ever",', "matching.negations[1] must be one word"),
        ('"want to die",', '"want to d*e",', "phrases.suicide_and_self_harm[0] has a * that"),
        ('"want to die",', '"want to di*",', "the prefix 'di*' is shorter than 3 letters"),
        ('"want to die",', '"{dont}s want to die",', "{dont} must stand as words of its own"),
        ('"beat me fair",', '"beat me {fair}",', "phrases.partner_violence[1].unless[4] uses {f"),
        ("name = [\n", 'name = [\n    "{partner}",\n', "nest more than 3 deep"),
        ("threats_to_hurt_or_kill = [", "threats_to_hurt = [", "threats_to_hurt_or_kill is"),
    ],
)
def test_a_malformed_phrase_names_file_and_field(
    tmp_path: Path, edit: str, replacement: str, named: str
) -> None:
    path = content_variant(tmp_path, CRISIS_FILE, edit, replacement)

    with pytest.raises(ContentError) as error:
        load_crisis_phrases(path, "en")

    assert str(error.value).startswith(f"{path}: ")
    assert named in str(error.value)


def test_a_language_without_a_stemmer_must_say_stem_false(tmp_path: Path) -> None:
    path = content_variant(tmp_path, CRISIS_FILE, "max_gap = 2", "max_gap = 2")

    with pytest.raises(ContentError) as error:
        load_crisis_phrases(path, "tlh")

    assert str(error.value).startswith(f"{path}: matching.stem: no Snowball stemmer for 'tlh'")
    assert load_crisis_phrases(
        content_variant(tmp_path, CRISIS_FILE, "stem = true", "stem = false"), "tlh"
    ).matches("I want to die")


async def test_words_of_danger_after_a_command_get_help_first(harness: BotHarness) -> None:
    alex = await onboard(harness)

    replies = await alex.send("/help I want to die")

    assert replies.texts[0] == HELP
    assert len(replies.texts) == 2  # and then the help it asked for


async def test_a_note_edited_to_words_of_danger_cannot_be_shared_by_its_old_button(
    harness: BotHarness,
) -> None:
    alex = await onboard(harness, 1001, "Alex")
    sam = await onboard(harness, 1002, "Sam", zone="London")
    await pair(alex, sam)
    await open_reflection(alex, 1)
    await alex.send("Sam made me tea")
    saved = alex.last_message  # "saved, private" with its Share button
    [note] = await harness.rows(Note)
    await alex.send("/journal")
    await alex.press(shown(TEXTS.journal.open_button, number=1))
    await alex.press(TEXTS.journal.edit_button)
    written = "Needing Sam scares me. Some nights I don't want to live anymore."
    await alex.send(written)
    to_sam_before = len(sent_to(harness, sam.user_id))

    tapped = await alex.press(TEXTS.notes.share_button, message=saved)
    # A forged button, and words of danger in another language than Alex's: refused too.
    await alex.send("/journal")
    await alex.press(shown(TEXTS.journal.open_button, number=1))
    await alex.press(TEXTS.journal.edit_button)
    await alex.send("Ich will nicht mehr leben.")
    forged = await alex.press_data(f"note:{note.id}:shared")

    for replies in (tapped, forged):
        assert replies.texts == [f"{HELP}\n\n{SAVED}"]
    assert all(b["text"] != TEXTS.notes.share_button for b in alex.last_message.buttons)
    [note] = await harness.rows(Note)
    assert note.visibility == "private"
    assert len(sent_to(harness, sam.user_id)) == to_sam_before  # Sam is told nothing
    assert "leben" not in (await sam.send("/us")).text


def preview_disabled(call: ApiCall) -> bool:
    """Whether the message went without a link preview (the card would push the lines down)."""
    options = call.params.get("link_preview_options")
    if isinstance(options, str):
        options = json.loads(options)
    return bool(options and options.get("is_disabled"))


async def test_the_help_goes_without_a_link_preview_card(harness: BotHarness) -> None:
    """The help's lines carry links (the directory's site): each message of help is sent
    with previews off, so no card covers the numbers: after words of danger in a command or
    an edit, /support, and its "more lines"."""
    alex = await onboard(harness)
    sent = [
        *(await alex.send("/help I want to die")).calls[:1],
        *(await alex.edit_message("he raped me")).calls,
        *(await alex.send("/support")).calls,
    ]
    sent += [c for c in (await alex.press(TEXTS.support.more_button)).calls if c.text]
    helps = [call for call in sent if call.method == "sendMessage"]

    assert [visible_text(call.text or "", "HTML") for call in helps][:2] == [HELP, HELP]
    assert len(helps) == 4
    assert all(preview_disabled(call) for call in helps)
    # Everything else keeps the bot's default: "/help" itself is not changed.
    assert not preview_disabled((await alex.send("/help")).calls[-1])
