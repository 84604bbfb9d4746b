"""The country of a saved time zone, so that help in a crisis can name that country's lines.

The IANA database says which country each zone is in (``zone.tab``), and which old names are
links to a zone (``L`` lines of ``tzdata.zi``: ``Europe/Kiev`` is now ``Europe/Kyiv``). Both are
read once, at start-up, from the ``tzdata`` package through ``importlib.resources``; the lookup
itself is pure. A zone that belongs to no country (``UTC``, ``Etc/GMT+5``, the ``UTC+05:30``
offsets the bot stores for typed offsets) gives ``None``: the person's language then decides
which lines are shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

TZDATA_PACKAGE = "tzdata.zoneinfo"
# A chain of links longer than this is a loop in a broken database, not a real zone.
MAX_LINK_HOPS = 8


@dataclass(frozen=True)
class ZoneCountries:
    """Zone name to ISO 3166 country code, and old zone names to the zones they now name."""

    countries: Mapping[str, str]
    links: Mapping[str, str]

    def country_of(self, zone: str | None) -> str | None:
        """The country of ``zone``, or ``None`` for no zone, ``UTC``, ``Etc/*``, an offset, or
        a name the database does not know.

        ``zone.tab`` is asked first: a zone that has a country of its own keeps it even where
        ``tzdata.zi`` links it to another country's zone of the same clock (``Europe/Oslo`` is a
        link to ``Europe/Berlin`` there, and still in Norway). Only a name ``zone.tab`` does not
        list is followed through the links (``Asia/Calcutta`` to ``Asia/Kolkata``).
        """
        name = zone
        for _ in range(MAX_LINK_HOPS):
            if not name:
                return None
            if name in self.countries:
                return self.countries[name]
            name = self.links.get(name)
        return None


def parse_zone_tab(text: str) -> dict[str, str]:
    """``zone.tab``'s rows (``UA<TAB>+5026+03031<TAB>Europe/Kyiv<TAB>comment``) as zone to
    country; comments and blank lines are skipped."""
    countries: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) >= 3:
            countries[fields[2].strip()] = fields[0].strip()
    return countries


def parse_links(text: str) -> dict[str, str]:
    """The ``L TARGET LINK-NAME`` lines of ``tzdata.zi`` as link name to target."""
    links: dict[str, str] = {}
    for line in text.splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[0] == "L":
            links[fields[2]] = fields[1]
    return links


@cache
def load_zone_countries() -> ZoneCountries:
    """Read both files from the installed ``tzdata`` (at start-up: the lookups never read;
    the files do not change while the process runs, so they are read once)."""
    folder = resources.files(TZDATA_PACKAGE)
    return ZoneCountries(
        countries=parse_zone_tab(folder.joinpath("zone.tab").read_text(encoding="utf-8")),
        links=parse_links(folder.joinpath("tzdata.zi").read_text(encoding="utf-8")),
    )
