"""``/us``: the week for both partners, in words and as a chart."""

from __future__ import annotations

import asyncio
import logging

from telegram import Bot, InputFile
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.charts import render_week_chart
from bot.content import Texts
from bot.handlers.turn import PRIVATE_MESSAGES, Handlers, Turn, for_known_sender
from bot.services.weekly import WeekView, week_for
from bot.views import callbacks
from bot.views.week import chart_caption, chart_labels, render_week, week_keyboard

logger = logging.getLogger(__name__)


async def send_chart(bot: Bot, texts: Texts, chat_id: int, view: WeekView) -> bool:
    """Draw (in a worker thread) and send the week's chart; a failure is logged and the text
    stands alone."""
    try:
        png = await asyncio.to_thread(render_week_chart, view.summary, chart_labels(texts, view))
        await bot.send_photo(
            chat_id, InputFile(png, filename="week.png"), caption=chart_caption(texts, view)
        )
    except (TelegramError, ValueError, RuntimeError, OSError) as error:
        logger.warning("week chart not sent: %s", error)
        return False
    return True


@for_known_sender
async def show_week(turn: Turn) -> None:
    view = await week_for(turn.session, turn.user, turn.now)
    texts, bot, chat_id = turn.texts, turn.context.bot, turn.user.telegram_id
    turn.send(chat_id, render_week(texts, view), week_keyboard(texts, 0))
    # Drawn after the commit: a chart takes ~150 ms of CPU, no transaction should wait on it.
    turn.later(lambda: send_chart(bot, texts, chat_id, view))


@for_known_sender
async def week_button(turn: Turn) -> None:
    """Earlier / later week, or the chart: always the pressing user's own couple."""
    weeks_back = int(turn.match["weeks"])
    view = await week_for(turn.session, turn.user, turn.now, weeks_back=weeks_back)
    turn.answer()
    texts = turn.texts
    if turn.match["chart"]:
        bot, chat_id = turn.context.bot, turn.user.telegram_id
        turn.later(lambda: send_chart(bot, texts, chat_id, view))
        return
    turn.edit(render_week(texts, view), week_keyboard(texts, view.weeks_back))


HANDLERS: Handlers = [
    CommandHandler("us", show_week, filters=PRIVATE_MESSAGES),
    CallbackQueryHandler(
        week_button,
        pattern=callbacks.pattern(callbacks.WEEK, r"(?P<weeks>\d{1,3})(?P<chart>:chart)?"),
    ),
]
