"""One update, one transaction, then the replies: the mechanism every handler runs in.

A handler decorated with :func:`for_known_sender` or :func:`for_anyone` receives a
:class:`Turn`: the update's database session with the sender already looked up. It reads and
writes through services, and *queues* what to say (``turn.reply``, ``turn.edit``...). When it
returns, the transaction is committed once, and only then is anything sent. So:

- nobody is told about a change that was not saved (a failing handler sends nothing; the error
  handler apologises);
- no write transaction is held open while waiting for Telegram, which on SQLite would make
  everyone else's writes wait too;
- services never commit; handlers never open sessions.

What needs Telegram's answer first (a partner's 403 marks them as having blocked the bot) runs
in one more short transaction after the send, through :meth:`BotServices.transaction`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextlib import contextmanager
from datetime import datetime
from enum import Enum
from functools import wraps
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import BaseHandler, filters

from bot.content import Framework, Texts
from bot.content.together import TogetherContent
from bot.context import BotContext, BotServices
from bot.services import accounts
from bot.storage import received
from bot.storage.health import is_outage
from bot.storage.models import User
from bot.views.keyboards import ReplyMarkup, languages

logger = logging.getLogger(__name__)

# The updates every conversation handler listens to: new messages in a private chat.
PRIVATE_MESSAGES = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE

Send = Callable[[], Awaitable[object]]
TurnHandler = Callable[["Turn"], Awaitable[None]]
Callback = Callable[[Update, BotContext], Coroutine[Any, Any, None]]
Handlers = list[BaseHandler[Update, BotContext, None]]


class Reached(Enum):
    """Whether a message to someone else arrived."""

    DELIVERED = "delivered"
    BLOCKED = "blocked"  # 403: they blocked the bot; it surely did not arrive
    # Any other failure: a timeout, a dropped connection or a 5xx can come after Telegram
    # delivered it, so it is treated as possibly there (its buttons keep working).
    UNKNOWN = "unknown"


# Telegram's answers when a press or a message has aged out, or a second tap changes nothing:
# the change behind the press is saved by then, so they are logged, not shown as errors.
HARMLESS_REFUSALS = ("not modified", "query is too old", "query id is invalid",
                     "message to edit not found", "message can't be edited")  # fmt: skip


@contextmanager
def harmless_if_stale(update_id: int) -> Iterator[None]:
    """Let Telegram's "too old / not modified / gone" refusals pass (logged), nothing else."""
    try:
        yield
    except BadRequest as error:
        if not any(phrase in error.message.lower() for phrase in HARMLESS_REFUSALS):
            raise
        logger.debug("update %s: %s", update_id, error.message)


