"""Each couple sees only its own time together, through the real Application (issue 22).

Ivan is paired with Eve; on Friday 27 November 2026 he answers his check-in (a stressful
day), writes a note and shares it with Eve, answers a question with her; then he ends that
pairing and pairs with Anna the same evening. Anna must see none of it: not in /us or its
details, the chart's data, the digest, the both-answered day, /talk, nor as a tip. All three
live in Berlin (UTC+1): Ivan's and Eve's check-ins come at 21:00, Anna's at 22:00.

Also here: a /talk reveal too long for one message (Russian, both answers at the limit)
arrives in parts and counts as revealed only once it reached both; the safe-haven tip waits
for the receiver's own check-in; the same two people pairing again keep their question
history; a crisis note is never on /us.
"""

from __future__ import annotations

import asyncio
import re
from contextlib import suppress
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select
from telegram.error import NetworkError, TimedOut
from telegram.request import RequestData

from bot.content import render
from bot.services import talk
from bot.services.weekly import WeekView, week_for
from bot.storage.models import Couple, Note, SharedDay, TalkQuestion, User
from bot.views.parts import TELEGRAM_LIMIT, message_parts, visible_length
from tests.harness import (
    TEXTS,
    BotHarness,
    MigrationRoundTrip,
    TelegramUser,
    shipped_content,
    shown,
)
from tests.journeys import (
    QUIET_DAY,
    answer_checkin,
    ask_talk,
    checkin_day,
    evening,
    invite_code,
    onboard,
    open_reflection,
)
from tests.journeys import pair as pair_up
from tests.telegram_fake import FakeRequest, visible_text
from tests.test_together import couple, opt_in, tips_to, together_run

CONTENT = shipped_content()
TIPS = CONTENT.together.tips
TALK = CONTENT.together.talk
WORDS = TEXTS.us

FRIDAY, SATURDAY = date(2026, 11, 27), date(2026, 11, 28)
MORNING = datetime(2026, 11, 27, 11, 0, tzinfo=UTC)  # Berlin 12:00
IVANS_EVENING = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)  # Berlin 21:00
ANNAS_EVENING = datetime(2026, 11, 27, 21, 0, tzinfo=UTC)  # Berlin 22:00

IVAN, EVE, ANNA = 1001, 2002, 3003
FOR_EVE = "Eve, thank you for last night, the walk by the river"
TO_EVE = "What I told only Eve about my father"
IVANS_DAY = {
    "bids_noticed": "some",
    "bids_response": "toward",
    "bids_made": "met",
    "stressed_me": "yes",
    "support_received": "no",
    "stressed_partner": "no",
}


async def end_pairing(person: TelegramUser) -> None:
    await person.send("/unpair")
    await person.press(TEXTS.pairing.unpair_confirm_button)


async def answer_talk(person: TelegramUser, text: str, button: str = TALK.answer_button) -> None:
    await person.press(button)
    await person.send(text)


async def view_of(harness: BotHarness, telegram_id: int) -> WeekView:
    """The week as /us, its chart and the digest draw it for this person now."""
    assert harness.app is not None
    services = harness.app.bot_data.services
    async with harness.transaction() as session:
        user = await session.scalar(select(User).where(User.telegram_id == telegram_id))
        assert user is not None
        return await week_for(session, user, harness.clock.now, crisis=services.crisis)


def pairing_message(person: TelegramUser) -> str:
    start = shown(TEXTS.pairing.paired_you, partner="Ivan")
    return next(m.text for m in person.chat if m.text.startswith(start))


def everything_to(harness: BotHarness, chat_id: int) -> str:
    """Every text and caption the bot sent this person, as they saw it."""
    return "\n".join(
        visible_text(call.text or call.params.get("caption") or "", call.params.get("parse_mode"))
        for call in harness.api.calls
        if call.chat_id == chat_id and call.status == 200
    )


