"""Updates/s and latency of the bot next to a minimal stock PTB echo bot, over HTTP.

Run from the repository root::

    .venv/bin/python bench/updates.py [--users 200] [--rounds 3] [--open-seconds 30] [--smoke]
    scripts/with-postgres .venv/bin/python bench/updates.py --backend postgresql
    scripts/with-postgres .venv/bin/python bench/updates.py --webhook --backend postgresql

Both bots are real PTB applications talking to one fake Bot API over HTTP on 127.0.0.1
(bench/common.py), with ``--concurrency`` updates in flight: by default the bot's
``MAX_CONCURRENT_UPDATES`` (32), as in production.

* **echo**: the minimal stock PTB bot: ``Application.builder()`` with its default request
  layer (``HTTPXRequest``), no database; it echoes each text and answers each button press.
* **echo, same calls**: the same stock bot, making the Bot API calls the bot makes for each
  kind of update of the mix (``SAME_CALLS``; checked against the bot's count): a text is
  answered with as many messages; a press is answered (``answerCallbackQuery``, which
  Telegram requires), a message edited with a text and keyboard of the pressed message's size
  (the pressed message's own, on a message of the echo's own, so the bot's stay as they are),
  and as many messages sent. It is the floor for the bot's calls: what the bot spends above
  it is its own work (database, logic), printed per update.
* **bot**: ``bot.app.build_application`` as ``python -m bot`` builds it, ``TELEGRAM_BASE_URL``
  pointing at the fake (so its default request layer), a fresh migrated database, the rate
  limiter off (``TELEGRAM_MAX_MESSAGES_PER_SECOND=0``).

The mix is what users do. Everyone onboards (/start, the consent button, typing a time zone,
a check-in time button); then on each of ``--rounds`` evenings the dispatcher (untimed) sends
everyone a check-in, which they answer button by button to the end; everyone writes a line of
chatter; one in ten sends /us. Each step is a wave of one update per user,
made from the bot's replies (the buttons it really sent) and fed to each bot (the order
reverses from wave to wave) as the application's update fetcher feeds what polling brings.

Figures: updates/s over the waves' wall time; latency from hand-over to the update processor
until handled; per update, CPU of this process (event loop and, on SQLite, database threads),
SQL statements (SQLAlchemy's ``before_cursor_execute`` event on the bot's engine: what is
sent through a cursor, SQLite's ``BEGIN IMMEDIATE`` included; the driver's own BEGIN and the
commits are not), Bot API calls, and CPU per Bot API call (CPU of PostgreSQL's server and the
fake Telegram's child process is not included); peak RSS of this process (all bots). /us (the
week's text; its chart is a button, measured by bench/reciprocity.py) is the heaviest read: it
has its own row, the others make the mix. Target: on the mix, the bot at least 75 % of the
echo bot's updates/s; the ratio with /us included is printed too. Then the bot's CPU per
update against both echos' (issue #24's target: at most 2x the stock echo's), and the bot's
own work per update: its CPU minus its calls at the same-calls echo's CPU per call. Exit
status 1 if a handler failed, Telegram refused a call, the same-calls echo's calls differ
from the bot's, or the database does not show everyone onboarded and every check-in
answered.

Then the **open loop**, the latency a person feels: the same people (``--users``, at most
200), now onboarded, send ``OPEN_RATE`` (20) updates/s arriving at random (Poisson) for
``--open-seconds`` (30): mostly a line of text, now and then /learn, /checklist or /us. Each
update is handed over at its arrival time whether or not the earlier ones are done; latency
runs from arrival to handled (the reply sent), queueing included. The bot runs as deployed,
with the rate limiter at its default (25 msg/s); the echo bot, stock PTB, has none.

``--webhook``: instead, one and two ``python -m bot`` processes in webhook mode
(bench/webhook.py).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import sys
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from bench import common, webhook
from bench.common import BenchError, Json, latency, percentile_ms, press_update, text_update
from bot.config import Settings
from bot.context import BotApplication
from bot.jobs.checkin_sender import send_due_checkins
from bot.storage.models import Checkin, User

TARGET = 0.75
CPU_TARGET = 2.0  # issue #24: the bot's CPU per update at most twice the stock echo's
DEFAULT_LIMIT = Settings.model_fields["telegram_max_messages_per_second"].default
US_SHARE = 10  # one user in ten sends /us each evening
US = "/us"  # counted apart from the mix (see above)
CHATTER = ("thanks!", "ok", "good night 🌙", "that was nice", "see you tomorrow")
OPEN_RATE = 20.0  # updates/s arriving at random (Poisson) in the open-loop row
OPEN_PEOPLE = 200
# What the open-loop people send, and how often: mostly a line of text, now and then a command.
OPEN_KINDS = (("chatter", 7), ("/learn", 1), ("/checklist", 1), (US, 1))
ECHO, SAME = "echo", "echo, same calls"
# The messages the bot sends for each kind of update of the mix, which the same-calls echo
# sends too: for a text, its replies; for a press, the messages besides its answer and edit
# (the consent's zone question; the time's "all set"). Checked: the bench fails if the two
# bots' calls differ.
SAME_CALLS = {"/start": 2, "consent button": 1, "zone typed": 2, "time button": 1,
              "check-in button": 0, "chatter": 1, US: 1}  # fmt: skip


Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


class StatementCounter:
    """SQL statements sent to the database, counted with SQLAlchemy's public event API
    (``before_cursor_execute`` on the engine: one per statement, an executemany counts once;
    on SQLite also ``begin``, whose listener sends ``BEGIN IMMEDIATE`` past the cursor, see
    bot.storage.engine)."""

    def __init__(self) -> None:
        self.count = 0

    def attach(self, engine: AsyncEngine) -> None:
        event.listen(engine.sync_engine, "before_cursor_execute", self.on_execute)
        if engine.dialect.name == "sqlite":
            event.listen(engine.sync_engine, "begin", self.on_execute)

    def on_execute(self, *args: object) -> None:
        self.count += 1


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None
    await update.message.reply_text(update.message.text or "")


async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.callback_query is not None
    await update.callback_query.answer()


async def say_as_often(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The same-calls echo on a text: as many messages as the bot sends (``SAME_CALLS``);
    the last one is the message its presses edit."""
    assert update.message is not None
    assert context.chat_data is not None
    for _ in range(context.bot_data["sends"]):
        sent = await update.message.reply_text(update.message.text or "")
    context.chat_data["own"] = sent.message_id


