"""Sends Telegram accepted that the database does not know of yet."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.services import checkins
from bot.storage.checkin_outbox import Sent
from bot.storage.health import is_outage

if TYPE_CHECKING:
    from bot.context import BotServices


@dataclass
class SendLedger:
    """This process's memory of sent prompts not yet recorded: kept across runs, so a prompt
    Telegram accepted while the database was down is recorded when it is back, not re-sent."""

    unrecorded: list[Sent] = field(default_factory=list)

    def add(self, sent: Sent) -> None:
        self.unrecorded.append(sent)

    async def record(self, services: BotServices) -> bool:
        """Write what is pending; ``False`` (kept for later) if the database is unavailable."""
        pending, self.unrecorded = self.unrecorded, []
        if not pending:
            return True
        try:
            async with services.transaction() as session:
                await checkins.record_sent(session, pending)
        except BaseException as error:
            # Kept whatever went wrong (a cancelled task too): forgetting them means resending.
            self.unrecorded = pending + self.unrecorded
            if isinstance(error, Exception) and is_outage(error):
                services.database_health.unavailable(error)
                return False
            raise
        services.database_health.available()
        return True
