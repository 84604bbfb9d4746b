"""The declarative base every model shares: UTC instants on both databases, deterministic
constraint names for migrations, and the claim columns of rows that are also outbox entries."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    DateTime,
    Index,
    MetaData,
    String,
    TypeDecorator,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Deterministic constraint names, so migrations can drop or alter them on both databases.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every backend (SQLite would otherwise hand back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class OutboxColumns:
    """The claim columns of a row that is also an outbox entry (a check-in, a question's copy,
    a tip, a shared day): claimed by one process (``claimed_by``, renewed while it sends,
    taken over once ``claimed_at`` lapses), ``sent_at`` once Telegram accepted it. Sent
    through :func:`bot.jobs.outbox.drain`."""

    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    @staticmethod
    def unsent_index(table: str, column: str, where: str = "sent_at IS NULL") -> Index:
        """The partial index over the rows not sent yet: the claim looks only at those."""
        return Index(
            f"ix_{table}_unsent", column, sqlite_where=text(where), postgresql_where=text(where)
        )
