"""Onboarding and settings: consent, time zone, check-in time, and the open question."""

from __future__ import annotations

from datetime import datetime, time
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage import pairing, users
from bot.storage.models import User
from bot.timezones import next_checkin_at


class PendingInput(StrEnum):
    """The free-text question a user has open. Stored on the user, so it survives restarts."""

    ONBOARDING_ZONE = "onboarding_zone"
    ONBOARDING_TIME = "onboarding_time"
    SETTINGS_ZONE = "settings_zone"
    SETTINGS_TIME = "settings_time"
    # Stored as "reflection:<framework id>:<step>": the answer to a step's question.
    REFLECTION = "reflection"
    # Stored as "checkin_note:<check-in id>": a note for that day's check-in.
    CHECKIN_NOTE = "checkin_note"
    # Stored as "note_edit:<note id>": new words for one of the user's notes (/journal).
    NOTE_EDIT = "note_edit"
    # An appreciation for the partner (/thanks).
    THANKS = "thanks"
    # Stored as "thanks_reply:<appreciation id>": the reply to an appreciation received.
    THANKS_REPLY = "thanks_reply"
    # Stored as "talk_answer:<question id>": the answer to a question to talk about.
    TALK_ANSWER = "talk_answer"


ZONE_QUESTIONS = frozenset({PendingInput.ONBOARDING_ZONE, PendingInput.SETTINGS_ZONE})
TIME_QUESTIONS = frozenset({PendingInput.ONBOARDING_TIME, PendingInput.SETTINGS_TIME})
ONBOARDING_QUESTIONS = frozenset({PendingInput.ONBOARDING_ZONE, PendingInput.ONBOARDING_TIME})


def pending_of(user: User) -> PendingInput | None:
    """The user's open question; an unknown stored value (from a newer version) counts as none."""
    if not user.pending_input:
        return None
    try:
        return PendingInput(user.pending_input.split(":", 1)[0])
    except ValueError:
        return None


def pending_argument(user: User) -> str | None:
    """What the open question is about, e.g. ``secure_base:2`` for a step's reflection."""
    if not user.pending_input or ":" not in user.pending_input:
        return None
    return user.pending_input.split(":", 1)[1]


def setup_question(user: User) -> PendingInput | None:
    """For someone not fully set up, the onboarding question still to answer."""
    if user.onboarded_at is not None:
        return None
    pending = pending_of(user)
    if pending in ONBOARDING_QUESTIONS:
        return pending
    return PendingInput.ONBOARDING_ZONE if user.time_zone is None else PendingInput.ONBOARDING_TIME


async def restore_setup(session: AsyncSession, user: User, now: datetime) -> PendingInput | None:
    """Make sure an unfinished setup has its question open again, whatever happened since.

    Returns that question (the caller asks it), or ``None`` for someone fully set up.
    """
    question = setup_question(user)
    if question is not None and pending_of(user) is not question:
        user.pending_input = question
        user.updated_at = now
    return question


async def find_user(session: AsyncSession, telegram_id: int) -> User | None:
    return await users.get_user_by_telegram_id(session, telegram_id)


async def register_consenting_user(
    session: AsyncSession,
    *,
    telegram_id: int,
    first_name: str,
    language_code: str | None,
    language: str,
    now: datetime,
) -> User:
    """Create the user who just agreed to the terms; onboarding goes on with the time zone.
    ``language`` is the one we have for their Telegram's (settled now: no offer later)."""
    return await users.create_user_once(
        session,
        telegram_id=telegram_id,
        first_name=first_name[:128],
        language_code=(language_code or None) and language_code[:16],
        language=language,
        pending_input=PendingInput.ONBOARDING_ZONE,
        now=now,
    )


def reschedule(user: User, now: datetime) -> None:
    """The next evening after ``now`` (or after a pause), for someone who is reachable."""
    if user.time_zone and user.checkin_time and user.active:
        start = max(now, user.paused_until) if user.paused_until else now
        user.next_checkin_at = next_checkin_at(start, user.time_zone, user.checkin_time)


