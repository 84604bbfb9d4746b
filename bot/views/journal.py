"""The journal as the reader sees it: a page of entries, one note in full, and their buttons."""

from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.content import Framework, Html, Texts, render
from bot.services.hidden_days import DaySharing
from bot.services.journal import CheckinEntry, DraftEntry, JournalPage, NoteEntry
from bot.storage.drafts import APPRECIATION, PENDING, REPLY
from bot.storage.models import Note
from bot.timezones import local_now
from bot.views import callbacks, keyboards
from bot.views.text import shorten

# How much of a note a page shows; the whole of it is one tap away.
PREVIEW = 300


def _day(texts: Texts, zone: str, at: datetime) -> str:
    return texts.date(local_now(zone, at), texts.journal.day_format)


def note_what(texts: Texts, frameworks: dict[str, Framework], note: Note) -> str:
    words = texts.journal
    if note.checkin_id is not None:
        return words.checkin_note_what
    framework = frameworks.get(note.framework_id or "")
    section = framework.step_section(note.step) if framework and note.step else None
    if section is not None:
        return render(words.reflection_what, step=section.title)
    return words.reflection_gone_what if note.framework_id else words.note_what


def note_mark(texts: Texts, note: Note) -> str:
    return texts.journal.shared_mark if note.visibility == "shared" else texts.journal.private_mark


def answers_line(texts: Texts, entry: CheckinEntry) -> str:
    """ "Bids noticed: 1–2 · I mostly: Turned toward …", in the order they were answered;
    an item the texts no longer know is left out."""
    parts = []
    for item, value in entry.answers.items():
        labels = texts.checkin.items.get(item)
        if labels is not None and value in labels.options:
            parts.append(
                render(
                    texts.journal.answer, question=Html(labels.short), answer=labels.options[value]
                )
            )
    return texts.journal.answer_separator.join(parts)


def draft_what(texts: Texts, entry: DraftEntry) -> str:
    """What a draft is: words kept back (a thank-you, a reply, an answer), or an answer about
    growing up not shared yet, or kept to oneself."""
    words, draft = texts.journal, entry.draft
    if entry.about_growing_up:
        waiting = draft.state == PENDING
        return words.growing_up_waiting_what if waiting else words.growing_up_kept_what
    return {
        APPRECIATION: words.draft_appreciation_what,
        REPLY: words.draft_reply_what,
    }.get(draft.kind, words.draft_answer_what)


def _draft_line(texts: Texts, zone: str, number: int, entry: DraftEntry, button: str) -> str:
    """A draft's words read like someone in danger (that is why it was kept back), or answer
    a question about growing up: like such a note, it is listed without them, one tap away."""
    words = texts.journal
    return render(
        words.note_behind_tap,
        number=number,
        day=_day(texts, zone, entry.draft.created_at),
        what=Html(draft_what(texts, entry)),
        mark=words.private_mark,
        button=button,
    )


def draft_view(
    texts: Texts, zone: str, entry: DraftEntry, page: int
) -> tuple[str, InlineKeyboardMarkup]:
    """One private draft in full, read-only: its buttons are where it was kept."""
    text = render(
        texts.journal.note_view,
        day=_day(texts, zone, entry.draft.created_at),
        what=Html(draft_what(texts, entry)),
        mark=texts.journal.private_mark,
        body=entry.draft.body,
    )
    return text, InlineKeyboardMarkup([[back_button(texts, page)]])


