"""The ping budget (issue #25): at most three messages a day a person did not ask for — the
check-in, its reminder and one more; what would go over is held and arrives later, merged
into one message. The rule on its own, then a couple's whole week through the real
Application and the fake Bot API, counted per person and local day.

Alex lives in Berlin (UTC+1 in November), Sam in London (UTC+0); both check in at 20:00 UTC
(Berlin 21:00, London 20:00); the reminder comes two hours after an unanswered check-in.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial

from bot.jobs.checkin_sender import send_due_checkins
from bot.jobs.notices import send_notices
from bot.services.ping_budget import (
    DAILY_LIMIT,
    SEPARATOR,
    Kind,
    Merged,
    Verdict,
    Waiting,
    ahead_of,
    merge,
    verdict,
    with_nudges,
)
from bot.services.quiet_hours import local_day
from bot.storage.models import HeldPing
from tests.harness import TEXTS, BotHarness, TelegramUser, shown
from tests.journeys import QUIET_DAY, answer_checkin, help_in, onboard, open_reflection, pair
from tests.telegram_fake import ApiCall, visible_text
from tests.test_together import TALK, THANKS, TIPS, together_run, user_row

MONDAY = date(2026, 11, 23)

# --- the rule -----------------------------------------------------------------------------------


def test_the_check_in_and_its_reminder_always_go_and_one_more_a_day() -> None:
    for kind in (Kind.CHECKIN, Kind.REMINDER):
        assert verdict(kind, extra_taken=True) is Verdict.NOW
    for kind in (Kind.SHARED_DAY, Kind.WEEKLY_QUESTION, Kind.DIGEST, Kind.TIP, Kind.NOTE):
        assert verdict(kind, extra_taken=False) is Verdict.NOW
        assert verdict(kind, extra_taken=True) is Verdict.HOLD
    assert verdict(Kind.NUDGE, extra_taken=True) is Verdict.WITH_REMINDER
    assert DAILY_LIMIT == 3


def test_what_is_held_becomes_one_message_oldest_first_without_stale_nudges() -> None:
    keys = json.dumps({"inline_keyboard": [[{"text": "Answer", "callback_data": "tk:1:a"}]]})
    waiting = [
        Waiting(1, Kind.NUDGE, MONDAY, "Sam has checked in"),  # Monday is over
        Waiting(2, Kind.NOTE, MONDAY, "Sam shared a note"),
        Waiting(3, Kind.WEEKLY_QUESTION, MONDAY, "A question", keys),
        Waiting(4, Kind.NUDGE, MONDAY + timedelta(days=1), "Sam has checked in today"),
    ]

    merged = merge(waiting, MONDAY + timedelta(days=1))

    assert merged is not None
    assert merged.text == SEPARATOR.join(
        ["Sam shared a note", "A question", "Sam has checked in today"]
    )
    assert merged.sent == (2, 3, 4)
    assert merged.dropped == (1,)
    assert merged.markup == json.loads(keys)
    assert merge([], MONDAY) is None


def test_what_does_not_fit_one_message_waits_but_the_first_always_goes() -> None:
    long = "x" * 3000
    waiting = [Waiting(n, Kind.NOTE, MONDAY, long) for n in (1, 2)]

    merged = merge(waiting, MONDAY)

    assert merged is not None
    assert merged.sent == (1,)
    assert merged.text == long
    huge = merge([Waiting(1, Kind.NOTE, MONDAY, "y" * 5000)], MONDAY)
    assert huge is not None
    assert huge.sent == (1,)


def test_held_messages_go_ahead_of_the_one_that_may_go_now_with_all_buttons() -> None:
    held = Merged("held", {"inline_keyboard": [[{"text": "a"}]]}, (1,), ())
    text, markup = ahead_of(held, "now", {"inline_keyboard": [[{"text": "b"}]]})
    assert text == f"held{SEPARATOR}now"
    assert markup == {"inline_keyboard": [[{"text": "a"}], [{"text": "b"}]]}
    assert ahead_of(None, "now", None) == ("now", None)
    assert with_nudges("Your check-in waits", ["Sam did", "Sam did"]) == (
        "Sam did\n\nYour check-in waits"
    )


# --- a couple's week ----------------------------------------------------------------------------


class Week:
    """Drives the week and sorts every message the fake Bot API received: what answered a
    person's own update is theirs; everything else — sent by a job, or set off by the
    partner — is unasked, counted per receiver and their local day."""

    def __init__(self, harness: BotHarness, alex: TelegramUser, sam: TelegramUser) -> None:
        self.harness, self.alex, self.sam = harness, alex, sam
        self.zones = {alex.user_id: "Europe/Berlin", sam.user_id: "Europe/London"}
        self.unasked: Counter[tuple[int, date]] = Counter()
        self.appreciations: list[str] = []
        self.held_texts: dict[int, set[str]] = {alex.user_id: set(), sam.user_id: set()}
        self.seen = len(harness.api.calls)

    def _new_sends(self) -> list[ApiCall]:
        calls = self.harness.api.calls[self.seen :]
        self.seen = len(self.harness.api.calls)
        return [c for c in calls if c.method == "sendMessage" and c.status == 200]

    async def _after(self, actor: int | None) -> list[ApiCall]:
        now = self.harness.clock.now
        partner_sends = []
        for call in self._new_sends():
            assert call.chat_id is not None
            if call.chat_id == actor:
                continue  # a reply to their own update
            if (call.text or "").startswith(THANKS.received.split("{")[0].strip()):
                self.appreciations.append(call.text or "")
                continue  # an appreciation the partner wrote: never counted, never held
            self.unasked[(call.chat_id, local_day(self.zones[call.chat_id], now))] += 1
            partner_sends.append(call)
        for row in await self.harness.rows(HeldPing):
            if row.kind != Kind.NUDGE:  # a nudge goes in the reminder, or lapses with the day
                self.held_texts[self.chats[row.user_id]].add(row.text)
        return partner_sends

    async def ids(self) -> None:
        self.chats = {(await user_row(self.harness, t)).id: t for t in self.zones}

    async def jobs(self, hour: int, minute: int = 0, *, day: date) -> list[ApiCall]:
        """The periodic jobs at ``hour``:``minute`` UTC of ``day``."""
        self.harness.clock.now = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
        app = self.harness.app
        assert app is not None
        services = app.bot_data.services
        await send_due_checkins(app.bot, services)
        await send_notices(app.bot, services)
        await together_run(self.harness)
        return await self._after(None)

    async def act(
        self, person: TelegramUser, action: Callable[[], Awaitable[object]], at: datetime
    ) -> list[ApiCall]:
        self.harness.clock.now = at
        await action()
        return await self._after(person.user_id)


def visible(call: ApiCall) -> str:
    return visible_text(call.text or "", call.params.get("parse_mode"))


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


async def share_reflection(person: TelegramUser, words: str, *, again: bool = False) -> None:
    if again:  # from the practice page shown the first time
        await person.press(TEXTS.lessons.reflect_button)
    else:
        await open_reflection(person, 1)
    await person.send(words)
    await person.press(TEXTS.notes.share_button)


async def answer_talk(person: TelegramUser, words: str) -> None:
    await person.press(TALK.answer_button)
    await person.send(words)


async def test_a_couples_week_never_brings_more_than_three_unasked_messages_a_day(
    harness: BotHarness,
) -> None:
    sunday = MONDAY - timedelta(days=1)
    harness.clock.now = at(sunday, 10)
    alex = await onboard(harness, 1001, "Alex", "Berlin", "21:00")
    sam = await onboard(harness, 2002, "Sam", "London", "20:00")
    await pair(alex, sam)
    for person in (alex, sam):
        await person.send("/settings")
        await person.press(shown(TEXTS.settings.nudge_button, state=TEXTS.settings.nudge_on))
    week = Week(harness, alex, sam)
    await week.ids()
    await week.jobs(11, day=sunday)  # the tips offer, which comes with the pairing
    for person in (alex, sam):
        await week.act(person, partial(person.press, TIPS.offer_yes_button), at(sunday, 11, 5))

    held_at_most = 0
    for offset in range(7):
        day = MONDAY + timedelta(days=offset)
        await week.jobs(8, 30, day=day)
        await week.jobs(10, 5, day=day)  # Sunday: the weekly question (10:00 in each zone)
        if offset == 0:  # Monday: a note for Sam, and an appreciation
            await week.act(alex, lambda: share_reflection(alex, "Our walk."), at(day, 12))
            sent = await week.act(alex, lambda: alex.send("/thanks for the soup"), at(day, 12, 5))
            assert [c.chat_id for c in sent] == []  # not counted...
            assert week.appreciations
            assert "for the soup" in week.appreciations[-1]
        if offset == 1:  # Tuesday: Alex asks a question and answers it
            await week.act(alex, lambda: alex.send("/talk"), at(day, 12))
            await week.act(alex, lambda: answer_talk(alex, "Your laugh"), at(day, 12, 10))
        if offset == 2:  # Wednesday: Sam answers; a second note
            await week.act(sam, lambda: answer_talk(sam, "Your calm"), at(day, 12))
            await week.act(
                alex, lambda: share_reflection(alex, "The dinner.", again=True), at(day, 13)
            )
        if offset == 3:  # Thursday: Alex has a hard moment (a tip for Sam, later)
            await week.act(alex, lambda: alex.send("/stress"), at(day, 12))
            await week.act(
                alex, lambda: alex.press(TEXTS.moments.stress_mine_button), at(day, 12, 1)
            )
            await week.act(
                alex,
                lambda: alex.press(TEXTS.moments.outcomes["stress_mine"]["no"]),
                at(day, 12, 2),
            )
        if offset == 4:  # Friday: crisis help comes at once; another appreciation
            help_reply = await sam.send("I want to die")
            week.seen = len(harness.api.calls)
            assert help_reply.texts == [help_in("GB")]  # at once, as the reply
            await week.act(alex, lambda: alex.send("/thanks for listening"), at(day, 15))
            assert "for listening" in week.appreciations[-1]
        if offset == 5:  # Saturday: a note for Sam at noon, and Sam does not check in
            await week.act(alex, lambda: share_reflection(alex, "Us.", again=True), at(day, 12))
        await week.jobs(20, day=day)  # both check-ins
        first, second = (alex, sam) if offset % 2 == 0 or offset == 5 else (sam, alex)
        await week.act(first, partial(answer_checkin, first, QUIET_DAY), at(day, 20, 10))
        if offset != 5:
            await week.act(second, partial(answer_checkin, second, QUIET_DAY), at(day, 20, 30))
        reminders = await week.jobs(22, 5, day=day)  # reminders (London 22:00), tips
        if offset == 5:  # the nudge, over Sam's budget, is said in Sam's reminder
            nudge = shown(TEXTS.checkin.partner_nudge, partner="Alex")
            reminder = shown(TEXTS.checkin.reminder)
            assert [visible(c) for c in reminders] == [f"{nudge}\n\n{reminder}"]
            assert week.unasked[(sam.user_id, day)] == DAILY_LIMIT
        held_at_most = max(held_at_most, len(await harness.rows(HeldPing)))

    monday = MONDAY + timedelta(days=7)
    await week.jobs(8, 30, day=monday)
    await week.jobs(20, day=monday)  # what was still held comes before this check-in

    over = {key: n for key, n in week.unasked.items() if n > DAILY_LIMIT}
    assert over == {}, over
    assert held_at_most > 0  # the week did go over the budget somewhere: held, not sent
    assert [r.text for r in await harness.rows(HeldPing) if r.kind != Kind.NUDGE] == []
    for telegram_id, texts in week.held_texts.items():
        received = [
            c.text or ""
            for c in harness.api.calls
            if c.method == "sendMessage" and c.chat_id == telegram_id and c.status == 200
        ]
        for text in texts:
            assert any(text in message for message in received), text  # nothing held is lost
    # Every day of the week had its two check-ins at least: the count is of a real week.
    for offset in range(7):
        day = MONDAY + timedelta(days=offset)
        assert week.unasked[(1001, day)] >= 1
        assert week.unasked[(2002, day)] >= 1
