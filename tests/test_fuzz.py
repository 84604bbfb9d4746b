"""Fuzzing: thousands of random and malformed updates through the real Application.

Two couples (Alex+Sam, Kim+Lee), some unpaired and never-started people and a crowd of
strangers are set up through the bot itself, with check-ins, notes and reflections carrying
unique markers (``SECRET-ALEX-…`` private, ``SHARED-SAM-…`` shared with the partner). Then a
seeded stream (:mod:`tests.fuzz_updates`) sends texts up to 10,000 characters, media, edits,
group and channel messages, odd update types, and button presses with real, double-tapped,
stale, forged and garbage data, while the clock moves and the dispatcher runs.

Checked after every update, and at the end:

1. nothing reaches the error handler (no ERROR log) and Telegram refuses nothing, except a
   403 from a chat that blocked the bot and "message is not modified" on an edit;
2. a private update gets at most 3 messages back (each within Telegram's limits) and exactly
   one answer per button press; group and channel updates get at most the one-line hint;
3. a marker reaches nobody but its author, except a note shared with the author's partner of
   the moment; an /export file holds its owner's markers only;
4. the database stays consistent (couples, answers, notes, open questions).

A failure names the seed and the update (with its JSON, to paste into a test). To replay a
stream, or only its first updates, and follow one user through it::

    FUZZ_SEED=<seed> FUZZ_UPDATES=<n> FUZZ_TRACE=<user id> .venv/bin/pytest tests/test_fuzz.py -s

``FUZZ_SEED`` takes a comma-separated list, to try more streams than the default one.
"""

from __future__ import annotations

import json
import logging
import os
import random
import re
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from bot.jobs.checkin_sender import send_due_checkins
from bot.services import invite_codes
from bot.services.accounts import PendingInput
from bot.services.checkin_items import ITEMS, MOMENT_OUTCOMES, accepts
from bot.storage.models import (
    Appreciation,
    Checkin,
    CheckinAnswer,
    ChecklistItem,
    Couple,
    CoupleMember,
    Invite,
    LessonProgress,
    Moment,
    Note,
    TalkAnswer,
    TalkQuestion,
    User,
)
from tests.fuzz_updates import Case, Group, Person, Pools, Stream, UpdateFactory, random_name
from tests.harness import TEXTS, BotHarness, TelegramUser, shown
from tests.journeys import checkin_message, invite_code, onboard, pair
from tests.telegram_fake import TEXT_LIMIT, ApiCall, BadRequestError, visible_text

SEEDS = [int(seed) for seed in os.environ.get("FUZZ_SEED", "20261127").split(",")]
UPDATES = int(os.environ.get("FUZZ_UPDATES", "3000"))
# A Telegram user id: print everything that user sends and gets (with -s), to follow a failure.
TRACE = int(os.environ.get("FUZZ_TRACE", "0"))

MARKER = re.compile(r"(SECRET|SHARED|REFLECT|FUZZ)-([A-Z][A-Z0-9]*)-([0-9a-f]*)")
MAX_REPLIES = 3
CAPTION_LIMIT = 1024
# Every so many updates: refresh what a forger knows; check the database.
POOL_REFRESH = 150
DB_CHECK_EVERY = 100
# Lee has blocked the bot between these updates.
BLOCKED_FROM, BLOCKED_UNTIL = 1200, 1800
# Chance, per update, that the clock moves on and the dispatcher runs.
TICK = 1 / 30


# --- set-up through the bot ------------------------------------------------------------------


def button_data(message: Any, contains: str) -> str:
    for button in message.buttons:
        if contains in button.get("callback_data", ""):
            return button["callback_data"]
    raise AssertionError(f"no button with {contains!r} in {message}")


async def answer_at_random(person: TelegramUser, rng: random.Random, items: int | None) -> None:
    """Answer ``items`` questions of the newest check-in (all of them with ``None``)."""
    message = checkin_message(person)
    answered = 0
    while items is None or answered < items:
        options = [b for b in message.buttons if ":a:" in b.get("callback_data", "")]
        if not options:
            break
        await person.press_data(rng.choice(options)["callback_data"], message=message)
        answered += 1