async def ivan_shares_a_day_with_eve(harness: BotHarness) -> tuple[TelegramUser, TelegramUser]:
    harness.clock.now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    ivan = await onboard(harness, IVAN, "Ivan", "Berlin", "21:00")
    eve = await onboard(harness, EVE, "Eve", "Berlin", "21:00")
    anna = await onboard(harness, ANNA, "Anna", "Berlin", "22:00")
    await pair_up(ivan, eve)
    await evening(harness, MORNING)  # the missed evenings are not sent; the next is tonight
    # The day before: the question is Eve's one extra message of that day (the ping budget),
    # Ivan's shared note that of the evening's.
    harness.clock.now = datetime(2026, 11, 26, 18, 0, tzinfo=UTC)
    await opt_in(harness, ivan, eve)
    await ask_talk(ivan)
    await answer_talk(eve, "Eve's own answer")
    await answer_talk(ivan, TO_EVE)
    await evening(harness, IVANS_EVENING)
    await answer_checkin(ivan, IVANS_DAY, note=FOR_EVE)
    await ivan.press(TEXTS.notes.share_button)
    assert FOR_EVE in everything_to(harness, EVE)
    return ivan, anna


async def test_a_new_partner_sees_nothing_of_the_pairing_before(harness: BotHarness) -> None:
    ivan, anna = await ivan_shares_a_day_with_eve(harness)
    harness.clock.now = IVANS_EVENING + timedelta(minutes=30)
    await end_pairing(ivan)
    await pair_up(ivan, anna)

    # Ivan got his check-in of the day before the pairing: the couple begins tomorrow, and
    # Anna is told so (her own check-in tonight is not one "as a couple").
    paired = next(
        m.text
        for m in anna.chat
        if m.text.startswith(shown(TEXTS.pairing.paired_you, partner="Ivan"))
    )
    assert paired.endswith(
        shown(TEXTS.pairing.next_checkin, day=checkin_day(SATURDAY), time="22:00")
    )

    await evening(harness, ANNAS_EVENING)
    await answer_checkin(anna, QUIET_DAY)
    # No both-answered day: Ivan's answers of today were given while paired with Eve.
    assert await harness.rows(SharedDay) == []
    day_title = shown(TEXTS.shared_day.title, day=checkin_day(FRIDAY))
    assert day_title not in everything_to(harness, ANNA)
    assert day_title not in everything_to(harness, IVAN)

    # Anna takes the tips too; Ivan's stressful day was his time with Eve: no tip.
    harness.clock.advance(minutes=5)
    await together_run(harness)
    await anna.press(TIPS.offer_yes_button)
    harness.clock.advance(minutes=5)
    await together_run(harness)
    harness.clock.now = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)  # the day has closed
    await together_run(harness)
    assert tips_to(harness, ANNA) == []

    # /us, its details and its chart; and /talk.
    harness.clock.now = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    await anna.send("/us")
    await anna.press(WORDS.details_button)
    await anna.press(WORDS.chart_button)
    await ask_talk(anna)
    for view in (await view_of(harness, ANNA), await view_of(harness, IVAN)):
        partner = view.summary.partner
        assert partner is not None
        assert partner.checked_in_days == partner.bids_days == partner.moments == 0
        assert view.summary.partner_notes == ()
        assert all(point.bids_level is None for point in view.summary.partner_points)
        assert view.summary.hidden_days == 0
        assert view.summary.streak == 0

    # Saturday, their first day as a couple: it is shown side by side as usual.
    await evening(harness, datetime(2026, 11, 28, 20, 0, tzinfo=UTC))
    await answer_checkin(ivan, QUIET_DAY)
    await evening(harness, datetime(2026, 11, 28, 21, 0, tzinfo=UTC))
    await answer_checkin(anna, QUIET_DAY)
    saturday = shown(TEXTS.shared_day.title, day=checkin_day(SATURDAY))
    assert saturday in everything_to(harness, ANNA)
    partner = (await view_of(harness, ANNA)).summary.partner
    assert partner is not None
    assert partner.checked_in_days == 1

    # Sunday: Anna's weekly digest.
    await evening(harness, datetime(2026, 11, 29, 21, 0, tzinfo=UTC))
    assert shown(WORDS.digest_intro) in everything_to(harness, ANNA)

    seen = everything_to(harness, ANNA)
    for words in (FOR_EVE, TO_EVE, "Eve's own answer"):
        assert words not in seen
    assert re.search(r"\bEve\b", seen) is None

    # Her export holds what Ivan shared with her, never what he shared with Eve.
    await anna.send("/export")
    [document] = [m for m in anna.chat if m.kind == "document"][-1:]
    assert document.file is not None
    exported = document.file[1].decode()
    for words in (FOR_EVE, TO_EVE, "Eve's own answer", "Eve"):
        assert words not in exported


