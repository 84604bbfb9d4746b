"""The week for both partners, in words: ``/us`` and the weekly digest.

Computing is :mod:`bot.services.reciprocity` and :mod:`bot.services.landed`; this only turns
a summary into a message. The first screen (also the digest's) leads with what landed for the
two of you together and names the days seen differently as a difference in view: no bare zero
and no "you N, partner M" there, where it would read as a score. Each one's own figures, per
area and per day, are in the details, one button away in the same message. The chart's parts
are :mod:`bot.views.week_chart`.
"""

from __future__ import annotations

from datetime import date

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.content import Html, Texts, render
from bot.services.differences import Landed, Tally, TwoViews
from bot.services.landed import AreaLanded, WhatLanded, what_landed
from bot.services.reciprocity import WeekSummary
from bot.services.weekly import WeekView
from bot.views import callbacks, keyboards
from bot.views.text import shorten
from bot.views.week_chart import SentChart, week_dates

# Keep the details well inside one Telegram message (4096 characters).
TEXT_BUDGET = 3800
NOTE_PREVIEW = 160
# Differences named on the first screen; the rest are in the details.
FIRST_SCREEN_DIFFERENCES = 2

SUMMARY = ""
DETAILS = "d"


def _day(texts: Texts, day: date) -> str:
    return texts.date(day, texts.us.short_day_format)


def _areas(summary: WeekSummary) -> list[tuple[str, TwoViews, TwoViews]]:
    return [
        ("bids", summary.bids_i_gave, summary.bids_i_got),
        ("harbor", summary.harbor_i_gave, summary.harbor_i_got),
        ("encouragement", summary.encouragement_i_gave, summary.encouragement_i_got),
    ]


def _differences(texts: Texts, summary: WeekSummary, partner: str) -> list[tuple[date, str]]:
    lines = texts.us.differences
    found = []
    for area, given, got in _areas(summary):
        for direction, views in (("gave", given), ("got", got)):
            for difference in views.differences:
                # Who felt it landed: in "gave" the giver is you; in "got" it is the partner.
                you_felt_it = difference.giver_saw_it_land == (direction == "gave")
                key = f"{area}_{direction}_{'you' if you_felt_it else 'partner'}"
                template = getattr(lines, key)
                found.append(
                    (
                        difference.day,
                        render(template, day=_day(texts, difference.day), partner=partner),
                    )
                )
    return sorted(found, key=lambda pair: pair[0])


def _has_anything(summary: WeekSummary) -> bool:
    partner_days = summary.partner.checked_in_days if summary.partner else 0
    moments = summary.me.moments + (summary.partner.moments if summary.partner else 0)
    return bool(summary.me.checked_in_days or partner_days or moments or summary.matched_bids)


def has_something_to_show(view: WeekView) -> bool:
    """Whether the week holds any check-in or moment (the digest waits for one)."""
    return _has_anything(view.summary)


def _showing_up(texts: Texts, summary: WeekSummary, partner: str | None) -> str:
    words = texts.us
    if partner is None or summary.partner is None:
        return render(words.solo_showing_up, mine=summary.me.checked_in_days)
    line = render(
        words.showing_up,
        mine=summary.me.checked_in_days,
        partner=partner,
        theirs=summary.partner.checked_in_days,
    )
    streak = (
        words.streak.render(texts.language, summary.streak) if summary.streak else words.no_streak
    )
    return f"{line}\n{streak}"


def _moments(texts: Texts, summary: WeekSummary) -> str | None:
    count = summary.me.moments + (summary.partner.moments if summary.partner else 0)
    return texts.us.moments.render(texts.language, count) if count else None


def _matched(texts: Texts, summary: WeekSummary) -> str | None:
    """Appreciations answered: matched bids, the same figure on both phones."""
    count = summary.matched_bids
    return texts.us.matched_bids.render(texts.language, count) if count else None


def _not_shared(texts: Texts, summary: WeekSummary) -> str | None:
    """The days one of the two kept to themselves: "not shared", never why or by whom."""
    if not summary.not_shared:
        return None
    days = texts.sharing.day_separator.join(_day(texts, day) for day in summary.not_shared)
    return render(texts.sharing.us_not_shared, days=days)


def _times(texts: Texts, area: AreaLanded) -> str:
    """How often care of one area landed, fully and partly; "not yet this week", never 0."""
    words = texts.us.landed
    if area.landed and area.partly:
        return render(
            words.full_and_partly,
            full=words.times.render(texts.language, area.landed),
            partly=words.times.render(texts.language, area.partly),
        )
    if area.landed:
        return words.times.render(texts.language, area.landed)
    if area.partly:
        return render(words.only_partly, partly=words.times.render(texts.language, area.partly))
    return words.not_yet


