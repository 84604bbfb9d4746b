"""The check-in sender, the one periodic job: every check-in that is due, snoozes, reminders,
and the weekly digest.

Nothing is scheduled per user in memory. Each run claims due work from the database in short
transactions (see :mod:`bot.services.checkins`), then sends it:

- a 403 (the user blocked the bot) marks them inactive, which stops their prompts; their
  partner is untouched;
- a 429 is waited out for as long as Telegram asks, then the message is sent;
- any other failure is counted, logged, and retried by a later run, at most a few times.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot, InlineKeyboardMarkup
from telegram.error import Forbidden, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.context import BotContext, BotServices
from bot.services import accounts, checkins
from bot.services.weekly import week_for
from bot.storage.checkins import DIGEST, OutboxRow
from bot.views.checkin import prompt_view
from bot.views.week import render_week, week_keyboard

logger = logging.getLogger(__name__)

# Claims due work in the session it is given, at the given time.
Claim = Callable[[AsyncSession, datetime], Awaitable[list[OutboxRow]]]

BATCH = 500
# Sends in flight at once; the rate limiter (when on) paces them to Telegram's limits.
CONCURRENT_SENDS = 32
MAX_RETRY_AFTER_WAITS = 3


@dataclass
class DispatchReport:
    prompts: int = 0
    resent: int = 0
    snoozed: int = 0
    reminders: int = 0
    sent: int = 0
    blocked: int = 0
    failed: int = 0
    batches: list[int] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(self.prompts or self.resent or self.snoozed or self.reminders)


def _seconds(error: RetryAfter) -> float:
    """``retry_after`` in seconds; PTB 22 warns that it will become a timedelta, so accept both."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        wait = error.retry_after
    return wait.total_seconds() if isinstance(wait, timedelta) else float(wait)


async def _send(
    bot: Bot, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None
) -> int:
    """Send, waiting out 429s (as often as Telegram asks, a few times at most)."""
    for _ in range(MAX_RETRY_AFTER_WAITS):
        try:
            return (await bot.send_message(chat_id, text, reply_markup=markup)).message_id
        except RetryAfter as error:
            seconds = _seconds(error)
            logger.warning("Telegram asks to wait %.0f s before sending more", seconds)
            await asyncio.sleep(seconds)
    return (await bot.send_message(chat_id, text, reply_markup=markup)).message_id


async def _send_digest(bot: Bot, services: BotServices, row: OutboxRow) -> int:
    """The weekly digest: the /us summary, with its buttons; the chart comes on request.

    Drawing a chart costs ~150 ms of CPU; drawn for everyone on the same evening, it would
    hold back the check-in prompts sent in the same runs.
    """
    async with services.transaction() as session:
        user = await accounts.find_user(session, row.telegram_id)
        if user is None:
            raise Forbidden("user deleted")
        view = await week_for(session, user, services.clock())
    text = f"{services.texts.us.digest_intro}\n\n{render_week(services.texts, view)}"
    return await _send(bot, row.telegram_id, text, week_keyboard(services.texts, 0))


async def _deliver(
    bot: Bot,
    services: BotServices,
    rows: list[OutboxRow],
    report: DispatchReport,
    *,
    reminder: bool,
) -> list[tuple[int, int]]:
    """Send each row's prompt (or reminder); returns ``(checkin_id, message_id)`` of the sent."""
    gate = asyncio.Semaphore(CONCURRENT_SENDS)
    sent: list[tuple[int, int]] = []

    async def one(row: OutboxRow) -> None:
        async with gate:
            try:
                if reminder:
                    message_id = await _send(bot, row.telegram_id, services.texts.checkin.reminder)
                elif row.kind == DIGEST:
                    message_id = await _send_digest(bot, services, row)
                else:
                    # Whatever the dispatcher sends has no answers yet: snoozing is offered
                    # only before the first answer, and the others were never delivered.
                    text, markup = prompt_view(
                        services.texts, row.checkin_id, row.local_date, row.includes_weekly, {}
                    )
                    message_id = await _send(bot, row.telegram_id, text, markup)
            except Forbidden:
                report.blocked += 1
                logger.info("user %s blocked the bot; their check-ins stop", row.user_id)
                async with services.transaction() as session:
                    await accounts.mark_blocked(session, row.telegram_id, services.clock())
                    if not reminder:
                        # Never retried: they come back by writing to the bot, not by a resend.
                        await checkins.abandon(session, row.checkin_id, services.clock())
                return
            except TelegramError as error:
                report.failed += 1
                logger.warning("check-in %s not sent: %s", row.checkin_id, error)
                if not reminder:
                    async with services.transaction() as session:
                        await checkins.record_failed(session, row.checkin_id)
                return
            report.sent += 1
            sent.append((row.checkin_id, message_id))

    await asyncio.gather(*(one(row) for row in rows))
    return sent


async def send_due_checkins(bot: Bot, services: BotServices) -> DispatchReport:
    """One run: claim and send everything due now. Safe to run in several processes at once."""
    settings = services.settings
    grace = timedelta(hours=settings.checkin_grace_hours)
    report = DispatchReport()
    claims: list[tuple[str, Claim]] = [
        ("prompts", lambda s, now: checkins.claim_due(s, now, grace=grace, batch=BATCH)),
        ("resent", lambda s, now: checkins.claim_abandoned(s, now, grace=grace, batch=BATCH)),
        ("snoozed", lambda s, now: checkins.claim_snoozed(s, now, batch=BATCH)),
    ]
    for name, claim in claims:
        while True:
            now = services.clock()
            async with services.transaction() as session:
                rows = await claim(session, now)
            if not rows:
                break
            setattr(report, name, getattr(report, name) + len(rows))
            report.batches.append(len(rows))
            sent = await _deliver(bot, services, rows, report, reminder=False)
            async with services.transaction() as session:
                await checkins.record_sent(session, sent, services.clock())
            if len(rows) < BATCH:
                break
    if settings.checkin_reminder_minutes:
        delay = timedelta(minutes=settings.checkin_reminder_minutes)
        while True:
            async with services.transaction() as session:
                rows = await checkins.claim_reminders(
                    session, services.clock(), delay=delay, batch=BATCH
                )
            report.reminders += len(rows)
            await _deliver(bot, services, rows, report, reminder=True)
            if len(rows) < BATCH:
                break
    if report.any:
        logger.info(
            "dispatch: %d prompts, %d resent, %d snoozed, %d reminders; %d sent, %d blocked, "
            "%d failed",
            report.prompts,
            report.resent,
            report.snoozed,
            report.reminders,
            report.sent,
            report.blocked,
            report.failed,
        )
    return report


async def checkin_sender_job(context: BotContext) -> None:
    """The JobQueue callback."""
    await send_due_checkins(context.bot, context.services)
