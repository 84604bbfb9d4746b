"""Pure time logic: what people type, and when the next evening check-in falls."""

from __future__ import annotations

import html
import itertools
import re
from datetime import UTC, datetime, time, timedelta

import pytest

from bot.timezones import (
    InvalidClockTimeError,
    InvalidZoneError,
    next_checkin_at,
    parse_clock_time,
    parse_zone,
    zone_for_location,
    zone_from_name,
)
from bot.zone_finder import LazyZoneFinder
from tests.harness import shipped_content


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        ("europe/berlin", "Europe/Berlin"),
        ("Berlin", "Europe/Berlin"),
        ("  new   york ", "America/New_York"),
        ("Los Angeles", "America/Los_Angeles"),
        ("Kolkata", "Asia/Kolkata"),
        ("America/Argentina/Buenos_Aires", "America/Argentina/Buenos_Aires"),
        ("UTC", "UTC"),
        ("gmt", "UTC"),
        ("UTC+3", "UTC+03:00"),
        ("UTC +3", "UTC+03:00"),
        ("GMT-5", "UTC-05:00"),
        ("+5:30", "UTC+05:30"),
        ("UTC+0545", "UTC+05:45"),
        ("UTC−3", "UTC-03:00"),  # a typographic minus, as phones type it
        ("UTC+14", "UTC+14:00"),
        ("UTC-12", "UTC-12:00"),
        ("UTC+0", "UTC"),
    ],
)
def test_parse_zone_accepts(typed: str, stored: str) -> None:
    assert parse_zone(typed) == stored
    zone_from_name(stored)  # and it can be used


@pytest.mark.parametrize(
    "typed",
    ["", "Mars/Olympus", "UTC+15", "UTC-13", "UTC+3:75", "Etc/GMT-5", "x" * 500, "Berlin; DROP"],
)
def test_parse_zone_refuses(typed: str) -> None:
    with pytest.raises(InvalidZoneError):
        parse_zone(typed)


def test_zone_for_location() -> None:
    assert zone_for_location("Europe/Paris") == "Europe/Paris"
    assert zone_for_location("Etc/GMT+8") == "UTC-08:00"
    assert zone_for_location("Etc/GMT-10") == "UTC+10:00"
    assert zone_for_location(None) is None
    assert zone_for_location("Nowhere/Land") is None


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("20:00", time(20, 0)),
        ("8:30", time(8, 30)),
        ("20.30", time(20, 30)),
        ("2030", time(20, 30)),
        ("8pm", time(20, 0)),
        ("8:30 PM", time(20, 30)),
        ("12am", time(0, 0)),
        ("12 pm", time(12, 0)),
        ("0:00", time(0, 0)),
        ("23:59", time(23, 59)),
        # As people write a time in each language (issue #25).
        ("21.30 Uhr", time(21, 30)),
        ("um 21 Uhr", time(21, 0)),
        ("21 Uhr 30", time(21, 30)),
        ("9 Uhr abends", time(21, 0)),
        ("21 Uhr abends", time(21, 0)),
        ("9 pm", time(21, 0)),
        ("9:30pm", time(21, 30)),
        ("9 p. m.", time(21, 0)),
        ("9 a.m.", time(9, 0)),
        ("a las 21", time(21, 0)),
        ("a las 9 pm", time(21, 0)),
        ("21 hs", time(21, 0)),
        ("21h30", time(21, 30)),
        ("9 de la noche", time(21, 0)),
        ("8 de la mañana", time(8, 0)),
        ("21:30", time(21, 30)),
        ("в 21", time(21, 0)),
        ("В 21:30", time(21, 30)),
        ("к 21.00", time(21, 0)),
        ("21 час", time(21, 0)),
        ("в 9 вечера", time(21, 0)),
        ("3 дня", time(15, 0)),
        ("7 утра", time(7, 0)),
    ],
)
def test_parse_clock_time_accepts(typed: str, expected: time) -> None:
    assert parse_clock_time(typed) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "25:99",
        "24:00",
        "12:60",
        "13pm",
        "noon",
        "",
        "20:00:00",
        "9" * 40,
        "в",
        "abends",
        "21 утра",
        "um 25 Uhr",
        "a las",
    ],
)
def test_parse_clock_time_refuses(typed: str) -> None:
    with pytest.raises(InvalidClockTimeError):
        parse_clock_time(typed)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_next_checkin_later_today_and_tomorrow() -> None:
    assert next_checkin_at(utc(2026, 6, 1, 10), "Europe/Berlin", time(20)) == utc(2026, 6, 1, 18)
    assert next_checkin_at(utc(2026, 6, 1, 19), "Europe/Berlin", time(20)) == utc(2026, 6, 2, 18)
    # Exactly at the due instant: the next one is tomorrow, never the same one again.
    assert next_checkin_at(utc(2026, 6, 1, 18), "Europe/Berlin", time(20)) == utc(2026, 6, 2, 18)


