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
    "partner_stress": {"yes": Landed.GOOD, "somewhat": Landed.PARTLY, "no": Landed.MISSED},
    "my_stress": {"yes": Landed.GOOD, "somewhat": Landed.PARTLY, "no": Landed.MISSED},
    "encouraged_partner": {"yes": Landed.GOOD, "somewhat": Landed.PARTLY, "no": Landed.MISSED},
    "felt_encouraged": {"yes": Landed.GOOD, "somewhat": Landed.PARTLY, "no": Landed.MISSED},
}
# Roughly how many bids each answer stands for (the middle of its range).
BIDS_ESTIMATE = {"none": 0, "few": 2, "some": 4, "many": 6}

# Gottman's observation, shown as a direction to aim for, never as a grade.
STAYED_TOGETHER_TOWARD_SHARE = 0.86
DIVORCED_TOWARD_SHARE = 0.33


@dataclass(frozen=True)
class NoteEntry:
    day: date
    body: str
    shared: bool


@dataclass(frozen=True)
class PersonDays:
    """One partner's raw material: answers by their local date, and their notes."""

    answers: Mapping[date, Mapping[str, str]]
    notes: Sequence[NoteEntry] = ()


@dataclass(frozen=True)
class Tally:
    good: int = 0
    partly: int = 0
    missed: int = 0

    @property
    def days(self) -> int:
        return self.good + self.partly + self.missed


@dataclass(frozen=True)
class TwoViews:
    """One direction of care over the week: as the giver saw it, as the receiver felt it."""

    as_giver_saw: Tally
    as_receiver_felt: Tally
    # Days both reported on where one said it landed and the other that it was missed.
    disagreed_days: tuple[date, ...] = ()

    @property
    def has_data(self) -> bool:
        return bool(self.as_giver_saw.days or self.as_receiver_felt.days)


@dataclass(frozen=True)
class PersonSummary:
    checked_in_days: int
    bids_noticed_estimate: int
    bids_days: int  # days they noticed bids and said how they responded
    toward_days: int

    @property
    def toward_share(self) -> float | None:
        return self.toward_days / self.bids_days if self.bids_days else None


@dataclass(frozen=True)
class DayPoint:
    """One day of the chart for one partner: bids noticed, turned toward, support given."""

    day: date
    bids_noticed: int | None
    turned_toward: bool | None
    support_given: float | None  # 1 yes, 0.5 somewhat, 0 no; None when no stress to meet


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
    my_notes: tuple[NoteEntry, ...]
    partner_notes: tuple[NoteEntry, ...]  # shared ones only, on revealed days
    my_points: tuple[DayPoint, ...]
    partner_points: tuple[DayPoint, ...] = field(default=())

    @property
    def paired(self) -> bool:
        return self.partner is not None


def week_ending(last_day: date) -> tuple[date, ...]:
    return tuple(last_day - timedelta(days=offset) for offset in range(6, -1, -1))


def _complete(answers: Mapping[str, str] | None) -> bool:
    """Every daily question answered (the weekly ones are not required)."""
    return bool(answers) and next_item(answers or {}, weekly=False) is None


def _landed(item: str, answers: Mapping[str, str] | None) -> Landed | None:
    if not answers or item not in answers:
        return None
    return _LANDED[item].get(answers[item])


def _tally(values: Sequence[Landed | None]) -> Tally:
    return Tally(
        good=sum(v is Landed.GOOD for v in values),
        partly=sum(v is Landed.PARTLY for v in values),
        missed=sum(v is Landed.MISSED for v in values),
    )


def _two_views(
    days: Sequence[date],
    giver: Mapping[date, Mapping[str, str]],
    giver_item: str,
    receiver: Mapping[date, Mapping[str, str]],
    receiver_item: str,
) -> TwoViews:
    gave = [_landed(giver_item, giver.get(day)) for day in days]
    felt = [_landed(receiver_item, receiver.get(day)) for day in days]
    disagreed = tuple(
        day
        for day, g, f in zip(days, gave, felt, strict=True)
        if {g, f} == {Landed.GOOD, Landed.MISSED}
    )
    return TwoViews(_tally(gave), _tally(felt), disagreed)