async def answer_and_edit(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The same-calls echo on a press: answered, a message edited with the pressed message's
    text and a keyboard of its size, and as many messages more as the bot sends. The edit
    goes to a message of the echo's own (the bot's must show what the bot said); its buttons'
    data are marked, so the bench never takes them for the bot's."""
    query = update.callback_query
    assert query is not None
    assert isinstance(query.message, Message)
    assert context.chat_data is not None
    await query.answer()
    pressed, own = query.message, context.chat_data["own"]
    rows = [
        [InlineKeyboardButton(b.text, callback_data=f"e{b.callback_data}"[:64]) for b in row]
        for row in (pressed.reply_markup.inline_keyboard if pressed.reply_markup else ())
    ]
    # Never the same text twice in a row: Telegram refuses an edit that changes nothing.
    context.chat_data["edits"] = edits = context.chat_data.get("edits", 0) + 1
    text = f"{pressed.text or ''} {edits}"
    await context.bot.edit_message_text(
        text, pressed.chat.id, own, reply_markup=InlineKeyboardMarkup(rows)
    )
    for _ in range(context.bot_data["sends"]):
        await context.bot.send_message(pressed.chat.id, pressed.text or "")


@dataclass
class Tally:
    seconds: float = 0.0
    cpu: float = 0.0
    calls: int = 0
    statements: int = 0
    by_kind: dict[str, list[float]] = field(default_factory=dict)

    @property
    def latencies(self) -> list[float]:
        return [value for values in self.by_kind.values() for value in values]

    @property
    def per_second(self) -> float:
        return len(self.latencies) / self.seconds

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            self.seconds + other.seconds,
            self.cpu + other.cpu,
            self.calls + other.calls,
            self.statements + other.statements,
            {**self.by_kind, **other.by_kind},
        )

    @property
    def cpu_ms(self) -> float:
        """CPU ms per update."""
        return 1000 * self.cpu / len(self.latencies)

    @property
    def calls_per_update(self) -> float:
        return self.calls / len(self.latencies)

    @property
    def cpu_ms_per_call(self) -> float:
        return 1000 * self.cpu / self.calls if self.calls else math.nan

    def row(self, name: str) -> str:
        n, latencies = len(self.latencies), self.latencies
        p50, p95, p99 = (percentile_ms(latencies, f) for f in (0.5, 0.95, 0.99))
        return (
            f"{name:20} {self.per_second:9.1f} {p50:7.1f} {p95:7.1f} {p99:7.1f} "
            f"{self.cpu_ms:8.2f} {self.statements / n:6.2f} {self.calls_per_update:7.2f} "
            f"{self.cpu_ms_per_call:11.2f}"
        )


