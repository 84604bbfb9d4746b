"""Common journeys through the bot, and what it shows along them, shared by the test modules.

Buttons are pressed by the labels the texts give them, and replies are expected as the texts
say them (``TEXTS``, :func:`~tests.harness.shown`): an edit of the texts file changes what the
tests press and expect, not whether they pass.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from bot.content import Html, Texts, render
from bot.jobs.checkin_sender import send_due_checkins
from bot.views.helplines import HelpView
from tests.harness import TEXTS, BotHarness, Replies, TelegramUser, shipped_content, shown
from tests.telegram_fake import BOT_USERNAME, BotMessage, visible_text

COURSE = shipped_content().frameworks["secure_base"]
# The toast on a button that no longer applies.
STALE = TEXTS.errors.stale_button
HELPLINES = shipped_content().helplines


def help_in(country: str | None, texts: Texts = TEXTS) -> str:
    """The crisis reply as someone of ``texts``' language sees it in ``country`` (``None``:
    their country is unknown, so their language's countries are shown)."""
    return visible_text(HelpView(texts, HELPLINES, country).crisis_reply(), "HTML")


def support_in(country: str | None, texts: Texts = TEXTS) -> str:
    """What /support shows someone of ``texts``' language in ``country``."""
    return visible_text(HelpView(texts, HELPLINES, country).support(), "HTML")


# The crisis reply and /support for someone who set up in Berlin (``onboard``'s zone), and
# for someone whose country is unknown (not started, no zone yet): the US and the UK.
HELP = help_in("DE")
HELP_UNKNOWN = help_in(None)
SUPPORT = support_in("DE")
SUPPORT_UNKNOWN = support_in(None)
# A check-in day with nothing to report: the shortest way through the questions.
QUIET_DAY = {
    "bids_noticed": "none",
    "bids_made": "none",
    "stressed_me": "no",
    "stressed_partner": "no",
}


async def onboard(
    harness: BotHarness,
    user_id: int = 1001,
    name: str = "Alex",
    zone: str = "Berlin",
    at: str = "21:00",
) -> TelegramUser:
    """A new user who starts, consents, and types a zone and a check-in time."""
    person = harness.user(user_id, name)
    await person.send("/start")
    await person.press(TEXTS.onboarding.consent_yes_button)
    await person.send(zone)
    await person.send(at)
    return person


def invite_code(replies: Replies) -> str:
    """The code in the deep link of a /pair reply."""
    match = re.search(rf"https://t\.me/{BOT_USERNAME}\?start=([A-Z0-9]{{10}})", replies.text)
    assert match, replies.text
    return match.group(1)


async def pair(inviter: TelegramUser, partner: TelegramUser) -> None:
    """``inviter`` sends /pair, ``partner`` joins with the code and confirms."""
    code = invite_code(await inviter.send("/pair"))
    await partner.send(f"/join {code}")
    await partner.press(TEXTS.pairing.confirm_button)


def step_title(step: int) -> str:
    """The title of the shipped course's step ``step`` (its button on the overview)."""
    section = COURSE.step_section(step)
    assert section is not None
    return section.title


async def open_reflection(person: TelegramUser, step: int) -> Replies:
    """From /learn to step ``step``'s practice page, then "Write my answer"; every step of
    the shipped course has two cards before its practice page."""
    await person.send("/learn")
    await person.press(step_title(step))
    await person.press(TEXTS.lessons.next_button)
    await person.press(TEXTS.lessons.next_button)
    return await person.press(TEXTS.lessons.reflect_button)


def is_checkin(buttons: list[dict[str, Any]]) -> bool:
    """Whether these are the buttons of a check-in (their data is ``ci:<id>:…``)."""
    return any(button.get("callback_data", "").startswith("ci:") for button in buttons)


def checkin_message(person: TelegramUser) -> BotMessage:
    """The newest check-in in ``person``'s chat."""
    for message in reversed(person.chat):
        if is_checkin(message.buttons):
            return message
    raise AssertionError(f"no check-in in {person.first_name}'s chat")


def checkin_day(day: date) -> str:
    """A day as check-ins name it."""
    return TEXTS.date(day, TEXTS.checkin.day_format)


def checkin_header(day: date, *, weekly: bool = False) -> str:
    """The first line of the check-in of ``day`` (the evenings with the weekly question have
    their own)."""
    words = TEXTS.checkin
    return shown(words.weekly_header if weekly else words.header, day=checkin_day(day))


def checkin_question(item: str) -> str:
    return shown(TEXTS.checkin.items[item].question)


def checkin_answered(item: str, value: str) -> str:
    """The line a check-in shows for an answered question."""
    labels = TEXTS.checkin.items[item]
    return shown(
        TEXTS.checkin.answered_line, question=Html(labels.short), answer=labels.options[value]
    )


def answer_button(message: BotMessage, item: str, value: str) -> str:
    """The data of the button on ``message`` that answers ``item`` with ``value`` (its stored
    form); the button must be there, labelled as the texts say."""
    offered = {
        b["callback_data"]: b["text"] for b in message.buttons if ":a:" in b["callback_data"]
    }
    matches = [data for data in offered if data.endswith(f":a:{item}:{value}")]
    assert len(matches) == 1, f"{item}={value} not offered: {list(offered.values())}"
    [data] = matches
    assert offered[data] == TEXTS.checkin.items[item].options[value]
    return data


async def answer_checkin(
    person: TelegramUser,
    answers: dict[str, str],
    *,
    note: str | None = None,
    message: BotMessage | None = None,
) -> BotMessage:
    """Tap ``answers`` ({item: stored value}, in the order they are asked) on the newest
    check-in (or ``message``), then write ``note`` if given; returns the check-in message."""
    prompt = message or checkin_message(person)
    for item, value in answers.items():
        await person.press_data(answer_button(prompt, item, value), message=prompt)
    if note is not None:
        await person.press(TEXTS.checkin.note_button, message=prompt)
        await person.send(note)
    return prompt


def settings_summary(
    zone: str,
    local_time: str,
    checkin_time: str,
    *,
    weekly_day: int = 6,
    paused_until: str | None = None,
    nudge: bool = False,
) -> str:
    """What /settings shows for these settings (``weekly_day``: 0 is Monday)."""
    words = TEXTS.settings
    pause_line = (
        words.running_line
        if paused_until is None
        else render(words.paused_line, until=paused_until)
    )
    return shown(
        words.summary,
        zone=zone,
        local_time=local_time,
        checkin_time=checkin_time,
        weekly_day=words.weekdays[weekly_day],
        pause_line=Html(pause_line),
        nudge=words.nudge_on if nudge else words.nudge_off,
        language=TEXTS.languages.name,
    )


async def evening(harness: BotHarness, when: datetime) -> None:
    """Move the clock to ``when`` and run the check-in sender once, as its job would."""
    harness.clock.now = when
    assert harness.app is not None
    await send_due_checkins(harness.app.bot, harness.app.bot_data.services)


def checklist_button(index: int) -> str:
    """The /checklist button of the course's step at ``index`` (from 0): every shipped step
    has one (a framework's step may leave it out, hence the type)."""
    label = COURSE.steps[index].checklist
    assert label is not None, f"step {index + 1} has no checklist label"
    return label


async def ask_talk(person: TelegramUser, mood: str = "light") -> Replies:
    """``/talk`` with nothing open, then "light" or "deep" (the offer's buttons, by their
    data: the same in every language). Returns what the tap brought."""
    await person.send("/talk")
    return await person.press_data(f"tk:{mood}")
