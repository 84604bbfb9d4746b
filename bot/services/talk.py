"""Questions to talk about: the same question for both partners, each answering privately,
both answers shown to both once both have answered.

A couple never gets a bank question twice within :data:`REPEAT_AFTER` — counted for the two
people, so pairing again with the same person keeps their history; once every question
of their depth has been asked in that time, the least recently asked comes back. The depth
(1-3) goes up after every :data:`ANSWERS_PER_DEPTH` questions answered talk. The guided
conversation for a day the two saw differently uses the same machinery, in three steps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.together import Question, TogetherContent
from bot.services.quiet_hours import in_quiet_hours
from bot.storage import pairing, talk
from bot.storage.models import TalkQuestion, User
from bot.storage.talk import ActiveCouple
from bot.timezones import local_now

REPEAT_AFTER = timedelta(days=180)
ANSWERS_PER_DEPTH = 5
MAX_DEPTH = 3
MAX_ANSWER_LENGTH = 2000
# /talk shows the open question again while it is this recent; after that it asks a new one.
OPEN_FOR = timedelta(days=7)
# The weekly question is asked from this local time on the weekly day (the job's first run).
WEEKLY_QUESTION_AT = time(10, 0)
GUIDED = "guided"
GUIDED_STEPS = 3
_LONG_AGO = datetime(1970, 1, 1, tzinfo=UTC)


class Refusal(StrEnum):
    NOT_PAIRED = "not_paired"
    ALREADY_ANSWERED = "already_answered"


# --- which question (pure) -----------------------------------------------------------------


def depth_for(answered_together: int) -> int:
    return min(MAX_DEPTH, 1 + answered_together // ANSWERS_PER_DEPTH)


def choose_question(
    bank: Sequence[Question], depth: int, history: Mapping[str, datetime], now: datetime
) -> Question:
    """The next question of ``depth``: one not asked within :data:`REPEAT_AFTER` (never
    asked first, then the longest ago; among equals, the framework's part asked least
    recently, then bank order), else the least recently asked of that depth.

    (Ordered by when each was last asked, a repeat within the window happens only once
    every question of the depth was asked in it.)"""
    of_depth = [question for question in bank if question.depth == depth]
    part_asked: dict[str, datetime] = {}
    for question in bank:
        asked = history.get(question.id)
        if asked is not None and asked > part_asked.get(question.part, _LONG_AGO):
            part_asked[question.part] = asked
    fresh = [q for q in of_depth if history.get(q.id, _LONG_AGO) <= now - REPEAT_AFTER]
    pool = fresh or of_depth
    order = {question.id: index for index, question in enumerate(bank)}
    return min(
        pool,
        key=lambda q: (
            history.get(q.id, _LONG_AGO),
            part_asked.get(q.part, _LONG_AGO),
            order[q.id],
        ),
    )


def question_text(content: TogetherContent, key: str) -> str:
    if key.startswith(f"{GUIDED}:"):
        return content.talk.guided_steps[int(key.split(":")[1]) - 1]
    question = content.question(key)
    return question.text if question is not None else key


def weekly_question_day(couple: ActiveCouple) -> int:
    """0 = Monday ... 6 = Sunday: the couple's weekly day, the same for both partners."""
    return couple.weekly_day


# --- asking -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Asked:
    """A question for ``user`` and ``partner``; ``new`` if the partner is to get it now."""

    question: TalkQuestion
    text: str
    partner: User
    partner_silent: bool
    new: bool
    answered: bool = False
    # Both answered, but the answers have not reached both yet: ``(mine, theirs)``, to show.
    unrevealed: tuple[str, str] | None = None


async def _new(
    session: AsyncSession,
    content: TogetherContent,
    user: User,
    couple_id: int,
    partner: User,
    now: datetime,
    *,
    key: str,
    trigger: str,
) -> Asked:
    sent_to = [user.id, partner.id] if partner.active else [user.id]
    question = await talk.add_question(
        session,
        couple_id=couple_id,
        key=key,
        trigger=trigger,
        now=now,
        members=[user.id, partner.id],
        sent_to=sent_to,
    )
    assert question is not None  # only weekly questions can meet an existing one
    return Asked(
        question,
        question_text(content, key),
        partner,
        in_quiet_hours(partner.time_zone, now),
        new=partner.active,
    )


