"""The whole data model as SQLAlchemy 2 declarative classes.

Times are stored as UTC instants (``UtcDateTime``) so that SQLite and PostgreSQL behave the
same; a user's *local* date is stored explicitly where a row belongs to a day of theirs
(check-ins), because "today" depends on the zone the user had when they answered.
"""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import NAMING_CONVENTION, Base, OutboxColumns, UtcDateTime
from bot.storage.partner_models import (
    DRAFT_KINDS,
    DRAFT_STATES,
    Appreciation,
    HeldPing,
    HiddenDay,
    PingDay,
    PrivateDraft,
    SafeHavenTip,
    SharedDay,
    TalkAnswer,
    TalkQuestion,
)

__all__ = [
    "DRAFT_KINDS",
    "DRAFT_STATES",
    "NAMING_CONVENTION",
    "REMINDABLE",
    "STRESSED_ANSWER",
    "STRESSED_MOMENT",
    "Appreciation",
    "Base",
    "Checkin",
    "CheckinAnswer",
    "ChecklistItem",
    "CodeAttempt",
    "Couple",
    "CoupleMember",
    "HeldPing",
    "HiddenDay",
    "Invite",
    "LessonProgress",
    "Moment",
    "Note",
    "Notice",
    "OutboxColumns",
    "PingDay",
    "PrivateDraft",
    "ReceivedUpdate",
    "SafeHavenTip",
    "SharedDay",
    "StepOpened",
    "TalkAnswer",
    "TalkQuestion",
    "User",
    "UtcDateTime",
]


class User(Base):
    """One person chatting with the bot privately. Created only once they consent."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    first_name: Mapped[str] = mapped_column(String(128))
    language_code: Mapped[str | None] = mapped_column(String(16))
    # The language the bot writes to them in: "en" or a folder of bot/content/locales.
    language: Mapped[str] = mapped_column(String(16), server_default=text("'en'"))
    # When it was settled: from Telegram's language at first contact, by /language, or by the
    # one offer made to people who started before there were languages (NULL until then).
    language_settled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    time_zone: Mapped[str | None] = mapped_column(String(64))
    checkin_time: Mapped[time | None] = mapped_column(Time)
    # Which free-text question is open ("timezone", "checkin_time", ...); NULL when none is.
    # Stored, not kept in memory, so a restart in the middle of onboarding resumes it.
    pending_input: Mapped[str | None] = mapped_column(String(64))
    consented_at: Mapped[datetime] = mapped_column(UtcDateTime)
    onboarded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # When the next evening check-in is due, in UTC; the dispatcher's only schedule.
    next_checkin_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    paused_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # 0 = Monday ... 6 = Sunday: the day of the weekly item and digest. One day per couple:
    # while paired, both partners' rows hold the same day (set together, see
    # bot.services.accounts.set_weekly_day; the joiner takes the inviter's when they pair).
    weekly_day: Mapped[int] = mapped_column(SmallInteger, server_default=text("6"))
    # False once Telegram says the user blocked the bot; set back when they write again.
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    # Opt-in: a short note when the partner has checked in and this user has not yet.
    partner_nudge: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    # Appreciations (/thanks) flow only while neither partner has turned them off.
    appreciations_muted: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    # Opt-in: the quiet safe-haven tip when the partner had a stressful day (both must say yes).
    safe_haven_tips: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    # When the tips were offered (once, after pairing).
    tips_offered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # When a run took the offer on (it is marked offered once sent; a lapsed claim is retried).
    tips_offer_claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Set while this person has paused sharing with their partner (/settings): nothing passes
    # between the two, either way (bot.storage.scope.sharing_paused). Cleared at resume and
    # whenever a couple begins or ends.
    sharing_paused_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (CheckConstraint("weekly_day BETWEEN 0 AND 6", name="weekly_day_range"),)


class Couple(Base):
    """Two partners, from pairing until one of them unpairs (or deletes their data)."""

    __tablename__ = "couples"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The first local day whose check-ins are the couple's (see bot.storage.scope): set at
    # pairing; NULL for couples paired before it was stored (their day of pairing then).
    first_day: Mapped[date | None] = mapped_column(Date)
    # The local days either partner had sharing paused on, as JSON ``[["2026-12-01",
    # "2026-12-03"], ["2026-12-07", null]]`` (null: still paused): they stay unshared after
    # a resume (bot.storage.scope.unshared_day). NULL: never paused.
    unshared_days: Mapped[str | None] = mapped_column(Text)
    # Ended with "end quietly": the partner was not told, and is never told who ended it.
    ended_quietly: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))


class CoupleMember(Base):
    """A user's place in a couple.

    The partial unique index lets a user hold only one *active* membership, which the
    database enforces even when two invites are redeemed at the same instant.
    """

    __tablename__ = "couple_members"

    couple_id: Mapped[int] = mapped_column(
        ForeignKey("couples.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    joined_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (
        Index(
            "uq_couple_members_active_user",
            "user_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
    )


class Invite(Base):
    """A one-time pairing code."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    inviter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class CodeAttempt(Base):
    """A wrong invite code someone tried; recent ones slow down guessing.

    Keyed by Telegram id, not user, because people try codes before they have an account.
    """

    __tablename__ = "code_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, index=True)
    attempted_at: Mapped[datetime] = mapped_column(UtcDateTime)