def landed_lines(texts: Texts, landed: WhatLanded) -> list[str]:
    """The lead of the first screen, line by line (also the Mini App's "what landed")."""
    words = texts.us.landed
    if landed.paired:
        checked = (
            words.both_checked_in.render(texts.language, landed.checked_in_days)
            if landed.checked_in_days
            else words.both_not_yet
        )
        labels = {"bids": words.bids, "harbor": words.harbor, "encouragement": words.encouragement}
    else:
        checked = (
            words.solo_checked_in.render(texts.language, landed.checked_in_days)
            if landed.checked_in_days
            else words.solo_not_yet
        )
        labels = {
            "bids": words.bids,
            "harbor": words.solo_harbor,
            "encouragement": words.solo_encouragement,
        }
    lines = [checked]
    # An area with nothing to give (no bids noticed, no hard day) is left out: no stress is
    # no failure. One where care was asked for and did not land says "not yet this week".
    lines += [
        render(labels[area.area], times=Html(_times(texts, area)))
        for area in landed.areas
        if area.has_data
    ]
    return lines


def _gaps(texts: Texts, landed: WhatLanded) -> str | None:
    """The days seen differently, named as a difference in view (the details say who saw
    what)."""
    if not landed.gaps:
        return None
    words = texts.us.landed
    marks = {
        "bids": words.bids_mark,
        "harbor": words.harbor_mark,
        "encouragement": words.encouragement_mark,
    }
    days = [
        render(words.gap_day, mark=marks[gap.area], day=_day(texts, gap.day))
        for gap in landed.gaps[:FIRST_SCREEN_DIFFERENCES]
    ]
    rest = len(landed.gaps) - FIRST_SCREEN_DIFFERENCES
    if rest > 0:
        days.append(words.more_gaps.render(texts.language, rest))
    title = render(words.gaps_title, days=Html(words.gap_separator.join(days)))
    return f"{title}\n{words.gap_note}"


def render_week(texts: Texts, view: WeekView) -> str:
    """The first screen: what landed, for the two of you together (:func:`what_landed`);
    never a bare zero or one partner's count beside the other's — those are in the details.
    Private notes of the partner are never in ``view`` to begin with."""
    words = texts.us
    summary = view.summary
    partner = view.partner.first_name if view.partner else None
    landed = what_landed(summary)
    title = words.title if partner else words.solo_title
    blocks = [render(title, **week_dates(texts, view))]
    if not (landed.anything or _has_anything(summary)):
        blocks.append(words.nothing_yet)
        if kept := _not_shared(texts, summary):
            blocks.append(kept)
        if partner is None:
            blocks.append(texts.quiet.nothing_new if view.sharing_off else words.invite_to_pair)
        return "\n\n".join(blocks)
    # Answered appreciations are bids turned toward (counted in the bids line); the moments
    # logged are counted in their areas: both are spelled out in the details, and so is the
    # couple streak.
    blocks.append("\n".join(landed_lines(texts, landed)))
    if partner is not None and (gaps := _gaps(texts, landed)):
        blocks.append(gaps)
    if landed.hidden_days and partner is not None:
        blocks.append(words.hidden.render(texts.language, landed.hidden_days, partner=partner))
    if kept := _not_shared(texts, summary):
        blocks.append(kept)
    if partner is None:
        blocks.append(texts.quiet.nothing_new if view.sharing_off else words.invite_to_pair)
    return "\n\n".join(blocks)


def _tally(texts: Texts, tally: Tally) -> str:
    words = texts.us
    if not tally.days:
        return words.no_answers
    if tally.partly and not tally.good:
        # "Partly" is shown as partly, never as "0 of 1".
        return words.landed.tally_only_partly.render(
            texts.language, tally.days, partly=tally.partly
        )
    if tally.partly:
        return words.tally_partly.render(
            texts.language, tally.days, good=tally.good, partly=tally.partly
        )
    return words.tally.render(texts.language, tally.days, good=tally.good)


def landed_mark(texts: Texts, landed: Landed | None) -> str:
    """How far one side's care landed, as a mark (the details screen and the Mini App)."""
    words = texts.us
    return {
        Landed.GOOD: words.mark_good,
        Landed.PARTLY: words.mark_partly,
        Landed.MISSED: words.mark_missed,
        None: words.mark_none,
    }[landed]


def _area_block(texts: Texts, view: WeekView, heading: str, given: TwoViews, got: TwoViews) -> str:
    words = texts.us
    partner = view.partner.first_name if view.partner else None
    if partner is None:
        lines = [heading, _tally(texts, given.as_giver_saw)]
        for day, (gave, _) in zip(view.summary.days, given.by_day, strict=True):
            if gave is not None:
                lines.append(
                    render(words.solo_day_line, day=_day(texts, day), gave=landed_mark(texts, gave))
                )
        return "\n".join(lines)
    you_to = render(words.you_to_partner, partner=partner)
    to_you = render(words.partner_to_you, partner=partner)
    lines = [heading]
    for direction, views in ((you_to, given), (to_you, got)):
        lines.append(
            render(
                words.views,
                direction=Html(direction),
                gave=_tally(texts, views.as_giver_saw),
                felt=_tally(texts, views.as_receiver_felt),
            )
        )
    for day, (gave, felt), (got_gave, got_felt) in zip(
        view.summary.days, given.by_day, got.by_day, strict=True
    ):
        if {gave, felt, got_gave, got_felt} == {None}:
            continue
        lines.append(
            render(
                words.day_line,
                day=_day(texts, day),
                you_to=Html(you_to),
                to_you=Html(to_you),
                gave=landed_mark(texts, gave),
                felt=landed_mark(texts, felt),
                got_gave=landed_mark(texts, got_gave),
                got_felt=landed_mark(texts, got_felt),
            )
        )
    return "\n".join(lines)


