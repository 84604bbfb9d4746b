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

What the turn will say is written with the update's record in the same commit (a
:class:`bot.delivery.Reply` each), so a crash between the commit and the sends loses no
reply: :mod:`bot.recovery` sends what is left at start. What needs Telegram's answer first (a
partner's 403 marks them as having blocked the bot) runs in one more short transaction after
the send (:func:`bot.delivery.follow_up`). Replies that must work without a turn (the
database away): :mod:`bot.handlers.without_database`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import wraps
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.ext import BaseHandler, filters

from bot.content import Framework, Texts
from bot.content.together import TogetherContent
from bot.context import BotContext, BotServices
from bot.delivery import (
    NO_PREVIEW,
    Outcome,
    Recorded,
    Reply,
    Send,
    Step,
    deliver,
    dump,
    follow_up,
    send,
    tell_all_then_record,
)
from bot.handlers.language_offer import offer_language
from bot.handlers.pending_input import close_on_command
from bot.handlers.without_database import (
    ask_to_try_again,
    harmless_if_stale,
    language_of_update,
)
from bot.services import accounts, pings
from bot.services.ping_budget import Kind, Merged
from bot.storage import received
from bot.storage.health import is_outage
from bot.storage.models import User
from bot.views.held import keyboard_json, with_held
from bot.views.keyboards import ReplyMarkup

logger = logging.getLogger(__name__)

# The updates every conversation handler listens to: new messages in a private chat.
PRIVATE_MESSAGES = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
# A command closes the question the person had open, in its own turn, before its handler.
PRIVATE_COMMANDS = PRIVATE_MESSAGES & filters.COMMAND

TurnHandler = Callable[["Turn"], Awaitable[None]]
Callback = Callable[[Update, BotContext], Coroutine[Any, Any, None]]
Handlers = list[BaseHandler[Update, BotContext, None]]


# What goes once the ping budget is settled: the text and buttons, with what was held for
# the recipient ahead of it.
Settled = tuple[str, InlineKeyboardMarkup | None]


