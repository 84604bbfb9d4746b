"""Queries on users."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import ColumnElement, bindparam, false, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.engine import dialect_insert
from bot.storage.models import User

# A user's zone as the bot reads it: none stored means UTC.
ZONE: ColumnElement[str] = func.coalesce(User.time_zone, "UTC")


def in_zones(zones: Collection[str]) -> ColumnElement[bool]:
    """Rows of users in ``zones`` (those awake now, say): quiet hours filtered in SQL, so
    however many wait for their morning, a batch holds only people who can be served."""
    return ZONE.in_(list(zones)) if zones else false()


# Every update starts with this query. Built once, so SQLAlchemy works out its cache key once,
# not again on every update.
_USER_BY_TELEGRAM_ID = select(User).where(User.telegram_id == bindparam("telegram_id"))


async def get_user(session: AsyncSession, user_id: int) -> User | None:
    return await session.get(User, user_id)


async def get_user_by_telegram_id(session: AsyncSession, telegram_id: int) -> User | None:
    return await session.scalar(_USER_BY_TELEGRAM_ID, {"telegram_id": telegram_id})


async def create_user_once(
    session: AsyncSession,
    *,
    telegram_id: int,
    first_name: str,
    language_code: str | None,
    language: str,
    pending_input: str | None,
    now: datetime,
) -> User:
    """Insert the user unless they exist (a double tap, two instances), then return the row."""
    values = {
        "telegram_id": telegram_id,
        "first_name": first_name,
        "language_code": language_code,
        "language": language,
        "language_settled_at": now,
        "pending_input": pending_input,
        "consented_at": now,
        "created_at": now,
        "updated_at": now,
    }
    statement = (
        dialect_insert(session)(User)
        .values(values)
        .on_conflict_do_nothing(index_elements=[User.telegram_id])
        .returning(User)  # the new row itself: no second statement to read it back
    )
    user = await session.scalar(statement)
    if user is None:  # there already (a double tap, two instances): read it
        user = await get_user_by_telegram_id(session, telegram_id)
    assert user is not None
    return user


async def users_by_id(session: AsyncSession, user_ids: list[int]) -> dict[int, User]:
    if not user_ids:
        return {}
    rows = await session.scalars(select(User).where(User.id.in_(user_ids)))
    return {user.id: user for user in rows}
