"""Two views of the same care, from both partners' check-ins: pure, no I/O.

How the care of a day landed in each partner's eyes (the check-in answer and the moments
logged with /bid or /stress, together), and, for one direction of care, the giver's view next
to the receiver's: where one says it landed and the other that it missed is a difference.
:mod:`bot.services.reciprocity` builds the week from these.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import Enum

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


@dataclass(frozen=True)
class MomentEntry:
    """A moment logged with /bid or /stress, on its author's local date."""

    day: date
    kind: str
    outcome: str


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


def day_views(
    answers: Mapping[date, Mapping[str, str]], moments: Sequence[MomentEntry], days: Sequence[date]
) -> dict[date, dict[str, Landed]]:
    """Per day and item, how the care landed in one person's eyes: their check-in answer and
    the moments they logged that day, together."""
    found: dict[date, dict[str, list[Landed]]] = {}
    for day in days:
        for item, value in (answers.get(day) or {}).items():
            if item in _LANDED and (landed := _LANDED[item].get(value)) is not None:
                found.setdefault(day, {}).setdefault(item, []).append(landed)
    wanted = set(days)
    for moment in moments:
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


def two_views(
    days: Sequence[date], giver: Views, giver_item: str, receiver: Views, receiver_item: str
) -> TwoViews:
    """One direction of care over ``days``: the giver's item next to the receiver's, and the
    days one saw it land and the other saw it miss."""
    gave = [(giver.get(day) or {}).get(giver_item) for day in days]
    felt = [(receiver.get(day) or {}).get(receiver_item) for day in days]
    differences = tuple(
        Difference(day, g is Landed.GOOD)
        for day, g, f in zip(days, gave, felt, strict=True)
        if {g, f} == {Landed.GOOD, Landed.MISSED}
    )
    by_day = tuple(zip(gave, felt, strict=True))
    return TwoViews(_tally(gave), _tally(felt), differences, by_day)