class Turn:
    """One update being handled: its transaction, its sender, and what to say afterwards."""

    def __init__(
        self, update: Update, context: BotContext, session: AsyncSession, sender: User | None
    ) -> None:
        self.update = update
        self.context = context
        self.session = session
        self.sender = sender
        # One "now" for the whole update: every change it makes carries the same time.
        self.now: datetime = context.now()
        self._outbox: list[Send] = []

    # --- what the handler reads ---------------------------------------------------------------

    @property
    def services(self) -> BotServices:
        return self.context.services

    @property
    def language(self) -> str:
        """The sender's language: stored once they are known, else their Telegram's."""
        if self.sender is not None:
            return self.sender.language
        return language_of_update(self.update, self.context)

    @property
    def texts(self) -> Texts:
        """The sender's texts. What goes to someone else uses :meth:`texts_for`."""
        return self.context.services.texts_for(self.language)

    def texts_for(self, recipient: User) -> Texts:
        """The texts of ``recipient`` (a partner): each person reads their own language."""
        return self.context.services.texts_for(recipient.language)

    @property
    def frameworks(self) -> dict[str, Framework]:
        return self.context.services.frameworks_for(self.language)

    @property
    def together(self) -> TogetherContent:
        return self.context.services.together_for(self.language)

    def together_for(self, recipient: User) -> TogetherContent:
        """The shared-moment texts and questions in ``recipient``'s language."""
        return self.context.services.together_for(recipient.language)

    @property
    def user(self) -> User:
        """The sender, for handlers that run only for someone known (:func:`for_known_sender`)."""
        assert self.sender is not None
        return self.sender

    @property
    def query(self) -> CallbackQuery:
        """The button press (handlers registered for presses only)."""
        assert self.update.callback_query is not None
        return self.update.callback_query

    @property
    def message(self) -> Message:
        """The message this update carries (handlers registered for messages only)."""
        assert self.update.effective_message is not None
        return self.update.effective_message

    @property
    def match(self) -> re.Match[str]:
        """The button data's match against its handler's pattern."""
        assert self.context.match is not None
        return self.context.match

    @property
    def args(self) -> list[str]:
        return self.context.args or []

    @property
    def chat_id(self) -> int:
        assert self.update.effective_chat is not None
        return self.update.effective_chat.id

    async def unfinished_setup(self) -> accounts.PendingInput | None:
        """The sender's setup question if their setup is unfinished (opened again)."""
        if self.sender is None:
            return None
        return await accounts.restore_setup(self.session, self.sender, self.now)

    # --- what to say once the transaction is committed ------------------------------------

    def later(self, send: Send) -> None:
        """Run ``send`` after the commit, in order with the other replies."""
        self._outbox.append(send)

    def reply(self, text: str, markup: ReplyMarkup | None = None) -> None:
        """Answer in the chat the update came from (a message: as PTB replies, which quotes
        in groups and keeps a forum topic)."""
        message = self.update.message
        if message is not None:
            self.later(lambda: message.reply_text(text, reply_markup=markup))
        else:
            self.send(self.chat_id, text, markup)

    def send(self, chat_id: int, text: str, markup: ReplyMarkup | None = None) -> None:
        bot = self.context.bot
        self.later(lambda: bot.send_message(chat_id, text, reply_markup=markup))

    def answer(self, toast: str | None = None, *, alert: bool = False) -> None:
        """Stop the button's spinner (with a toast, if given). A press answered too late —
        after a restart, say — must not undo what follows."""
        query, update_id = self.query, self.update.update_id

        async def answer() -> None:
            with harmless_if_stale(update_id):
                await query.answer(toast, show_alert=alert)

        self.later(answer)

    def edit(self, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
        """Replace the pressed message; a second tap, or a message gone meanwhile, is fine."""
        query, update_id = self.query, self.update.update_id

        async def edit() -> None:
            with harmless_if_stale(update_id):
                await query.edit_message_text(text, reply_markup=markup)

        self.later(edit)

    def remove_buttons(self) -> None:
        query, update_id = self.query, self.update.update_id

        async def remove() -> None:
            with harmless_if_stale(update_id):
                await query.edit_message_reply_markup(reply_markup=None)

        self.later(remove)

    def stale(self) -> None:
        """A button that no longer applies: say so in a toast, change nothing."""
        logger.debug("update %s: stale or unknown button", self.update.update_id)
        self.answer(self.texts.errors.stale_button)

    def not_started(self) -> None:
        """Tell someone we don't know yet how to begin."""
        if self.update.callback_query is not None:
            self.answer(self.texts.errors.not_started, alert=True)
        elif self.update.effective_chat is not None:
            self.send(self.chat_id, self.texts.errors.not_started)

    def tell(
        self,
        recipient: User,
        text: str,
        markup: InlineKeyboardMarkup | None = None,
        *,
        silent: bool = False,
    ) -> None:
        """A message to someone else (a partner). Whatever the sender did stands even if it
        cannot be delivered; a 403 (they blocked the bot) marks them inactive, which stops
        their prompts until they write again. ``silent``: without a sound (their night)."""

        async def tell() -> None:
            await self.send_to_other(recipient, text, markup, silent=silent)

        self.later(tell)

    async def send_to_other(
        self,
        recipient: User,
        text: str,
        markup: InlineKeyboardMarkup | None = None,
        *,
        silent: bool = False,
    ) -> Reached:
        """Send to ``recipient`` now, for a step queued with :meth:`later` that needs to
        know whether it arrived (a 403 marks them as :meth:`tell` does)."""
        services, bot = self.services, self.context.bot
        try:
            await bot.send_message(
                recipient.telegram_id, text, reply_markup=markup, disable_notification=silent
            )
            return Reached.DELIVERED
        except Forbidden:
            logger.info("user %s has blocked the bot; marking inactive", recipient.id)
            try:
                async with services.transaction() as session:
                    await accounts.mark_blocked(session, recipient.telegram_id, services.clock())
            except Exception as error:
                if not is_outage(error):
                    raise
                services.database_health.unavailable(error)  # their next prompt finds out
            return Reached.BLOCKED
        except TelegramError as error:
            logger.warning("user %s may not have been notified: %s", recipient.id, error)
            return Reached.UNKNOWN

    async def deliver(self) -> None:
        """Send what was queued, in order. The changes are saved by now: one reply that
        fails (Telegram slow or refusing) must not keep back the others."""
        outbox, self._outbox = self._outbox, []
        for send in outbox:
            try:
                await send()
            except TelegramError as error:
                logger.warning("update %s: a reply was not sent: %s", self.update.update_id, error)

    def tell_then_record(
        self,
        recipient: User,
        text: str,
        markup: InlineKeyboardMarkup | None,
        record: Callable[[AsyncSession], Awaitable[None]],
    ) -> None:
        """:meth:`tell` for an outbox row claimed in this turn's transaction: only once the
        message arrived is it ``record``-ed as sent, in a transaction of its own. One that did
        not arrive stays claimed, and the job that sends such rows takes it over when the
        claim lapses: a failed send is never recorded as sent."""
        services = self.services

        async def tell() -> None:
            if await self.send_to_other(recipient, text, markup) is not Reached.DELIVERED:
                return  # blocked, or perhaps not arrived: the job tries again
            try:
                async with services.transaction() as session:
                    await record(session)
            except Exception as error:
                if not is_outage(error):
                    raise
                services.database_health.unavailable(error)  # sent again when the claim lapses

        self.later(tell)


async def offer_language(turn: Turn) -> None:
    """Once, after whatever they asked for, to someone who started before there were
    languages and whose Telegram speaks one the bot has now: the choice, in that language."""
    user, person = turn.sender, turn.update.effective_user
    if user is None or person is None or turn.update.effective_chat is None:
        return
    offered = turn.services.language_of(person.language_code)
    if not accounts.language_to_offer(user, offered):
        return
    await accounts.mark_language_offered(turn.session, user, turn.now)
    markup = languages(turn.services.language_names(), user.language)
    turn.send(turn.chat_id, turn.services.texts_for(offered).languages.offer, markup)


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
    update: Update, context: BotContext, text: str, markup: ReplyMarkup | None = None
) -> None:
    """Stop the spinner of a press (if it was one) and send ``text`` to the chat: for what
    must work for anyone, started or not, even while the database is away (/help, /support)."""
    if update.callback_query is not None:
        with harmless_if_stale(update.update_id):
            await update.callback_query.answer()
    assert update.effective_chat is not None
    await context.bot.send_message(update.effective_chat.id, text, reply_markup=markup)