async def write_note(person: TelegramUser, text: str, *, share: bool) -> None:
    message = checkin_message(person)
    checkin_id = button_data(message, "ci:").split(":")[1]
    # The button shows once every question is answered; its data works before that too.
    await person.press_data(f"ci:{checkin_id}:note", message=message)
    saved = await person.send(text)
    assert "note:" in json.dumps(person.last_message.reply_markup), saved.texts
    if share:
        await person.press_data(button_data(person.last_message, ":shared"))


async def write_reflection(
    person: TelegramUser, framework: str, step: int, text: str, *, share: bool
) -> None:
    await person.press_data(f"reflect:{framework}:{step}")
    await person.send(text)
    if share:
        await person.press_data(button_data(person.last_message, ":shared"))


@dataclass
class Cast:
    people: list[Person]
    markers: list[str] = field(default_factory=list)  # of the notes written in the set-up


async def set_up(harness: BotHarness, rng: random.Random) -> Cast:
    """Two couples, two unpaired people, one half-way through onboarding, one never started."""
    assert harness.app is not None
    services = harness.app.bot_data.services
    framework = next(iter(services.frameworks.values()))
    step = framework.steps[0].step
    assert step is not None

    def hexes() -> str:
        return f"{rng.getrandbits(24):06x}"

    alex = Person("ALEX", 1001, "Alex")
    sam = Person("SAM", 1002, "Sam")
    kim = Person("KIM", 2001, "Kim")
    lee = Person("LEE", 2002, "Lee")
    uma = Person("UMA", 3001, "Uma")
    zoe = Person("ZOE", 3002, "Zoë <b>&amp;</b> 🦄", language_code=None)
    nia = Person("NIA", 3003, "Nia")
    ned = Person("NED", 4001, "Ned")
    cast = Cast([alex, sam, kim, lee, uma, zoe, nia, ned])
    users = {p.key: harness.user(p.user_id, p.first_name) for p in cast.people}

    for person, zone, at in [
        (alex, "Berlin", "21:00"),
        (sam, "Europe/Berlin", "21:30"),
        (kim, "New York", "20:00"),
        (lee, "America/New_York", "19:00"),
        (uma, "Tokyo", "08:00"),
        (zoe, "Etc/GMT+12", "22:00"),
    ]:
        users[person.key] = await onboard(harness, person.user_id, person.first_name, zone, at)
    await users["NIA"].send("/start")
    # And stops at the time zone question.
    await users["NIA"].press(TEXTS.onboarding.consent_yes_button)

    await pair(users["ALEX"], users["SAM"])
    code = invite_code(await users["KIM"].send("/pair"))
    await users["LEE"].send(f"/start {code}")
    await users["LEE"].press(TEXTS.pairing.confirm_button)
    await users["UMA"].send("/pair")  # left open: a code others can try
    await users["ZOE"].send("/pair")

    def note_text(kind: str, person: Person) -> str:
        marker = f"{kind}-{person.key}-{hexes()}"
        cast.markers.append(marker)
        return f"{marker} <b>we</b> & <i>tea</i> 💞"

    # Friday evening in Berlin, then in New York (Uma's Tokyo morning comes in between).
    for now, couple in [
        (datetime(2026, 11, 27, 20, 31, tzinfo=UTC), [alex, sam]),
        (datetime(2026, 11, 28, 1, 31, tzinfo=UTC), [kim, lee]),
    ]:
        harness.clock.now = now
        await send_due_checkins(harness.app.bot, services)
        for person in couple:
            user = users[person.key]
            await answer_at_random(user, rng, None)
            await write_note(user, note_text("SECRET", person), share=False)
            await write_note(user, note_text("SHARED", person), share=True)
    await answer_at_random(users["UMA"], rng, 2)
    await write_note(users["UMA"], note_text("SECRET", uma), share=False)

    for person in (alex, sam, kim, lee):
        shared = person in (sam, lee)
        marker = f"REFLECT-{person.key}-{hexes()}"
        cast.markers.append(marker)
        await write_reflection(
            users[person.key], framework.id, step, f"{marker} safe haven <3", share=shared
        )

    # The oracle must have something to bite on: each partner sees the other's shared note.
    for reader, writer in [(alex, sam), (sam, alex), (kim, lee), (lee, kim)]:
        await users[reader.key].send("/us")
        week = (await users[reader.key].press(TEXTS.us.details_button)).text
        theirs = [m for m in cast.markers if f"-{writer.key}-" in m]
        assert [m for m in theirs if m in week] == [f for f in theirs if f.startswith("SHARED")]

    # Saturday evening in Berlin: a check-in each, left partly answered for the stream.
    harness.clock.now = datetime(2026, 11, 28, 20, 31, tzinfo=UTC)
    await send_due_checkins(harness.app.bot, services)
    await answer_at_random(users["ALEX"], rng, 1)
    return cast


