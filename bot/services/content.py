"""Everything the bot says or recognises, in every language: loaded from ``bot/content/``,
validated, and checked against the check-in items' rules.

Apart from ``bot.app`` so that ``python -m bot`` can load it before importing the rest of
the bot (see ``bot.__main__``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.content import ContentError, Framework, Texts
from bot.content.crisis_matcher import EveryLanguage
from bot.content.helplines import HELPLINES_FILE, Helplines, load_helplines
from bot.content.locales import DEFAULT_LANGUAGE, LanguageContent, load_languages
from bot.content.texts import CONTENT_DIR
from bot.content.together import TogetherContent
from bot.services.checkin_items import check_labels

__all__ = ["Content", "ContentError", "load_content"]


@dataclass(frozen=True)
class Content:
    """Everything the bot says or recognises, in every language, loaded from
    ``bot/content/`` and validated; English first."""

    languages: dict[str, LanguageContent]
    # Each country's emergency number and lines, and each language's countries.
    helplines: Helplines

    @property
    def english(self) -> LanguageContent:
        return self.languages[DEFAULT_LANGUAGE]

    @property
    def texts(self) -> Texts:
        return self.english.texts

    @property
    def frameworks(self) -> dict[str, Framework]:
        return self.english.frameworks

    @property
    def together(self) -> TogetherContent:
        return self.english.together

    @property
    def crisis(self) -> EveryLanguage:
        """Every language's phrases: a person may write in another language than their own
        interface's."""
        return EveryLanguage(tuple(language.crisis for language in self.languages.values()))


def load_content(directory: Path = CONTENT_DIR) -> Content:
    """Every text, course and crisis phrase of every language, validated and checked against
    English, including a label for each check-in answer; any problem is a ``ContentError``
    naming the file, the field and the language."""
    languages = load_languages(directory)
    for each in languages.values():
        check_labels(each.texts)
    helplines = load_helplines(directory / HELPLINES_FILE.name)
    return Content(languages, helplines)
