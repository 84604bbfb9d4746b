"""Every user-facing text, loaded from data files and checked when the bot starts."""

from bot.content.course import Framework, Page, load_frameworks
from bot.content.formats import Html, Plural, render
from bot.content.texts import BotCommandText, ContentError, Texts, load_texts

__all__ = [
    "BotCommandText",
    "ContentError",
    "Framework",
    "Html",
    "Page",
    "Plural",
    "Texts",
    "load_frameworks",
    "load_texts",
    "render",
]