# --- the checks --------------------------------------------------------------------------------


@dataclass
class Problems:
    """Everything that went wrong, by kind, with the first few examples of each."""

    seed: int
    examples: dict[str, list[str]] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)

    def add(
        self, kind: str, detail: str, case: Case | None = None, index: int | None = None
    ) -> None:
        self.counts[kind] += 1
        if len(self.examples.setdefault(kind, [])) >= 3:
            return
        if case is None:
            where = "set-up" if index is None else f"by update #{index}"
            self.examples[kind].append(f"{where}: {detail}")
            return
        where = f"update #{index} ({case.kind})"
        if case.is_callback:
            where += f" data={case.payload['callback_query'].get('data')!r}"
        payload = json.dumps(case.payload, ensure_ascii=False)
        if len(self.examples[kind]) == 0:
            # The whole of the first one, to paste into a test (shown with the captured stdout).
            print(f"\n[{kind}] update #{index}, chat {case.chat_id}:\n{payload}")
        if len(payload) > 1200:
            payload = payload[:1200] + "…"
        self.examples[kind].append(f"{where}: {detail}\n      payload: {payload}")

    def report(self) -> str:
        lines = [f"fuzz seed {self.seed}: {sum(self.counts.values())} problems"]
        for kind, count in self.counts.most_common():
            lines.append(f"  [{kind}] ×{count}")
            lines += [f"    - {example}" for example in self.examples[kind]]
        return "\n".join(lines)


def sends(calls: list[ApiCall]) -> list[ApiCall]:
    return [c for c in calls if c.method.startswith("send") and c.method != "sendChatAction"]


def _shown(call: ApiCall) -> str | None:
    """What the user sees of a call's text or caption (``None`` if it does not parse)."""
    if call.text is None:
        return None
    try:
        return visible_text(call.text, call.params.get("parse_mode"))
    except BadRequestError:
        return None


