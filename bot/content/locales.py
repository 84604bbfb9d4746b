"""The languages of the bot: English in ``bot/content/``, each other one in a folder
``bot/content/locales/<code>/`` holding the same four files (see the README, "Adding a
language").

Each language is loaded with the same validated loaders as English, then compared with
English: every key and no other, the same ``{placeholders}`` per text, the same list lengths
and ids, the same command names, valid Telegram HTML with the same tags, course cards that
stay chat-sized, and a plural form for every CLDR category the language needs. Every problem
found is listed (file, key, language) in one :class:`ContentError`, and the bot does not start.
"""

from __future__ import annotations

import string
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from babel import Locale

from bot.content.course import Framework, load_frameworks
from bot.content.crisis import load_crisis_phrases
from bot.content.crisis_matcher import CrisisMatcher
from bot.content.texts import CONTENT_DIR, ContentError, Texts, load_texts
from bot.content.together import TogetherContent, load_together

DEFAULT_LANGUAGE = "en"
LOCALES = "locales"
TEXTS_NAME = "texts.toml"
TOGETHER_NAME = "together.toml"
CRISIS_NAME = "crisis.toml"
FRAMEWORKS_NAME = "frameworks"
# The tags Telegram's HTML parse mode knows (https://core.telegram.org/bots/api#html-style).
ALLOWED_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
     "blockquote", "tg-spoiler", "span", "tg-emoji"}
)  # fmt: skip
# A course card may grow this much in translation and still read as one chat message.
MAX_CARD_GROWTH = 1.4
CARD_FIELDS = frozenset({"text", "practice", "closing"})


@dataclass(frozen=True)
class LanguageContent:
    """Everything one language says: its texts, course, shared-moment texts and the
    phrases that read like a crisis in it."""

    texts: Texts
    frameworks: dict[str, Framework]
    together: TogetherContent
    crisis: CrisisMatcher

    @property
    def code(self) -> str:
        return self.texts.language


def load_language(directory: Path) -> LanguageContent:
    """One language's four files, each through its validated loader."""
    texts = load_texts(directory / TEXTS_NAME)
    return LanguageContent(
        texts=texts,
        frameworks=load_frameworks(directory / FRAMEWORKS_NAME),
        together=load_together(directory / TOGETHER_NAME),
        # The phrases are stemmed in the language of the folder's texts.
        crisis=load_crisis_phrases(directory / CRISIS_NAME, texts.language),
    )


def locale_folders(content_dir: Path = CONTENT_DIR) -> list[Path]:
    """Every folder under ``locales/``: adding a language is adding one."""
    root = content_dir / LOCALES
    if not root.is_dir():
        return []
    return sorted(path for path in root.iterdir() if path.is_dir() and path.name[0] not in "._")


def load_languages(content_dir: Path = CONTENT_DIR) -> dict[str, LanguageContent]:
    """English, then every locale folder, each loaded and checked against English; English
    first in the result. Raises :class:`ContentError` listing every problem found."""
    english = load_language(content_dir)
    if english.code != DEFAULT_LANGUAGE:
        raise ContentError(
            f"{content_dir / TEXTS_NAME}: language is {english.code!r}; the source is "
            f"{DEFAULT_LANGUAGE!r}"
        )
    languages = {english.code: english}
    problems = list(english_html_problems(content_dir))
    for folder in locale_folders(content_dir):
        language: LanguageContent | None = None
        try:
            found = compare_with_english(content_dir, folder)
            language = None if found else load_language(folder)
        except ContentError as error:
            found = [f"{error} ({folder.name})"]
        if language is not None and language.code != folder.name:
            found.append(
                f"{folder / TEXTS_NAME}: language is {language.code!r} but the folder is "
                f"{folder.name!r}"
            )
        if found or language is None:
            problems += found
            continue
        languages[language.code] = language
    if problems:
        raise ContentError("\n".join(problems))
    return languages


# --- the comparison with English --------------------------------------------------------------


