"""together.toml is checked at start: a broken question bank or a lock-screen leak stops the
bot with a message naming the file and the problem."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.content import ContentError
from bot.content.together import (
    MIN_QUESTIONS,
    MIN_TIPS,
    PARTS,
    TOGETHER_FILE,
    TogetherContent,
    load_together,
)
from tests.harness import content_variant, shipped_content


def test_the_shipped_bank_covers_every_part_and_depth() -> None:
    content = load_together()
    assert len(content.questions) >= MIN_QUESTIONS
    assert len(content.tips.items) >= MIN_TIPS
    for part in PARTS:
        assert {q.depth for q in content.questions if q.part == part} == {1, 2, 3}


def test_a_question_id_used_twice_is_named(tmp_path: Path) -> None:
    path = content_variant(tmp_path, TOGETHER_FILE, 'id = "bids-1b"', 'id = "bids-1a"')
    with pytest.raises(ContentError, match="question id 'bids-1a' is used twice"):
        load_together(path)


def test_a_part_without_a_depth_is_named(tmp_path: Path) -> None:
    path = tmp_path / "together.toml"
    original = TOGETHER_FILE.read_text(encoding="utf-8")
    path.write_text(
        original.replace('part = "mistakes"\ndepth = 3', 'part = "mistakes"\ndepth = 2')
    )
    with pytest.raises(ContentError, match="no question for part 'mistakes' at depth 3"):
        load_together(path)


def test_an_unknown_part_is_refused(tmp_path: Path) -> None:
    path = content_variant(tmp_path, TOGETHER_FILE, 'part = "bids"', 'part = "chores"')
    with pytest.raises(ContentError, match=r"questions\.0\.part"):
        load_together(path)


def test_an_appreciation_quoted_on_the_lock_screen_is_refused(tmp_path: Path) -> None:
    path = content_variant(
        tmp_path,
        TOGETHER_FILE,
        "💌 <b>{partner} sent you an appreciation</b>",
        "💌 {partner}: {text}",
    )
    with pytest.raises(ContentError, match="received quotes the text on its first line"):
        load_together(path)


# --- questions a couple in a hard patch can use (#25) ---------------------------------------

# The parts added for what keeps good days good; each has questions in every language.
NEW_PARTS = ("good_news", "repair", "influence", "play", "memories", "dreams")
# Questions that used to invite criticism of the other, now asked as wishes.
REWORDED = (
    "explore-3b",
    "haven-2c",
    "mistakes-2b",
    "mistakes-3b",
    "bids-2a",
    "bids-3a",
    "haven-3d",
    "depend-3b",
)
# A wish, in each language's words ("I'd love…", „Ich wünsche mir…“, «Me encantaría…»,
# «Мне бы хотелось…»)...
WISH = {
    "en": re.compile(r"\b(love|wish)", re.IGNORECASE),
    "de": re.compile(r"(wünsch|freuen)", re.IGNORECASE),
    "es": re.compile(r"(encantar|gustar)", re.IGNORECASE),
    "ru": re.compile(r"(хотел|хоч)", re.IGNORECASE),
}
# ...and none of the blaming or absolute words the old questions were built on.
CRITIQUE = {
    "en": re.compile(
        r"\b(never|always|hold you back|missed|harder|stopped|ashamed|least|comes and goes|"
        r"wouldn't be there)\b",
        re.IGNORECASE,
    ),
    "de": re.compile(
        r"\b(nie|immer|gebremst|verpasst|schwerer|nicht mehr|schämen|am wenigsten|"
        r"mal da ist und mal nicht|nicht für dich da)\b",
        re.IGNORECASE,
    ),
    "es": re.compile(
        r"\b(nunca|siempre|te freno|se me pasó|más difícil|dejaste de|vergüenza|"
        r"menos predecible|va y viene|no estuviera)\b",
        re.IGNORECASE,
    ),
    "ru": re.compile(
        r"(никогда|всегда|сдерживаю|не заметил|тяжелее|перестал|стыдил|наименее предсказуем|"
        r"то есть, то нет|не будет рядом)",
        re.IGNORECASE,
    ),
}
# The English wording before #25: the check must refuse every one of them.
OLD_ENGLISH = {
    "explore-3b": "Is there a part of your life where you feel I hold you back, even a little?",
    "haven-2c": "What do I sometimes do, meaning well, that makes a hard moment harder for you?",
    "mistakes-2b": "When am I least predictable for you, and how does it feel when I am?",
    "mistakes-3b": "When my support comes and goes, what do you start to believe about us?",
    "bids-2a": "When did you last reach out to me and feel I missed it? "
    "What did you hope would happen?",
    "bids-3a": "Is there a bid you've stopped making because it wasn't met? "
    "Would you try it again?",
    "haven-3d": "When were you most afraid I wouldn't be there for you, "
    "and what would have helped then?",
    "depend-3b": "Has anyone ever made you feel ashamed of needing them? "
    "How does that show up between us?",
}


def reads_as_a_wish(language: str, text: str) -> bool:
    return bool(WISH[language].search(text)) and not CRITIQUE[language].search(text)


def all_languages() -> dict[str, TogetherContent]:
    return {code: language.together for code, language in shipped_content().languages.items()}


def test_the_critique_questions_are_asked_as_wishes_in_every_language() -> None:
    assert not any(reads_as_a_wish("en", text) for text in OLD_ENGLISH.values())
    languages = all_languages()
    assert set(languages) == set(WISH)
    for code, content in languages.items():
        for question_id in REWORDED:
            question = content.question(question_id)
            assert question is not None
            assert reads_as_a_wish(code, question.text), (code, question_id, question.text)


def test_at_least_24_new_questions_in_every_language() -> None:
    languages = all_languages()
    english = languages["en"]
    new_ids = [q.id for q in english.questions if q.part in NEW_PARTS]
    assert len(new_ids) >= 24
    for part in NEW_PARTS:
        assert {q.depth for q in english.questions if q.part == part} == {1, 2, 3}
    for code, content in languages.items():
        for question_id in new_ids:
            question = content.question(question_id)
            assert question is not None, (code, question_id)
            original = english.question(question_id)
            assert original is not None
            assert (question.part, question.depth) == (original.part, original.depth)
            if code != "en":  # written in the language, not copied from English
                assert question.text != original.text, (code, question_id)


def test_childhood_questions_are_marked_in_every_language() -> None:
    for code, content in all_languages().items():
        marked = {q.id for q in content.questions if q.childhood}
        assert {"haven-3b", "depend-2b", "depend-3b", "bids-3b"} <= marked, code
