"""Queries on appreciations, questions to talk about and safe-haven tips (their export and
erasure for one user: :mod:`bot.storage.together_export`)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, delete, false, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.storage.engine import dialect_insert, on_postgresql, rows_changed
from bot.storage.models import (
    Appreciation,
    Checkin,
    CheckinAnswer,
    Couple,
    CoupleMember,
    Moment,
    SafeHavenTip,
    TalkAnswer,
    TalkQuestion,
    User,
)
from bot.storage.pairing import Partnership
from bot.storage.scope import pair_couples

# A user's zone as the bot reads it: none stored means UTC.
ZONE: ColumnElement[str] = func.coalesce(User.time_zone, "UTC")


def _in_zones(zones: Collection[str]) -> ColumnElement[bool]:
    """Rows of users in ``zones`` (those awake now, say): quiet hours filtered in SQL, so
    however many wait for their morning, a batch holds only people who can be served."""
    return ZONE.in_(list(zones)) if zones else false()


# --- appreciations ----------------------------------------------------------------------------


async def add_appreciation(
    session: AsyncSession,
    *,
    couple_id: int,
    sender_id: int,
    receiver_id: int,
    body: str,
    local_date: date,
    now: datetime,
    reply_to_id: int | None = None,
) -> Appreciation:
    appreciation = Appreciation(
        couple_id=couple_id,
        sender_id=sender_id,
        receiver_id=receiver_id,
        reply_to_id=reply_to_id,
        body=body,
        local_date=local_date,
        sent_at=now,
        delivered_at=now,
    )
    session.add(appreciation)
    await session.flush()
    return appreciation


async def sent_on(session: AsyncSession, sender_id: int, local_date: date) -> int:
    """How many appreciations (not replies) ``sender_id`` sent on their local day."""
    count = await session.scalar(
        select(func.count())
        .select_from(Appreciation)
        .where(
            Appreciation.sender_id == sender_id,
            Appreciation.local_date == local_date,
            Appreciation.reply_to_id.is_(None),
            Appreciation.delivered_at.is_not(None),
        )
    )
    return count or 0


async def get_appreciation(session: AsyncSession, appreciation_id: int) -> Appreciation | None:
    return await session.get(Appreciation, appreciation_id)


async def reply_to(session: AsyncSession, appreciation_id: int) -> Appreciation | None:
    return await session.scalar(
        select(Appreciation).where(Appreciation.reply_to_id == appreciation_id)
    )


async def mark_undelivered(session: AsyncSession, appreciation_id: int) -> None:
    await session.execute(
        update(Appreciation)
        .where(Appreciation.id == appreciation_id)
        .values(delivered_at=None)
        .execution_options(synchronize_session=False)
    )


async def mark_thanked(session: AsyncSession, appreciation_id: int, now: datetime) -> bool:
    """Record the thank-you once; ``False`` if it was recorded already (a second tap)."""
    result = await session.execute(
        update(Appreciation)
        .where(Appreciation.id == appreciation_id, Appreciation.thanked_at.is_(None))
        .values(thanked_at=now)
        .execution_options(synchronize_session=False)
    )
    return rows_changed(result) == 1


@dataclass(frozen=True)
class SentAppreciation:
    """One delivered appreciation (not a reply) and whether the receiver answered it."""

    sender_id: int
    local_date: date
    answered: bool


async def appreciations_between(
    session: AsyncSession, couple_id: int, first: date, last: date
) -> list[SentAppreciation]:
    """The couple's delivered appreciations (not replies) on the senders' days
    ``first``..``last``, each with whether it was thanked or replied to."""
    reply = aliased(Appreciation)
    rows = await session.execute(
        select(
            Appreciation.sender_id,
            Appreciation.local_date,
            Appreciation.thanked_at.is_not(None) | reply.id.is_not(None),
        )
        .join(reply, reply.reply_to_id == Appreciation.id, isouter=True)
        .where(
            Appreciation.couple_id == couple_id,
            Appreciation.reply_to_id.is_(None),
            Appreciation.delivered_at.is_not(None),
            Appreciation.local_date >= first,
            Appreciation.local_date <= last,
        )
    )
    return [SentAppreciation(sender, day, bool(answered)) for sender, day, answered in rows]


# --- questions to talk about --------------------------------------------------------------------


async def question_history(
    session: AsyncSession, first_id: int, second_id: int
) -> dict[str, datetime]:
    """When these two people were last asked each question of the bank, in this couple or
    an earlier one of theirs (pairing again does not start the questions over)."""
    rows = await session.execute(
        select(TalkQuestion.question_key, func.max(TalkQuestion.asked_at))
        .where(
            TalkQuestion.couple_id.in_(pair_couples(first_id, second_id)),
            TalkQuestion.trigger != "guided",
        )
        .group_by(TalkQuestion.question_key)
    )
    return {key: at for key, at in rows}


async def answered_together(session: AsyncSession, first_id: int, second_id: int) -> int:
    """How many bank questions these two people have both answered, in any couple of theirs."""
    count = await session.scalar(
        select(func.count())
        .select_from(TalkQuestion)
        .where(
            TalkQuestion.couple_id.in_(pair_couples(first_id, second_id)),
            TalkQuestion.trigger != "guided",
            TalkQuestion.revealed_at.is_not(None),
        )
    )
    return count or 0


async def newest_open_question(
    session: AsyncSession, couple_id: int, since: datetime, *, trigger: str | None = None
) -> TalkQuestion | None:
    """The couple's newest question not yet answered by both, asked since ``since``
    (of ``trigger`` only, if given); one a partner has no answer to this time is closed."""
    passed = select(TalkAnswer.question_id).where(
        TalkAnswer.question_id == TalkQuestion.id, TalkAnswer.passed_at.is_not(None)
    )
    statement = (
        select(TalkQuestion)
        .where(
            TalkQuestion.couple_id == couple_id,
            TalkQuestion.revealed_at.is_(None),
            TalkQuestion.asked_at >= since,
            ~passed.exists(),
        )
        .order_by(TalkQuestion.asked_at.desc(), TalkQuestion.id.desc())
        .limit(1)
    )
    if trigger is not None:
        statement = statement.where(TalkQuestion.trigger == trigger)
    return await session.scalar(statement)


async def add_question(
    session: AsyncSession,
    *,
    couple_id: int,
    key: str,
    trigger: str,
    now: datetime,
    members: list[int],
    sent_to: list[int],
    week_of: date | None = None,
) -> TalkQuestion | None:
    """The question and one outbox row per member (``sent_to`` are sent by the caller now).

    ``None`` for a weekly question the couple already has this week (another process, or a
    run repeated after a crash, made it)."""
    insert = dialect_insert(session)
    question_id = await session.scalar(
        insert(TalkQuestion)
        .values(
            couple_id=couple_id, question_key=key, trigger=trigger, week_of=week_of, asked_at=now
        )
        .on_conflict_do_nothing(index_elements=["couple_id", "week_of"])
        .returning(TalkQuestion.id)
    )
    if question_id is None:
        return None
    session.add_all(
        TalkAnswer(
            question_id=question_id,
            user_id=member,
            sent_at=now if member in sent_to else None,
        )
        for member in members
    )
    await session.flush()
    return await session.get(TalkQuestion, question_id)


async def get_question(session: AsyncSession, question_id: int) -> TalkQuestion | None:
    return await session.get(TalkQuestion, question_id)


async def lock_question(session: AsyncSession, question_id: int) -> TalkQuestion | None:
    """The question, its row held until this transaction ends: two partners answering at the
    same moment take turns, so the second sees the first's answer (SQLite ignores the lock;
    it writes one transaction at a time already)."""
    return await session.scalar(
        select(TalkQuestion)
        .where(TalkQuestion.id == question_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def answers_to(session: AsyncSession, question_id: int) -> dict[int, TalkAnswer]:
    rows = await session.scalars(
        select(TalkAnswer)
        .where(TalkAnswer.question_id == question_id)
        # Fresh from the database: an earlier read in this transaction may predate a lock.
        .execution_options(populate_existing=True)
    )
    return {row.user_id: row for row in rows}


async def unmark_revealed(session: AsyncSession, question_id: int) -> None:
    await session.execute(
        update(TalkQuestion).where(TalkQuestion.id == question_id).values(revealed_at=None)
    )


@dataclass(frozen=True)
class QuestionToSend:
    question_id: int
    user_id: int
    telegram_id: int
    question_key: str
    trigger: str
    partner_name: str
    # The receiver's language: the question is sent in it.
    language: str = "en"


def _unsent_copies(lapsed_before: datetime) -> list[ColumnElement[bool]]:
    return [
        TalkAnswer.sent_at.is_(None),
        or_(TalkAnswer.claimed_at.is_(None), TalkAnswer.claimed_at < lapsed_before),
        Couple.ended_at.is_(None),
        User.active.is_(True),
    ]


async def zones_of_unsent_questions(session: AsyncSession, *, lapsed_before: datetime) -> list[str]:
    """The zones of everyone with a question copy to send (the caller keeps those awake)."""
    rows = await session.scalars(
        select(ZONE)
        .select_from(TalkAnswer)
        .join(TalkQuestion, TalkQuestion.id == TalkAnswer.question_id)
        .join(User, User.id == TalkAnswer.user_id)
        .join(Couple, Couple.id == TalkQuestion.couple_id)
        .where(*_unsent_copies(lapsed_before))
        .distinct()
    )
    return list(rows)


async def claim_unsent_questions(
    session: AsyncSession,
    *,
    zones: Collection[str],
    lapsed_before: datetime,
    limit: int,
) -> list[QuestionToSend]:
    """Unsent copies of questions not claimed by a live process, for receivers in ``zones``
    (those outside their quiet hours); the caller claims them (:func:`claim_questions`)."""
    partner_member = aliased(CoupleMember)
    partner = aliased(User)
    statement = (
        select(
            TalkAnswer.question_id,
            TalkAnswer.user_id,
            User.telegram_id,
            TalkQuestion.question_key,
            TalkQuestion.trigger,
            partner.first_name,
            User.language,
        )
        .join(TalkQuestion, TalkQuestion.id == TalkAnswer.question_id)
        .join(User, User.id == TalkAnswer.user_id)
        .join(Couple, Couple.id == TalkQuestion.couple_id)
        .join(
            partner_member,
            (partner_member.couple_id == Couple.id) & (partner_member.user_id != User.id),
        )
        .join(partner, partner.id == partner_member.user_id)
        .where(*_unsent_copies(lapsed_before), _in_zones(zones))
        .order_by(TalkAnswer.question_id)
        .limit(limit)
    )
    if on_postgresql(session):
        statement = statement.with_for_update(skip_locked=True, of=TalkAnswer)
    rows = await session.execute(statement)
    return [QuestionToSend(*row[:6], language=row[6]) for row in rows]


async def claim_questions(
    session: AsyncSession, rows: list[QuestionToSend], owner: str, now: datetime
) -> None:
    for row in rows:
        await session.execute(
            update(TalkAnswer)
            .where(TalkAnswer.question_id == row.question_id, TalkAnswer.user_id == row.user_id)
            .values(claimed_at=now, claimed_by=owner)
        )


async def mark_question_sent(
    session: AsyncSession, question_id: int, user_id: int, now: datetime
) -> None:
    await session.execute(
        update(TalkAnswer)
        .where(TalkAnswer.question_id == question_id, TalkAnswer.user_id == user_id)
        .values(sent_at=now)
    )


@dataclass(frozen=True)
class ActiveCouple:
    couple_id: int
    members: tuple[User, ...]

    @property
    def weekly_day(self) -> int:
        """The couple's weekly day (0 = Monday): one per couple, held the same on both
        partners' rows (set together, see :func:`bot.services.accounts.set_weekly_day`)."""
        return self.members[0].weekly_day


