"""The week for both partners, in words: ``/us`` and the weekly digest.

Computing is :mod:`bot.services.reciprocity`; this only turns a summary into a message.
"""

from __future__ import annotations

from datetime import date

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.charts import ChartLabels
from bot.content import Html, Texts, render
from bot.services.reciprocity import Tally, TwoViews, WeekSummary
from bot.services.weekly import MAX_WEEKS_BACK, WeekView
from bot.views import callbacks
from bot.views.text import shorten

# Keep the whole summary well inside one Telegram message (4096 characters).
TEXT_BUDGET = 3800
NOTE_PREVIEW = 160


def _tally(texts: Texts, tally: Tally) -> str:
    words = texts.us
    if not tally.days:
        return words.no_answers
    if tally.partly:
        return render(words.tally_partly, good=tally.good, days=tally.days, partly=tally.partly)
    return render(words.tally, good=tally.good, days=tally.days)


def _views(texts: Texts, direction: str, views: TwoViews) -> str:
    return render(
        texts.us.views,
        direction=Html(direction),
        gave=_tally(texts, views.as_giver_saw),
        felt=_tally(texts, views.as_receiver_felt),
    )


def _days(texts: Texts, days: tuple[date, ...] | list[date]) -> str:
    return texts.us.day_separator.join(day.strftime(texts.us.short_day_format) for day in days)


def _percent(texts: Texts, share: float | None) -> str:
    if share is None:
        return texts.us.no_share
    return render(texts.us.share, percent=round(share * 100))


def render_week(texts: Texts, view: WeekView) -> str:
    """The week in words. Private notes of the partner are never in ``view`` to begin with."""
    words = texts.us
    summary: WeekSummary = view.summary
    first, last = (day.strftime(words.day_format) for day in (summary.days[0], summary.days[-1]))
    partner = view.partner.first_name if view.partner else None
    blocks: list[str] = []
    if partner is None:
        blocks.append(render(words.solo_title, first=first, last=last))
    else:
        blocks.append(render(words.title, first=first, last=last))
    if not summary.me.checked_in_days and not (summary.partner and summary.partner.checked_in_days):
        blocks.append(words.nothing_yet)
    if partner is None:
        me = summary.me
        blocks.append(
            render(
                words.solo_bids,
                bids=me.bids_noticed_estimate,
                toward=me.toward_days,
                days=me.bids_days,
            )
        )
        blocks.append(render(words.solo_checked_in, mine=me.checked_in_days))
        blocks.append(words.invite_to_pair)
    else:
        assert summary.partner is not None
        you_to = render(words.you_to_partner, partner=partner)
        to_you = render(words.partner_to_you, partner=partner)
        sections = [
            (words.bids_section, summary.bids_i_gave, summary.bids_i_got),
            (words.harbor_section, summary.harbor_i_gave, summary.harbor_i_got),
            (
                words.encouragement_section,
                summary.encouragement_i_gave,
                summary.encouragement_i_got,
            ),
        ]
        for heading, gave, got in sections:
            if not (gave.has_data or got.has_data) and heading != words.bids_section:
                continue
            lines = [heading, _views(texts, you_to, gave), _views(texts, to_you, got)]
            disagreed = sorted(set(gave.disagreed_days) | set(got.disagreed_days))
            if disagreed:
                lines.append(render(words.gap, days=_days(texts, disagreed)))
            blocks.append("\n".join(lines))
        showing_up = [
            words.consistency_section,
            render(
                words.checked_in,
                mine=summary.me.checked_in_days,
                partner=partner,
                theirs=summary.partner.checked_in_days,
            ),
            render(words.streak, days=summary.streak) if summary.streak else words.no_streak,
        ]
        blocks.append("\n".join(showing_up))
        if summary.me.bids_days or summary.partner.bids_days:
            blocks.append(
                render(
                    words.toward_share,
                    mine=_percent(texts, summary.me.toward_share),
                    partner=partner,
                    theirs=_percent(texts, summary.partner.toward_share),
                )
            )
        if summary.hidden_days:
            blocks.append(words.hidden.render(texts.language, summary.hidden_days, partner=partner))
    notes = [
        render(
            words.my_note,
            day=note.day.strftime(words.short_day_format),
            lock=words.shared_mark if note.shared else words.private_mark,
            body=shorten(note.body, NOTE_PREVIEW),
        )
        for note in summary.my_notes
    ] + [
        render(
            words.partner_note,
            partner=partner or "",
            day=note.day.strftime(words.short_day_format),
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


def week_keyboard(texts: Texts, weeks_back: int) -> InlineKeyboardMarkup:
    words = texts.us
    row = []
    if weeks_back < MAX_WEEKS_BACK:
        row.append(
            InlineKeyboardButton(
                words.earlier_button,
                callback_data=callbacks.data(callbacks.WEEK, str(weeks_back + 1)),
            )
        )
    if weeks_back > 0:
        row.append(
            InlineKeyboardButton(
                words.later_button,
                callback_data=callbacks.data(callbacks.WEEK, str(weeks_back - 1)),
            )
        )
    chart = InlineKeyboardButton(
        words.chart_button, callback_data=callbacks.data(callbacks.WEEK, f"{weeks_back}:chart")
    )
    return InlineKeyboardMarkup([row, [chart]] if row else [[chart]])


def chart_labels(all_texts: Texts, view: WeekView) -> ChartLabels:
    texts = all_texts.us
    return ChartLabels(
        you=texts.chart_you,
        partner=view.partner.first_name if view.partner else None,
        partner_fallback=texts.chart_partner,
        bids_title=texts.chart_bids_title,
        support_title=texts.chart_support_title,
        support_levels=(
            texts.chart_support_levels[0],
            texts.chart_support_levels[1],
            texts.chart_support_levels[2],
        ),
        day_format=texts.short_day_format,
    )


def chart_caption(all_texts: Texts, view: WeekView) -> str:
    texts, days = all_texts.us, view.summary.days
    return render(
        texts.chart_caption,
        first=days[0].strftime(texts.day_format),
        last=days[-1].strftime(texts.day_format),
    )
