"""The crisis corpus (tests/crisis_corpus/) against the bot's phrases: recall and false alarms.

Every sentence goes through :class:`~bot.content.crisis_matcher.EveryLanguage`, built by the
app's own loader (``bot.services.content.load_content`` and ``Content.crisis``: each file
stemmed in its texts.toml language, English first), because the bot checks every message
against all four languages' phrases: a false alarm from another language's list counts here
too. Building it any other way measured something the bot does not do (every file once got
the English stemmer).

Run ``python -m tests.crisis_report`` for the table the lead pastes into a closing note, or
with ``--misses`` to also list each tuning sentence on the wrong side (what tuning a phrase list
needs; held-out sentences are never listed).
"""

from __future__ import annotations

import argparse
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from bot.content.crisis_matcher import CrisisMatcher, EveryLanguage
from bot.content.texts import CONTENT_DIR
from bot.services.content import Content, load_content

CORPUS_DIR = Path(__file__).parent / "crisis_corpus"
HELDOUT_SUFFIX = ".heldout"
TUNING, HELDOUT = "tuning", "held-out"
MIN_RECALL = 0.98
MAX_FALSE_ALARMS = 0.01
# Where the corpus test leaves its table for the end of the pytest run (tests/conftest.py).
REPORT_KEY = pytest.StashKey[str]()


@cache
def app_content(content_dir: Path = CONTENT_DIR) -> Content:
    """The content as the app loads it (one code path: the report cannot drift from the bot);
    loaded once per process."""
    return load_content(content_dir)


def every_language(content_dir: Path = CONTENT_DIR) -> EveryLanguage:
    """The phrases of every language exactly as the bot checks a message (``Content.crisis``)."""
    return app_content(content_dir).crisis


def matchers_by_language(content_dir: Path = CONTENT_DIR) -> dict[str, CrisisMatcher]:
    """Each language's own matcher, as the app loaded it, by texts.toml language code."""
    return {code: language.crisis for code, language in app_content(content_dir).languages.items()}


@dataclass(frozen=True)
class Sentence:
    language: str
    part: str  # TUNING or HELDOUT
    must_help: bool
    group: str  # the family (must help) or the kind (must not)
    text: str


def load_corpus(corpus_dir: Path = CORPUS_DIR) -> list[Sentence]:
    """Every sentence of every ``<lang>.toml`` and ``<lang>.heldout.toml`` there is."""
    sentences: list[Sentence] = []
    for path in sorted(corpus_dir.glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        part = HELDOUT if path.stem.endswith(HELDOUT_SUFFIX) else TUNING
        language = data["language"]
        for side, must_help in (("help", True), ("no_help", False)):
            for group, texts in data.get(side, {}).items():
                sentences.extend(Sentence(language, part, must_help, group, text) for text in texts)
    return sentences


@dataclass(frozen=True)
class Row:
    """One line of the table: a family's recall or a kind's false-alarm rate."""

    language: str
    part: str
    must_help: bool
    group: str
    total: int
    wrong: list[str]

    @property
    def rate(self) -> float:
        """Recall for a family; the false-alarm rate for a kind."""
        if not self.total:
            return 0.0
        matched = self.total - len(self.wrong) if self.must_help else len(self.wrong)
        return matched / self.total


ALL = "ALL"


def measure(sentences: Iterable[Sentence], crisis: EveryLanguage) -> list[Row]:
    """Rows per language, part and group, and an ``ALL`` row per language, part and side."""
    groups: dict[tuple[str, str, bool, str], tuple[int, list[str]]] = {}
    for sentence in sentences:
        wrong = crisis.matches(sentence.text) != sentence.must_help
        for group in (sentence.group, ALL):
            key = (sentence.language, sentence.part, sentence.must_help, group)
            total, misses = groups.get(key, (0, []))
            groups[key] = (total + 1, [*misses, sentence.text] if wrong else misses)
    order = {TUNING: 0, HELDOUT: 1}
    return sorted(
        (Row(*key, total, wrong) for key, (total, wrong) in groups.items()),
        key=lambda r: (r.language, order[r.part], not r.must_help, r.group == ALL, r.group),
    )


def failures(rows: Iterable[Row]) -> list[str]:
    """The tuning part's languages below the recall or above the false-alarm threshold."""
    found = []
    for row in rows:
        if row.part != TUNING or row.group != ALL:
            continue
        if row.must_help and row.rate < MIN_RECALL:
            found.append(f"{row.language}: recall {row.rate:.1%} < {MIN_RECALL:.0%}")
        if not row.must_help and row.rate > MAX_FALSE_ALARMS:
            found.append(f"{row.language}: false alarms {row.rate:.1%} > {MAX_FALSE_ALARMS:.0%}")
    return found


def table(rows: Iterable[Row], misses: bool = False) -> str:
    """The rows as text: recall per family, false alarms per kind; ``misses`` lists them."""
    lines = [
        f"{'lang':<5}{'part':<10}{'family / kind':<28}{'n':>5}  {'recall':>7}  {'false al.':>9}"
    ]
    for row in rows:
        rate = f"{row.rate:7.1%}" if row.must_help else f"{'':7}  {row.rate:9.1%}"
        label = (
            f"{row.group} ({'help' if row.must_help else 'no help'})"
            if row.group == ALL
            else row.group
        )
        lines.append(f"{row.language:<5}{row.part:<10}{label:<28}{row.total:>5}  {rate}")
        # Held-out sentences are never listed: nobody should tune a phrase list against them.
        if misses and row.part == TUNING and row.group != ALL:
            lines.extend(
                f"{'':15}{'MISSED' if row.must_help else 'ALARM '}: {text}" for text in row.wrong
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--misses", action="store_true", help="list each tuning sentence on the wrong side"
    )
    parser.add_argument("--language", help="only this language (en, de, es, ru)")
    args = parser.parse_args()
    sentences = [s for s in load_corpus() if args.language in (None, s.language)]
    rows = measure(sentences, every_language())
    print(table(rows, misses=args.misses))
    for failure in failures(rows):
        print("FAILS:", failure)


if __name__ == "__main__":
    main()
