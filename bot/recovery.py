"""Updates recorded but not handled: one way to handle them after a crash, in both modes.

Every update is recorded before it is handled (:mod:`bot.update_log` in polling mode,
:mod:`bot.web.intake` in webhook mode). What a process that died left unhandled is handled
here, through the application's update processor (:class:`bot.update_order.
PerPersonUpdateProcessor`) exactly as a live update is: the same per-person order, the same
duplicate check, the same metrics, marked handled by the handler's own transaction or,
for a handler that changed nothing, by the processor's log. Each is written down before the
next is handled, so a stop in the middle leaves only the rest for next time.

First, at start, the replies a turn committed but could not send before the process died
(:func:`send_replies_left`): the person sees the state their tap made.

- **Polling** (one process): at start, everything unhandled (:func:`replay_unhandled`).
- **Webhook** (several instances): at start and by the job leader each run, only what a
  process that died had claimed, its claim older than :data:`UPDATE_LEASE`
  (:func:`take_over_abandoned`); a live instance's update is never taken over.

What waited more than a day is dropped (and counted in the log): a week-old tap answered now
would only confuse.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

from telegram import Update

from bot.context import BotApplication
from bot.delivery import deliver, load
from bot.storage import received
from bot.update_log import KEEP_RECORDS
from bot.update_order import PerPersonUpdateProcessor

logger = logging.getLogger(__name__)

# A claimed update (or its replies) not done after this long belonged to a process that
# died: a live instance renews the claim of what it still has in hands (bot.web.intake), so
# its update is never taken over and handled, or its replies sent, twice.
UPDATE_LEASE = timedelta(minutes=2)
# Abandoned updates taken over in one go (at start, and by the job leader).
ABANDONED_BATCH = 100


async def replay_unhandled(application: BotApplication) -> int:
    """Polling mode, at start: handle what was recorded but not handled before the last stop,
    oldest first; how many."""
    services = application.bot_data.services
    await send_replies_left(application, services.clock())
    async with services.transaction() as session:
        dropped = await received.drop_unhandled(session, services.clock() - KEEP_RECORDS)
        payloads = await received.unhandled(session)
    _log_dropped(dropped)
    await _handle(application, payloads)
    if payloads:
        logger.info("handled %d updates left over from the last run", len(payloads))
    return len(payloads)


async def take_over_abandoned(application: BotApplication) -> int:
    """Webhook mode: handle updates a process that died had taken but not handled (at start,
    and by the job leader each run); how many."""
    services = application.bot_data.services
    now = services.clock()
    await send_replies_left(application, now - UPDATE_LEASE)
    async with services.transaction() as session:
        dropped = await received.drop_unhandled(session, now - KEEP_RECORDS)
        payloads = await received.claim_abandoned(
            session, now - UPDATE_LEASE, now, limit=ABANDONED_BATCH
        )
    _log_dropped(dropped)
    await _handle(application, payloads)
    if payloads:
        logger.info("handled %d updates another instance had taken and not handled", len(payloads))
    return len(payloads)


async def send_replies_left(application: BotApplication, claimed_before: datetime) -> int:
    """Replies of handled updates never crossed off (the process died between the commit
    and the batch after the sends), claimed before ``claimed_before`` (webhook: a live
    instance renews the claim of what it is still sending, so only a dead one's lapse): sent
    first, oldest first, each update's crossed off before the next. An edit is repeated
    harmlessly; a new message arrives twice only if it was in flight (or sent since the last
    batch)."""
    services, bot = application.bot_data.services, application.bot
    async with services.transaction() as session:
        left = await received.replies_left(session, claimed_before)
    for update_id, replies in left:
        await deliver(bot, services, load(replies, bot))
        async with services.transaction() as session:
            await received.cross_off(session, [update_id])
    if left:
        logger.info("sent the replies of %d updates left over from the last run", len(left))
    return len(left)


async def write_down_handled(application: BotApplication) -> None:
    """What the handlers did not mark handled themselves (they changed nothing) is written
    down now: a re-send is then skipped, here or on any instance."""
    processor = application.update_processor
    if isinstance(processor, PerPersonUpdateProcessor):
        await processor.flush_log()


async def _handle(application: BotApplication, payloads: list[str]) -> None:
    """Each update through the update processor, as a live one; one by one, each written down
    before the next."""
    for payload in payloads:
        update = Update.de_json(json.loads(payload), application.bot)
        await application.update_processor.process_update(
            update, application.process_update(update)
        )
        await write_down_handled(application)


def _log_dropped(dropped: int) -> None:
    if dropped:
        logger.warning("dropped %d unhandled updates older than a day", dropped)
