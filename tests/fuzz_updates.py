"""Seeded generators of Telegram updates for ``tests/test_fuzz.py``.

Everything here is a function of one ``random.Random`` and of what the fake Telegram has
recorded, so a seed always yields the same stream. Payloads are plain JSON-able dicts, what
Telegram would POST (without ``update_id``, which the harness adds), so a failing one can be
printed, pasted into a test and fed again with ``harness.feed(payload, chat_id=...)``.

:class:`UpdateFactory` turns "Alex presses a button with this data on that message" into JSON,
through the builders of :mod:`tests.updates`, varying what they are given (and, where a client or
a forger would, mutating what they return); the functions invent texts, names and callback data,
well-formed or not; :class:`Stream` chooses who does what next, from what they (or a forger)
could know.

The stream is a plain seeded ``random.Random`` rather than Hypothesis: it is one long stateful
run against a bot whose set-up takes seconds, which Hypothesis could neither repeat per example
nor shrink in reasonable time; a seed replays it exactly, and ``FUZZ_UPDATES`` cuts it short.
"""

from __future__ import annotations

import copy
import random
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tests import updates
from tests.harness import BotHarness
from tests.telegram_fake import ApiCall, BotMessage
from tests.updates import Json

# --- people and chats ----------------------------------------------------------------------

ANONYMOUS_ADMIN = updates.user(
    1087968824, "Group", language_code=None, is_bot=True, username="GroupAnonymousBot"
)


@dataclass
class Person:
    """Someone writing to the bot. ``key`` names their markers: ``SECRET-<key>-…``."""

    key: str
    user_id: int
    first_name: str
    language_code: str | None = "en"
    last_name: str | None = None
    username: str | None = None

    def json(self) -> Json:
        return updates.user(
            self.user_id,
            self.first_name,
            language_code=self.language_code,
            last_name=self.last_name,
            username=self.username,
        )

    def private_chat(self) -> Json:
        return updates.private_chat(self.user_id, self.first_name)


@dataclass(frozen=True)
class Group:
    chat_id: int
    type: str  # "group", "supergroup" or "channel"
    title: str

    def json(self) -> Json:
        return updates.group_chat(self.chat_id, self.type, self.title)


@dataclass
class Case:
    """One generated update and what the checks need to know about it."""

    kind: str
    payload: dict[str, Any]
    chat_id: int | None  # the chat it happened in
    chat_type: str | None  # "private", "group", "supergroup", "channel" or None
    sender: Person | None = None

    @property
    def is_callback(self) -> bool:
        return "callback_query" in self.payload

    @property
    def private(self) -> bool:
        return self.chat_type == "private"


# --- text ------------------------------------------------------------------------------------