@dataclass
class Bench:
    apps: dict[str, Application]
    telegram: common.FakeTelegram
    concurrency: int
    offset: timedelta = timedelta()  # of the bot's clock from real time
    tallies: dict[str, Tally] = field(default_factory=dict)
    waves: int = 0
    statements: StatementCounter = field(default_factory=StatementCounter)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    async def wave(self, kind: str, updates: list[Json]) -> None:
        """Feed the same updates to each bot in turn; who goes first alternates."""
        self.waves += 1
        for name in list(self.apps)[:: 1 if self.waves % 2 else -1]:
            tally = self.tallies.setdefault(f"{name} {kind}" if kind == US else name, Tally())
            if name == SAME:
                self.apps[name].bot_data["sends"] = SAME_CALLS[kind]
            calls, statements = self.telegram.stats()["calls"].total(), self.statements.count
            cpu, wall = time.process_time(), time.perf_counter()
            seconds = await common.feed(self.apps[name], updates, self.concurrency)
            tally.seconds += time.perf_counter() - wall
            tally.cpu += time.process_time() - cpu
            tally.calls += self.telegram.stats()["calls"].total() - calls
            tally.statements += self.statements.count - statements
            tally.by_kind.setdefault(kind, []).extend(seconds)

    async def press_all(self, kind: str, users: list[int], prefix: str) -> None:
        presses = []
        for user, message in self.telegram.newest_with(users, prefix).items():
            if message is None:
                raise BenchError(f"no {prefix!r} button for user {user}")
            presses.append(press_update(user, common.button(message, prefix), message))
        await self.wave(kind, presses)


async def evening(bench: Bench, app: BotApplication, users: list[int]) -> None:
    """Move the clock to everyone's check-in, dispatch, and let everyone answer to the end."""
    services = app.bot_data.services
    async with services.sessions() as session:
        due = await session.scalar(select(func.max(User.next_checkin_at)))
    assert due is not None
    bench.offset = due + timedelta(minutes=1) - datetime.now(UTC)
    if (report := await send_due_checkins(app.bot, services)).sent != len(users):
        raise BenchError(f"the dispatcher sent {report.sent} check-ins to {len(users)} users")
    rng = random.Random(due.toordinal())
    for _ in range(20):  # a check-in asks at most seven questions
        presses = []
        for user, message in bench.telegram.newest_with(users, "ci:").items():
            # An answer at random, then "done"; a finished check-in keeps only "change".
            answers = [d for d in common.buttons(message) if d.startswith("ci:") and ":a:" in d]
            finish = [d for d in common.buttons(message) if d.endswith(":done")]
            if message is not None and (answers or finish):
                presses.append(press_update(user, rng.choice(answers or finish), message))
        if not presses:
            return
        await bench.wave("check-in button", presses)
    raise BenchError("the check-ins never end")


