"""Messages from one person's turn to someone else (a partner), sent after the commit.

:class:`Turn` queues them like its replies; what needs Telegram's answer first (a 403 marks the
recipient as having blocked the bot; a row is recorded as sent only once it arrived) runs in
one more short transaction after the send, through :meth:`BotServices.transaction`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from enum import Enum
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup
from telegram.error import Forbidden, TelegramError

from bot.services import accounts
from bot.storage.health import is_outage
from bot.storage.models import User
from bot.views.parts import message_parts

if TYPE_CHECKING:
    from bot.context import BotContext, BotServices

logger = logging.getLogger(__name__)

Send = Callable[[], Awaitable[object]]


class Reached(Enum):
    """Whether a message to someone else arrived."""

    DELIVERED = "delivered"
    BLOCKED = "blocked"  # 403: they blocked the bot; it surely did not arrive
    # Any other failure: a timeout, a dropped connection or a 5xx can come after Telegram
    # delivered it, so it is treated as possibly there (its buttons keep working).
    UNKNOWN = "unknown"


class PartnerDelivery:
    """What :class:`bot.handlers.turn.Turn` can say to someone else; mixed into it."""

    context: BotContext

    @property
    def services(self) -> BotServices:
        """The turn's services (``Turn.services``)."""
        raise NotImplementedError

    def later(self, send: Send) -> None:
        """Queue ``send`` for after the commit (``Turn.later``)."""
        raise NotImplementedError

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
        parts = message_parts(text)
        try:
            for index, part in enumerate(parts):
                await bot.send_message(
                    recipient.telegram_id,
                    part,
                    reply_markup=markup if index == len(parts) - 1 else None,
                    disable_notification=silent,
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

        async def tell() -> None:
            if await self.send_to_other(recipient, text, markup) is not Reached.DELIVERED:
                return  # blocked, or perhaps not arrived: the job tries again
            await self._in_own_transaction(record)

        self.later(tell)

    def tell_all_or_undo(
        self,
        messages: list[tuple[User, str, InlineKeyboardMarkup | None, bool]],
        undo: Callable[[AsyncSession], Awaitable[None]],
    ) -> None:
        """``(recipient, text, markup, silent)`` each sent (in parts if long); if any of them
        did not arrive, ``undo`` (in a transaction of its own) what this turn recorded as
        done: what must reach several people (a ``/talk`` reveal: both partners) counts as
        done only if it reached every one. Recorded in the turn and undone on failure, the
        usual case costs no statement more."""

        async def tell() -> None:
            for recipient, text, markup, silent in messages:
                reached = await self.send_to_other(recipient, text, markup, silent=silent)
                if reached is not Reached.DELIVERED:
                    await self._in_own_transaction(undo)
                    return

        self.later(tell)

    async def _in_own_transaction(self, step: Callable[[AsyncSession], Awaitable[None]]) -> None:
        services = self.services
        try:
            async with services.transaction() as session:
                await step(session)
        except Exception as error:
            if not is_outage(error):
                raise
            services.database_health.unavailable(error)  # the next attempt finds out
