"""Notes and reflections: the "saved" reply under each, and sharing or unsharing it.

A note shared with a partner reaches them in full, at once; one shared while unpaired is
marked shared, and the reply says the partner will see it once there is one.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import CallbackQueryHandler

from bot.content import Framework, Texts, render
from bot.handlers.safety import help_before, reads_like_crisis, reply_with_help
from bot.handlers.turn import Handlers, Turn, for_known_sender
from bot.services import notes
from bot.services.notes import MAX_NOTE_LENGTH
from bot.services.ping_budget import Kind
from bot.storage.models import Note, User
from bot.views import callbacks, keyboards


def share_keyboard(texts: Texts, note: Note, *, shared: bool) -> InlineKeyboardMarkup:
    """Share (or make private again); under a reflection, also the way back to the course."""
    words = texts.notes
    label, target = (words.unshare_button, "private") if shared else (words.share_button, "shared")
    rows = [[keyboards.button(label, callbacks.NOTE, f"{note.id}:{target}")]]
    if note.framework_id is not None:
        rows.append([back_to_course(texts)])
    return InlineKeyboardMarkup(rows)


def back_to_course(texts: Texts) -> InlineKeyboardButton:
    """Opens the course where its reader left off (the menu's "Learn")."""
    return keyboards.button(texts.notes.back_to_course_button, callbacks.MENU, "learn")


def refuse_if_too_long(turn: Turn, text: str) -> bool:
    """Say so (and keep the question open) if ``text`` is longer than a note may be."""
    if len(text) <= MAX_NOTE_LENGTH:
        return False
    refusal = render(turn.texts.notes.too_long, limit=turn.texts.number(MAX_NOTE_LENGTH))
    reply_with_help(turn, text, refusal)
    return True


def confirm_saved(turn: Turn, note: Note, text: str) -> None:
    """The "saved, private" reply under every new note, with its share button.

    Words that read like a crisis get the help first, and no share button: one mis-tap must
    not show them to the partner (who may be the danger). They stay private.
    """
    saved = turn.texts.notes.saved
    if reads_like_crisis(turn.context, text):
        turn.reply(help_before(turn, saved), no_preview=True)
    else:
        turn.reply(saved, share_keyboard(turn.texts, note, shared=False))


def step_title(frameworks: dict[str, Framework], note: Note) -> str | None:
    """The title of the course step a reflection answers, if it is still in the course."""
    framework = frameworks.get(note.framework_id or "")
    section = framework.step_section(note.step) if framework and note.step else None
    return section.title if section is not None else None


def shared_with_you(turn: Turn, partner: User, note: Note) -> str:
    """What the partner receives, in their language: the note in full, and whose it is."""
    words, author = turn.texts_for(partner).notes, turn.user.first_name
    title = step_title(turn.services.frameworks_for(partner.language), note)
    if title is not None:
        return render(words.reflection_shared_with_you, partner=author, step=title, text=note.body)
    return render(words.note_shared_with_you, partner=author, text=note.body)


@for_known_sender
async def share_note(turn: Turn) -> None:
    note_id, shared = int(turn.match["note"]), turn.match["visibility"] == "shared"
    outcome = await notes.set_note_shared(
        turn.session, turn.user, note_id, shared=shared, crisis=turn.services.crisis
    )
    if outcome is None:
        turn.stale()
        return
    turn.answer()
    words = turn.texts.notes
    if outcome.refused:  # the help instead, as under a new note with such words
        back = [[back_to_course(turn.texts)]] if outcome.note.framework_id is not None else []
        markup = InlineKeyboardMarkup(back) if back else None
        turn.edit(help_before(turn, words.saved), markup, no_preview=True)
        return
    partnership = outcome.partnership
    if outcome.held:
        turn.edit(
            turn.texts.quiet.note_kept, share_keyboard(turn.texts, outcome.note, shared=False)
        )
        return
    if not shared:
        text = words.saved
    elif partnership is None:
        text = words.shared_unpaired
    else:
        text = render(words.shared, partner=partnership.partner.first_name)
        if outcome.changed:  # a second tap tells them nothing new
            turn.tell(
                partnership.partner,
                shared_with_you(turn, partnership.partner, outcome.note),
                unasked=Kind.NOTE,
                note=outcome.note.id,
            )
    turn.edit(text, share_keyboard(turn.texts, outcome.note, shared=shared))


HANDLERS: Handlers = [
    CallbackQueryHandler(
        share_note,
        pattern=callbacks.pattern(
            callbacks.NOTE, rf"(?P<note>{callbacks.ID}):(?P<visibility>shared|private)"
        ),
    ),
]
