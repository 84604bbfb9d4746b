"""Queries on the questions to talk about: the weekly one and the ones asked for, their
answers, and the claim → send → record of each partner's copy."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased

from bot.storage.engine import dialect_insert, on_postgresql, rows_changed
from bot.storage.models import (
    Couple,
    CoupleMember,
    TalkAnswer,
    TalkQuestion,
    User,
)
from bot.storage.scope import pair_couples
from bot.storage.users import ZONE, in_zones


def _set_aside() -> ColumnElement[bool]:
    """A question someone said "not tonight" to, and that was not answered by both since."""
    return and_(
        TalkQuestion.revealed_at.is_(None),
        select(TalkAnswer.question_id)
        .where(TalkAnswer.question_id == TalkQuestion.id, TalkAnswer.skipped_at.is_not(None))
        .exists(),
    )


async def _history(
    session: AsyncSession, first_id: int, second_id: int, *, set_aside: bool
) -> dict[str, datetime]:
    chosen = _set_aside()
    rows = await session.execute(
        select(TalkQuestion.question_key, func.max(TalkQuestion.asked_at))
        .where(
            TalkQuestion.couple_id.in_(pair_couples(first_id, second_id)),
            TalkQuestion.trigger != "guided",
            chosen if set_aside else ~chosen,
        )
        .group_by(TalkQuestion.question_key)
    )
    return {key: at for key, at in rows}


async def question_history(
    session: AsyncSession, first_id: int, second_id: int
) -> dict[str, datetime]:
    """When these two people were last asked each question of the bank, in this couple or
    an earlier one of theirs (pairing again does not start the questions over); questions
    set aside ("not tonight") are in :func:`set_aside_history` instead."""
    return await _history(session, first_id, second_id, set_aside=False)


async def set_aside_history(
    session: AsyncSession, first_id: int, second_id: int
) -> dict[str, datetime]:
    """When these two were last asked each question one of them set aside unanswered."""
    return await _history(session, first_id, second_id, set_aside=True)


async def last_weekly_key(session: AsyncSession, first_id: int, second_id: int) -> str | None:
    """The question of these two people's latest weekly question (the next one alternates
    light and deep)."""
    return await session.scalar(
        select(TalkQuestion.question_key)
        .where(
            TalkQuestion.couple_id.in_(pair_couples(first_id, second_id)),
            TalkQuestion.trigger == "weekly",
        )
        .order_by(TalkQuestion.asked_at.desc(), TalkQuestion.id.desc())
        .limit(1)
    )


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
    session: AsyncSession,
    couple_id: int,
    since: datetime,
    *,
    trigger: str | None = None,
    set_aside_by: int | None = None,
) -> TalkQuestion | None:
    """The couple's newest question not yet answered by both, asked since ``since``
    (of ``trigger`` only, if given); one a partner has no answer to this time is closed.
    One that ``set_aside_by`` said "not tonight" to is not open for them (for their
    partner it is, as before: nothing shows them it was set aside)."""
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
    if set_aside_by is not None:
        mine_set_aside = select(TalkAnswer.question_id).where(
            TalkAnswer.question_id == TalkQuestion.id,
            TalkAnswer.user_id == set_aside_by,
            TalkAnswer.skipped_at.is_not(None),
        )
        statement = statement.where(~mine_set_aside.exists())
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
    claimed_by: str | None = None,
) -> TalkQuestion | None:
    """The question and one outbox row per member (``sent_to`` are sent by the caller now:
    marked sent; with ``claimed_by``, claimed by that process instead and left unsent, to be
    marked sent once they arrived (:func:`mark_question_sent`) — a crash before leaves them
    to the job that sends unsent copies, once the claim lapses).

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
    claimed = claimed_by is not None
    session.add_all(
        TalkAnswer(
            question_id=question_id,
            user_id=member,
            sent_at=now if member in sent_to and not claimed else None,
            claimed_at=now if member in sent_to and claimed else None,
            claimed_by=claimed_by if member in sent_to else None,
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


async def mark_revealed(session: AsyncSession, question_id: int, now: datetime) -> bool:
    """Revealed at ``now``, unless already (two reveals at once: the first one stands);
    whether this one did it."""
    result = await session.execute(
        update(TalkQuestion)
        .where(TalkQuestion.id == question_id, TalkQuestion.revealed_at.is_(None))
        .values(revealed_at=now)
    )
    return rows_changed(result) == 1


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


def _unsent_copies(
    lapsed_before: datetime, open_since: datetime | None
) -> list[ColumnElement[bool]]:
    conditions = [
        TalkAnswer.sent_at.is_(None),
        or_(TalkAnswer.claimed_at.is_(None), TalkAnswer.claimed_at < lapsed_before),
        Couple.ended_at.is_(None),
        User.active.is_(True),
        ~_sharing_paused_in(TalkQuestion.couple_id),
    ]
    if open_since is not None:
        waits = _waiting_on_older(
            TalkAnswer.user_id, TalkQuestion.couple_id, TalkQuestion.id, open_since
        )
        conditions.append(~waits)
    return conditions


def _sharing_paused_in(couple_id: InstrumentedAttribute[int]) -> ColumnElement[bool]:
    """Either member of the couple has paused sharing: no question copy passes meanwhile (one
    asked just before the pause, waiting for the receiver's morning, included)."""
    member, person = aliased(CoupleMember), aliased(User)
    return (
        select(member.user_id)
        .join(person, person.id == member.user_id)
        .where(member.couple_id == couple_id, person.sharing_paused_at.is_not(None))
        .exists()
    )


def _waiting_on(
    user_id: InstrumentedAttribute[int] | int,
    couple_id: InstrumentedAttribute[int] | int,
    open_since: datetime,
) -> tuple[type[TalkQuestion], ColumnElement[bool]]:
    """Questions of the couple that ``user_id`` answered, open since ``open_since``, that
    their partner said "not tonight" to: the person is still waiting for that answer."""
    older, mine, set_aside = aliased(TalkQuestion), aliased(TalkAnswer), aliased(TalkAnswer)
    passed = aliased(TalkAnswer)
    condition = and_(
        older.couple_id == couple_id,
        older.revealed_at.is_(None),
        older.asked_at >= open_since,
        select(mine.question_id)
        .where(mine.question_id == older.id, mine.user_id == user_id, mine.answered_at.is_not(None))
        .exists(),
        select(set_aside.question_id)
        .where(
            set_aside.question_id == older.id,
            set_aside.user_id != user_id,
            set_aside.skipped_at.is_not(None),
        )
        .exists(),
        ~select(passed.question_id)
        .where(passed.question_id == older.id, passed.passed_at.is_not(None))
        .exists(),
    )
    return older, condition


def _waiting_on_older(
    user_id: InstrumentedAttribute[int],
    couple_id: InstrumentedAttribute[int],
    question_id: InstrumentedAttribute[int],
    open_since: datetime,
) -> ColumnElement[bool]:
    """A copy of a question asked while its receiver waits on an older one (see
    :func:`waiting_question`): it is not sent until that one is answered or expires."""
    older, condition = _waiting_on(user_id, couple_id, open_since)
    return select(older.id).where(condition, older.id < question_id).exists()


async def waiting_question(
    session: AsyncSession, couple_id: int, user_id: int, open_since: datetime
) -> TalkQuestion | None:
    """The newest question of the couple ``user_id`` answered that their partner then set
    aside ("not tonight"), still open: for ``user_id`` it stays the open question — a newer
    one waits until it is answered or expires, so nothing shows them it was skipped."""
    older, condition = _waiting_on(user_id, couple_id, open_since)
    return await session.scalar(select(older).where(condition).order_by(older.id.desc()).limit(1))


async def zones_of_unsent_questions(
    session: AsyncSession, *, lapsed_before: datetime, open_since: datetime | None = None
) -> list[str]:
    """The zones of everyone with a question copy to send (the caller keeps those awake)."""
    rows = await session.scalars(
        select(ZONE)
        .select_from(TalkAnswer)
        .join(TalkQuestion, TalkQuestion.id == TalkAnswer.question_id)
        .join(User, User.id == TalkAnswer.user_id)
        .join(Couple, Couple.id == TalkQuestion.couple_id)
        .where(*_unsent_copies(lapsed_before, open_since))
        .distinct()
    )
    return list(rows)


async def claim_unsent_questions(
    session: AsyncSession,
    *,
    zones: Collection[str],
    lapsed_before: datetime,
    limit: int,
    open_since: datetime | None = None,
) -> list[QuestionToSend]:
    """Unsent copies of questions not claimed by a live process, for receivers in ``zones``
    (those outside their quiet hours), except while the receiver waits on an older question
    (:func:`waiting_question`, open since ``open_since``); the caller claims them
    (:func:`claim_questions`)."""
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
        .where(*_unsent_copies(lapsed_before, open_since), in_zones(zones))
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
    """Sent at ``now``, unless it was before (then when it first was stands)."""
    await session.execute(
        update(TalkAnswer)
        .where(
            TalkAnswer.question_id == question_id,
            TalkAnswer.user_id == user_id,
            TalkAnswer.sent_at.is_(None),
        )
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


# --- export and erasure (/export, /delete) ------------------------------------------------------
#
# When someone erases their data, their answers to questions to talk about are removed. The
# question stays with the partner's own answer (their words, theirs to keep). A question both
# had answered (``revealed_at`` set) that has lost the other answer can only have lost it to an
# erasure, so the export marks that slot "deleted" without anything of the deleted person stored.


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


async def export_answers(session: AsyncSession, user: User) -> list[dict[str, Any]]:
    """``user``'s question answers, with the partner's only once revealed ("deleted" once the
    partner erased theirs). A question's key is labelled by the service."""
    mine_rows = await session.execute(
        select(TalkQuestion, TalkAnswer)
        .join(TalkAnswer, TalkAnswer.question_id == TalkQuestion.id)
        .where(TalkAnswer.user_id == user.id, TalkAnswer.sent_at.is_not(None))
        .order_by(TalkQuestion.asked_at, TalkQuestion.id)
    )
    questions = list(mine_rows)
    theirs: dict[int, str | None] = {}
    revealed = [question.id for question, _ in questions if question.revealed_at is not None]
    if revealed:
        for question_id, body in await session.execute(
            select(TalkAnswer.question_id, TalkAnswer.body).where(
                TalkAnswer.question_id.in_(revealed), TalkAnswer.user_id != user.id
            )
        ):
            theirs[question_id] = body
    return [
        {
            "question": question.question_key,
            "asked_at": _iso(question.asked_at),
            "my_answer": answer.body,
            "answered_at": _iso(answer.answered_at),
            # What the person chose about their own copy: "not tonight" (set aside, cleared
            # once answered after all) and "no answer this time" (their answer kept private).
            "not_tonight_at": _iso(answer.skipped_at),
            "answer_kept_private_at": _iso(answer.passed_at),
            "partner_answer": theirs.get(question.id),
            # Revealed means both had answered: a missing answer was erased with its
            # author's data (see above).
            "partner_answer_deleted": question.revealed_at is not None
            and question.id not in theirs,
            "revealed_at": _iso(question.revealed_at),
        }
        for question, answer in questions
    ]


async def erase(session: AsyncSession, user_id: int) -> None:
    """``user_id``'s answers, and the questions nobody has a copy of any more; run while their
    couple memberships still exist."""
    await session.execute(delete(TalkAnswer).where(TalkAnswer.user_id == user_id))
    # Questions nobody has a copy of any more are nobody's history.
    await session.execute(
        delete(TalkQuestion).where(
            TalkQuestion.couple_id.in_(
                select(CoupleMember.couple_id).where(CoupleMember.user_id == user_id)
            ),
            ~select(TalkAnswer.question_id)
            .where(TalkAnswer.question_id == TalkQuestion.id)
            .exists(),
        )
    )
