"""Queries on appreciations: one partner's thanks to the other, and the reply to it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, bindparam, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.storage.engine import rows_changed
from bot.storage.models import (
    Appreciation,
    User,
)


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


def _appreciations_between() -> Select[int, date, bool]:
    reply = aliased(Appreciation)
    return (
        select(
            Appreciation.sender_id,
            Appreciation.local_date,
            Appreciation.thanked_at.is_not(None) | reply.id.is_not(None),
        )
        .join(reply, reply.reply_to_id == Appreciation.id, isouter=True)
        .where(
            Appreciation.couple_id == bindparam("couple_id"),
            Appreciation.reply_to_id.is_(None),
            Appreciation.delivered_at.is_not(None),
            Appreciation.local_date >= bindparam("first"),
            Appreciation.local_date <= bindparam("last"),
        )
    )


# Read by every /us week a couple pages through: built once (see bot.storage.users), as the
# alias and its join cost more CPU to build and key than the query takes to run.
_APPRECIATIONS_BETWEEN = _appreciations_between()


async def appreciations_between(
    session: AsyncSession, couple_id: int, first: date, last: date
) -> list[SentAppreciation]:
    """The couple's delivered appreciations (not replies) on the senders' days
    ``first``..``last``, each with whether it was thanked or replied to."""
    rows = await session.execute(
        _APPRECIATIONS_BETWEEN, {"couple_id": couple_id, "first": first, "last": last}
    )
    return [SentAppreciation(sender, day, bool(answered)) for sender, day, answered in rows]


# --- export and erasure (/export, /delete) ------------------------------------------------------
#
# Appreciations they sent or received, and the replies to them, are removed from both partners'
# data when someone erases theirs. An appreciation names its receiver and tells what they did;
# one they wrote is their words. A "deleted" marker in its place would still say when, and how
# often, they thanked or were thanked: a trace of the person who asked to leave none. The
# survivor read each one in their chat when it arrived.


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


async def export_appreciations(session: AsyncSession, user: User) -> list[dict[str, Any]]:
    """``user``'s appreciations: sent, and received as shown (delivered)."""
    partner = aliased(User)
    appreciations = await session.execute(
        select(Appreciation, partner.first_name)
        .join(
            partner,
            partner.id
            == func.coalesce(
                func.nullif(Appreciation.sender_id, user.id), Appreciation.receiver_id
            ),
        )
        .where(
            or_(
                Appreciation.sender_id == user.id,
                (Appreciation.receiver_id == user.id) & Appreciation.delivered_at.is_not(None),
            )
        )
        .order_by(Appreciation.sent_at, Appreciation.id)
    )
    return [
        {
            "direction": "sent" if item.sender_id == user.id else "received",
            "partner": name,
            "is_reply": item.reply_to_id is not None,
            "text": item.body,
            "at": _iso(item.sent_at),
            "delivered": item.delivered_at is not None,
            "thanked_at": _iso(item.thanked_at),
        }
        for item, name in appreciations
    ]


async def erase(session: AsyncSession, user_id: int) -> None:
    """Every appreciation ``user_id`` sent or received, and the replies to them."""
    await session.execute(
        delete(Appreciation).where(
            Appreciation.reply_to_id.in_(
                select(Appreciation.id).where(
                    or_(Appreciation.sender_id == user_id, Appreciation.receiver_id == user_id)
                )
            )
        )
    )
    await session.execute(
        delete(Appreciation).where(
            or_(Appreciation.sender_id == user_id, Appreciation.receiver_id == user_id)
        )
    )
