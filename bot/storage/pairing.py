"""Queries on invites, couples and failed code attempts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import BindParameter, Select, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.storage import pings
from bot.storage.engine import rows_changed
from bot.storage.models import CodeAttempt, Couple, CoupleMember, Invite, Note, User
from bot.storage.scope import CoupleScope, scope_of


@dataclass(frozen=True)
class Partnership:
    """A user's active couple, seen from their side."""

    couple_id: int
    since: datetime
    partner: User
    # The couple's first day (NULL for couples paired before it was stored).
    first_day: date | None = None
    # The days sharing was paused on (``couples.unshared_days``).
    unshared_days: str | None = None

    def scope(self, zone: str | None) -> CoupleScope:
        """What of the partner this couple may see (``zone``: the viewer's, for old couples)."""
        return scope_of(self.couple_id, self.since, self.first_day, zone, self.unshared_days)


def _active_partnership() -> Select[Couple, User]:
    mine = aliased(CoupleMember)
    theirs = aliased(CoupleMember)
    user_id: BindParameter[int] = bindparam("user_id")
    return (
        select(Couple, User)
        .join(mine, (mine.couple_id == Couple.id) & (mine.user_id == user_id))
        .join(theirs, (theirs.couple_id == Couple.id) & (theirs.user_id != user_id))
        .join(User, User.id == theirs.user_id)
        .where(Couple.ended_at.is_(None), mine.ended_at.is_(None))
    )


# Asked on a check-in's first and last answer, by /us, settings and the together screens.
# Built once (see bot.storage.users): the two aliases and their joins cost more CPU to build
# and key than the query takes to run.
_ACTIVE_PARTNERSHIP = _active_partnership()


async def active_partnership(session: AsyncSession, user_id: int) -> Partnership | None:
    row = (await session.execute(_ACTIVE_PARTNERSHIP, {"user_id": user_id})).first()
    if row is None:
        return None
    couple, partner = row
    return Partnership(
        couple_id=couple.id,
        since=couple.created_at,
        partner=partner,
        first_day=couple.first_day,
        unshared_days=couple.unshared_days,
    )


@dataclass(frozen=True)
class EndedPartnership:
    """A user's couple that has ended; ``partner`` is ``None`` if they erased their data.
    ``quietly``: ended with "end quietly" (then nothing shown names the partner)."""

    ended_at: datetime
    partner: User | None
    quietly: bool = False


async def last_ended_partnership(session: AsyncSession, user_id: int) -> EndedPartnership | None:
    mine = aliased(CoupleMember)
    theirs = aliased(CoupleMember)
    row = (
        await session.execute(
            select(Couple.ended_at, User, Couple.ended_quietly)
            .join(mine, (mine.couple_id == Couple.id) & (mine.user_id == user_id))
            .outerjoin(theirs, (theirs.couple_id == Couple.id) & (theirs.user_id != user_id))
            .outerjoin(User, User.id == theirs.user_id)
            .where(Couple.ended_at.is_not(None))
            .order_by(Couple.ended_at.desc(), Couple.id.desc())
            .limit(1)
        )
    ).first()
    if row is None or row[0] is None:
        return None
    return EndedPartnership(ended_at=row[0], partner=row[1], quietly=row[2])


async def is_paired(session: AsyncSession, user_id: int) -> bool:
    found = await session.scalar(
        select(CoupleMember.couple_id).where(
            CoupleMember.user_id == user_id, CoupleMember.ended_at.is_(None)
        )
    )
    return found is not None


