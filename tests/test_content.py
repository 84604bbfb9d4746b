"""The texts file is validated at start-up; a broken one names the file and the field."""

from __future__ import annotations

import re
import shutil
import string
import tomllib
from datetime import date
from pathlib import Path

import pytest
import Stemmer
from babel import Locale
from pydantic import BaseModel

from bot.app import load_content
from bot.content import ContentError, Plural, load_texts, render
from bot.content.crisis_matcher import words_of
from bot.content.formats import plurals_in
from bot.content.locales import (
    LOCALES,
    TEXTS_NAME,
    TOGETHER_NAME,
    compare_with_english,
    locale_folders,
)
from bot.content.texts import CONTENT_DIR, TEXTS_FILE
from bot.content.together import TOGETHER_FILE
from tests.harness import TEXTS, content_variant, shipped_content, shown
from tests.journeys import HELPLINES, SUPPORT, SUPPORT_UNKNOWN, support_in

CONTENT = shipped_content()


def write_variant(tmp_path: Path, edit: str, replacement: str) -> Path:
    return content_variant(tmp_path, TEXTS_FILE, edit, replacement)


def test_shipped_texts_load() -> None:
    texts = load_texts()
    assert texts.onboarding.suggested_times
    assert {command.command for command in texts.commands} >= {"start", "help"}


def test_missing_field_is_named(tmp_path: Path) -> None:
    path = write_variant(tmp_path, 'zone_saved = "', 'zone_saved_typo = "')

    with pytest.raises(ContentError) as error:
        load_texts(path)

    assert str(error.value) == f"{path}: onboarding.zone_saved is missing"


def test_unknown_field_is_named(tmp_path: Path) -> None:
    path = write_variant(tmp_path, "[menu]\n", "[menu]\nsettings_buttn = 'typo'\n")

    with pytest.raises(ContentError, match=r"menu\.settings_buttn is not a known field"):
        load_texts(path)


def test_unbalanced_placeholder(tmp_path: Path) -> None:
    path = write_variant(tmp_path, "Hi {first_name}", "Hi {first_name")

    with pytest.raises(ContentError, match=r"onboarding\.welcome has unbalanced braces"):
        load_texts(path)


def test_zone_button_that_the_bot_would_not_understand(tmp_path: Path) -> None:
    path = write_variant(tmp_path, '["London", "Berlin", "Moscow"]', '["London", "Atlantis"]')

    with pytest.raises(ContentError, match="'Atlantis' is not a time zone"):
        load_texts(path)


def test_broken_toml(tmp_path: Path) -> None:
    path = tmp_path / "texts.toml"
    path.write_text("[onboarding\nwelcome = 1")

    with pytest.raises(ContentError, match="is not valid TOML"):
        load_texts(path)


def test_render_escapes_values() -> None:
    assert render("Hi {name}", name="<i>&</i>") == "Hi &lt;i&gt;&amp;&lt;/i&gt;"


@pytest.mark.parametrize("path", [TEXTS_FILE, TOGETHER_FILE], ids=lambda path: path.name)
def test_every_text_key_is_used_by_the_code(path: Path) -> None:
    """A text nobody sends is dead content, usually a renamed field left behind."""
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    code = "\n".join(
        module.read_text() for module in (Path(__file__).resolve().parents[1] / "bot").rglob("*.py")
    )
    unused = [
        f"{section}.{key}"
        for section, values in raw.items()
        if isinstance(values, dict)
        for key in values
        if re.search(rf"\.{re.escape(key)}\b", code) is None
    ]
    assert unused == []


# --- what the shipped texts must say, in whatever words --------------------------------------


def test_the_first_words_say_what_the_bot_is_not_and_where_help_is() -> None:
    welcome = shown(TEXTS.onboarding.welcome, first_name="Alex")

    assert "therap" in welcome
    assert "/support" in welcome


def test_help_has_a_line_for_every_command_and_says_what_the_bot_is_not() -> None:
    help_text = shown(TEXTS.help.text)
    more = shown(TEXTS.help.more)

    for command in TEXTS.commands:
        assert f"/{command.command} – " in help_text + more
    assert "not therapy" in help_text


