"""Small helpers shared by handler modules: who is writing, and how to echo their text safely."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest

from bot.services import accounts
from bot.storage.models import User
from bot.timezones import local_now

ECHO_LIMIT = 40


def shorten(text: str, limit: int = ECHO_LIMIT) -> str:
    """What we quote back of someone's message: one line, at most ``limit`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def clock(at: time) -> str:
    return at.strftime("%H:%M")


def local_clock(zone: str, now: datetime) -> str:
    return local_now(zone, now).strftime("%H:%M")


def message_of(update: Update) -> Message:
    """The message an update carries; handlers are registered only where there is one."""
    message = update.effective_message
    assert message is not None
    return message


async def find_sender(session: AsyncSession, update: Update, now: datetime) -> User | None:
    """The stored user who sent this update, or ``None`` if they have not started yet."""
    if update.effective_user is None:
        return None
    user = await accounts.find_user(session, update.effective_user.id)
    if user is not None and not user.active:
        # They blocked the bot once; writing again means they are back.
        await accounts.reactivate(session, user, now)
        await session.commit()
    return user


async def edit_in_place(update: Update, text: str, markup: InlineKeyboardMarkup | None) -> None:
    """Replace the pressed message; pressing the button of what is already shown is fine."""
    query = update.callback_query
    assert query is not None
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as error:
        if "not modified" not in error.message:
            raise


async def remove_buttons(update: Update) -> None:
    """Take the buttons off the pressed message (a second tap finds them gone already)."""
    query = update.callback_query
    assert query is not None
    try:
        await query.edit_message_reply_markup(reply_markup=None)
    except BadRequest as error:
        if "not modified" not in error.message:
            raise
