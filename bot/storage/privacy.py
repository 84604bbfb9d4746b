"""Everything stored about one user, for /export, and its erasure, for /delete."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.storage import appreciations, safe_haven, talk
from bot.storage.checkins import DIGEST, EVENING
from bot.storage.drafts import erase_drafts
from bot.storage.models import (
    Checkin,
    CheckinAnswer,
    ChecklistItem,
    CodeAttempt,
    Couple,
    CoupleMember,
    HiddenDay,
    Invite,
    LessonProgress,
    Moment,
    Note,
    Notice,
    SharedDay,
    User,
)
from bot.storage.shared_days import erase as erase_shared_days


def _iso(value: object) -> object:
    return value.isoformat() if hasattr(value, "isoformat") else value


async def export_rows(session: AsyncSession, user: User) -> dict[str, Any]:
    """All of ``user``'s own records as plain JSON-able data.

    The partner appears only by first name in the pairing history: none of their answers
    or notes are in here, shared or not.
    """
    mine = aliased(CoupleMember)
    theirs = aliased(CoupleMember)
    couples = await session.execute(
        select(Couple.created_at, Couple.ended_at, User.first_name)
        .join(mine, (mine.couple_id == Couple.id) & (mine.user_id == user.id))
        .join(theirs, (theirs.couple_id == Couple.id) & (theirs.user_id != user.id), isouter=True)
        .join(User, User.id == theirs.user_id, isouter=True)
        .order_by(Couple.created_at)
    )
    answers: dict[int, dict[str, str]] = {}
    for checkin_id, item, value in await session.execute(
        select(CheckinAnswer.checkin_id, CheckinAnswer.item, CheckinAnswer.value)
        .join(Checkin, Checkin.id == CheckinAnswer.checkin_id)
        .where(Checkin.user_id == user.id)
    ):
        answers.setdefault(checkin_id, {})[item] = value
    checkins = list(
        await session.scalars(
            select(Checkin)
            .where(Checkin.user_id == user.id)
            .order_by(Checkin.local_date, Checkin.id)
        )
    )
    return {
        "profile": {
            "first_name": user.first_name,
            "language_code": user.language_code,
            "language": user.language,
            "time_zone": user.time_zone,
            "checkin_time": _iso(user.checkin_time),
            "weekly_day": user.weekly_day,
            "language_settled_at": _iso(user.language_settled_at),
            "paused_until": _iso(user.paused_until),
            "partner_nudge": user.partner_nudge,
            "appreciations_muted": user.appreciations_muted,
            "safe_haven_tips": user.safe_haven_tips,
            "tips_offered_at": _iso(user.tips_offered_at),
            "sharing_paused_at": _iso(user.sharing_paused_at),
            "consented_at": _iso(user.consented_at),
            "created_at": _iso(user.created_at),
        },
        "pairing_history": [
            {"partner": name, "since": _iso(since), "until": _iso(until)}
            for since, until, name in couples
        ],
        "invites": [
            {
                "created_at": _iso(invite.created_at),
                "expires_at": _iso(invite.expires_at),
                "used_at": _iso(invite.used_at),
            }
            for invite in await session.scalars(
                select(Invite).where(Invite.inviter_id == user.id).order_by(Invite.created_at)
            )
        ],
        "lessons": [
            {
                "framework": progress.framework_id,
                "position": progress.card_id,
                "completed_at": _iso(progress.completed_at),
            }
            for progress in await session.scalars(
                select(LessonProgress).where(LessonProgress.user_id == user.id)
            )
        ],
        "checklist": [
            {"framework": item.framework_id, "step": item.step, "done_at": _iso(item.done_at)}
            for item in await session.scalars(
                select(ChecklistItem).where(ChecklistItem.user_id == user.id)
            )
        ],
        "checkins": [
            {
                "date": _iso(checkin.local_date),
                "sent_at": _iso(checkin.sent_at),
                "answered_at": _iso(checkin.answered_at),
                "skipped_at": _iso(checkin.skipped_at),
                "answers": answers.get(checkin.id, {}),
            }
            for checkin in checkins
            if checkin.kind == EVENING
        ],
        # A digest is something the bot sent, not a check-in: listed apart, when it was sent.
        "weekly_digests": [
            {"date": _iso(checkin.local_date), "sent_at": _iso(checkin.sent_at)}
            for checkin in checkins
            if checkin.kind == DIGEST and checkin.sent_at is not None
        ],
        "moments": [
            {
                "kind": moment.kind,
                "outcome": moment.outcome,
                "at": _iso(moment.occurred_at),
                "date": _iso(moment.local_date),
            }
            for moment in await session.scalars(
                select(Moment).where(Moment.user_id == user.id).order_by(Moment.occurred_at)
            )
        ],
        "notes": [
            {
                "written_at": _iso(note.created_at),
                "visibility": note.visibility,
                "framework": note.framework_id,
                "step": note.step,
                "for_checkin": note.checkin_id is not None,
                "text": note.body,
            }
            for note in await session.scalars(
                select(Note).where(Note.user_id == user.id).order_by(Note.created_at, Note.id)
            )
        ],
        # The days shown side by side: which day, when, and with whom — the partner's
        # answers are theirs, and are not stored with the copy.
        "days_side_by_side": [
            {"date": _iso(day), "shown_at": _iso(sent_at), "partner": name}
            for day, sent_at, name in await session.execute(
                select(SharedDay.local_date, SharedDay.sent_at, User.first_name)
                .outerjoin(
                    theirs,
                    (theirs.couple_id == SharedDay.couple_id) & (theirs.user_id != user.id),
                )
                .outerjoin(User, User.id == theirs.user_id)
                .where(SharedDay.user_id == user.id, SharedDay.sent_at.is_not(None))
                .order_by(SharedDay.local_date)
            )
        ],
        "notices": [
            {
                "kind": notice.kind,
                "created_at": _iso(notice.created_at),
                "sent_at": _iso(notice.sent_at),
            }
            for notice in await session.scalars(
                select(Notice).where(Notice.user_id == user.id).order_by(Notice.created_at)
            )
        ],
    }


async def erase_user(session: AsyncSession, user: User, now: datetime) -> None:
    """Delete the user and everything that hangs off them (the foreign keys cascade).

    Couples they were in are ended first, so the partner's history keeps its shape.
    """
    couple_ids = select(CoupleMember.couple_id).where(CoupleMember.user_id == user.id)
    await session.execute(
        update(Couple)
        .where(Couple.id.in_(couple_ids), Couple.ended_at.is_(None))
        .values(ended_at=now)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(CoupleMember)
        .where(CoupleMember.couple_id.in_(couple_ids), CoupleMember.ended_at.is_(None))
        .values(ended_at=now)
        .execution_options(synchronize_session=False)
    )
    await session.execute(delete(CodeAttempt).where(CodeAttempt.telegram_id == user.telegram_id))
    await erase_drafts(session, user.id)  # before what they were for
    # Tips about them first: those are found through their couple memberships.
    await safe_haven.erase(session, user.id)
    await appreciations.erase(session, user.id)
    await talk.erase(session, user.id)
    await erase_shared_days(session, user.id)
    await session.execute(
        update(Invite)
        .where(Invite.used_by_id == user.id)
        .values(used_by_id=None)
        .execution_options(synchronize_session=False)
    )
    # Explicit deletes as well as ON DELETE CASCADE: SQLite enforces cascades only with
    # foreign keys on, and this must never depend on a connection setting.
    for model, column in (
        (Note, Note.user_id),
        (HiddenDay, HiddenDay.user_id),
        (Moment, Moment.user_id),
        (Notice, Notice.user_id),
        (ChecklistItem, ChecklistItem.user_id),
        (LessonProgress, LessonProgress.user_id),
        (Invite, Invite.inviter_id),
        (CoupleMember, CoupleMember.user_id),
    ):
        await session.execute(delete(model).where(column == user.id))
    await session.execute(
        delete(CheckinAnswer).where(
            CheckinAnswer.checkin_id.in_(select(Checkin.id).where(Checkin.user_id == user.id))
        )
    )
    await session.execute(delete(Checkin).where(Checkin.user_id == user.id))
    await session.execute(delete(User).where(User.id == user.id))
    # Couples left with no members at all are history nobody can see any more.
    await session.execute(
        delete(Couple).where(
            ~select(CoupleMember.couple_id).where(CoupleMember.couple_id == Couple.id).exists()
        )
    )
