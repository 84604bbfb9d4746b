"""Help for the person's country: the lines of ``bot/content/helplines.toml`` chosen by the
saved time zone, the crisis reply within 600 visible characters, and /support's "More lines".

Through the real Application and the fake Bot API, like tests/test_crisis.py: people set up
with a zone write words of danger and read their own country's numbers.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content import ContentError
from bot.content.helplines import HELPLINES_FILE, Country, load_helplines
from bot.services.zone_country import ZoneCountries, load_zone_countries, parse_links
from bot.timezones import parse_zone
from bot.views.helplines import HelpView, flag, visible_length
from tests.harness import TEXTS, BotHarness, content_variant, shipped_content, shown
from tests.journeys import HELPLINES, STALE, help_in, onboard, support_in

CONTENT = shipped_content()
ZONES = load_zone_countries()
LIMIT = 600
# Countries of the time-zone pickers with no line anyone could confirm yet (see
# helplines.toml): their people get the emergency number and the directory. The test below
# fails when a picker gains a country without lines, and when one of these gains lines.
KNOWN_GAPS = {"RU"}


def short_block_phones(country: Country) -> list[str]:
    """The numbers the crisis reply must show for ``country``."""
    lines = country.of_kind("crisis")[:1] + country.violence_lines()
    return [line.phone for line in lines if line.phone is not None]


# --- the country of a zone ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "country"),
    [
        ("Europe/Kyiv", "UA"),
        ("Europe/Kiev", "UA"),  # the old name, a link in tzdata.zi
        ("Asia/Kolkata", "IN"),
        ("Asia/Calcutta", "IN"),
        ("America/Buenos_Aires", "AR"),
        ("America/Argentina/Buenos_Aires", "AR"),
        ("America/Toronto", "CA"),
        ("Asia/Almaty", "KZ"),
        ("Europe/Vienna", "AT"),
        # zone.tab first: Oslo is a link to Berlin in tzdata.zi, and still in Norway.
        ("Europe/Oslo", "NO"),
    ],
)
def test_a_zone_names_its_country(zone: str, country: str) -> None:
    assert ZONES.country_of(zone) == country


@pytest.mark.parametrize(
    "zone", ["UTC", "Etc/UTC", "Etc/GMT+5", "UTC+05:30", "UTC-03:00", "Mars/Olympus", "", None]
)
def test_utc_offsets_and_unknown_zones_have_no_country(zone: str | None) -> None:
    assert ZONES.country_of(zone) is None


def test_a_loop_of_links_ends_without_a_country() -> None:
    zones = ZoneCountries(countries={}, links=parse_links("L A/B A/C\nL A/C A/B\n"))

    assert zones.country_of("A/B") is None


# --- the file ----------------------------------------------------------------------------------


def test_every_country_of_every_time_zone_picker_has_lines() -> None:
    picked: dict[str, set[str]] = {}
    for code, language in CONTENT.languages.items():
        for row in language.texts.onboarding.common_zones:
            for city in row:
                country = ZONES.country_of(parse_zone(city, code))
                if country is not None:
                    picked.setdefault(country, set()).add(f"{city} ({code})")
    without = {
        country: cities
        for country, cities in picked.items()
        if (entry := HELPLINES.country(country)) is None or not entry.lines
    }
    assert without.keys() == KNOWN_GAPS, without
    for country in KNOWN_GAPS:
        assert HELPLINES.countries[country].emergency  # at least the emergency number


def test_every_line_keeps_where_and_when_it_was_checked() -> None:
    for code, country in HELPLINES.countries.items():
        assert country.emergency, code
        for line in country.lines:
            assert line.source.scheme in {"http", "https"}, (code, line.name)
            assert line.checked.year >= 2026, (code, line.name)
            assert line.phone or line.url, (code, line.name)


@pytest.mark.parametrize(
    ("edit", "replacement", "named"),
    [
        ('kind = "crisis"', 'kind = "sadness"', "countries.US.lines.0.kind"),
        ('for = "all"', 'for = "everyone"', "countries.US.lines.0.for"),
        ('phone = "988"\nurl = "https://988lifeline.org"\n', "", "needs a phone or a url"),
        ('en = ["US", "GB"]', 'en = ["US", "XX"]', "fallback.en[1] is 'XX'"),
        ("[countries.CA]", "[countries.Canada]", "countries.Canada"),
        ('emergency = "911"', 'emergncy = "911"', "countries.US.emergency is missing"),
    ],
)
def test_a_broken_helplines_file_names_file_and_field(
    tmp_path: Path, edit: str, replacement: str, named: str
) -> None:
    path = content_variant(tmp_path, HELPLINES_FILE, edit, replacement)

    with pytest.raises(ContentError) as error:
        load_helplines(path)

    assert str(error.value).startswith(f"{path}: ")
    assert named in str(error.value)


# --- the crisis reply, 600 characters at most --------------------------------------------------


def test_the_crisis_reply_fits_600_characters_for_every_country_and_language() -> None:
    longest: dict[str, int] = {}
    for code, language in CONTENT.languages.items():
        for country in [*HELPLINES.countries, None]:
            reply = HelpView(language.texts, HELPLINES, country).crisis_reply()
            length = visible_length(reply)
            assert length <= LIMIT, (code, country, length)
            assert length == len(shown(reply)), (code, country)  # as Telegram shows it
            longest[code] = max(longest.get(code, 0), length)
    print("longest crisis reply, visible characters:", longest)


def test_each_language_has_a_list_for_people_whose_country_is_unknown() -> None:
    for code, language in CONTENT.languages.items():
        reply = HelpView(language.texts, HELPLINES, None).crisis_reply()
        assert "findahelpline.com" in reply, code
        for country in HELPLINES.fallback_for(code):
            assert HELPLINES.countries[country].emergency in reply, (code, country)
            assert flag(country) in reply, (code, country)
    assert HELPLINES.fallback_for("en") == ["US", "GB"]
    assert HELPLINES.fallback_for("de") == ["DE"]
    assert HELPLINES.fallback_for("es") == ["ES"]
    assert HELPLINES.fallback_for("ru") == ["RU", "UA", "KZ", "BY"]


# --- through the bot ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "country"),
    [
        ("America/Toronto", "CA"),
        ("Australia/Sydney", "AU"),
        ("Asia/Kolkata", "IN"),
        ("America/Mexico_City", "MX"),
        ("America/Argentina/Buenos_Aires", "AR"),
        ("Europe/Kyiv", "UA"),
        ("Europe/Kiev", "UA"),
        ("Asia/Almaty", "KZ"),
        ("Europe/Vienna", "AT"),
    ],
)
async def test_people_get_their_own_countrys_lines(
    harness: BotHarness, zone: str, country: str
) -> None:
    alex = await onboard(harness, zone=zone)

    replies = await alex.send("I don't want to be alive anymore")

    [reply] = replies.texts
    assert reply == help_in(country)
    entry = HELPLINES.countries[country]
    assert f"Call {entry.emergency}." in reply
    for phone in short_block_phones(entry):
        assert phone in reply
    assert short_block_phones(entry)  # a crisis or violence line, not only the emergency
    assert "findahelpline.com" in reply
    assert len(reply) <= LIMIT
    assert "988" not in reply or country == "CA"  # not the US lines of the English list


async def test_someone_in_vienna_reads_austrias_lines_in_german(harness: BotHarness) -> None:
    german = CONTENT.languages["de"].texts
    anna = harness.user(1001, "Anna", language_code="de")
    await anna.send("/start")
    await anna.press(german.onboarding.consent_yes_button)
    await anna.send("Wien")
    await anna.send("21:00")

    [reply] = (await anna.send("Ich will nicht mehr leben")).texts

    assert reply == help_in("AT", german)
    assert "142" in reply
    assert "0800 222 555" in reply
    assert "Mehr unter /support." in reply


async def test_someone_unknown_gets_their_telegram_languages_countries(
    harness: BotHarness,
) -> None:
    spanish = CONTENT.languages["es"].texts
    robin = harness.user(5000, "Robin", language_code="es-MX")

    [reply] = (await robin.send("quiero morirme")).texts

    assert reply == help_in(None, spanish)  # Spain's lines, as nobody knows where Robin is
    assert "016" in reply


async def test_support_starts_with_the_same_help_and_more_lines_shows_the_rest(
    harness: BotHarness,
) -> None:
    alex = await onboard(harness, zone="London")

    replies = await alex.send("/support")

    assert replies.texts == [support_in("GB")]
    assert help_in("GB").split("\n\n")[1] in replies.text  # the crisis reply's block
    more = await alex.press(TEXTS.support.more_button)
    [shown_more] = more.texts
    for line in HELPLINES.countries["GB"].lines:
        assert line.name in shown_more
    for line in HELPLINES.countries["US"].lines:  # and the rest of English's list
        assert line.name in shown_more
    assert "Rape Crisis" in shown_more
    assert "for men" in shown_more
    assert all(b["text"] != TEXTS.support.more_button for b in alex.chat[-2].buttons)


async def test_a_stale_or_forged_more_lines_button_is_answered_kindly(
    harness: BotHarness,
) -> None:
    robin = harness.user(5001, "Robin")
    await robin.send("/support")

    forged = await robin.press_data("hl:ZZ")  # no such country (any more)
    garbage = await robin.press_data("hl:../../etc")

    assert forged.toasts == [STALE]
    assert forged.texts == []
    assert garbage.toasts == [STALE]
    none = await robin.press(TEXTS.support.more_button)
    assert "United States" in none.text
    assert "United Kingdom" in none.text
