"""What one partner may see of the other: this couple's time together, and nothing else.

The one rule, used by every view that shows a partner's side (``/us`` and its details, the
chart, the weekly digest, the both-answered day, ``/talk``, the safe-haven tip, shared notes
and reflections, appreciations):

- **check-ins** count from the couple's *first day* (:attr:`CoupleScope.first_day`): the first
  local day whose evening check-in both partners got *as a couple*. It is fixed at pairing
  (:func:`first_day_for`): a check-in already sent before the pairing belongs to the time
  before it, so the couple then begins the next day — the day the pairing message names;
- **moments** (``/bid``, ``/stress``) count from the moment of pairing, on a couple day;
- **notes** reach a partner only if shared with *this* couple (``notes.couple_id``), or
  shared while unpaired (the author was told their next partner would see it);
- **appreciations, questions and both-answered days** are stored with their couple: only
  this couple's rows are read.

While either partner has **paused sharing** (:func:`sharing_paused`), nothing passes between
them, either way; the days a pause covered stay unshared after it (:func:`unshared_day`).

A day one of the two kept to themselves (``hidden_days``, "keep today to myself") hides
*both* partners' answers, moments and notes of that day from *both* of them in every couple
view (:func:`day_shared`, :func:`couple_view`): the rule stays symmetrical, and neither learns
why or who. Each person's own ``/journal`` and ``/export`` still hold their own answers.

Nothing shared with, or answered during, an earlier pairing is shown to a later partner. The
same two people pairing again are one pair for the ``/talk`` history (:func:`pair_couples`),
so their questions are not asked again.

The conditions are SQL expressions added to the queries that already run (no statement more
per update), plus their pure twins for values already loaded.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, Select, and_, exists, not_, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, aliased

from bot.storage.models import Checkin, CoupleMember, HiddenDay, Moment, Note, User
from bot.timezones import local_now


@dataclass(frozen=True)
class CoupleScope:
    """One couple's time together."""

    couple_id: int
    # The moment of pairing.
    since: datetime
    # The first local day whose check-ins are the couple's.
    first_day: date
    # Days sharing was paused on (see :func:`unshared_spans`): never shown to the partner.
    unshared: UnsharedSpans = ()

    # --- pure: for what is already loaded ------------------------------------------------------

    def has_day(self, day: date) -> bool:
        """Whether a check-in of local ``day`` belongs to the couple."""
        return day >= self.first_day and not unshared_day(self.unshared, day)

    def has_moment(self, day: date, at: datetime) -> bool:
        return self.has_day(day) and at >= self.since

    # --- SQL conditions ------------------------------------------------------------------------

    def checkins(self) -> ColumnElement[bool]:
        """A partner's check-ins (and so their answers and notes) of the couple's days."""
        return and_(
            Checkin.local_date >= self.first_day,
            outside_unshared(Checkin.local_date, self.unshared),
        )

    def moments(self) -> ColumnElement[bool]:
        return and_(
            Moment.local_date >= self.first_day,
            Moment.occurred_at >= self.since,
            outside_unshared(Moment.local_date, self.unshared),
        )

    def shared_notes(self) -> ColumnElement[bool]:
        """Notes the partner shared with this couple, never those shared with someone earlier.
        (A note shared while unpaired is given to the couple formed next, at pairing; one
        still without a couple dates from before couples were stored with notes.)"""
        return and_(
            Note.visibility == "shared",
            or_(Note.couple_id == self.couple_id, Note.couple_id.is_(None)),
        )


@dataclass(frozen=True)
class Viewer:
    """Someone looking at their own data and, if paired, what their partner let this couple
    see: the ``WHERE`` of every query that reads both partners' rows at once."""

    user_id: int
    partner_id: int | None = None
    scope: CoupleScope | None = None

    @property
    def people(self) -> list[int]:
        return [self.user_id] if self.partner_id is None else [self.user_id, self.partner_id]

    def sees(
        self,
        owner: InstrumentedAttribute[int],
        partner_rows: Callable[[CoupleScope], ColumnElement[bool]],
    ) -> ColumnElement[bool]:
        """Rows whose ``owner`` is the viewer, or the partner where ``partner_rows`` (one of
        the scope's conditions) says they belong to this couple."""
        mine = owner == self.user_id
        if self.partner_id is None or self.scope is None:
            return mine
        return or_(mine, and_(owner == self.partner_id, partner_rows(self.scope)))


def first_day_for(user: User, now: datetime) -> date:
    """The first local day of ``user`` whose check-in comes after a pairing at ``now``: the
    day of their next check-in (today's, if it is still to come; otherwise tomorrow's), or
    today for someone whose check-ins have not begun."""
    zone = user.time_zone or "UTC"
    today = local_now(zone, now).date()
    if user.next_checkin_at is None or user.time_zone is None:
        return today
    return max(today, local_now(zone, user.next_checkin_at).date())