def test_support_names_emergency_numbers_and_where_to_find_a_helpline() -> None:
    assert "emergency number" in SUPPORT_UNKNOWN
    for each in (SUPPORT, SUPPORT_UNKNOWN):
        assert "findahelpline.com" in each
        assert "not therapy" in each


def test_counts_use_the_languages_plural_forms() -> None:
    notes = TEXTS.us.more_notes

    assert [notes.render("en", n) for n in (0, 1, 2, 5, 21)] == [
        render(notes.other, count=0),
        render(notes.one or "", count=1),
        render(notes.other, count=2),
        render(notes.other, count=5),
        render(notes.other, count=21),
    ]


def test_a_count_without_a_form_its_language_needs_is_named(tmp_path: Path) -> None:
    english_forms = 'more_notes = { one = "…and one more note.", '
    path = write_variant(tmp_path, english_forms, "more_notes = { ")

    with pytest.raises(ContentError, match=r"us\.more_notes has no form for one \(en\)"):
        load_texts(path)


def test_russian_counts_pick_one_few_and_many(tmp_path: Path) -> None:
    """CLDR's Russian rules, through Babel: 1 and 21 are "one", 2 "few", 0 and 5 "many"; and a
    Russian text file with only English forms is refused at start."""
    notes = Plural(one="{count} заметка", few="{count} заметки", many="{count} заметок", other="?")

    assert [notes.render("ru", n) for n in (0, 1, 2, 5, 21)] == [
        "0 заметок",
        "1 заметка",
        "2 заметки",
        "5 заметок",
        "21 заметка",
    ]
    path = write_variant(tmp_path, 'language = "en"', 'language = "ru"')
    with pytest.raises(ContentError, match=r"has no form for few, many \(ru\)"):
        load_texts(path)


def test_one_spelling_and_no_invented_claims() -> None:
    """harbor, never harbour; and no "what most people do" the bot cannot know."""
    from bot.content.course import FRAMEWORKS_DIR

    files = [TEXTS_FILE, *FRAMEWORKS_DIR.glob("*.toml")]
    visible = "\n".join(
        value
        for path in files
        for value in _strings(tomllib.loads(path.read_text(encoding="utf-8")))
    )
    assert "harbour" not in visible.lower()
    assert "most people" not in visible.lower()


def _strings(value: object, key: str = "") -> list[str]:
    """Every string a user can read in a parsed content file (ids are not read)."""
    if isinstance(value, str):
        return [] if key == "id" else [value]
    if isinstance(value, dict):
        return [s for k, item in value.items() for s in _strings(item, k)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item, key)]
    return []


# --- languages ------------------------------------------------------------------------------


def test_every_shipped_language_matches_english() -> None:
    """The shipped locales pass every check against English (the bot would not start)."""
    content = load_content()
    folders = [path.name for path in locale_folders()]
    assert list(content.languages) == ["en", *folders]
    for folder in locale_folders():
        assert compare_with_english(CONTENT_DIR, folder) == []
        assert content.languages[folder.name].texts.language == folder.name