async def mix(bench: Bench, app: BotApplication, users: list[int], rounds: int) -> None:
    """Onboarding, then ``rounds`` evenings; checks the outcome in the bot's database."""
    await bench.wave("/start", [text_update(u, "/start") for u in users])
    await bench.press_all("consent button", users, "consent:yes")
    await bench.wave("zone typed", [text_update(u, "Europe/Berlin") for u in users])
    await bench.press_all("time button", users, "time:")
    for day in range(rounds):
        await evening(bench, app, users)
        await bench.wave("chatter", [text_update(u, CHATTER[(u + day) % 5]) for u in users])
        await bench.wave(US, [text_update(u, "/us") for u in users[day % US_SHARE :: US_SHARE]])
    async with app.bot_data.services.sessions() as session:
        onboarded = await session.scalar(select(func.count()).where(User.onboarded_at.is_not(None)))
        answered = await session.scalar(
            select(func.count()).where(Checkin.answered_at.is_not(None))
        )
    if (onboarded, answered) != (len(users), len(users) * rounds):
        raise BenchError(f"{onboarded} users onboarded, {answered} check-ins answered")


def open_arrivals(people: list[int], seconds: float, rng: random.Random) -> list[Json]:
    """Updates for the open-loop row: Poisson arrivals at ``OPEN_RATE`` a second for
    ``seconds`` from ``people`` chosen at random; each carries its arrival time and kind."""
    names, weights = [kind for kind, _ in OPEN_KINDS], [share for _, share in OPEN_KINDS]
    arrivals, at = [], rng.expovariate(OPEN_RATE)
    while at < seconds:
        user, kind = rng.choice(people), rng.choices(names, weights)[0]
        text = CHATTER[rng.randrange(len(CHATTER))] if kind == "chatter" else kind
        arrivals.append({"at": at, "kind": kind, "update": text_update(user, text)})
        at += rng.expovariate(OPEN_RATE)
    return arrivals


async def open_loop(
    app: Application, arrivals: list[Json], telegram: common.FakeTelegram, sql: StatementCounter
) -> Tally:
    """Hand each update over at its arrival time, whether or not earlier ones are done (open
    loop: a slow bot meets a queue, as it would in production), through the application's
    update processor. Latency runs from the arrival time, not from when the update got a
    place, so time spent queued counts (no coordinated omission)."""
    tally = Tally()
    calls, statements = telegram.stats()["calls"].total(), sql.count
    cpu, start = time.process_time(), time.perf_counter()

    async def handle(arrival: Json) -> None:
        update = Update.de_json(arrival["update"], app.bot)
        await app.update_processor.process_update(update, app.process_update(update))
        waited = time.perf_counter() - (start + arrival["at"])
        tally.by_kind.setdefault(arrival["kind"], []).append(waited)

    tasks = []
    for arrival in arrivals:
        if (delay := start + arrival["at"] - time.perf_counter()) > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(handle(arrival)))
    await asyncio.gather(*tasks)
    tally.seconds, tally.cpu = time.perf_counter() - start, time.process_time() - cpu
    tally.calls = telegram.stats()["calls"].total() - calls
    tally.statements = sql.count - statements
    return tally


