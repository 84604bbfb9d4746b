"""The kinds of value a content file holds, and how they become a message: templates filled
in with escaping, texts that change with a number (CLDR plurals) and dates (CLDR patterns),
both in the file's own language through Babel.

Kept apart from the sections of ``texts.toml`` (:mod:`bot.content.texts`) so that every
content file (``together.toml``, the course) validates its fields with the same rules.
"""

from __future__ import annotations

import html
import string
from datetime import date
from functools import cache
from typing import Annotated

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, parse_pattern
from babel.numbers import format_decimal
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

# Telegram rejects messages over 4096 characters; keep a margin for filled-in placeholders.
MAX_TEXT_LENGTH = 3500
MAX_BUTTON_LENGTH = 64


def check_template(value: str) -> str:
    """A text with plain ``{name}`` placeholders that fits in a message."""
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(value) if name is not None]
    except ValueError as exc:
        raise ValueError(f"has unbalanced braces ({exc})") from None
    if any(not name.isidentifier() for name in fields):
        raise ValueError("has a placeholder that is not a plain {name}")
    if len(value) > MAX_TEXT_LENGTH:
        raise ValueError(f"is longer than {MAX_TEXT_LENGTH} characters")
    return value.strip()


def _check_date_pattern(value: str) -> str:
    if "%" in value:
        raise ValueError(f"{value!r} is a strftime format; write a CLDR pattern (EEE d MMM)")
    try:
        parse_pattern(value)
    except (ValueError, KeyError) as exc:
        raise ValueError(f"{value!r} is not a CLDR date pattern ({exc})") from None
    return value


@cache
def _locale(language: str) -> Locale:
    return Locale.parse(language)


def _check_language(value: str) -> str:
    try:
        _locale(value)
    except (ValueError, UnknownLocaleError):
        raise ValueError(f"{value!r} is not a language code Babel knows") from None
    return value


Template = Annotated[str, AfterValidator(check_template)]
# A CLDR date pattern ("EEE d MMM"); Babel fills in the language's own day and month names.
DatePattern = Annotated[str, AfterValidator(_check_date_pattern)]
ButtonLabel = Annotated[str, Field(min_length=1, max_length=MAX_BUTTON_LENGTH)]
# A language code Babel knows ("en", "ru"): its plural rules and date names are used.
LanguageCode = Annotated[str, AfterValidator(_check_language)]


class Section(BaseModel):
    """A table of a content file: no unknown keys (usually a typo), never changed."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Html(str):
    """Text that is already HTML (from our content files, or rendered by us): not escaped."""

    __slots__ = ()


def render(template: str, /, **values: object) -> str:
    """Fill a template's placeholders, HTML-escaping every value (names are user input)
    except those marked :class:`Html`."""
    return template.format(
        **{
            key: value if isinstance(value, Html) else html.escape(str(value))
            for key, value in values.items()
        }
    )


class Plural(Section):
    """A text that changes with a number: one form per CLDR plural category its language uses
    (English: ``one``, ``other``; Russian also ``few`` and ``many``). Babel's CLDR rules pick
    the form, so no code says ``if n == 1`` and a new language brings its own categories."""

    zero: Template | None = None
    one: Template | None = None
    two: Template | None = None
    few: Template | None = None
    many: Template | None = None
    other: Template

    def missing_forms(self, language: str) -> list[str]:
        """The categories ``language`` needs that this text has no form for."""
        return sorted(tag for tag in _locale(language).plural_form.tags if not getattr(self, tag))

    def render(self, language: str, count: int, /, **values: object) -> str:
        """The form for ``count`` in ``language``, filled in (``{count}`` is the number)."""
        form = getattr(self, _locale(language).plural_form(count)) or self.other
        return render(form, count=format_number(count, language), **values)


def plurals_in(model: BaseModel, path: str = "") -> list[tuple[str, Plural]]:
    """Every :class:`Plural` in ``model`` and its sections, with its dotted key."""
    found: list[tuple[str, Plural]] = []
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, Plural):
            found.append((f"{path}{name}", value))
        elif isinstance(value, BaseModel):
            found.extend(plurals_in(value, f"{path}{name}."))
    return found


def format_number(value: int, language: str) -> str:
    """``value`` as ``language`` writes it: "4,000" in English, "4.000" in German, "4 000"
    (a no-break space) in Russian. Never Python's own "{:,}", which is always English."""
    return format_decimal(value, locale=_locale(language))


def format_day(day: date, pattern: str, language: str) -> str:
    """``day`` as ``language`` writes it, by a CLDR pattern (``EEE d MMM``)."""
    return format_date(day, pattern, locale=_locale(language))