@dataclass
class Checker:
    harness: BotHarness
    problems: Problems
    group_texts: set[str]
    # Marker key (ALEX, S3, ...) -> Telegram id of its author.
    author_ids: dict[str, int] = field(default_factory=dict)
    marker_hits: Counter[str] = field(default_factory=Counter)

    def statuses(self, calls: list[ApiCall], case: Case | None, index: int | None) -> None:
        blocked = self.harness.api.blocked_chats
        for call in calls:
            if call.status == 200:
                continue
            description = call.description
            if call.status == 403 and call.chat_id in blocked:
                continue
            if (
                call.status == 400
                and "not modified" in description
                and call.method in ("editMessageText", "editMessageReplyMarkup")
            ):
                continue  # a tap on what is already shown; the bot ignores the refusal
            self.problems.add(
                f"Telegram refused {call.method}: {call.status} {description}",
                f"{call.method} to {call.chat_id}: {str(call.text)[:200]!r}",
                case,
                index,
            )

    def limits(self, calls: list[ApiCall], case: Case | None, index: int | None) -> None:
        for call in calls:
            shown = _shown(call)
            if shown is None:
                continue
            limit = TEXT_LIMIT if "text" in call.params else CAPTION_LIMIT
            if len(shown) > limit:
                self.problems.add("reply over Telegram's limit", f"{len(shown)} chars", case, index)

    def shape(self, case: Case, calls: list[ApiCall], index: int, *, crashed: bool) -> None:
        """How much the bot answered, and to whom (``crashed``: that is reported already)."""
        out = sends(calls)
        answers = [c for c in calls if c.method == "answerCallbackQuery"]
        if case.private:
            own = [c for c in out if c.chat_id == case.chat_id]
            if len(own) > MAX_REPLIES:
                self.problems.add(
                    f"more than {MAX_REPLIES} messages for one update",
                    f"{len(own)}: {[str(c.text)[:60] for c in own]}",
                    case,
                    index,
                )
            per_chat = Counter(c.chat_id for c in out if c.chat_id != case.chat_id)
            for chat, count in per_chat.items():
                if chat is None or chat < 0 or count > 1:
                    self.problems.add(
                        "private update messaged another chat",
                        f"{count} to {chat}",
                        case,
                        index,
                    )
            if case.is_callback and len(answers) != 1 and not crashed:
                self.problems.add(
                    "button press not answered exactly once",
                    f"{len(answers)} answerCallbackQuery; calls: {[c.method for c in calls]}",
                    case,
                    index,
                )
        elif case.chat_type in ("group", "supergroup", "channel"):
            for call in calls:
                if call.chat_id != case.chat_id or call.method not in ("sendMessage", "leaveChat"):
                    self.problems.add(
                        "group update caused more than a hint",
                        f"{call.method} to {call.chat_id}: {str(call.text)[:100]!r}",
                        case,
                        index,
                    )
            hints = [c for c in calls if c.method == "sendMessage"]
            if len(hints) > 1 or any(_shown(c) not in self.group_texts for c in hints):
                self.problems.add(
                    "group got something other than one hint",
                    repr([str(c.text)[:100] for c in hints]),
                    case,
                    index,
                )
        elif calls:
            self.problems.add(
                "update without a chat caused calls",
                repr([c.method for c in calls]),
                case,
                index,
            )

    async def markers(self, calls: list[ApiCall], case: Case | None, index: int | None) -> None:
        """Markers reach their author, or the author's partner if that note is shared."""
        for call in calls:
            if call.status != 200:
                continue
            if call.method == "answerCallbackQuery":  # a toast, to whoever pressed
                call = ApiCall(call.method, {**call.params, "chat_id": case and case.chat_id})
            if call.chat_id is None:
                continue
            texts = [call.text or ""]
            files = call.params.get("_files", {})
            for name, content in files.values():
                texts.append(f"{name}\n{content.decode('utf-8', 'replace')}")
            for position, text in enumerate(texts):
                for match in MARKER.finditer(text):
                    await self._check_marker(call, match, position > 0, case, index)

    async def _check_marker(
        self,
        call: ApiCall,
        match: re.Match[str],
        in_file: bool,
        case: Case | None,
        index: int | None,
    ) -> None:
        marker, key = match.group(0), match.group(2)
        author = self.author_ids.get(key)
        recipient = call.chat_id
        if author == recipient:
            self.marker_hits["to its author"] += 1
            return
        if given := await self._given_to_partner(marker, author, recipient):
            self.marker_hits[given] += 1
            return
        if in_file:
            self.problems.add(
                "another person's marker in an export", f"{marker} to {recipient}", case, index
            )
            return
        async with self.harness.session() as session:
            notes = (
                await session.execute(
                    select(Note.visibility, User.id, User.telegram_id)
                    .join(User, User.id == Note.user_id)
                    .where(Note.body.startswith(marker))
                )
            ).all()
            partners = set()
            for _, user_id, _ in notes:
                couples = select(CoupleMember.couple_id).where(
                    CoupleMember.user_id == user_id, CoupleMember.ended_at.is_(None)
                )
                partners |= set(
                    await session.scalars(
                        select(User.telegram_id)
                        .join(CoupleMember, CoupleMember.user_id == User.id)
                        .join(Couple, Couple.id == CoupleMember.couple_id)
                        .where(
                            CoupleMember.couple_id.in_(couples),
                            CoupleMember.ended_at.is_(None),
                            Couple.ended_at.is_(None),
                            User.id != user_id,
                        )
                    )
                )
        shared_by_author = any(v == "shared" and t == author for v, _, t in notes)
        if shared_by_author and recipient in partners:
            self.marker_hits["to the author's partner (shared)"] += 1
            return
        self.problems.add(
            "marker leaked",
            f"{marker} (author {author}) sent to {recipient} by {call.method}; "
            f"notes: {[(v, t) for v, _, t in notes]}, author's partners now: {sorted(partners)}; "
            f"text: {str(call.text)[:300]!r}",
            case,
            index,
        )

    async def _given_to_partner(
        self, marker: str, author: int | None, recipient: int | None
    ) -> str:
        """Words the author gave their partner on purpose: an appreciation (or its reply)
        delivered to them, or an answer to a question to talk about, revealed once both of
        the couple answered. The receiver sees them, and finds them in their export."""
        sender, receiver = aliased(User), aliased(User)
        async with self.harness.session() as session:
            appreciations = await session.scalar(
                select(func.count())
                .select_from(Appreciation)
                .join(sender, sender.id == Appreciation.sender_id)
                .join(receiver, receiver.id == Appreciation.receiver_id)
                .where(
                    Appreciation.body.contains(marker),
                    Appreciation.delivered_at.is_not(None),
                    sender.telegram_id == author,
                    receiver.telegram_id == recipient,
                )
            )
            if appreciations:
                return "to the author's partner (appreciation)"
            answer_members = aliased(CoupleMember)
            answers = await session.scalar(
                select(func.count())
                .select_from(TalkAnswer)
                .join(TalkQuestion, TalkQuestion.id == TalkAnswer.question_id)
                .join(sender, sender.id == TalkAnswer.user_id)
                .join(answer_members, answer_members.couple_id == TalkQuestion.couple_id)
                .join(receiver, receiver.id == answer_members.user_id)
                .where(
                    TalkAnswer.body.contains(marker),
                    TalkQuestion.revealed_at.is_not(None),
                    sender.telegram_id == author,
                    receiver.telegram_id == recipient,
                )
            )
            return "to the author's partner (talk answer)" if answers else ""


