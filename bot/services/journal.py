"""Someone's own journal: what they wrote and answered, newest first, a page at a time.

Only the reader's own entries are ever read here; the partner's never are. A note whose words
read like someone in danger is listed without them (``behind_tap``): a journal page is
something people show each other, or read over a shoulder; its words are one tap away.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.together import TogetherContent
from bot.storage import drafts, journal
from bot.storage.models import Note, PrivateDraft, User

PAGE_SIZE = 5


@dataclass(frozen=True)
class NoteEntry:
    note: Note
    # Its words read like a crisis: listed without them, shown only once opened.
    behind_tap: bool = False


@dataclass(frozen=True)
class CheckinEntry:
    day: date
    answered_at: datetime
    answers: dict[str, str]
    # Opens the day, where it can be kept to oneself (or shared again).
    checkin_id: int = 0


@dataclass(frozen=True)
class DraftEntry:
    """Words for the partner kept back as a private draft (never sent): the author's only."""

    draft: PrivateDraft
    # An answer to a question about growing up, held for its author's "share" or "keep it to
    # myself" (or kept): not words kept back for reading like a crisis, and named as such.
    about_growing_up: bool = False


def _entry(
    draft: PrivateDraft,
    question_keys: dict[int, str],
    content: TogetherContent,
    reads_like_crisis: Callable[[str], bool],
) -> DraftEntry:
    """A draft as the journal lists it: an answer about growing up is held for the choice
    every such answer gets (:func:`bot.services.talk.asks_before_sharing`); one whose words
    read like a crisis was kept back for that, whatever the question."""
    key = question_keys.get(draft.question_id) if draft.question_id is not None else None
    question = content.question(key) if key is not None else None
    childhood = (
        draft.kind == drafts.TALK_ANSWER
        and question is not None
        and question.childhood
        and not reads_like_crisis(draft.body)
    )
    return DraftEntry(draft, about_growing_up=childhood)


Entry = NoteEntry | CheckinEntry | DraftEntry


@dataclass(frozen=True)
class JournalPage:
    entries: list[Entry]
    page: int  # 0 is the newest
    pages: int


def page_count(total: int) -> int:
    """Pages for ``total`` entries; an empty journal still has its one (empty) page."""
    return max(1, -(-total // PAGE_SIZE))


async def journal_page(
    session: AsyncSession,
    user: User,
    page: int,
    reads_like_crisis: Callable[[str], bool],
    content: TogetherContent,
) -> JournalPage:
    """Page ``page`` of ``user``'s journal; a page past the end (the journal shrank since the
    button was made) shows the last one. ``reads_like_crisis``: the crisis matcher, which
    puts a note behind a tap; ``content``: the question bank, which names an answer about
    growing up."""
    keys = await journal.entry_keys(session, user.id)
    pages = page_count(len(keys))
    page = min(max(page, 0), pages - 1)
    shown = keys[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    notes = await journal.notes_by_id(
        session, user.id, [key_id for kind, key_id, _ in shown if kind == journal.NOTE]
    )
    answers = await journal.checkin_answers(
        session, user.id, [key_id for kind, key_id, _ in shown if kind == journal.CHECKIN]
    )
    kept = await drafts.unsent(
        session, user.id, [key_id for kind, key_id, _ in shown if kind == journal.DRAFT]
    )
    question_keys = await drafts.question_keys(session, list(kept.values()))
    entries: list[Entry] = []
    for kind, key_id, at in shown:
        if kind == journal.NOTE and key_id in notes:
            note = notes[key_id]
            entries.append(NoteEntry(note, behind_tap=reads_like_crisis(note.body)))
        elif kind == journal.CHECKIN and key_id in answers:
            day, values = answers[key_id]
            entries.append(CheckinEntry(day, at, values, key_id))
        elif kind == journal.DRAFT and key_id in kept:
            entries.append(_entry(kept[key_id], question_keys, content, reads_like_crisis))
    return JournalPage(entries, page, pages)


async def own_draft(
    session: AsyncSession,
    user: User,
    draft_id: int,
    reads_like_crisis: Callable[[str], bool],
    content: TogetherContent,
) -> DraftEntry | None:
    """``user``'s unsent draft ``draft_id``, to read in full, named as on the page; ``None``
    if not theirs, sent or erased since the button was made."""
    draft = (await drafts.unsent(session, user.id, [draft_id])).get(draft_id)
    if draft is None:
        return None
    question_keys = await drafts.question_keys(session, [draft])
    return _entry(draft, question_keys, content, reads_like_crisis)