async def _again(
    session: AsyncSession,
    content: TogetherContent,
    user: User,
    question: TalkQuestion,
    partner: User,
    now: datetime,
) -> Asked:
    """The open question again; if both have answered it (the answers did not reach both
    when they were given), with the two answers to show now."""
    answers = await talk.answers_to(session, question.id)
    mine, theirs = answers.get(user.id), answers.get(partner.id)
    both = (
        (mine.body or "", theirs.body or "")
        if mine is not None and mine.answered_at and theirs is not None and theirs.answered_at
        else None
    )
    # Not marked revealed here: only once the answers reached both (:func:`record_revealed`).
    return Asked(
        question,
        question_text(content, question.question_key),
        partner,
        partner_silent=in_quiet_hours(partner.time_zone, now) if both else False,
        new=False,
        answered=mine is not None and (mine.answered_at or mine.passed_at) is not None,
        unrevealed=both,
    )


async def ask(
    session: AsyncSession, content: TogetherContent, user: User, now: datetime
) -> Asked | Refusal:
    """``/talk``: the couple's open question if recent, else a new one for both."""
    partnership = await pairing.active_partnership(session, user.id)
    if partnership is None:
        return Refusal.NOT_PAIRED
    open_question = await talk.newest_open_question(session, partnership.couple_id, now - OPEN_FOR)
    if open_question is not None:
        return await _again(session, content, user, open_question, partnership.partner, now)
    pair = (user.id, partnership.partner.id)
    history = await talk.question_history(session, *pair)
    depth = depth_for(await talk.answered_together(session, *pair))
    chosen = choose_question(content.questions, depth, history, now)
    return await _new(
        session,
        content,
        user,
        partnership.couple_id,
        partnership.partner,
        now,
        key=chosen.id,
        trigger="talk",
    )


async def start_guided(
    session: AsyncSession, content: TogetherContent, user: User, now: datetime, step: int = 1
) -> Asked | Refusal:
    """The guided conversation for a day the two saw differently, from its step ``step``.
    For ``/talk`` now; the check-in's "talk about it" can call it as it is."""
    partnership = await pairing.active_partnership(session, user.id)
    if partnership is None:
        return Refusal.NOT_PAIRED
    if step == 1:  # one guided talk at a time: a second tap shows the open step again
        open_step = await talk.newest_open_question(
            session, partnership.couple_id, now - OPEN_FOR, trigger=GUIDED
        )
        if open_step is not None:
            return await _again(session, content, user, open_step, partnership.partner, now)
    return await _new(
        session,
        content,
        user,
        partnership.couple_id,
        partnership.partner,
        now,
        key=f"{GUIDED}:{step}",
        trigger=GUIDED,
    )


def weekly_due_zones(zones: list[str], now: datetime) -> dict[date, list[str]]:
    """Of ``zones``, those where it is :data:`WEEKLY_QUESTION_AT` or later now, by their
    local date (whose weekday is the weekly day of the couples due there). Pure."""
    due: dict[date, list[str]] = {}
    for zone in zones:
        local = local_now(zone, now)
        if local.time() >= WEEKLY_QUESTION_AT:
            due.setdefault(local.date(), []).append(zone)
    return due


async def couples_due_weekly(session: AsyncSession, now: datetime) -> list[int]:
    """The couples whose weekly question is due now and not yet asked, found in SQL (by the
    zones where the hour has come), so a run reads no couple that has nothing due."""
    due = weekly_due_zones(await talk.zones_of_couples(session), now)
    return await talk.couples_due_weekly(session, due)


async def ask_weekly(
    session: AsyncSession, content: TogetherContent, couple: ActiveCouple, now: datetime
) -> TalkQuestion | None:
    """The weekly question for ``couple`` if its day and hour have come and it has none yet
    this week; its copies are sent by the job, each outside the receiver's quiet hours."""
    owner = couple.members[0]
    if len(couple.members) != 2 or owner.time_zone is None:
        return None
    local = local_now(owner.time_zone, now)
    if local.weekday() != weekly_question_day(couple) or local.time() < WEEKLY_QUESTION_AT:
        return None
    if await talk.weekly_question_exists(session, couple.couple_id, local.date()):
        return None
    pair = (couple.members[0].id, couple.members[1].id)
    history = await talk.question_history(session, *pair)
    depth = depth_for(await talk.answered_together(session, *pair))
    chosen = choose_question(content.questions, depth, history, now)
    return await talk.add_question(
        session,
        couple_id=couple.couple_id,
        key=chosen.id,
        trigger="weekly",
        now=now,
        members=[member.id for member in couple.members],
        sent_to=[],
        week_of=local.date(),
    )


