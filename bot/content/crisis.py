"""Typed loader for ``crisis.toml``: the phrases that make the bot answer with help first.

A phrase may name a word list (``{partner} hit me``); the loader writes out every variant.
Like every content file it is checked when the bot starts: an empty family, an unknown word
list, a phrase with no words or broken braces stops the start with the file and field named.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.content.texts import CONTENT_DIR, load_toml_model
from bot.services.crisis import CrisisMatcher, Words, phrase_words

CRISIS_FILE = CONTENT_DIR / "crisis.toml"
_WORD_LIST = re.compile(r"\{([a-z_]+)\}")

Phrase = Annotated[str, Field(min_length=1, max_length=200)]
PhraseList = Annotated[list[Phrase], Field(min_length=1)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Families(_Model):
    """One list per kind of danger; each must hold at least one phrase."""

    suicide_and_self_harm: PhraseList
    partner_violence: PhraseList
    fear_of_partner: PhraseList
    sexual_violence: PhraseList


class CrisisFile(_Model):
    words: dict[str, PhraseList] = Field(default_factory=dict)
    exceptions: list[Phrase] = Field(default_factory=list)
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
            words = phrase_words(text)
            if not words or words[0] == ".":
                raise ValueError(f"{where} has no words")
            variants.append(words)
        return variants

    @model_validator(mode="after")
    def _every_phrase_expands(self) -> CrisisFile:
        self.matcher()
        return self

    def matcher(self) -> CrisisMatcher:
        families = {
            family: [
                words
                for index, phrase in enumerate(phrases)
                for words in self.expand(phrase, f"phrases.{family}[{index}]")
            ]
            for family, phrases in self.phrases.model_dump().items()
        }
        exceptions = [
            words
            for index, phrase in enumerate(self.exceptions)
            for words in self.expand(phrase, f"exceptions[{index}]")
        ]
        return CrisisMatcher.build(families, exceptions)


def load_crisis_phrases(path: Path = CRISIS_FILE) -> CrisisMatcher:
    """Read, check and compile the crisis phrases; raises ``ContentError`` naming the problem."""
    return load_toml_model(path, CrisisFile).matcher()