def _person(days: Sequence[date], answers: Mapping[date, Mapping[str, str]]) -> PersonSummary:
    present = [answers[day] for day in days if answers.get(day)]
    with_bids = [a for a in present if a.get("bids_noticed") not in (None, "none")]
    responded = [a for a in with_bids if "bids_response" in a]
    return PersonSummary(
        checked_in_days=len(present),
        bids_noticed_estimate=sum(BIDS_ESTIMATE.get(a.get("bids_noticed", ""), 0) for a in present),
        bids_days=len(responded),
        toward_days=sum(a["bids_response"] == "toward" for a in responded),
    )


def _points(
    days: Sequence[date], answers: Mapping[date, Mapping[str, str]]
) -> tuple[DayPoint, ...]:
    support = {"yes": 1.0, "somewhat": 0.5, "no": 0.0}
    points = []
    for day in days:
        a = answers.get(day) or {}
        noticed = BIDS_ESTIMATE.get(a["bids_noticed"]) if "bids_noticed" in a else None
        toward = a["bids_response"] == "toward" if "bids_response" in a else None
        points.append(DayPoint(day, noticed, toward, support.get(a.get("partner_stress", ""))))
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
) -> WeekSummary:
    """The week ``days`` for the viewer ``me``, with ``partner``'s answers as far as revealed.

    ``me.answers`` and ``partner.answers`` may hold more than the week (for the streak).
    ``partner_since`` is the first local day of the couple: nothing before it is shown.
    """
    if partner is None:
        empty = TwoViews(Tally(), Tally())
        return WeekSummary(
            days=tuple(days),
            me=_person(days, me.answers),
            partner=None,
            hidden_days=0,
            bids_i_gave=empty,
            bids_i_got=empty,
            harbor_i_gave=empty,
            harbor_i_got=empty,
            encouragement_i_gave=empty,
            encouragement_i_got=empty,
            streak=0,
            my_notes=tuple(n for n in me.notes if n.day in days),
            partner_notes=(),
            my_points=_points(days, me.answers),
        )

    def revealed(day: date) -> bool:
        # Only once the viewer's own answers for the day are complete: seeing the partner's
        # view before giving one's own would anchor it.
        return _complete(me.answers.get(day)) and (partner_since is None or day >= partner_since)

    theirs = {day: answers for day, answers in partner.answers.items() if revealed(day)}
    hidden = sum(
        1
        for day in days
        if partner.answers.get(day)
        and not revealed(day)
        and (partner_since is None or day >= partner_since)
    )
    mine = me.answers
    shared_since = {
        day: a for day, a in mine.items() if partner_since is None or day >= partner_since
    }
    return WeekSummary(
        days=tuple(days),
        me=_person(days, mine),
        partner=_person(days, theirs),
        hidden_days=hidden,
        bids_i_gave=_two_views(days, mine, "bids_response", theirs, "bids_made"),
        bids_i_got=_two_views(days, theirs, "bids_response", mine, "bids_made"),
        harbor_i_gave=_two_views(days, mine, "partner_stress", theirs, "my_stress"),
        harbor_i_got=_two_views(days, theirs, "partner_stress", mine, "my_stress"),
        encouragement_i_gave=_two_views(
            days, mine, "encouraged_partner", theirs, "felt_encouraged"
        ),
        encouragement_i_got=_two_views(days, theirs, "encouraged_partner", mine, "felt_encouraged"),
        streak=couple_streak(shared_since, theirs, today, since=partner_since),
        my_notes=tuple(n for n in me.notes if n.day in days),
        partner_notes=tuple(
            n for n in partner.notes if n.shared and n.day in days and revealed(n.day)
        ),
        my_points=_points(days, mine),
        partner_points=_points(days, theirs),
    )
