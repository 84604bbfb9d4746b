"""Routing of free input (text, location, anything else) to the question the user has open.

Which question is open lives on the user row (``pending_input``), not in memory, so answers
still land after a restart and plain chatter is never mistaken for an answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from bot.handlers.turn import Turn
from bot.services.accounts import PendingInput

# Each runs in the update's turn, with ``turn.user`` the person answering.
TextAnswer = Callable[[Turn, str], Awaitable[None]]
OtherAnswer = Callable[[Turn], Awaitable[None]]


@dataclass(frozen=True)
class InputRoute:
    """How one kind of open question takes its answer."""

    on_text: TextAnswer
    # Anything that is neither text nor (where accepted) a location: a sticker, a photo...
    on_other: OtherAnswer
    on_location: OtherAnswer | None = None
    # The answer is the person's own words (a note, a reflection), kept even when they read
    # like a crisis; the reply then carries the help. Other questions (a time zone…) are
    # answered with the help instead, and stay open.
    keeps_words: bool = False


InputRoutes = Mapping[PendingInput, InputRoute]
