"""An update from a webhook request, handled once and in order, before the request is answered.

Telegram sends a chat's next update only once the previous request was answered. So the
request is answered only after its update has been handled (or after :data:`REPLY_CAP` at
most: Telegram does not document its timeout; the update is recorded, so it is still handled
once): then one person's button press and typed answer are handled in order even when they
reach different instances. Handling goes through the application's update processor
(:class:`bot.update_order.PerPersonUpdateProcessor`), with the same per-person order and
concurrency limit as polling.

Telegram sends an update again when its request failed or timed out, possibly to another
instance. Each instance first records and claims the update in ``received_updates``
(:func:`bot.storage.received.claim`): one already handled is acknowledged without handling;
one being handled elsewhere is waited for; one claimed by a process that died (its claim
older than :data:`bot.recovery.UPDATE_LEASE`) is taken over; what a process that died
left is handled by :mod:`bot.recovery`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from enum import Enum

from telegram import Update

from bot.context import BotApplication, BotServices
from bot.recovery import UPDATE_LEASE, write_down_handled
from bot.storage import received
from bot.storage.health import is_outage
from bot.storage.received import Claim

logger = logging.getLogger(__name__)

# The longest a webhook request waits for its update to be handled.
REPLY_CAP = 20.0
# How often an update still in this instance's hands has its claim renewed: well inside
# the lease, so that a live instance's claim never lapses.
RENEW_EVERY = UPDATE_LEASE.total_seconds() / 4
# How often a request for an update handled elsewhere looks whether it is done.
ELSEWHERE_POLL_SECONDS = 0.1


class Outcome(Enum):
    HANDLED = "handled"  # handled here (or still being handled after the cap)
    DUPLICATE = "duplicate"  # handled before, here or elsewhere
    BUSY_ELSEWHERE = "busy elsewhere"  # still being handled by another instance after the cap


class UpdateIntake:
    """Takes updates from webhook requests for one application; knows what is in flight."""

    def __init__(
        self,
        application: BotApplication,
        reply_cap: float = REPLY_CAP,
        renew_every: float = RENEW_EVERY,
    ) -> None:
        self._application = application
        self.reply_cap = reply_cap
        self.renew_every = renew_every
        self._in_flight: set[asyncio.Task[None]] = set()

    @property
    def services(self) -> BotServices:
        return self._application.bot_data.services

    async def take(self, update: Update) -> Outcome:
        """Record, claim and handle ``update``; returns when it was handled, or at the cap."""
        claim = await self._claim(update)
        if claim is Claim.HANDLED:
            self.services.metrics.skipped(update)
            logger.info("update %s was handled before; skipped", update.update_id)
            return Outcome.DUPLICATE
        if claim is Claim.ELSEWHERE:
            return await self._wait_elsewhere(update)
        task = asyncio.create_task(self._handle(update))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)
        try:
            await asyncio.wait_for(asyncio.shield(task), self.reply_cap)
        except TimeoutError:
            logger.warning(
                "update %s still being handled after %.0f s; answered Telegram all the same",
                update.update_id,
                self.reply_cap,
            )
        return Outcome.HANDLED

    async def _claim(self, update: Update) -> Claim:
        """The database away: handle it all the same (the person is asked to try again, as
        in polling mode)."""
        services = self.services
        now = services.clock()
        stale_before = now - UPDATE_LEASE
        try:
            async with services.transaction() as session:
                person = update.effective_user.id if update.effective_user else None
                return await received.claim(
                    session, update.update_id, update.to_json(), now, stale_before, person
                )
        except Exception as error:
            if not is_outage(error):
                raise
            services.database_health.unavailable(error)
            return Claim.MINE

    async def _handle(self, update: Update) -> None:
        """Handle it, its claim renewed while it is in this instance's hands (waiting for
        the person's earlier updates, handled, its replies sent): only a process that died
        leaves a claim to lapse, so the job leader never takes over, or sends again, what a
        live instance is still doing (:func:`bot.recovery.take_over_abandoned`)."""
        application = self._application
        handling = asyncio.ensure_future(
            application.update_processor.process_update(update, application.process_update(update))
        )
        try:
            while not (await asyncio.wait({handling}, timeout=self.renew_every))[0]:
                await self._renew(update.update_id)
        except asyncio.CancelledError:
            handling.cancel()
            raise
        handling.result()
        await write_down_handled(application)

    async def _renew(self, update_id: int) -> None:
        services = self.services
        try:
            async with services.transaction() as session:
                await received.renew(session, update_id, services.clock())
        except Exception as error:
            if not is_outage(error):
                raise
            services.database_health.unavailable(error)

    async def _wait_elsewhere(self, update: Update) -> Outcome:
        """Another instance handles it (Telegram gave up on that request and sent it again):
        wait until it is done there, up to the cap."""
        services = self.services
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.reply_cap
        while loop.time() < deadline:
            await asyncio.sleep(ELSEWHERE_POLL_SECONDS)
            with contextlib.suppress(Exception):
                async with services.transaction() as session:
                    if await received.is_handled(session, update.update_id):
                        services.metrics.skipped(update)
                        return Outcome.DUPLICATE
        return Outcome.BUSY_ELSEWHERE

    async def drain(self) -> None:
        """Wait for every update still being handled (those answered at the cap too)."""
        while self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)
