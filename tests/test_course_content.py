"""The shipped course content: complete, chat-sized, our own words, and checked at start-up."""

from __future__ import annotations

import copy
import html
import json
import re
import shutil
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.content.course import (
    FRAMEWORKS_DIR,
    MAX_CARD_LENGTH,
    MAX_LABEL_LENGTH,
    MAX_QUESTION_LENGTH,
    Framework,
    load_framework,
    load_frameworks,
)
from bot.content.texts import ContentError
from tests.telegram_fake import visible_text

SHIPPED_FILE = FRAMEWORKS_DIR / "secure_base.toml"
TINY_FILE = Path(__file__).resolve().parent / "fixtures" / "frameworks" / "tiny.toml"
# The seed lives in shared/ beside the repository (locally /work/shared, in CI <clone>/../shared).
SEED_FILE = (
    Path(__file__).resolve().parents[1].parent / "shared" / "seed" / "secure-base-strategy.txt"
)

# One section per part of the seed, in the seed's order.
EXPECTED_SECTIONS = [
    "about",  # problem it solves, best for, not ideal for
    "why",  # why this framework exists
    "principles",  # the five core principles
    "step1",
    "step2",
    "step3",
    "step4",
    "example",  # Bella and Mark
    "mistakes",  # the two common mistakes
    "origins",  # origin story and source
]
SHINGLE = 6


@pytest.fixture(scope="module")
def shipped() -> Framework:
    return load_frameworks()["secure_base"]


def words(text: str) -> list[str]:
    """Visible words only: tags stripped, entities decoded, lowercased, split on non-letters."""
    text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    return re.findall(r"[a-z]+", text.lower())


def shingles(text: str) -> set[tuple[str, ...]]:
    tokens = words(text)
    return {tuple(tokens[i : i + SHINGLE]) for i in range(len(tokens) - SHINGLE + 1)}


