"""Questions to talk about: the same question for both partners, each answering privately,
both answers shown to both once both have answered.

A couple never gets a bank question twice within :data:`REPEAT_AFTER` — counted for the two
people, so pairing again with the same person keeps their history; once every question
of the chosen depth has been asked in that time, the least recently asked comes back.

Each person picks "light" or "deep" when they ask (a couple in a hard patch needs light
questions to stay there: depth never only rises), and the weekly question alternates. Deep
starts at depth 2 and takes in depth 3 once the two have answered :data:`ANSWERS_PER_DEPTH`
together. "Not tonight" sets a question aside for its person only: nothing changes for the
partner, and the question may come again after :data:`SET_ASIDE_COMES_BACK`; one the partner
had answered already is offered again first by ``/talk`` while it is open. The guided
conversation for a day the two saw differently uses the same machinery, in three steps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.together import LIGHT_DEPTH, Question, TogetherContent
from bot.services import guided
from bot.services.guided import GUIDED, GuidedDay, guided_day, guided_key, guided_step
from bot.services.quiet_hours import in_quiet_hours
from bot.storage import pairing, talk
from bot.storage.models import TalkQuestion, User
from bot.storage.scope import sharing_paused
from bot.storage.talk import ActiveCouple
from bot.timezones import local_now

REPEAT_AFTER = timedelta(days=180)
ANSWERS_PER_DEPTH = 5
MAX_DEPTH = 3
# A question set aside ("not tonight") may be asked again after this long.
SET_ASIDE_COMES_BACK = timedelta(days=21)
MAX_ANSWER_LENGTH = 2000
# /talk shows the open question again while it is this recent; after that it asks a new one.
OPEN_FOR = timedelta(days=7)
# The weekly question is asked from this local time on the weekly day (the job's first run).
WEEKLY_QUESTION_AT = time(10, 0)
GUIDED_STEPS = 3
_LONG_AGO = datetime(1970, 1, 1, tzinfo=UTC)


class Refusal(StrEnum):
    NOT_PAIRED = "not_paired"
    ALREADY_ANSWERED = "already_answered"
    # Sharing is paused (by either: never said which): nothing to talk about here this week.
    NOT_SHARING = "not_sharing"


class Mood(StrEnum):
    """What the person asking would like tonight."""

    LIGHT = "light"
    DEEP = "deep"


class Offer(StrEnum):
    """No question is open: the person is offered light or deep first."""

    LIGHT_OR_DEEP = "light_or_deep"


# --- which question (pure) -----------------------------------------------------------------


def depths_for(mood: Mood, answered_together: int) -> tuple[int, ...]:
    """Light is always depth 1, however many questions the two have answered; deep is depth
    2, and 3 as well once they have answered :data:`ANSWERS_PER_DEPTH` together."""
    if mood is Mood.LIGHT:
        return (LIGHT_DEPTH,)
    return (2,) if answered_together < ANSWERS_PER_DEPTH else (2, MAX_DEPTH)


def weekly_mood(last_weekly_depth: int | None) -> Mood:
    """The weekly question alternates: light first, then deep after a light one."""
    return Mood.DEEP if last_weekly_depth == LIGHT_DEPTH else Mood.LIGHT


def with_set_aside(
    history: Mapping[str, datetime], set_aside: Mapping[str, datetime]
) -> dict[str, datetime]:
    """The history the choice reads: a question set aside ("not tonight") counts as asked
    long enough ago that it is fresh again after :data:`SET_ASIDE_COMES_BACK` (and older
    than any question really asked, so it comes back before them)."""
    merged = dict(history)
    for key, at in set_aside.items():
        shifted = at - (REPEAT_AFTER - SET_ASIDE_COMES_BACK)
        merged[key] = max(merged.get(key, shifted), shifted)
    return merged


def choose_question(
    bank: Sequence[Question],
    depths: Sequence[int],
    history: Mapping[str, datetime],
    now: datetime,
) -> Question:
    """The next question of one of ``depths``: one not asked within :data:`REPEAT_AFTER`
    (never asked first, then the longest ago; among equals, the depth asked least recently
    — deep alternates between 2 and 3 — then the framework's part asked least recently,
    then bank order), else the least recently asked of those depths.

    (Ordered by when each was last asked, a repeat within the window happens only once
    every question of the depths was asked in it.)"""
    of_depth = [question for question in bank if question.depth in depths]
    part_asked: dict[str, datetime] = {}
    depth_asked: dict[int, datetime] = {}
    for question in bank:
        asked = history.get(question.id)
        if asked is not None and asked > part_asked.get(question.part, _LONG_AGO):
            part_asked[question.part] = asked
        if asked is not None and asked > depth_asked.get(question.depth, _LONG_AGO):
            depth_asked[question.depth] = asked
    fresh = [q for q in of_depth if history.get(q.id, _LONG_AGO) <= now - REPEAT_AFTER]
    pool = fresh or of_depth
    order = {question.id: index for index, question in enumerate(bank)}
    return min(
        pool,
        key=lambda q: (
            history.get(q.id, _LONG_AGO),
            depth_asked.get(q.depth, _LONG_AGO),
            part_asked.get(q.part, _LONG_AGO),
            order[q.id],
        ),
    )


def question_text(content: TogetherContent, key: str) -> str:
    if key.startswith(f"{GUIDED}:"):
        return content.talk.guided_steps[guided_step(key) - 1]
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
    # A guided talk's day, and how each of the two saw it.
    about: GuidedDay | None = None
    # The partner still waits for ``user``'s answer to a question ``user`` set aside: this
    # new one reaches them only once that is answered or expires (never a hint of the skip).
    partner_waits: bool = False
    # ``user`` set this question aside after the partner had answered it: offered again, with
    # a way to a different question instead (the partner's answer shows once ``user``'s is in).
    set_aside: bool = False


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
    about: GuidedDay | None = None,
    owner: str | None = None,
) -> Asked:
    """A new question ``user`` asked (any trigger: a light or deep one, a guided talk's
    step, from the chat or the Mini App), for both. Decided here, for every path: while the
    partner waits on ``user``'s answer to a question ``user`` set aside, their copy is not
    sent now (the job sends it once that one is answered or expires, as it holds any copy
    newer than the one its receiver waits on) — a new question right after their answer
    would tell them it was skipped."""
    partner_waits = (
        await talk.waiting_question(session, couple_id, partner.id, now - OPEN_FOR) is not None
    )
    sent_to = [user.id, partner.id] if partner.active and not partner_waits else [user.id]
    question = await talk.add_question(
        session,
        couple_id=couple_id,
        key=key,
        trigger=trigger,
        now=now,
        members=[user.id, partner.id],
        sent_to=sent_to,
        claimed_by=owner,
    )
    assert question is not None  # only weekly questions can meet an existing one
    return Asked(
        question,
        question_text(content, key),
        partner,
        in_quiet_hours(partner.time_zone, now),
        new=partner.active,
        about=about,
        partner_waits=partner_waits,
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
    day = guided_day(question.question_key) if question.trigger == GUIDED else None
    about = await guided.day_seen_differently(session, user, now, day) if day else None
    # Not marked revealed here: only once the answers reached both (:func:`record_revealed`).
    return Asked(
        question,
        question_text(content, question.question_key),
        partner,
        partner_silent=in_quiet_hours(partner.time_zone, now) if both else False,
        new=False,
        answered=mine is not None and (mine.answered_at or mine.passed_at) is not None,
        unrevealed=both,
        about=about,
    )


async def _choose(
    session: AsyncSession,
    content: TogetherContent,
    pair: tuple[int, int],
    mood: Mood,
    now: datetime,
) -> Question:
    history = with_set_aside(
        await talk.question_history(session, *pair), await talk.set_aside_history(session, *pair)
    )
    depths = depths_for(mood, await talk.answered_together(session, *pair))
    return choose_question(content.questions, depths, history, now)


async def ask(
    session: AsyncSession,
    content: TogetherContent,
    user: User,
    now: datetime,
    mood: Mood | None = None,
) -> Asked | Refusal | Offer:
    """``/talk``: the question ``user`` set aside after their partner answered it, if still
    open (unless ``mood`` chooses a new one); else the couple's open question if recent (and
    not set aside by ``user``), else a new one for both, light or deep as ``user`` chose
    (without a choice yet: the offer of both)."""
    partnership = await pairing.active_partnership(session, user.id)
    if partnership is None:
        return Refusal.NOT_PAIRED
    if sharing_paused(user, partnership.partner):
        return Refusal.NOT_SHARING
    couple_id, partner, since = partnership.couple_id, partnership.partner, now - OPEN_FOR
    # A question ``user`` set aside after the partner answered it comes first: the partner
    # waits on it, unaware of the skip, and only ``user``'s answer can show them both answers.
    # A choice of light or deep ("a different question") passes it by.
    set_aside = (
        await talk.waiting_question(session, couple_id, partner.id, since) if mood is None else None
    )
    if set_aside is not None:
        again = await _again(session, content, user, set_aside, partner, now)
        return replace(again, set_aside=True)
    # Waiting for the partner's answer to a question they set aside: that one stays open
    # for ``user``, as it was (a newer one waits for them; see :func:`set_aside`).
    open_question = await talk.waiting_question(
        session, couple_id, user.id, since
    ) or await talk.newest_open_question(session, couple_id, since, set_aside_by=user.id)
    if open_question is not None:
        return await _again(session, content, user, open_question, partner, now)
    if mood is None:
        return Offer.LIGHT_OR_DEEP
    chosen = await _choose(session, content, (user.id, partner.id), mood, now)
    return await _new(
        session, content, user, couple_id, partner, now, key=chosen.id, trigger="talk"
    )


async def start_guided(
    session: AsyncSession,
    content: TogetherContent,
    user: User,
    now: datetime,
    step: int = 1,
    day: date | None = None,
    *,
    owner: str | None = None,
) -> Asked | Refusal:
    """The guided conversation for a day the two saw differently, from its step ``step``,
    about ``day`` (the newest day of the last week the two saw differently, when a first step
    names none): each step names the day and how each of the two saw it. ``owner``: a new
    step's copies are sent by that process, not written down with a turn — claimed by it and
    left unsent until they arrived (:func:`copy_sent`), so that after a crash the job that
    sends unsent copies delivers them."""
    partnership = await pairing.active_partnership(session, user.id)
    if partnership is None:
        return Refusal.NOT_PAIRED
    if sharing_paused(user, partnership.partner):
        return Refusal.NOT_SHARING
    if step == 1:  # one guided talk at a time: a second tap shows the open step again
        open_step = await talk.newest_open_question(
            session, partnership.couple_id, now - OPEN_FOR, trigger=GUIDED, set_aside_by=user.id
        )
        if open_step is not None:
            return await _again(session, content, user, open_step, partnership.partner, now)
    about = (
        await guided.day_seen_differently(session, user, now, day)
        if day is not None or step == 1
        else None
    )
    return await _new(
        session,
        content,
        user,
        partnership.couple_id,
        partnership.partner,
        now,
        key=guided_key(step, about.day if about else None),
        trigger=GUIDED,
        about=about,
        owner=owner,
    )


async def copy_sent(
    session: AsyncSession, question: TalkQuestion, user: User, now: datetime
) -> None:
    """``user``'s copy of ``question`` arrived (or was handed over, held for their next
    check-in): the job that sends unsent copies leaves it alone."""
    await talk.mark_question_sent(session, question.id, user.id, now)


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
    if len(couple.members) != 2 or owner.time_zone is None or sharing_paused(*couple.members):
        return None
    local = local_now(owner.time_zone, now)
    if local.weekday() != weekly_question_day(couple) or local.time() < WEEKLY_QUESTION_AT:
        return None
    if await talk.weekly_question_exists(session, couple.couple_id, local.date()):
        return None
    pair = (couple.members[0].id, couple.members[1].id)
    last = await talk.last_weekly_key(session, *pair)
    last_question = content.question(last) if last is not None else None
    mood = weekly_mood(last_question.depth if last_question is not None else None)
    chosen = await _choose(session, content, pair, mood, now)
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


async def asks_before_sharing(
    session: AsyncSession, content: TogetherContent, question_id: int
) -> bool:
    """Whether an answer to this question waits for its author's "share" before anything is
    revealed: a question about growing up (``childhood`` in the bank)."""
    question = await talk.get_question(session, question_id)
    found = content.question(question.question_key) if question is not None else None
    return found is not None and found.childhood


async def record_revealed(
    session: AsyncSession,
    content: TogetherContent,
    user: User,
    question: TalkQuestion,
    now: datetime,
    *,
    owner: str,
) -> Asked | None:
    """Both answers reached both: the question is revealed. Run after the sends, never in
    the turn that shows them, so that a failed send or a crash before it leaves the question
    open, and ``/talk`` shows both answers once more (:func:`ask`). A guided talk's next
    step starts only here, once this step's answers reached both (the step it returns, to
    ask of both): a reveal that did not arrive does not move the talk on. That step's copies
    are claimed by ``owner``, which sends them next (:func:`start_guided`)."""
    if not await talk.mark_revealed(session, question.id, now):
        return None  # revealed already (two reveals at once): the first one went on
    key = question.question_key
    if not key.startswith(f"{GUIDED}:") or guided_step(key) >= GUIDED_STEPS:
        return None
    step = await start_guided(
        session, content, user, now, guided_step(key) + 1, guided_day(key), owner=owner
    )
    return step if isinstance(step, Asked) else None


# --- answering --------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenQuestion:
    question: TalkQuestion
    text: str
    partner: User
    # The partner has answered already (the prompt to answer must not say "once they answer").
    partner_answered: bool = False
    # A question about growing up: the answer is shown only once its author chose to share it.
    childhood: bool = False
    # Set aside (:func:`set_aside`) and brought back first by the next ``/talk`` (:func:`ask`):
    # the partner answered it and it is still open. Else it may only come again much later.
    comes_back: bool = False


async def may_answer(
    session: AsyncSession, content: TogetherContent, user: User, question_id: int
) -> OpenQuestion | Refusal | None:
    """A question of ``user``'s current couple that they have not answered; ``None`` for
    anyone else's (a forged button) or one from an ended couple."""
    question = await talk.get_question(session, question_id)
    partnership = await pairing.active_partnership(session, user.id)
    if question is None or partnership is None or question.couple_id != partnership.couple_id:
        return None
    if sharing_paused(user, partnership.partner):
        return Refusal.NOT_SHARING  # an answer now would reveal the other's
    answers = await talk.answers_to(session, question_id)
    mine = answers.get(user.id)
    if mine is None:
        return None
    if mine.answered_at is not None or mine.passed_at is not None:
        return Refusal.ALREADY_ANSWERED
    theirs = answers.get(partnership.partner.id)
    bank_question = content.question(question.question_key)
    return OpenQuestion(
        question,
        question_text(content, question.question_key),
        partnership.partner,
        partner_answered=theirs is not None and theirs.answered_at is not None,
        childhood=bank_question is not None and bank_question.childhood,
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
    # The partner does not have this question yet (they wait on an older one): no notice.
    partner_waits: bool = False


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
    answers[user.id].skipped_at = None  # set aside once, answered after all
    if answers[user.id].sent_at is None:
        answers[user.id].sent_at = now  # answered from /talk before the job sent it
    others = [row for uid, row in answers.items() if uid != user.id]
    theirs = next((row for row in others if row.answered_at), None)
    silent = in_quiet_hours(found.partner.time_zone, now)
    if any(row.passed_at is not None for row in others):
        return Answered(found, body, None, silent, partner_passed=True)
    if theirs is None:
        waits = all(row.sent_at is None for row in others) and (
            await talk.waiting_question(
                session, found.question.couple_id, found.partner.id, now - OPEN_FOR
            )
            is not None
        )
        return Answered(found, body, None, silent, partner_waits=waits)
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


async def set_aside(
    session: AsyncSession,
    content: TogetherContent,
    user: User,
    question_id: int,
    now: datetime,
) -> OpenQuestion | Refusal | None:
    """ "Not tonight" from ``user``: their copy is set aside, and nothing else changes — the
    partner is told nothing, their view of the question is what it was, and ``user`` can
    still answer it later. Their ``/talk`` offers a new question instead, and this one may
    come again after :data:`SET_ASIDE_COMES_BACK`. If the partner had answered already, it
    stays their open question, and ``user``'s ``/talk`` offers it again first (see
    :func:`ask`): a new one ``user`` picks reaches the partner only once this one is answered
    (their answer is then shown as always) or expires — a new question right after their
    answer would tell them it was skipped. ``comes_back`` on the result says which of the
    two it is, so the reply can say it truly."""
    await talk.lock_question(session, question_id)
    found = await may_answer(session, content, user, question_id)
    if not isinstance(found, OpenQuestion):
        return found
    answers = await talk.answers_to(session, question_id)
    answers[user.id].skipped_at = now
    if answers[user.id].sent_at is None:
        answers[user.id].sent_at = now  # seen from /talk before the job sent it
    # What the next /talk offers first (see :func:`ask`): the reply must say whether it is this.
    first = await talk.waiting_question(
        session, found.question.couple_id, found.partner.id, now - OPEN_FOR
    )
    return replace(found, comes_back=first is not None and first.id == question_id)
