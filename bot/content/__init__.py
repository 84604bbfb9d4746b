"""Every user-facing text, loaded from data files and checked when the bot starts."""

from bot.content.course import Framework, Page, load_frameworks
from bot.content.texts import (
    BotCommandText,
    ContentError,
    Html,
    Texts,
    load_texts,
    render,
)

__all__ = [
    "BotCommandText",
    "ContentError",
    "Framework",
    "Html",
    "Page",
    "Texts",
    "load_frameworks",
    "load_texts",
    "render",
]