LANGUAGES = list(load_content().languages)
# Whole numbers up to here reach every plural category a language uses for counts.
COUNTS = range(1001)


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_language_counts_in_its_own_plural_forms_and_never_tells_a_partner_of_a_deletion(
    code: str,
) -> None:
    """Three guards, run on each language's loaded texts (no English literals):

    * the form for 1 (its CLDR category: also 21, 31... in Russian) is not the form of any
      other category the language gives a whole number, so "1 hours" cannot be shown,
      whatever text is translated next (other categories may share a form: Russian says
      "из 2 дней" and "из 5 дней");
    * no text outside a plural puts a placeholder before a counted word ("{n} check-ins"
      reads "1 check-ins"): the counted words are the language's own, those that change with
      the number in its plural texts;
    * the messages a partner gets when someone erases their data (the pairing ended, and
      /partner afterwards) never use the language's word for deleting: that is the other
      person's business. The word is what the two delete buttons (/delete and a journal
      note's) have in common, by the language's Snowball stemmer.
    """
    content = load_content().languages[code]
    texts = content.texts
    language = Locale.parse(texts.language)
    categories = sorted({language.plural_form(count) for count in COUNTS})
    single = language.plural_form(1)
    plurals = [*plurals_in(texts), *plurals_in(content.together)]
    same_forms, counted = [], set()
    for key, plural in plurals:
        forms = {category: getattr(plural, category) or plural.other for category in categories}
        if [c for c, form in forms.items() if c != single and form == forms[single]]:
            same_forms.append(f"{key}: {forms}")
        # A word after the number that some form lacks is the counted word (not "of", "de").
        for form in forms.values():
            for word in COUNTED.findall(form):
                if not all(word.casefold() in WORD.findall(f.casefold()) for f in forms.values()):
                    counted.add(word.casefold())
    assert same_forms == [], f"{code}: 1 would read like a larger count"
    assert counted, f"{code}: no counted word found in the plural texts"
    folder = CONTENT_DIR if code == "en" else CONTENT_DIR / LOCALES / code
    raw = [tomllib.loads((folder / name).read_text(encoding="utf-8")) for name in CONTENT_FILES]
    outside = [
        (key, number)
        for key, text in _texts_outside_plurals(raw)
        for number in NUMBER_BEFORE_WORD.findall(text)
        if number[1].casefold() in counted
    ]
    assert outside == [], f"{code}: a count outside a plural text"

    stemmer = Stemmer.Stemmer(str(language.english_name).lower())

    def stems(text: str) -> set[str]:
        return set(stemmer.stemWords([w for w in words_of(text) if w.isalpha()]))

    deleting = stems(texts.privacy.delete_confirm_button) & stems(
        texts.journal.delete_confirm_button
    )
    assert deleting, f"{code}: the two delete buttons share no word"
    for told in (texts.pairing.unpaired_partner, texts.pairing.pairing_ended_unnamed):
        said = stems(told)
        assert not {s for s in said for word in deleting if word in s}, f"{code}: {told!r}"


WORD = re.compile(r"[^\W\d_][\w-]*")
COUNTED = re.compile(r"\{count\} ([^\W\d_][\w-]*)")
NUMBER_BEFORE_WORD = re.compile(r"(\{\w+\}) ([^\W\d_][\w-]*)")
CONTENT_FILES = (TEXTS_NAME, TOGETHER_NAME)


def _texts_outside_plurals(value: object, key: str = "") -> list[tuple[str, str]]:
    """Every string of a parsed content file with its dotted key, except plural forms (a
    table with an ``other`` form)."""
    if isinstance(value, str):
        return [(key, value)]
    if isinstance(value, list):
        return [found for item in value for found in _texts_outside_plurals(item, key)]
    if isinstance(value, dict) and "other" not in value:
        return [
            found
            for name, item in value.items()
            for found in _texts_outside_plurals(item, f"{key}.{name}" if key else name)
        ]
    return []


def with_locale(tmp_path: Path, code: str = "nl") -> tuple[Path, Path]:
    """A copy of the content folder with English copied in as locale ``code``: (content
    folder, locale folder)."""
    root = tmp_path / "content"
    shutil.copytree(
        CONTENT_DIR, root, ignore=shutil.ignore_patterns("locales", "*.py", "__pycache__")
    )
    locale = root / "locales" / code
    shutil.copytree(root / "frameworks", locale / "frameworks")
    for name in ("texts.toml", "together.toml", "crisis.toml"):
        shutil.copy(root / name, locale / name)
    texts = locale / "texts.toml"
    texts.write_text(
        texts.read_text(encoding="utf-8").replace('language = "en"', f'language = "{code}"', 1),
        encoding="utf-8",
    )
    return root, locale


def broken_locale(tmp_path: Path, file: str, edit: str, replacement: str, code: str = "nl") -> str:
    """What the loader says about a locale with one edit, in ``file`` (relative)."""
    root, locale = with_locale(tmp_path, code)
    content_variant(locale / Path(file).parent, locale / file, edit, replacement)
    with pytest.raises(ContentError) as error:
        load_content(root)
    return str(error.value)


def test_an_english_copy_is_a_language(tmp_path: Path) -> None:
    root, _ = with_locale(tmp_path)
    assert list(load_content(root).languages) == ["en", "nl"]


