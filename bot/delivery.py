"""The one way the bot sends: :func:`send` returns one :class:`Outcome`; what must follow in
the database (a 403 marks the person blocked; the caller records the row as sent, or undoes
what did not reach everyone) runs in ONE transaction, :func:`follow_up`, under the outage
guard.

Used by :class:`bot.handlers.turn.Turn` (replies and messages to a partner) and by the jobs'
outbox loop (:mod:`bot.jobs.outbox`). Nothing here is sent inside a transaction.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, fields, replace
from enum import Enum
from functools import partial
from typing import NamedTuple

import httpx
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import (
    Bot,
    BotCommandScopeChat,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
)
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.context import BotServices
from bot.services import accounts, appreciations, privacy
from bot.storage.health import is_outage
from bot.views.keyboards import ReplyMarkup
from bot.views.parts import message_parts

logger = logging.getLogger(__name__)

Step = Callable[[AsyncSession], Awaitable[None]]

# For the crisis help, whose lines carry links (the directory, a line's site): a preview card
# under them would push the numbers out of sight on a phone, and the help is read, not browsed.
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
Send = Callable[[], Awaitable[object]]  # a reply that cannot be written down (a toast...)


class Outcome(Enum):
    """What became of one send."""

    DELIVERED = "delivered"
    # Telegram may have it (a timeout waiting for the answer, a dropped connection, a 5xx):
    # counted as there, so its buttons keep working; sent once more at most.
    MAYBE_DELIVERED = "maybe delivered"
    NOT_DELIVERED = "not delivered"  # surely not (no connection, still 429): try again later
    BLOCKED = "blocked"  # 403: the person blocked the bot; never retried
    REFUSED = "refused"  # 400: this message will not go through as it is

    @property
    def arrived(self) -> bool:
        """Counted as delivered: surely or perhaps there."""
        return self in (Outcome.DELIVERED, Outcome.MAYBE_DELIVERED)


# Telegram's "too old / not modified / gone": a repeated edit, a stale tap. Nothing wrong.
HARMLESS_REFUSALS = ("not modified", "query is too old", "query id is invalid",
                     "message to edit not found", "message can't be edited")  # fmt: skip
_SURELY_UNSENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def outcome_of(error: TelegramError) -> Outcome:
    """What a send that failed with ``error`` means. Pure.

    Only a failure to connect proves nothing arrived; a timeout while waiting for the answer,
    a connection dropped after the request went out, or a 5xx may come after delivery.
    """
    if isinstance(error, Forbidden):
        return Outcome.BLOCKED
    if isinstance(error, BadRequest):
        return Outcome.REFUSED
    if isinstance(error, RetryAfter):  # still refused after the rate limiter's retries
        return Outcome.NOT_DELIVERED
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, _SURELY_UNSENT):
            return Outcome.NOT_DELIVERED
        cause = cause.__cause__
    return Outcome.MAYBE_DELIVERED


class Sent(NamedTuple):
    outcome: Outcome
    message_id: int | None = None  # the last part's, once Telegram answered


async def send(
    bot: Bot,
    chat_id: int,
    text: str,
    markup: ReplyMarkup | None = None,
    *,
    silent: bool = False,
    quote: int | None = None,
    thread: int | None = None,
    no_preview: bool = False,
) -> Sent:
    """Send ``text`` to ``chat_id``, in parts if too long for one (the buttons under the
    last). Never raises for Telegram's refusal: the outcome says what it meant. A part that
    fails after an earlier one arrived makes the whole :attr:`Outcome.MAYBE_DELIVERED`.
    ``no_preview``: no link preview card under any part (:data:`NO_PREVIEW`)."""
    parts = message_parts(text)
    preview = NO_PREVIEW if no_preview else None
    message_id: int | None = None
    try:
        for index, part in enumerate(parts):
            message = await bot.send_message(
                chat_id,
                part,
                reply_markup=markup if index == len(parts) - 1 else None,
                disable_notification=silent,
                reply_parameters=ReplyParameters(quote) if quote is not None else None,
                message_thread_id=thread,
                link_preview_options=preview,
            )
            message_id = message.message_id
        return Sent(Outcome.DELIVERED, message_id)
    except TelegramError as error:
        outcome = outcome_of(error)
        if message_id is not None and outcome in (Outcome.NOT_DELIVERED, Outcome.REFUSED):
            # A part arrived: the message is partly there. Counted as arrived (its buttons
            # and its record stand) and never sent whole again.
            outcome = Outcome.MAYBE_DELIVERED
        if outcome is Outcome.BLOCKED:
            logger.info("chat %s has blocked the bot", chat_id)
        else:
            logger.warning("chat %s: a message was %s: %s", chat_id, outcome.value, error)
        return Sent(outcome, message_id)


@dataclass(frozen=True)
class Reply:
    """One thing a turn says, as data: written with its update's record in the turn's own
    transaction (:func:`dump`), so that what a crash kept from being sent is sent at start
    (:mod:`bot.recovery`). An edit (``edit``: the message to change; ``text`` ``None``: only
    its buttons) is safe to repeat; a new message is repeated only if it was in flight."""

    chat_id: int
    text: str | None
    markup: ReplyMarkup | None = None
    edit: int | None = None
    quote: int | None = None  # a new message quoting this one (as PTB replies in groups)
    thread: int | None = None  # a forum topic
    partner: bool = False  # to someone else: a 403 marks them blocked
    silent: bool = False
    # A relayed appreciation (/thanks): a 403 marks it not delivered (never shown or counted).
    appreciation: int | None = None
    # A confirmation of the partner message just before it: its text when that one met a 403.
    if_blocked: str | None = None
    # A file, ``(filename, content)``, with ``text`` as its caption (/export).
    document: tuple[str, str] | None = None
    # /delete's last words: sent, then the chat cleared below them (below this message id,
    # the pressed question, should they fail), and the chat's own menu removed.
    clear: int | None = None
    # The crisis help: sent or edited without a link preview card (:data:`NO_PREVIEW`).
    # Written only when set, so what older processes wrote loads as ``False``.
    no_preview: bool = False


_MARKUPS: dict[str, type[ReplyMarkup]] = {
    kind.__name__: kind for kind in (InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove)
}


def dump(replies: Sequence[Reply]) -> str | None:
    """JSON for ``received_updates.replies``; ``None`` when there is nothing to say."""
    if not replies:
        return None
    rows = []
    for reply in replies:
        row = {
            field.name: getattr(reply, field.name)
            for field in fields(reply)
            if field.name != "markup" and getattr(reply, field.name)
        }
        row["chat_id"] = reply.chat_id
        if reply.markup is not None:
            row["markup"] = [type(reply.markup).__name__, reply.markup.to_dict()]
        rows.append(row)
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":"))


def load(data: str, bot: Bot) -> list[Reply]:
    replies = []
    for row in json.loads(data):
        markup = row.pop("markup", None)
        if markup is not None:
            markup = _MARKUPS[markup[0]].de_json(markup[1], bot)
        if "document" in row:
            row["document"] = tuple(row["document"])
        replies.append(Reply(markup=markup, **{"text": None, **row}))
    return replies


async def say(bot: Bot, reply: Reply) -> Outcome:
    """Send one :class:`Reply`. An edit Telegram refuses as stale (not modified, gone) is
    fine: the person sees the state it would show."""
    if reply.document is not None or reply.clear is not None:
        return await _file_or_clear(bot, reply)
    if reply.edit is None:
        assert reply.text is not None
        return (
            await send(
                bot,
                reply.chat_id,
                reply.text,
                reply.markup,
                silent=reply.silent,
                quote=reply.quote,
                thread=reply.thread,
                no_preview=reply.no_preview,
            )
        ).outcome
    inline = reply.markup if isinstance(reply.markup, InlineKeyboardMarkup) else None
    try:
        if reply.text is None:
            await bot.edit_message_reply_markup(reply.chat_id, reply.edit, reply_markup=inline)
        else:
            await bot.edit_message_text(
                reply.text,
                reply.chat_id,
                reply.edit,
                reply_markup=inline,
                link_preview_options=NO_PREVIEW if reply.no_preview else None,
            )
    except TelegramError as error:
        outcome = outcome_of(error)
        harmless = any(phrase in error.message.lower() for phrase in HARMLESS_REFUSALS)
        level = logging.DEBUG if harmless else logging.WARNING
        logger.log(level, "chat %s: an edit was %s: %s", reply.chat_id, outcome.value, error)
        return outcome
    return Outcome.DELIVERED


async def _file_or_clear(bot: Bot, reply: Reply) -> Outcome:
    """An /export file, or /delete's last words and the clearing below them (best effort:
    what Telegram no longer lets the bot delete stays; see
    :func:`bot.services.privacy.recent_message_batches`)."""
    try:
        if reply.document is not None:
            name, content = reply.document
            file = InputFile(content.encode("utf-8"), filename=name)
            await bot.send_document(reply.chat_id, file, caption=reply.text)
            return Outcome.DELIVERED
        newest = (reply.clear or 0) + 1
        try:
            newest = (await bot.send_message(reply.chat_id, reply.text or "")).message_id
        finally:
            for batch in privacy.recent_message_batches(newest):
                try:
                    await bot.delete_messages(reply.chat_id, batch)
                except BadRequest as error:
                    logger.debug("clearing chat stopped: %s", error.message)
                    break
            # A language chosen with /language gave this chat a menu of its own; it goes too.
            await bot.delete_my_commands(scope=BotCommandScopeChat(reply.chat_id))
    except TelegramError as error:
        outcome = outcome_of(error)
        logger.warning(
            "chat %s: a file or clearing was %s: %s", reply.chat_id, outcome.value, error
        )
        return outcome
    return Outcome.DELIVERED


async def deliver(bot: Bot, services: BotServices, outbox: Sequence[Reply | Send]) -> None:
    """Send a turn's replies in order (after its commit, or at start after a crash). The
    changes are saved by now: one that fails must not keep back the others. A partner who
    blocked the bot is marked in one transaction after them all, with what a 403 undoes
    (a relayed appreciation is then not delivered)."""
    blocked: dict[int, list[Step]] = {}
    before: Outcome | None = None  # the last partner message's outcome
    for item in outbox:
        try:
            if isinstance(item, Reply):
                if item.if_blocked is not None and before is Outcome.BLOCKED:
                    item = replace(item, text=item.if_blocked)
                outcome = await say(bot, item)
                if item.partner:
                    before = outcome
                if outcome is Outcome.BLOCKED and item.partner:
                    undo = blocked.setdefault(item.chat_id, [])
                    if item.appreciation is not None:
                        undo.append(
                            partial(appreciations.not_delivered, appreciation_id=item.appreciation)
                        )
            else:
                await item()
        except TelegramError as error:
            logger.warning("a reply was not sent: %s", error)
        except Exception as error:  # a step after a send met the database away
            if not is_outage(error):
                raise
            services.database_health.unavailable(error)
    for telegram_id, undo in blocked.items():
        await follow_up(services, Outcome.BLOCKED, telegram_id, *undo)


# A message whose outbox row is recorded only once Telegram answered: the step for that
# outcome (``None``: nothing; the row stays claimed, and its job takes it over later).
Recorded = tuple[Reply, Callable[[Outcome], Step | None]]


async def deliver_recorded(bot: Bot, services: BotServices, items: Sequence[Recorded]) -> None:
    """Send each reply, then record what its outcome asks (its row as sent once it arrived)
    in one :func:`follow_up` with a 403's "blocked": a crash before leaves the row unsent and
    claimed, and the job that sends such rows delivers it once the claim lapses; the
    database away after the send keeps the record for that job to write first."""
    for reply, record in items:
        outcome = await say(bot, reply)
        await follow_up(services, outcome, reply.chat_id, record(outcome))


async def tell_all_then_record(
    bot: Bot,
    services: BotServices,
    messages: Sequence[tuple[int, str, InlineKeyboardMarkup | None, bool]],
    record: Step,
    then: Callable[[list[int | None]], Sequence[Recorded]] | None = None,
) -> None:
    """``(chat_id, text, markup, silent)`` each sent in order; only once every one arrived
    (surely or perhaps) is ``record`` run, in the one transaction after the sends: what must
    reach several people (a ``/talk`` reveal: both partners) counts as done only if it
    reached every one. A send that fails stops the rest; a crash before the record leaves it
    undone too, so the caller offers it again. Once recorded, ``then(message_ids)`` says what
    follows (a guided talk's next step), sent after and recorded as :func:`deliver_recorded`
    does; the ids (each message's last part, if known) let it edit what was sent."""
    ids: list[int | None] = []
    for chat_id, text, markup, silent in messages:
        sent = await send(bot, chat_id, text, markup, silent=silent)
        if not sent.outcome.arrived:
            await follow_up(services, sent.outcome, chat_id)
            return
        ids.append(sent.message_id)
    # Not kept for later if the database is away: the reveal stays undone, and the next
    # /talk shows both answers again (written late, it could cross that new reveal).
    if await follow_up(services, Outcome.DELIVERED, messages[0][0], record, keep=False) and then:
        await deliver_recorded(bot, services, then(ids))


async def follow_up(
    services: BotServices,
    outcome: Outcome,
    telegram_id: int,
    *steps: Step | None,
    keep: bool = True,
) -> bool:
    """What must follow a send, in ONE transaction: a 403 marks the person blocked (their
    prompts stop until they write again), then the caller's ``steps``. None to do: no
    transaction. A database outage is noted, not raised (``False``): the send stands, and
    what was to follow waits in the kept records (``services.kept_records``, the together
    job's send ledger), written before that job claims anything again — a row recorded as
    sent once it arrived is then never sent twice. ``keep=False``: dropped instead (the
    caller offers it again)."""
    todo = [step for step in steps if step is not None]
    if outcome is Outcome.BLOCKED:
        todo.insert(
            0, partial(accounts.mark_blocked, telegram_id=telegram_id, now=services.clock())
        )
    if not todo:
        return True
    try:
        async with services.transaction() as session:
            for step in todo:
                await step(session)
    except Exception as error:
        if not is_outage(error):
            raise
        services.database_health.unavailable(error)
        if keep and services.kept_records is not None:
            services.kept_records.add(*todo)
        return False
    return True