async def test_the_reveal_rule_holds_on_the_day_of_pairing(harness: BotHarness) -> None:
    harness.clock.now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    ivan = await onboard(harness, IVAN, "Ivan", "Berlin", "21:00")
    anna = await onboard(harness, ANNA, "Anna", "Berlin", "22:00")
    await evening(harness, MORNING)  # the missed evenings are not sent; the next is tonight
    await pair_up(ivan, anna)
    paired = next(
        m.text
        for m in anna.chat
        if m.text.startswith(shown(TEXTS.pairing.paired_you, partner="Ivan"))
    )
    assert paired.endswith(shown(TEXTS.pairing.next_checkin, day=checkin_day(FRIDAY), time="22:00"))

    await evening(harness, IVANS_EVENING)
    await answer_checkin(ivan, IVANS_DAY, note=FOR_EVE)
    await ivan.press(TEXTS.notes.share_button)
    # Anna has not answered today: nothing of Ivan's day is shown to her yet.
    harness.clock.advance(minutes=10)
    await anna.send("/us")
    await anna.press(WORDS.details_button)
    view = await view_of(harness, ANNA)
    assert view.summary.partner is not None
    assert view.summary.partner.bids_days == 0
    assert view.summary.partner_notes == ()
    assert all(point.bids_level is None for point in view.summary.partner_points)
    # (The shared note itself went to her, as shared notes do.)

    await evening(harness, ANNAS_EVENING)
    await answer_checkin(anna, QUIET_DAY)
    # Once she has: the day side by side, and /us with Ivan's day.
    assert shown(TEXTS.shared_day.title, day=checkin_day(FRIDAY)) in everything_to(harness, ANNA)
    view = await view_of(harness, ANNA)
    assert view.summary.partner is not None
    assert view.summary.partner.bids_days == 1
    assert [note.body for note in view.summary.partner_notes] == [FOR_EVE]


# --- nothing lost to a length limit ------------------------------------------------------------


async def start_in_russian(harness: BotHarness, user_id: int, name: str) -> TelegramUser:
    texts = CONTENT.languages["ru"].texts
    person = harness.user(user_id, name, language_code="ru")
    await person.send("/start")
    await person.press(texts.onboarding.consent_yes_button)
    await person.send("Berlin")
    await person.send("21:00")
    return person


