"""The check-in sender, the one periodic job: every check-in that is due, snoozes, reminders,
and the weekly digest — each prompt once.

Nothing is scheduled per user in memory. Each run, in the process that leads the jobs
(:mod:`bot.storage.leadership`), claims due work in short transactions (the claim carries this
process's id, see :mod:`bot.services.checkins`), then sends it:

- each prompt is recorded as sent as soon as Telegram accepts it (in groups at most half a second
  old), so a crash repeats at most the sends in flight; if the database is down just then,
  what was sent is kept in memory and recorded when it is back, never sent again;
- while a batch is sent its claims are renewed, so no other process takes over live work;
  a process that stops leading stops sending;
- a 403 (the user blocked the bot) marks them inactive and the prompt is not sent again;
- a 429 is waited out by the rate limiter (the one layer that does so);
- a send that surely did not reach Telegram (no connection) is retried with backoff, then
  left for a later run, a few times at most;
- a send that may have reached Telegram (a timeout while waiting for the answer, a dropped
  connection, a 5xx) is sent once more at most and then counted as sent, so its buttons work.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot, InlineKeyboardMarkup

from bot.context import BotContext, BotServices
from bot.delivery import Outcome, follow_up, send
from bot.jobs.notices import send_notices
from bot.services import accounts, checkins, pings
from bot.services.ping_budget import Kind, Merged, with_nudges
from bot.services.pings import NOTHING_HELD
from bot.services.weekly import week_for
from bot.storage import received
from bot.storage.checkin_outbox import OutboxRow
from bot.storage.checkin_outbox import Sent as Recorded
from bot.storage.checkins import DIGEST
from bot.storage.health import is_outage
from bot.timezones import local_now
from bot.update_log import KEEP_RECORDS
from bot.views.checkin import Sharing, prompt_view
from bot.views.held import keyboard_json, with_held
from bot.views.week import has_something_to_show, render_week, week_keyboard

logger = logging.getLogger(__name__)

# Claims due work in the session it is given, at the given time.
Claim = Callable[[AsyncSession, datetime], Awaitable[list[OutboxRow]]]

MAX_BATCH = 500
# Sends in flight at once; the rate limiter (when on) paces them to Telegram's limits. 8 keep
# 25 messages/s going at up to 300 ms a send, and leave connections of the Bot API pool
# (bot.app.BOT_API_CONNECTIONS) to the replies; more only cost CPU (bench/dispatch.py).
CONCURRENT_SENDS = 8
# Sent prompts are recorded in groups at most this old.
RECORD_EVERY_SECONDS = 0.5
# Waits before retrying a send that surely did not reach Telegram, within one run.
CONNECT_BACKOFF_SECONDS = (0.5, 2.0)


@dataclass
class DispatchReport:
    prompts: int = 0
    resent: int = 0
    snoozed: int = 0
    reminders: int = 0
    sent: int = 0
    maybe_sent: int = 0
    blocked: int = 0
    failed: int = 0
    batches: list[int] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(self.prompts or self.resent or self.snoozed or self.reminders)


def batch_size(services: BotServices) -> int:
    """What the send rate allows in a quarter of the claim lease, so a batch never takes
    longer than its claim (renewed anyway while it is sent)."""
    rate = services.settings.telegram_max_messages_per_second
    if not rate:
        return MAX_BATCH
    return max(1, min(MAX_BATCH, rate * services.settings.claim_lease_seconds // 4))


# The digest waits until the user has a whole week behind them.
DIGEST_AFTER_DAYS = 6


async def _digest(services: BotServices, row: OutboxRow) -> tuple[str, InlineKeyboardMarkup] | None:
    """The weekly digest: the /us summary, with its buttons; the chart comes on request.
    ``None`` while there is no week to show yet: the user began less than a week ago, or
    the week holds no check-in and no moment (or the user is gone).

    Drawing a chart costs ~150 ms of CPU; drawn for everyone on the same evening, it would
    hold back the check-in prompts sent in the same runs.
    """
    async with services.transaction() as session:
        user = await accounts.find_user(session, row.telegram_id)
        if user is None:
            return None  # they deleted their data meanwhile: nothing to send, nobody to tell
        view = await week_for(session, user, services.clock(), crisis=services.crisis)
    zone = user.time_zone or "UTC"
    began = local_now(zone, user.created_at).date()
    if (row.local_date - began).days < DIGEST_AFTER_DAYS or not has_something_to_show(view):
        return None
    texts = services.texts_for(user.language)
    intro = texts.quiet.digest_intro if view.sharing_off else texts.us.digest_intro
    text = f"{intro}\n\n{render_week(texts, view)}"
    return text, week_keyboard(texts, view, page_url=services.settings.mini_app_url)


@dataclass
class SendLedger:
    """This process's memory of sent prompts not yet recorded: kept across runs, so a prompt
    Telegram accepted while the database was down is recorded when it is back, not re-sent."""

    unrecorded: list[Recorded] = field(default_factory=list)

    def add(self, sent: Recorded) -> None:
        self.unrecorded.append(sent)

    async def record(self, services: BotServices) -> bool:
        """Write what is pending; ``False`` (kept for later) if the database is unavailable."""
        pending, self.unrecorded = self.unrecorded, []
        if not pending:
            return True
        try:
            async with services.transaction() as session:
                await checkins.record_sent(session, pending)
        except BaseException as error:
            # Kept whatever went wrong (a cancelled task too): forgetting them means resending.
            self.unrecorded = pending + self.unrecorded
            if isinstance(error, Exception) and is_outage(error):
                services.database_health.unavailable(error)
                return False
            raise
        services.database_health.available()
        return True


class _Run:
    """One batch being sent: its sends, its report, and the claims it keeps alive."""

    def __init__(
        self, bot: Bot, services: BotServices, report: DispatchReport, ledger: SendLedger
    ) -> None:
        self.bot, self.services, self.report, self.ledger = bot, services, report, ledger

    async def message_for(
        self, row: OutboxRow, *, reminder: bool
    ) -> tuple[str, InlineKeyboardMarkup | None] | None:
        texts = self.services.texts_for(row.language)
        if reminder:  # with what the partner's nudges would have said, if they were held
            async with self.services.transaction() as session:
                nudges = await pings.take_nudges(session, row.user_id, row.local_date)
            return with_nudges(texts.checkin.reminder, nudges), None
        if row.kind == DIGEST:
            return await _digest(self.services, row)
        # Only a snoozed prompt has answers already; the others were never delivered.
        sharing = None
        if row.partner_name is not None:
            first = row.couple_first_day == row.local_date
            sharing = Sharing(row.partner_name, first_day=first)
        return prompt_view(
            texts,
            row.checkin_id,
            row.local_date,
            row.includes_weekly,
            row.answers,
            sharing=sharing,
        )

    async def deliver(self, row: OutboxRow, *, reminder: bool) -> None:
        services, report = self.services, self.report
        message = await self.message_for(row, reminder=reminder)
        if message is None:
            # A digest with no week to show yet: never sent, so it is no check-in of any kind.
            async with services.transaction() as session:
                await checkins.abandon(session, row.checkin_id, services.clock())
            return
        held = None
        if row.kind == DIGEST:
            held = await self.admitted(row, message)
            if held is None:  # held for the next check-in: handed over
                self.ledger.add(Recorded(row.checkin_id, None, services.clock()))
                return
            message = with_held(held, *message, self.bot)
        elif not reminder and not row.answers:
            await self.send_held(row)
        text, markup = message
        maybe, backoff = False, iter(CONNECT_BACKOFF_SECONDS)
        outcome, message_id = Outcome.NOT_DELIVERED, None
        while True:
            if not services.leadership.leading:
                return  # another process leads now: it takes over what we did not send
            outcome, message_id = await send(self.bot, row.telegram_id, text, markup)
            wait = next(backoff, None) if outcome is Outcome.NOT_DELIVERED else None
            if wait is not None or (outcome is Outcome.MAYBE_DELIVERED and not maybe):
                services.metrics.prompt("retried")
                maybe = maybe or outcome is Outcome.MAYBE_DELIVERED
                await asyncio.sleep(wait or 0)
                continue  # surely unsent: a few more tries; perhaps sent: one more copy at most
            break
        if maybe and outcome is not Outcome.DELIVERED:
            outcome = Outcome.MAYBE_DELIVERED  # counted as sent: its buttons must keep working
        if held is not None and held.sent:
            done = partial(pings.handed_over, merged=held, arrived=outcome.arrived)
            await follow_up(services, Outcome.DELIVERED, row.telegram_id, done)
        if outcome.arrived:
            report.sent += 1
            report.maybe_sent += outcome is Outcome.MAYBE_DELIVERED
            services.metrics.prompt_sent(None if reminder else row.due_at, services.clock())
            if not reminder:
                self.ledger.add(Recorded(row.checkin_id, message_id, services.clock()))
            return
        blocked = outcome is Outcome.BLOCKED
        services.metrics.prompt("blocked" if blocked else "given_up")
        report.blocked += blocked
        report.failed += not blocked
        logger.info("check-in %s %s", row.checkin_id, outcome.value)
        record = None
        if not reminder:  # blocked: never retried; they come back by writing to the bot
            record = partial(checkins.abandon, checkin_id=row.checkin_id, now=services.clock())
            if not blocked:
                record = partial(checkins.record_failed, checkin_id=row.checkin_id)
        await follow_up(services, outcome, row.telegram_id, record)

    async def admitted(
        self, row: OutboxRow, message: tuple[str, InlineKeyboardMarkup | None]
    ) -> Merged | None:
        """The digest under the ping budget: ``None`` if it was held for the next check-in,
        else what was held, to go ahead of it."""
        text, markup = message
        async with self.services.transaction() as session:
            user = await accounts.find_user(session, row.telegram_id)
            if user is None:
                return NOTHING_HELD
            return await pings.admit(
                session,
                user,
                Kind.DIGEST,
                self.services.clock(),
                text=text,
                markup=keyboard_json(markup),
            )

    async def send_held(self, row: OutboxRow) -> None:
        """What was held for this check-in, as one message just before it (the day's extra)."""
        services = self.services
        async with services.transaction() as session:
            merged = await pings.take_held(session, row.user_id, row.local_date, services.clock())
        if merged is None:
            return
        markup = None
        if merged.markup is not None:
            markup = InlineKeyboardMarkup.de_json(merged.markup, self.bot)
        outcome = (await send(self.bot, row.telegram_id, merged.text, markup)).outcome

        async def handed_over(session: AsyncSession) -> None:
            await pings.handed_over(session, merged, arrived=outcome.arrived)

        await follow_up(services, outcome, row.telegram_id, handed_over)

    async def send_all(self, rows: list[OutboxRow], *, reminder: bool) -> None:
        """Send ``rows`` concurrently; record sends every second and renew the claims
        while it lasts."""
        gate = asyncio.Semaphore(CONCURRENT_SENDS)

        async def one(row: OutboxRow) -> None:
            async with gate:
                try:
                    await self.deliver(row, reminder=reminder)
                except Exception as error:
                    # Never let one row end the batch while the others still send: it
                    # stays claimed and unsent, and a later run tries it again.
                    self.report.failed += 1
                    if is_outage(error):
                        self.services.database_health.unavailable(error)
                    else:
                        logger.exception("check-in %s: sending failed", row.checkin_id)

        done = asyncio.Event()
        upkeep = asyncio.create_task(self.upkeep(done))
        try:
            await asyncio.gather(*(one(row) for row in rows))
        finally:
            done.set()
            await upkeep  # it ends on its own: a cancelled record could lose sends
            await self.ledger.record(self.services)

    async def upkeep(self, done: asyncio.Event) -> None:
        """Every second until ``done``: record what was sent; every third of the lease:
        confirm the lead and renew this process's claims."""
        services = self.services
        renew_every = services.settings.claim_lease_seconds / 3
        since_renewal = 0.0
        while not done.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), RECORD_EVERY_SECONDS)
            await self.ledger.record(services)
            since_renewal += RECORD_EVERY_SECONDS
            if since_renewal < renew_every or done.is_set():
                continue
            since_renewal = 0.0
            try:
                if await services.leadership.check():
                    async with services.transaction() as session:
                        await checkins.renew_claims(session, services.instance_id, services.clock())
            except Exception as error:
                if not is_outage(error):
                    raise
                services.database_health.unavailable(error)