HTML_BITS = [
    "<b>", "</b>", "<i>x</i>", "<script>alert(1)</script>", "&", "&amp;", "&lt;", "<", ">",
    "<a href='https://evil.example'>click</a>", "</i>", "&#0;", "&#x1F600;", "<tg-spoiler>",
    "<pre><code>", "<br/>", "<<>>", "&&&", "<b", "</", "<!-- c -->", "<u>u</u>", "&nbsp;",
    '"quoted"', "'single'", "{name}", "{0}", "%s", "%(x)s", "\\", "`code`", "*bold*", "_it_",
]  # fmt: skip
EMOJI = [
    "😀", "👨‍👩‍👧‍👦", "🏳️‍🌈", "❤️", "💞", "🐻", "🇩🇪", "👍🏽", "🧑🏿‍🤝‍🧑🏻", "🔥", "✨", "🫶",
]  # fmt: skip
SCRIPTS = [
    "\u202e", "\u202d", "\u2066", "مرحبا بك", "שלום עולם", "Привет", "こんにちは", "你好",
    "नमस्ते", "Ζωή", "ẞtraße", "e\u0301\u0301\u0301", "Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇",
]  # fmt: skip
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\ufeff", "\u2060", "\u00ad", "\u180e"]
WHITESPACE = ["\n", "\n\n", "\r\n", "\t", " ", "   ", "\u00a0", "\u2028", "\u3000"]
CONTROL = ["\x01", "\x07", "\x1b[31m", "\x7f"]
WORDS = [
    "hello", "we", "argued", "about", "dishes", "tea", "love", "tired", "sorry", "today",
    "/start", "/help", "@SecureBaseTestBot", "https://t.me/SecureBaseTestBot?start=ABC",
    "Berlin", "20:00", "yes", "no", "DROP TABLE users;", "' OR 1=1 --", "null", "None",
    "undefined", "NaN", "-1", "99999999999999999999", "0x00", "ci:1:skip", "note:1:shared",
]  # fmt: skip
# What someone might type when asked for a time zone or a time, right or wrong.
ZONE_ANSWERS = [
    "Berlin", "Europe/Lisbon", "New York", "Tokyo", "UTC", "GMT-5", "utc+14", "Etc/GMT+12",
    "Asia/Kathmandu", "America/St_Johns", "Pacific/Kiritimati", "Mars/Olympus_Mons",
    "Europe/Berlin\n", "  london  ", "UTC+99", "GMT+5:45", "Australia/Lord_Howe", "",
]  # fmt: skip
TIME_ANSWERS = [
    "21:00", "20:00", "7pm", "00:00", "23:59", "24:00", "25:99", "9", "12:30 am", "07:05",
    "21.30", "noon", "-1:00", "٢١:٠٠", "２１：００",
]  # fmt: skip


NOISE_POOLS = [
    string.ascii_letters + string.digits + string.punctuation + " ",
    "".join(chr(c) for c in range(0x00A1, 0x0250)),  # Latin
    "".join(chr(c) for c in range(0x0400, 0x0500)),  # Cyrillic
    "".join(chr(c) for c in range(0x0590, 0x0700)),  # Hebrew, Arabic (right to left)
    "".join(chr(c) for c in range(0x4E00, 0x4E80)),  # CJK
    "".join(chr(c) for c in range(0x1F300, 0x1F650)),  # emoji, outside the BMP
]


def _noise(rng: random.Random, length: int) -> str:
    """Random characters of one script; never a lone surrogate or NUL (Telegram sends
    neither)."""
    return "".join(rng.choices(rng.choice(NOISE_POOLS), k=length))


def random_text(rng: random.Random, *, limit: int = 10_000) -> str:
    """0 to ``limit`` characters mixing HTML, emoji, RTL marks, invisible characters, newlines."""
    roll = rng.random()
    if roll < 0.06:
        return rng.choice(["", " ", "\n", "\u200b", "\u202e"])
    if roll < 0.62:
        length = rng.randint(1, 60)
    elif roll < 0.88:
        length = rng.randint(60, 600)
    elif roll < 0.96:
        length = rng.randint(600, 4096)
    else:
        length = rng.randint(4096, 10_000)
    length = min(length, limit)
    parts: list[str] = []
    size = 0
    while size < length:
        pick = rng.random()
        if pick < 0.2:
            part = rng.choice(HTML_BITS)
        elif pick < 0.32:
            part = rng.choice(EMOJI)
        elif pick < 0.42:
            part = rng.choice(SCRIPTS)
        elif pick < 0.48:
            part = rng.choice(INVISIBLE)
        elif pick < 0.58:
            part = rng.choice(WHITESPACE)
        elif pick < 0.6:
            part = rng.choice(CONTROL)
        elif pick < 0.85:
            part = rng.choice(WORDS) + " "
        else:
            part = _noise(rng, rng.randint(1, min(400, max(1, length - size))))
        parts.append(part)
        size += len(part)
    return "".join(parts)[:length]


def random_name(rng: random.Random) -> str:
    """A first name as Telegram allows it (1-64 characters), often a hostile one."""
    choices = [
        "Jo",
        "<b>Bo</b>",
        "Zoë & <i>Co",
        "&amp;",
        "💞",
        "\u202eevil",
        "A" * 64,
        "x\u200by",
        random_text(rng, limit=64).strip() or "?",
    ]
    return rng.choice(choices)[:64] or "?"


# --- the factory -----------------------------------------------------------------------------


