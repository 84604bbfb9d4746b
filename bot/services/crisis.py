"""Recognising a message from someone who may be in danger. Pure: no I/O.

Messages and phrases are reduced to the same words (case, accents of punctuation, apostrophes
and spacing folded; sentence breaks kept as a word of their own), so "I DON'T want to be
alive…" and the phrase "don't want to be alive" meet. A phrase matches only as whole words:
"kill myself" is found inside "honestly i could kill myself", "kill" alone never is. A phrase
may end in a sentence break (a full stop in the file): "scared of her." then matches "I'm
scared of her!" but not "scared of her reaction". Exceptions are phrases that cancel a match
they overlap ("hit me up" for "he hit me").
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

BREAK = "."
_APOSTROPHES = re.compile(r"['’‘ʼ`´]")
_BREAKS = re.compile(r"[.!?;:,\n…]+")
_NOT_WORD = re.compile(r"[\W_]+")

Words = tuple[str, ...]


def words_of(text: str) -> Words:
    """``text`` as lower-case words, with each sentence break as a ``BREAK`` word."""
    folded = _APOSTROPHES.sub("", unicodedata.normalize("NFKC", text).casefold())
    words: list[str] = []
    for clause in _BREAKS.split(folded):
        # One break per clause with words: "her." and "her" end alike (a trailing full stop
        # would otherwise leave an empty clause and a second break).
        if clause_words := _NOT_WORD.sub(" ", clause).split():
            words.extend(clause_words)
            words.append(BREAK)
    return tuple(words)


def phrase_words(phrase: str) -> Words:
    """A phrase from the content file as words; a trailing full stop is kept as ``BREAK``."""
    words = words_of(phrase)
    # words_of ends every text with a break; a phrase keeps it only if it was written.
    stripped = phrase.rstrip()
    return words if stripped.endswith(tuple(".!?")) else words[:-1]


def _index(phrases: Iterable[Words]) -> dict[str, list[Words]]:
    by_first: dict[str, list[Words]] = defaultdict(list)
    for words in phrases:
        by_first[words[0]].append(words)
    return dict(by_first)


def _spans(words: Words, index: Mapping[str, list[Words]]) -> Iterable[tuple[int, int]]:
    for start, word in enumerate(words):
        for phrase in index.get(word, ()):
            end = start + len(phrase)
            if words[start:end] == phrase:
                yield start, end


@dataclass(frozen=True)
class CrisisMatcher:
    """Phrases per family (suicide, partner violence…) and the exceptions that cancel them."""

    families: Mapping[str, Mapping[str, list[Words]]]
    exceptions: Mapping[str, list[Words]]

    @classmethod
    def build(
        cls, families: Mapping[str, Iterable[Words]], exceptions: Iterable[Words]
    ) -> CrisisMatcher:
        return cls(
            families={name: _index(phrases) for name, phrases in families.items()},
            exceptions=_index(exceptions),
        )

    def family_of(self, text: str) -> str | None:
        """The family of the first phrase found in ``text``, or ``None``."""
        words = words_of(text)
        cancelled = list(_spans(words, self.exceptions))
        for family, index in self.families.items():
            for start, end in _spans(words, index):
                if not any(c_start < end and start < c_end for c_start, c_end in cancelled):
                    return family
        return None

    def matches(self, text: str | None) -> bool:
        return text is not None and self.family_of(text) is not None


@dataclass(frozen=True)
class EveryLanguage:
    """The crisis phrases of every language, each with its own exceptions: someone may write
    in another language than the one the bot speaks to them, and help must still come."""

    matchers: tuple[CrisisMatcher, ...]

    def family_of(self, text: str) -> str | None:
        for matcher in self.matchers:
            if (family := matcher.family_of(text)) is not None:
                return family
        return None

    def matches(self, text: str | None) -> bool:
        return text is not None and self.family_of(text) is not None