async def database_problems(harness: BotHarness) -> list[str]:
    """Invariants no sequence of updates may break."""
    found: list[str] = []
    async with harness.session() as session:  # one snapshot of all tables
        users = {u.id: u for u in await session.scalars(select(User))}
        couples = {c.id: c for c in await session.scalars(select(Couple))}
        members = list(await session.scalars(select(CoupleMember)))
        checkins = {c.id: c for c in await session.scalars(select(Checkin))}
        answers = list(await session.scalars(select(CheckinAnswer)))
        notes = list(await session.scalars(select(Note)))
        invites = list(await session.scalars(select(Invite)))
        moments = list(await session.scalars(select(Moment)))
        progress = list(await session.scalars(select(LessonProgress)))
        ticks = list(await session.scalars(select(ChecklistItem)))

    active = [m for m in members if m.ended_at is None]
    per_user = Counter(m.user_id for m in active)
    found += [f"user {u} in {n} active couples" for u, n in per_user.items() if n > 1]
    per_couple = Counter(m.couple_id for m in active)
    for couple in couples.values():
        if couple.ended_at is None and per_couple[couple.id] != 2:
            found.append(f"active couple {couple.id} has {per_couple[couple.id]} active members")
    for member in members:
        if member.user_id not in users or member.couple_id not in couples:
            found.append(f"membership {member.couple_id}/{member.user_id} of a missing row")
        elif member.ended_at is None and couples[member.couple_id].ended_at is not None:
            found.append(f"active member {member.user_id} of ended couple {member.couple_id}")

    seen_answers: set[tuple[int, str]] = set()
    for answer in answers:
        checkin = checkins.get(answer.checkin_id)
        if checkin is None:
            found.append(f"answer {answer.id} of missing check-in {answer.checkin_id}")
            continue
        if (answer.checkin_id, answer.item) in seen_answers:
            found.append(f"two answers for {answer.item} of check-in {answer.checkin_id}")
        seen_answers.add((answer.checkin_id, answer.item))
        if checkin.kind != "evening" or not accepts(
            answer.item, answer.value, weekly=checkin.includes_weekly
        ):
            found.append(f"answer {answer.item}={answer.value} on {checkin.kind} {checkin.id}")
    for checkin in checkins.values():
        if checkin.user_id not in users:
            found.append(f"check-in {checkin.id} of missing user {checkin.user_id}")
    for note in notes:
        if note.visibility not in ("private", "shared"):
            found.append(f"note {note.id} visibility {note.visibility!r}")
        if note.user_id not in users:
            found.append(f"note {note.id} of missing user {note.user_id}")
        if note.checkin_id is not None:
            checkin = checkins.get(note.checkin_id)
            if checkin is None or checkin.user_id != note.user_id:
                found.append(f"note {note.id} of user {note.user_id} on check-in {note.checkin_id}")
    for user in users.values():
        pending = user.pending_input or ""
        question, _, argument = pending.partition(":")
        if pending and question not in set(PendingInput):
            found.append(f"user {user.id} pending {pending!r}")
        if question == PendingInput.CHECKIN_NOTE:
            checkin = checkins.get(int(argument)) if argument.isdigit() else None
            if checkin is None or checkin.user_id != user.id:
                found.append(f"user {user.id} writes a note for check-in {argument!r}: not theirs")
        if user.onboarded_at is not None and (user.time_zone is None or user.checkin_time is None):
            found.append(f"user {user.id} onboarded without zone or time")
        if user.onboarded_at is None and question not in (
            PendingInput.ONBOARDING_ZONE,
            PendingInput.ONBOARDING_TIME,
        ):
            # Nothing would ever ask them for the rest: /start greets them as set up.
            found.append(f"user {user.id} not set up, and no set-up question open: {pending!r}")
        if question == PendingInput.ONBOARDING_TIME and user.time_zone is None:
            found.append(f"user {user.id} asked for a time before having a zone")
    for invite in invites:
        if invite.inviter_id not in users or (
            invite.used_by_id is not None and invite.used_by_id not in users
        ):
            found.append(f"invite {invite.id} of a missing user")
    moment_keys: set[tuple[int, int | None]] = set()
    for moment in moments:
        if moment.user_id not in users:
            found.append(f"moment {moment.id} of missing user")
        if moment.outcome not in MOMENT_OUTCOMES.get(moment.kind, ()):
            found.append(f"moment {moment.id}: {moment.kind}={moment.outcome}")
        if (moment.user_id, moment.message_id) in moment_keys:
            found.append(f"two moments for message {moment.message_id}")
        moment_keys.add((moment.user_id, moment.message_id))
    course_rows: list[LessonProgress | ChecklistItem] = [*progress, *ticks]
    for row in course_rows:
        if row.user_id not in users:
            found.append(f"{type(row).__name__} of missing user {row.user_id}")
    return found