def legacy_first_day(since: datetime, zone: str | None) -> date:
    """For couples paired before the first day was stored: the day of pairing, as it was."""
    return local_now(zone or "UTC", since).date()


def scope_of(
    couple_id: int,
    since: datetime,
    first_day: date | None,
    zone: str | None,
    unshared: str | None = None,
) -> CoupleScope:
    return CoupleScope(
        couple_id, since, first_day or legacy_first_day(since, zone), unshared_spans(unshared)
    )


def pair_couples(first_id: int, second_id: int) -> Select[int]:
    """The ids of every couple these two people have been, together: their ``/talk`` history
    is the pair's, whatever couple row they are in now."""
    mine, theirs = aliased(CoupleMember), aliased(CoupleMember)
    return (
        select(mine.couple_id)
        .join(theirs, theirs.couple_id == mine.couple_id)
        .where(mine.user_id == first_id, theirs.user_id == second_id)
    )


# --- paused sharing: a quiet way out ------------------------------------------------------------

# Local days from .. to (inclusive; ``None``: still paused), as stored on the couple.
UnsharedSpans = tuple[tuple[date, date | None], ...]


def sharing_paused(person: User, partner: User) -> bool:
    """Whether nothing passes between ``person`` and ``partner`` now: one of them has paused
    sharing (/settings). Symmetrical on purpose: the one who paused does not see the
    partner's side either, so the two screens look alike and the partner's never singles
    anyone out: it reads like a quiet week, never like a pause, nor whose."""
    return person.sharing_paused_at is not None or partner.sharing_paused_at is not None


def unshared_spans(stored: str | None) -> UnsharedSpans:
    """The spans of ``couples.unshared_days`` (JSON, see the model)."""
    if not stored:
        return ()
    return tuple(
        (date.fromisoformat(first), date.fromisoformat(last) if last else None)
        for first, last in json.loads(stored)
    )


def spans_text(spans: UnsharedSpans) -> str:
    return json.dumps(
        [[first.isoformat(), last.isoformat() if last else None] for first, last in spans]
    )


def unshared_day(spans: UnsharedSpans, day: date) -> bool:
    """Whether ``day`` lies in a pause: its answers, notes and moments stay unshared for good
    (resuming shares what comes after, never what was kept back)."""
    return any(first <= day and (last is None or day <= last) for first, last in spans)


def outside_unshared(
    column: InstrumentedAttribute[date], spans: UnsharedSpans
) -> ColumnElement[bool]:
    """The SQL twin of ``not unshared_day``: true for every day when there was no pause."""
    if not spans:
        return true()
    return not_(
        or_(
            *(
                column >= first if last is None else column.between(first, last)
                for first, last in spans
            )
        )
    )


# --- a day kept to oneself ---------------------------------------------------------------------

Day = ColumnElement[date] | InstrumentedAttribute[date] | date


def day_shared(
    couple_id: ColumnElement[int] | InstrumentedAttribute[int] | int, day: Day
) -> ColumnElement[bool]:
    """Neither partner kept the couple's local ``day`` to themselves: only then is anything
    of that day — either partner's answers, moments, shared notes, the both-answered message,
    a tip drawn from it — shown to either of them."""
    return ~exists().where(HiddenDay.couple_id == couple_id, HiddenDay.local_date == day)


def couple_view(viewer: Viewer, day: Day) -> ColumnElement[bool]:
    """Rows of local ``day`` that a view of the couple (``/us``, its details and chart, the
    digest) may show ``viewer``: their own *and* their partner's only on days neither kept to
    themselves; everything of their own while they are not paired (there is no one to keep
    it from)."""
    if viewer.scope is None or viewer.partner_id is None:
        return true()
    return day_shared(viewer.scope.couple_id, day)


def is_shared(day: date, kept: Collection[date]) -> bool:
    """The pure twin of :func:`day_shared`, for days already loaded (``kept``: the couple's
    days kept, as :func:`bot.storage.hidden_days.kept_between` reads them)."""
    return day not in kept


def member_day_shared(user_id: InstrumentedAttribute[int], day: Day) -> ColumnElement[bool]:
    """:func:`day_shared` for the active couple ``user_id`` is in (none: shared), for rows
    read before their couple is known (the stressful days a tip is drawn from)."""
    return ~exists().where(
        CoupleMember.user_id == user_id,
        CoupleMember.ended_at.is_(None),
        HiddenDay.couple_id == CoupleMember.couple_id,
        HiddenDay.local_date == day,
    )