@dataclass
class UpdateFactory:
    """Builds update JSON (with :mod:`tests.updates`) at the harness' current clock, with
    fresh ids from the fake API, varied by the random generator."""

    harness: BotHarness
    rng: random.Random

    @property
    def now(self) -> int:
        return int(self.harness.clock.now.timestamp())

    def _id(self) -> int:
        return self.harness.api.next_message_id()

    def message(self, chat: Json, sender: Json | None, **content: Any) -> Json:
        return updates.message(self._id(), self.now, chat, sender, **content)

    # --- what a message can carry ------------------------------------------------------------

    def text_content(self, text: str) -> Json:
        """A text; a leading ``/word`` is marked as a command, as clients do."""
        content = updates.text(text)
        if "entities" not in content and text and self.rng.random() < 0.15:
            # Formatting the user applied; sometimes nonsense offsets, as a buggy client sends.
            start = self.rng.randint(0, len(text))
            content["entities"] = [
                {
                    "type": self.rng.choice(["bold", "italic", "code", "spoiler", "url"]),
                    "offset": start,
                    "length": self.rng.randint(0, len(text) + 5),
                }
            ]
        return content

    def media_content(self, kind: str) -> Json:
        rng = self.rng
        file = updates.file(f"F{rng.randrange(10**9)}", f"U{rng.randrange(10**9)}")
        caption: Json = {}
        if rng.random() < 0.4:
            text = random_text(rng, limit=1024)
            caption = updates.caption("/start " + text if rng.random() < 0.2 else text)
        if kind == "sticker":
            return {
                "sticker": updates.sticker(
                    file["file_id"],
                    file["file_unique_id"],
                    is_animated=rng.random() < 0.3,
                    emoji=rng.choice(EMOJI),
                )
            }
        if kind == "photo":
            sizes = updates.photo(file["file_id"], file["file_unique_id"], (90, 320, 1280))
            return {"photo": sizes, **caption}
        if kind == "voice":
            return {"voice": updates.voice(file, rng.randint(0, 3600))}
        if kind == "video_note":
            return {"video_note": updates.video_note(file, rng.randint(0, 60))}
        if kind == "video":
            return {"video": updates.video(file), **caption}
        if kind == "animation":
            return {"animation": updates.animation(file)}
        if kind == "audio":
            return {"audio": updates.audio(file, random_name(rng)), **caption}
        if kind == "document":
            name = rng.choice(["notes.txt", "<script>.html", "export.json", "a" * 200 + ".pdf"])
            return {"document": updates.document(file, name), **caption}
        if kind == "contact":
            return {
                "contact": updates.contact(rng.randrange(1, 2**40) if rng.random() < 0.5 else None)
            }
        if kind == "location":
            return {"location": self.location()}
        if kind == "venue":
            venue = updates.venue(
                self.location(), random_name(rng), random_text(rng, limit=100) or "-"
            )
            return {"venue": venue, "location": self.location()}
        if kind == "dice":
            return {"dice": updates.dice(rng.choice(["🎲", "🎯", "🏀"]), rng.randint(1, 6))}
        if kind == "poll":
            poll_id = str(rng.randrange(10**12))
            return {"poll": updates.poll(poll_id, random_text(rng, limit=300) or "?")}
        if kind == "write_access_allowed":
            return {"write_access_allowed": {"from_request": True}}
        if kind == "forward":
            forwarded = self.text_content(random_text(self.rng, limit=4096) or "fwd")
            origin = updates.hidden_forward_origin(random_name(rng), self.now)
            return {**forwarded, "forward_origin": origin}
        raise ValueError(kind)

    MEDIA_KINDS: tuple[str, ...] = (
        "sticker", "photo", "voice", "video_note", "video", "animation", "audio", "document",
        "contact", "location", "location", "venue", "dice", "poll", "write_access_allowed",
        "forward",
    )  # fmt: skip

    def location(self) -> Json:
        rng = self.rng
        roll = rng.random()
        if roll < 0.7:
            latitude, longitude = rng.uniform(-90, 90), rng.uniform(-180, 180)
        elif roll < 0.85:
            latitude, longitude = rng.choice([(90.0, 180.0), (-90.0, -180.0), (0.0, 0.0)])
        else:
            # Out of range: Telegram itself never sends these, a forged update could.
            latitude, longitude = rng.choice([(999.0, 0.0), (0.0, -999.0), (-91.0, 181.0)])
        value = updates.location(latitude, longitude)
        if rng.random() < 0.2:
            value |= {"horizontal_accuracy": rng.uniform(0, 1500), "live_period": 60}
        return value

    # --- whole updates -----------------------------------------------------------------------

    def private(self, person: Person, content: Json, *, edited: bool = False) -> Case:
        if edited:
            content = {**content, "edit_date": self.now}
        message = self.message(person.private_chat(), person.json(), **content)
        kind = "edited_message" if edited else "message"
        case_kind = "edited" if edited else "message"
        return Case(case_kind, {kind: message}, person.user_id, "private", person)

    def in_group(
        self, group: Group, person: Person | None, content: Json, *, edited: bool = False
    ) -> Case:
        chat = group.json()
        if edited:
            content = {**content, "edit_date": self.now}
        if group.type == "channel":
            message = self.message(chat, None, sender_chat=chat, **content)
            key = "edited_channel_post" if edited else "channel_post"
        else:
            sender = person.json() if person is not None else ANONYMOUS_ADMIN
            extra = {} if person is not None else {"sender_chat": chat}
            message = self.message(chat, sender, **extra, **content)
            key = "edited_message" if edited else "message"
        return Case(f"{group.type}:{key}", {key: message}, group.chat_id, group.type, person)

    def group_service(self, group: Group, person: Person) -> Case:
        bot = self.harness.api.bot_user()
        service: Json = self.rng.choice(
            [
                {"new_chat_members": [bot]},
                {"new_chat_members": [person.json()]},
                {"left_chat_member": bot},
                {"group_chat_created": True},
                {"new_chat_title": random_name(self.rng)},
                {"pinned_message": updates.inaccessible_message(1, group.json())},
            ]
        )
        case = self.in_group(group, person, service)
        case.kind = f"{group.type}:service"
        return case

    def my_chat_member(self, chat: Json, person: Person, old: str, new: str) -> Case:
        """``person`` adds the bot to a group, removes it, blocks it..."""
        bot = self.harness.api.bot_user()
        change = updates.member_update(chat, person.json(), self.now, bot, old, new)
        payload = {"my_chat_member": change}
        return Case(f"my_chat_member:{new}", payload, chat["id"], chat["type"], person)

    def odd_update(self, person: Person, group: Group, bot_message_id: int | None) -> Case:
        """Update types the bot subscribes to (``Update.ALL_TYPES``) but has no handler for."""
        rng = self.rng
        kind = rng.choice(
            ["message_reaction", "chat_member", "chat_join_request", "poll_answer", "inline_query"]
        )
        user = person.json()
        chat_id: int | None = group.chat_id
        chat_type: str | None = group.type
        if kind == "message_reaction":
            body = updates.message_reaction(
                person.private_chat(), bot_message_id or 1, user, self.now, "👍"
            )
            chat_id, chat_type = person.user_id, "private"
        elif kind == "chat_member":
            body = updates.member_update(group.json(), user, self.now, user, "left", "member")
        elif kind == "chat_join_request":
            body = updates.chat_join_request(group.json(), user, self.now)
        elif kind == "poll_answer":
            body = updates.poll_answer(str(rng.randrange(10**9)), user)
            chat_id, chat_type = None, None
        else:
            body = updates.inline_query(str(self._id()), user, random_text(rng, limit=256))
            chat_id, chat_type = None, None
        return Case(kind, {kind: body}, chat_id, chat_type, person)

    def callback(
        self,
        person: Person,
        data: str | None,
        target: BotMessage | None,
        *,
        kind: str,
        inaccessible: bool = False,
        foreign_chat: int | None = None,
    ) -> Case:
        """A press on ``target`` (a message the bot sent) carrying ``data`` (``None``: a game's
        button, which has none).

        ``inaccessible`` sends the message as Telegram does for old ones (date 0, nothing but
        its id and chat); ``foreign_chat`` puts the message in someone else's private chat,
        which only a forged update can do.
        """
        assert target is not None
        chat = updates.private_chat(foreign_chat if foreign_chat is not None else target.chat_id)
        if inaccessible:
            message = updates.inaccessible_message(target.message_id, chat)
        else:
            markup = {"reply_markup": target.reply_markup} if target.buttons else {}
            message = updates.message(
                target.message_id,
                self.now - self.rng.randint(0, 3600),
                chat,
                self.harness.api.bot_user(),
                text=target.text or "…",
                **markup,
            )
        query = updates.callback_query(str(self._id()), person.json(), data or "", message)
        if data is None:
            del query["data"]
            query["game_short_name"] = "nope"
        return Case(kind, {"callback_query": query}, person.user_id, "private", person)


