"""Time zones and clock times: parsing what people type, and computing local schedules.

Pure functions, no I/O beyond the tz database. A stored zone is either an IANA name
(``Europe/Berlin``) or a fixed offset written ``UTC+05:30``; :func:`zone_from_name` turns either
into a ``tzinfo``.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel import Locale, UnknownLocaleError
from babel.dates import get_timezone_location

MAX_INPUT_LENGTH = 64
_OFFSET_PATTERN = re.compile(
    r"^(?:utc|gmt)?\s*(?P<sign>[+-−])\s*(?P<hours>\d{1,2})(?::?(?P<minutes>\d{2}))?$"
)
# A time of day as people write it in our languages: "21:30", "21.30 Uhr", "um 21 Uhr",
# "9 pm", "9:30pm", "a las 21", "21 hs", «в 21», «21 ч», «в 9 вечера». Words before the
# number ("at", "um", "a las", «в») and after it ("Uhr", "h", «часов») are only read past.
_CLOCK_PATTERN = re.compile(
    r"^(?:(?:at|um|gegen|a\s+las|a\s+la|las|la|в|во|к|около)\s+)?"
    r"(?P<hours>\d{1,2})"
    r"(?:(?:\s*[:.h]\s*|\s+|\s*uhr\s*|\s*ч\.?\s*)(?P<minutes>\d{2}))?"
    r"(?:\s*(?:uhr|h|hs|hrs|horas?|ч|час(?:а|ов)?|мин)\.?)?"
    r"(?:\s*(?P<half>am|pm|a\.\s?m\.|p\.\s?m\.|утра|вечера|дня"
    r"|morgens|vormittags|nachmittags|abends|de\s+la\s+(?:mañana|tarde|noche)))?$"
)
# Half-day words that mean the afternoon or evening (the rest mean the morning).
_AFTERNOON = ("pm", "p.", "вечера", "дня", "nachmittags", "abends", "de la tarde", "de la noche")
_SHORT_CLOCK_PATTERN = re.compile(r"^(?P<hours>\d{1,2})(?P<minutes>\d{2})$")


class InvalidZoneError(ValueError):
    """The text does not name a time zone we know."""


class InvalidClockTimeError(ValueError):
    """The text is not a time of day."""


# Legacy aliases and POSIX-style zones: "Etc/GMT-5" is UTC+5, which would surprise anyone who
# typed "GMT-5", so offsets are parsed by us and these never match a typed name.
_ALIAS_REGIONS = frozenset({"Etc", "US", "Canada", "Brazil", "Mexico", "Chile", "SystemV"})


@cache
def _zone_index() -> tuple[dict[str, str], dict[str, str]]:
    """Lower-cased IANA names, and city names that point at exactly one zone."""
    names = sorted(
        name
        for name in available_timezones()
        if "/" in name and name.split("/", 1)[0] not in _ALIAS_REGIONS | {"posix", "right"}
    )
    by_name = {name.lower(): name for name in names}
    cities: dict[str, str | None] = {}
    for name in names:
        _add_city(cities, name.rsplit("/", 1)[1].replace("_", " ").lower(), name)
    return by_name, {city: name for city, name in cities.items() if name}


def _add_city(cities: dict[str, str | None], city: str, name: str) -> None:
    """A city that names two zones is ambiguous (``None``), unless both keep the same clock:
    ``America/Buenos_Aires`` is a link to ``America/Argentina/Buenos_Aires``."""
    if city not in cities:
        cities[city] = name
    elif (known := cities[city]) is not None and not _same_clock(known, name):
        cities[city] = None


def _same_clock(first: str, second: str) -> bool:
    samples = [datetime(year, month, 1, tzinfo=UTC) for year in (2025, 2030) for month in (1, 7)]
    a, b = ZoneInfo(first), ZoneInfo(second)
    return all(a.utcoffset(when) == b.utcoffset(when) for when in samples)


def _folded(name: str) -> str:
    """Lower case without accents: "Moscú" and "moscu", "Zürich" and "zurich" are one city."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("-", " ")


@cache
def _local_cities(language: str) -> dict[str, str]:
    """City names in ``language`` (CLDR's exemplar cities, through Babel: "Москва", "Wien",
    "Nueva York") that point at exactly one zone. Empty for a language Babel does not know."""
    try:
        locale = Locale.parse(language)
    except (ValueError, UnknownLocaleError):
        return {}
    english = Locale.parse("en")
    by_name, english_cities = _zone_index()
    cities: dict[str, str | None] = {}
    for name in by_name.values():
        # A link (Europe/Belfast) is stored as the zone its English city names (Europe/London).
        english_city = get_timezone_location(name, locale=english, return_city=True).lower()
        city = _folded(get_timezone_location(name, locale=locale, return_city=True))
        _add_city(cities, city, english_cities.get(english_city, name))
    return {city: name for city, name in cities.items() if name}


