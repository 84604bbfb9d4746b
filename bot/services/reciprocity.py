"""How reciprocal a couple's care is, from both partners' check-ins: pure, no I/O.

The seed's fifth principle is that both partners are a secure base for each other. Each figure
here therefore pairs a *giver's* report with the *receiver's* feeling about the same days:
how I say I answered your bids next to whether you felt your bids were met, and the same for
support under stress and for encouragement. Where the two disagree, that gap is the insight.

Days are each partner's own local dates. A partner's answers for a day count only once the
viewer has answered that day too (the reveal rule); private notes never leave this module.
How one day landed for each partner, and their differences, are :mod:`bot.services.differences`;
the streak is :mod:`bot.services.streak`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from bot.services.checkin_items import next_item
from bot.services.differences import (
    Landed,
    MomentEntry,
    Tally,
    TwoViews,
    Views,
    day_views,
    two_views,
)
from bot.services.streak import couple_streak

# The ranges the bids question offers, in order: the chart draws them as these categories.
BIDS_LEVELS = ("none", "few", "some", "many")


@dataclass(frozen=True)
class NoteEntry:
    day: date
    body: str
    shared: bool


@dataclass(frozen=True)
class AppreciationEntry:
    """An appreciation (``/thanks``) on its sender's local date: a bid made through the bot;
    ``answered`` (❤️ or a reply) makes it a bid turned toward, matched for both partners."""

    day: date
    by_me: bool
    answered: bool


@dataclass(frozen=True)
class PersonDays:
    """One partner's raw material: answers by their local date, notes and moments."""

    answers: Mapping[date, Mapping[str, str]]
    notes: Sequence[NoteEntry] = ()
    moments: Sequence[MomentEntry] = ()


@dataclass(frozen=True)
class PersonSummary:
    checked_in_days: int
    bids_days: int  # days they noticed bids and said how they responded
    toward_days: int
    moments: int = 0  # logged with /bid and /stress


@dataclass(frozen=True)
class DayPoint:
    """One day of the chart for one partner: the bids range they noticed (an index into
    :data:`BIDS_LEVELS`), whether they turned toward, support given, moments logged."""

    day: date
    bids_level: int | None  # None: no check-in answer that day
    turned_toward: bool | None
    support_given: Landed | None  # None when there was no stress to meet
    bids_logged: int = 0  # bids they noticed and logged with /bid
    # Appreciations of that day answered, either way: matched bids, drawn for both partners.
    matched_appreciations: int = 0


@dataclass(frozen=True)
class WeekSummary:
    days: tuple[date, ...]
    me: PersonSummary
    partner: PersonSummary | None
    # Days the partner answered but the viewer has not: hidden until the viewer answers.
    hidden_days: int
    bids_i_gave: TwoViews  # my responses to their bids / how they felt theirs were met
    bids_i_got: TwoViews
    harbor_i_gave: TwoViews
    harbor_i_got: TwoViews
    encouragement_i_gave: TwoViews
    encouragement_i_got: TwoViews
    streak: int
    # The days of the week as each partner sent them in: the partner's include hidden ones.
    my_notes: tuple[NoteEntry, ...]
    partner_notes: tuple[NoteEntry, ...]  # shared ones only, on revealed days
    my_points: tuple[DayPoint, ...]
    partner_points: tuple[DayPoint, ...] = field(default=())
    # Appreciations answered in the week (either way): each one matched bid for both.
    matched_bids: int = 0
    # Days of the week one of the two kept to themselves: shown to both as "not shared" (their
    # answers, moments and notes are not in this summary at all; never who kept them).
    not_shared: tuple[date, ...] = ()
    # Days both partners checked in, as far as the viewer may see the partner's (revealed).
    both_days: int = 0
    # Day by day, for the Mini App's week: the days each checked in (the partner's on the
    # couple's days, revealed or not: presence only, as ``checked_in_days`` counts them), the
    # days whose partner's answers are revealed, and the day that waits for the viewer's own.
    my_days: frozenset[date] = frozenset()
    partner_days: frozenset[date] = frozenset()
    revealed_days: frozenset[date] = frozenset()
    waiting_days: frozenset[date] = frozenset()

    @property
    def paired(self) -> bool:
        return self.partner is not None