async def active_couple(session: AsyncSession, couple_id: int) -> ActiveCouple | None:
    """An active couple with its members (first the one who joined the bot first)."""
    rows = await session.scalars(
        select(User)
        .join(CoupleMember, CoupleMember.user_id == User.id)
        .join(Couple, Couple.id == CoupleMember.couple_id)
        .where(Couple.id == couple_id, Couple.ended_at.is_(None), CoupleMember.ended_at.is_(None))
        .order_by(User.id)
    )
    members = tuple(rows)
    return ActiveCouple(couple_id, members) if members else None


async def zones_of_couples(session: AsyncSession) -> list[str]:
    """The stored zones of people in an active couple."""
    rows = await session.scalars(
        select(User.time_zone)
        .join(CoupleMember, CoupleMember.user_id == User.id)
        .join(Couple, Couple.id == CoupleMember.couple_id)
        .where(
            Couple.ended_at.is_(None),
            CoupleMember.ended_at.is_(None),
            User.time_zone.is_not(None),
        )
        .distinct()
    )
    return [zone for zone in rows if zone is not None]


async def couples_due_weekly(
    session: AsyncSession, due: Mapping[date, Collection[str]]
) -> list[int]:
    """Active couples whose first member (whose zone and day the weekly question follows)
    is in one of ``due[day]``'s zones, has ``day``'s weekday as weekly day, and whose couple
    has no weekly question for ``day`` yet."""
    if not due:
        return []
    first = (
        select(CoupleMember.couple_id, func.min(CoupleMember.user_id).label("user_id"))
        .join(Couple, Couple.id == CoupleMember.couple_id)
        .where(Couple.ended_at.is_(None), CoupleMember.ended_at.is_(None))
        .group_by(CoupleMember.couple_id)
        .subquery()
    )
    asked = select(TalkQuestion.id).where(TalkQuestion.couple_id == first.c.couple_id)
    rows = await session.scalars(
        select(first.c.couple_id)
        .join(User, User.id == first.c.user_id)
        .where(
            or_(
                *(
                    and_(
                        User.time_zone.in_(list(zones)),
                        User.weekly_day == day.weekday(),
                        ~asked.where(TalkQuestion.week_of == day).exists(),
                    )
                    for day, zones in due.items()
                )
            )
        )
        .order_by(first.c.couple_id)
    )
    return list(rows)


