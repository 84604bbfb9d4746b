"""The ping budget: at most three messages a day that a person did not ask for, in their
own local day. Pure rules, no I/O (the bookkeeping is :mod:`bot.services.pings`).

Why three: the evening check-in and its one reminder are the daily loop the bot exists for;
everything else the bot or the partner sets off (the day side by side, the weekly question,
the digest, a tip, the nudge, a partner's shared note or answer) competes for ONE more slot.
On a day it is taken, the rest is not dropped: it is *held*, and comes merged into ONE
message (see :func:`merge`) with the next unasked message that may go — just before the next
check-in at the latest — except the nudge, which is *merged into the reminder* (a day-old
"they have checked in" would be noise).

Never counted and never held — they are not "unasked": crisis help and replies to the
person's own actions (the second partner's both-answered day comes as a reply to their
answer), and an appreciation the partner wrote (a person's words to their partner are not
ours to delay).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import Enum, StrEnum
from typing import Any

DAILY_LIMIT = 3  # the check-in, its reminder, and one more


class Kind(StrEnum):
    """What an unasked message is; stored with what was sent or held."""

    CHECKIN = "checkin"
    REMINDER = "reminder"
    SHARED_DAY = "shared_day"
    WEEKLY_QUESTION = "weekly_question"
    DIGEST = "digest"
    TIP = "tip"
    TIPS_OFFER = "tips_offer"
    NUDGE = "nudge"
    NOTE = "note"  # a note the partner shared
    QUESTION = "question"  # the partner asked a question, answered one, or both answers
    NOTICE = "notice"  # a one-time notice (e.g. the question day moved)
    HELD = "held"  # what was held, delivered together before the check-in


# At most one of each a day by construction (one check-in row per day, reminded once).
OWN_SLOTS = frozenset({Kind.CHECKIN, Kind.REMINDER})


class Verdict(Enum):
    NOW = "now"  # send it, taking the day's extra slot (or its own, for the check-in)
    HOLD = "hold"  # keep it for the next check-in
    WITH_REMINDER = "with reminder"  # say it in the reminder instead


def verdict(kind: Kind, *, extra_taken: bool) -> Verdict:
    """What may go now. ``extra_taken``: something other than the check-in and its reminder
    already went today."""
    if kind in OWN_SLOTS or not extra_taken:
        return Verdict.NOW
    if kind is Kind.NUDGE:
        return Verdict.WITH_REMINDER
    return Verdict.HOLD


@dataclass(frozen=True)
class Waiting:
    """One held message, as stored: its text and its buttons (an inline keyboard's JSON)."""

    id: int
    kind: Kind
    day: date  # the receiver's local day it was held on
    text: str
    markup: str | None = None


@dataclass(frozen=True)
class Merged:
    text: str
    markup: dict[str, Any] | None  # an inline keyboard's data, all buttons in order
    sent: tuple[int, ...]  # the ids it carries
    dropped: tuple[int, ...]  # ids that no longer apply (done with, never sent)


SEPARATOR = "\n\n· · ·\n\n"
# One Telegram message: what does not fit waits for the next check-in (parts would each
# count as a message).
MESSAGE_LIMIT = 4096


def merge(waiting: Sequence[Waiting], today: date, limit: int = MESSAGE_LIMIT) -> Merged | None:
    """What is held, as ONE message, oldest first; ``None`` if nothing is to be sent. A held
    nudge from before ``today`` is dropped: it asked to check in on a day that is over. What
    would make the message longer than ``limit`` is left for the next time (the first item
    always goes, so nothing waits forever)."""
    texts: list[str] = []
    rows: list[Any] = []
    sent: list[int] = []
    dropped: list[int] = []
    length = 0
    for item in waiting:
        if item.kind is Kind.NUDGE and item.day < today:
            dropped.append(item.id)
            continue
        added = len(item.text) + (len(SEPARATOR) if texts else 0)
        if texts and length + added > limit:
            break
        texts.append(item.text)
        length += added
        sent.append(item.id)
        if item.markup is not None:
            rows.extend(json.loads(item.markup).get("inline_keyboard", []))
    if not texts:
        return Merged("", None, (), tuple(dropped)) if dropped else None
    markup = {"inline_keyboard": rows} if rows else None
    return Merged(SEPARATOR.join(texts), markup, tuple(sent), tuple(dropped))


def ahead_of(
    held: Merged | None, text: str, markup: dict[str, Any] | None
) -> tuple[str, dict[str, Any] | None]:
    """A message that may go now, with what was held in front of it: one message, the
    buttons of all in order."""
    if held is None or not held.sent:
        return text, markup
    rows = [
        *(held.markup or {}).get("inline_keyboard", []),
        *(markup or {}).get("inline_keyboard", []),
    ]
    return f"{held.text}{SEPARATOR}{text}", ({"inline_keyboard": rows} if rows else None)


def with_nudges(reminder: str, nudges: Sequence[str]) -> str:
    """The reminder, saying first what the held nudges said (once, even if several)."""
    unique = list(dict.fromkeys(nudges))
    return "\n\n".join([*unique, reminder])
