"""Every user-facing text, loaded from data files and checked when the bot starts."""

from bot.content.texts import (
    BotCommandText,
    ContentError,
    Texts,
    load_texts,
    render,
)

__all__ = ["BotCommandText", "ContentError", "Texts", "load_texts", "render"]