def trace_update(index: int, case: Case, calls: list[ApiCall]) -> None:
    body = next(iter(case.payload.values()))
    what = body.get("text") or body.get("data") or sorted(body)
    print(f"#{index} {case.kind}: {str(what)[:120]!r}")
    for call in calls:
        print(f"    -> {call.method} {call.chat_id} {call.status}: {str(call.text)[:120]!r}")


def describe_error(record: logging.LogRecord) -> tuple[str, str]:
    """A problem kind per exception type and place in the bot's code, and its traceback."""
    if not record.exc_info or record.exc_info[1] is None:
        return f"ERROR from {record.name}", record.getMessage()
    error = record.exc_info[1]
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if "/bot/" in f.filename] or frames
    place = f"{ours[-1].filename.split('/bot/')[-1]}:{ours[-1].lineno} {ours[-1].name}"
    message = re.sub(r"-?\d+(\.\d+)?", "N", str(error))[:60]  # one kind for all values
    kind = f"ERROR {type(error).__name__}: {message} at bot/{place}"
    trail = " <- ".join(f"{f.name}:{f.lineno}" for f in reversed(ours))
    return kind, f"{record.getMessage()}; {trail}"


async def refresh_pools(harness: BotHarness, pools: Pools) -> None:
    async with harness.session() as session:
        pools.checkin_ids = list(await session.scalars(select(Checkin.id).order_by(Checkin.id)))
        pools.note_ids = list(await session.scalars(select(Note.id).order_by(Note.id)))
        pools.couple_ids = list(await session.scalars(select(Couple.id).order_by(Couple.id)))
        pools.invite_codes = list(await session.scalars(select(Invite.code).order_by(Invite.id)))


