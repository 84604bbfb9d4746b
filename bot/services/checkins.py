"""Evening check-ins: claiming due prompts, answering them, skipping, snoozing, pausing.

The schedule lives in the database (``users.next_checkin_at``, UTC), nothing in memory:
the dispatcher claims due users in a transaction that creates the day's check-in row and
moves the due time to the next local evening, then sends. See :func:`claim_due`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.accounts import reschedule
from bot.services.checkin_items import MOMENT_OUTCOMES, accepts, next_item, not_asked_now
from bot.storage import checkin_outbox, checkins, hidden_days, notes, pairing
from bot.storage.checkin_outbox import DueUser, OutboxRow, Sent
from bot.storage.checkins import DIGEST, EVENING
from bot.storage.models import Checkin, Note, User
from bot.storage.scope import sharing_paused
from bot.timezones import local_now, next_checkin_at

MAX_SEND_ATTEMPTS = 3
DEFAULT_PAUSE_DAYS = 7
MAX_PAUSE_DAYS = 60
SNOOZE = timedelta(hours=1)
# Reminders are only for today's prompt, not for one from days ago.
REMINDER_HORIZON = timedelta(hours=12)


# --- the schedule (pure) --------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """What to do with one due user."""

    send: bool
    local_date: date
    includes_weekly: bool
    next_at: datetime


def plan_for(due: DueUser, now: datetime, grace: timedelta) -> Plan:
    """Send if the due time is recent (and not paused); either way, move to the next evening.

    The next evening is computed after *now*, not after the missed due time, so a bot that was
    down for days sends at most one (recent) prompt per user, not a burst of stale ones.
    """
    local_day = local_now(due.time_zone, due.due_at).date()
    paused = due.paused_until is not None and due.paused_until > due.due_at
    return Plan(
        send=not paused and due.due_at > now - grace,
        local_date=local_day,
        includes_weekly=local_day.weekday() == due.weekly_day,
        next_at=next_checkin_at(max(now, due.due_at), due.time_zone, due.checkin_time),
    )


# --- the dispatcher's claims ------------------------------------------------------------------


async def claim_due(
    session: AsyncSession, now: datetime, *, owner: str, grace: timedelta, batch: int
) -> list[OutboxRow]:
    """Claim up to ``batch`` due users for ``owner``: create their check-ins, move their due
    times. Returns the prompts to send.

    On PostgreSQL the due rows are locked with SKIP LOCKED, so a second sender claims
    different users; on either database the unique (user, day, kind) key refuses a second
    prompt for the same day.
    """
    due = await checkin_outbox.due_users(session, now, limit=batch)
    rows: list[dict[str, object]] = []
    schedule: dict[int, datetime | None] = {}
    for user in due:
        plan = plan_for(user, now, grace)
        schedule[user.user_id] = plan.next_at
        if plan.send:
            row = {
                "user_id": user.user_id,
                "local_date": plan.local_date,
                "kind": EVENING,
                "due_at": user.due_at,
                "includes_weekly": plan.includes_weekly,
                "claimed_at": now,
                "claimed_by": owner,
            }
            rows.append(row)
            if plan.includes_weekly:
                # The weekly day's evening also brings the week's digest, once.
                rows.append({**row, "kind": DIGEST})
    inserted = await checkin_outbox.insert_checkins(session, rows)
    await checkin_outbox.set_next_checkins(session, schedule)
    outbox = await checkin_outbox.outbox(session, inserted)
    return outbox


async def claim_unsent(
    session: AsyncSession,
    now: datetime,
    *,
    owner: str,
    since: datetime,
    lease: timedelta,
    grace: timedelta,
    batch: int,
) -> list[OutboxRow]:
    """Prompts claimed earlier but never recorded as sent — ``owner``'s own whose send
    surely failed (claimed before ``since``, the start of this run), or a dead process's
    whose claim lapsed: send them again while recent.

    Those too old or refused too often are given up; a prompt that may have been delivered
    is never among them (it is recorded as sent, see the check-in sender)."""
    rows = await checkin_outbox.unsent(
        session, owner=owner, claimed_before=since, lapsed_before=now - lease, limit=batch
    )
    stale = [
        row.checkin_id
        for row in rows
        if row.send_attempts >= MAX_SEND_ATTEMPTS or (row.due_at or now) <= now - grace
    ]
    retry = [row for row in rows if row.checkin_id not in stale]
    await checkin_outbox.give_up(session, stale, now)
    await checkin_outbox.reclaim(session, [row.checkin_id for row in retry], owner, now)
    return retry


async def renew_claims(session: AsyncSession, owner: str, now: datetime) -> int:
    return await checkin_outbox.renew_claims(session, owner, now)


async def claim_snoozed(session: AsyncSession, now: datetime, *, batch: int) -> list[OutboxRow]:
    """Snoozed prompts now due, with the answers given before the snooze (it goes on there)."""
    rows = await checkin_outbox.due_snoozes(session, now, limit=batch)
    ids = [row.checkin_id for row in rows]
    # Cleared now: a snoozed prompt is re-sent at most once, even if that send fails.
    await checkin_outbox.set_fields(session, ids, snoozed_until=None)
    given = await checkins.answers_of_many(session, ids)
    return [replace(row, answers=given.get(row.checkin_id, {})) for row in rows]


async def claim_reminders(
    session: AsyncSession, now: datetime, *, delay: timedelta, batch: int
) -> list[OutboxRow]:
    rows = await checkin_outbox.due_reminders(
        session,
        sent_before=now - delay,
        sent_after=now - REMINDER_HORIZON,
        limit=batch,
    )
    await checkin_outbox.set_fields(session, [row.checkin_id for row in rows], reminded_at=now)
    return rows


async def record_sent(session: AsyncSession, sent: list[Sent]) -> None:
    await checkin_outbox.mark_sent(session, sent)


async def abandon(session: AsyncSession, checkin_id: int, now: datetime) -> None:
    """Never send this prompt (its user blocked the bot)."""
    await checkin_outbox.give_up(session, [checkin_id], now)


async def record_failed(session: AsyncSession, checkin_id: int, attempts: int) -> None:
    """A failed send of a prompt claimed with ``attempts`` failed sends (idempotent)."""
    await checkin_outbox.count_failed_send(session, checkin_id, attempts)


# --- answering --------------------------------------------------------------------------------


class Refused(StrEnum):
    NOT_YOURS = "not_yours"  # someone else's check-in (forged data)
    CLOSED = "closed"  # a newer check-in has been sent since
    FINISHED = "finished"  # skipped, or already done
    INVALID = "invalid"  # an item or value that does not exist (or not on this day)


@dataclass(frozen=True)
class CheckinState:
    checkin: Checkin
    answers: dict[str, str]
    first_answer: bool = False


async def open_checkin(
    session: AsyncSession, user: User, checkin_id: int
) -> CheckinState | Refused:
    """The user's check-in if they may still answer it."""
    found = await checkins.checkin_if_newest(session, checkin_id)
    if found is None or found[0].user_id != user.id or found[0].kind != EVENING:
        return Refused.NOT_YOURS
    checkin, newest, answers = found
    if checkin.skipped_at is not None:
        return Refused.FINISHED
    if not newest:
        return Refused.CLOSED
    return CheckinState(checkin, answers)


