"""Build the PTB ``Application``: services, handlers in order, error handler, command menu."""

from __future__ import annotations

import gc
import os
import secrets
import socket
from typing import TYPE_CHECKING, Any

from telegram import BotCommand, BotCommandScopeDefault
from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes, Defaults
from telegram.request import BaseRequest, HTTPXRequest

from bot.config import Settings
from bot.content.locales import DEFAULT_LANGUAGE
from bot.context import BotApplication, BotContext, BotData, BotServices, Clock, utc_now
from bot.handlers import (
    appreciations,
    checkins,
    drafts,
    fallback,
    hidden_days,
    journal,
    language,
    lessons,
    menu,
    notes,
    onboarding,
    pairing,
    privacy,
    safety,
    settings,
    talk,
    together,
    us,
)
from bot.handlers.admin import admin_handlers
from bot.handlers.errors import on_error
from bot.jobs.checkin_sender import checkin_sender_job
from bot.jobs.outbox import SendLedger
from bot.jobs.together import together_job
from bot.jobs.upkeep import upkeep_job
from bot.metrics import MeasuredRequest, Metrics
from bot.recovery import replay_unhandled, take_over_abandoned
from bot.services.content import Content, load_content
from bot.services.zone_country import load_zone_countries
from bot.storage.engine import create_engine, create_session_factory, pool_for_updates
from bot.storage.leadership import Leadership
from bot.update_log import RecordingBot, UpdateLog
from bot.update_order import PerPersonUpdateProcessor
from bot.zone_finder import LazyZoneFinder, ZoneFinder

if TYPE_CHECKING:
    from bot.web.server import BotWebServer

# A 429 from Telegram is waited out and the request repeated this many times.
MAX_RETRIES_AFTER_429 = 3
# Connections to the Bot API. httpcore looks at every open connection on each call, so each
# one costs CPU on every call: at 32 open, a send costs ~1.7-2 ms of CPU instead of ~1.3 ms
# at 8 (bench/dispatch.py). 16 carry far more than Telegram's ~30 messages/s at any RTT below
# half a second; a call that finds them all busy waits for one (BOT_API_POOL_TIMEOUT_SECONDS)
# instead of failing after PTB's default of 1 s.
BOT_API_CONNECTIONS = 16
BOT_API_POOL_TIMEOUT_SECONDS = 10.0
# Telegram's limit for one group chat (the bot only ever says there that it works privately).
GROUP_MESSAGES_PER_MINUTE = 20

# Group -3 checks commands for words of danger (help first, then the command as usual); group
# -2 holds one guard that stops forged button presses (see fallback.drop_foreign_button).
# All other handlers share one group, where the first match wins (PTB runs one handler of
# *each* group, so a second group would answer /start twice). Every private command's
# handler runs in a turn, which first closes the open question (see
# bot.handlers.pending_input.close_on_command). The order is:
#   1. commands sent in group chats: a hint and nothing else;
#   2. one module per feature area: its commands and its callback prefixes (safety first:
#      /support and help for an edited message that reads like a crisis; pairing before
#      onboarding: its "/start <code>" must be tried before the plain /start), then the
#      operators' commands (only for ADMIN_IDS; for anyone else they fall through as unknown);
#   3. free input: words that read like a crisis get help first (fallback.input_handlers),
#      the rest goes to the open question; then unknown commands and stale buttons, which
#      must come after every specific handler.
FEATURE_MODULES = (
    safety, pairing, onboarding, lessons, checkins, us, notes, journal, privacy, settings, menu,
    appreciations, talk, drafts, together, language, hidden_days,
)  # fmt: skip


