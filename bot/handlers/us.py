"""``/us``: the week for both partners, in words and as a chart; also the weekly digest's text.

Computing is :mod:`bot.services.reciprocity`; this module only turns a summary into a message.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.charts import ChartLabels, render_week_chart
from bot.content import Html, Texts, render
from bot.context import BotContext
from bot.handlers import callbacks
from bot.handlers.common import answer_query, edit_in_place, shorten
from bot.handlers.onboarding import PRIVATE_MESSAGES
from bot.handlers.replies import known_sender
from bot.handlers.send import send_text
from bot.services.reciprocity import Tally, TwoViews, WeekSummary
from bot.services.weekly import MAX_WEEKS_BACK, WeekView, week_for

logger = logging.getLogger(__name__)

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
            blocks.append(render(words.hidden, days=summary.hidden_days, partner=partner))
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
                lines.append(render(words.more_notes, count=len(notes) - index))
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


async def send_chart(bot: Bot, all_texts: Texts, chat_id: int, view: WeekView) -> bool:
    """Draw and send the week's chart; a failure is logged and the text stands alone."""
    texts = all_texts.us
    labels = ChartLabels(
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
    days = view.summary.days
    caption = render(
        texts.chart_caption,
        first=days[0].strftime(texts.day_format),
        last=days[-1].strftime(texts.day_format),
    )
    try:
        png = await asyncio.to_thread(render_week_chart, view.summary, labels)
        await bot.send_photo(chat_id, InputFile(png, filename="week.png"), caption=caption)
    except (TelegramError, ValueError, RuntimeError, OSError) as error:
        logger.warning("week chart not sent: %s", error)
        return False
    return True


async def show_week(update: Update, context: BotContext) -> None:
    async with context.session() as session:
        user = await known_sender(session, update, context)
        if user is None:
            return
        view = await week_for(session, user, context.now())
    texts = context.texts
    await send_text(
        context.bot,
        user.telegram_id,
        render_week(texts, view),
        reply_markup=week_keyboard(texts, 0),
    )
    await send_chart(context.bot, context.texts, user.telegram_id, view)


async def week_button(update: Update, context: BotContext) -> None:
    """Earlier / later week, or the chart: always the pressing user's own couple."""
    query = update.callback_query
    assert query is not None
    assert context.match is not None
    weeks_back = int(context.match["weeks"])
    async with context.session() as session:
        user = await known_sender(session, update, context)
        if user is None:
            return
        view = await week_for(session, user, context.now(), weeks_back=weeks_back)
    await answer_query(update)
    if context.match["chart"]:
        await send_chart(context.bot, context.texts, user.telegram_id, view)
        return
    await edit_in_place(
        update, render_week(context.texts, view), week_keyboard(context.texts, view.weeks_back)
    )


HANDLERS = [
    CommandHandler("us", show_week, filters=PRIVATE_MESSAGES),
    CallbackQueryHandler(
        week_button,
        pattern=callbacks.pattern(callbacks.WEEK, r"(?P<weeks>\d{1,3})(?P<chart>:chart)?"),
    ),
]