async def record_revealed(
    session: AsyncSession,
    content: TogetherContent,
    user: User,
    question: TalkQuestion,
    now: datetime,
) -> Asked | None:
    """Both answers reached both: the question is revealed. Run after the sends, never in
    the turn that shows them, so that a failed send or a crash before it leaves the question
    open, and ``/talk`` shows both answers once more (:func:`ask`). A guided talk's next
    step starts only here, once this step's answers reached both (the step it returns, to
    ask of both): a reveal that did not arrive does not move the talk on."""
    if not await talk.mark_revealed(session, question.id, now):
        return None  # revealed already (two reveals at once): the first one went on
    key = question.question_key
    if not key.startswith(f"{GUIDED}:") or int(key.split(":")[1]) >= GUIDED_STEPS:
        return None
    step = await start_guided(session, content, user, now, int(key.split(":")[1]) + 1)
    return step if isinstance(step, Asked) else None


# --- answering --------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenQuestion:
    question: TalkQuestion
    text: str
    partner: User


async def may_answer(
    session: AsyncSession, content: TogetherContent, user: User, question_id: int
) -> OpenQuestion | Refusal | None:
    """A question of ``user``'s current couple that they have not answered; ``None`` for
    anyone else's (a forged button) or one from an ended couple."""
    question = await talk.get_question(session, question_id)
    partnership = await pairing.active_partnership(session, user.id)
    if question is None or partnership is None or question.couple_id != partnership.couple_id:
        return None
    mine = (await talk.answers_to(session, question_id)).get(user.id)
    if mine is None:
        return None
    if mine.answered_at is not None or mine.passed_at is not None:
        return Refusal.ALREADY_ANSWERED
    return OpenQuestion(
        question, question_text(content, question.question_key), partnership.partner
    )


@dataclass(frozen=True)
class Answered:
    question: OpenQuestion
    mine: str
    # Both answers are in: shown to both now (the partner's copy silent in their quiet hours).
    theirs: str | None
    partner_silent: bool
    # The partner has no answer this time (see :func:`pass_question`): nothing is revealed.
    partner_passed: bool = False


async def answer(
    session: AsyncSession,
    content: TogetherContent,
    user: User,
    question_id: int,
    body: str,
    now: datetime,
) -> Answered | Refusal | None:
    if len(body) > MAX_ANSWER_LENGTH:
        raise ValueError("answer too long")
    # Before anything is read: the partner answering at this moment waits, then sees this.
    await talk.lock_question(session, question_id)
    found = await may_answer(session, content, user, question_id)
    if not isinstance(found, OpenQuestion):
        return found
    answers = await talk.answers_to(session, question_id)
    answers[user.id].body = body
    answers[user.id].answered_at = now
    if answers[user.id].sent_at is None:
        answers[user.id].sent_at = now  # answered from /talk before the job sent it
    others = [row for uid, row in answers.items() if uid != user.id]
    theirs = next((row for row in others if row.answered_at), None)
    silent = in_quiet_hours(found.partner.time_zone, now)
    if any(row.passed_at is not None for row in others):
        return Answered(found, body, None, silent, partner_passed=True)
    if theirs is None:
        return Answered(found, body, None, silent)
    # Revealed only once the answers reached both (:func:`record_revealed`), after the turn;
    # a guided talk's next step starts there too.
    return Answered(found, body, theirs.body, silent)


@dataclass(frozen=True)
class Passed:
    """``user`` has no answer to a question this time (their answer was kept private):
    neither answer is ever shown. The partner, if they answered already, is told so."""

    question: OpenQuestion
    partner_answered: bool
    partner_silent: bool


async def pass_question(
    session: AsyncSession,
    content: TogetherContent,
    user: User,
    question_id: int,
    now: datetime,
) -> Passed | None:
    """ "No answer this time" from ``user``; ``None`` if the question is not theirs to answer
    any more (answered since, or their couple ended): then nothing changes."""
    await talk.lock_question(session, question_id)
    found = await may_answer(session, content, user, question_id)
    if not isinstance(found, OpenQuestion):
        return None
    answers = await talk.answers_to(session, question_id)
    answers[user.id].passed_at = now
    partner_answered = any(
        row.answered_at is not None for uid, row in answers.items() if uid != user.id
    )
    return Passed(found, partner_answered, in_quiet_hours(found.partner.time_zone, now))