# --- the test ------------------------------------------------------------------------------------


@dataclass
class FuzzRun:
    """Feeds one stream, checking after every update and every dispatcher run."""

    harness: BotHarness
    caplog: pytest.LogCaptureFixture
    checker: Checker
    stream: Stream
    problems: Problems
    mix: Counter[str] = field(default_factory=Counter)
    ticks: int = 0
    _log_mark: int = 0

    def _new_errors(self) -> list[logging.LogRecord]:
        records = self.caplog.records[self._log_mark :]
        self._log_mark = len(self.caplog.records)
        return [record for record in records if record.levelno >= logging.ERROR]

    async def tick(self, index: int) -> None:
        """The clock moves on and the dispatcher sends what is due."""
        harness, api = self.harness, self.harness.api
        assert harness.app is not None
        self.ticks += 1
        harness.clock.advance(minutes=self.stream.rng.choice([1, 7, 30, 61, 90, 180, 360, 720]))
        first = len(api.calls)
        try:
            await send_due_checkins(harness.app.bot, harness.app.bot_data.services)
        except Exception as error:
            self.problems.add(f"dispatch raised {type(error).__name__}", repr(error), None, index)
        calls = api.calls[first:]
        for record in self._new_errors():
            self.problems.add(*describe_error(record), None, index)
        self.checker.statuses(calls, None, index)
        self.checker.limits(calls, None, index)
        await self.checker.markers(calls, None, index)
        for chat, count in Counter(c.chat_id for c in sends(calls)).items():
            if count > 5:
                self.problems.add("dispatch flooded a chat", f"{count} messages to {chat}")
        self.stream.observe(calls)

    async def feed(self, case: Case, index: int) -> None:
        api = self.harness.api
        self.mix[case.kind.split(":")[0] if case.kind.startswith("media") else case.kind] += 1
        first = len(api.calls)
        try:
            await self.harness.feed(case.payload)
        except Exception as error:
            kind = f"process_update raised {type(error).__name__}"
            self.problems.add(kind, repr(error), case, index)
        calls = api.calls[first:]
        errors = self._new_errors()
        for record in errors:
            self.problems.add(*describe_error(record), case, index)
        if TRACE and TRACE in (case.chat_id, case.sender and case.sender.user_id):
            trace_update(index, case, calls)
        self.checker.statuses(calls, case, index)
        self.checker.limits(calls, case, index)
        self.checker.shape(case, calls, index, crashed=bool(errors))
        await self.checker.markers(calls, case, index)
        self.stream.observe(calls)