def week_ending(last_day: date) -> tuple[date, ...]:
    return tuple(last_day - timedelta(days=offset) for offset in range(6, -1, -1))


def _complete(answers: Mapping[str, str] | None) -> bool:
    """Every daily question answered (the weekly ones are not required)."""
    return bool(answers) and next_item(answers or {}, weekly=False) is None


def _person(days: Sequence[date], person: PersonDays, shown: set[date]) -> PersonSummary:
    """``shown``: the days whose answers and moments may be counted in (the reveal rule)."""
    present = [person.answers[day] for day in days if person.answers.get(day)]
    revealed = [person.answers[day] for day in days if day in shown and person.answers.get(day)]
    with_bids = [a for a in revealed if a.get("bids_noticed") not in (None, "none")]
    responded = [a for a in with_bids if "bids_response" in a]
    return PersonSummary(
        checked_in_days=len(present),
        bids_days=len(responded),
        toward_days=sum(a["bids_response"] == "toward" for a in responded),
        moments=sum(1 for moment in person.moments if moment.day in shown),
    )


def _points(
    days: Sequence[date], person: PersonDays, views: Views, matched: Mapping[date, int]
) -> tuple[DayPoint, ...]:
    points = []
    for day in days:
        a = person.answers.get(day) or {}
        level = (
            BIDS_LEVELS.index(a["bids_noticed"]) if a.get("bids_noticed") in BIDS_LEVELS else None
        )
        landed = (views.get(day) or {}).get("bids_response")
        toward = None if landed is None else landed is Landed.GOOD
        logged = sum(1 for m in person.moments if m.day == day and m.kind == "bid_noticed")
        support = (views.get(day) or {}).get("support_given")
        points.append(DayPoint(day, level, toward, support, logged, matched.get(day, 0)))
    return tuple(points)