def at_the_limit(words: str) -> str:
    """An answer of exactly the longest length accepted, with characters HTML escapes."""
    text = (words * (talk.MAX_ANSWER_LENGTH // len(words) + 1))[: talk.MAX_ANSWER_LENGTH]
    return text.rstrip() + "»" * (talk.MAX_ANSWER_LENGTH - len(text.rstrip()))


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


class ChatFaults(FakeRequest):
    """The fake Bot API's HTTP layer with what befalls a sendMessage to some chats
    (``faults``): ``refuse`` (no connection: it surely did not arrive), ``timeout`` (Telegram
    carried it out, its answer never came: it may have arrived), ``stall`` (it hangs, as a
    process does that dies mid-send; ``stalled`` is set)."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.faults: dict[int, str] = {}
        self.stalled = asyncio.Event()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        chat_id = request_data.parameters.get("chat_id") if request_data is not None else None
        sending = url.endswith("/sendMessage") and chat_id is not None
        fault = self.faults.get(int(chat_id)) if sending else None  # type: ignore[arg-type]
        if fault == "refuse":
            cause: httpx.TransportError = httpx.ConnectError("[Errno 111] Connection refused")
            raise NetworkError(f"httpx.ConnectError: {cause}") from cause
        if fault == "stall":
            self.stalled.set()
            await asyncio.Event().wait()
        answer = await super().do_request(
            url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
        )
        if fault == "timeout":
            raise TimedOut("Timed out") from httpx.ReadTimeout("read timed out")
        return answer


async def with_chat_faults(harness: BotHarness) -> ChatFaults:
    """The bot restarted (nothing pending) on a Telegram whose sends can fail per chat."""
    faults = ChatFaults(harness.api)
    harness.request = faults
    await harness.restart()
    return faults


async def crash_while_sending(harness: BotHarness, faults: ChatFaults, send: Any) -> None:
    """Run ``send`` (a person's update) until a send to a stalling chat hangs, kill the
    process there (its transaction is committed; what it had not sent is gone), and start
    a new one on the same database and Telegram."""
    task = asyncio.ensure_future(send)
    await asyncio.wait_for(faults.stalled.wait(), timeout=10)
    task.cancel()
    with suppress(asyncio.CancelledError):
        await task
    faults.faults.clear()
    await harness.restart()


async def asked_and_answered_by_one(
    harness: BotHarness,
) -> tuple[TelegramUser, TelegramUser, ChatFaults]:
    """Alex and Sam with a /talk question Alex has answered; Sam's answer will reveal."""
    alex, sam = await couple(harness)
    harness.clock.now = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    faults = await with_chat_faults(harness)
    await ask_talk(alex)
    await answer_talk(alex, "Your hand on my back")
    await sam.press(TALK.answer_button)
    return alex, sam, faults


def reveals_to(harness: BotHarness, chat_id: int, answer: str) -> int:
    """How many of the bot's messages that reached ``chat_id`` carry ``answer``."""
    return sum(
        answer in (call.text or "")
        for call in harness.api.calls
        if call.method == "sendMessage" and call.chat_id == chat_id and call.status == 200
    )


async def test_a_reveal_cut_off_by_a_crash_is_shown_again_by_the_next_talk(
    harness: BotHarness,
) -> None:
    alex, sam, faults = await asked_and_answered_by_one(harness)
    faults.faults[alex.user_id] = "stall"  # Sam's copy goes, then the process dies

    await crash_while_sending(harness, faults, sam.send("When you ask about my day"))

    assert reveals_to(harness, sam.user_id, "Your hand on my back") == 1
    assert reveals_to(harness, alex.user_id, "When you ask about my day") == 0
    [question] = await harness.rows(TalkQuestion)
    assert question.revealed_at is None  # it has not reached both
    # The next /talk (whoever sends it) shows both answers to both; then it counts.
    await alex.send("/talk")
    assert reveals_to(harness, alex.user_id, "When you ask about my day") == 1
    assert reveals_to(harness, sam.user_id, "Your hand on my back") == 2
    [question] = await harness.rows(TalkQuestion)
    assert question.revealed_at is not None
    # And the one after moves on to a new question.
    await ask_talk(alex)
    assert len(await harness.rows(TalkQuestion)) == 2
    assert reveals_to(harness, alex.user_id, "When you ask about my day") == 1


async def test_a_reveal_that_may_have_arrived_counts_as_revealed(harness: BotHarness) -> None:
    alex, sam, faults = await asked_and_answered_by_one(harness)
    faults.faults[alex.user_id] = "timeout"  # Telegram has it; its answer never comes

    await sam.send("When you ask about my day")
    faults.faults.clear()

    assert reveals_to(harness, alex.user_id, "When you ask about my day") == 1
    [question] = await harness.rows(TalkQuestion)
    assert question.revealed_at is not None
    # Not shown again: the next /talk is a new question.
    await ask_talk(sam)
    assert len(await harness.rows(TalkQuestion)) == 2
    assert reveals_to(harness, alex.user_id, "When you ask about my day") == 1
    assert reveals_to(harness, sam.user_id, "Your hand on my back") == 1


async def test_a_long_reveal_in_russian_arrives_whole_to_both(harness: BotHarness) -> None:
    harness.clock.now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    faults = await with_chat_faults(harness)
    ru = CONTENT.languages["ru"]
    ivan = await start_in_russian(harness, IVAN, "Иван")
    anna = await start_in_russian(harness, ANNA, "Анна")
    code = invite_code(await ivan.send("/pair"))
    await anna.send(f"/join {code}")
    await anna.press(ru.texts.pairing.confirm_button)
    his = at_the_limit("Мне важно, когда ты <рядом> & слушаешь меня без спешки. ")
    hers = at_the_limit("Я чувствую себя любимой, когда мы гуляем вечером вдвоём. ")
    assert len(his) == len(hers) == talk.MAX_ANSWER_LENGTH
    await ask_talk(ivan)
    await answer_talk(ivan, his, ru.together.talk.answer_button)
    [question] = await harness.rows(TalkQuestion)
    text = talk.question_text(ru.together, question.question_key)
    whole = render(ru.together.talk.revealed, question=text, mine=hers, partner="Иван", theirs=his)
    assert visible_length(whole) > TELEGRAM_LIMIT  # it does not fit one message
    before = len(harness.api.calls)

    # The first time, Ivan's copy does not go (Anna's does): the question is not revealed.
    await anna.press(ru.together.talk.answer_button)
    faults.faults[IVAN] = "refuse"
    await anna.send(hers)
    faults.faults.clear()
    [question] = await harness.rows(TalkQuestion)
    assert question.revealed_at is None
    assert not [c for c in harness.api.calls[before:] if c.chat_id == IVAN]

    # /talk shows the two answers again, to both, in parts that each fit.
    await anna.send("/talk")
    [question] = await harness.rows(TalkQuestion)
    assert question.revealed_at is not None
    for person, mine, theirs in ((anna, hers, his), (ivan, his, hers)):
        calls = [c for c in harness.api.calls[before:] if c.chat_id == person.user_id]
        assert all(c.status == 200 for c in calls[-len(message_parts(whole)) :])
        seen = "".join(visible_text(c.text or "", "HTML") for c in calls if c.status == 200)
        assert flat(mine) in flat(seen)
        assert flat(theirs) in flat(seen)
        assert len([c for c in calls if c.status == 200]) >= 2


async def test_a_long_shared_note_arrives_whole(harness: BotHarness) -> None:
    harness.clock.now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    ivan, anna = await couple(harness)
    await evening(harness, datetime(2026, 11, 27, 20, 0, tzinfo=UTC))
    note = ("Спасибо за вчерашний вечер <и> за то, что ты рядом. " * 80)[:4000].strip()
    await answer_checkin(ivan, QUIET_DAY, note=note)
    await ivan.press(TEXTS.notes.share_button)
    assert flat(note) in flat(everything_to(harness, anna.user_id))


# --- the safe-haven tip keeps the reveal rule --------------------------------------------------


async def test_the_tip_waits_for_the_receivers_own_day(harness: BotHarness) -> None:
    alex, sam = await couple(harness)  # Alex in Berlin, Sam in New York
    harness.clock.now = datetime(2026, 11, 27, 19, 0, tzinfo=UTC)
    await opt_in(harness, alex, sam)
    harness.clock.now = datetime(2026, 11, 27, 19, 30, tzinfo=UTC)  # Berlin 20:30, NY 14:30
    await alex.send("/stress")
    await alex.press(TEXTS.moments.stress_mine_button)
    await alex.press(TEXTS.moments.outcomes["stress_mine"]["yes"])
    harness.clock.advance(minutes=5)
    await together_run(harness)
    assert tips_to(harness, sam.user_id) == []  # Sam has not answered his own day

    # Sam never answers Friday: once his Friday is over (and his night), the tip comes.
    harness.clock.now = datetime(2026, 11, 28, 12, 59, tzinfo=UTC)  # NY 07:59
    await together_run(harness)
    assert tips_to(harness, sam.user_id) == []
    harness.clock.now = datetime(2026, 11, 28, 13, 0, tzinfo=UTC)  # NY 08:00
    await together_run(harness)
    assert tips_to(harness, sam.user_id) == [shown(TIPS.message, partner="Alex", tip=TIPS.items[0])]
    # It says what is true: Alex opted in to tips, and is not told of this one.
    assert "won't tell Alex you got this idea" in tips_to(harness, sam.user_id)[0]


# --- the same two people pairing again ---------------------------------------------------------


def test_a_question_is_not_asked_again_for_half_a_year() -> None:
    """Pinned: the promise that a couple is not asked the same question within 180 days."""
    assert timedelta(days=180) == talk.REPEAT_AFTER


async def test_pairing_again_keeps_the_question_history(harness: BotHarness) -> None:
    alex, sam = await couple(harness)
    harness.clock.now = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    asked: list[str] = []
    for _ in range(3):
        await ask_talk(alex)
        await answer_talk(alex, "mine")
        await answer_talk(sam, "theirs")
        harness.clock.advance(days=1)
    asked = [q.question_key for q in await harness.rows(TalkQuestion)]
    await end_pairing(alex)
    await pair_up(alex, sam)

    await ask_talk(alex)

    keys = [q.question_key for q in await harness.rows(TalkQuestion)]
    assert len(keys) == 4
    assert keys[-1] not in asked


# --- crisis notes stay off /us -----------------------------------------------------------------


async def test_a_crisis_note_is_never_on_us(harness: BotHarness) -> None:
    alex, _ = await couple(harness)
    await evening(harness, datetime(2026, 11, 27, 20, 0, tzinfo=UTC))
    words = "honestly today was awful and I want to die, sorry"
    await answer_checkin(alex, QUIET_DAY, note=words)
    ordinary = "The soup was good"
    await alex.press(TEXTS.checkin.note_button)
    await alex.send(ordinary)

    await alex.send("/us")
    details = await alex.press(WORDS.details_button)

    assert ordinary in details.text
    assert "want to die" not in details.text
    assert "want to die" not in everything_to(harness, 2002)


async def test_every_part_fits_and_keeps_its_formatting() -> None:
    text = "<b>Title</b>\n\n<blockquote>" + "слово &lt;x&gt; 😀 " * 600 + "</blockquote>"
    parts = message_parts(text)
    assert len(parts) > 1
    assert all(visible_length(part) <= TELEGRAM_LIMIT for part in parts)
    assert all(part.count("<blockquote>") == part.count("</blockquote>") for part in parts)
    assert flat("".join(visible_text(p, "HTML") for p in parts)) == flat(visible_text(text, "HTML"))
    assert message_parts("short <b>one</b>") == ["short <b>one</b>"]


async def test_a_reflection_shared_with_one_partner_stays_with_them(harness: BotHarness) -> None:
    ivan = await onboard(harness, IVAN, "Ivan")
    eve = await onboard(harness, EVE, "Eve")
    anna = await onboard(harness, ANNA, "Anna")
    await pair_up(ivan, eve)
    await open_reflection(ivan, 2)
    await ivan.send("Words for Eve only")
    await ivan.press(TEXTS.notes.share_button)
    assert "Words for Eve only" in (await eve.send("/learn")).text
    await end_pairing(ivan)
    await pair_up(ivan, anna)

    assert "Words for Eve only" not in (await anna.send("/learn")).text
    # Another, shared now with Anna: she sees that one.
    await ivan.send("/learn")  # back on the practice page where Ivan left off
    await ivan.press(TEXTS.lessons.reflect_button)
    await ivan.send("Words for Anna")
    await ivan.press(TEXTS.notes.share_button)
    seen = (await anna.send("/learn")).text
    assert "Words for Anna" in seen
    assert "Words for Eve only" not in seen


async def test_the_upgrade_gives_shared_notes_their_couple(
    harness: BotHarness, migration_round_trip: MigrationRoundTrip
) -> None:
    """Notes shared before the couple was stored with them belong to the couple their
    author was in when writing them: a later partner does not see them after the upgrade."""
    ivan = await onboard(harness, IVAN, "Ivan")
    eve = await onboard(harness, EVE, "Eve")
    await pair_up(ivan, eve)
    await open_reflection(ivan, 2)
    await ivan.send("Words for Eve only")
    await ivan.press(TEXTS.notes.share_button)
    [eves] = await harness.rows(Couple)
    await migration_round_trip("0012")

    [note] = await harness.rows(Note)
    assert note.couple_id == eves.id
    await end_pairing(ivan)
    anna = await onboard(harness, ANNA, "Anna")
    await pair_up(ivan, anna)
    assert "Words for Eve only" not in (await anna.send("/learn")).text