async def revoke_open_invites(session: AsyncSession, inviter_id: int, now: datetime) -> None:
    await session.execute(
        update(Invite)
        .where(
            Invite.inviter_id == inviter_id,
            Invite.used_at.is_(None),
            Invite.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )


async def add_invite(
    session: AsyncSession, *, inviter_id: int, code: str, now: datetime, expires_at: datetime
) -> Invite:
    invite = Invite(inviter_id=inviter_id, code=code, created_at=now, expires_at=expires_at)
    session.add(invite)
    await session.flush()
    return invite


async def invite_with_inviter(session: AsyncSession, code: str) -> tuple[Invite, User] | None:
    row = (
        await session.execute(
            select(Invite, User).join(User, User.id == Invite.inviter_id).where(Invite.code == code)
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


async def claim_invite(
    session: AsyncSession, *, invite_id: int, redeemer_id: int, now: datetime
) -> bool:
    """Mark the invite used by ``redeemer_id`` unless it is used, revoked or expired.

    One guarded UPDATE: of any number of simultaneous claims, exactly one matches a row.
    """
    result = await session.execute(
        update(Invite)
        .where(
            Invite.id == invite_id,
            Invite.used_at.is_(None),
            Invite.revoked_at.is_(None),
            Invite.expires_at > now,
        )
        .values(used_at=now, used_by_id=redeemer_id)
        .execution_options(synchronize_session=False)
    )
    return rows_changed(result) == 1


async def revoke_invite(session: AsyncSession, invite_id: int, now: datetime) -> bool:
    result = await session.execute(
        update(Invite)
        .where(Invite.id == invite_id, Invite.used_at.is_(None), Invite.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return rows_changed(result) == 1


async def create_couple(
    session: AsyncSession,
    *,
    first_user_id: int,
    second_user_id: int,
    now: datetime,
    first_day: date | None = None,
) -> Couple:
    """Insert the couple and both memberships; the unique index refuses anyone already paired."""
    couple = Couple(created_at=now, first_day=first_day)
    session.add(couple)
    await session.flush()
    # A pause belonged to the couple before: a new couple begins sharing.
    await session.execute(
        update(User)
        .where(User.id.in_([first_user_id, second_user_id]))
        .values(sharing_paused_at=None)
        .execution_options(synchronize_session="fetch")
    )
    session.add_all(
        [
            CoupleMember(couple_id=couple.id, user_id=first_user_id, joined_at=now),
            CoupleMember(couple_id=couple.id, user_id=second_user_id, joined_at=now),
        ]
    )
    # Notes either shared while unpaired were shared for "whoever I pair with": this couple.
    # Given to it now, they stay with it, and a later partner never sees them.
    await session.execute(
        update(Note)
        .where(
            Note.user_id.in_([first_user_id, second_user_id]),
            Note.visibility == "shared",
            Note.couple_id.is_(None),
        )
        .values(couple_id=couple.id)
        .execution_options(synchronize_session=False)
    )
    await session.flush()
    return couple


async def lock_couple(session: AsyncSession, couple_id: int) -> None:
    """Hold the couple's row until this transaction ends, so that two of its members acting at
    the same moment (on PostgreSQL, in two processes) take turns: the second then reads what
    the first wrote. SQLite writes one transaction at a time already and ignores the lock."""
    await session.execute(select(Couple.id).where(Couple.id == couple_id).with_for_update())


async def end_couple(
    session: AsyncSession, couple_id: int, now: datetime, *, quietly: bool = False
) -> bool:
    """End the couple if it is still active; ``False`` if it had already ended. ``quietly``:
    the partner is not told (the caller sends nothing), and is never shown who ended it."""
    result = await session.execute(
        update(Couple)
        .where(Couple.id == couple_id, Couple.ended_at.is_(None))
        .values(ended_at=now, ended_quietly=quietly)
        .execution_options(synchronize_session=False)
    )
    if rows_changed(result) != 1:
        return False
    # What the ping budget held for either of the two goes nowhere (quietly: no trace).
    await pings.withdraw_couple(session, couple_id)
    # A pause ends with the couple (the users are loaded in this session: keep them in step).
    members = select(CoupleMember.user_id).where(CoupleMember.couple_id == couple_id)
    await session.execute(
        update(User)
        .where(User.id.in_(members), User.sharing_paused_at.is_not(None))
        .values(sharing_paused_at=None)
        .execution_options(synchronize_session="fetch")
    )
    await session.execute(
        update(CoupleMember)
        .where(CoupleMember.couple_id == couple_id, CoupleMember.ended_at.is_(None))
        .values(ended_at=now)
        .execution_options(synchronize_session=False)
    )
    return True


async def record_failed_attempt(
    session: AsyncSession, telegram_id: int, now: datetime, *, forget_before: datetime
) -> None:
    """Store a wrong guess, dropping this person's guesses too old to matter any more."""
    await session.execute(
        delete(CodeAttempt).where(
            CodeAttempt.telegram_id == telegram_id, CodeAttempt.attempted_at < forget_before
        )
    )
    session.add(CodeAttempt(telegram_id=telegram_id, attempted_at=now))
    await session.flush()


async def failed_attempts_since(
    session: AsyncSession, telegram_id: int, since: datetime
) -> list[datetime]:
    rows = await session.scalars(
        select(CodeAttempt.attempted_at).where(
            CodeAttempt.telegram_id == telegram_id, CodeAttempt.attempted_at > since
        )
    )
    return list(rows)
