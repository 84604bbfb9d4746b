"""Typed loader for ``crisis.toml``: the phrases that make the bot answer with help first.

A phrase may name a word list (``{partner} hit me``); the loader writes out every variant. A
phrase may be a table with exceptions of its own (``{ phrase = "...", unless = [...] }``).
``[matching]`` says how many other words may stand between a phrase's words, which words may
never stand there (negations), and whether words also match by their Snowball stem (in the
file's language). Like every content file it is checked when the bot starts: an empty family,
an unknown word list, a phrase with no words, broken braces, a misplaced ``*`` or a negation of
several words stops the start with the file and field named.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Annotated

import Stemmer
from babel import Locale, UnknownLocaleError
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from bot.content.crisis_matcher import (
    MIN_PREFIX,
    CrisisMatcher,
    MatchSettings,
    Rule,
    Words,
    is_prefix,
    phrase_tokens,
    tidy,
)
from bot.content.crisis_matcher import phrase_words as split_phrase
from bot.content.texts import CONTENT_DIR, ContentError, load_toml_model

CRISIS_FILE = CONTENT_DIR / "crisis.toml"
_WORD_LIST = re.compile(r"\{([a-z_]+)\}")
_MISPLACED_STAR = re.compile(r"\*(?=[^\W_])|(?<![^\W_])\*")
# More words between a phrase's words and unrelated sentences start to match.
MAX_GAP = 3
# How deep word lists may name other word lists.
MAX_NESTING = 3

Phrase = Annotated[str, Field(min_length=1, max_length=200)]
WordList = Annotated[list[Phrase], Field(min_length=1)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PhraseWithExceptions(_Model):
    """A phrase and the phrases that cancel it when they overlap it ("want to live without")."""

    phrase: Phrase
    unless: Annotated[list[Phrase], Field(min_length=1)]


Entry = Phrase | PhraseWithExceptions
PhraseList = Annotated[list[Entry], Field(min_length=1)]


class Families(_Model):
    """One list per kind of danger; each must hold at least one phrase. A message is reported
    under the first family (in this order) with a phrase in it."""

    suicide_and_self_harm: PhraseList
    partner_violence: PhraseList
    # Before fear: "he threatened to kill me" is a threat, though it frightens too.
    threats_to_hurt_or_kill: PhraseList
    fear_of_partner: PhraseList
    sexual_violence: PhraseList


class Matching(_Model):
    """How loosely phrases match (see the module docstring of bot.content.crisis_matcher)."""

    max_gap: Annotated[int, Field(ge=0, le=MAX_GAP)]
    negations: list[Phrase]
    stem: bool

    @model_validator(mode="after")
    def _one_word_each(self) -> Matching:
        for index, negation in enumerate(self.negations):
            if len(split_phrase(negation)) != 1 or is_prefix(split_phrase(negation)[0]):
                raise ValueError(f"matching.negations[{index}] must be one word: {negation!r}")
        return self

    def settings(self) -> MatchSettings:
        negations = frozenset(split_phrase(negation)[0] for negation in self.negations)
        return MatchSettings(max_gap=self.max_gap, negations=negations, stem=self.stem)


class _Expander:
    """Writes out phrases over the word lists; each list is written out once, then reused."""

    def __init__(self, lists: dict[str, list[str]]) -> None:
        self.lists = lists
        self.written: dict[str, list[Words]] = {}

    def expand(self, phrase: str, where: str, depth: int = 0) -> list[Words]:
        """Every variant of ``phrase`` as words; ``where`` names it in an error. A word list
        may name other word lists ("{partner}" holds "{name}"), a few levels deep."""
        if depth > MAX_NESTING:
            raise ValueError(f"{where}: word lists nest more than {MAX_NESTING} deep (a loop?)")
        parts = _WORD_LIST.split(phrase)
        literals, names = parts[0::2], parts[1::2]
        if any("{" in literal or "}" in literal for literal in literals):
            raise ValueError(f"{where} has a brace that is not a plain {{word_list}}")
        unknown = [name for name in names if name not in self.lists]
        if unknown:
            raise ValueError(f"{where} uses {{{unknown[0]}}}, which [words] does not define")
        for index in range(len(names)):
            before, after = literals[index], literals[index + 1]
            alone_before = before[-1:].isspace() or (index == 0 and not before)
            alone_after = not after[:1].isalnum() and (after or index == len(names) - 1)
            if not (alone_before and alone_after):
                raise ValueError(f"{where}: {{{names[index]}}} must stand as words of its own")
        self._check_words(phrase, where)
        pieces = [[phrase_tokens(literals[0])]]
        for name, literal in zip(names, literals[1:], strict=True):
            pieces.append(self._written(name, where, depth))
            pieces.append([phrase_tokens(literal)])
        variants = []
        for choice in itertools.product(*pieces):
            words = tidy(token for piece in choice for token in piece)
            if not words:
                raise ValueError(f"{where} has no words")
            variants.append(words)
        return variants

    def _written(self, name: str, where: str, depth: int) -> list[Words]:
        if name not in self.written:
            self.written[name] = [
                words
                for index, entry in enumerate(self.lists[name])
                for words in self.expand(entry, f"{where} (words.{name}[{index}])", depth + 1)
            ]
        return self.written[name]

    @staticmethod
    def _check_words(text: str, where: str) -> None:
        if _MISPLACED_STAR.search(_WORD_LIST.sub(" ", text)):
            raise ValueError(f"{where} has a * that does not end a word: {text!r}")
        short = [w for w in phrase_tokens(text) if is_prefix(w) and len(w) <= MIN_PREFIX]
        if short:
            raise ValueError(
                f"{where}: the prefix {short[0]!r} is shorter than {MIN_PREFIX} letters"
            )


class CrisisFile(_Model):
    words: dict[str, WordList] = Field(default_factory=dict)
    exceptions: list[Phrase] = Field(default_factory=list)
    matching: Matching
    phrases: Families
    # Written out once, when the file is checked (tens of thousands of variants).
    _written: tuple[dict[str, list[Rule]], list[Words]] | None = PrivateAttr(default=None)

    def written_out(self) -> tuple[dict[str, list[Rule]], list[Words]]:
        """Every family's phrases written out, each with its own exceptions, and the global
        exceptions."""
        if self._written is not None:
            return self._written
        expander = _Expander(self.words)
        families: dict[str, list[Rule]] = {}
        for family in Families.model_fields:
            entries: list[Entry] = getattr(self.phrases, family)
            rules = []
            for index, entry in enumerate(entries):
                where = f"phrases.{family}[{index}]"
                if isinstance(entry, str):
                    rules.append(Rule(tuple(expander.expand(entry, where))))
                    continue
                unless = [
                    words
                    for number, text in enumerate(entry.unless)
                    for words in expander.expand(text, f"{where}.unless[{number}]")
                ]
                rules.append(Rule(tuple(expander.expand(entry.phrase, where)), tuple(unless)))
            families[family] = rules
        exceptions = [
            words
            for index, phrase in enumerate(self.exceptions)
            for words in expander.expand(phrase, f"exceptions[{index}]")
        ]
        self._written = (families, exceptions)
        return self._written

    @model_validator(mode="after")
    def _every_phrase_expands(self) -> CrisisFile:
        self.written_out()
        return self

    def matcher(self, language: str) -> CrisisMatcher:
        """The phrases compiled for ``language`` (its Snowball stemmer, when ``stem``)."""
        families, exceptions = self.written_out()
        return CrisisMatcher(
            families,
            exceptions,
            self.matching.settings(),
            stemmer=snowball_algorithm(language) if self.matching.stem else None,
        )


def snowball_algorithm(language: str) -> str:
    """The Snowball stemmer of a language code ("de" -> "german"); ValueError if none."""
    try:
        name = Locale.parse(language).english_name
    except (ValueError, UnknownLocaleError):
        name = None
    algorithm = (name or "").lower()
    if algorithm not in Stemmer.algorithms():
        raise ValueError(f"no Snowball stemmer for {language!r}: set stem = false")
    return algorithm


def load_crisis_phrases(path: Path, language: str) -> CrisisMatcher:
    """Read, check and compile the crisis phrases; raises ``ContentError`` naming the problem."""
    crisis = load_toml_model(path, CrisisFile)
    try:
        return crisis.matcher(language)
    except ValueError as error:
        raise ContentError(f"{path}: matching.stem: {error}") from error