async def weekly_question_exists(session: AsyncSession, couple_id: int, week_of: date) -> bool:
    found = await session.scalar(
        select(TalkQuestion.id).where(
            TalkQuestion.couple_id == couple_id, TalkQuestion.week_of == week_of
        )
    )
    return found is not None


# --- safe-haven tips --------------------------------------------------------------------------


async def stressed_since(session: AsyncSession, since: datetime) -> dict[int, datetime]:
    """Users who said "I was stressed" (check-in answer or /stress moment) after ``since``,
    each with the latest such moment."""
    answers = await session.execute(
        select(Checkin.user_id, func.max(CheckinAnswer.answered_at))
        .join(Checkin, Checkin.id == CheckinAnswer.checkin_id)
        .where(
            CheckinAnswer.answered_at > since,
            CheckinAnswer.item == "stressed_me",
            CheckinAnswer.value == "yes",
        )
        .group_by(Checkin.user_id)
    )
    moments = await session.execute(
        select(Moment.user_id, func.max(Moment.occurred_at))
        .where(Moment.occurred_at > since, Moment.kind == "stress_mine")
        .group_by(Moment.user_id)
    )
    latest: dict[int, datetime] = {}
    for user_id, at in [*answers, *moments]:
        if user_id not in latest or at > latest[user_id]:
            latest[user_id] = at
    return latest


