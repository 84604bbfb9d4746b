"""Routing of free input (text, location, anything else) to the question the user has open.

Which question is open lives on the user row (``pending_input``), not in memory, so answers
still land after a restart and plain chatter is never mistaken for an answer. One question is
open at a time: a command or a new question closes it, and the person is told, so words typed
later never land in a question they had left behind. Messages the bot sends on its own (the
evening prompt, a note about the partner) leave it open.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from telegram import ReplyKeyboardRemove

from bot.content import render
from bot.services import accounts
from bot.services.accounts import ZONE_QUESTIONS, PendingInput

if TYPE_CHECKING:
    # Only for types: bot.handlers.turn runs close_on_command in every command's turn.
    from bot.handlers.turn import Turn

# Each runs in the update's turn, with ``turn.user`` the person answering.
TextAnswer = Callable[["Turn", str], Awaitable[None]]
OtherAnswer = Callable[["Turn"], Awaitable[None]]


@dataclass(frozen=True)
class InputRoute:
    """How one kind of open question takes its answer."""

    on_text: TextAnswer
    # Anything that is neither text nor (where accepted) a location: a sticker, a photo...
    on_other: OtherAnswer
    # A shared location, with the time zone there (``None``: none found, at sea say), looked
    # up before the turn's transaction (see :func:`bot.handlers.fallback.input_handlers`).
    on_location: Callable[[Turn, str | None], Awaitable[None]] | None = None
    # The answer is the person's own words (a note, a reflection), kept even when they read
    # like a crisis; the reply then carries the help. Other questions (a time zone…) are
    # answered with the help instead, and stay open.
    keeps_words: bool = False


InputRoutes = Mapping[PendingInput, InputRoute]


def say_set_aside(turn: Turn, previous: PendingInput | None) -> None:
    """Tell the person that the question they had open is closed, unanswered (a command or a
    new question came first), so nothing they type next lands there by surprise."""
    if previous is None:
        return
    words = turn.texts.questions
    what = {
        PendingInput.REFLECTION: words.reflection,
        PendingInput.CHECKIN_NOTE: words.checkin_note,
        PendingInput.NOTE_EDIT: words.note_edit,
        PendingInput.SETTINGS_ZONE: words.settings_zone,
        PendingInput.SETTINGS_TIME: words.settings_time,
    }.get(previous)
    if what is None:  # a setup question: commands never close those
        return
    # The zone question came with a keyboard of its own (location, zones): it goes too.
    markup = ReplyKeyboardRemove() if previous in ZONE_QUESTIONS else None
    turn.reply(render(words.set_aside, what=what), markup)


async def open_question(turn: Turn, question: PendingInput, *, argument: str | None = None) -> None:
    """Open ``question`` for the sender; one still open before is closed, and they are told."""
    previous = await accounts.open_question(
        turn.session, turn.user, question, turn.now, argument=argument
    )
    say_set_aside(turn, previous)


async def close_on_command(turn: Turn) -> None:
    """Any command closes the open question first, in the command's own turn (the turn
    calls this before the command's handler, see ``bot.handlers.turn``); /cancel says it
    itself."""
    if turn.sender is None or turn.message.text is None:
        return
    command = turn.message.text.split(maxsplit=1)[0].split("@", 1)[0].lower()
    if command == "/cancel":
        return
    say_set_aside(turn, await accounts.close_for_command(turn.session, turn.sender, turn.now))
