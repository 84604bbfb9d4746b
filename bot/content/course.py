"""Frameworks as courses: typed models for ``bot/content/frameworks/*.toml`` and their loader.

A framework is an ordered list of sections, each a few chat-sized cards. Sections with a
``step`` number are the framework's practical steps: they also carry a practice for the week,
a reflection question and a checklist label. Adding a framework is adding a file; the loader
checks it when the bot starts and names the file and field of any problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from bot.content.formats import check_template
from bot.content.texts import ContentError, load_toml_model

FRAMEWORKS_DIR = Path(__file__).resolve().parent / "frameworks"
MAX_CARD_LENGTH = 900
MAX_QUESTION_LENGTH = 300
MAX_LABEL_LENGTH = 40
ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,23}$"

Identifier = Annotated[str, Field(pattern=ID_PATTERN)]
Label = Annotated[str, Field(min_length=1, max_length=MAX_LABEL_LENGTH)]


def _card_length(value: str) -> str:
    if len(value) > MAX_CARD_LENGTH:
        raise ValueError(f"is {len(value)} characters; a card holds at most {MAX_CARD_LENGTH}")
    return value


CardText = Annotated[str, AfterValidator(check_template), AfterValidator(_card_length)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Card(_Model):
    id: Identifier
    text: CardText


class Section(_Model):
    id: Identifier
    # Shown on the overview's buttons and as the card header.
    title: Label
    cards: list[Card] = Field(min_length=1)
    # Only for the framework's steps:
    step: int | None = Field(default=None, ge=1, le=20)
    checklist: Label | None = None
    practice: CardText | None = None
    reflection: Annotated[str, Field(max_length=MAX_QUESTION_LENGTH)] | None = None

    @model_validator(mode="after")
    def _step_fields_together(self) -> Section:
        step_fields = (self.checklist, self.practice, self.reflection)
        if self.step is not None and any(value is None for value in step_fields):
            raise ValueError("a step needs checklist, practice and reflection")
        if self.step is None and any(value is not None for value in step_fields):
            raise ValueError("checklist, practice and reflection belong to steps only")
        return self


class Framework(_Model):
    id: Identifier
    title: Annotated[str, Field(min_length=1, max_length=80)]
    # One line under the title on the overview.
    tagline: Annotated[str, Field(min_length=1, max_length=200)]
    sections: list[Section] = Field(min_length=1)
    # The card after the last one: what to do now the course is done.
    closing: CardText

    @model_validator(mode="after")
    def _consistent(self) -> Framework:
        section_ids = [section.id for section in self.sections]
        if len(set(section_ids)) != len(section_ids):
            raise ValueError("section ids must be unique")
        card_ids = [card.id for section in self.sections for card in section.cards]
        if len(set(card_ids)) != len(card_ids):
            raise ValueError("card ids must be unique within the framework")
        numbers = [section.step for section in self.sections if section.step is not None]
        if numbers != list(range(1, len(numbers) + 1)):
            raise ValueError(f"steps must be numbered 1, 2, 3… in order; found {numbers}")
        return self

    @property
    def steps(self) -> list[Section]:
        return [section for section in self.sections if section.step is not None]

    @cached_property
    def _page_list(self) -> tuple[Page, ...]:
        return _pages(self)

    def pages(self) -> tuple[Page, ...]:
        """The course as a reader walks it: every card, each step's practice, the closing.
        Built once per framework: the overview asks for it once per section."""
        return self._page_list

    def page(self, key: str) -> Page | None:
        return next((page for page in self.pages() if page.key == key), None)

    def step_section(self, number: int) -> Section | None:
        return next((section for section in self.steps if section.step == number), None)


PRACTICE_SUFFIX = "~p"
CLOSING_KEY = "@end"


@dataclass(frozen=True)
class Page:
    """One screen of the course. ``key`` is stable across content edits that keep the ids."""

    key: str
    index: int
    section: Section | None  # None only for the closing page
    card: Card | None  # None for a practice page and the closing page

    @property
    def is_closing(self) -> bool:
        return self.section is None


def _pages(framework: Framework) -> tuple[Page, ...]:
    keys: list[tuple[str, Section | None, Card | None]] = []
    for section in framework.sections:
        keys += [(card.id, section, card) for card in section.cards]
        if section.step is not None:
            keys.append((section.id + PRACTICE_SUFFIX, section, None))
    keys.append((CLOSING_KEY, None, None))
    return tuple(Page(key, index, section, card) for index, (key, section, card) in enumerate(keys))


def load_framework(path: Path) -> Framework:
    return load_toml_model(path, Framework)


def load_frameworks(directory: Path = FRAMEWORKS_DIR) -> dict[str, Framework]:
    """Every framework file in ``directory``, by id, in file-name order."""
    frameworks: dict[str, Framework] = {}
    for path in sorted(directory.glob("*.toml")):
        framework = load_framework(path)
        if framework.id in frameworks:
            raise ContentError(f"{path}: id {framework.id!r} is used by another framework")
        frameworks[framework.id] = framework
    if not frameworks:
        raise ContentError(f"{directory}: no framework files (*.toml)")
    return frameworks
