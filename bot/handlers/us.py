"""``/us``: the week for both partners, at a glance and in detail, and as a chart."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Executor

from telegram import Bot, CallbackQuery, InlineKeyboardMarkup, InputFile
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.charts import ChartLabels, render_week_chart
from bot.content import Texts
from bot.handlers.turn import PRIVATE_MESSAGES, Handlers, Turn, for_known_sender
from bot.handlers.without_database import harmless_if_stale
from bot.services.weekly import WeekView, week_for
from bot.views import callbacks
from bot.views.week import DETAILS, SUMMARY, render_view, week_keyboard
from bot.views.week_chart import SentChart, chart_caption, chart_fingerprint, chart_labels

logger = logging.getLogger(__name__)


async def send_chart(
    bot: Bot,
    texts: Texts,
    chat_id: int,
    view: WeekView,
    labels: ChartLabels,
    drawer: Executor,
) -> bool:
    """Draw (in ``drawer``, the worker thread) and send the week's chart; a failure is logged
    and the text stands alone."""
    try:
        loop = asyncio.get_running_loop()
        png = await loop.run_in_executor(drawer, render_week_chart, view.summary, labels)
        await bot.send_photo(
            chat_id, InputFile(png, filename="week.png"), caption=chart_caption(texts, view)
        )
    except (TelegramError, ValueError, RuntimeError, OSError) as error:
        logger.warning("week chart not sent: %s", error)
        return False
    return True


@for_known_sender
async def show_week(turn: Turn) -> None:
    view = await week_for(turn.session, turn.user, turn.now, crisis=turn.services.crisis)
    texts = turn.texts
    page = turn.services.settings.mini_app_url
    turn.send(
        turn.user.telegram_id,
        render_view(texts, view, SUMMARY),
        week_keyboard(texts, view, page_url=page),
    )


@for_known_sender
async def week_button(turn: Turn) -> None:
    """Earlier / later week, details / summary, or the chart: always the pressing user's
    own couple. The chart is sent once per picture: a second press on the same one says
    where it is."""
    weeks_back = int(turn.match["weeks"])
    action = turn.match["action"] or SUMMARY
    sent = SentChart.decode(turn.match["sent"])
    view = await week_for(
        turn.session, turn.user, turn.now, crisis=turn.services.crisis, weeks_back=weeks_back
    )
    texts = turn.texts
    mode = DETAILS if action.endswith(DETAILS) else SUMMARY
    page = turn.services.settings.mini_app_url
    if not action.startswith("c"):
        turn.answer()
        turn.edit(render_view(texts, view, mode), week_keyboard(texts, view, mode, sent, page))
        return
    labels = chart_labels(texts, view)
    drawn = SentChart(view.weeks_back, chart_fingerprint(view, labels))
    if drawn == sent:
        turn.answer(texts.us.chart_already_sent)
        return
    turn.answer()
    bot, chat_id, query = turn.context.bot, turn.user.telegram_id, turn.query
    drawer = turn.services.worker
    markup = week_keyboard(texts, view, mode, drawn, page)
    update_id = turn.update.update_id

    async def chart_then_remember() -> None:
        if await send_chart(bot, texts, chat_id, view, labels, drawer):
            await _remember(query, markup, update_id)

    turn.later(chart_then_remember)


async def _remember(query: CallbackQuery, markup: InlineKeyboardMarkup, update_id: int) -> None:
    """The week message's buttons now carry the chart just sent."""
    with harmless_if_stale(update_id):
        await query.edit_message_reply_markup(reply_markup=markup)


HANDLERS: Handlers = [
    CommandHandler("us", show_week, filters=PRIVATE_MESSAGES),
    CallbackQueryHandler(
        week_button,
        pattern=callbacks.pattern(
            callbacks.WEEK,
            r"(?P<weeks>\d{1,3})(?::(?P<action>s|d|c|cd))?(?::(?P<sent>\d{1,3}\.[0-9a-f]{8}))?",
        ),
    ),
]