async def partners_of(session: AsyncSession, user_ids: list[int]) -> dict[int, Partnership]:
    """For each of ``user_ids`` in an active couple, their partnership (their partner, and
    the couple's time together)."""
    if not user_ids:
        return {}
    mine = aliased(CoupleMember)
    theirs = aliased(CoupleMember)
    rows = await session.execute(
        select(mine.user_id, Couple.id, Couple.created_at, Couple.first_day, User)
        .join(Couple, Couple.id == mine.couple_id)
        .join(theirs, (theirs.couple_id == mine.couple_id) & (theirs.user_id != mine.user_id))
        .join(User, User.id == theirs.user_id)
        .where(
            mine.user_id.in_(user_ids),
            Couple.ended_at.is_(None),
            mine.ended_at.is_(None),
            theirs.ended_at.is_(None),
        )
    )
    return {
        user_id: Partnership(couple_id, since, partner, first_day)
        for user_id, couple_id, since, first_day, partner in rows
    }


@dataclass(frozen=True)
class TipHistory:
    count: int
    last_claimed_at: datetime | None


async def tip_history(session: AsyncSession, receiver_ids: list[int]) -> dict[int, TipHistory]:
    if not receiver_ids:
        return {}
    rows = await session.execute(
        select(SafeHavenTip.receiver_id, func.count(), func.max(SafeHavenTip.claimed_at))
        .where(SafeHavenTip.receiver_id.in_(receiver_ids))
        .group_by(SafeHavenTip.receiver_id)
    )
    return {receiver: TipHistory(count, last) for receiver, count, last in rows}