class LessonProgress(Base):
    """Where a user is in a framework's course."""

    __tablename__ = "lesson_progress"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    framework_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    card_id: Mapped[str] = mapped_column(String(64))
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ChecklistItem(Base):
    """A ticked step of a framework's checklist; no row means not ticked."""

    __tablename__ = "checklist_items"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    framework_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    step: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    done_at: Mapped[datetime] = mapped_column(UtcDateTime)


class StepOpened(Base):
    """When someone first opened a step of a course: the course's pace (a step a week)
    counts from it."""

    __tablename__ = "step_openings"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    framework_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    step: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # When the evening check-in last recalled this step's practice ("This week: ..."): once
    # in each week of practising it.
    recalled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


REMINDABLE = (
    "kind = 'evening' AND answered_at IS NULL AND skipped_at IS NULL "
    "AND reminded_at IS NULL AND snoozed_until IS NULL"
)


class Checkin(OutboxColumns, Base):
    """One prompt for one of a user's local days: an outbox row first, a sent message after.

    The dispatcher creates the row (claiming it) in the same transaction that moves the user's
    ``next_checkin_at``; the unique key makes a second prompt for the same day impossible.
    A row with ``sent_at`` NULL whose claim is old was interrupted (a crash) and is sent again.
    """

    __tablename__ = "checkins"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    local_date: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))  # "evening", "digest"
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # With the evening items, the weekly ones (encouragement, the seed's step 4).
    includes_weekly: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    send_attempts: Mapped[int] = mapped_column(SmallInteger, server_default=text("0"))
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    snoozed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # When this user was told their partner had checked in (at most once per check-in).
    nudged_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    skipped_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (
        UniqueConstraint("user_id", "local_date", "kind"),
        # The dispatcher's other lookups touch only open rows, however many old ones exist.
        OutboxColumns.unsent_index(
            "checkins", "claimed_at", "sent_at IS NULL AND skipped_at IS NULL"
        ),
        # Only prompts still waiting for their one reminder: the lookup costs what is due,
        # not what piled up unanswered over the days.
        Index(
            "ix_checkins_remind",
            "sent_at",
            sqlite_where=text(REMINDABLE),
            postgresql_where=text(REMINDABLE),
        ),
        Index(
            "ix_checkins_snoozed",
            "snoozed_until",
            sqlite_where=text("snoozed_until IS NOT NULL"),
            postgresql_where=text("snoozed_until IS NOT NULL"),
        ),
    )


