"""The together job: the tips offer after pairing, the weekly question, the quiet
safe-haven tips, and the both-answered days that waited for someone's morning — each sent
once, on the process that leads the jobs.

Like the check-in sender (:mod:`bot.jobs.checkin_sender`), work is claimed in a short
transaction (with this process as owner) before it is sent, and recorded as sent as soon as
Telegram accepts it: a tip is unique per receiver and day, a weekly question per couple and
week, so neither a second process nor a restart sends one twice; a claim left by a process that
died is taken over once it has lapsed. Nothing waiting for someone's morning is lost: it is
simply not claimed during their quiet hours.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from telegram import Bot, InlineKeyboardMarkup
from telegram.error import Forbidden, TelegramError

from bot.context import BotContext, BotServices
from bot.jobs.send_outcome import Delivery, delivery_of
from bot.services import accounts, safe_haven, shared_days, talk
from bot.services.quiet_hours import awake_zones
from bot.storage import talk as talk_rows
from bot.storage.health import is_outage
from bot.views.parts import message_parts
from bot.views.shared_day import side_by_side
from bot.views.together import question_message, tips_offer

logger = logging.getLogger(__name__)

BATCH = 200


@dataclass
class TogetherReport:
    offers: int = 0
    weekly_questions: int = 0
    questions_sent: int = 0
    tips_sent: int = 0
    days_sent: int = 0
    blocked: int = 0


async def _send(
    bot: Bot,
    services: BotServices,
    report: TogetherReport,
    telegram_id: int,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
) -> Delivery | None:
    """``None`` once Telegram accepted it; else what the failure means (a 403 marks the
    person blocked, as far as the database lets us now: their next message finds out)."""
    parts = message_parts(text)  # the both-answered day may not fit one message
    try:
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            await bot.send_message(telegram_id, part, reply_markup=markup if last else None)
        return None
    except Forbidden:
        report.blocked += 1
        try:
            async with services.transaction() as session:
                await accounts.mark_blocked(session, telegram_id, services.clock())
        except Exception as error:
            if not is_outage(error):
                raise
            services.database_health.unavailable(error)
        return Delivery.BLOCKED
    except TelegramError as error:
        logger.warning("together: a message was not sent: %s", error)
        return delivery_of(error)


async def _offers(bot: Bot, services: BotServices, report: TogetherReport) -> None:
    """Claimed, sent, then marked offered: an offer that surely did not go (no connection,
    a 429) is tried again once its claim lapses; one that may have gone is not repeated."""
    now = services.clock()
    lease = timedelta(seconds=services.settings.claim_lease_seconds)
    async with services.transaction() as session:
        users = await safe_haven.claim_offers(session, now, lease=lease)
        due = [(u.id, u.telegram_id, u.language) for u in users]
    for user_id, telegram_id, language in due:
        text, markup = tips_offer(services.together_for(language).tips)
        failed = await _send(bot, services, report, telegram_id, text, markup)
        if failed in (Delivery.NOT_DELIVERED, Delivery.BLOCKED):
            continue  # blocked: offered once they are back
        async with services.transaction() as session:
            await safe_haven.mark_offered(session, user_id, services.clock())
        report.offers += failed is None


async def _weekly_questions(services: BotServices, report: TogetherReport) -> None:
    """Only the couples due are read; each is asked in its own short transaction."""
    now = services.clock()
    async with services.transaction() as session:
        due = await talk.couples_due_weekly(session, now)
    for couple_id in due:
        if not services.leadership.leading:
            return
        async with services.transaction() as session:
            couple = await talk_rows.active_couple(session, couple_id)
            if couple is None:
                continue
            if await talk.ask_weekly(session, services.together, couple, now) is not None:
                report.weekly_questions += 1


async def _question_copies(bot: Bot, services: BotServices, report: TogetherReport) -> None:
    lease = timedelta(seconds=services.settings.claim_lease_seconds)
    while services.leadership.leading:
        now = services.clock()
        async with services.transaction() as session:
            zones = await talk_rows.zones_of_unsent_questions(session, lapsed_before=now - lease)
            rows = await talk_rows.claim_unsent_questions(
                session, zones=awake_zones(zones, now), lapsed_before=now - lease, limit=BATCH
            )
            await talk_rows.claim_questions(session, rows, services.instance_id, now)
        for row in rows:
            theirs = services.together_for(row.language)
            text, markup = question_message(
                theirs.talk,
                row.question_id,
                talk.question_text(theirs, row.question_key),
                row.trigger,
            )
            if await _send(bot, services, report, row.telegram_id, text, markup) is None:
                report.questions_sent += 1
                async with services.transaction() as session:
                    await talk_rows.mark_question_sent(
                        session, row.question_id, row.user_id, services.clock()
                    )
        if len(rows) < BATCH:
            return  # (what waits for someone's morning is looked at again next run)


async def _tips(bot: Bot, services: BotServices, report: TogetherReport) -> None:
    now = services.clock()
    lease = timedelta(seconds=services.settings.claim_lease_seconds)
    async with services.transaction() as session:
        tips = await safe_haven.claim_tips(
            session, services.together_for, now, owner=services.instance_id, lease=lease
        )
    for tip in tips:
        failed = await _send(bot, services, report, tip.telegram_id, tip.body)
        if failed not in (None, Delivery.BLOCKED):
            continue  # claimed: another run takes it over once the claim lapses
        async with services.transaction() as session:
            if failed is None:
                report.tips_sent += 1
                await safe_haven.record_sent(session, tip.tip_id, services.clock())
            else:
                await safe_haven.give_up(session, tip.tip_id)


async def _shared_days(bot: Bot, services: BotServices, report: TogetherReport) -> None:
    """The both-answered days that fell in their receiver's quiet hours, now it is morning."""
    lease = timedelta(seconds=services.settings.claim_lease_seconds)
    while services.leadership.leading:
        now = services.clock()
        async with services.transaction() as session:
            copies = await shared_days.claim_waiting(
                session, now, owner=services.instance_id, lease=lease, limit=BATCH
            )
        for copy in copies:
            text, markup = side_by_side(services.texts_for(copy.receiver.language), copy)
            failed = await _send(bot, services, report, copy.receiver.telegram_id, text, markup)
            if failed not in (None, Delivery.BLOCKED):
                continue  # claimed: taken over once the claim lapses
            async with services.transaction() as session:
                # Blocked: recorded as sent too, it is not tried again.
                await shared_days.record_sent(session, copy, services.clock())
            report.days_sent += failed is None
        if len(copies) < BATCH:
            return


async def run_together(bot: Bot, services: BotServices) -> TogetherReport:
    """One run, if this process leads the jobs."""
    report = TogetherReport()
    if not await services.leadership.check():
        return report
    await _offers(bot, services, report)
    await _weekly_questions(services, report)
    await _question_copies(bot, services, report)
    await _tips(bot, services, report)
    await _shared_days(bot, services, report)
    if (
        report.offers
        or report.weekly_questions
        or report.questions_sent
        or report.tips_sent
        or report.days_sent
    ):
        logger.info(
            "together: %d offers, %d weekly questions, %d questions sent, %d tips sent, "
            "%d days side by side",
            report.offers,
            report.weekly_questions,
            report.questions_sent,
            report.tips_sent,
            report.days_sent,
        )
    return report


async def together_job(context: BotContext) -> None:
    """The JobQueue callback; a database outage is noted once, and the next run tries again."""
    try:
        await run_together(context.bot, context.services)
    except Exception as error:
        if not is_outage(error):
            raise
        context.services.database_health.unavailable(error)
