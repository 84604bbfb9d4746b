"""Typed loader for ``together.toml``: the texts of the shared moments, the safe-haven tips and
the question bank, validated when the bot starts (see :mod:`bot.content.texts`)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import Field, model_validator

from bot.content.formats import ButtonLabel, Plural, Section, Template
from bot.content.texts import CONTENT_DIR, load_toml_model

TOGETHER_FILE = CONTENT_DIR / "together.toml"

# The framework's parts a question belongs to: bids (step 2), the safe harbor (step 3),
# exploration (step 4), healthy dependency (step 1) and the two common mistakes; and what keeps
# a couple's good days good: answering good news, repair after a fight, accepting influence,
# play, shared memories and dreams.
Part = Literal[
    "bids",
    "safe_haven",
    "exploration",
    "dependency",
    "mistakes",
    "good_news",
    "repair",
    "influence",
    "play",
    "memories",
    "dreams",
]
PARTS: tuple[Part, ...] = get_args(Part)
DEPTHS = (1, 2, 3)
# "Light" is depth 1; "deep" is depth 2 and, once a couple has answered a few together, 3.
LIGHT_DEPTH = 1
MIN_QUESTIONS = 60
MIN_TIPS = 12
MAX_QUESTION_LENGTH = 300
MAX_TIP_LENGTH = 400


class ThanksTexts(Section):
    ask: Template
    not_text: Template
    too_long: Template
    sent: Template
    sent_silently: Template
    received: Template
    reply_received: Template
    thank_button: ButtonLabel
    reply_button: ButtonLabel
    thanked_line: Template
    thanked_you: Template
    ask_reply: Template
    reply_sent: Template
    not_paired: Template
    no_longer_paired: Template
    muted_by_you: Template
    muted_by_partner: Template
    unreachable: Template
    daily_limit: Plural
    already_answered: Annotated[str, Field(max_length=200)]  # a toast
    not_sharing: Template

    @model_validator(mode="after")
    def _lock_screen_safe(self) -> ThanksTexts:
        """What a lock screen shows is the first line: the quoted text must not be on it."""
        for name in ("received", "reply_received", "thanked_you"):
            if "{text}" in getattr(self, name).splitlines()[0]:
                raise ValueError(f"{name} quotes the text on its first line (a lock screen)")
        return self


class TipTexts(Section):
    message: Template
    offer: Template
    offer_yes_button: ButtonLabel
    offer_no_button: ButtonLabel
    offer_accepted: Template
    offer_accepted_both: Template
    offer_declined: Template
    items: list[Annotated[str, Field(min_length=10, max_length=MAX_TIP_LENGTH)]] = Field(
        min_length=MIN_TIPS
    )


class TalkTexts(Section):
    title: Template
    weekly_title: Template
    question: Template
    answer_button: ButtonLabel
    ask_answer: Template
    not_text: Template
    too_long: Template
    saved_waiting: Template
    partner_answered: Template
    revealed: Template
    already_answered: Annotated[str, Field(max_length=200)]
    not_paired: Template
    open_again: Template
    new_question_button: ButtonLabel
    guided_button: ButtonLabel
    guided_title: Template
    guided_steps: list[Template] = Field(min_length=3, max_length=3)
    passed: Template
    saved_passed: Template
    choose: Template
    light_button: ButtonLabel
    deep_button: ButtonLabel
    not_tonight_button: ButtonLabel
    not_tonight: Template
    ask_answer_partner_done: Template
    childhood_ask: Template
    childhood_choice: Template
    childhood_share_button: ButtonLabel
    childhood_keep_button: ButtonLabel
    childhood_kept: Template
    set_aside_again: Template
    not_tonight_partner_done: Template


class DraftTexts(Section):
    """Words for the partner that read like a crisis, kept as a private draft: the choice to
    keep them private or send them after all (see :mod:`bot.services.drafts`)."""

    kept_appreciation: Template
    kept_answer: Template
    keep_button: ButtonLabel
    send_button: ButtonLabel
    confirm_appreciation: Template
    confirm_answer: Template
    confirm_button: ButtonLabel
    kept_private: Template
    already_sent: Annotated[str, Field(max_length=200)]  # a toast
    already_private: Annotated[str, Field(max_length=200)]  # a toast


class TogetherSettingsTexts(Section):
    summary: Template
    tips_waiting: Template
    on: str
    off: str
    appreciations_button: ButtonLabel
    tips_button: ButtonLabel
    close_button: ButtonLabel
    closed: Template


class Question(Section):
    id: Annotated[str, Field(pattern=r"^[a-z0-9-]{1,32}$")]
    part: Part
    depth: Annotated[int, Field(ge=1, le=3)]
    text: Annotated[str, Field(min_length=10, max_length=MAX_QUESTION_LENGTH)]
    # About growing up (it can bring up hard memories): an answer is shown to the partner
    # only once its author chose "share" (see :mod:`bot.handlers.talk`).
    childhood: bool = False


class TogetherContent(Section):
    thanks: ThanksTexts
    tips: TipTexts
    talk: TalkTexts
    together: TogetherSettingsTexts
    questions: list[Question] = Field(min_length=MIN_QUESTIONS)
    drafts: DraftTexts

    @model_validator(mode="after")
    def _bank_complete(self) -> TogetherContent:
        ids = Counter(question.id for question in self.questions)
        if twice := [qid for qid, count in ids.items() if count > 1]:
            raise ValueError(f"question id {twice[0]!r} is used twice")
        present = {(question.part, question.depth) for question in self.questions}
        for part in PARTS:
            for depth in DEPTHS:
                if (part, depth) not in present:
                    raise ValueError(f"no question for part {part!r} at depth {depth}")
        return self

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)


def load_together(path: Path = TOGETHER_FILE) -> TogetherContent:
    """Read and validate ``together.toml``; raises ``ContentError`` naming file and field."""
    return load_toml_model(path, TogetherContent)