# --- callback data -----------------------------------------------------------------------


def garbage_callback_data(rng: random.Random) -> str:
    """Data no button of ours carries: random, oversized, near-misses of real prefixes."""
    roll = rng.random()
    if roll < 0.25:
        return _noise(rng, rng.randint(0, 64))
    if roll < 0.4:
        return _noise(rng, rng.randint(65, 300))  # over Telegram's 64 bytes
    if roll < 0.5:
        return "".join(chr(rng.randint(1, 0x7F)) for _ in range(rng.randint(1, 64)))
    prefix = rng.choice(
        ["ci", "note", "pair", "unpair", "consent", "us", "mo", "learn", "reflect", "check",
         "settings", "menu", "delete", "time", "CI", "ci ", ""]
    )  # fmt: skip
    tail = rng.choice(
        [
            "",
            ":",
            "::",
            ":-1:skip",
            ":1e3:note",
            ":99999999999999:done",
            ":0:a:bids_noticed:few",
            ":1:a:bids_noticed:",
            ":1:a::few",
            ":yes:" + "A" * 10,
            ":yes:abcdefghjk",
            ":yes:AAAAAAAAAAA",
            ":1:shared:extra",
            ":1:public",
            ":99:99",
            ":24:00",
            ":day7",
            ":day-1",
            ":999999:chart",
            ":bid_made:met:extra",
            ":secure_base:../../etc",
            ":" + _noise(rng, rng.randint(1, 40)),
            "\n:1:skip",
            ":1:skip\n",
        ]
    )
    return prefix + tail


