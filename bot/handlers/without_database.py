"""Answering outside a turn: the sender's language without a lookup, replies that must work
while the database is away (/help, /support, the apology), and Telegram's harmless refusals."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from telegram import LinkPreviewOptions, Update
from telegram.error import BadRequest

from bot.content import Texts
from bot.context import BotContext
from bot.delivery import HARMLESS_REFUSALS
from bot.services import accounts
from bot.storage.health import is_outage
from bot.views.keyboards import ReplyMarkup

logger = logging.getLogger(__name__)


# Telegram's answers when a press or a message has aged out, or a second tap changes nothing:
# the change behind the press is saved by then, so they are logged, not shown as errors.


@contextmanager
def harmless_if_stale(update_id: int) -> Iterator[None]:
    """Let Telegram's "too old / not modified / gone" refusals pass (logged), nothing else."""
    try:
        yield
    except BadRequest as error:
        if not any(phrase in error.message.lower() for phrase in HARMLESS_REFUSALS):
            raise
        logger.debug("update %s: %s", update_id, error.message)


def language_of_update(update: Update, context: BotContext) -> str:
    """The language for someone not (yet) looked up: the one we have for their Telegram's."""
    user = update.effective_user
    return context.services.language_of(user.language_code if user is not None else None)


def telegram_texts(update: Update, context: BotContext) -> Texts:
    """The texts of the sender's Telegram language (in a group, where nobody is looked up)."""
    return context.services.texts_for(language_of_update(update, context))


async def texts_of_update(update: Update, context: BotContext) -> Texts:
    """The texts for whoever sent ``update``, outside a turn (help that must work without
    the database): their stored language if it can be read, else their Telegram's."""
    texts, _ = await reader_of_update(update, context)
    return texts


async def reader_of_update(update: Update, context: BotContext) -> tuple[Texts, str | None]:
    """:func:`texts_of_update` and the person's saved time zone (``None`` if unknown, or if
    the database is away): for help, which names the lines of the person's country."""
    services, user = context.services, update.effective_user
    if user is not None:
        try:
            async with services.transaction() as session:
                known = await accounts.find_user(session, user.id)
                language, zone = (known.language, known.time_zone) if known else (None, None)
            if language is not None:
                return services.texts_for(language), zone
        except Exception as error:
            if not is_outage(error):
                raise
    return services.texts_for(language_of_update(update, context)), None


async def send_without_database(
    update: Update,
    context: BotContext,
    text: str,
    markup: ReplyMarkup | None = None,
    *,
    link_preview: LinkPreviewOptions | None = None,
) -> None:
    """Stop the spinner of a press (if it was one) and send ``text`` to the chat: for what
    must work for anyone, started or not, even while the database is away (/help, /support).
    ``link_preview``: how its links are previewed (the bot's default if none)."""
    if update.callback_query is not None:
        with harmless_if_stale(update.update_id):
            await update.callback_query.answer()
    assert update.effective_chat is not None
    await context.bot.send_message(
        update.effective_chat.id, text, reply_markup=markup, link_preview_options=link_preview
    )


async def ask_to_try_again(update: Update, context: BotContext) -> None:
    """The database is away and nothing was saved: stop the spinner, say so, kindly."""
    text = telegram_texts(update, context).errors.database_unavailable
    if update.callback_query is not None:
        with harmless_if_stale(update.update_id):
            await update.callback_query.answer(text)
    elif update.effective_chat is not None:
        await context.bot.send_message(update.effective_chat.id, text)