async def waiting_question(session: AsyncSession, user: User, now: datetime) -> CheckinState | None:
    """The user's check-in whose next question is waiting for a tap, if there is one: their
    newest prompt, of today or yesterday in their zone (a late evening runs past midnight),
    not skipped and not complete. Words typed meanwhile are meant for it."""
    found = await checkins.newest_sent_with_answers(session, user.id)  # one statement
    if found is None:
        return None
    checkin, newest, answers = found
    today = local_now(user.time_zone or "UTC", now).date()
    if checkin.local_date < today - timedelta(days=1):
        return None
    # What open_checkin refuses: a day skipped, or closed by a newer prompt.
    if checkin.skipped_at is not None or not newest:
        return None
    if next_item(answers, weekly=checkin.includes_weekly) is None:
        return None
    return CheckinState(checkin, answers)


async def answer(
    session: AsyncSession, user: User, checkin_id: int, item: str, value: str, now: datetime
) -> CheckinState | Refused:
    """Store one answer under the check-in's own day; a second tap on the same question (a
    mis-tap corrected) replaces the first, until a newer check-in closes the day.

    An answer that makes a later question meaningless (no bids noticed any more, not a
    stressful day after all) takes that question's answer with it."""
    state = await open_checkin(session, user, checkin_id)
    if isinstance(state, Refused):
        return state
    weekly = state.checkin.includes_weekly
    if not accepts(item, value, weekly=weekly):
        return Refused.INVALID
    await checkins.save_answer(session, checkin_id=checkin_id, item=item, value=value, now=now)
    answers = {**state.answers, item: value}
    if dropped := not_asked_now(answers, weekly=weekly):
        await checkins.delete_answers(session, checkin_id, dropped)
        answers = {key: value for key, value in answers.items() if key not in dropped}
    first_answer = state.checkin.answered_at is None
    if first_answer:
        state.checkin.answered_at = now  # engaged: no reminder any more
    state.checkin.snoozed_until = None  # back already: no second copy in an hour
    return CheckinState(state.checkin, answers, first_answer=first_answer)