def format_offset(offset: timedelta) -> str:
    """``UTC+05:30`` style, or plain ``UTC`` for zero."""
    if not offset:
        return "UTC"
    sign = "+" if offset > timedelta(0) else "-"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _parse_offset(text: str) -> timedelta | None:
    match = _OFFSET_PATTERN.match(text)
    if not match:
        return None
    hours, minutes = int(match["hours"]), int(match["minutes"] or 0)
    if minutes >= 60:
        return None
    offset = timedelta(hours=hours, minutes=minutes)
    if match["sign"] != "+":
        offset = -offset
    if not timedelta(hours=-12) <= offset <= timedelta(hours=14):
        return None
    return offset


def parse_zone(text: str, language: str = "en") -> str:
    """Resolve what a person typed (zone, city or offset) to a stored zone name.

    Accepts ``Europe/Berlin`` in any case, a city such as ``berlin`` or ``New York`` (or, in
    the person's ``language``, ``Москва`` or ``Nueva York``), and offsets such as ``UTC+3``,
    ``GMT-05:00`` or ``+5:30``.
    """
    cleaned = " ".join(text.strip().split())
    if not cleaned or len(cleaned) > MAX_INPUT_LENGTH:
        raise InvalidZoneError(text)
    lowered = cleaned.lower()
    if lowered in {"utc", "gmt", "z", "etc/utc"}:
        return "UTC"
    offset = _parse_offset(lowered)
    if offset is not None:
        return format_offset(offset)
    by_name, cities = _zone_index()
    if lowered.replace(" ", "_") in by_name:
        return by_name[lowered.replace(" ", "_")]
    if lowered in cities:
        return cities[lowered]
    if found := _local_cities(language).get(_folded(cleaned)):
        return found
    raise InvalidZoneError(text)


def zone_for_location(found: str | None) -> str | None:
    """Our stored zone for what a location lookup returned, or ``None`` if it is unusable.

    Over open sea the lookup gives nautical zones such as ``Etc/GMT+8``, whose POSIX sign is
    inverted (it means UTC-8); we store those as the offset people expect to read.
    """
    if not found:
        return None
    if found.startswith("Etc/GMT") and len(found) > len("Etc/GMT"):
        offset = _parse_offset(found.removeprefix("Etc/GMT").translate(str.maketrans("+-", "-+")))
        return format_offset(offset) if offset is not None else None
    try:
        zone_from_name(found)
    except InvalidZoneError:
        return None
    return found


@cache
def zone_from_name(name: str) -> tzinfo:
    """The ``tzinfo`` for a stored zone name; raises :class:`InvalidZoneError`."""
    if name == "UTC":
        return UTC
    if name.startswith("UTC") and len(name) > 3:
        offset = _parse_offset(name.lower())
        if offset is None:
            raise InvalidZoneError(name)
        return timezone(offset, name)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidZoneError(name) from exc


def parse_clock_time(text: str) -> time:
    """Parse a time of day as people type it: ``20:00``, ``8:30``, ``20.30``, ``2030``,
    ``8pm``, ``8:30 pm``, ``21.30 Uhr``, ``a las 21``, «в 21», «в 9 вечера».

    Pure: the same forms are read whatever the person's language, since a German may well
    type "9 pm" and a Russian "21.30 Uhr" is still unambiguous.
    """
    cleaned = " ".join(text.strip().lower().split())
    if len(cleaned) > 32:
        raise InvalidClockTimeError(text)
    match = _CLOCK_PATTERN.match(cleaned) or _SHORT_CLOCK_PATTERN.match(cleaned)
    if not match:
        raise InvalidClockTimeError(text)
    hours, minutes = int(match["hours"]), int(match["minutes"] or 0)
    half = match.groupdict().get("half")
    if half:
        afternoon = half.startswith(_AFTERNOON)
        # A word ("abends", «вечера») may follow a 24-hour time: "21 Uhr abends" is 21:00.
        worded = not half.startswith(("am", "pm", "a.", "p."))
        if not (worded and afternoon and 12 < hours <= 23):
            if not 1 <= hours <= 12:
                raise InvalidClockTimeError(text)
            hours = hours % 12 + (12 if afternoon else 0)
    if hours > 23 or minutes > 59:
        raise InvalidClockTimeError(text)
    return time(hours, minutes)


def local_now(zone_name: str, now: datetime) -> datetime:
    """``now`` (aware) as wall-clock time in the zone."""
    return now.astimezone(zone_from_name(zone_name))


def at_local_time(day: date, at: time, zone_name: str) -> datetime:
    """The UTC instant of wall-clock ``at`` on ``day`` in the zone.

    A time that does not exist (the hour skipped when clocks go forward) lands just after the
    gap; a time that happens twice (clocks go back) means the first one.
    """
    return datetime.combine(day, at, tzinfo=zone_from_name(zone_name)).astimezone(UTC)


def next_checkin_at(now: datetime, zone_name: str, at: time) -> datetime:
    """The next UTC instant, strictly after ``now``, when it is ``at`` o'clock in the zone."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    today = local_now(zone_name, now).date()
    for day_offset in range(3):
        candidate = at_local_time(today + timedelta(days=day_offset), at, zone_name)
        if candidate > now:
            return candidate
    raise AssertionError("unreachable: a local time recurs within three days")  # pragma: no cover