def _files(directory: Path) -> list[Path]:
    frameworks = sorted((directory / FRAMEWORKS_NAME).glob("*.toml"))
    return [
        directory / TEXTS_NAME,
        directory / TOGETHER_NAME,
        directory / CRISIS_NAME,
        *frameworks,
    ]


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ContentError(f"{path}: cannot be read ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ContentError(f"{path}: is not valid TOML ({exc})") from None


def compare_with_english(content_dir: Path, folder: Path) -> list[str]:
    """Every way the locale in ``folder`` differs from English where it must not, as
    "file: key (language) problem" lines; empty when it matches."""
    language = folder.name
    problems: list[str] = []
    for source in _files(content_dir):
        relative = source.relative_to(content_dir)
        target = folder / relative
        if not target.is_file():
            problems.append(f"{target}: is missing ({language})")
            continue
        english, translated = _read(source), _read(target)
        check = _Comparison(language, cards=relative.parent.name == FRAMEWORKS_NAME)
        if relative.name == CRISIS_NAME:
            # Phrases are written natively: only the families must be the same.
            check.keys("phrases", english.get("phrases", {}), translated.get("phrases", {}))
        else:
            check.value("", english, translated)
        problems += [f"{target}: {key} ({language}) {problem}" for key, problem in check.found]
    for extra in sorted((folder / FRAMEWORKS_NAME).glob("*.toml")):
        if not (content_dir / FRAMEWORKS_NAME / extra.name).is_file():
            problems.append(f"{extra}: has no English original ({language})")
    return problems


def placeholders(text: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}
    except ValueError:
        return set()


class _TagChecker(HTMLParser):
    """Tags of one text, and whether they nest and close as Telegram requires."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.open: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"uses <{tag}>, which Telegram does not allow")
        self.tags.add(tag)
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.problems.append(f"closes </{tag}> that is not open")
        else:
            self.open.pop()


def html_problems(text: str) -> tuple[set[str], list[str]]:
    """The tags ``text`` uses and what is wrong with its HTML (nothing, if it is valid)."""
    checker = _TagChecker()
    checker.feed(text)
    checker.close()
    problems = list(checker.problems)
    if checker.open:
        problems.append(f"leaves <{checker.open[-1]}> open")
    return checker.tags, problems


def _is_plural(value: object) -> bool:
    return (
        isinstance(value, dict)
        and "other" in value
        and all(isinstance(form, str) for form in value.values())
    )


@dataclass
class _Comparison:
    language: str
    # A course file: its cards must stay chat-sized.
    cards: bool
    found: list[tuple[str, str]] = field(default_factory=list)

    def problem(self, key: str, text: str) -> None:
        self.found.append((key or "(top level)", text))

    def keys(self, key: str, english: Mapping[str, Any], translated: Mapping[str, Any]) -> None:
        for name in english.keys() - translated.keys():
            self.problem(_join(key, name), "is missing")
        for name in translated.keys() - english.keys():
            self.problem(_join(key, name), "is not in English (a typo?)")

    def value(self, key: str, english: object, translated: object) -> None:
        if key.endswith("_format") or key == "language":
            return  # date patterns and the code are the language's own
        if _is_plural(english):
            self.plural(key, english, translated)  # type: ignore[arg-type]
        elif isinstance(english, dict):
            if not isinstance(translated, dict):
                self.problem(key, "must be a table, as in English")
                return
            self.keys(key, english, translated)
            for name in english.keys() & translated.keys():
                self.value(_join(key, name), english[name], translated[name])
        elif isinstance(english, list):
            if not isinstance(translated, list) or len(translated) != len(english):
                count = len(translated) if isinstance(translated, list) else "no"
                self.problem(key, f"has {count} items; English has {len(english)}")
                return
            for index, (mine, theirs) in enumerate(zip(english, translated, strict=True)):
                self.value(f"{key}[{index}]", mine, theirs)
        elif isinstance(english, str):
            if not isinstance(translated, str):
                self.problem(key, "must be text, as in English")
                return
            self.text(key, english, translated)
        elif english != translated:
            self.problem(key, f"is {translated!r}; it must stay {english!r} as in English")

    def text(self, key: str, english: str, translated: str) -> None:
        last = key.rsplit(".", 1)[-1]
        if last in {"id", "command", "part"} and english != translated:
            self.problem(key, f"is {translated!r}; ids stay as in English ({english!r})")
        mine, theirs = placeholders(english), placeholders(translated)
        if mine != theirs:
            self.problem(key, _placeholder_difference(mine, theirs))
        self.html(key, english, translated)
        if self.cards and last in CARD_FIELDS and len(translated) > len(english) * MAX_CARD_GROWTH:
            self.problem(
                key,
                f"is {len(translated)} characters, more than {MAX_CARD_GROWTH:.0%} of the "
                f"English card ({len(english)}): keep cards chat-sized",
            )

    def html(self, key: str, english: str, translated: str) -> None:
        english_tags, _ = html_problems(english)
        tags, problems = html_problems(translated)
        for problem in problems:
            self.problem(key, f"has broken HTML: it {problem}")
        if tags != english_tags:
            self.problem(
                key,
                f"uses the tags {sorted(tags) or 'none'}; "
                f"English uses {sorted(english_tags) or 'none'}",
            )

    def plural(self, key: str, english: dict[str, str], translated: object) -> None:
        if not _is_plural(translated):
            self.problem(key, "must be a plural table (one form per plural category)")
            return
        assert isinstance(translated, dict)
        needed = Locale.parse(self.language).plural_form.tags
        if missing := sorted(needed - translated.keys()):
            self.problem(key, f"has no form for {', '.join(missing)}")
        allowed = set().union(*(placeholders(form) for form in english.values()))
        for category, form in translated.items():
            if extra := placeholders(form) - allowed:
                self.problem(f"{key}.{category}", f"has {{{sorted(extra)[0]}}}, not in English")
            _, problems = html_problems(form)
            for problem in problems:
                self.problem(f"{key}.{category}", f"has broken HTML: it {problem}")
        if placeholders(english["other"]) != placeholders(translated["other"]):
            self.problem(
                f"{key}.other",
                _placeholder_difference(
                    placeholders(english["other"]), placeholders(translated["other"])
                ),
            )


def _join(key: str, name: str) -> str:
    return f"{key}.{name}" if key else name


def _placeholder_difference(english: set[str], translated: set[str]) -> str:
    parts = []
    if missing := sorted(english - translated):
        parts.append("lacks " + ", ".join(f"{{{name}}}" for name in missing))
    if extra := sorted(translated - english):
        parts.append("has " + ", ".join(f"{{{name}}}" for name in extra) + " not in English")
    return " and ".join(parts)


def english_html_problems(content_dir: Path = CONTENT_DIR) -> Iterator[str]:
    """Broken HTML in the English files themselves (the source must be valid too)."""
    for path in _files(content_dir):
        if path.name == CRISIS_NAME:
            continue
        for key, text in _strings("", _read(path)):
            for problem in html_problems(text)[1]:
                yield f"{path}: {key} ({DEFAULT_LANGUAGE}) has broken HTML: it {problem}"


def _strings(key: str, value: object) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield key, value
    elif isinstance(value, dict):
        for name, inner in value.items():
            yield from _strings(_join(key, name), inner)
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _strings(f"{key}[{index}]", inner)
