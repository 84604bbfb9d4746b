"""How reciprocal a couple's care is, from both partners' check-ins: pure, no I/O.

The seed's fifth principle is that both partners are a secure base for each other. Each figure
here therefore pairs a *giver's* report with the *receiver's* feeling about the same days:
how I say I answered your bids next to whether you felt your bids were met, and the same for
support under stress and for encouragement. Where the two disagree, that gap is the insight.

Days are each partner's own local dates. A partner's answers for a day count only once the
viewer has answered that day too (the reveal rule); private notes never leave this module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import Enum

from bot.services.checkin_items import next_item

# Each stored value read as: the care landed (GOOD), half-way (PARTLY), or not (MISSED).
# A value that is absent here (no bids, not stressed) means there was nothing to give.


class Landed(Enum):
    GOOD = "good"
    PARTLY = "partly"
    MISSED = "missed"


_LANDED: dict[str, dict[str, Landed]] = {
    # How I responded to my partner's bids (giver's view).
    "bids_response": {"toward": Landed.GOOD, "missed": Landed.MISSED, "away": Landed.MISSED},
    # Whether my own bids were met (receiver's view).
    "bids_made": {"met": Landed.GOOD, "partly": Landed.PARTLY, "missed": Landed.MISSED},
    # Was I there when my partner was stressed (giver) / was my partner there for me (receiver).
    "support_given": {"yes": Landed.GOOD, "somewhat": Landed.PARTLY, "no": Landed.MISSED},
    "support_received": {"yes": Landed.GOOD, "somewhat": Landed.PARTLY, "no": Landed.MISSED},
    "encouraged_partner": {"yes": Landed.GOOD, "somewhat": Landed.PARTLY, "no": Landed.MISSED},
    "felt_encouraged": {"yes": Landed.GOOD, "somewhat": Landed.PARTLY, "no": Landed.MISSED},
}
# A moment logged with /bid or /stress stands for the check-in item of the same view.
_MOMENT_ITEM = {
    "bid_noticed": "bids_response",
    "bid_made": "bids_made",
    "stress_partner": "support_given",
    "stress_mine": "support_received",
}
_MOMENT_LANDED: dict[str, dict[str, Landed]] = {
    "bid_noticed": {"toward": Landed.GOOD, "missed": Landed.MISSED, "away": Landed.MISSED},
    "bid_made": {"met": Landed.GOOD, "partly": Landed.PARTLY, "missed": Landed.MISSED},
    "stress_partner": {"yes": Landed.GOOD, "somewhat": Landed.PARTLY, "no": Landed.MISSED},
    "stress_mine": {"yes": Landed.GOOD, "somewhat": Landed.PARTLY, "no": Landed.MISSED},
}
# The ranges the bids question offers, in order: the chart draws them as these categories.
BIDS_LEVELS = ("none", "few", "some", "many")


@dataclass(frozen=True)
class NoteEntry:
    day: date
    body: str
    shared: bool


@dataclass(frozen=True)
class MomentEntry:
    """A moment logged with /bid or /stress, on its author's local date."""

    day: date
    kind: str
    outcome: str


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
class Tally:
    good: int = 0
    partly: int = 0
    missed: int = 0

    @property
    def days(self) -> int:
        return self.good + self.partly + self.missed


@dataclass(frozen=True)
class Difference:
    """A day both reported on where one said the care landed and the other that it missed."""

    day: date
    giver_saw_it_land: bool  # else the receiver felt it land and the giver thought not


@dataclass(frozen=True)
class TwoViews:
    """One direction of care over the week: as the giver saw it, as the receiver felt it."""

    as_giver_saw: Tally
    as_receiver_felt: Tally
    differences: tuple[Difference, ...] = ()
    # Day by day, for the details: (giver's view, receiver's view).
    by_day: tuple[tuple[Landed | None, Landed | None], ...] = ()

    @property
    def disagreed_days(self) -> tuple[date, ...]:
        return tuple(difference.day for difference in self.differences)

    @property
    def has_data(self) -> bool:
        return bool(self.as_giver_saw.days or self.as_receiver_felt.days)


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

    @property
    def paired(self) -> bool:
        return self.partner is not None


def week_ending(last_day: date) -> tuple[date, ...]:
    return tuple(last_day - timedelta(days=offset) for offset in range(6, -1, -1))


def _complete(answers: Mapping[str, str] | None) -> bool:
    """Every daily question answered (the weekly ones are not required)."""
    return bool(answers) and next_item(answers or {}, weekly=False) is None


def _combined(values: Sequence[Landed]) -> Landed | None:
    """A day's check-in answer and its moments as one: all landed, none did, or partly."""
    if not values:
        return None
    if all(value is Landed.GOOD for value in values):
        return Landed.GOOD
    if all(value is Landed.MISSED for value in values):
        return Landed.MISSED
    return Landed.PARTLY


Views = Mapping[date, Mapping[str, Landed]]