async def set_time_zone(session: AsyncSession, user: User, zone: str, now: datetime) -> User:
    """Save the zone and close the zone question (onboarding then asks for the time).

    ``user`` must belong to ``session``; the change is written when its transaction commits.
    """
    user.time_zone = zone
    if pending_of(user) is PendingInput.ONBOARDING_ZONE:
        user.pending_input = PendingInput.ONBOARDING_TIME
    else:
        user.pending_input = None
    user.updated_at = now
    reschedule(user, now)
    return user


async def set_checkin_time(session: AsyncSession, user: User, at: time, now: datetime) -> User:
    """Save the time, finishing onboarding if it was its last question."""
    user.checkin_time = at
    if pending_of(user) is PendingInput.ONBOARDING_TIME:
        user.onboarded_at = now
    user.pending_input = None
    user.updated_at = now
    reschedule(user, now)
    return user


async def open_question(
    session: AsyncSession,
    user: User,
    question: PendingInput | None,
    now: datetime,
    *,
    argument: str | None = None,
) -> PendingInput | None:
    """Open (or with ``None``, close) the free-text question the next message answers.

    Returns the question this one set aside, if another (not the same one again) was open,
    so that the person can be told their half-written answer was not kept.
    """
    before = user.pending_input
    previous = pending_of(user)
    if question is not None and argument is not None:
        user.pending_input = f"{question.value}:{argument}"[:64]
    else:
        user.pending_input = question
    user.updated_at = now
    if previous is None or before == user.pending_input:
        return None
    return previous


async def close_for_command(
    session: AsyncSession, user: User, now: datetime
) -> PendingInput | None:
    """A command ends whatever free-text question was open (so later chat is never taken as
    its answer); returns it. Setup questions stay: without them nothing can be scheduled."""
    pending = pending_of(user)
    if pending is None or pending in ONBOARDING_QUESTIONS or user.onboarded_at is None:
        return None
    return await open_question(session, user, None, now)


async def set_language(session: AsyncSession, user: User, language: str, now: datetime) -> None:
    """The language the bot writes to ``user`` in, chosen (or kept when offered)."""
    user.language = language
    user.language_settled_at = now
    user.updated_at = now
    await session.flush()


def language_to_offer(user: User, offered: str) -> bool:
    """Whether to offer ``offered`` (their Telegram's, as we have it) to ``user``: only to
    someone who started before there were languages and was never asked."""
    return user.language_settled_at is None and offered != user.language


async def mark_language_offered(session: AsyncSession, user: User, now: datetime) -> None:
    """The offer is made once: whatever they tap (or not), it does not come again."""
    user.language_settled_at = now
    await session.flush()


async def reactivate(session: AsyncSession, user: User, now: datetime) -> None:
    """Someone who had blocked the bot wrote again: their evenings start again."""
    user.active = True
    user.updated_at = now
    reschedule(user, now)


async def mark_blocked(session: AsyncSession, telegram_id: int, now: datetime) -> None:
    """Telegram says they blocked the bot: no more prompts (their partner is unaffected)."""
    user = await users.get_user_by_telegram_id(session, telegram_id)
    if user is not None:
        user.active = False
        user.next_checkin_at = None
        user.updated_at = now


async def set_weekly_day(
    session: AsyncSession, user: User, weekday: int, now: datetime
) -> User | None:
    """0 = Monday … 6 = Sunday: the evening that also asks this week's question. A couple has
    one such day, so a paired user's partner gets it too; returns that partner (to tell)."""
    if not 0 <= weekday <= 6:
        raise ValueError(weekday)
    user.weekly_day = weekday
    user.updated_at = now
    partnership = await pairing.active_partnership(session, user.id)
    if partnership is None:
        return None
    partnership.partner.weekly_day = weekday
    partnership.partner.updated_at = now
    return partnership.partner


async def set_partner_nudge(
    session: AsyncSession, user: User, enabled: bool, now: datetime
) -> None:
    user.partner_nudge = enabled
    user.updated_at = now