def summarize(
    days: Sequence[date],
    me: PersonDays,
    partner: PersonDays | None,
    *,
    today: date,
    partner_since: date | None = None,
    answerable: date | None = None,
    appreciations: Sequence[AppreciationEntry] = (),
    streak: int | None = None,
) -> WeekSummary:
    """The week ``days`` for the viewer ``me``, with ``partner``'s answers as far as revealed.

    ``me.answers`` and ``partner.answers`` may hold more than the week (for the streak).
    ``partner_since`` is the first local day of the couple: nothing before it is shown.
    ``answerable`` is the day whose check-in the viewer can still answer: a partner's day
    waits "until you answer" only then; a day the viewer skipped or can no longer answer
    stays unrevealed but is not counted as waiting. ``appreciations``: the couple's, each
    answered one a matched bid for both partners (they are shown as they are sent, so no day
    hides them).
    """
    everything = set(days)
    my_views = day_views(me.answers, me.moments, days)
    matched: dict[date, int] = {}
    for appreciation in appreciations:
        if appreciation.answered and appreciation.day in everything:
            matched[appreciation.day] = matched.get(appreciation.day, 0) + 1
    if partner is None:
        empty = TwoViews(Tally(), Tally())
        return WeekSummary(
            days=tuple(days),
            me=_person(days, me, everything),
            partner=None,
            hidden_days=0,
            bids_i_gave=two_views(days, my_views, "bids_response", {}, "bids_made"),
            bids_i_got=empty,
            harbor_i_gave=two_views(days, my_views, "support_given", {}, "support_received"),
            harbor_i_got=empty,
            encouragement_i_gave=two_views(
                days, my_views, "encouraged_partner", {}, "felt_encouraged"
            ),
            encouragement_i_got=empty,
            streak=0,
            my_notes=tuple(n for n in me.notes if n.day in days),
            partner_notes=(),
            my_points=_points(days, me, my_views, {}),
            my_days=_present(days, me),
        )

    def couple_day(day: date) -> bool:
        return partner_since is None or day >= partner_since

    def revealed(day: date) -> bool:
        # Only once the viewer's own answers for the day are complete: seeing the partner's
        # view before giving one's own would anchor it.
        return _complete(me.answers.get(day)) and couple_day(day)

    shown = {day for day in days if revealed(day)}
    theirs = {day: answers for day, answers in partner.answers.items() if revealed(day)}
    their_days = PersonDays(
        {day: a for day, a in partner.answers.items() if couple_day(day)},
        moments=[m for m in partner.moments if couple_day(m.day)],
    )
    their_views = day_views(theirs, [m for m in partner.moments if m.day in shown], days)
    waiting = frozenset(
        day
        for day in days
        if day == answerable and partner.answers.get(day) and couple_day(day) and not revealed(day)
    )
    hidden = len(waiting)
    mine = me.answers
    shared_since = {day: a for day, a in mine.items() if couple_day(day)}
    return WeekSummary(
        days=tuple(days),
        me=_person(days, me, everything),
        partner=_person(days, their_days, shown),
        hidden_days=hidden,
        bids_i_gave=two_views(days, my_views, "bids_response", their_views, "bids_made"),
        bids_i_got=two_views(days, their_views, "bids_response", my_views, "bids_made"),
        harbor_i_gave=two_views(days, my_views, "support_given", their_views, "support_received"),
        harbor_i_got=two_views(days, their_views, "support_given", my_views, "support_received"),
        encouragement_i_gave=two_views(
            days, my_views, "encouraged_partner", their_views, "felt_encouraged"
        ),
        encouragement_i_got=two_views(
            days, their_views, "encouraged_partner", my_views, "felt_encouraged"
        ),
        streak=couple_streak(shared_since, theirs, today, since=partner_since)
        if streak is None
        else streak,
        my_notes=tuple(n for n in me.notes if n.day in days),
        partner_notes=tuple(
            n for n in partner.notes if n.shared and n.day in days and revealed(n.day)
        ),
        my_points=_points(days, me, my_views, matched),
        partner_points=_points(
            days,
            PersonDays(theirs, moments=[m for m in partner.moments if m.day in shown]),
            their_views,
            matched,
        ),
        matched_bids=sum(matched.values()),
        both_days=sum(1 for day in days if day in shown and partner.answers.get(day)),
        my_days=_present(days, me),
        partner_days=_present(days, their_days),
        revealed_days=frozenset(shown),
        waiting_days=waiting,
    )


# The pairs of items of each area of care: the giver's view, the receiver's feeling.
CARE_ITEMS = (
    ("bids", "bids_response", "bids_made"),
    ("harbor", "support_given", "support_received"),
    ("encouragement", "encouraged_partner", "felt_encouraged"),
)


def seen_differently(day: date, mine: Mapping[str, str], theirs: Mapping[str, str]) -> list[str]:
    """How the viewer (``mine``) and the partner (``theirs``) saw ``day`` differently: one
    said the care landed, the other that it missed (the week's rule). Each as the key of its
    line in the week's texts: ``{area}_{gave|got}_{you|partner}`` — the direction of care
    from the viewer's side, and who felt it landed."""
    days = (day,)
    me = day_views({day: mine}, (), days)
    them = day_views({day: theirs}, (), days)
    found = []
    for area, gave, felt in CARE_ITEMS:
        for direction, giver, receiver in (("gave", me, them), ("got", them, me)):
            for difference in two_views(days, giver, gave, receiver, felt).differences:
                you_felt_it = difference.giver_saw_it_land == (direction == "gave")
                found.append(f"{area}_{direction}_{'you' if you_felt_it else 'partner'}")
    return found


def _present(days: Sequence[date], person: PersonDays) -> frozenset[date]:
    return frozenset(day for day in days if person.answers.get(day))


def views_differ(day: date, mine: Mapping[str, str], theirs: Mapping[str, str]) -> bool:
    """Whether two partners' answers for the same day disagree somewhere: one says the care
    landed, the other that it missed (the same rule as the week's differences)."""
    return bool(seen_differently(day, mine, theirs))
