"""The check-in sender: every check-in that is due, snoozes, reminders, and the weekly
digest — each prompt once — as the outboxes of :func:`bot.jobs.outbox.drain`.

Nothing is scheduled per user in memory. Each run, in the process that leads the jobs
(:mod:`bot.storage.leadership`), claims due work in short transactions (the claim carries this
process's id, see :mod:`bot.services.checkins`), then sends it. What ``drain`` guarantees
(records within half a second, kept in memory while the database is away; claims renewed
while a batch is sent; a retry policy that sends a prompt once) is in :mod:`bot.jobs.outbox`;
what a failure means for a prompt is here: blocked, it is abandoned (never retried; they
come back by writing to the bot); otherwise its failed sends are counted, and a prompt
refused too often is given up by the next claim.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot, InlineKeyboardMarkup

from bot.context import BotContext, BotServices
from bot.delivery import Outcome, Sent, Step, send
from bot.jobs.notices import send_notices
from bot.jobs.outbox import Mark, Message, Outbox, Report, SendLedger, drain, takeover_lease
from bot.services import accounts, checkins, pings
from bot.services.ping_budget import Kind, with_nudges
from bot.services.weekly import WeekView, week_for
from bot.storage import received
from bot.storage.checkin_outbox import OutboxRow
from bot.storage.checkin_outbox import Sent as Recorded
from bot.storage.checkins import DIGEST
from bot.storage.health import is_outage
from bot.storage.models import User
from bot.timezones import local_now
from bot.update_log import KEEP_RECORDS
from bot.views.checkin import Sharing, prompt_view
from bot.views.held import keyboard_json
from bot.views.week import has_something_to_show, render_week, week_keyboard

logger = logging.getLogger(__name__)

MAX_BATCH = 500
# The digest waits until the user has a whole week behind them.
DIGEST_AFTER_DAYS = 6


def batch_size(services: BotServices) -> int:
    """What the send rate allows in a quarter of the claim lease, so a batch never takes
    longer than its claim (renewed anyway while it is sent)."""
    rate = services.settings.telegram_max_messages_per_second
    if not rate:
        return MAX_BATCH
    return max(1, min(MAX_BATCH, rate * services.settings.claim_lease_seconds // 4))


async def _digest(services: BotServices, row: OutboxRow, ledger: SendLedger) -> Message | None:
    """The weekly digest under the ping budget: the /us summary, with its buttons; the chart
    comes on request. ``None`` when nothing is to be sent now, settled in the same
    transaction: no week to show yet (they began less than a week ago, the week holds no
    check-in and no moment, or they are gone) abandons it; held for the next check-in, it
    is handed over, so recorded as sent.

    Drawing a chart costs ~150 ms of CPU; drawn for everyone on the same evening, it would
    hold back the check-in prompts sent in the same runs.
    """
    now = services.clock()
    async with ledger.writing, services.transaction() as session:
        user = await accounts.find_user(session, row.telegram_id)
        view = None if user is None else await week_for(session, user, now, crisis=services.crisis)
        if user is None or view is None or not _week_behind(row, user, view):
            await checkins.abandon(session, row.checkin_id, now)
            return None
        texts = services.texts_for(user.language)
        intro = texts.quiet.digest_intro if view.sharing_off else texts.us.digest_intro
        text = f"{intro}\n\n{render_week(texts, view)}"
        markup = week_keyboard(texts, view, page_url=services.settings.mini_app_url)
        held = await pings.admit(
            session, user, Kind.DIGEST, now, text=text, markup=keyboard_json(markup)
        )
        if held is None:
            await checkins.record_sent(session, [Recorded(row.checkin_id, None, now)])
            return None
    return Message(row.telegram_id, text, markup, held)


def _week_behind(row: OutboxRow, user: User, view: WeekView) -> bool:
    began = local_now(user.time_zone or "UTC", user.created_at).date()
    return (row.local_date - began).days >= DIGEST_AFTER_DAYS and has_something_to_show(view)


async def _send_held(bot: Bot, services: BotServices, row: OutboxRow, ledger: SendLedger) -> None:
    """What was held for this check-in, as one message just before it (the day's extra);
    its handover is recorded with the prompts' records (kept while the database is away)."""
    async with ledger.writing, services.transaction() as session:
        merged = await pings.take_held(session, row.user_id, row.local_date, services.clock())
    if merged is None:
        return
    markup = None
    if merged.markup is not None:
        markup = InlineKeyboardMarkup.de_json(merged.markup, bot)
    outcome = (await send(bot, row.telegram_id, merged.text, markup)).outcome
    ledger.add(partial(pings.handed_over, merged=merged, arrived=outcome.arrived))


def _outboxes(bot: Bot, services: BotServices, ledger: SendLedger) -> list[Outbox[OutboxRow]]:
    """Re-sends, due prompts and snoozes (each its claim), then reminders."""
    settings, owner, metrics = services.settings, services.instance_id, services.metrics
    started = services.clock()
    grace = timedelta(hours=settings.checkin_grace_hours)
    lease = takeover_lease(services)
    batch = batch_size(services)

    async def prompt(row: OutboxRow) -> Message | None:
        if row.kind == DIGEST:
            return await _digest(services, row, ledger)
        # Only a snoozed prompt has answers already; the others were never delivered.
        if not row.answers:
            await _send_held(bot, services, row, ledger)
        sharing = None
        if row.partner_name is not None:
            first = row.couple_first_day == row.local_date
            sharing = Sharing(row.partner_name, first_day=first)
        texts = services.texts_for(row.language)
        view = prompt_view(
            texts, row.checkin_id, row.local_date, row.includes_weekly, row.answers, sharing=sharing
        )
        return Message(row.telegram_id, *view)

    def prompt_sent(row: OutboxRow, sent: Sent, now: datetime) -> Step | None:
        _count(services, row, sent.outcome, row.due_at, now)
        if sent.outcome.arrived:
            return Mark(checkins.record_sent, Recorded(row.checkin_id, sent.message_id, now))
        if sent.outcome is Outcome.BLOCKED:  # never retried: they come back by writing to us
            return partial(checkins.abandon, checkin_id=row.checkin_id, now=now)
        attempts = row.send_attempts
        return partial(checkins.record_failed, checkin_id=row.checkin_id, attempts=attempts)

    async def reminder(row: OutboxRow) -> Message:
        """With what the partner's nudges would have said, if they were held."""
        async with services.transaction() as session:
            nudges = await pings.take_nudges(session, row.user_id, row.local_date)
        text = with_nudges(services.texts_for(row.language).checkin.reminder, nudges)
        return Message(row.telegram_id, text)

    def reminded(row: OutboxRow, sent: Sent, now: datetime) -> None:
        _count(services, row, sent.outcome, None, now)  # (reminded_at was set by its claim)

    retried = partial(metrics.prompt, "retried")
    claims: dict[str, Callable[[AsyncSession, datetime], Awaitable[list[OutboxRow]]]] = {
        "resent": lambda s, now: checkins.claim_unsent(
            s, now, owner=owner, since=started, lease=lease, grace=grace, batch=batch
        ),
        "prompts": lambda s, now: checkins.claim_due(s, now, owner=owner, grace=grace, batch=batch),
        "snoozed": lambda s, now: checkins.claim_snoozed(s, now, batch=batch),
    }
    outboxes = [
        Outbox(
            name,
            claim,
            prompt,
            prompt_sent,
            batch=batch,
            renew=lambda s, owner, _, now: checkins.renew_claims(s, owner, now),
            retried=retried,
        )
        for name, claim in claims.items()
    ]
    if settings.checkin_reminder_minutes:
        delay = timedelta(minutes=settings.checkin_reminder_minutes)
        reminders = partial(checkins.claim_reminders, delay=delay, batch=batch)
        outboxes.append(
            Outbox("reminders", reminders, reminder, reminded, batch=batch, retried=retried)
        )
    return outboxes


def _count(
    services: BotServices, row: OutboxRow, outcome: Outcome, due_at: datetime | None, now: datetime
) -> None:
    """The metrics of one prompt's last outcome."""
    if outcome.arrived:
        services.metrics.prompt_sent(due_at, now)
        return
    services.metrics.prompt("blocked" if outcome is Outcome.BLOCKED else "given_up")
    logger.info("check-in %s %s", row.checkin_id, outcome.value)


async def send_due_checkins(
    bot: Bot, services: BotServices, ledger: SendLedger | None = None
) -> Report:
    """One run: claim and send everything due now, if this process leads the jobs.

    ``ledger`` is the job's own, kept from run to run (see :class:`SendLedger`); a caller
    without one (a test, a benchmark) gets one for this run.

    Raises what the database raises when it is away (the job says so once, see below)."""
    report = Report()
    ledger = ledger if ledger is not None else SendLedger()
    # What was sent is written first, leading or not: a process that lost the lead (its
    # lock's connection dropped with the database) writes it before the new leader may take
    # its claims over (bot.jobs.outbox.takeover_lease).
    if not await ledger.record(services) or not await services.leadership.check():
        return report  # nothing new while the database is away: it would be sent again
    async with services.transaction() as session:
        # A day after they arrived, handled updates are forgotten (see bot.update_log).
        await received.prune(session, services.clock() - KEEP_RECORDS)
    services.database_health.available()
    for outbox in _outboxes(bot, services, ledger):
        await drain(bot, services, outbox, report, ledger)
    report.log("check-ins")
    return report


async def checkin_sender_job(context: BotContext) -> None:
    """The JobQueue callback. A database outage is logged once, not per run, and the next
    run tries again."""
    try:
        data = context.job.data if context.job is not None else None
        ledger = data if isinstance(data, SendLedger) else SendLedger()
        await send_due_checkins(context.bot, context.services, ledger)
        await send_notices(context.bot, context.services, ledger)
    except Exception as error:
        if not is_outage(error):
            raise
        context.services.database_health.unavailable(error)
