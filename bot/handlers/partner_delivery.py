"""Messages from one person's turn to someone else (a partner), sent after the commit.

:class:`Turn` queues them like its replies; what needs Telegram's answer first (a 403 marks the
recipient as having blocked the bot; a row is recorded as sent only once it arrived) runs in
one more short transaction after the send, through :meth:`BotServices.transaction`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup

from bot.delivery import Outcome, follow_up, send
from bot.storage.models import User

if TYPE_CHECKING:
    from bot.context import BotContext, BotServices

Send = Callable[[], Awaitable[object]]


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
            outcome = await self.send_to_other(recipient, text, markup, silent=silent)
            await follow_up(self.services, outcome, recipient.telegram_id)

        self.later(tell)

    async def send_to_other(
        self,
        recipient: User,
        text: str,
        markup: InlineKeyboardMarkup | None = None,
        *,
        silent: bool = False,
    ) -> Outcome:
        """Send to ``recipient`` now, for a step queued with :meth:`later` that needs to
        know whether it arrived; the step then calls :func:`bot.delivery.follow_up` once,
        which marks a 403 as :meth:`tell` does, with what the step records."""
        return (
            await send(self.context.bot, recipient.telegram_id, text, markup, silent=silent)
        ).outcome

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
            outcome = await self.send_to_other(recipient, text, markup)
            # Blocked, or perhaps not arrived: not recorded, the job tries again.
            done = record if outcome is Outcome.DELIVERED else None
            await follow_up(self.services, outcome, recipient.telegram_id, done)

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
                outcome = await self.send_to_other(recipient, text, markup, silent=silent)
                if outcome is not Outcome.DELIVERED:
                    await follow_up(self.services, outcome, recipient.telegram_id, undo)
                    return

        self.later(tell)
