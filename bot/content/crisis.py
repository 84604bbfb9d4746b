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
from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.content.texts import CONTENT_DIR, ContentError, load_toml_model
from bot.services.crisis import BREAK, CrisisMatcher, Rule, Settings, Words, is_prefix
from bot.services.crisis import phrase_words as split_phrase

CRISIS_FILE = CONTENT_DIR / "crisis.toml"
_WORD_LIST = re.compile(r"\{([a-z_]+)\}")
_MISPLACED_STAR = re.compile(r"\*(?=[^\W_])|(?<![^\W_])\*")
# A shorter prefix would match far too many words ("ub*").
MIN_PREFIX = 3
# More words between a phrase's words and unrelated sentences start to match.
MAX_GAP = 3

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
    """One list per kind of danger; each must hold at least one phrase."""

    suicide_and_self_harm: PhraseList
    partner_violence: PhraseList
    fear_of_partner: PhraseList
    sexual_violence: PhraseList
    threats_to_hurt_or_kill: PhraseList


class Matching(_Model):
    """How loosely phrases match (see the module docstring of bot.services.crisis)."""

    max_gap: Annotated[int, Field(ge=0, le=MAX_GAP)]
    negations: list[Phrase]
    stem: bool

    @model_validator(mode="after")
    def _one_word_each(self) -> Matching:
        for index, negation in enumerate(self.negations):
            if len(split_phrase(negation)) != 1 or is_prefix(split_phrase(negation)[0]):
                raise ValueError(f"matching.negations[{index}] must be one word: {negation!r}")
        return self

    def settings(self) -> Settings:
        negations = frozenset(split_phrase(negation)[0] for negation in self.negations)
        return Settings(max_gap=self.max_gap, negations=negations, stem=self.stem)


class CrisisFile(_Model):
    words: dict[str, WordList] = Field(default_factory=dict)
    exceptions: list[Phrase] = Field(default_factory=list)
    matching: Matching
    phrases: Families

    def expand(self, phrase: str, where: str) -> list[Words]:
        """Every variant of ``phrase`` as words; ``where`` names it in an error."""
        parts = _WORD_LIST.split(phrase)
        literals, names = parts[0::2], parts[1::2]
        if any("{" in literal or "}" in literal for literal in literals):
            raise ValueError(f"{where} has a brace that is not a plain {{word_list}}")
        unknown = [name for name in names if name not in self.words]
        if unknown:
            raise ValueError(f"{where} uses {{{unknown[0]}}}, which [words] does not define")
        variants = []
        for choice in itertools.product(*(self.words[name] for name in names)):
            text = "".join(
                literal + (choice[i] if i < len(choice) else "")
                for i, literal in enumerate(literals)
            )
            if _MISPLACED_STAR.search(text):
                raise ValueError(f"{where} has a * that does not end a word: {text!r}")
            words = split_phrase(text)
            if not words or words[0] == BREAK:
                raise ValueError(f"{where} has no words")
            short = [word for word in words if is_prefix(word) and len(word) <= MIN_PREFIX]
            if short:
                raise ValueError(
                    f"{where}: the prefix {short[0]!r} is shorter than {MIN_PREFIX} letters"
                )
            variants.append(words)
        return variants

    def rules(self) -> dict[str, list[Rule]]:
        """Every family's phrases, written out, each with its own exceptions."""
        families: dict[str, list[Rule]] = {}
        for family in Families.model_fields:
            entries: list[Entry] = getattr(self.phrases, family)
            rules = []
            for index, entry in enumerate(entries):
                where = f"phrases.{family}[{index}]"
                if isinstance(entry, str):
                    rules.append(Rule(tuple(self.expand(entry, where))))
                    continue
                unless = [
                    words
                    for number, text in enumerate(entry.unless)
                    for words in self.expand(text, f"{where}.unless[{number}]")
                ]
                rules.append(Rule(tuple(self.expand(entry.phrase, where)), tuple(unless)))
            families[family] = rules
        return families

    def exception_words(self) -> list[Words]:
        return [
            words
            for index, phrase in enumerate(self.exceptions)
            for words in self.expand(phrase, f"exceptions[{index}]")
        ]

    @model_validator(mode="after")
    def _every_phrase_expands(self) -> CrisisFile:
        self.rules()
        self.exception_words()
        return self

    def matcher(self, language: str) -> CrisisMatcher:
        """The phrases compiled for ``language`` (its Snowball stemmer, when ``stem``)."""
        return CrisisMatcher(
            self.rules(),
            self.exception_words(),
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
        raise ValueError(f"no Snowball stemmer for language {language!r}: set stem = false")
    return algorithm


def load_crisis_phrases(path: Path = CRISIS_FILE, language: str = "en") -> CrisisMatcher:
    """Read, check and compile the crisis phrases; raises ``ContentError`` naming the problem."""
    crisis = load_toml_model(path, CrisisFile)
    try:
        return crisis.matcher(language)
    except ValueError as error:
        raise ContentError(f"{path}: matching.stem: {error}") from error
