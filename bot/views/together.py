"""How the shared moments look: an appreciation as received, a question for both, the tips
offer and the /together screen."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from telegram import InlineKeyboardMarkup

from bot.content import Html, Texts, render
from bot.content.together import TalkTexts, ThanksTexts, TipTexts, TogetherContent
from bot.services.guided import GUIDED, GuidedDay
from bot.services.talk import question_text
from bot.storage.models import Appreciation, User
from bot.views import callbacks, keyboards


def answer_keyboard(
    words: ThanksTexts, appreciation: Appreciation, *, thanked: bool, replied: bool
) -> InlineKeyboardMarkup | None:
    buttons = []
    if not thanked:
        buttons.append(
            keyboards.button(words.thank_button, callbacks.THANKS, f"{appreciation.id}:ty")
        )
    if not replied:
        buttons.append(
            keyboards.button(words.reply_button, callbacks.THANKS, f"{appreciation.id}:re")
        )
    return InlineKeyboardMarkup([buttons]) if buttons else None


def as_received(words: ThanksTexts, appreciation: Appreciation, sender: str) -> str:
    """The appreciation as its receiver sees it; the first line (a lock screen's) never
    quotes it."""
    template = words.received if appreciation.reply_to_id is None else words.reply_received
    return render(template, partner=sender, text=appreciation.body)


def guided_about(texts: Texts, day: date, differences: Sequence[str], partner: str) -> str:
    """The day a guided talk is about, in the reader's language (a CLDR date), and how the
    two saw it: the lines of /us's details, the partner in the third person."""
    lines = texts.us.differences
    named = texts.date(day, texts.us.landed.guided_day_format)
    return "\n".join(render(getattr(lines, key), day=named, partner=partner) for key in differences)


def question_copy(
    texts: Texts,
    content: TogetherContent,
    question_id: int,
    key: str,
    trigger: str,
    *,
    about: GuidedDay | None,
    partner: str,
    answered: bool = False,
) -> tuple[str, InlineKeyboardMarkup | None]:
    """A question as one of the two gets it, in their language — the one builder for every
    path that sends it (the turn, the Mini App, the together job after a crash), so a guided
    talk's copy always names its day: ``about`` read from this reader's side (their
    differences in ``about.asker``), ``partner`` the other, in the third person."""
    lines = guided_about(texts, about.day, about.asker, partner) if about is not None else None
    text = question_text(content, key)
    return question_message(
        content.talk, question_id, text, trigger, answered=answered, about=lines
    )


def question_message(
    words: TalkTexts,
    question_id: int,
    text: str,
    trigger: str,
    *,
    answered: bool = False,
    about: str | None = None,
) -> tuple[str, InlineKeyboardMarkup | None]:
    """A question as both partners get it, with its answer button; ``about``: a guided
    talk's day and how the two saw it (:func:`guided_about`), under the title."""
    title = {"weekly": words.weekly_title, GUIDED: words.guided_title}.get(trigger, words.title)
    if about:
        title = f"{title}\n\n{about}"
    body = render(words.question, title=Html(title), question=text)
    if answered:
        return body, None
    button = keyboards.button(words.answer_button, callbacks.TALK, f"{question_id}:a")
    not_tonight = keyboards.button(words.not_tonight_button, callbacks.TALK, f"{question_id}:n")
    return body, InlineKeyboardMarkup([[button], [not_tonight]])


def light_or_deep(words: TalkTexts) -> tuple[str, InlineKeyboardMarkup]:
    """``/talk`` with no question open: light or deep, as the person feels tonight (or the
    guided talk about a day seen differently)."""
    return words.choose, InlineKeyboardMarkup(
        [
            [
                keyboards.button(words.light_button, callbacks.TALK, "light"),
                keyboards.button(words.deep_button, callbacks.TALK, "deep"),
            ],
            [keyboards.button(words.guided_button, callbacks.TALK, "guided")],
        ]
    )


def tips_offer(texts: TipTexts) -> tuple[str, InlineKeyboardMarkup]:
    return texts.offer, InlineKeyboardMarkup(
        [
            [
                keyboards.button(texts.offer_yes_button, callbacks.TOGETHER, "offer:yes"),
                keyboards.button(texts.offer_no_button, callbacks.TOGETHER, "offer:no"),
            ]
        ]
    )


def together_view(
    content: TogetherContent, user: User, *, partner_tips: bool
) -> tuple[str, InlineKeyboardMarkup]:
    words = content.together
    appreciations_on = not user.appreciations_muted
    tips = words.on if user.safe_haven_tips else words.off
    if user.safe_haven_tips and not partner_tips:
        tips = f"{tips} {words.tips_waiting}"
    text = render(
        words.summary, appreciations=words.on if appreciations_on else words.off, tips=tips
    )
    flip = {True: words.off, False: words.on}
    markup = InlineKeyboardMarkup(
        [
            [
                keyboards.button(
                    render(words.appreciations_button, state=flip[appreciations_on]),
                    callbacks.TOGETHER,
                    "appreciations",
                )
            ],
            [
                keyboards.button(
                    render(words.tips_button, state=flip[user.safe_haven_tips]),
                    callbacks.TOGETHER,
                    "tips",
                )
            ],
            [keyboards.button(words.close_button, callbacks.TOGETHER, "close")],
        ]
    )
    return text, markup
