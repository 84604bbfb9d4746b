"""The instance's own periodic upkeep, beside the check-in sender: the figures /metrics shows
that need a query (counted here, never on a scrape), and, in webhook mode, updates a process
that died had taken but not handled. Both only in the process that leads the jobs. In polling
mode, it also writes down what was handled since the last batch of updates."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import cast

from bot.context import BotApplication, BotContext
from bot.recovery import take_over_abandoned, write_down_handled
from bot.storage.health import is_outage
from bot.storage.observed import prompts_due

logger = logging.getLogger(__name__)


async def upkeep_job(context: BotContext) -> None:
    services = context.services
    if services.settings.updates == "polling":
        # In a quiet time (no next batch), the replies sent since the last batch are crossed
        # off here; not in the polling task, whose cancellation at a stop would cut a
        # statement in half.
        await write_down_handled(cast(BotApplication, context.application))
    if not services.leadership.leading:
        return  # the leader counts; the checkin sender's run keeps the lead up to date
    try:
        grace = timedelta(hours=services.settings.checkin_grace_hours)
        async with services.transaction() as session:
            due = await prompts_due(session, services.clock(), grace)
        services.metrics.prompts_due.set(due)
        if services.settings.updates == "webhook":
            await take_over_abandoned(cast(BotApplication, context.application))
    except Exception as error:
        if not is_outage(error):
            raise
        services.database_health.unavailable(error)
