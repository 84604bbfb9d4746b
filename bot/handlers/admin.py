"""Commands for the operators listed in ``ADMIN_IDS``; everyone else sees them as unknown."""

from __future__ import annotations

from datetime import timedelta

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, filters

from bot.content import render
from bot.context import BotContext
from bot.handlers.turn import PRIVATE_MESSAGES, Turn, for_anyone
from bot.storage.stats import count_users


@for_anyone
async def show_stats(turn: Turn) -> None:
    counts = await count_users(turn.session, since=turn.now - timedelta(days=7))
    turn.reply(
        render(
            turn.texts.admin.stats,
            users=counts.users,
            onboarded=counts.onboarded,
            inactive=counts.inactive,
            joined_last_week=counts.joined_last_week,
            active_couples=counts.active_couples,
        )
    )


def admin_handlers(admin_ids: frozenset[int]) -> list[BaseHandler[Update, BotContext, None]]:
    if not admin_ids:
        return []
    admins = filters.User(user_id=admin_ids)
    return [CommandHandler("stats", show_stats, filters=PRIVATE_MESSAGES & admins)]
