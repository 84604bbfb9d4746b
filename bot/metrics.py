"""What ``/metrics`` shows: counters and histograms of one running bot, in Prometheus' format.

Each :class:`Metrics` has a ``CollectorRegistry`` of its own (never prometheus-client's global
one), so several applications in one process (tests, benchmarks) never mix their figures.
Labels are only small fixed vocabularies (an update's kind, a Bot API method, an outcome):
never a chat, a user or anything a person wrote.

Measured at public seams only: Bot API calls through :class:`MeasuredRequest`, a
``BaseRequest`` around PTB's own ``HTTPXRequest`` (its public ``do_request``); updates in the
update processor (:mod:`bot.update_order`) and an error handler (PTB hands a handler's error
to the error handlers, so ``process_update`` itself never raises it); prompts where the
check-in sender sends them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from telegram import Update
from telegram.request import BaseRequest, RequestData

CONTENT_TYPE = CONTENT_TYPE_LATEST
_METHOD_NAME = re.compile(r"^[A-Za-z]{1,64}$")
# Seconds: from a fast button press (~10 ms) to a slow /us with a chart, or a 20 s webhook cap.
_HANDLING_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 60)
# Seconds a prompt went out after it was due: within a dispatch interval, or hours late.
_LAG_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 900, 1800, 3600, 3 * 3600, 24 * 3600)


def update_kind(update: object) -> str:
    """``message``, ``callback_query``, ... (the Bot API's field name); ``other`` if none."""
    if isinstance(update, Update):
        for kind in Update.ALL_TYPES:
            if getattr(update, kind, None) is not None:
                return kind
    return "other"


def api_method(url: str) -> str:
    """The Bot API method a request URL calls (``sendMessage``); ``file`` for a download."""
    name = url.rsplit("/", 1)[-1]
    return name if _METHOD_NAME.match(name) and "/file/" not in url else "file"


def call_result(status: int) -> str:
    if 200 <= status < 300:
        return "ok"
    if status in (403, 429):
        return str(status)
    return "5xx" if status >= 500 else "4xx"


class Metrics:
    """One application's figures and the registry that exposes them."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self.updates = Counter(
            "secure_base_updates",
            "Updates handled, by kind (message, callback_query, ...) and outcome (ok, error, "
            "duplicate: sent again by Telegram and skipped)",
            ["kind", "outcome"],
            registry=registry,
        )
        self.handling_seconds = Histogram(
            "secure_base_update_handling_seconds",
            "Time from the start of an update's handlers to their end (its turn in the "
            "per-person queue excluded)",
            ["kind"],
            buckets=_HANDLING_BUCKETS,
            registry=registry,
        )
        self.api_calls = Counter(
            "secure_base_bot_api_calls",
            "Bot API requests by method and result (ok, 403, 429, 4xx, 5xx, network)",
            ["method", "result"],
            registry=registry,
        )
        self.prompts = Counter(
            "secure_base_checkin_prompts",
            "Check-in prompts by outcome: sent, retried (a send tried again), given_up "
            "(not sent after its retries), blocked (the person blocked the bot)",
            ["outcome"],
            registry=registry,
        )
        self.dispatch_lag = Histogram(
            "secure_base_dispatch_lag_seconds",
            "How long after it was due a check-in prompt was sent",
            buckets=_LAG_BUCKETS,
            registry=registry,
        )
        self.prompts_due = Gauge(
            "secure_base_checkin_prompts_due",
            "Check-ins due and not sent yet, as the job leader last counted them",
            registry=registry,
        )
        self.leader = Gauge(
            "secure_base_jobs_leader",
            "1 while this instance leads the periodic jobs, else 0",
            registry=registry,
        )
        self.webhook_requests = Counter(
            "secure_base_webhook_requests",
            "Webhook requests by answer (200, 400, 403, 503)",
            ["status"],
            registry=registry,
        )
        # Update ids whose handlers raised (the error handler notes them; see note_error).
        self._failed: set[int] = set()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

    def follow_leadership(self, leading: Callable[[], bool]) -> None:
        """The leader gauge reads ``leading`` at each scrape (a flag in memory, no query)."""
        self.leader.set_function(lambda: float(leading()))

    async def note_error(self, update: object, context: object) -> None:
        """An error handler: remembers that this update's handling failed. ``context`` is
        PTB's, unused: typed ``object`` so metrics (a low module) need not know the bot's."""
        update_id = getattr(update, "update_id", None)
        if isinstance(update_id, int):
            self._failed.add(update_id)

    def handled(self, update: object, seconds: float) -> None:
        """An update's handlers ran (successfully unless :meth:`note_error` saw it)."""
        update_id = getattr(update, "update_id", None)
        failed = update_id in self._failed
        self._failed.discard(update_id)
        kind = update_kind(update)
        self.updates.labels(kind, "error" if failed else "ok").inc()
        self.handling_seconds.labels(kind).observe(seconds)

    def prompt(self, outcome: str) -> None:
        """A check-in prompt was retried, given up, or found the person had blocked the bot."""
        self.prompts.labels(outcome).inc()

    def prompt_sent(self, due_at: datetime | None, now: datetime) -> None:
        """A prompt went out; ``due_at`` (none for a reminder) gives the dispatch lag."""
        self.prompts.labels("sent").inc()
        if due_at is not None:
            self.dispatch_lag.observe(max(0.0, (now - due_at).total_seconds()))

    def skipped(self, update: object) -> None:
        self.updates.labels(update_kind(update), "duplicate").inc()


class MeasuredRequest(BaseRequest):
    """A ``BaseRequest`` that counts each Bot API call, passing it to ``inner`` unchanged."""

    def __init__(self, inner: BaseRequest, metrics: Metrics) -> None:
        self._inner = inner
        self._calls = metrics.api_calls

    @property
    def read_timeout(self) -> float | None:
        return self._inner.read_timeout

    async def initialize(self) -> None:
        await self._inner.initialize()

    async def shutdown(self) -> None:
        await self._inner.shutdown()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        name = api_method(url)
        try:
            status, payload = await self._inner.do_request(
                url,
                method,
                request_data,
                read_timeout=read_timeout,
                write_timeout=write_timeout,
                connect_timeout=connect_timeout,
                pool_timeout=pool_timeout,
            )
        except Exception:
            self._calls.labels(name, "network").inc()
            raise
        self._calls.labels(name, call_result(status)).inc()
        return status, payload
