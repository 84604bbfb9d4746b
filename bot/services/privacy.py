"""Owning one's data: a complete export, and erasure.

The export file's format (``format: secure-base-export``), by ``version``:

1. The first: profile, pairing history, invites, lessons, checklist, check-ins, moments,
   notes, appreciations, questions to talk about, safe-haven tips received.
2. Digests listed apart from check-ins (``weekly_digests``).
3. The profile's newer settings; ``days_side_by_side`` and ``notices``.
4. Readable labels next to every coded answer, in the owner's language, from the texts the
   bot asked with: ``checkins[].answers_readable`` (``{item: {question, answer}}``, the same
   keys as ``answers``), ``moments[].readable`` (``{kind, question, answer}``),
   ``questions_to_talk_about[].question_text``. ``questions_to_talk_about[]
   .partner_answer_deleted``: the partner had answered, and erased their data since
   (:mod:`bot.storage.talk`). ``pairing_history[].partner`` is ``null`` for a
   partner who erased their data. ``contents``: what the file holds, as the /export message
   says it — the owner's own data, and of the partner only what they shared with the owner
   (their revealed answers, their appreciations); never their notes or check-in answers.
5. What the owner chose about their own copy of a question: ``questions_to_talk_about[]
   .not_tonight_at`` ("not tonight") and ``.answer_kept_private_at`` (no answer this time).
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.content import Texts
from bot.content.together import TogetherContent
from bot.services.talk import question_text
from bot.storage import appreciations, drafts, pairing, privacy, received, safe_haven, talk
from bot.storage.models import User

EXPORT_FORMAT_VERSION = 5

# What the file holds, in its own words (the /export message says the same to its owner).
CONTENTS = {
    "yours": "everything the bot keeps about you",
    "from_your_partner": (
        "what your partner shared with you: their answers to questions you both answered "
        "(questions_to_talk_about[].partner_answer) and the appreciations they sent you "
        "(appreciations[] with direction 'received')"
    ),
    "not_included": "your partner's notes (private or shared) and their check-in answers",
}

_TAG = re.compile(r"<[^>]+>")

# How far back /delete clears the chat, in message ids, and how many ids Telegram's
# deleteMessages takes at once (see :func:`recent_message_batches`).
RECENT_MESSAGE_IDS = 1000
DELETE_BATCH = 100


def plain(text: str) -> str:
    """A text of the bot's (Telegram HTML) as plain words, for a label in a JSON file."""
    return " ".join(html.unescape(_TAG.sub("", text)).split())


@dataclass(frozen=True)
class Export:
    data: dict[str, Any]

    @property
    def json_bytes(self) -> bytes:
        return json.dumps(self.data, ensure_ascii=False, indent=2).encode("utf-8")

    def count(self, key: str) -> int:
        return len(self.data.get(key, []))

    @property
    def partner_answers(self) -> int:
        """The partner's answers the file holds (shown to the owner once both answered)."""
        return sum(
            1
            for question in self.data.get("questions_to_talk_about", [])
            if question["partner_answer"] is not None
        )

    @property
    def appreciations_received(self) -> int:
        return sum(
            1 for item in self.data.get("appreciations", []) if item["direction"] == "received"
        )


def _label_checkin(texts: Texts, answers: dict[str, str]) -> dict[str, dict[str, str]]:
    """Each answer's question and answer as the check-in put them; an item or option the
    texts no longer know keeps only its code."""
    readable = {}
    for item, value in answers.items():
        labels = texts.checkin.items.get(item)
        if labels is not None and value in labels.options:
            readable[item] = {
                "question": plain(labels.short),
                "answer": plain(labels.options[value]),
            }
    return readable


def _label_moment(texts: Texts, kind: str, outcome: str) -> dict[str, str]:
    words = texts.moments
    questions = {
        "bid_made": words.bid_made_outcome,
        "bid_noticed": words.bid_noticed_outcome,
        "stress_mine": words.stress_mine_outcome,
        "stress_partner": words.stress_partner_outcome,
    }
    readable = {}
    if kind in texts.privacy.moment_kinds:
        readable["kind"] = plain(texts.privacy.moment_kinds[kind])
    if kind in questions:
        readable["question"] = plain(questions[kind])
    if outcome in words.outcomes.get(kind, {}):
        readable["answer"] = plain(words.outcomes[kind][outcome])
    return readable