async def claim_tip(
    session: AsyncSession,
    *,
    receiver_id: int,
    local_date: date,
    tip_index: int,
    body: str,
    owner: str,
    now: datetime,
) -> int | None:
    """The tip's row, or ``None`` if the receiver already has one for that day."""
    insert = dialect_insert(session)
    return await session.scalar(
        insert(SafeHavenTip)
        .values(
            receiver_id=receiver_id,
            local_date=local_date,
            tip_index=tip_index,
            body=body,
            claimed_at=now,
            claimed_by=owner,
        )
        .on_conflict_do_nothing(index_elements=["receiver_id", "local_date"])
        .returning(SafeHavenTip.id)
    )


@dataclass(frozen=True)
class TipToSend:
    tip_id: int
    receiver_id: int
    telegram_id: int
    body: str


async def lapsed_tips(
    session: AsyncSession, *, lapsed_before: datetime, since: datetime
) -> list[tuple[TipToSend, str]]:
    """Tips claimed but never recorded as sent whose claim lapsed (the process died), still
    recent, each with its receiver's zone: the caller claims again those awake
    (:func:`claim_lapsed_tips`)."""
    statement = (
        select(SafeHavenTip.id, SafeHavenTip.receiver_id, User.telegram_id, SafeHavenTip.body, ZONE)
        .join(User, User.id == SafeHavenTip.receiver_id)
        .where(
            SafeHavenTip.sent_at.is_(None),
            SafeHavenTip.claimed_at < lapsed_before,
            SafeHavenTip.claimed_at > since,
            User.active.is_(True),
        )
    )
    if on_postgresql(session):
        statement = statement.with_for_update(skip_locked=True, of=SafeHavenTip)
    return [(TipToSend(*row[:4]), row[4]) for row in await session.execute(statement)]


async def claim_lapsed_tips(
    session: AsyncSession, tips: list[TipToSend], *, owner: str, now: datetime
) -> None:
    if tips:
        await session.execute(
            update(SafeHavenTip)
            .where(SafeHavenTip.id.in_([tip.tip_id for tip in tips]))
            .values(claimed_at=now, claimed_by=owner)
        )


async def mark_tip_sent(session: AsyncSession, tip_id: int, now: datetime) -> None:
    await session.execute(update(SafeHavenTip).where(SafeHavenTip.id == tip_id).values(sent_at=now))


async def give_up_tip(session: AsyncSession, tip_id: int) -> None:
    """Never send it (the receiver blocked the bot): the row is deleted, as a tip never
    delivered is nobody's history (nor in an export); once they are back, a stressful moment
    of that day may bring one."""
    await session.execute(delete(SafeHavenTip).where(SafeHavenTip.id == tip_id))


def _to_offer_tips(lapsed_before: datetime) -> list[ColumnElement[bool]]:
    return [
        CoupleMember.ended_at.is_(None),
        User.tips_offered_at.is_(None),
        or_(User.tips_offer_claimed_at.is_(None), User.tips_offer_claimed_at < lapsed_before),
        User.onboarded_at.is_not(None),
        User.active.is_(True),
    ]


async def zones_to_offer_tips(session: AsyncSession, *, lapsed_before: datetime) -> list[str]:
    """The zones of everyone still to be offered the tips (the caller keeps those awake)."""
    rows = await session.scalars(
        select(ZONE)
        .join(CoupleMember, CoupleMember.user_id == User.id)
        .where(*_to_offer_tips(lapsed_before))
        .distinct()
    )
    return list(rows)


async def users_to_offer_tips(
    session: AsyncSession, *, zones: Collection[str], lapsed_before: datetime, limit: int
) -> list[User]:
    """Paired, set-up, reachable users in ``zones`` never offered the tips, and not claimed
    for it by a live run."""
    rows = await session.scalars(
        select(User)
        .join(CoupleMember, CoupleMember.user_id == User.id)
        .where(*_to_offer_tips(lapsed_before), _in_zones(zones))
        .order_by(User.id)
        .limit(limit)
    )
    return list(rows)


async def mark_tips_offered(session: AsyncSession, user_id: int, now: datetime) -> None:
    await session.execute(
        update(User)
        .where(User.id == user_id, User.tips_offered_at.is_(None))
        .values(tips_offered_at=now)
    )


async def users_by_id(session: AsyncSession, user_ids: list[int]) -> dict[int, User]:
    if not user_ids:
        return {}
    rows = await session.scalars(select(User).where(User.id.in_(user_ids)))
    return {user.id: user for user in rows}
