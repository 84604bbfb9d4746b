"""Owning one's data: a complete export, and erasure."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage import drafts, pairing, privacy, together
from bot.storage.models import User

# 2: digests listed apart from check-ins (``weekly_digests``).
# 3: the profile's newer settings; ``days_side_by_side`` and ``notices``.
EXPORT_FORMAT_VERSION = 3


@dataclass(frozen=True)
class Export:
    data: dict[str, Any]

    @property
    def json_bytes(self) -> bytes:
        return json.dumps(self.data, ensure_ascii=False, indent=2).encode("utf-8")

    def count(self, key: str) -> int:
        return len(self.data.get(key, []))


async def export_user(session: AsyncSession, user: User, now: datetime) -> Export:
    data = {
        "format": "secure-base-export",
        "version": EXPORT_FORMAT_VERSION,
        "exported_at": now.isoformat(),
        **await privacy.export_rows(session, user),
        **await together.export_together(session, user),
        **await drafts.export_drafts(session, user.id),
    }
    return Export(data)


async def delete_user(session: AsyncSession, user: User, now: datetime) -> User | None:
    """Erase ``user`` entirely; returns the partner of their active couple, to be told."""
    current = await pairing.active_partnership(session, user.id)
    await privacy.erase_user(session, user, now)
    return current.partner if current else None