def strings_in(value: Any) -> Iterator[str]:
    """Every string anywhere in a parsed TOML document."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


def html_texts(framework: Framework) -> Iterator[tuple[str, str]]:
    """(where, text) for everything sent as an HTML message."""
    for section in framework.sections:
        for card in section.cards:
            yield f"{section.id}.{card.id}", card.text
        if section.practice is not None:
            yield f"{section.id}.practice", section.practice
        if section.reflection is not None:
            yield f"{section.id}.reflection", section.reflection
    yield "closing", framework.closing


# --- the shipped framework -------------------------------------------------------------------


def test_sections_cover_every_part_of_the_seed_in_order(shipped: Framework) -> None:
    assert shipped.id == "secure_base"
    assert shipped.title == "The Secure Base Strategy"
    assert [section.id for section in shipped.sections] == EXPECTED_SECTIONS
    assert 20 <= sum(len(section.cards) for section in shipped.sections) <= 30


def test_exactly_four_steps_each_complete(shipped: Framework) -> None:
    steps = shipped.steps
    assert [step.step for step in steps] == [1, 2, 3, 4]
    assert [step.id for step in steps] == ["step1", "step2", "step3", "step4"]
    for step in steps:
        assert step.checklist is not None
        assert len(step.checklist) <= MAX_LABEL_LENGTH
        assert step.practice is not None
        assert step.practice.strip()
        assert step.reflection is not None
        assert len(step.reflection) <= MAX_QUESTION_LENGTH
        assert 1 <= len(step.cards) <= 3


def test_key_facts_of_the_seed_are_there(shipped: Framework) -> None:
    text = {
        section.id: " ".join(card.text for card in section.cards) for section in shipped.sections
    }
    assert "lack of influence" in text["about"]
    assert "professional" in text["about"]
    assert "dependency paradox" in text["why"]
    assert "Bella" in text["example"]
    assert "Mark" in text["example"]
    assert "enmeshment" in text["mistakes"]
    assert "consistency" in text["mistakes"]
    for name in ("Mary Ainsworth", "Brooke Feeney", "Amir Levine", "Rachel Heller", "2010"):
        assert name in text["origins"]
    assert "/settings" in shipped.closing


def test_titles_fit_on_buttons(shipped: Framework) -> None:
    for section in shipped.sections:
        assert len(section.title) <= MAX_LABEL_LENGTH, section.id
        # Titles double as card headers: keep them plain text.
        assert not re.search(r"[<>&{}]", section.title), section.id
    assert not re.search(r"[<>&{}]", shipped.tagline)


def test_every_card_practice_and_closing_fits(shipped: Framework) -> None:
    for where, text in html_texts(shipped):
        assert len(text) <= MAX_CARD_LENGTH, f"{where} is {len(text)} characters"


def test_every_text_is_valid_telegram_html_without_stray_braces(shipped: Framework) -> None:
    for where, text in html_texts(shipped):
        visible_text(text, "HTML")  # raises BadRequestError where Telegram would
        assert text.format() == text, where


def test_no_sentence_is_copied_from_the_seed() -> None:
    if not SEED_FILE.is_file():
        pytest.skip(f"the seed is not at {SEED_FILE}")
    seed = shingles(SEED_FILE.read_text(encoding="utf-8"))
    raw = tomllib.loads(SHIPPED_FILE.read_text(encoding="utf-8"))
    copied = [" ".join(run) for text in strings_in(raw) for run in sorted(shingles(text) & seed)]
    assert copied == [], f"runs of {SHINGLE} words taken from the seed: {copied}"


# --- the validator ---------------------------------------------------------------------------


def toml_dumps(framework: dict[str, Any]) -> str:
    """Just enough TOML for a framework document (JSON strings are valid TOML strings)."""

    def scalars(table: dict[str, Any]) -> list[str]:
        return [
            f"{key} = {json.dumps(value, ensure_ascii=False)}"
            for key, value in table.items()
            if not isinstance(value, list)
        ]

    lines = scalars(framework)
    for section in framework.get("sections", []):
        lines += ["", "[[sections]]", *scalars(section)]
        for card in section.get("cards", []):
            lines += ["", "[[sections.cards]]", *scalars(card)]
    return "\n".join(lines) + "\n"


def tiny() -> dict[str, Any]:
    return tomllib.loads(TINY_FILE.read_text(encoding="utf-8"))


def write(tmp_path: Path, framework: dict[str, Any]) -> Path:
    path = tmp_path / "broken.toml"
    path.write_text(toml_dumps(framework), encoding="utf-8")
    return path


def test_tiny_fixture_is_valid_and_round_trips(tmp_path: Path) -> None:
    framework = load_framework(TINY_FILE)
    assert framework.id == "tiny_habits"
    assert [step.step for step in framework.steps] == [1, 2]
    assert load_framework(write(tmp_path, tiny())) == framework


def test_rejects_a_missing_step(tmp_path: Path) -> None:
    data = tiny()
    fourth = copy.deepcopy(data["sections"][1])
    fourth.update(id="fourth", step=4)
    fourth["cards"][0]["id"] = "fourth_intro"
    data["sections"].append(fourth)
    path = write(tmp_path, data)

    with pytest.raises(ContentError) as error:
        load_framework(path)

    message = str(error.value)
    assert message.startswith(f"{path}:")
    assert "steps must be numbered" in message
    assert "[1, 2, 4]" in message


def test_rejects_an_over_long_card(tmp_path: Path) -> None:
    data = tiny()
    data["sections"][1]["cards"][0]["text"] = "x" * (MAX_CARD_LENGTH + 1)
    path = write(tmp_path, data)

    with pytest.raises(ContentError) as error:
        load_framework(path)

    message = str(error.value)
    assert message.startswith(f"{path}:")
    assert "sections.1.cards.0.text" in message
    assert str(MAX_CARD_LENGTH + 1) in message


def test_rejects_a_step_without_a_reflection(tmp_path: Path) -> None:
    data = tiny()
    del data["sections"][0]["reflection"]
    path = write(tmp_path, data)

    with pytest.raises(ContentError) as error:
        load_framework(path)

    message = str(error.value)
    assert message.startswith(f"{path}:")
    assert "sections.0" in message
    assert "reflection" in message


def test_rejects_a_duplicate_card_id(tmp_path: Path) -> None:
    data = tiny()
    data["sections"][1]["cards"][0]["id"] = data["sections"][0]["cards"][0]["id"]
    path = write(tmp_path, data)

    with pytest.raises(ContentError) as error:
        load_framework(path)

    message = str(error.value)
    assert message.startswith(f"{path}:")
    assert "card ids must be unique" in message


def test_a_new_framework_is_just_a_file(tmp_path: Path) -> None:
    shutil.copy(SHIPPED_FILE, tmp_path / SHIPPED_FILE.name)
    shutil.copy(TINY_FILE, tmp_path / TINY_FILE.name)

    frameworks = load_frameworks(tmp_path)

    assert set(frameworks) == {"secure_base", "tiny_habits"}
    assert frameworks["tiny_habits"].closing


def test_the_origins_say_of_feeney_only_what_the_seed_says(shipped: Framework) -> None:
    """The seed credits Brooke Feeney and others with showing the dependency paradox in
    adults — "the most securely attached adults were also the most autonomous and
    successful" — and states no finding of her own studies beyond that: the card claims no
    study result the seed does not hold (the translations say the same)."""
    [card] = [c for s in shipped.sections for c in s.cards if c.id == "origins_adults"]
    said = " ".join(words(card.text))
    assert "most secure attachment were also the most independent and the most successful" in said
    assert "feeney s studies" not in said
    assert "later" not in words(card.text)