@dataclass
class Pools:
    """What a forger could know: ids and codes of everyone's records, real buttons' data."""

    checkin_ids: list[int] = field(default_factory=list)
    note_ids: list[int] = field(default_factory=list)
    couple_ids: list[int] = field(default_factory=list)
    invite_codes: list[str] = field(default_factory=list)
    framework_ids: list[str] = field(default_factory=list)
    page_keys: list[str] = field(default_factory=list)
    steps: list[int] = field(default_factory=list)
    item_options: list[tuple[str, str]] = field(default_factory=list)
    moment_outcomes: list[tuple[str, str]] = field(default_factory=list)


BIG_ID = 10**11  # fits the handlers' patterns (up to 12 digits), not a 32-bit integer


def forged_callback_data(rng: random.Random, pools: Pools) -> str:
    """Well-formed data for each of our prefixes, naming anyone's records."""

    def pick(values: Sequence[Any], *extra: Any) -> Any:
        return rng.choice([*values, *extra])

    def checkin_answer() -> str:
        item, value = pick(pools.item_options)
        return f"ci:{pick(pools.checkin_ids, 0, BIG_ID)}:a:{item}:{value}"

    def checkin_action() -> str:
        action = rng.choice(["skip", "snooze", "note", "done"])
        return f"ci:{pick(pools.checkin_ids, 0, BIG_ID)}:{action}"

    def note() -> str:
        return f"note:{pick(pools.note_ids, 0, BIG_ID)}:{rng.choice(['shared', 'private'])}"

    def unpair() -> str:
        return f"unpair:{rng.choice(['yes', 'yes', 'no'])}:{pick(pools.couple_ids, 0, BIG_ID)}"

    def invite() -> str:
        return f"pair:{rng.choice(['yes', 'no'])}:{pick(pools.invite_codes, 'ABCDEFGHJK')}"

    def consent() -> str:
        return rng.choice(["consent:yes", "consent:no", f"consent:yes:{invite()[-10:]}"])

    def week() -> str:
        weeks = rng.choice([0, 1, 2, 52, 103, 104, 105, 999])
        return f"us:{weeks}{rng.choice(['', ':chart'])}"

    def moment() -> str:
        kind, outcome = pick(pools.moment_outcomes)
        return rng.choice([f"mo:{kind}:{outcome}", f"mo:{kind}"])

    def course() -> str:
        framework = pick(pools.framework_ids, "nope")
        prefix = rng.choice(["learn", "reflect", "check"])
        if prefix == "learn":
            return f"learn:{framework}:{pick(pools.page_keys, '@', '@end', 'zz')}"
        return f"{prefix}:{framework}:{pick(pools.steps, 0, 99)}"

    def settings() -> str:
        return "settings:" + rng.choice(
            [
                "zone",
                "time",
                "weekly",
                "pause",
                "resume",
                "nudge_on",
                "nudge_off",
                "close",
                "day0",
                "day6",
            ]
        )

    def menu() -> str:
        return "menu:" + rng.choice(["learn", "pair", "settings", "help"])

    def delete() -> str:
        # Rarely "yes": every press of it erases someone, and the stream needs people.
        return "delete:yes" if rng.random() < 0.1 else "delete:no"

    def checkin_time() -> str:
        return "time:" + rng.choice(["20:00", "21:00", "7:05", "00:00", "24:00", "99:99"])

    builders: list[tuple[float, Callable[[], str]]] = [
        (4, checkin_answer),
        (2, checkin_action),
        (3, note),
        (1, unpair),
        (2, invite),
        (2, consent),
        (1, week),
        (1.5, moment),
        (3, course),
        (2, settings),
        (1, menu),
        (0.6, delete),
        (1, checkin_time),
    ]
    [(_, build)] = rng.choices(builders, weights=[weight for weight, _ in builders])
    return build()