async def partner_to_nudge(
    session: AsyncSession, user: User, now: datetime, day: date
) -> User | None:
    """The partner to tell "they have checked in" (on ``user``'s check-in of ``day``), if they
    asked for it and haven't answered.

    At most once per check-in: the partner's own check-in records that they were told. Never
    for a day either of them kept (:func:`bot.storage.scope.day_shared`): "they have checked
    in" would tell the partner what that day was kept from them.
    """
    partnership = await pairing.active_partnership(session, user.id)
    if (
        partnership is None
        or not partnership.partner.partner_nudge
        or sharing_paused(user, partnership.partner)
    ):
        return None
    partner = partnership.partner
    theirs = await checkins.newest_sent_checkin(session, partner.id)
    if (
        theirs is None
        or theirs.answered_at is not None
        or theirs.skipped_at is not None
        or theirs.nudged_at is not None
        or theirs.local_date != local_now(partner.time_zone or "UTC", now).date()
        or not partnership.scope(partner.time_zone).has_day(theirs.local_date)
    ):
        return None
    days = {day, theirs.local_date}
    if await hidden_days.kept_between(session, partnership.couple_id, min(days), max(days)) & days:
        return None
    theirs.nudged_at = now
    return partner


async def skip(
    session: AsyncSession, user: User, checkin_id: int, now: datetime
) -> CheckinState | Refused:
    state = await open_checkin(session, user, checkin_id)
    if isinstance(state, Refused):
        return state
    state.checkin.skipped_at = now
    state.checkin.snoozed_until = None
    return state


async def snooze(
    session: AsyncSession, user: User, checkin_id: int, now: datetime
) -> CheckinState | Refused:
    state = await open_checkin(session, user, checkin_id)
    if isinstance(state, Refused):
        return state
    if next_item(state.answers, weekly=state.checkin.includes_weekly) is None:
        # Offered until the check-in is complete; the re-sent prompt goes on where it was.
        return Refused.INVALID
    state.checkin.snoozed_until = now + SNOOZE
    return state


async def may_add_note(session: AsyncSession, user: User, checkin_id: int) -> bool:
    """Whether ``checkin_id`` is one of ``user``'s own evening check-ins: checked before a
    note is asked for, too (a stale button may name an id SQLite gave someone else since)."""
    checkin = await checkins.get_checkin(session, checkin_id)
    return checkin is not None and checkin.user_id == user.id and checkin.kind == EVENING


async def add_note(
    session: AsyncSession, user: User, checkin_id: int, body: str, now: datetime
) -> Note | Refused:
    """A note for one of the user's own check-ins, kept even if a newer one was sent since:
    what someone wrote is never thrown away."""
    if not await may_add_note(session, user, checkin_id):
        return Refused.NOT_YOURS
    return await notes.add_note(session, user_id=user.id, body=body, now=now, checkin_id=checkin_id)


# --- pausing ----------------------------------------------------------------------------------


def valid_pause(days: int) -> bool:
    return 1 <= days <= MAX_PAUSE_DAYS


async def pause(session: AsyncSession, user: User, days: int, now: datetime) -> datetime:
    """No prompts until ``days`` from now; the schedule jumps to the first evening after."""
    if not valid_pause(days):
        raise ValueError(days)
    until = now + timedelta(days=days)
    user.paused_until = until
    user.updated_at = now
    reschedule(user, now)
    return until


async def resume(session: AsyncSession, user: User, now: datetime) -> datetime | None:
    user.paused_until = None
    user.updated_at = now
    reschedule(user, now)
    return user.next_checkin_at


def is_paused(user: User, now: datetime) -> bool:
    return user.paused_until is not None and user.paused_until > now


# --- moments ----------------------------------------------------------------------------------


async def log_moment(
    session: AsyncSession, user: User, kind: str, outcome: str, message_id: int, now: datetime
) -> bool | None:
    """Store a /bid or /stress moment; ``None`` if invalid, ``False`` if already stored."""
    if outcome not in MOMENT_OUTCOMES.get(kind, ()):
        return None
    stored = await checkins.add_moment(
        session,
        user_id=user.id,
        kind=kind,
        outcome=outcome,
        now=now,
        local_date=local_now(user.time_zone or "UTC", now).date(),
        message_id=message_id,
    )
    return stored