def label(data: dict[str, Any], texts: Texts, together: TogetherContent) -> dict[str, Any]:
    """``data`` with a readable label next to each coded answer, in ``texts``' language."""
    for checkin in data.get("checkins", []):
        checkin["answers_readable"] = _label_checkin(texts, checkin["answers"])
    for moment in data.get("moments", []):
        moment["readable"] = _label_moment(texts, moment["kind"], moment["outcome"])
    for question in data.get("questions_to_talk_about", []):
        question["question_text"] = plain(question_text(together, question["question"]))
    return data


async def export_user(
    session: AsyncSession, user: User, now: datetime, texts: Texts, together: TogetherContent
) -> Export:
    """Everything of ``user``'s, and what their partner shared with them (see ``CONTENTS``),
    labelled in their language (``texts``, ``together``)."""
    data = {
        "format": "secure-base-export",
        "version": EXPORT_FORMAT_VERSION,
        "exported_at": now.isoformat(),
        "contents": CONTENTS,
        **await privacy.export_rows(session, user),
        **await _shared_moments(session, user),
        **await drafts.export_drafts(session, user.id),
    }
    return Export(label(data, texts, together))


async def delete_user(
    session: AsyncSession, user: User, now: datetime, *, quietly: bool = False
) -> User | None:
    """Erase ``user`` entirely; returns the partner of their active couple, to be told (never
    ``quietly``: then the couple ends without a word, as with a quiet /unpair).

    What goes from a partner's data with them: the erasure notes in
    :mod:`bot.storage.appreciations`, :mod:`bot.storage.talk` and :mod:`bot.storage.safe_haven`."""
    current = await pairing.active_partnership(session, user.id)
    if current is not None:
        await pairing.end_couple(session, current.couple_id, now, quietly=quietly)
    await privacy.erase_user(session, user, now)
    return current.partner if current is not None and not quietly else None


async def forget_updates(session: AsyncSession, user: User, update_id: int | None) -> None:
    """With :func:`delete_user`: the update log's records of their updates (what they wrote,
    until handled) and replies still to go to them, but the erasing update's own record
    (``update_id``: still to be marked handled, which blanks it)."""
    await received.erase_person(session, user.telegram_id, keep=update_id)


def recent_message_batches(
    below: int, lookback: int = RECENT_MESSAGE_IDS, size: int = DELETE_BATCH
) -> list[list[int]]:
    """The message ids just below ``below`` in a private chat, newest first, in batches of
    ``size``: what /delete asks Telegram to delete after erasing.

    The bot stores no message ids, so this is stateless: in a private chat both sides'
    messages share one sequence of ids, so the ``lookback`` ids below the newest message are
    the chat's latest messages, the bot's and the person's. Telegram lets a bot delete any of
    them under 48 hours old and skips ids it cannot delete (too old, already gone). The bound:
    which id was sent 48 hours ago is unknown without storing ids, and 1,000 ids is far more
    than anyone exchanges with this bot in two days (a check-in is one message, edited in
    place), at a cost of at most ten requests; older messages Telegram would refuse anyway,
    and the last message says how to clear those in the app.
    """
    lowest = max(1, below - lookback)
    ids = list(range(below - 1, lowest - 1, -1))
    return [ids[start : start + size] for start in range(0, len(ids), size)]


async def _shared_moments(session: AsyncSession, user: User) -> dict[str, Any]:
    """Appreciations, questions to talk about and the safe-haven tips ``user`` received."""
    exported: dict[str, Any] = {
        "appreciations": await appreciations.export_appreciations(session, user),
        "questions_to_talk_about": await talk.export_answers(session, user),
    }
    received = await safe_haven.export_received(session, user)
    if received:  # absent otherwise: an export never hints that tips exist about its owner
        exported["safe_haven_tips_received"] = received
    return exported