def test_a_missing_key_names_file_key_and_language(tmp_path: Path) -> None:
    message = broken_locale(tmp_path, "texts.toml", 'zone_saved = "', 'zone_saved_typo = "')
    assert re.search(r"locales/nl/texts\.toml: onboarding\.zone_saved \(nl\) is missing", message)
    assert "onboarding.zone_saved_typo (nl) is not in English" in message


def test_a_changed_placeholder(tmp_path: Path) -> None:
    message = broken_locale(tmp_path, "texts.toml", "Hi {first_name}", "Hallo {name}")
    assert "onboarding.welcome (nl) lacks {first_name} and has {name} not in English" in message


def test_a_missing_button(tmp_path: Path) -> None:
    message = broken_locale(tmp_path, "texts.toml", '"Saturday", "Sunday"]', '"Saturday"]')
    assert "settings.weekdays (nl) has 6 items; English has 7" in message


def test_a_changed_id(tmp_path: Path) -> None:
    message = broken_locale(
        tmp_path,
        "frameworks/secure_base.toml",
        'id = "',
        'id = "x-',
    )
    assert re.search(r"frameworks/secure_base\.toml: id \(nl\) is 'x-.*'; ids stay", message)


def test_broken_html(tmp_path: Path) -> None:
    message = broken_locale(tmp_path, "texts.toml", "<b>Secure Base</b>", "<b>Secure Base")
    assert "onboarding.welcome (nl) has broken HTML: it leaves <b> open" in message
    tags = broken_locale(tmp_path / "2", "texts.toml", "<b>Secure Base</b>", "<h1>Secure Base</h1>")
    assert "uses <h1>, which Telegram does not allow" in tags


def test_a_card_grown_too_long(tmp_path: Path) -> None:
    root, locale = with_locale(tmp_path)
    course = locale / "frameworks" / "secure_base.toml"
    text = course.read_text(encoding="utf-8")
    start = text.index('text = """') + len('text = """')
    course.write_text(text[:start] + "Lorem ipsum dolor sit amet. " * 20 + text[start:])
    with pytest.raises(ContentError, match=r"cards\[0\]\.text \(nl\) is \d+ characters, more than"):
        load_content(root)


def test_a_missing_plural_category(tmp_path: Path) -> None:
    """Polish needs one, few, many and other: English's two forms are not enough."""
    root, _ = with_locale(tmp_path, "pl")
    with pytest.raises(ContentError, match=r"\(pl\) has no form for few, many"):
        load_content(root)


def test_the_folder_and_the_language_agree(tmp_path: Path) -> None:
    root, locale = with_locale(tmp_path)
    texts = locale / "texts.toml"
    texts.write_text(texts.read_text(encoding="utf-8").replace('"nl"', '"de"', 1))
    with pytest.raises(ContentError, match="language is 'de' but the folder is 'nl'"):
        load_content(root)


def test_a_missing_file(tmp_path: Path) -> None:
    root, locale = with_locale(tmp_path)
    (locale / "crisis.toml").unlink()
    with pytest.raises(ContentError, match=r"locales/nl/crisis\.toml: is missing \(nl\)"):
        load_content(root)


def test_crisis_words_of_every_language_are_recognised() -> None:
    """The phrases of every language are checked for every message."""
    content = load_content()
    for code in content.languages:
        raw = tomllib.loads((locale_dir(code) / "crisis.toml").read_text(encoding="utf-8"))
        phrases = raw["phrases"]["suicide_and_self_harm"]
        phrase = next(p for p in phrases if isinstance(p, str) and "{" not in p)
        assert content.crisis.family_of(phrase) == "suicide_and_self_harm", (code, phrase)


def locale_dir(code: str) -> Path:
    return CONTENT_DIR if code == "en" else CONTENT_DIR / "locales" / code


# --- every text fits a chat message -------------------------------------------------------------