async def send_due_checkins(
    bot: Bot, services: BotServices, ledger: SendLedger | None = None
) -> DispatchReport:
    """One run: claim and send everything due now, if this process leads the jobs.

    ``ledger`` is the job's own, kept from run to run (see :class:`SendLedger`); a caller
    without one (a test, a benchmark) gets one for this run.

    Raises what the database raises when it is away (the job says so once, see below)."""
    report = DispatchReport()
    if not await services.leadership.check():
        return report
    settings, owner = services.settings, services.instance_id
    ledger = ledger if ledger is not None else SendLedger()
    if not await ledger.record(services):
        return report  # nothing new while the database is away: it would be sent again
    async with services.transaction() as session:
        # A day after they arrived, handled updates are forgotten (see bot.update_log).
        await received.prune(session, services.clock() - KEEP_RECORDS)
    services.database_health.available()
    started = services.clock()
    grace = timedelta(hours=settings.checkin_grace_hours)
    lease = timedelta(seconds=settings.claim_lease_seconds)
    batch = batch_size(services)
    run = _Run(bot, services, report, ledger)
    claims: list[tuple[str, Claim]] = [
        (
            "resent",
            lambda s, now: checkins.claim_unsent(
                s, now, owner=owner, since=started, lease=lease, grace=grace, batch=batch
            ),
        ),
        (
            "prompts",
            lambda s, now: checkins.claim_due(s, now, owner=owner, grace=grace, batch=batch),
        ),
        ("snoozed", lambda s, now: checkins.claim_snoozed(s, now, batch=batch)),
    ]
    for name, claim in claims:
        while services.leadership.leading:
            async with services.transaction() as session:
                rows = await claim(session, services.clock())
            if not rows:
                break
            setattr(report, name, getattr(report, name) + len(rows))
            report.batches.append(len(rows))
            await run.send_all(rows, reminder=False)
            if len(rows) < batch:
                break
    if settings.checkin_reminder_minutes:
        delay = timedelta(minutes=settings.checkin_reminder_minutes)
        while services.leadership.leading:
            async with services.transaction() as session:
                rows = await checkins.claim_reminders(
                    session, services.clock(), delay=delay, batch=batch
                )
            report.reminders += len(rows)
            await run.send_all(rows, reminder=True)
            if len(rows) < batch:
                break
    if report.any:
        logger.info(
            "check-ins: %d prompts, %d resent, %d snoozed, %d reminders; %d sent (%d maybe), "
            "%d blocked, %d failed",
            report.prompts,
            report.resent,
            report.snoozed,
            report.reminders,
            report.sent,
            report.maybe_sent,
            report.blocked,
            report.failed,
        )
    return report


async def checkin_sender_job(context: BotContext) -> None:
    """The JobQueue callback. A database outage is logged once, not per run, and the next
    run tries again."""
    try:
        ledger = context.job.data if context.job is not None else None
        await send_due_checkins(
            context.bot, context.services, ledger if isinstance(ledger, SendLedger) else None
        )
        await send_notices(context.bot, context.services)
    except Exception as error:
        if not is_outage(error):
            raise
        context.services.database_health.unavailable(error)
