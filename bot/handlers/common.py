"""Small helpers shared by handler modules: who is writing, and how to echo their text safely."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, time

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest

from bot.handlers.send import edit_text
from bot.services import accounts
from bot.storage.models import User
from bot.timezones import local_now

logger = logging.getLogger(__name__)

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


async def sender_and_setup(
    session: AsyncSession, update: Update, now: datetime
) -> tuple[User | None, accounts.PendingInput | None]:
    """The sender and, if their setup is unfinished, its question (opened again); the caller
    commits, and asks that question rather than doing what was asked."""
    user = await find_sender(session, update, now)
    setup = await accounts.restore_setup(session, user, now) if user is not None else None
    return user, setup


# Telegram's answers when a press or a message has aged out, or a second tap changes nothing:
# the change behind the press is saved by then, so they are logged, not shown as errors.
_HARMLESS = ("not modified", "query is too old", "query id is invalid", "message to edit not found",
             "message can't be edited")  # fmt: skip


@contextmanager
def _harmless_if_stale(update: Update) -> Iterator[None]:
    """Let Telegram's "too old / not modified / gone" refusals pass (logged), nothing else."""
    try:
        yield
    except BadRequest as error:
        if not any(phrase in error.message.lower() for phrase in _HARMLESS):
            raise
        logger.debug("update %s: %s", update.update_id, error.message)


async def answer_query(update: Update, text: str | None = None, *, alert: bool = False) -> None:
    """Stop the button's spinner (with a toast, if ``text``); a press answered too late — after a
    restart, say — must not undo the handler's work that follows."""
    query = update.callback_query
    assert query is not None
    with _harmless_if_stale(update):
        await query.answer(text, show_alert=alert)


async def edit_in_place(update: Update, text: str, markup: InlineKeyboardMarkup | None) -> None:
    """Replace the pressed message; a second tap, or a message gone meanwhile, is fine."""
    query = update.callback_query
    assert query is not None
    with _harmless_if_stale(update):
        if query.message is not None:
            message = query.message
            await edit_text(query.get_bot(), message.chat.id, message.message_id, text, markup)
        else:  # a button under an inline message (not used here, but Telegram may send it)
            await query.edit_message_text(text, reply_markup=markup)


async def remove_buttons(update: Update) -> None:
    """Take the buttons off the pressed message (a second tap finds them gone already)."""
    query = update.callback_query
    assert query is not None
    with _harmless_if_stale(update):
        await query.edit_message_reply_markup(reply_markup=None)