async def ask_to_try_again(update: Update, context: BotContext) -> None:
    """The database is away and nothing was saved: stop the spinner, say so, kindly."""
    text = telegram_texts(update, context).errors.database_unavailable
    if update.callback_query is not None:
        with harmless_if_stale(update.update_id):
            await update.callback_query.answer(text)
    elif update.effective_chat is not None:
        await context.bot.send_message(update.effective_chat.id, text)


def _turn_handler(
    handler: TurnHandler, *, known_only: bool, when_unavailable: Callback, finishes: bool = True
) -> Callback:
    @wraps(handler)
    async def callback(update: Update, context: BotContext) -> None:
        services = context.services
        try:
            async with services.transaction() as session:
                sender = await find_sender(session, update, context.now())
                turn = Turn(update, context, session, sender)
                if known_only and sender is None:
                    turn.not_started()
                else:
                    await handler(turn)
                    if finishes:
                        await offer_language(turn)
                if finishes:
                    await received.mark_handled(session, update.update_id, turn.now)
        except Exception as error:
            if not is_outage(error):
                raise
            services.database_health.unavailable(error)
            await when_unavailable(update, context)
            return
        services.database_health.available()
        await turn.deliver()

    return callback


def for_known_sender(handler: TurnHandler) -> Callback:
    """Run ``handler`` in a turn if the sender has started; else tell them how to start."""
    return _turn_handler(handler, known_only=True, when_unavailable=ask_to_try_again)


def for_anyone(handler: TurnHandler, *, when_unavailable: Callback = ask_to_try_again) -> Callback:
    """Run ``handler`` in a turn for anyone; ``turn.sender`` is ``None`` for a stranger.
    ``when_unavailable`` answers instead while the database is away."""
    return _turn_handler(handler, known_only=False, when_unavailable=when_unavailable)


def before_the_handler(handler: TurnHandler, *, when_unavailable: Callback) -> Callback:
    """:func:`for_anyone`, for a handler in an earlier group that prepares the update for the
    one that answers it (e.g. closing an open question before a command). It does not mark
    the update handled: after a crash between the two, the update is handled again from the
    start, so ``handler`` must be harmless to repeat."""
    return _turn_handler(
        handler, known_only=False, when_unavailable=when_unavailable, finishes=False
    )


async def find_sender(session: AsyncSession, update: Update, now: datetime) -> User | None:
    """The stored user who sent this update, or ``None`` if they have not started yet."""
    if update.effective_user is None:
        return None
    user = await accounts.find_user(session, update.effective_user.id)
    if user is not None and not user.active:
        # They blocked the bot once; writing again means they are back.
        await accounts.reactivate(session, user, now)
    return user
