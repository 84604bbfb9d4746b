"""How often one person may call the Mini App's API: a token bucket per person.

Kept in memory on the :class:`bot.web.mini_app.MiniApp` of one server, so the limit is **per
instance**: with several webhook instances behind a proxy, a person may make the limit's calls
on each. It only keeps a page that loops, or a hand on a script, from costing the database
much; what must hold across instances (starting the guided talk once) is kept in the
database, not here. Nothing is module-level: each server has its own limiter.
"""

from __future__ import annotations

from dataclasses import dataclass

# A person's buckets are forgotten once this many people are tracked and theirs is full.
MAX_TRACKED = 10_000


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """``burst`` calls at once, then ``per_second`` a second, per key (a Telegram id)."""

    def __init__(self, burst: int, per_second: float) -> None:
        self.burst = burst
        self.per_second = per_second
        self._buckets: dict[int, _Bucket] = {}

    def allow(self, key: int, now: float) -> bool:
        """Whether ``key`` may make a call at monotonic time ``now`` (and count it)."""
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= MAX_TRACKED:
                self._forget_full(now)
            bucket = self._buckets[key] = _Bucket(float(self.burst), now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.per_second)
        bucket.at = now
        if bucket.tokens < 1:
            return False
        bucket.tokens -= 1
        return True

    def _forget_full(self, now: float) -> None:
        """Drop the people whose bucket has filled up again: they lose nothing."""
        full = [
            key
            for key, bucket in self._buckets.items()
            if bucket.tokens + (now - bucket.at) * self.per_second >= self.burst
        ]
        for key in full:
            del self._buckets[key]
