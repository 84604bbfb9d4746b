"""Help in a crisis, for the person's country, in the person's language: built from
``helplines.toml`` (the numbers) and the ``[helplines]`` texts (the connecting words), no I/O.

The short block (emergency number, one crisis line, one violence line, the directory) opens
both the crisis reply and ``/support``; ``/support``'s "More lines" button shows the rest. A
country nobody knows (no zone yet, UTC, an offset) gets the language's own list of countries,
each line marked with its country, and the directory.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

from babel import Locale, UnknownLocaleError
from telegram import InlineKeyboardMarkup

from bot.content import Html, Texts, render
from bot.content.helplines import Country, Helplines, Kind, Line
from bot.views import callbacks
from bot.views.keyboards import button

# The payload of "More lines" when no country is known: the language's list is shown.
NO_COUNTRY = "none"
MORE_PATTERN = callbacks.pattern(callbacks.HELPLINES, rf"[A-Z]{{2}}|{NO_COUNTRY}")
_TAG = re.compile(r"<[^>]+>")


def visible_length(text: str) -> int:
    """How many characters a person sees of an HTML message (tags removed, entities read)."""
    return len(html.unescape(_TAG.sub("", text)))


def country_name(code: str, language: str, fallback: str) -> str:
    """The country's name in ``language`` (CLDR, through Babel), else its English name."""
    try:
        return str(Locale.parse(language).territories.get(code, fallback))
    except (ValueError, UnknownLocaleError):
        return fallback


def flag(code: str) -> str:
    """The flag emoji of a two-letter country code (regional indicator letters)."""
    return "".join(chr(0x1F1E6 + ord(letter) - ord("A")) for letter in code)


class HelpView:
    """What one person reads: their ``texts`` and either their ``country`` or, if it is
    unknown or has no entry, their language's list of countries."""

    def __init__(self, texts: Texts, helplines: Helplines, country: str | None) -> None:
        self.texts = texts
        self.words = texts.helplines
        self.helplines = helplines
        self.country = country if helplines.country(country) is not None else None
        codes = [self.country] if self.country else helplines.fallback_for(texts.language)
        self.countries: list[tuple[str, Country]] = [
            (code, helplines.countries[code]) for code in codes
        ]

    # --- the parts ----------------------------------------------------------------------------

    def _name(self, code: str, country: Country) -> str:
        return country_name(code, self.texts.language, country.name)

    def _qualified(self, text: str, qualifiers: list[str]) -> str:
        if not qualifiers:
            return text
        joined = self.words.qualifier_separator.join(html.escape(each) for each in qualifiers)
        return render(self.words.qualified, line=Html(text), qualifiers=Html(joined))

    def line(self, line: Line, code: str | None = None, *, hours: bool = False) -> str:
        """One service: its name (a link, when it has a site) and number, with whom it is for
        (and its hours, if asked), after the flag of its country ``code`` if given."""
        name: str = html.escape(line.name)
        if line.url is not None:
            name = render(self.words.link, url=str(line.url), name=line.name)
        text = (
            render(self.words.line, name=Html(name), phone=line.phone)
            if line.phone is not None
            else name
        )
        qualifiers = []
        if line.audience == "women":
            qualifiers.append(self.words.women)
        elif line.audience == "men":
            qualifiers.append(self.words.men)
        if hours and line.hours:
            qualifiers.append(line.hours)
        text = self._qualified(text, qualifiers)
        # Several countries (someone whose own is unknown): each line after its country's flag.
        return f"{flag(code)} {text}" if code is not None else text

    def _tag(self, code: str) -> str | None:
        """Which country a line is from: said only when more than one country is shown."""
        return code if len(self.countries) > 1 else None

    def _kind(self, template: str, chosen: list[tuple[str, Line]]) -> str | None:
        if not chosen:
            return None
        lines = self.words.separator.join(self.line(line, self._tag(code)) for code, line in chosen)
        return render(template, lines=Html(lines))

    def emergency(self) -> str:
        if self.country is not None:
            return render(self.words.emergency, number=self.countries[0][1].emergency)
        if not self.countries:
            return self.words.emergency_unknown
        numbers = self.words.separator.join(
            f"{flag(code)} {html.escape(country.emergency)}" for code, country in self.countries
        )
        return render(self.words.emergency_elsewhere, numbers=Html(numbers))

    def directory(self) -> str:
        url = str(self.helplines.directory.url)
        site = urlsplit(url).hostname or self.helplines.directory.name
        return render(self.words.directory, url=url, site=site.removeprefix("www."))

    # --- what is sent -------------------------------------------------------------------------

    def block(self) -> str:
        """Emergency number, one crisis line, one violence line (all genders, or the women's
        and the men's), the directory: the short help at the top of both replies."""
        crisis = [(code, lines[0]) for code, c in self.countries if (lines := c.of_kind("crisis"))]
        violence = [(code, line) for code, c in self.countries for line in c.violence_lines()]
        parts = [
            self.emergency(),
            self._kind(self.words.crisis, crisis),
            self._kind(self.words.violence, violence),
            self.directory(),
        ]
        return "\n".join(part for part in parts if part)

    def crisis_reply(self) -> str:
        return render(self.texts.crisis.reply, help=Html(self.block()))

    def support(self) -> str:
        return render(self.texts.support.text, help=Html(self.block()))

    def more_payload(self) -> str:
        return self.country or NO_COUNTRY

    def support_markup(self) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup(
            [[button(self.texts.support.more_button, callbacks.HELPLINES, self.more_payload())]]
        )

    def more(self) -> str:
        """Every line of the country, then of the language's countries, each with whom it is
        for and its hours; the directory last."""
        codes: list[str] = [self.country] if self.country else []
        codes += [
            code for code in self.helplines.fallback_for(self.texts.language) if code not in codes
        ]
        sections = []
        templates: dict[Kind, str] = {
            "crisis": self.words.more_crisis,
            "violence": self.words.more_violence,
            "sexual_violence": self.words.more_sexual_violence,
        }
        for code in codes:
            country = self.helplines.countries[code]
            rows = [
                render(self.words.more_country, flag=flag(code), country=self._name(code, country)),
                render(self.words.more_emergency, number=country.emergency),
            ]
            rows += [
                render(templates[line.kind], line=Html(self.line(line, hours=True)))
                for kind in templates
                for line in country.of_kind(kind)
            ]
            sections.append("\n".join(rows))
        sections.append(self.directory())
        return render(self.texts.support.more, lines=Html("\n\n".join(sections)))