@dataclass(frozen=True)
class _Unasked:
    """A message to someone else that they did not ask for (a partner's note, the nudge...):
    whether it goes now or is held is decided at the end of the handler, in its transaction
    (:meth:`Turn.settle`, the ping budget); ``then`` makes what to send from what was
    settled and what was held ahead of it; ``on_held`` records a held one as handed over
    (and marks a message sent by a step, :meth:`Turn.tell_then_record`, which hands over
    what was held ahead of it only after the send); ``about``: the day it shows; ``note``:
    the shared note it tells of."""

    recipient: User
    kind: Kind
    text: str
    markup: InlineKeyboardMarkup | None
    then: Callable[[Settled, Merged], Reply | Send]
    on_held: Step | None = None
    about: date | None = None
    note: int | None = None


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
        self._outbox: list[Reply | Send | _Unasked] = []

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
        """Run ``send`` after the commit, in order with the other replies. Unlike a
        :class:`Reply`, it is not written down: a crash before it runs forgets it."""
        self._outbox.append(send)

    def reply(
        self,
        text: str,
        markup: ReplyMarkup | None = None,
        *,
        quote: bool = False,
        no_preview: bool = False,
    ) -> None:
        """Answer in the chat the update came from (a message: as PTB replies, quoting in
        groups and keeping a forum topic). Too long for one message, it goes in parts
        (:func:`bot.views.parts.message_parts`), the buttons under the last. ``quote``: quote
        the message in a private chat too, so that a button under the reply can read it.
        ``no_preview``: without a link preview card (the crisis help)."""
        message = self.update.message
        if message is None:
            self.send(self.chat_id, text, markup, no_preview=no_preview)
            return
        private = message.chat.type == ChatType.PRIVATE
        quoted = message.message_id if quote or not private else None
        thread = message.message_thread_id if message.is_topic_message else None
        self._outbox.append(
            Reply(message.chat_id, text, markup, quote=quoted, thread=thread, no_preview=no_preview)
        )

    def send(
        self,
        chat_id: int,
        text: str,
        markup: ReplyMarkup | None = None,
        *,
        if_blocked: str | None = None,
        no_preview: bool = False,
    ) -> None:
        """A message to ``chat_id``, in parts if too long for one (buttons under the last);
        ``if_blocked``: its text instead if the :meth:`tell` just before it met a 403;
        ``no_preview``: without a link preview card (the crisis help)."""
        self._outbox.append(
            Reply(chat_id, text, markup, if_blocked=if_blocked, no_preview=no_preview)
        )

    def send_file(self, chat_id: int, filename: str, content: str, caption: str) -> None:
        """A file (UTF-8 text) with its caption, written with the update like any reply."""
        self._outbox.append(Reply(chat_id, caption, document=(filename, content)))

    def last_words(self, text: str, below: int) -> None:
        """Say ``text``, then clear the chat below it (or below ``below``, should it fail)
        and remove the chat's own menu: after /delete. Best effort: Telegram lets a bot
        delete only messages under 48 hours old."""
        self._outbox.append(Reply(self.chat_id, text, clear=below))

    def tell(
        self,
        recipient: User,
        text: str,
        markup: InlineKeyboardMarkup | None = None,
        *,
        silent: bool = False,
        unasked: Kind | None = None,
        appreciation: int | None = None,
        note: int | None = None,
    ) -> None:
        """A message to someone else (a partner). Whatever the sender did stands even if it
        cannot be delivered; a 403 (they blocked the bot) marks them inactive, which stops
        their prompts until they write again. ``silent``: without a sound (their night).
        ``unasked``: what it is, if the recipient did not ask for it (it counts against their
        ping budget, and may be held for their next check-in); ``appreciation``: the one
        relayed, marked not delivered on a 403; ``note``: the shared note it tells of (a held
        notice goes only while the note is still shared)."""
        to = recipient.telegram_id
        if unasked is None:
            self._outbox.append(
                Reply(to, text, markup, partner=True, silent=silent, appreciation=appreciation)
            )
            return

        def then(settled: Settled, _: Merged) -> Reply:
            return Reply(to, *settled, partner=True, silent=silent, appreciation=appreciation)

        self._outbox.append(_Unasked(recipient, unasked, text, markup, then, note=note))

    def answer(self, toast: str | None = None, *, alert: bool = False) -> None:
        """Stop the button's spinner (with a toast, if given). A press answered too late —
        after a restart, say — must not undo what follows."""
        query, update_id = self.query, self.update.update_id

        async def answer() -> None:
            with harmless_if_stale(update_id):
                await query.answer(toast, show_alert=alert)

        self.later(answer)

    def edit(
        self,
        text: str | None,
        markup: InlineKeyboardMarkup | None = None,
        *,
        no_preview: bool = False,
    ) -> None:
        """Replace the pressed message (``text`` ``None``: only its buttons); a second tap,
        or a message gone meanwhile, is fine, and so is the same edit again after a crash.
        ``no_preview``: without a link preview card (the crisis help)."""
        pressed = self.query.message
        if pressed is not None:
            self._outbox.append(
                Reply(pressed.chat.id, text, markup, edit=pressed.message_id, no_preview=no_preview)
            )
            return
        query, update_id = self.query, self.update.update_id  # an inline message: no chat

        async def edit() -> None:
            with harmless_if_stale(update_id):
                if text is None:
                    await query.edit_message_reply_markup(reply_markup=markup)
                else:
                    preview = NO_PREVIEW if no_preview else None
                    await query.edit_message_text(
                        text, reply_markup=markup, link_preview_options=preview
                    )

        self.later(edit)

    def remove_buttons(self) -> None:
        self.edit(None)

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

    def replies(self) -> str | None:
        """What will be said, as written with the update's record (see :mod:`bot.delivery`)."""
        return dump([reply for reply in self._outbox if isinstance(reply, Reply)])

    async def deliver(self) -> None:
        """Send what was queued, in order. The changes are saved by now: one reply that
        fails (Telegram slow or refusing) must not keep back the others."""
        outbox, self._outbox = self._outbox, []
        await deliver(
            self.context.bot, self.services, [i for i in outbox if not isinstance(i, _Unasked)]
        )

    # --- messages to someone else whose outcome matters -------------------------------------

    async def send_to_other(
        self,
        recipient: User,
        text: str,
        markup: InlineKeyboardMarkup | None = None,
        *,
        silent: bool = False,
    ) -> Outcome:
        """Send to ``recipient`` now, for a step queued with :meth:`later` that needs to know
        whether it arrived; the step then calls :func:`bot.delivery.follow_up` once, which
        marks a 403 as :meth:`tell` does, with what the step records."""
        bot = self.context.bot
        return (await send(bot, recipient.telegram_id, text, markup, silent=silent)).outcome

    def tell_then_record(
        self,
        recipient: User,
        text: str,
        markup: InlineKeyboardMarkup | None,
        record: Step,
        *,
        unasked: Kind | None = None,
        about: date | None = None,
    ) -> None:
        """:meth:`tell` for an outbox row claimed in this turn's transaction: only once the
        message arrived (surely or perhaps: :attr:`bot.delivery.Outcome.arrived`) is it
        ``record``-ed as sent. One that did not arrive stays claimed, and the job that sends
        such rows takes it over when the claim lapses. What the ping budget held for
        ``recipient`` and sends ahead of it is done with in the same step, after the send: a
        crash before leaves it claimed, and it goes later (``pings.HELD_LEASE``)."""

        def tell_this(settled: Settled, held: Merged = pings.NOTHING_HELD) -> Send:
            async def tell() -> None:
                outcome = await self.send_to_other(recipient, *settled)
                done = record if outcome.arrived else None

                async def hand_over(session: AsyncSession) -> None:
                    await pings.handed_over(session, held, arrived=outcome.arrived)

                handed = hand_over if held.sent else None
                await follow_up(self.services, outcome, recipient.telegram_id, done, handed)

            return tell

        if unasked is None:
            self.later(tell_this((text, markup)))
            return
        self._outbox.append(_Unasked(recipient, unasked, text, markup, tell_this, record, about))

    def tell_all_then_record(
        self,
        messages: list[tuple[User, str, InlineKeyboardMarkup | None, bool]],
        record: Step,
        then: Callable[[list[int | None]], Sequence[Recorded]] | None = None,
    ) -> None:
        """``(recipient, text, markup, silent)`` each sent in order after the commit, and
        ``record`` run only once every one arrived; then ``then``'s messages, each recorded
        once it arrived (:func:`bot.delivery.tell_all_then_record`). Not written down: a
        crash before the record leaves it undone, so the caller offers it again."""
        bot, services = self.context.bot, self.services
        chats = [
            (user.telegram_id, text, markup, silent) for user, text, markup, silent in messages
        ]

        async def tell() -> None:
            await tell_all_then_record(bot, services, chats, record, then)

        self.later(tell)

    async def settle(self) -> None:
        """Decide, in the turn's transaction, which unasked messages go now (with what was
        held for their recipient ahead of them) and which are held for the recipient's next
        check-in (:func:`bot.services.pings.admit`)."""
        settled: list[Reply | Send | _Unasked] = []
        sender_id = self.sender.id if self.sender is not None else None
        for item in self._outbox:
            if not isinstance(item, _Unasked):
                settled.append(item)
                continue
            held = await pings.admit(
                self.session, item.recipient, item.kind, self.now,
                text=item.text, markup=keyboard_json(item.markup), sender_id=sender_id,
                about=item.about, note_id=item.note,
            )  # fmt: skip
            if held is None:
                if item.on_held is not None:
                    await item.on_held(self.session)
                continue
            if item.on_held is None:
                # What was held goes with a reply: done with now, as the reply is written
                # down with the update and sent again after a crash. (A step's send hands
                # it over itself, after the send.)
                await pings.handed_over(self.session, held, arrived=True)
            joined = with_held(held, item.text, item.markup, self.context.bot)
            settled.append(item.then(joined, held))
        self._outbox = settled


