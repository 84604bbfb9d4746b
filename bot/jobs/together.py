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
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot

from bot.context import BotContext, BotServices
from bot.delivery import Outbox, Outcome, Step, drain
from bot.services import pings, safe_haven, shared_days, talk
from bot.services.guided import GUIDED, guided_step
from bot.services.ping_budget import Kind, Merged
from bot.services.quiet_hours import awake_zones
from bot.storage import talk as talk_rows
from bot.storage import users
from bot.storage.health import is_outage
from bot.views.held import keyboard_json, with_held
from bot.views.shared_day import side_by_side
from bot.views.together import question_message, tips_offer

logger = logging.getLogger(__name__)

BATCH = 200
Row = TypeVar("Row")


@dataclass
class TogetherReport:
    offers: int = 0
    weekly_questions: int = 0
    questions_sent: int = 0
    tips_sent: int = 0
    days_sent: int = 0
    blocked: int = 0


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
            person, message, what = people.get(receiver(row)), outbox.message(row), kind(row)
            if person is None or message is None or what is None:
                kept.append(row)
                continue
            _, text, markup = message
            held = await pings.admit(
                session,
                person,
                what,
                now,
                text=text,
                markup=keyboard_json(markup),
                sender_id=sender(row),
                about=about(row),
            )
            if held is not None:
                kept.append(row)
                if held.sent:
                    ahead[id(row)] = held
                continue
            record = outbox.record(row, Outcome.DELIVERED, now)
            if record is not None:
                await record(session)
        return kept

    def message(row: Row) -> tuple[int, str, Any] | None:
        found = outbox.message(row)
        held = ahead.get(id(row))
        if found is None or held is None:
            return found
        chat_id, text, markup = found
        return (chat_id, *with_held(held, text, markup))

    def record(row: Row, outcome: Outcome, now: datetime) -> Step | None:
        step, held = outbox.record(row, outcome, now), ahead.pop(id(row), None)
        if held is None:
            return step

        async def both(session: AsyncSession) -> None:
            await pings.handed_over(session, held, arrived=outcome.arrived)
            if step is not None:
                await step(session)

        return both

    return replace(outbox, claim=claim, message=message, record=record)


def _outboxes(services: BotServices) -> list[Outbox[Any]]:
    """The four kinds of row this job sends, each claimed, sent and recorded by
    :func:`bot.delivery.drain`. What is not recorded stays claimed, and is taken over once
    the claim lapses."""
    owner = services.instance_id
    lease = timedelta(seconds=services.settings.claim_lease_seconds)

    def step(outcome: Outcome, when: tuple[Outcome, ...], action: Step) -> Step | None:
        return action if outcome in when else None

    async def offers(session: AsyncSession, now: datetime) -> list[tuple[int, int, str]]:
        users = await safe_haven.claim_offers(session, now, lease=lease)
        return [(u.id, u.telegram_id, u.language) for u in users]

    async def questions(session: AsyncSession, now: datetime) -> list[talk_rows.QuestionToSend]:
        lapsed = now - lease
        since = now - talk.OPEN_FOR  # a receiver waiting on an older question: not yet
        zones = await talk_rows.zones_of_unsent_questions(
            session, lapsed_before=lapsed, open_since=since
        )
        rows = await talk_rows.claim_unsent_questions(
            session,
            zones=awake_zones(zones, now),
            lapsed_before=lapsed,
            open_since=since,
            limit=BATCH,
        )
        await talk_rows.claim_questions(session, rows, owner, now)
        return rows

    def question(row: talk_rows.QuestionToSend) -> tuple[int, str, Any]:
        theirs = services.together_for(row.language)
        body = talk.question_text(theirs, row.question_key)
        return (row.telegram_id, *question_message(theirs.talk, row.question_id, body, row.trigger))

    async def tips(session: AsyncSession, now: datetime) -> list[safe_haven.TipToSend]:
        return await safe_haven.claim_tips(
            session, services.together_for, now, owner=owner, lease=lease
        )

    async def days(session: AsyncSession, now: datetime) -> list[shared_days.SideBySide]:
        return await shared_days.claim_waiting(session, now, owner=owner, lease=lease, limit=BATCH)

    sure, arrived = (Outcome.DELIVERED,), (Outcome.DELIVERED, Outcome.MAYBE_DELIVERED)
    outboxes: list[Outbox[Any]] = [
        Outbox(  # an offer that may have gone is not repeated; blocked: offered once back
            "offers",
            offers,
            lambda o: (o[1], *tips_offer(services.together_for(o[2]).tips)),
            lambda o, outcome, now: step(
                outcome,
                (*arrived, Outcome.REFUSED),
                lambda s: safe_haven.mark_offered(s, o[0], now),
            ),
        ),
        Outbox(
            "questions_sent",
            questions,
            question,
            lambda r, outcome, now: step(
                outcome,
                sure,
                lambda s: talk_rows.mark_question_sent(s, r.question_id, r.user_id, now),
            ),
            batch=BATCH,
        ),
        Outbox(
            "tips_sent",
            tips,
            lambda t: (t.telegram_id, t.body, None),
            lambda t, outcome, now: (
                step(outcome, sure, lambda s: safe_haven.record_sent(s, t.tip_id, now))
                or step(outcome, (Outcome.BLOCKED,), lambda s: safe_haven.give_up(s, t.tip_id))
            ),
        ),
        Outbox(  # the both-answered days that waited for their receiver's morning
            "days_sent",
            days,
            lambda c: (
                c.receiver.telegram_id,
                *side_by_side(services.texts_for(c.receiver.language), c),
            ),
            # Blocked: recorded as sent too, it is not tried again.
            lambda c, outcome, now: step(
                outcome, (*sure, Outcome.BLOCKED), lambda s: shared_days.record_sent(s, c, now)
            ),
            batch=BATCH,
        ),
    ]
    offers_, questions_, tips_, days_ = outboxes
    return [
        # The tips offer is not budgeted: it comes once, right after the pairing the two
        # just did (their own action), as part of it.
        offers_,
        budgeted(questions_, _question_kind, lambda r: r.user_id),
        budgeted(tips_, lambda _: Kind.TIP, lambda t: t.receiver_id, about=lambda t: t.about),
        budgeted(
            days_,
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


async def run_together(bot: Bot, services: BotServices) -> TogetherReport:
    """One run, if this process leads the jobs."""
    report = TogetherReport()
    if not await services.leadership.check():
        return report
    offers, *others = _outboxes(services)
    await _count(report, offers, await drain(bot, services, offers))
    await _weekly_questions(services, report)
    for outbox in others:
        await _count(report, outbox, await drain(bot, services, outbox))
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


async def _count(report: TogetherReport, outbox: Outbox[Any], outcomes: Counter[Outcome]) -> None:
    setattr(report, outbox.name, getattr(report, outbox.name) + outcomes[Outcome.DELIVERED])
    report.blocked += outcomes[Outcome.BLOCKED]


async def together_job(context: BotContext) -> None:
    """The JobQueue callback; a database outage is noted once, and the next run tries again."""
    try:
        await run_together(context.bot, context.services)
    except Exception as error:
        if not is_outage(error):
            raise
        context.services.database_health.unavailable(error)