def _day_views(person: PersonDays, days: Sequence[date]) -> dict[date, dict[str, Landed]]:
    """Per day and item, how the care landed in this person's eyes: the check-in answer and
    the moments they logged that day, together."""
    found: dict[date, dict[str, list[Landed]]] = {}
    for day in days:
        for item, value in (person.answers.get(day) or {}).items():
            if item in _LANDED and (landed := _LANDED[item].get(value)) is not None:
                found.setdefault(day, {}).setdefault(item, []).append(landed)
    wanted = set(days)
    for moment in person.moments:
        landed = _MOMENT_LANDED.get(moment.kind, {}).get(moment.outcome)
        if moment.day in wanted and landed is not None:
            key = _MOMENT_ITEM[moment.kind]
            found.setdefault(moment.day, {}).setdefault(key, []).append(landed)
    return {
        day: {item: landed for item, values in items.items() if (landed := _combined(values))}
        for day, items in found.items()
    }


def _tally(values: Sequence[Landed | None]) -> Tally:
    return Tally(
        good=sum(v is Landed.GOOD for v in values),
        partly=sum(v is Landed.PARTLY for v in values),
        missed=sum(v is Landed.MISSED for v in values),
    )


def _two_views(
    days: Sequence[date], giver: Views, giver_item: str, receiver: Views, receiver_item: str
) -> TwoViews:
    gave = [(giver.get(day) or {}).get(giver_item) for day in days]
    felt = [(receiver.get(day) or {}).get(receiver_item) for day in days]
    differences = tuple(
        Difference(day, g is Landed.GOOD)
        for day, g, f in zip(days, gave, felt, strict=True)
        if {g, f} == {Landed.GOOD, Landed.MISSED}
    )
    by_day = tuple(zip(gave, felt, strict=True))
    return TwoViews(_tally(gave), _tally(felt), differences, by_day)


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


def couple_streak(
    me: Mapping[date, Mapping[str, str]],
    partner: Mapping[date, Mapping[str, str]],
    today: date,
    *,
    since: date | None = None,
    horizon_days: int = 400,
) -> int:
    """Days both showed up, counting back from today; one missed day is forgiven, two end it.

    Today counts once both have answered, and never breaks the streak (the evening may not
    have come yet). Consistency beats grand gestures: the streak belongs to the couple.
    """

    def both(day: date) -> bool:
        return bool(me.get(day)) and bool(partner.get(day))

    oldest = (
        max(since, today - timedelta(days=horizon_days))
        if since
        else today - timedelta(days=horizon_days)
    )
    day = today if both(today) else today - timedelta(days=1)
    streak = missed_in_a_row = 0
    while day >= oldest:
        if both(day):
            streak += 1
            missed_in_a_row = 0
        else:
            missed_in_a_row += 1
            if missed_in_a_row == 2:
                break
        day -= timedelta(days=1)
    return streak


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
    my_views = _day_views(me, days)
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
            bids_i_gave=_two_views(days, my_views, "bids_response", {}, "bids_made"),
            bids_i_got=empty,
            harbor_i_gave=_two_views(days, my_views, "support_given", {}, "support_received"),
            harbor_i_got=empty,
            encouragement_i_gave=_two_views(
                days, my_views, "encouraged_partner", {}, "felt_encouraged"
            ),
            encouragement_i_got=empty,
            streak=0,
            my_notes=tuple(n for n in me.notes if n.day in days),
            partner_notes=(),
            my_points=_points(days, me, my_views, {}),
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
    their_views = _day_views(
        PersonDays(theirs, moments=[m for m in partner.moments if m.day in shown]), days
    )
    hidden = sum(
        1
        for day in days
        if day == answerable and partner.answers.get(day) and couple_day(day) and not revealed(day)
    )
    mine = me.answers
    shared_since = {day: a for day, a in mine.items() if couple_day(day)}
    return WeekSummary(
        days=tuple(days),
        me=_person(days, me, everything),
        partner=_person(days, their_days, shown),
        hidden_days=hidden,
        bids_i_gave=_two_views(days, my_views, "bids_response", their_views, "bids_made"),
        bids_i_got=_two_views(days, their_views, "bids_response", my_views, "bids_made"),
        harbor_i_gave=_two_views(days, my_views, "support_given", their_views, "support_received"),
        harbor_i_got=_two_views(days, their_views, "support_given", my_views, "support_received"),
        encouragement_i_gave=_two_views(
            days, my_views, "encouraged_partner", their_views, "felt_encouraged"
        ),
        encouragement_i_got=_two_views(
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
    )


def views_differ(day: date, mine: Mapping[str, str], theirs: Mapping[str, str]) -> bool:
    """Whether two partners' answers for the same day disagree somewhere: one says the care
    landed, the other that it missed (the same rule as the week's differences)."""
    days = (day,)
    me = _day_views(PersonDays({day: mine}), days)
    them = _day_views(PersonDays({day: theirs}), days)
    pairs = (
        ("bids_response", "bids_made"),
        ("support_given", "support_received"),
        ("encouraged_partner", "felt_encouraged"),
    )
    return any(
        _two_views(days, giver, gave, receiver, felt).differences
        for gave, felt in pairs
        for giver, receiver in ((me, them), (them, me))
    )