def render_details(texts: Texts, view: WeekView) -> str:
    """Per area and per day, the differences, showing up, and the week's notes."""
    words = texts.us
    summary = view.summary
    partner = view.partner.first_name if view.partner else None
    blocks = [render(words.details_title, **week_dates(texts, view))]
    headings = {
        "bids": words.bids_section,
        "harbor": words.harbor_section,
        "encouragement": words.encouragement_section,
    }
    for area, given, got in _areas(summary):
        if area == "bids" or given.has_data or got.has_data:
            blocks.append(_area_block(texts, view, headings[area], given, got))
    blocks.append(words.marks_legend)
    if partner is not None and (differences := _differences(texts, summary, partner)):
        lines = [line for _, line in differences]
        blocks.append("\n".join([words.differences_title, *lines, words.differences_hint]))
    showing_up = [words.consistency_section, _showing_up(texts, summary, partner)]
    if partner is not None:
        showing_up.append(words.streak_details)
    if matched := _matched(texts, summary):
        showing_up.append(matched)
    if moments := _moments(texts, summary):
        showing_up.append(moments)
    if summary.hidden_days and partner is not None:
        showing_up.append(words.hidden.render(texts.language, summary.hidden_days, partner=partner))
    if kept := _not_shared(texts, summary):
        showing_up.append(kept)
    blocks.append("\n".join(showing_up))
    notes = [
        render(
            words.my_note,
            day=_day(texts, note.day),
            lock=words.shared_mark if note.shared else words.private_mark,
            body=shorten(note.body, NOTE_PREVIEW),
        )
        for note in summary.my_notes
    ] + [
        render(
            words.partner_note,
            partner=partner or "",
            day=_day(texts, note.day),
            body=shorten(note.body, NOTE_PREVIEW),
        )
        for note in summary.partner_notes
    ]
    text = "\n\n".join(blocks)
    if notes:
        lines = [words.notes_section]
        for index, line in enumerate(notes):
            if len(text) + sum(len(x) + 1 for x in lines) + len(line) > TEXT_BUDGET:
                lines.append(words.more_notes.render(texts.language, len(notes) - index))
                break
            lines.append(line)
        text += "\n\n" + "\n".join(lines)
    return text


def render_view(texts: Texts, view: WeekView, mode: str) -> str:
    return render_details(texts, view) if mode == DETAILS else render_week(texts, view)


# --- buttons ----------------------------------------------------------------------------------


def week_keyboard(
    texts: Texts,
    view: WeekView,
    mode: str = SUMMARY,
    sent: SentChart | None = None,
    page_url: str | None = None,
) -> InlineKeyboardMarkup:
    """Earlier / later week (within the weeks since the user started), details or back to
    the summary, and the chart. Every button carries the chart already sent, if any. With
    ``page_url`` (``MINI_APP_URL``), "Open our week" too: the Mini App."""
    words = texts.us
    memo = f":{sent.encode()}" if sent else ""

    def button(label: str, weeks: int, action: str) -> InlineKeyboardButton:
        payload = f"{weeks}:{action or 's'}{memo}" if action or memo else str(weeks)
        return InlineKeyboardButton(label, callback_data=callbacks.data(callbacks.WEEK, payload))

    weeks_back = view.weeks_back
    row = []
    if weeks_back < view.oldest_weeks_back:
        row.append(button(words.earlier_button, weeks_back + 1, mode))
    if weeks_back > 0:
        row.append(button(words.later_button, weeks_back - 1, mode))
    switch = (
        button(words.summary_button, weeks_back, SUMMARY)
        if mode == DETAILS
        else button(words.details_button, weeks_back, DETAILS)
    )
    chart = button(words.chart_button, weeks_back, "c" + mode)
    rows = [row, [switch, chart]] if row else [[switch, chart]]
    if has_differences(view):
        # Where the two views of a day differed: the guided conversation, as in /talk, about
        # the newest such day of the week.
        newest = what_landed(view.summary).gaps[-1].day
        talk = InlineKeyboardButton(
            words.talk_button,
            callback_data=callbacks.data(callbacks.TALK, f"guided:{newest:%Y%m%d}"),
        )
        rows.append([talk])
    if page_url:
        rows.append([keyboards.open_page(texts, page_url)])
    return InlineKeyboardMarkup(rows)


def has_differences(view: WeekView) -> bool:
    """Whether the two partners' views of some day of the week differed."""
    return view.partner is not None and any(
        views.differences for _, given, got in _areas(view.summary) for views in (given, got)
    )