def instance_id() -> str:
    """This process among others on the same database: host, pid and a random tail (a pid
    can come back after a restart)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


async def set_command_menus(application: BotApplication, content: Content) -> None:
    """The command menu in English for everyone, and in each other language for people whose
    Telegram speaks it (a person who picks a language gets a menu of their own, see
    ``bot.handlers.language``)."""
    bot = application.bot
    for code, each in content.languages.items():
        commands = [BotCommand(item.command, item.description) for item in each.texts.commands]
        if code == DEFAULT_LANGUAGE:
            await bot.set_my_commands(commands, scope=BotCommandScopeDefault())
        else:
            await bot.set_my_commands(commands, language_code=code)


def build_application(
    config: Settings,
    *,
    content: Content | None = None,
    request: BaseRequest | None = None,
    clock: Clock = utc_now,
    zone_finder: ZoneFinder | None = None,
    server: BotWebServer | None = None,
) -> BotApplication:
    """The whole bot. ``content`` is loaded (and validated) here unless given; ``request``,
    ``clock`` and ``zone_finder`` exist for tests and benchmarks. Without ``request`` the Bot
    API is reached through PTB's own ``HTTPXRequest`` (a pool for calls, and one connection
    of its own for getUpdates' long poll); either way each call is counted for /metrics.

    The database engine is created in ``post_init`` (inside the running event loop) and
    disposed of in ``post_shutdown``; ``server`` (the bot's HTTP server, see
    ``bot.web.server``) is started at the end of ``post_init`` and stopped in
    ``post_shutdown``.
    """
    if content is None:
        content = load_content()
    texts = content.texts
    zone_countries = load_zone_countries()

    async def post_init(application: BotApplication) -> None:
        # On a SQLite file one transaction runs at a time anyway (BEGIN IMMEDIATE): with one
        # pooled connection the others wait in the pool's queue, first come first served,
        # instead of in SQLite's busy handler, which sleeps and retries blindly (p99 at 32
        # updates in flight: ~0.2-0.3 s instead of ~1-2 s). Nothing in the bot holds two.
        # On PostgreSQL, a connection kept for each update in flight (pool_for_updates).
        pool = pool_for_updates(config.database_url, config.max_concurrent_updates)
        engine = create_engine(config.database_url, **pool)
        application.bot_data.services = BotServices(
            settings=config,
            texts=texts,
            languages=content.languages,
            frameworks=content.frameworks,
            crisis=content.crisis,
            engine=engine,
            sessions=create_session_factory(engine),
            zone_finder=zone_finder or LazyZoneFinder(),
            instance_id=instance_id(),
            leadership=Leadership(engine, clock),
            together=content.together,
            helplines=content.helplines,
            zone_countries=zone_countries,
            clock=clock,
            metrics=metrics,
            kept_records=together_ledger,
        )
        metrics.follow_leadership(lambda: application.bot_data.services.leadership.leading)
        # The process that takes updates handles leftovers; with several webhook instances,
        # only those no live instance is handling.
        if config.updates == "polling":
            await replay_unhandled(application)
        elif config.updates == "webhook":
            await take_over_abandoned(application)
        await set_command_menus(application, content)
        if application.job_queue is not None:
            # Runs only once the application is started (polling); tests call
            # send_due_checkins() themselves.
            application.job_queue.run_repeating(
                checkin_sender_job,
                interval=config.dispatch_interval_seconds,
                first=1,
                data=send_ledger,
                name="checkin_sender",
            )
            application.job_queue.run_repeating(
                together_job,
                interval=config.dispatch_interval_seconds,
                first=2,
                data=together_ledger,
                name="together",
            )
            application.job_queue.run_repeating(
                upkeep_job, interval=config.dispatch_interval_seconds, first=2, name="upkeep"
            )
        if server is not None:
            await server.start(application)
        # What start-up loaded (content, models, mappers, compiled queries...) lives as long as
        # the process: kept out of the cyclic collector's way, a full collection traverses
        # only what updates make. py-spy and gc.callbacks on bench/reciprocity.py: full
        # collections of ~100-400 ms were the slow presses (see bot.handlers.us).
        gc.freeze()

    async def post_shutdown(application: BotApplication) -> None:
        # Collectable again once the application is done (tests build many in one process).
        gc.unfreeze()
        if server is not None:
            await server.stop()
        await update_log.flush()
        services = application.bot_data.release()
        if services is not None:
            await send_ledger.record(services)
            await together_ledger.record(services)
            await services.leadership.release()
            await services.engine.dispose()
            services.worker.shutdown(wait=False)

    update_log = UpdateLog(lambda: application.bot_data.services)
    # What was sent and not yet recorded, each job's (the check-in job's with its notices),
    # kept from run to run and written once more at shutdown. The together job's also keeps
    # what a turn sent and could not record (``services.kept_records``): the rows it would
    # otherwise take over and send again are its own.
    send_ledger, together_ledger = SendLedger(), SendLedger()
    metrics = Metrics()
    # PTB's own HTTPXRequest unless a test hands in a fake; getUpdates holds its connection
    # for the whole long poll, so it gets one of its own.
    api_request = MeasuredRequest(
        request
        or HTTPXRequest(
            connection_pool_size=BOT_API_CONNECTIONS, pool_timeout=BOT_API_POOL_TIMEOUT_SECONDS
        ),
        metrics,
    )
    updates_request = (
        api_request
        if request is not None
        else MeasuredRequest(HTTPXRequest(connection_pool_size=1), metrics)
    )
    bot = RecordingBot(
        config.bot_token.get_secret_value(),
        base_url=config.telegram_base_url,
        base_file_url=config.telegram_base_file_url,
        request=api_request,
        get_updates_request=updates_request,
        defaults=Defaults(parse_mode=ParseMode.HTML, link_preview_options=None),
        # Always on: it is the one layer that waits out Telegram's 429s; a rate of 0 turns
        # only the pacing off (overall, and Telegram's 20 a minute per group).
        rate_limiter=AIORateLimiter(
            overall_max_rate=config.telegram_max_messages_per_second,
            overall_time_period=1,
            group_max_rate=GROUP_MESSAGES_PER_MINUTE
            if config.telegram_max_messages_per_second
            else 0,
            group_time_period=60,
            max_retries=MAX_RETRIES_AFTER_429,
        ),
        update_log=update_log,
    )
    processor = PerPersonUpdateProcessor(config.max_concurrent_updates, update_log, metrics)
    # Typed loosely: each builder call changes its type parameters; build() is typed below.
    builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = (
        Application.builder()
        .bot(bot)
        .context_types(ContextTypes(context=BotContext, bot_data=BotData))
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .concurrent_updates(processor)
    )
    application: BotApplication = builder.build()

    application.add_handlers(safety.FIRST_HANDLERS, group=-3)
    application.add_handlers(fallback.GUARD_HANDLERS, group=-2)
    application.add_handlers(fallback.GROUP_HANDLERS)
    for module in FEATURE_MODULES:
        application.add_handlers(module.HANDLERS)
    application.add_handlers(admin_handlers(config.admin_ids))
    input_routes = {
        **onboarding.INPUT_ROUTES,
        **lessons.INPUT_ROUTES,
        **checkins.INPUT_ROUTES,
        **journal.INPUT_ROUTES,
        **appreciations.INPUT_ROUTES,
        **talk.INPUT_ROUTES,
    }
    application.add_handlers([*fallback.input_handlers(input_routes), *fallback.HANDLERS])
    application.add_error_handler(on_error)
    application.add_error_handler(metrics.note_error)
    return application
