"""The together job: the tips offer after pairing, the weekly question, the quiet
safe-haven tips, and the both-answered days that waited for someone's morning — each sent
once, on the process that leads the jobs.

Like the check-in sender (:mod:`bot.jobs.checkin_sender`), each kind of row is an outbox
of :func:`bot.jobs.outbox.drain`: claimed in a short transaction (with this process as owner)
before it is sent, and recorded as sent within half a second of Telegram accepting it: a tip is
unique per receiver and day, a weekly question per couple and week, so neither a second
process nor a restart sends one twice; a claim left by a process that died is taken over once
it has lapsed. Nothing waiting for someone's morning is lost: it is simply not claimed during
their quiet hours.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import partial
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot

from bot.context import BotContext, BotServices
from bot.delivery import Outcome, Sent, Step
from bot.jobs.outbox import Message, Outbox, Report, SendLedger, drain, takeover_lease
from bot.services import pings, safe_haven, shared_days, talk, talk_copies
from bot.services.guided import GUIDED, guided_step
from bot.services.ping_budget import Kind, Merged
from bot.storage import claims, users
from bot.storage import talk as talk_rows
from bot.storage.health import is_outage
from bot.storage.models import SafeHavenTip, SharedDay, TalkAnswer
from bot.views.held import keyboard_json
from bot.views.shared_day import side_by_side
from bot.views.together import question_copy, tips_offer

logger = logging.getLogger(__name__)

BATCH = 200
Row = TypeVar("Row")


@dataclass
class TogetherReport(Report):
    weekly_questions: int = 0


def budgeted(
    outbox: Outbox[Row],
    kind: Callable[[Row], Kind | None],
    receiver: Callable[[Row], int],
    sender: Callable[[Row], int | None] = lambda _: None,
    about: Callable[[Row], date | None] = lambda _: None,
) -> Outbox[Row]:
    """``outbox`` under the ping budget: in the claim's own transaction, a row whose
    receiver has had today's extra message is held for their next check-in instead (written
    as they would have read it, and recorded as sent: it is handed over), and not returned.
    ``kind`` ``None``: the row is a reply, outside the budget; ``about``: the day a held
    row shows (a both-answered day: withdrawn if the day is kept)."""

    ahead: dict[int, Merged] = {}  # by id(row): what was held, to go in front of it

    async def claim(session: AsyncSession, now: datetime) -> list[Row]:
        rows = list(await outbox.claim(session, now))
        people = await users.users_by_id(session, [receiver(row) for row in rows])
        kept = []
        for row in rows:
            person, message, what = people.get(receiver(row)), await outbox.message(row), kind(row)
            if person is None or message is None or what is None:
                kept.append(row)
                continue
            held = await pings.admit(
                session,
                person,
                what,
                now,
                text=message.text,
                markup=keyboard_json(message.markup),
                sender_id=sender(row),
                about=about(row),
            )
            if held is not None:
                kept.append(row)
                if held.sent:
                    ahead[id(row)] = held
                continue
            record = outbox.record(row, Sent(Outcome.DELIVERED), now)
            if record is not None:
                await record(session)
        return kept

    async def message(row: Row) -> Message | None:
        found, held = await outbox.message(row), ahead.pop(id(row), None)
        return found if found is None or held is None else found._replace(held=held)

    return replace(outbox, claim=claim, message=message)


def _outboxes(services: BotServices) -> list[Outbox[Any]]:
    """The four kinds of row this job sends, each claimed, sent and recorded by
    :func:`bot.jobs.outbox.drain`. What is not recorded stays claimed, and is taken over once
    the claim lapses."""
    owner, lease = services.instance_id, takeover_lease(services)

    def renewing(
        model: claims.Claimed,
    ) -> Callable[[AsyncSession, str, datetime, datetime], Awaitable[int]]:
        return partial(claims.renew, model)

    async def offers(session: AsyncSession, now: datetime) -> list[tuple[int, int, str]]:
        users = await safe_haven.claim_offers(session, now, lease=lease)
        return [(u.id, u.telegram_id, u.language) for u in users]

    async def offer(row: tuple[int, int, str]) -> Message:
        return Message(row[1], *tips_offer(services.together_for(row[2]).tips))

    def offered(row: tuple[int, int, str], sent: Sent, now: datetime) -> Step | None:
        """One that may have gone is not repeated; blocked: offered once they are back."""
        if sent.outcome in (Outcome.BLOCKED, Outcome.NOT_DELIVERED):
            return None
        return partial(safe_haven.mark_offered, user_id=row[0], now=now)

    async def questions(session: AsyncSession, now: datetime) -> list[talk_copies.QuestionCopy]:
        return await talk_copies.claim_copies(session, now, owner=owner, lease=lease, limit=BATCH)

    async def question(row: talk_copies.QuestionCopy) -> Message:
        view = question_copy(
            services.texts_for(row.language),
            services.together_for(row.language),
            row.question_id,
            row.question_key,
            row.trigger,
            about=row.about,
            partner=row.partner_name,
        )
        return Message(row.telegram_id, *view)

    # Arrived, surely or perhaps (then sent once more already): recorded as sent, as a prompt.
    def question_sent(row: talk_rows.QuestionToSend, sent: Sent, now: datetime) -> Step | None:
        if not sent.outcome.arrived:
            return None
        return partial(
            talk_rows.mark_question_sent, question_id=row.question_id, user_id=row.user_id, now=now
        )

    async def tips(session: AsyncSession, now: datetime) -> list[safe_haven.TipToSend]:
        return await safe_haven.claim_tips(
            session, services.together_for, now, owner=owner, lease=lease
        )

    async def tip(row: safe_haven.TipToSend) -> Message:
        return Message(row.telegram_id, row.body)

    def tip_sent(row: safe_haven.TipToSend, sent: Sent, now: datetime) -> Step | None:
        if sent.outcome is Outcome.BLOCKED:
            return partial(safe_haven.give_up, tip_id=row.tip_id)
        if sent.outcome.arrived:
            return partial(safe_haven.record_sent, tip_id=row.tip_id, now=now)
        return None

    async def days(session: AsyncSession, now: datetime) -> list[shared_days.SideBySide]:
        return await shared_days.claim_waiting(session, now, owner=owner, lease=lease, limit=BATCH)

    async def day(row: shared_days.SideBySide) -> Message:
        texts = services.texts_for(row.receiver.language)
        return Message(row.receiver.telegram_id, *side_by_side(texts, row))

    def day_sent(row: shared_days.SideBySide, sent: Sent, now: datetime) -> Step | None:
        """Blocked: recorded as sent too, it is not tried again."""
        if not sent.outcome.arrived and sent.outcome is not Outcome.BLOCKED:
            return None
        return partial(shared_days.record_sent, copy=row, now=now)

    return [
        # The tips offer is not budgeted: it comes once, right after the pairing the two
        # just did (their own action), as part of it.
        Outbox("offers", offers, offer, offered),
        budgeted(
            Outbox(
                "questions", questions, question, question_sent, BATCH, renew=renewing(TalkAnswer)
            ),
            _question_kind,
            lambda r: r.user_id,
        ),
        budgeted(
            Outbox("tips", tips, tip, tip_sent, renew=renewing(SafeHavenTip)),
            lambda _: Kind.TIP,
            lambda t: t.receiver_id,
            about=lambda t: t.about,
        ),
        budgeted(  # the both-answered days that waited for their receiver's morning
            Outbox("days", days, day, day_sent, BATCH, renew=renewing(SharedDay)),
            lambda c: None if c.second else Kind.SHARED_DAY,
            lambda c: c.receiver.id,
            lambda c: c.partner.id,
            lambda c: c.day,
        ),
    ]


def _question_kind(row: talk_rows.QuestionToSend) -> Kind | None:
    """A question copy under the receiver's budget; a guided talk's later step is not: it
    follows both partners' answers (the chat sends it with the reveal), and comes from here
    only when that send did not arrive or the process died before it."""
    if row.trigger == GUIDED and guided_step(row.question_key) > 1:
        return None
    return Kind.WEEKLY_QUESTION if row.trigger == "weekly" else Kind.QUESTION


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


async def run_together(
    bot: Bot, services: BotServices, ledger: SendLedger | None = None
) -> TogetherReport:
    """One run, if this process leads the jobs. ``ledger``: the job's own, kept from run to
    run (see :class:`SendLedger`); written first, leading or not (as the check-in sender's)."""
    report = TogetherReport()
    ledger = ledger if ledger is not None else SendLedger()
    if not await ledger.record(services) or not await services.leadership.check():
        return report
    offers, *others = _outboxes(services)
    await drain(bot, services, offers, report, ledger)
    if ledger.pending:
        return report  # the database is away: nothing new until what was sent is written
    await _weekly_questions(services, report)
    for outbox in others:
        await drain(bot, services, outbox, report, ledger)
    report.log("together")
    if report.weekly_questions:
        logger.info("together: %d weekly questions asked", report.weekly_questions)
    return report


async def together_job(context: BotContext) -> None:
    """The JobQueue callback; a database outage is noted once, and the next run tries again."""
    try:
        data = context.job.data if context.job is not None else None
        await run_together(
            context.bot, context.services, data if isinstance(data, SendLedger) else None
        )
    except Exception as error:
        if not is_outage(error):
            raise
        context.services.database_health.unavailable(error)
