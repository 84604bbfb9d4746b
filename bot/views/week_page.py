"""The Mini App's week and journal as JSON: what the page shows, as plain text, no I/O.

The page (bot/web/static/) sets every string with ``textContent``; nothing here is HTML. The
texts are the bot's own (``texts.toml``, the person's language); those written for the chat
carry Telegram HTML, which :func:`plain` takes off again (names and notes were escaped by
``render`` and come back as the characters they are: the page shows them as text).

What is shown is what ``/us`` shows (:class:`bot.services.weekly.WeekView`, built under the
one reveal rule of :mod:`bot.storage.scope`): the partner's side of a day only once it is
revealed; a day not shared, for whatever reason, says only that; a day one of the two kept
shows "not shared" on both sides, to both; while sharing is paused (or after a quiet end),
only one's own side and the chat's neutral line. What landed is the chat's own lead
(:func:`bot.services.landed.what_landed`, in :func:`bot.views.week.landed_lines`' words), so
the chat and the page never tell the same week two ways.
"""

from __future__ import annotations

import html
import re
from datetime import date, datetime, timedelta
from typing import Any

from bot.content import Framework, Texts, render
from bot.services.differences import Landed, TwoViews
from bot.services.journal import CheckinEntry, DraftEntry, JournalPage, NoteEntry
from bot.services.landed import what_landed
from bot.services.reciprocity import WeekSummary
from bot.services.weekly import WeekView, weeks_since
from bot.timezones import local_now
from bot.views.journal import answers_line, draft_what, note_mark, note_what
from bot.views.week import has_something_to_show, landed_lines, landed_mark

Json = dict[str, Any]

_TAG = re.compile(r"<[^>]*>")


def plain(text: str) -> str:
    """Telegram HTML as plain text: tags off first, then entities back to characters (so an
    escaped ``&lt;img&gt;`` in a name becomes the text ``<img>``, never a tag)."""
    return html.unescape(_TAG.sub("", text)).strip()


def _areas(summary: WeekSummary) -> list[tuple[str, TwoViews, TwoViews]]:
    return [
        ("bids", summary.bids_i_gave, summary.bids_i_got),
        ("harbor", summary.harbor_i_gave, summary.harbor_i_got),
        ("encouragement", summary.encouragement_i_gave, summary.encouragement_i_got),
    ]


def landed_json(texts: Texts, view: WeekView) -> list[str]:
    """What landed, as the first screen of ``/us`` says it (:func:`bot.views.week.landed_lines`
    over :func:`bot.services.landed.what_landed`): days both checked in, the times you were
    there for each other (partly as partly), matched bids; "not yet this week" rather than a
    zero, and never one partner's count beside the other's."""
    landed = what_landed(view.summary)
    if not (landed.anything or has_something_to_show(view)):
        return [plain(texts.us.nothing_yet)]
    return [plain(line) for line in landed_lines(texts, landed)]


def _note(texts: Texts, view: WeekView) -> str | None:
    """Under the lead, as in the chat: while sharing is paused (by either, never said which)
    or has ended quietly, only the neutral line; unpaired, the invitation to pair."""
    if view.partner is not None:
        return None
    return plain(texts.quiet.nothing_new if view.sharing_off else texts.us.invite_to_pair)


# --- the week ---------------------------------------------------------------------------------


def oldest_weeks_back(view: WeekView) -> int:
    """How far back the page goes: the couple's first week (never a week before it, which
    would be the viewer's alone or an earlier couple's), or the viewer's first, unpaired."""
    if view.first_day is None:
        return view.oldest_weeks_back
    today = view.summary.days[-1] + timedelta(weeks=view.weeks_back)
    return min(view.oldest_weeks_back, weeks_since(view.first_day, today))