# Telegram's limit for one message, in UTF-16 code units after entities are parsed.
CHAT_MESSAGE = 4096
# What a person reads at a glance without scrolling far: /help and /support (issue #25).
CHAT_SIZED = 900
# The longest each placeholder can be when filled in. Names are Telegram's first names (at
# most 64 characters; emoji, two units each, are the worst case); the rest are the longest
# values the bot fills in (a day, the help block of bot/content/helplines.toml, at most 600
# as tests/test_helplines.py checks, a course step's practice, one line of answers...).
_NAME = "😀" * 64
WORST_CASE: dict[str, str] = {
    **dict.fromkeys(("partner", "first_name", "inviter", "name"), _NAME),
    **dict.fromkeys(("day", "first", "last", "since", "until", "weekly_day"), "W" * 40),
    **dict.fromkeys(("help", "lines", "answers", "sections", "practice", "reflection"), "H" * 900),
    **dict.fromkeys(("question", "tip", "parts", "what", "tagline", "line", "numbers"), "Q" * 300),
    # A person's own words (a note, an appreciation, a /talk answer): every message that
    # carries them goes through bot.views.parts.message_parts, which cuts it into messages
    # that fit; what is checked here is the bot's own words around them.
    **dict.fromkeys(("text", "body", "mine", "theirs"), "…"),
}
DEFAULT_WORST_CASE = "D" * 100


def _templates(value: object, path: str = "") -> list[tuple[str, str]]:
    """Every text in a content model (its sections, tables, lists), with its dotted path."""
    if isinstance(value, BaseModel):
        return [
            found
            for name in type(value).model_fields
            for found in _templates(getattr(value, name), f"{path}.{name}")
        ]
    if isinstance(value, dict):
        return [found for key, item in value.items() for found in _templates(item, f"{path}.{key}")]
    if isinstance(value, list | tuple):
        return [found for i, item in enumerate(value) for found in _templates(item, f"{path}[{i}]")]
    return [(path, value)] if isinstance(value, str) else []


def _filled_worst(template: str) -> str:
    names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    return shown(template, **{name: WORST_CASE.get(name, DEFAULT_WORST_CASE) for name in names})


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@pytest.mark.parametrize("code", sorted(CONTENT.languages))
def test_every_text_fits_a_chat_message_and_help_and_support_are_chat_sized(code: str) -> None:
    """Every text a person may read, in every language, filled in with the longest values
    its placeholders can take, fits one Telegram message; /help and /support (in every
    country, and with the country unknown) stay within 900 characters."""
    language = CONTENT.languages[code]
    texts = language.texts
    found = [
        *_templates(texts, "texts"),
        *_templates(language.together, "together"),
        *(
            item
            for key, framework in language.frameworks.items()
            for item in _templates(framework, f"frameworks.{key}")
        ),
    ]
    assert len(found) > 500  # the walk reached the texts
    too_long = {
        path: size for path, text in found if (size := _units(_filled_worst(text))) > CHAT_MESSAGE
    }
    assert too_long == {}

    assert _units(shown(texts.help.text)) <= CHAT_SIZED
    assert _units(shown(texts.help.more)) <= CHAT_SIZED
    support = max(_units(support_in(country, texts)) for country in [*HELPLINES.countries, None])
    assert support <= CHAT_SIZED


@pytest.mark.parametrize("code", sorted(CONTENT.languages))
def test_no_full_stop_is_added_after_a_date_that_ends_in_one(code: str) -> None:
    """CLDR's short dates end in a full stop in some languages ("Di., 8. Dez."): a text never
    adds a second one ("bis Di., 8. Dez.." in issue #25)."""
    texts = CONTENT.languages[code].texts
    tuesday = texts.date(date(2026, 12, 8), texts.checkin.day_format)
    dates = dict.fromkeys(("day", "until", "first", "last"), tuesday)
    dates["since"] = texts.date(date(2026, 12, 8), texts.pairing.since_format)
    doubled = [
        path
        for path, template in _templates(texts, "texts")
        if "{" in template
        and path != "texts.privacy.export_filename"  # an ISO date, in a file name
        and re.search(r"[^.]\.\.(?!\.)", _filled_worst_with(template, dates))
    ]
    assert doubled == []


def _filled_worst_with(template: str, values: dict[str, str]) -> str:
    names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    filled = {name: values.get(name, WORST_CASE.get(name, DEFAULT_WORST_CASE)) for name in names}
    return shown(template, **filled)