def test_next_checkin_across_spring_forward() -> None:
    # Berlin moves from UTC+1 to UTC+2 in the night to 29 March 2026.
    first = next_checkin_at(utc(2026, 3, 28, 12), "Europe/Berlin", time(20))
    second = next_checkin_at(first, "Europe/Berlin", time(20))
    assert first == utc(2026, 3, 28, 19)
    assert second == utc(2026, 3, 29, 18)  # still 20:00 on the wall clock
    assert second - first == timedelta(hours=23)


def test_next_checkin_across_fall_back() -> None:
    first = next_checkin_at(utc(2026, 10, 24, 12), "Europe/Berlin", time(20))
    second = next_checkin_at(first, "Europe/Berlin", time(20))
    assert (first, second) == (utc(2026, 10, 24, 18), utc(2026, 10, 25, 19))


def test_time_in_the_skipped_hour_happens_after_the_gap() -> None:
    # 02:30 does not exist in New York on 8 March 2026; the check-in comes at 03:30 EDT.
    due = next_checkin_at(utc(2026, 3, 8, 0), "America/New_York", time(2, 30))
    assert due == utc(2026, 3, 8, 7, 30)


def test_time_in_the_repeated_hour_happens_once() -> None:
    first = next_checkin_at(utc(2026, 11, 1, 0), "America/New_York", time(1, 30))
    second = next_checkin_at(first, "America/New_York", time(1, 30))
    assert first == utc(2026, 11, 1, 5, 30)  # the first 01:30 (EDT)
    assert second == utc(2026, 11, 2, 6, 30)  # next day, not the second 01:30 an hour later


@pytest.mark.parametrize(
    "zone",
    [
        "Pacific/Kiritimati", "Pacific/Pago_Pago", "Asia/Kathmandu", "Australia/Lord_Howe",
        "America/St_Johns", "Africa/Casablanca", "Europe/London", "America/Santiago",
        "Asia/Tehran", "UTC+05:30", "UTC-09:30", "UTC",
    ],
)  # fmt: skip
def test_one_checkin_per_local_day_for_a_year(zone: str) -> None:
    """Chaining next_checkin_at gives exactly one prompt per local day, at the wall time."""
    tz = zone_from_name(zone)
    due = next_checkin_at(utc(2026, 1, 1), zone, time(20, 30))
    days = []
    for _ in range(366):
        local = due.astimezone(tz)
        days.append(local.date())
        assert (local.hour, local.minute) == (20, 30)
        due = next_checkin_at(due, zone, time(20, 30))
    assert all(b - a == timedelta(days=1) for a, b in itertools.pairwise(days))


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        next_checkin_at(datetime(2026, 1, 1), "UTC", time(20))


@pytest.mark.parametrize(
    ("typed", "language", "stored"),
    [
        ("Москва", "ru", "Europe/Moscow"),
        ("нью-йорк", "ru", "America/New_York"),
        ("Nueva York", "es", "America/New_York"),
        ("moscu", "es", "Europe/Moscow"),  # without its accent
        ("Wien", "de", "Europe/Vienna"),
        ("Berlin", "ru", "Europe/Berlin"),  # the English names work in every language
        ("Londres", "es", "Europe/London"),  # not Europe/Belfast, a link to it
        ("Buenos Aires", "es", "America/Argentina/Buenos_Aires"),
    ],
)
def test_parse_zone_accepts_city_names_in_the_persons_language(
    typed: str, language: str, stored: str
) -> None:
    assert parse_zone(typed, language) == stored


def test_a_city_that_two_linked_zones_share_is_not_ambiguous() -> None:
    assert parse_zone("buenos aires") == "America/Argentina/Buenos_Aires"


def test_city_names_of_another_language_are_not_guessed() -> None:
    with pytest.raises(InvalidZoneError):
        parse_zone("Москва", "en")


@pytest.mark.parametrize("code", sorted(shipped_content().languages))
def test_the_examples_a_refused_time_suggests_are_read(code: str) -> None:
    """ "Try it like 20.30 Uhr": every example in the reply to an unreadable time is one the
    bot reads."""
    texts = shipped_content().languages[code].texts
    examples = re.findall(r"<code>(.*?)</code>", texts.onboarding.time_invalid)
    assert examples
    for example in examples:
        parse_clock_time(html.unescape(example))


def test_the_zone_of_a_location_is_found_once_the_finder_loads_on_first_use() -> None:
    finder = LazyZoneFinder()

    assert finder.timezone_at(lng=13.40, lat=52.52) == "Europe/Berlin"
    assert finder.timezone_at(lng=-9.14, lat=38.72) == "Europe/Lisbon"