def _lines(texts: Texts, sides: list[tuple[str, Landed | None, Landed | None]]) -> list[str]:
    """``(area, as giver, as receiver)`` of one person's day as lines."""
    words = texts.mini_app
    names = {
        "bids": words.bids_area,
        "harbor": words.harbor_area,
        "encouragement": words.encouragement_area,
    }
    lines = []
    for area, gave, felt in sides:
        if gave is not None:
            lines.append(
                plain(render(words.giving, area=names[area], mark=landed_mark(texts, gave)))
            )
        if felt is not None:
            lines.append(
                plain(render(words.receiving, area=names[area], mark=landed_mark(texts, felt)))
            )
    return lines


def _at(views: TwoViews, index: int) -> tuple[Landed | None, Landed | None]:
    """(giver's view, receiver's view) of day ``index``; none for a side with no days at
    all (unpaired: nobody gives to the viewer)."""
    return views.by_day[index] if index < len(views.by_day) else (None, None)


def _day(texts: Texts, view: WeekView, index: int, day: date, partner: str | None) -> Json:
    summary, words = view.summary, texts.mini_app
    label = texts.date(day, texts.us.day_format)
    if day in summary.not_shared:
        # Kept by one of the two: nothing of either side was read. Both sides say the same,
        # on both phones: never who, never why.
        kept = [plain(words.kept_day)]
        found: Json = {"label": label, "me": kept, "myNotes": [], "kept": True, "quiet": False}
        found["marks"] = {"me": False}
        if partner is not None:
            found |= {"partner": kept, "partnerNotes": [], "marks": {"me": False, "partner": False}}
        return found
    areas = _areas(summary)
    mine = _lines(texts, [(a, _at(given, index)[0], _at(got, index)[1]) for a, given, got in areas])
    me = mine or [plain(words.quiet_day if day in summary.my_days else words.my_nothing)]
    my_notes = [note.body for note in summary.my_notes if note.day == day]
    found = {"label": label, "me": me, "myNotes": my_notes}
    if partner is None:
        found["marks"] = {"me": day in summary.my_days}
        found["quiet"] = not mine and day not in summary.my_days
        return found
    theirs = _lines(
        texts, [(a, _at(got, index)[0], _at(given, index)[1]) for a, given, got in areas]
    )
    if day in summary.revealed_days and (theirs or day in summary.partner_days):
        found["partner"] = theirs or [plain(words.quiet_day)]
        found["partnerNotes"] = [n.body for n in summary.partner_notes if n.day == day]
    elif day in summary.waiting_days:
        found["partner"] = [plain(render(words.after_yours, partner=partner))]
    else:
        found["partner"] = [plain(words.not_shared)]
    found["marks"] = {"me": day in summary.my_days, "partner": day in summary.partner_days}
    # Nothing from either: one short line on the page instead of a card.
    found["quiet"] = (
        not mine and not theirs and not (summary.my_days | summary.partner_days) & {day}
    )
    return found


def _seen_differently(texts: Texts, summary: WeekSummary, partner: str) -> list[str]:
    """The days the two saw differently, in the chat's own words for them, by day."""
    lines = texts.us.differences
    found = []
    for area, given, got in _areas(summary):
        for direction, views in (("gave", given), ("got", got)):
            for difference in views.differences:
                you_felt_it = difference.giver_saw_it_land == (direction == "gave")
                key = f"{area}_{direction}_{'you' if you_felt_it else 'partner'}"
                day = texts.date(difference.day, texts.us.short_day_format)
                found.append(
                    (difference.day, render(getattr(lines, key), day=day, partner=partner))
                )
    return [plain(line) for _, line in sorted(found, key=lambda pair: pair[0])]


