"""What landed in a couple's week: the first thing ``/us`` and the digest say. Pure, no I/O.

Keeping score is linked with lower satisfaction in close relationships, so the week leads with
the care that reached the other (bids turned toward, being there on a hard day, encouragement),
counted for the two of you together, and the days you both showed up — never one partner's
tally beside the other's. Where the giver and the receiver saw the same day differently, that
is named as a difference in view, not as a miss. The per-person figures stay honest, in the
details (:mod:`bot.views.week`).

:func:`what_landed` takes a :class:`~bot.services.reciprocity.WeekSummary` and returns a
:class:`WhatLanded`: any screen (the chat, a web page) renders it in its own words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from bot.services.differences import Landed, TwoViews
from bot.services.reciprocity import WeekSummary

AREAS = ("bids", "harbor", "encouragement")


@dataclass(frozen=True)
class AreaLanded:
    """One area of care over the week, both directions together: how many times it landed
    fully, and partly, as the receiver felt it (as the giver saw it where the receiver has
    not said). ``asked``: times there was something to give at all (a bid, a hard day)."""

    area: str
    landed: int = 0
    partly: int = 0
    asked: int = 0

    @property
    def has_data(self) -> bool:
        return self.asked > 0


@dataclass(frozen=True)
class Gap:
    """A day the giver and the receiver saw the same care differently (one felt it land, the
    other not): a difference in view, named with its area and day."""

    day: date
    area: str
    i_gave: bool  # the viewer was the giver that day
    giver_saw_it_land: bool


@dataclass(frozen=True)
class WhatLanded:
    """The lead of the week, for the viewer. ``checked_in_days``: days both checked in (for a
    couple; revealed days only), or the viewer's own days when not paired."""

    paired: bool
    checked_in_days: int
    areas: tuple[AreaLanded, ...]
    matched_bids: int
    moments: int
    streak: int
    hidden_days: int
    gaps: tuple[Gap, ...]

    def area(self, name: str) -> AreaLanded:
        return next(area for area in self.areas if area.area == name)

    @property
    def anything(self) -> bool:
        """Whether the week holds anything to lead with (else "nothing yet")."""
        return bool(
            self.checked_in_days
            or self.matched_bids
            or self.moments
            or self.hidden_days
            or any(area.has_data for area in self.areas)
        )


def _as_felt(views: TwoViews) -> list[Landed | None]:
    """Day by day, the receiver's feeling, else the giver's view."""
    return [felt if felt is not None else gave for gave, felt in views.by_day]


def _area(name: str, directions: Sequence[TwoViews], matched: int = 0) -> AreaLanded:
    """``matched``: bids met outside the check-in (appreciations answered), counted in."""
    values = [value for views in directions for value in _as_felt(views) if value is not None]
    return AreaLanded(
        name,
        landed=sum(value is Landed.GOOD for value in values) + matched,
        partly=sum(value is Landed.PARTLY for value in values),
        asked=len(values) + matched,
    )


def what_landed(summary: WeekSummary) -> WhatLanded:
    """The week's lead: what reached the other, for the two of you together."""
    paired = summary.partner is not None
    directions = {
        "bids": (summary.bids_i_gave, summary.bids_i_got),
        "harbor": (summary.harbor_i_gave, summary.harbor_i_got),
        "encouragement": (summary.encouragement_i_gave, summary.encouragement_i_got),
    }
    # An answered appreciation is a bid turned toward, the same for both partners.
    areas = tuple(
        _area(
            name,
            directions[name] if paired else directions[name][:1],
            summary.matched_bids if name == "bids" else 0,
        )
        for name in AREAS
    )
    gaps = sorted(
        (
            Gap(
                difference.day,
                name,
                i_gave=index == 0,
                giver_saw_it_land=difference.giver_saw_it_land,
            )
            for name in AREAS
            for index, views in enumerate(directions[name])
            for difference in views.differences
        ),
        key=lambda gap: (gap.day, AREAS.index(gap.area)),
    )
    moments = summary.me.moments + (summary.partner.moments if summary.partner else 0)
    return WhatLanded(
        paired=paired,
        checked_in_days=summary.both_days if paired else summary.me.checked_in_days,
        areas=areas,
        matched_bids=summary.matched_bids,
        moments=moments,
        streak=summary.streak,
        hidden_days=summary.hidden_days,
        gaps=tuple(gaps) if paired else (),
    )