# A check-in answer or a /stress moment that says "I was stressed" (see the safe-haven tip).
STRESSED_ANSWER = "item = 'stressed_me' AND value = 'yes'"
STRESSED_MOMENT = "kind = 'stress_mine'"


class CheckinAnswer(Base):
    """One answered item of a check-in; a double tap overwrites, never duplicates."""

    __tablename__ = "checkin_answers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    checkin_id: Mapped[int] = mapped_column(ForeignKey("checkins.id", ondelete="CASCADE"))
    item: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(String(32))
    answered_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        UniqueConstraint("checkin_id", "item"),
        # The safe-haven job looks for today's "I was stressed" answers only.
        Index(
            "ix_checkin_answers_stress",
            "answered_at",
            sqlite_where=text(STRESSED_ANSWER),
            postgresql_where=text(STRESSED_ANSWER),
        ),
    )


class Moment(Base):
    """A bid or a stressful moment logged as it happened (``/bid``, ``/stress``)."""

    __tablename__ = "moments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    local_date: Mapped[date] = mapped_column(Date)
    # The bot's question message it answers: one moment per question, however often tapped.
    message_id: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        UniqueConstraint("user_id", "message_id"),
        Index(
            "ix_moments_stress",
            "occurred_at",
            sqlite_where=text(STRESSED_MOMENT),
            postgresql_where=text(STRESSED_MOMENT),
        ),
    )


class Note(Base):
    """Free text a user wrote: a check-in note or a lesson reflection.

    ``visibility`` is "private" (only the author ever sees it) or "shared" (the partner may).
    """

    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    checkin_id: Mapped[int | None] = mapped_column(ForeignKey("checkins.id", ondelete="CASCADE"))
    framework_id: Mapped[str | None] = mapped_column(String(64))
    step: Mapped[int | None] = mapped_column(SmallInteger)
    body: Mapped[str] = mapped_column(Text)
    visibility: Mapped[str] = mapped_column(String(8), server_default=text("'private'"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The couple it was shared with (NULL while private, or shared while unpaired): a later
    # partner never sees what was shared with an earlier one (see bot.storage.scope).
    couple_id: Mapped[int | None] = mapped_column(ForeignKey("couples.id", ondelete="SET NULL"))

    __table_args__ = (
        CheckConstraint("visibility IN ('private', 'shared')", name="visibility_values"),
    )


class Notice(Base):
    """A one-time message the bot owes someone (e.g. after a change made for them by an
    upgrade); sent once by the periodic job, which marks it sent before sending."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (
        Index(
            "ix_notices_unsent",
            "created_at",
            sqlite_where=text("sent_at IS NULL"),
            postgresql_where=text("sent_at IS NULL"),
        ),
    )


class ReceivedUpdate(Base):
    """An update from Telegram, recorded before it is handled.

    Marked handled in the same transaction as the handler's changes, so after a crash the
    unhandled ones are handled at start, and an update Telegram sends again is handled once.
    Rows are pruned a day after they arrived.
    """

    __tablename__ = "received_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    payload: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    handled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # What the handling turn will say (JSON, see bot.delivery.Reply), written with handled_at
    # and crossed off (NULL) once sent: what is left after a crash is sent at start.
    replies: Mapped[str | None] = mapped_column(Text)
    # Whose update it is (their Telegram id), written with the record: /delete erases theirs.
    # No index: written on every update, read only by a /delete (a day of records at most).
    person: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        # Only the unhandled ones: what start-up looks for.
        Index(
            "ix_received_updates_unhandled",
            "update_id",
            sqlite_where=text("handled_at IS NULL"),
            postgresql_where=text("handled_at IS NULL"),
        ),
        # Only replies not crossed off: what start-up sends first.
        Index(
            "ix_received_updates_replies",
            "update_id",
            sqlite_where=text("replies IS NOT NULL"),
            postgresql_where=text("replies IS NOT NULL"),
        ),
    )