def week_json(texts: Texts, view: WeekView) -> Json:
    """The week for the page, told as ``/us`` tells it: what landed first, then day by day
    (a day kept by either shows "not shared" on both sides), then the days seen differently,
    named as a difference in view, with "talk about it"; and how far back the page may go."""
    summary = view.summary
    partner = view.partner.first_name if view.partner else None
    first, last = (
        texts.date(day, texts.us.day_format) for day in (summary.days[0], summary.days[-1])
    )
    title = texts.us.title if partner else texts.us.solo_title
    oldest = oldest_weeks_back(view)
    differences = _seen_differently(texts, summary, partner) if partner else []
    return {
        "title": plain(render(title, first=first, last=last)),
        "partner": partner,
        "weeksBack": view.weeks_back,
        "oldest": oldest,
        # The couple's first week (paused or not: the same on both phones).
        "firstWeek": view.first_day is not None and view.weeks_back >= oldest,
        "landed": landed_json(texts, view),
        "note": _note(texts, view),
        "days": [_day(texts, view, index, day, partner) for index, day in enumerate(summary.days)][
            ::-1
        ],
        "differences": differences,
        # The perception gap named as what it is, with "talk about it" under it.
        "gapNote": plain(texts.us.landed.gap_note) if differences else None,
    }


def page_texts(texts: Texts) -> dict[str, str]:
    """The page's fixed words, in the person's language."""
    words = texts.mini_app
    return {
        "language": texts.language,
        "pageTitle": plain(words.page_title),
        "weekTab": plain(words.week_tab),
        "journalTab": plain(words.journal_tab),
        "landedTitle": plain(words.landed_title),
        "you": plain(words.you),
        "seenDifferently": plain(words.seen_differently),
        "talkButton": plain(words.talk_button),
        "talkStarted": plain(words.talk_started),
        "swipeHint": plain(words.swipe_hint),
        "firstWeek": plain(words.first_week),
        "earlier": plain(texts.us.earlier_button),
        "later": plain(texts.us.later_button),
        "newer": plain(texts.journal.newer_button),
        "older": plain(texts.journal.older_button),
        "showNote": plain(words.show_note_button),
        "notesTitle": plain(texts.us.notes_section),
        "errorText": plain(words.error_text),
        "slowDown": plain(words.slow_down),
    }


def refusal_texts(texts: Texts, *, known: bool = True) -> dict[str, str]:
    """The kind screen of a refused call: only words, never data."""
    words = texts.mini_app
    return {
        "title": plain(words.expired_title),
        "text": plain(words.expired_text if known else words.unknown_text),
    }


# --- the journal ------------------------------------------------------------------------------


def _when(texts: Texts, zone: str, at: datetime) -> str:
    return texts.date(local_now(zone, at).date(), texts.journal.day_format)


def journal_json(
    texts: Texts, frameworks: dict[str, Framework], zone: str, page: JournalPage
) -> Json:
    """The reader's own journal, one page of it, newest first; read-only here. A note whose
    words read like a crisis is sent with ``behindTap``: the page shows it only when asked."""
    entries: list[Json] = []
    for entry in page.entries:
        if isinstance(entry, NoteEntry):
            note = entry.note
            entries.append(
                {
                    "day": _when(texts, zone, note.created_at),
                    "what": plain(note_what(texts, frameworks, note)),
                    "mark": note_mark(texts, note),
                    "body": note.body,
                    "behindTap": entry.behind_tap,
                }
            )
        elif isinstance(entry, CheckinEntry):
            entries.append(
                {
                    "day": texts.date(entry.day, texts.journal.day_format),
                    "what": plain(texts.mini_app.checkin_what),
                    "mark": "🌙",
                    "body": plain(answers_line(texts, entry)),
                    "behindTap": False,
                }
            )
        elif isinstance(entry, DraftEntry):
            draft = entry.draft
            entries.append(
                {
                    "day": _when(texts, zone, draft.created_at),
                    "what": plain(draft_what(texts, entry)),
                    "mark": texts.journal.private_mark,
                    "body": draft.body,
                    "behindTap": True,
                }
            )
    empty = plain(texts.journal.empty) if not entries else None
    return {"entries": entries, "page": page.page, "pages": page.pages, "empty": empty}
