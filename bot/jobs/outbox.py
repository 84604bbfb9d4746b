"""The one claim → send → record loop the jobs configure (:func:`drain`): the check-in
prompts, reminders and digests (:mod:`bot.jobs.checkin_sender`) and the together job's rows
(:mod:`bot.jobs.together`), each an :class:`Outbox`.

What it guarantees to every outbox:

- a row is claimed in a short transaction, with this process as owner, and the claims are
  renewed while a batch is sent (``renew``), so no other process takes over live work; a
  process that stops leading the jobs stops sending, and a dead one's claims lapse (taken
  over no sooner than a lease after the taker took the lead: :func:`takeover_lease`);
- rows are sent concurrently through :func:`bot.delivery.send` (a 429 is waited out by the
  rate limiter, the one layer that does so); a send that surely did not reach Telegram is
  tried again with backoff, then left for a later run; one that may have (a timeout, a
  dropped connection, a 5xx) is sent once more at most, then counted as arrived;
- what each send means (the row's record, a 403's "blocked", what the ping budget handed
  over) goes to the job's :class:`SendLedger`, written in one transaction within half a
  second: a ``kill -9`` repeats at most the sends of that half second; while the database
  is away the ledger keeps them (from run to run: each job writes it first, leading or
  not), and nothing new is claimed until they are written. A record the database refuses
  as a mistake is set aside (logged) rather than holding back the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Generic, NamedTuple, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot

from bot.context import BotServices
from bot.delivery import Outcome, Sent, Step, send
from bot.services import accounts, pings
from bot.services.ping_budget import Merged
from bot.storage.health import is_outage
from bot.views.held import with_held
from bot.views.keyboards import ReplyMarkup

logger = logging.getLogger(__name__)

Row = TypeVar("Row")

# Sends in flight at once in :func:`drain`; the rate limiter (when on) paces them to
# Telegram's limits. 8 keep 25 messages/s going at up to 300 ms a send, and leave connections
# of the Bot API pool (bot.app.BOT_API_CONNECTIONS) to the replies; more only cost CPU
# (bench/dispatch.py).
CONCURRENT_SENDS = 8
# What :func:`drain` sent is recorded in groups at most this old.
RECORD_EVERY_SECONDS = 0.5
# Waits before sending again what surely did not reach Telegram, within one run.
CONNECT_BACKOFF_SECONDS = (0.5, 2.0)
# How old a claim must be to be taken over while none may be (:func:`takeover_lease`).
NO_TAKEOVER = timedelta(days=3650)


def takeover_lease(services: BotServices) -> timedelta:
    """How long another process's claim must have gone unrenewed before this one takes it
    over: the claim lease, and none at all in the first two dispatch intervals (at least a
    lease) after this process took the lead (:attr:`Leadership.since`). A former leader
    that is alive may hold records it could not write (the database was away, its lock
    went with it); its next run, within one dispatch interval, writes them first, leading
    or not, so they are written before its claims are taken over and the rows sent again."""
    settings, since = services.settings, services.leadership.since
    lease = timedelta(seconds=settings.claim_lease_seconds)
    settle = max(lease, timedelta(seconds=2 * settings.dispatch_interval_seconds))
    if since is not None and services.clock() < since + settle:
        return NO_TAKEOVER
    return lease


class Message(NamedTuple):
    """What :func:`drain` sends for one row."""

    chat_id: int
    text: str
    markup: ReplyMarkup | None = None
    # What the ping budget held for this person, joined ahead of it and handed over (as
    # arrived or not) with the send's record.
    held: Merged | None = None


@dataclass(frozen=True)
class Mark:
    """A record written with the others of its kind in one statement when the ledger writes
    them (:class:`SendLedger`): the check-in prompts' "sent", hundreds a second. Called on
    its own, it is a :data:`Step` like any other."""

    write: Callable[[AsyncSession, list[Any]], Awaitable[None]]
    item: Any

    async def __call__(self, session: AsyncSession) -> None:
        await self.write(session, [self.item])


@dataclass
class SendLedger:
    """What was sent and is not yet recorded (see the module's last point); a job keeps one
    from run to run, so that what the database refused is written when it is back."""

    pending: list[Step] = field(default_factory=list)
    # The job's writes, one at a time: its records, its claims' renewal and the transactions
    # a message is made in (a digest under the ping budget, what was held for a prompt).
    # Two of them at once, for the two partners of a couple, can deadlock on PostgreSQL.
    writing: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False, compare=False)

    def add(self, *records: Step | None) -> None:
        self.pending.extend(record for record in records if record is not None)

    async def record(self, services: BotServices) -> bool:
        """Write what is pending; ``False`` (kept for later) if the database is away. A
        record refused for another reason (a bug) does not hold back the others: they are
        then written one by one, and one refused again is set aside and logged."""
        async with self.writing:
            return await self._record(services)

    async def _record(self, services: BotServices) -> bool:
        pending, self.pending = self.pending, []
        if not pending:
            return True
        try:
            await _write(services, pending)
        except Exception as error:
            if not is_outage(error):
                return await self._one_by_one(services, pending)
            self.pending = pending + self.pending
            services.database_health.unavailable(error)
            return False
        except BaseException:
            # Kept whatever went wrong (a cancelled task too): forgetting them means resending.
            self.pending = pending + self.pending
            raise
        services.database_health.available()
        return True

    async def _one_by_one(self, services: BotServices, pending: list[Step]) -> bool:
        for index, record in enumerate(pending):
            try:
                await _write(services, [record])
            except Exception as error:
                if is_outage(error):
                    self.pending = pending[index:] + self.pending
                    services.database_health.unavailable(error)
                    return False
                # What it was, not whom or what it said: the error names the values.
                logger.error("a send's record failed twice, set aside: %s (%s)",
                             _name(record), type(error).__name__)  # fmt: skip
            except BaseException:
                self.pending = pending[index:] + self.pending
                raise
        services.database_health.available()
        return True


async def _write(services: BotServices, records: list[Step]) -> None:
    """``records`` in one transaction; the :class:`Mark` of a kind in one statement."""
    marks: dict[Callable[[AsyncSession, list[Any]], Awaitable[None]], list[Any]] = {}
    for record in records:
        if isinstance(record, Mark):
            marks.setdefault(record.write, []).append(record.item)
    async with services.transaction() as session:
        for record in records:
            if not isinstance(record, Mark):
                await record(session)
        for write, items in marks.items():
            await write(session, items)


def _name(record: Step) -> str:
    function = record.write if isinstance(record, Mark) else record
    function = function.func if isinstance(function, partial) else function
    return getattr(function, "__qualname__", type(function).__name__)


@dataclass
class Report:
    """What a job's drains did in one run."""

    claimed: Counter[str] = field(default_factory=Counter)  # rows, by outbox name
    arrived: Counter[str] = field(default_factory=Counter)  # surely or perhaps, by outbox
    outcomes: Counter[Outcome] = field(default_factory=Counter)  # each send's last outcome
    raised: int = 0  # rows whose sending raised: left claimed, tried again later

    @property
    def sent(self) -> int:
        return sum(self.arrived.values())

    @property
    def maybe_sent(self) -> int:
        return self.outcomes[Outcome.MAYBE_DELIVERED]

    @property
    def blocked(self) -> int:
        return self.outcomes[Outcome.BLOCKED]

    @property
    def failed(self) -> int:
        outcomes = self.outcomes
        return outcomes[Outcome.NOT_DELIVERED] + outcomes[Outcome.REFUSED] + self.raised

    @property
    def any(self) -> bool:
        return bool(self.claimed)

    def log(self, job: str) -> None:
        if self.any:
            logger.info(
                "%s: claimed %s; %d sent (%d maybe), %d blocked, %d failed",
                job,
                ", ".join(f"{count} {name}" for name, count in self.claimed.items()),
                self.sent,
                self.maybe_sent,
                self.blocked,
                self.failed,
            )


@dataclass(frozen=True)
class Outbox(Generic[Row]):
    """One kind of outbox row, as a job configures :func:`drain`: how to claim a batch (in a
    transaction of its own, with this process as owner), what to send for a row (``None``:
    nothing, e.g. its text is gone), and what to record once the outcome is known (``None``:
    nothing — the row stays claimed and is taken over when the claim lapses). A row with
    nothing to send is handed back (``release``: its claim cleared with the batch's
    records), so that it is not held by this process; without ``release`` its claim lapses
    and it is taken over like any other."""

    name: str
    claim: Callable[[AsyncSession, datetime], Awaitable[Sequence[Row]]]
    message: Callable[[Row], Awaitable[Message | None]]
    record: Callable[[Row, Sent, datetime], Step | None]
    batch: int | None = None  # claim again while a full batch came back
    release: Callable[[Row], Step] | None = None
    # Keeps this process's claims from lapsing while a batch is sent (owner, when the batch
    # was claimed, now).
    renew: Callable[[AsyncSession, str, datetime, datetime], Awaitable[object]] | None = None
    retried: Callable[[], object] = lambda: None  # counts a send tried again


async def drain(
    bot: Bot,
    services: BotServices,
    outbox: Outbox[Row],
    report: Report | None = None,
    ledger: SendLedger | None = None,
) -> Report:
    """Claim → send → record, until nothing is left to claim or this process stops leading.

    ``ledger``: the job's own, kept from run to run (see :class:`SendLedger`); without one,
    one for this call. Nothing new is claimed while what was sent cannot be recorded: it
    would be sent again."""
    report = report if report is not None else Report()
    ledger = ledger if ledger is not None else SendLedger()
    if not await ledger.record(services):
        return report
    while services.leadership.leading:
        claimed_at = services.clock()
        async with services.transaction() as session:
            rows = await outbox.claim(session, claimed_at)
        if not rows:
            break
        report.claimed[outbox.name] += len(rows)
        released = await _send_all(bot, services, outbox, rows, report, ledger, claimed_at)
        if ledger.pending:
            break  # not written (the database is away): nothing new until it is
        if outbox.batch is None or len(rows) < outbox.batch or released == len(rows):
            break  # (nothing but rows handed back: the next run tries them again)
    return report


async def _send_all(
    bot: Bot,
    services: BotServices,
    outbox: Outbox[Row],
    rows: Sequence[Row],
    report: Report,
    ledger: SendLedger,
    claimed_at: datetime,
) -> int:
    """Send ``rows`` concurrently; record what was sent every half second and renew the
    claims while it lasts. Returns how many rows were handed back."""
    gate, released = asyncio.Semaphore(CONCURRENT_SENDS), 0

    async def one(row: Row) -> None:
        nonlocal released
        async with gate:
            try:
                message = await outbox.message(row)
                if message is None:
                    if outbox.release is not None:
                        ledger.add(outbox.release(row))
                        released += 1
                    return
                sent = await _send_once(bot, services, outbox, message)
                if sent is None:
                    return  # another process leads now: it takes over what we did not send
                report.outcomes[sent.outcome] += 1
                report.arrived[outbox.name] += sent.outcome.arrived
                now, held = services.clock(), message.held
                if sent.outcome is Outcome.BLOCKED:  # no prompts until they write again
                    ledger.add(partial(accounts.mark_blocked, telegram_id=message.chat_id, now=now))
                if held is not None and held.sent:
                    ledger.add(
                        partial(pings.handed_over, merged=held, arrived=sent.outcome.arrived)
                    )
                ledger.add(outbox.record(row, sent, now))
            except Exception as error:
                # Never let one row end the batch while the others still send: it stays
                # claimed and unsent, and is tried again once its claim lapses.
                report.raised += 1
                if not is_outage(error):
                    logger.exception("%s: sending a row failed", outbox.name)
                else:
                    services.database_health.unavailable(error)

    done = asyncio.Event()
    upkeep = asyncio.create_task(_keep_up(services, outbox, ledger, claimed_at, done))
    try:
        await asyncio.gather(*(one(row) for row in rows))
    finally:
        done.set()
        await upkeep  # it ends on its own: a cancelled record could lose sends
        await ledger.record(services)
    return released


async def _send_once(
    bot: Bot, services: BotServices, outbox: Outbox[Row], message: Message
) -> Sent | None:
    """Send ``message`` under the retry policy of the module's second point; a perhaps-sent
    message is counted as arrived, so that its buttons work. ``None``: this process no
    longer leads the jobs."""
    text, markup = message.text, message.markup
    if message.held is not None:
        text, markup = with_held(message.held, text, markup, bot)
    maybe, backoff = False, iter(CONNECT_BACKOFF_SECONDS)
    while services.leadership.leading:
        sent = await send(bot, message.chat_id, text, markup)
        wait = next(backoff, None) if sent.outcome is Outcome.NOT_DELIVERED else None
        if wait is None and (sent.outcome is not Outcome.MAYBE_DELIVERED or maybe):
            if maybe and sent.outcome is not Outcome.DELIVERED:
                return Sent(Outcome.MAYBE_DELIVERED, sent.message_id)
            return sent
        outbox.retried()
        maybe = maybe or sent.outcome is Outcome.MAYBE_DELIVERED
        await asyncio.sleep(wait or 0)
    return None


async def _keep_up(
    services: BotServices,
    outbox: Outbox[Row],
    ledger: SendLedger,
    claimed_at: datetime,
    done: asyncio.Event,
) -> None:
    """Until ``done``: every half second record what was sent; every third of the lease
    confirm the lead and renew this process's claims."""
    renew_every = services.settings.claim_lease_seconds / 3
    since_renewal = 0.0
    while not done.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), RECORD_EVERY_SECONDS)
        await ledger.record(services)
        since_renewal += RECORD_EVERY_SECONDS
        if since_renewal < renew_every or done.is_set():
            continue
        since_renewal = 0.0
        try:
            if await services.leadership.check() and outbox.renew is not None:
                async with ledger.writing, services.transaction() as session:
                    owner, now = services.instance_id, services.clock()
                    await outbox.renew(session, owner, claimed_at, now)
        except Exception as error:
            if not is_outage(error):
                raise
            services.database_health.unavailable(error)
