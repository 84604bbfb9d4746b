"""Typed loader for ``helplines.toml``: each country's emergency number and lines.

Checked when the bot starts like every content file: a line with neither phone nor url, an
unknown kind, a country code that is not two capital letters, a language's fallback naming a
country the file does not have, stops the start with the file and the field named.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, model_validator

from bot.content.texts import CONTENT_DIR, load_toml_model

HELPLINES_FILE = CONTENT_DIR / "helplines.toml"

CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
Kind = Literal["crisis", "violence", "sexual_violence"]
Audience = Literal["all", "women", "men"]
Short = Annotated[str, Field(min_length=1, max_length=120)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Directory(_Model):
    name: Short
    url: HttpUrl


class Line(_Model):
    """One service, as it presents itself: its own name and number."""

    kind: Kind
    audience: Audience = Field(alias="for")
    name: Short
    phone: Annotated[str, Field(min_length=1, max_length=40)] | None = None
    url: HttpUrl | None = None
    hours: Short | None = None
    # Where the number was confirmed, and when: kept beside the content for the next check.
    source: HttpUrl
    checked: date

    @model_validator(mode="after")
    def _reachable(self) -> Line:
        if self.phone is None and self.url is None:
            raise ValueError("needs a phone or a url (a chat or web service)")
        return self


class Country(_Model):
    name: Short
    emergency: Annotated[str, Field(min_length=1, max_length=20)]
    lines: list[Line] = Field(default_factory=list)

    def of_kind(self, kind: Kind) -> list[Line]:
        return [line for line in self.lines if line.kind == kind]

    def violence_lines(self) -> list[Line]:
        """The violence lines the short help shows: the first for everyone, or else the first
        for women and the first for men (nobody is left without one that takes them). A country
        whose only line against violence is for sexual violence (Argentina's 137, which also
        takes violence at home) shows that one rather than none."""
        lines = self.of_kind("violence") or self.of_kind("sexual_violence")[:1]
        for everyone in (line for line in lines if line.audience == "all"):
            return [everyone]
        chosen = []
        for audience in ("women", "men"):
            chosen += [line for line in lines if line.audience == audience][:1]
        return chosen


class Helplines(_Model):
    directory: Directory
    # Language code to the countries shown when a person's country is unknown.
    fallback: dict[str, list[CountryCode]]
    countries: dict[CountryCode, Country]

    @model_validator(mode="after")
    def _fallbacks_known(self) -> Helplines:
        for language, codes in self.fallback.items():
            for index, code in enumerate(codes):
                if code not in self.countries:
                    raise ValueError(
                        f"fallback.{language}[{index}] is {code!r}, which [countries] lacks"
                    )
        return self

    def country(self, code: str | None) -> Country | None:
        return self.countries.get(code) if code else None

    def fallback_for(self, language: str) -> list[str]:
        """The countries for someone of ``language`` whose own country is unknown."""
        return list(self.fallback.get(language, []))


def load_helplines(path: Path = HELPLINES_FILE) -> Helplines:
    """Read and check the helplines; raises ``ContentError`` naming file and field. A
    language without a fallback list (one just added) shows the emergency line and the
    directory to people whose country is unknown."""
    return load_toml_model(path, Helplines)
