"""The texts file is validated at start-up; a broken one names the file and the field."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from bot.content import ContentError, load_texts, render
from bot.content.texts import TEXTS_FILE, Plural
from tests.harness import TEXTS, content_variant, shown
from tests.journeys import SUPPORT


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


def test_every_text_key_is_used_by_the_code() -> None:
    """A text nobody sends is dead content, usually a renamed field left behind."""
    raw = tomllib.loads(TEXTS_FILE.read_text(encoding="utf-8"))
    code = "\n".join(
        path.read_text() for path in (Path(__file__).resolve().parents[1] / "bot").rglob("*.py")
    )
    unused = [
        f"{section}.{key}"
        for section, values in raw.items()
        if isinstance(values, dict)
        for key in values
        if f".{key}" not in code
    ]
    assert unused == []


# --- what the shipped texts must say, in whatever words --------------------------------------


def test_the_first_words_say_what_the_bot_is_not_and_where_help_is() -> None:
    welcome = shown(TEXTS.onboarding.welcome, first_name="Alex")

    assert "therap" in welcome
    assert "/support" in welcome


def test_help_has_a_line_for_every_command_and_says_what_the_bot_is_not() -> None:
    help_text = shown(TEXTS.help.text)

    for command in TEXTS.commands:
        assert f"/{command.command} – " in help_text
    assert "not therapy" in help_text


def test_support_names_emergency_numbers_and_where_to_find_a_helpline() -> None:
    assert "emergency number" in SUPPORT
    assert "findahelpline.com" in SUPPORT


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


def test_no_count_outside_a_plural_text() -> None:
    """ "{n} check-ins" reads "1 check-ins": a number before a counted word must come from a
    Plural text. (/us and the check-in are converted with their own rewrite.)"""
    raw = tomllib.loads(TEXTS_FILE.read_text(encoding="utf-8"))
    counted = re.compile(r"\{\w+\} (?:\w+-)?(?:days|hours|minutes|check-ins|notes|moments|times)")
    offenders = [
        f"{section}.{key}"
        for section, values in raw.items()
        if isinstance(values, dict) and section not in {"us", "checkin"}
        for key, value in values.items()
        if isinstance(value, str) and counted.search(value)
    ]
    assert offenders == []


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
