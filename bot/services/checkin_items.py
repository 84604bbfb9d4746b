"""What the evening check-in asks, and in which order: pure data and rules, no I/O.

The keys and option values here are what is stored and what the reciprocity figures read;
the words shown for them live in ``texts.toml`` (``[checkin.items.*]``), checked against this
list at start-up by :func:`check_labels`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.content import ContentError, Texts


@dataclass(frozen=True)
class Item:
    key: str
    options: tuple[str, ...]
    weekly: bool = False
    # Asked only when an earlier answer makes it meaningful.
    unless: tuple[str, str] | None = None


ITEMS: tuple[Item, ...] = (
    Item("bids_noticed", ("none", "few", "some", "many")),
    Item("bids_response", ("toward", "missed", "away"), unless=("bids_noticed", "none")),
    Item("bids_made", ("none", "met", "partly", "missed")),
    # Stress, one thing at a time: was the day stressful, then (only if so) was support there.
    Item("stressed_me", ("yes", "no")),
    Item("support_received", ("yes", "somewhat", "no"), unless=("stressed_me", "no")),
    Item("stressed_partner", ("yes", "no")),
    Item("support_given", ("yes", "somewhat", "no"), unless=("stressed_partner", "no")),
    # Once a week: the seed's step 4, supporting each other's own pursuits.
    Item("encouraged_partner", ("yes", "somewhat", "no"), weekly=True),
    Item("felt_encouraged", ("yes", "somewhat", "no"), weekly=True),
)
ITEMS_BY_KEY = {item.key: item for item in ITEMS}

# What a moment logged with /bid or /stress can be, and its possible outcomes.
MOMENT_OUTCOMES: dict[str, tuple[str, ...]] = {
    "bid_made": ("met", "partly", "missed"),
    "bid_noticed": ("toward", "missed", "away"),
    "stress_mine": ("yes", "somewhat", "no"),
    "stress_partner": ("yes", "somewhat", "no"),
}


def items_for(*, weekly: bool) -> tuple[Item, ...]:
    return tuple(item for item in ITEMS if weekly or not item.weekly)


def is_asked(item: Item, answers: Mapping[str, str]) -> bool:
    return item.unless is None or answers.get(item.unless[0]) != item.unless[1]


def next_item(answers: Mapping[str, str], *, weekly: bool) -> Item | None:
    """The first question still to answer, or ``None`` when the check-in is complete."""
    for item in items_for(weekly=weekly):
        if item.key not in answers and is_asked(item, answers):
            return item
    return None


def not_asked_now(answers: Mapping[str, str], *, weekly: bool) -> list[str]:
    """Answered items that an answer changed since has made meaningless (no bids noticed
    any more, so no "how did you respond"): to be forgotten."""
    return [
        item.key
        for item in items_for(weekly=weekly)
        if item.key in answers and not is_asked(item, answers)
    ]


def accepts(key: str, value: str, *, weekly: bool) -> bool:
    item = ITEMS_BY_KEY.get(key)
    return item is not None and value in item.options and (weekly or not item.weekly)


def check_labels(texts: Texts, source: str = "texts.toml") -> None:
    """Every item and option needs words, and no words may be left without an item."""
    labels = texts.checkin.items
    for item in ITEMS:
        if item.key not in labels:
            raise ContentError(f"{source}: checkin.items.{item.key} is missing")
        if set(labels[item.key].options) != set(item.options):
            raise ContentError(
                f"{source}: checkin.items.{item.key}.options must be exactly "
                f"{', '.join(item.options)}"
            )
    extra = set(labels) - set(ITEMS_BY_KEY)
    if extra:
        raise ContentError(f"{source}: checkin.items.{sorted(extra)[0]} is not a known item")
    for kind, outcomes in MOMENT_OUTCOMES.items():
        if set(texts.moments.outcomes.get(kind, {})) != set(outcomes):
            raise ContentError(
                f"{source}: moments.outcomes.{kind} must be exactly {', '.join(outcomes)}"
            )


def completion_rule() -> tuple[tuple[str, ...], dict[tuple[str, str], int]]:
    """The daily items, and for each (item, value) answer how many daily items it makes not
    asked: a day is complete when its daily answers and those counts add up to the number of
    daily items (:func:`complete_by_counts`), so a database can count it without the answers
    leaving it (the couple streak looks back months)."""
    daily = items_for(weekly=False)
    skips: dict[tuple[str, str], int] = {}
    for item in daily:
        if item.unless is not None:
            skips[item.unless] = skips.get(item.unless, 0) + 1
    return tuple(item.key for item in daily), skips


def complete_by_counts(answered_daily: int, not_asked: int) -> bool:
    """Whether a day is complete, from :func:`completion_rule`'s counts (an answer that made
    a question not asked takes that question's answer with it, so the two never overlap)."""
    return answered_daily + not_asked == len(items_for(weekly=False))