def page_view(
    texts: Texts, frameworks: dict[str, Framework], zone: str, page: JournalPage
) -> tuple[str, InlineKeyboardMarkup | None]:
    words = texts.journal
    if not page.entries:
        return words.empty, None
    lines: list[str] = []
    opens: list[InlineKeyboardButton] = []
    for number, entry in enumerate(page.entries, start=1):
        if isinstance(entry, NoteEntry):
            note = entry.note
            button = render(words.open_button, number=number)
            about = {
                "number": number,
                "day": _day(texts, zone, note.created_at),
                "what": Html(note_what(texts, frameworks, note)),
                "mark": note_mark(texts, note),
            }
            if entry.behind_tap:  # words of danger: not on the page, one tap away
                lines.append(render(words.note_behind_tap, button=button, **about))
            else:
                lines.append(render(words.note_line, body=shorten(note.body, PREVIEW), **about))
            opens.append(keyboards.button(button, callbacks.JOURNAL, f"n:{note.id}:{page.page}"))
        elif isinstance(entry, DraftEntry):
            button = render(words.open_button, number=number)
            lines.append(_draft_line(texts, zone, number, entry, button))
            opens.append(
                keyboards.button(button, callbacks.JOURNAL, f"r:{entry.draft.id}:{page.page}")
            )
        else:
            lines.append(
                render(
                    words.checkin_line,
                    number=number,
                    day=texts.date(entry.day, words.day_format),
                    answers=Html(answers_line(texts, entry)),
                )
            )
            button = render(texts.sharing.open_day_button, number=number)
            payload = f"o:{entry.checkin_id}:{page.page}"
            opens.append(keyboards.button(button, callbacks.SHARING, payload))
    title = render(words.title, page=page.page + 1, pages=page.pages)
    rows = [opens[i : i + 5] for i in range(0, len(opens), 5)]
    moves = []
    if page.page > 0:
        moves.append(keyboards.button(words.newer_button, callbacks.JOURNAL, f"p:{page.page - 1}"))
    if page.page + 1 < page.pages:
        moves.append(keyboards.button(words.older_button, callbacks.JOURNAL, f"p:{page.page + 1}"))
    if moves:
        rows.append(moves)
    return title + "\n\n" + "\n\n".join(lines), InlineKeyboardMarkup(rows)


def note_view(
    texts: Texts, frameworks: dict[str, Framework], zone: str, note: Note, page: int
) -> tuple[str, InlineKeyboardMarkup]:
    """One note in full (notes are at most 4,000 characters: one message), with what can be
    done to it."""
    words = texts.journal
    text = render(
        words.note_view,
        day=_day(texts, zone, note.created_at),
        what=Html(note_what(texts, frameworks, note)),
        mark=note_mark(texts, note),
        body=note.body,
    )
    return text, InlineKeyboardMarkup(
        [
            [
                keyboards.button(words.edit_button, callbacks.JOURNAL, f"e:{note.id}:{page}"),
                keyboards.button(words.delete_button, callbacks.JOURNAL, f"d:{note.id}:{page}"),
            ],
            [back_button(texts, page)],
        ]
    )


def day_view(texts: Texts, day: DaySharing, page: int) -> tuple[str, InlineKeyboardMarkup]:
    """A check-in day opened from the journal: the person's own answers, whether the day
    reaches their partner, and the button to keep it to themselves (or share it again)."""
    words = texts.sharing
    partner = day.partner.first_name if day.partner is not None else None
    if partner is None:
        status = words.status_alone
    else:
        status = render(words.status_kept if day.kept else words.status_shared, partner=partner)
    entry = CheckinEntry(day.day, datetime.min, day.answers)
    text = render(
        words.journal_day,
        day=texts.date(day.day, texts.journal.day_format),
        answers=Html(answers_line(texts, entry)),
        status=Html(status),
    )
    rows = []
    if partner is not None:
        action, label = ("s", words.share_again_button) if day.kept else ("k", words.keep_button)
        payload = f"{action}:{day.checkin_id}:{page}"
        rows.append([keyboards.button(label, callbacks.SHARING, payload)])
    rows.append([back_button(texts, page)])
    return text, InlineKeyboardMarkup(rows)


def back_button(texts: Texts, page: int) -> InlineKeyboardButton:
    return keyboards.button(texts.journal.back_button, callbacks.JOURNAL, f"p:{page}")


def delete_question(texts: Texts, note: Note, page: int) -> tuple[str, InlineKeyboardMarkup]:
    words = texts.journal
    return render(words.delete_question, body=shorten(note.body, PREVIEW)), InlineKeyboardMarkup(
        [
            [
                keyboards.button(
                    words.delete_confirm_button, callbacks.JOURNAL, f"x:{note.id}:{page}"
                ),
                keyboards.button(
                    words.delete_cancel_button, callbacks.JOURNAL, f"n:{note.id}:{page}"
                ),
            ]
        ]
    )
