"""What passes between partners, as tables: appreciations, /talk questions and answers,
safe-haven tips, the both-answered day, private drafts, days kept to oneself, and the ping
budget's rows. Split from :mod:`bot.storage.models` (which re-exports every class here) to
keep each file readable; the declarative base is :mod:`bot.storage.base`."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base, OutboxColumns, UtcDateTime


class Appreciation(Base):
    """An appreciation one partner sent the other (``/thanks``), or a reply to one.

    A bid made; the receiver's thank-you or reply is that bid turned toward. Kept with its
    couple, so that after unpairing nothing more is delivered and the old buttons do nothing.
    """

    __tablename__ = "appreciations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"))
    sender_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    receiver_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The appreciation this one answers; at most one reply each.
    reply_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("appreciations.id", ondelete="CASCADE"), unique=True
    )
    body: Mapped[str] = mapped_column(Text)
    # The sender's local day: the daily limit and the week's tally count by it.
    local_date: Mapped[date] = mapped_column(Date)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # NULL when Telegram refused it (the receiver blocked the bot): never shown, never counted.
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    thanked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_appreciations_sender_day", "sender_id", "local_date"),)


class TalkQuestion(Base):
    """A question both partners got (weekly, ``/talk``, or a guided step); answers are shown
    to both once both answered (``revealed_at``)."""

    __tablename__ = "talk_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"))
    # A question bank id, or "guided:<step>" for the guided conversation's steps.
    question_key: Mapped[str] = mapped_column(String(40))
    trigger: Mapped[str] = mapped_column(String(16))  # "weekly", "talk", "guided"
    # For the weekly question: the weekly day's date; one question per couple and week.
    week_of: Mapped[date | None] = mapped_column(Date)
    asked_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revealed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (
        UniqueConstraint("couple_id", "week_of"),
        Index("ix_talk_questions_couple_asked", "couple_id", "asked_at"),
    )


class TalkAnswer(OutboxColumns, Base):
    """One partner's copy of a question: an outbox row until sent, then their answer."""

    __tablename__ = "talk_answers"

    question_id: Mapped[int] = mapped_column(
        ForeignKey("talk_questions.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    body: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # No answer this time (an answer kept private): neither answer is ever shown.
    passed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # "Not tonight": set aside by its person, without a trace to the partner (it is never
    # shown to them); an answer given later clears it.
    skipped_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (OutboxColumns.unsent_index("talk_answers", "claimed_at"),)


class SafeHavenTip(OutboxColumns, Base):
    """A quiet tip sent to one partner on a day the other was stressed: at most one per
    receiver and local day. Only the receiver is recorded; nothing points at the partner."""

    __tablename__ = "safe_haven_tips"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    receiver_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    local_date: Mapped[date] = mapped_column(Date)
    tip_index: Mapped[int] = mapped_column(SmallInteger)
    body: Mapped[str] = mapped_column(Text)
    # Claimed as it is made (no index of the unsent: the unique key finds them).
    claimed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    claimed_by: Mapped[str] = mapped_column(String(64))

    __table_args__ = (UniqueConstraint("receiver_id", "local_date"),)


class SharedDay(OutboxColumns, Base):
    """One partner's copy of the both-answered moment: the day both completed their check-in,
    side by side. One per couple, local day and partner (the key), so it goes once to each;
    an outbox row until sent, so a copy due in the receiver's quiet hours waits for their
    morning. Holds no words of anyone: the message is drawn from the answers when sent."""

    __tablename__ = "shared_days"

    couple_id: Mapped[int] = mapped_column(
        ForeignKey("couples.id", ondelete="CASCADE"), primary_key=True
    )
    local_date: Mapped[date] = mapped_column(Date, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (OutboxColumns.unsent_index("shared_days", "created_at"),)


DRAFT_KINDS = "kind IN ('appreciation', 'reply', 'talk_answer')"
DRAFT_STATES = "state IN ('pending', 'private', 'sent')"


class PrivateDraft(Base):
    """Words meant for the partner (a ``/thanks``, a reply, a ``/talk`` answer) that read
    like a crisis: kept for their author only, until they choose to keep them private or,
    with a confirmed second tap, to send them after all.

    Linked to what they were for: the couple (a new appreciation), the appreciation they
    answer (a reply) or the question (an answer); the link is cleared if that is erased.
    ``state``: "pending" (not decided), "private" (kept private, for good) or "sent".
    """

    __tablename__ = "private_drafts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    couple_id: Mapped[int | None] = mapped_column(ForeignKey("couples.id", ondelete="SET NULL"))
    reply_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("appreciations.id", ondelete="SET NULL")
    )
    question_id: Mapped[int | None] = mapped_column(
        ForeignKey("talk_questions.id", ondelete="SET NULL")
    )
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(8), server_default=text("'pending'"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (
        CheckConstraint(DRAFT_KINDS, name="kind_values"),
        CheckConstraint(DRAFT_STATES, name="state_values"),
    )


class HiddenDay(Base):
    """A day one partner kept to themselves ("keep today to myself"): while any row of a couple
    and local day exists, neither partner's answers of that day are shown to either of them
    (see :func:`bot.storage.scope.day_shared`). Their own ``/journal`` and ``/export`` keep
    them. Deleted to share the day again (only the row of whoever kept it)."""

    __tablename__ = "hidden_days"

    couple_id: Mapped[int] = mapped_column(
        ForeignKey("couples.id", ondelete="CASCADE"), primary_key=True
    )
    local_date: Mapped[date] = mapped_column(Date, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    hidden_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PingDay(Base):
    """The day's one extra unasked message of a person (see :mod:`bot.services.ping_budget`):
    taken by inserting this row, so two processes (or a job and a partner's tap at once)
    cannot both take it — the key says no to the second. The check-in and its reminder need
    no row: there is one check-in row a day, reminded once (``checkins.reminded_at``).
    Deriving the extra from the eight places that record a send (shared days, tips, question
    copies, the digest, the nudge's ``nudged_at``...) would be eight queries per message and
    still no lock; one small row a person and day is cheaper, and is pruned with the person."""

    __tablename__ = "ping_days"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    local_date: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime)


class HeldPing(Base):
    """An unasked message over the day's budget, as the receiver would have read it: sent
    with others held, as one message, just before their next check-in. ``sender_id``: the
    partner it is from (a held message from someone no longer their partner is dropped, as is
    one of another couple, one while sharing is paused, or a both-answered day kept since);
    ``claimed_at``: taken by a run that is sending it (a lapsed claim is taken over)."""

    __tablename__ = "held_pings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    local_date: Mapped[date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text)
    markup: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The couple a partner's message belongs to: it goes only while that couple is active
    # and sharing, never to a later couple (NULL: about no couple, or held before 0022).
    couple_id: Mapped[int | None] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"))
    # A both-answered message: the day it shows (withdrawn if that day is kept).
    about_day: Mapped[date | None] = mapped_column(Date)
    # A shared note's notice: it goes only while that note is still shared (its author may
    # make it private again, or delete it, before the held notice goes out).
    note_id: Mapped[int | None] = mapped_column(ForeignKey("notes.id", ondelete="CASCADE"))