def stock_bot(
    telegram: common.FakeTelegram, concurrency: int, on_text: Handler, on_press: Handler
) -> tuple[Application, common.ErrorCounter]:
    """A minimal stock PTB bot (the builder's defaults, its own ``HTTPXRequest``) that
    answers texts with ``on_text`` and presses with ``on_press``; and its error counter."""
    app = (
        Application.builder()
        .token(common.TOKEN)
        .base_url(telegram.base_url)
        .base_file_url(telegram.base_file_url)
        .concurrent_updates(concurrency)
        .build()
    )
    app.add_handlers([MessageHandler(filters.TEXT, on_text), CallbackQueryHandler(on_press)])
    app.add_error_handler(errors := common.ErrorCounter())
    return app, errors


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=200, help="default 200")
    parser.add_argument("--rounds", type=int, default=3, help="evenings (default 3)")
    parser.add_argument("--concurrency", type=int, help="default: MAX_CONCURRENT_UPDATES (32)")
    parser.add_argument(
        "--open-seconds", type=float, default=30.0, help="length of the open-loop row (30)"
    )
    parser.add_argument(
        "--webhook",
        action="store_true",
        help="one and two python -m bot instances in webhook mode (two need PostgreSQL)",
    )
    args = common.parse_arguments(parser)
    if args.smoke:
        args.users, args.rounds, args.open_seconds = 4, 1, 2.0
    if args.webhook:
        await webhook.run_webhook(args)
        return
    users = [100_000_001 + n for n in range(args.users)]
    async with common.fresh_database(args) as url:
        with common.FakeTelegram() as telegram:
            overrides = {"max_concurrent_updates": args.concurrency} if args.concurrency else {}
            settings = common.bot_settings(url, telegram, **overrides)
            concurrency = settings.max_concurrent_updates
            echo_app, echo_errors = stock_bot(telegram, concurrency, echo, answer)
            same_app, same_errors = stock_bot(telegram, concurrency, say_as_often, answer_and_edit)
            async with echo_app, same_app:
                echo_rss = common.peak_rss_mb()
                bench = Bench({ECHO: echo_app, SAME: same_app}, telegram, concurrency)
                async with common.running_bot(settings, bench.now) as (app, errors):
                    bench.apps["bot"] = app
                    bench.statements.attach(app.bot_data.services.engine)
                    await mix(bench, app, users, args.rounds)
                    common.check(errors, telegram)
                # The open loop: the same people, now onboarded; the bot as deployed, with
                # the rate limiter at its default (the echo bot has none: stock PTB).
                arrivals = open_arrivals(users[:OPEN_PEOPLE], args.open_seconds, random.Random(7))
                open_echo = await open_loop(echo_app, arrivals, telegram, bench.statements)
                limited = common.bot_settings(
                    url, telegram, **overrides, telegram_max_messages_per_second=DEFAULT_LIMIT
                )
                async with common.running_bot(limited, bench.now) as (app, errors):
                    open_sql = StatementCounter()
                    open_sql.attach(app.bot_data.services.engine)
                    open_bot = await open_loop(app, arrivals, telegram, open_sql)
                    common.check(errors, telegram)
            common.check(same_errors, telegram)
            stats = common.check(echo_errors, telegram)

    bot, echo_tally, same = (bench.tallies[name] for name in ("bot", ECHO, SAME))
    us_bot, us_echo = bench.tallies[f"bot {US}"], bench.tallies[f"{ECHO} {US}"]
    us_same = bench.tallies[f"{SAME} {US}"]
    if (same.calls, us_same.calls) != (bot.calls, us_bot.calls):
        raise BenchError(
            f"the same-calls echo made {same.calls} + {us_same.calls} Bot API calls, the bot "
            f"{bot.calls} + {us_bot.calls}: SAME_CALLS in bench/updates.py needs updating"
        )
    print(
        f"{args.backend}: {len(users)} users, {args.rounds} evening(s), {concurrency} updates in "
        f"flight, rate limiter off: {len(bot.latencies)} updates of the mix and "
        f"{len(us_bot.latencies)} of {US} for each bot"
    )
    header = (f"{'':20} {'updates/s':>9} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
              f"{'CPU ms/u':>8} {'SQL/u':>6} {'calls/u':>7} {'CPU ms/call':>11}")  # fmt: skip
    print(header)
    print(echo_tally.row("echo (stock PTB)"))
    print(same.row(SAME))
    print(bot.row("bot"))
    print(us_echo.row(f"echo {US} (echoed)"))
    print(us_same.row(f"{SAME} {US}"))
    print(us_bot.row(f"bot {US}"))
    ratio = bot.per_second / echo_tally.per_second
    verdict = "met" if ratio >= TARGET else "NOT met"
    print(
        f"bot/echo on the mix: {ratio:.0%} of the echo bot's updates/s (target >= {TARGET:.0%}: "
        f"{verdict}); CPU per update {bot.cpu_ms / echo_tally.cpu_ms:.1f}x the echo bot's"
    )
    cpu_ratio = bot.cpu_ms / echo_tally.cpu_ms
    print(
        f"CPU per update on the mix: bot/echo {cpu_ratio:.1f}x (target <= {CPU_TARGET:.0f}x: "
        f"{'met' if cpu_ratio <= CPU_TARGET else 'NOT met'}), bot/echo-same-calls "
        f"{bot.cpu_ms / same.cpu_ms:.1f}x; per Bot API call: bot/echo "
        f"{bot.cpu_ms_per_call / echo_tally.cpu_ms_per_call:.1f}x, bot/echo-same-calls "
        f"{bot.cpu_ms_per_call / same.cpu_ms_per_call:.1f}x"
    )
    floor = bot.calls_per_update * same.cpu_ms_per_call
    print(
        f"bot's own work per update (its CPU minus its calls at the same-calls echo's CPU per "
        f"call): {bot.cpu_ms:.2f} - {bot.calls_per_update:.2f} x {same.cpu_ms_per_call:.2f} = "
        f"{bot.cpu_ms - floor:.2f} ms ({bot.statements / len(bot.latencies):.2f} SQL/u); "
        f"with {US}: {us_bot.cpu_ms - us_bot.calls_per_update * us_same.cpu_ms_per_call:.2f} ms"
    )
    everything = [bot + us_bot, echo_tally + us_echo]
    print(
        f"bot/echo with {US} in the mix: {everything[0].per_second / everything[1].per_second:.0%}"
    )
    kinds = ", ".join(
        f"{kind} {percentile_ms(values, 0.5):.1f}/{percentile_ms(values, 0.99):.1f}"
        for kind, values in (bot + us_bot).by_kind.items()
    )
    print(f"bot p50/p99 ms by kind: {kinds}")
    print(
        f"open loop: {OPEN_RATE:.0f} updates/s at random (Poisson) from {len(users[:OPEN_PEOPLE])} "
        f"people for {args.open_seconds:.0f} s ({len(arrivals)} updates: "
        + ", ".join(f"{kind} {share}/10" for kind, share in OPEN_KINDS)
        + f"); bot with the rate limiter at its default ({DEFAULT_LIMIT} msg/s), echo without"
    )
    print(header)
    print(open_echo.row("echo open loop"))
    print(open_bot.row("bot open loop"))
    print(f"bot open loop, from arrival to reply: {latency(open_bot.latencies)}")
    kinds = ", ".join(
        f"{kind} {percentile_ms(values, 0.5):.1f}/{percentile_ms(values, 0.99):.1f}"
        for kind, values in open_bot.by_kind.items()
    )
    print(f"bot open loop p50/p99 ms by kind: {kinds}")
    print(
        f"peak RSS of this process (bench, echo bot and bot) {common.peak_rss_mb():.0f} MB "
        f"({echo_rss:.0f} MB before the bot started; the bot's own process: bench/memory.py); "
        f"fake Telegram {stats['cpu']:.1f} s CPU for {stats['calls'].total()} calls"
    )


if __name__ == "__main__":
    common.run(main)
