"""The Mini App ("Open our week"): its page and JSON API, on the bot's own HTTP server.

- ``GET /app/`` and its script and styles: static files from the package (``static/``);
- ``GET /app/api/week?back=N``: the week ``N`` weeks back, as ``/us`` tells it;
- ``GET /app/api/journal?page=N``: a page of the person's own journal;
- ``POST /app/api/talk``: "talk about it", the guided talk started as the chat's button does.

Every API call carries Telegram's ``initData`` (``Authorization: tma …``, checked by
:mod:`bot.web.init_data`); the person is taken from it alone, and sees only what the chat
shows them (the same services, under the one reveal rule of :mod:`bot.storage.scope`). A
missing, forged or expired ``initData`` is 401, someone the bot does not know 403, and the
body then holds only the words of a kind screen. Each person's calls are rate-limited
(:mod:`bot.web.limits`, per instance). The log names the route and the reason, never an id
or a word of anyone's.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from importlib import resources

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot

from bot.config import Settings
from bot.context import BotApplication, BotServices
from bot.delivery import (
    Outcome,
    Recorded,
    Reply,
    Send,
    Step,
    deliver_recorded,
    tell_all_then_record,
)
from bot.handlers.talk import asked_message, copy_sent, partner_question, reveal
from bot.services import accounts, pings, talk
from bot.services.journal import journal_page
from bot.services.pairing import partnership_of
from bot.services.ping_budget import Kind
from bot.services.talk import Asked, Refusal
from bot.services.weekly import week_for
from bot.storage import pairing
from bot.storage.health import is_outage
from bot.storage.models import User
from bot.views.held import keyboard_json, with_held
from bot.views.week_page import (
    journal_json,
    oldest_weeks_back,
    page_texts,
    plain,
    refusal_texts,
    week_json,
)
from bot.web.init_data import InitDataError, WebAppUser, from_header, verify
from bot.web.limits import RateLimiter

logger = logging.getLogger(__name__)

PREFIX = "/app"
STATIC = {
    "app.js": "text/javascript",
    "app.css": "text/css",
}
TELEGRAM_SCRIPT = "https://telegram.org"
# Scripts and styles from this origin (and Telegram's script), nothing inline; framed only by
# Telegram's web client, which shows Mini Apps in a frame.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        f"script-src 'self' {TELEGRAM_SCRIPT}",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors https://web.telegram.org",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
NO_STORE = {"Cache-Control": "no-store", **SECURITY_HEADERS}
MAX_WEEKS_BACK = 104
MAX_JOURNAL_PAGE = 10_000
# Reads: a burst of 20, then one every 2 s on average; "talk about it": 3, then one a minute.
READ_BURST, READ_RATE = 20, 0.5
TALK_BURST, TALK_RATE = 3, 1 / 60


def _static(name: str) -> bytes:
    return (resources.files("bot.web") / "static" / name).read_bytes()


class MiniApp:
    """The page and API of one server. Its rate limiters are this instance's own."""

    def __init__(
        self,
        settings: Settings,
        application: Callable[[], BotApplication | None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._token = settings.bot_token.get_secret_value()
        self._application = application
        self._clock = clock
        self.reads = RateLimiter(READ_BURST, READ_RATE)
        self.talks = RateLimiter(TALK_BURST, TALK_RATE)
        # One "talk about it" at a time per person here; across instances the couple's row,
        # held while the guided question is looked up and opened, does the same, and the
        # open question makes a second tap show the first (talk.start_guided).
        self._talking: dict[int, asyncio.Lock] = {}
        self._files = {name: _static(name) for name in ("index.html", *STATIC)}

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get(PREFIX, self.redirect)
        app.router.add_get(f"{PREFIX}/", self.index)
        for name in STATIC:
            app.router.add_get(f"{PREFIX}/{name}", self.static_file)
        app.router.add_get(f"{PREFIX}/api/week", self.week)
        app.router.add_get(f"{PREFIX}/api/journal", self.journal)
        app.router.add_post(f"{PREFIX}/api/talk", self.talk)

    # --- the page -------------------------------------------------------------------------------

    async def redirect(self, request: web.Request) -> web.Response:
        raise web.HTTPFound(f"{PREFIX}/")

    async def index(self, request: web.Request) -> web.Response:
        return web.Response(
            body=self._files["index.html"],
            content_type="text/html",
            charset="utf-8",
            headers={"Cache-Control": "no-cache", **SECURITY_HEADERS},
        )

    async def static_file(self, request: web.Request) -> web.Response:
        name = request.path.rsplit("/", 1)[-1]
        return web.Response(
            body=self._files[name],
            content_type=STATIC[name],
            charset="utf-8",
            headers={"Cache-Control": "no-cache", **SECURITY_HEADERS},
        )

    # --- the API --------------------------------------------------------------------------------

    async def week(self, request: web.Request) -> web.Response:
        return await self._call(request, self._week)

    async def journal(self, request: web.Request) -> web.Response:
        return await self._call(request, self._journal)

    async def talk(self, request: web.Request) -> web.Response:
        return await self._call(request, self._talk, limiter=self.talks)

    async def _call(
        self,
        request: web.Request,
        handle: Callable[[web.Request, BotServices, WebAppUser], Awaitable[web.Response | None]],
        *,
        limiter: RateLimiter | None = None,
    ) -> web.Response:
        application = self._application()
        try:
            if application is None:
                raise RuntimeError("starting")
            services = application.bot_data.services
        except RuntimeError:
            return web.json_response({"error": "starting"}, status=503, headers=NO_STORE)
        route = request.path.removeprefix(f"{PREFIX}/api/")
        person: WebAppUser | None = None
        try:
            person = verify(
                from_header(request.headers.get("Authorization")), self._token, services.clock()
            )
        except InitDataError as error:
            logger.info("mini app %s: refused (%s)", route, error.reason.value)
            return self._refused(services, request, 401, known=True)
        now = self._clock()
        if not self.reads.allow(person.telegram_id, now) or (
            limiter is not None and not limiter.allow(person.telegram_id, now)
        ):
            logger.info("mini app %s: too many calls from one person", route)
            texts = services.texts_for(services.language_of(person.language_code))
            body = {"error": "slow down", "text": texts.mini_app.slow_down}
            return web.json_response(body, status=429, headers=NO_STORE)
        try:
            result = await handle(request, services, person)
        except Exception as error:
            # Only the kind of error: its message may hold a query's values (ids, words).
            if is_outage(error):
                services.database_health.unavailable(error)
            logger.warning("mini app %s: failed (%s)", route, type(error).__name__)
            texts = services.texts_for(services.language_of(person.language_code))
            body = {"error": "failed", "text": texts.mini_app.error_text}
            return web.json_response(body, status=503, headers=NO_STORE)
        if result is None:
            logger.info("mini app %s: refused (not someone the bot knows)", route)
            return self._refused(services, request, 403, known=False, person=person)
        return result

    def _refused(
        self,
        services: BotServices,
        request: web.Request,
        status: int,
        *,
        known: bool,
        person: WebAppUser | None = None,
    ) -> web.Response:
        """Only the words of the kind screen, in the language the page asks for (it reads
        Telegram's language on the phone): never data."""
        language = person.language_code if person else request.query.get("lang")
        texts = services.texts_for(services.language_of(language))
        body = {"error": "refused", **refusal_texts(texts, known=known)}
        return web.json_response(body, status=status, headers=NO_STORE)

    async def _week(
        self, request: web.Request, services: BotServices, person: WebAppUser
    ) -> web.Response | None:
        back = _number(request.query.get("back"), MAX_WEEKS_BACK)
        now = services.clock()
        async with services.transaction() as session:
            if (user := await _known(session, person)) is None:
                return None
            view = await week_for(session, user, now, crisis=services.crisis, weeks_back=back)
            if view.weeks_back > (oldest := oldest_weeks_back(view)):
                view = await week_for(session, user, now, crisis=services.crisis, weeks_back=oldest)
        texts = services.texts_for(user.language)
        body = {"week": week_json(texts, view), "texts": page_texts(texts)}
        return web.json_response(body, headers=NO_STORE)

    async def _journal(
        self, request: web.Request, services: BotServices, person: WebAppUser
    ) -> web.Response | None:
        page = _number(request.query.get("page"), MAX_JOURNAL_PAGE)
        async with services.transaction() as session:
            if (user := await _known(session, person)) is None:
                return None
            found = await journal_page(
                session, user, page, services.crisis.matches, services.together_for(user.language)
            )
        texts = services.texts_for(user.language)
        frameworks = services.frameworks_for(user.language)
        body = journal_json(texts, frameworks, user.time_zone or "UTC", found)
        return web.json_response(body, headers=NO_STORE)

    async def _talk(
        self, request: web.Request, services: BotServices, person: WebAppUser
    ) -> web.Response | None:
        """The guided talk, as the chat's "talk about it": started in one transaction by the
        same service and the same words (which show an open one again rather than start a
        second: the database makes this idempotent), then its first message sent in the
        chat. Nothing here is written with an update, so each new copy is claimed in that
        transaction and recorded as sent once it arrived: after a crash, the job that sends
        unsent copies delivers it."""
        application = self._application()
        assert application is not None
        lock = self._talking.setdefault(person.telegram_id, asyncio.Lock())
        async with lock:
            started = await self._start_talk(services, person, application.bot)
        if not lock.locked():
            self._talking.pop(person.telegram_id, None)
        if started is None:
            return None
        if started.nothing is not None:  # paused sharing: the chat's neutral words
            body = {"error": "nothing to talk about", "text": started.nothing}
            return web.json_response(body, status=409, headers=NO_STORE)
        if started.send is None:  # not paired (any more): nothing to talk about here
            return self._refused(services, request, 403, known=True, person=person)
        await started.send()
        return web.json_response({"started": True}, headers=NO_STORE)

    async def _start_talk(
        self, services: BotServices, person: WebAppUser, bot: Bot
    ) -> _Started | None:
        """What to send once committed; ``None``: someone the bot does not know."""
        now = services.clock()
        async with services.transaction() as session:
            if (fresh := await _known(session, person)) is None:
                return None
            partnership = await partnership_of(session, fresh)
            if partnership is None:
                return _Started()
            # Two taps at once (on two instances, say) take turns: the second finds the
            # question the first opened and shows it again (SQLite: one writer already).
            await pairing.lock_couple(session, partnership.couple_id)
            together = services.together_for(fresh.language)
            asked = await talk.start_guided(
                session, together, fresh, now, owner=services.instance_id
            )
            if isinstance(asked, Refusal):
                if asked is Refusal.NOT_SHARING:  # never says why, nor who paused
                    words = services.texts_for(fresh.language).quiet
                    return _Started(nothing=plain(words.nothing_to_talk))
                return _Started()
            if asked.unrevealed is not None:  # both answered; the answers never reached both
                mine, theirs = asked.unrevealed
                plan = reveal(
                    services, fresh, asked.question, asked.text, asked.partner, mine, theirs,
                    silent=False, now=now,
                )  # fmt: skip
                chats = [
                    (u.telegram_id, text, markup, quiet) for u, text, markup, quiet in plan.messages
                ]

                async def reveal_both() -> None:
                    await tell_all_then_record(bot, services, chats, plan.record, plan.then)

                return _Started(reveal_both)
            question = asked.question
            items: list[Recorded] = [
                (
                    Reply(fresh.telegram_id, *asked_message(services, fresh, asked)),
                    copy_sent(services, question, fresh),
                )
            ]
            if asked.new and not asked.partner_waits:
                items.extend(await _to_partner(session, services, bot, fresh, asked, now))

        async def send_all() -> None:
            await deliver_recorded(bot, services, items)

        return _Started(send_all)


@dataclass(frozen=True)
class _Started:
    """What "talk about it" does once committed (``send``), or the words instead of it
    (``nothing``); neither: not paired."""

    send: Send | None = None
    nothing: str | None = None


async def _to_partner(
    session: AsyncSession,
    services: BotServices,
    bot: Bot,
    user: User,
    asked: Asked,
    now: datetime,
) -> list[Recorded]:
    """The partner's copy, under their ping budget as the chat's (``unasked``, decided in
    this transaction, :func:`bot.services.pings.admit`): held for their next check-in if
    today's extra message went (then handed over, so recorded as sent now); else sent with
    what was held for them ahead of it, and recorded as sent — with what was held handed
    over — once Telegram answered."""
    partner, question = asked.partner, asked.question
    text, markup = partner_question(services, user, asked)
    held = await pings.admit(
        session, partner, Kind.QUESTION, now,
        text=text, markup=keyboard_json(markup), sender_id=user.id,
    )  # fmt: skip
    if held is None:
        await talk.copy_sent(session, question, partner, now)
        return []
    sent = copy_sent(services, question, partner)

    def record(outcome: Outcome) -> Step:
        step = sent(outcome)

        async def both(session: AsyncSession) -> None:
            await pings.handed_over(session, held, arrived=outcome.arrived)
            if step is not None:
                await step(session)

        return both

    merged, keys = with_held(held, text, markup, bot)
    return [
        (
            Reply(partner.telegram_id, merged, keys, partner=True, silent=asked.partner_silent),
            record,
        )
    ]


async def _known(session: AsyncSession, person: WebAppUser) -> User | None:
    """The person of a verified ``initData``, if the bot knows them and they have finished
    setting up (before that the page has nothing to show)."""
    user = await accounts.find_user(session, person.telegram_id)
    return user if user is not None and user.onboarded_at is not None else None


def _number(value: str | None, most: int) -> int:
    """A page or week number from the query: anything else is 0."""
    if value is None or not value.isdigit() or len(value) > 6:
        return 0
    return min(int(value), most)
