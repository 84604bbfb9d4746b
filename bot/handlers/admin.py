"""Commands for the operators listed in ``ADMIN_IDS``; everyone else sees them as unknown."""

from __future__ import annotations

from datetime import timedelta

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, filters

from bot.content import render
from bot.context import BotContext
from bot.handlers.onboarding import PRIVATE_MESSAGES
from bot.handlers.send import reply
from bot.storage.stats import count_users


async def show_stats(update: Update, context: BotContext) -> None:
    async with context.session() as session:
        counts = await count_users(session, since=context.now() - timedelta(days=7))
    await reply(
        update,
        render(
            context.texts.admin.stats,
            users=counts.users,
            onboarded=counts.onboarded,
            inactive=counts.inactive,
            joined_last_week=counts.joined_last_week,
            active_couples=counts.active_couples,
        ),
    )


def admin_handlers(admin_ids: frozenset[int]) -> list[BaseHandler[Update, BotContext, None]]:
    if not admin_ids:
        return []
    admins = filters.User(user_id=admin_ids)
    return [CommandHandler("stats", show_stats, filters=PRIVATE_MESSAGES & admins)]
