"""together.toml is checked at start: a broken question bank or a lock-screen leak stops the
bot with a message naming the file and the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content import ContentError
from bot.content.together import MIN_QUESTIONS, MIN_TIPS, PARTS, TOGETHER_FILE, load_together
from tests.harness import content_variant


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