@pytest.mark.parametrize("seed", SEEDS)
async def test_random_updates_never_crash_leak_or_corrupt(
    harness: BotHarness,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    seed: int,
) -> None:
    assert harness.app is not None
    started = time.perf_counter()
    caplog.set_level(logging.WARNING)
    rng = random.Random(seed)
    # Invite codes from the seed too, so a stream replays exactly.
    monkeypatch.setattr(invite_codes, "secrets", random.Random(seed + 1))
    api = harness.api

    cast = await set_up(harness, rng)
    setup_seconds = time.perf_counter() - started
    services = harness.app.bot_data.services
    problems = Problems(seed)
    group_hints = {shown(TEXTS.errors.group_chat), shown(TEXTS.group.joined)}
    checker = Checker(harness, problems, group_hints)
    for record in caplog.records:
        if record.levelno >= logging.ERROR:
            problems.add(*describe_error(record))
    checker.author_ids = {p.key: p.user_id for p in cast.people}
    checker.statuses(api.calls, None, None)
    await checker.markers(api.calls, None, None)

    frameworks = services.frameworks.values()
    pools = Pools(
        framework_ids=list(services.frameworks),
        page_keys=[page.key for f in frameworks for page in f.pages()],
        steps=sorted({s.step for f in frameworks for s in f.steps if s.step is not None}),
        item_options=[(i.key, o) for i in ITEMS for o in i.options]
        + [("bids_noticed", "lots"), ("encouraged_partner", "yes"), ("bids_made", "none")],
        moment_outcomes=[(k, o) for k, outs in MOMENT_OUTCOMES.items() for o in outs]
        + [("bid_made", "toward"), ("stress_mine", "calm")],
    )
    await refresh_pools(harness, pools)
    strangers = [
        Person(f"S{n}", rng.randrange(10**9, 2**40), random_name(rng), rng.choice(["en", None]))
        for n in range(12)
    ]
    checker.author_ids |= {stranger.key: stranger.user_id for stranger in strangers}
    stream = Stream(
        factory=UpdateFactory(harness, rng),
        rng=rng,
        people=cast.people,
        strangers=strangers,
        groups=[
            Group(-4000000001, "group", "Family <b>chat</b>"),
            Group(-1001000000001, "supergroup", "Couples & friends"),
            Group(-1001000000002, "channel", "Our <i>news</i>"),
        ],
        pools=pools,
        commands=[command["command"] for command in api.commands],
    )
    stream.observe(api.calls)
    run = FuzzRun(harness, caplog, checker, stream, problems, _log_mark=len(caplog.records))
    lee = next(p for p in cast.people if p.key == "LEE")
    inconsistencies: set[str] = set()

    for index in range(UPDATES):
        if index in (BLOCKED_FROM, BLOCKED_UNTIL):
            # Lee blocks the bot for a while (Telegram tells the bot), then comes back.
            blocking = index == BLOCKED_FROM
            if blocking:
                api.blocked_chats.add(lee.user_id)
                stream.silent.add(lee.key)
            else:
                api.blocked_chats.discard(lee.user_id)
                stream.silent.discard(lee.key)
            old, new = ("member", "kicked") if blocking else ("kicked", "member")
            await run.feed(stream.factory.my_chat_member(lee.private_chat(), lee, old, new), index)
        elif rng.random() < TICK:
            await run.tick(index)
        else:
            await run.feed(stream.next_case(), index)
        if index % POOL_REFRESH == POOL_REFRESH - 1:
            await refresh_pools(harness, pools)
        if index % DB_CHECK_EVERY == DB_CHECK_EVERY - 1 or index == UPDATES - 1:
            for problem in await database_problems(harness):
                if problem not in inconsistencies:  # each once, when it first shows
                    inconsistencies.add(problem)
                    problems.add("database inconsistent", problem, None, index)
    elapsed = time.perf_counter() - started
    print(
        f"\nfuzz seed {seed}: {UPDATES} updates + {run.ticks} dispatcher runs in {elapsed:.1f} s "
        f"(set-up {setup_seconds:.1f} s); clock at {harness.clock.now:%a %d %b %H:%M} UTC; "
        f"{len(api.calls)} API calls\n  mix: {dict(run.mix.most_common())}\n"
        f"  markers seen: {dict(checker.marker_hits)}; FUZZ markers sent: {stream.markers_sent}"
    )
    if problems.counts:
        pytest.fail(problems.report(), pytrace=False)
    # The oracles had something to judge: shared notes did reach partners, time did pass.
    assert checker.marker_hits["to the author's partner (shared)"] > 0
    assert harness.clock.now - datetime(2026, 11, 28, 20, 31, tzinfo=UTC) > timedelta(days=1)