def _turn_handler(
    handler: TurnHandler, *, known_only: bool, when_unavailable: Callback
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
                    if PRIVATE_COMMANDS.check_update(update):
                        # In the command's own transaction: one per update, and never
                        # closed without the command's answer (nor answered unclosed).
                        await close_on_command(turn)
                    await handler(turn)
                    await offer_language(turn)
                await turn.settle()
                await received.mark_handled(session, update.update_id, turn.now, turn.replies())
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


def for_onboarded(handler: TurnHandler) -> Callback:
    """:func:`for_known_sender`, for what only makes sense once set up (settings, /together):
    a press from someone still setting up is a stale button; a command is told how to begin."""

    @wraps(handler)
    async def guarded(turn: Turn) -> None:
        if turn.user.onboarded_at is None:
            if turn.update.callback_query is not None:
                turn.stale()
            else:
                turn.reply(turn.texts.errors.not_started)
            return
        await handler(turn)

    return for_known_sender(guarded)


def for_anyone(handler: TurnHandler, *, when_unavailable: Callback = ask_to_try_again) -> Callback:
    """Run ``handler`` in a turn for anyone; ``turn.sender`` is ``None`` for a stranger.
    ``when_unavailable`` answers instead while the database is away."""
    return _turn_handler(handler, known_only=False, when_unavailable=when_unavailable)


async def find_sender(session: AsyncSession, update: Update, now: datetime) -> User | None:
    """The stored user who sent this update, or ``None`` if they have not started yet."""
    if update.effective_user is None:
        return None
    user = await accounts.find_user(session, update.effective_user.id)
    if user is not None and not user.active:
        # They blocked the bot once; writing again means they are back.
        await accounts.reactivate(session, user, now)
    return user