# --- the stream ------------------------------------------------------------------------------

OTHER_BOT = "@SomeOtherBot"
UNKNOWN_COMMANDS = ["stats", "foo", "start_", "admin", "debug", "sql", "pair2", "😀", "a" * 40]
# Commands that end things are rarer, so couples last long enough to be tested.
RARE_COMMANDS = {"delete": 0.15, "unpair": 0.3}

KINDS: dict[str, float] = {
    "text": 17,
    "command": 15,
    "media": 9,
    "edited": 3,
    "group": 6,
    "channel": 1.5,
    "my_chat_member": 1.5,
    "odd": 1.5,
    "cb_real": 20,
    "cb_stale": 6,
    "cb_forged": 9,
    "cb_garbage": 5,
    "cb_foreign_chat": 2,
    "cb_inaccessible": 2,
}
DOUBLE_TAP = 0.12


@dataclass
class Stream:
    """Chooses who does what next, from what they (or a forger) could know."""

    factory: UpdateFactory
    rng: random.Random
    people: list[Person]
    strangers: list[Person]
    groups: list[Group]
    pools: Pools
    commands: list[str]
    # Person keys that send nothing for now (they blocked the bot).
    silent: set[str] = field(default_factory=set)
    # Every inline button the bot sent: (chat id, callback data), in order of sending.
    harvested: list[tuple[int, str]] = field(default_factory=list)
    _harvested_seen: set[tuple[int, str]] = field(default_factory=set)
    # Message ids of the bot's messages per chat, oldest first.
    chat_messages: dict[int, list[int]] = field(default_factory=dict)
    _known_messages: set[tuple[int, int]] = field(default_factory=set)
    markers_sent: int = 0
    pending_double_tap: Case | None = None

    # --- bookkeeping after each update -------------------------------------------------------

    def observe(self, calls: Sequence[ApiCall]) -> None:
        """Learn the buttons and messages the bot just sent (for stale and real presses)."""
        for call in calls:
            if call.chat_id is None:
                continue
            for button in call.buttons:
                data = button.get("callback_data")
                if data is None:
                    continue
                key = (call.chat_id, data)
                if key not in self._harvested_seen:
                    self._harvested_seen.add(key)
                    self.harvested.append(key)
        messages = self.factory.harness.api.messages
        new: list[tuple[int, int]] = []
        for key in reversed(messages):
            if key in self._known_messages:
                break
            new.append(key)
        for key in reversed(new):
            self._known_messages.add(key)
            self.chat_messages.setdefault(key[0], []).append(key[1])

    def bot_messages(self, chat_id: int, *, with_buttons: bool = False) -> list[BotMessage]:
        """The bot's messages in a chat, newest first (at most the last 12)."""
        messages = self.factory.harness.api.messages
        found = []
        for message_id in reversed(self.chat_messages.get(chat_id, [])[-12:]):
            message = messages.get((chat_id, message_id))
            if message is not None and (message.buttons or not with_buttons):
                found.append(message)
        return found

    def _newest_biased(self, items: Sequence[Any]) -> Any:
        return items[min(int(self.rng.expovariate(0.9)), len(items) - 1)]

    # --- choosing the next update --------------------------------------------------------------

    def sender(self) -> Person:
        candidates = [p for p in self.people if p.key not in self.silent]
        if self.rng.random() < 0.25:
            candidates = self.strangers
        return self.rng.choice(candidates)

    def marker_for(self, person: Person) -> str:
        self.markers_sent += 1
        return f"FUZZ-{person.key}-{self.rng.getrandbits(24):06x}"

    def text_for(self, person: Person) -> str:
        roll = self.rng.random()
        if roll < 0.12:
            return self.rng.choice(ZONE_ANSWERS)
        if roll < 0.22:
            return self.rng.choice(TIME_ANSWERS)
        text = random_text(self.rng)
        if roll < 0.5:
            # Marked as this person's, at the start, where no shortening cuts it.
            text = f"{self.marker_for(person)} {text}"
        return text

    def command_text(self, person: Person) -> str:
        rng = self.rng
        if rng.random() < 0.12:
            name = rng.choice(UNKNOWN_COMMANDS)
        else:
            weights = [RARE_COMMANDS.get(c, 1.0) for c in self.commands]
            [name] = rng.choices(self.commands, weights=weights)
        form = rng.random()
        if form < 0.08:
            name += "@" + self.factory.harness.api.username
        elif form < 0.12:
            name += OTHER_BOT
        elif form < 0.16:
            name = name.upper()
        args = ""
        roll = rng.random()
        codes = self.pools.invite_codes
        if roll < 0.15 and codes:
            code = rng.choice(codes)
            args = rng.choice(
                [code, code.lower(), f"{code[:5]}-{code[5:]}", f"{code[:5]} {code[5:]}"]
            )
        elif roll < 0.25:
            args = rng.choice(["0", "1", "7", "60", "61", "-1", "99999999999999999999", "1 2"])
        elif roll < 0.4:
            args = random_text(rng, limit=200)
        elif roll < 0.42:
            args = random_text(rng, limit=10_000)
        return f"/{name} {args}" if args else f"/{name}"

    def next_case(self) -> Case:
        if self.pending_double_tap is not None:
            case, self.pending_double_tap = self.pending_double_tap, None
            return case
        kinds = list(KINDS)
        [kind] = self.rng.choices(kinds, weights=[KINDS[k] for k in kinds])
        person = self.sender()
        if kind.startswith("cb_") and not self.bot_messages(person.user_id, with_buttons=True):
            # Only someone with a keyboard in their chat can press anything.
            pressers = [
                p
                for p in self.people + self.strangers
                if p.key not in self.silent and self.bot_messages(p.user_id, with_buttons=True)
            ]
            person = self.rng.choice(pressers) if pressers else person
        built = self._build(kind, person)
        if built is not None:
            case = built
        else:  # nothing to press in this chat yet
            case = self.factory.private(person, self.factory.text_content(self.text_for(person)))
            case.kind = "text"
        return case

    def _build(self, kind: str, person: Person) -> Case | None:
        rng, factory = self.rng, self.factory
        if kind == "text":
            case = factory.private(person, factory.text_content(self.text_for(person)))
            case.kind = "text"
            return case
        if kind == "command":
            case = factory.private(person, factory.text_content(self.command_text(person)))
            case.kind = "command"
            return case
        if kind == "media":
            media = rng.choice(UpdateFactory.MEDIA_KINDS)
            case = factory.private(person, factory.media_content(media))
            case.kind = f"media:{media}"
            return case
        if kind == "edited":
            text = self.command_text(person) if rng.random() < 0.3 else self.text_for(person)
            return factory.private(person, factory.text_content(text), edited=True)
        if kind in ("group", "channel"):
            groups = [g for g in self.groups if (g.type == "channel") == (kind == "channel")]
            group = rng.choice(groups)
            roll = rng.random()
            who = person if rng.random() < 0.9 else None
            if kind == "group" and roll < 0.15:
                return factory.group_service(group, person)
            if roll < 0.45:
                text = self.command_text(person)
            elif roll < 0.8:
                text = self.text_for(person)
            else:
                media = rng.choice(UpdateFactory.MEDIA_KINDS)
                return factory.in_group(group, who, factory.media_content(media))
            return factory.in_group(
                group, who, factory.text_content(text), edited=rng.random() < 0.1
            )
        if kind == "my_chat_member":
            group = rng.choice(self.groups)
            old, new = rng.choice(
                [("left", "member"), ("left", "administrator"), ("member", "left"),
                 ("administrator", "kicked"), ("member", "administrator")]
            )  # fmt: skip
            return factory.my_chat_member(group.json(), person, old, new)
        if kind == "odd":
            messages = self.bot_messages(person.user_id)
            return factory.odd_update(
                person, rng.choice(self.groups), messages[0].message_id if messages else None
            )
        # --- button presses --------------------------------------------------------------
        # Telegram only reports presses on a message with buttons, so even forged data comes
        # on one of those (here: one of the presser's own chat, unless ``cb_foreign_chat``).
        own = self.bot_messages(person.user_id, with_buttons=True)
        if not own:
            return None
        if kind in ("cb_real", "cb_inaccessible"):
            message = self._newest_biased(own)
            offered = [b["callback_data"] for b in message.buttons if "callback_data" in b]
            if not offered:
                return None
            case = factory.callback(
                person,
                rng.choice(offered),
                message,
                kind=kind,
                inaccessible=kind == "cb_inaccessible",
            )
            if kind == "cb_real" and rng.random() < DOUBLE_TAP:
                again = copy.deepcopy(case)
                again.kind = "cb_double_tap"
                again.payload["callback_query"]["id"] = str(factory._id())
                self.pending_double_tap = again
            return case
        target = self._newest_biased(own)
        if kind == "cb_stale":
            others = [
                (chat, data) for chat, data in self.harvested[-400:] if chat != person.user_id
            ]
            if not others:
                return None
            _, stale = rng.choice(others)
            return factory.callback(person, stale, target, kind=kind)
        if kind == "cb_forged":
            return factory.callback(
                person, forged_callback_data(rng, self.pools), target, kind=kind
            )
        if kind == "cb_garbage":
            garbage = None if rng.random() < 0.05 else garbage_callback_data(rng)
            return factory.callback(person, garbage, target, kind=kind)
        if kind == "cb_foreign_chat":
            victim = rng.choice([p for p in self.people if p.user_id != person.user_id])
            theirs = self.bot_messages(victim.user_id, with_buttons=True)
            if not theirs:
                return None
            message = self._newest_biased(theirs)
            offered = [b["callback_data"] for b in message.buttons if "callback_data" in b]
            if not offered:
                return None
            case = factory.callback(
                person, rng.choice(offered), message, kind=kind, foreign_chat=victim.user_id
            )
            case.chat_id = person.user_id
            return case
        raise ValueError(kind)
