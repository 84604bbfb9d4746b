"""Common journeys through the bot, shared by the test modules."""

from __future__ import annotations

import re

from tests.harness import BotHarness, Replies, TelegramUser
from tests.telegram_fake import BOT_USERNAME

# The toast on a button that no longer applies (texts.toml: errors.stale_button).
STALE = "That button is from an older message and no longer does anything."


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
    await person.press("Yes")
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
    await partner.press("Yes, pair us")


async def open_reflection(person: TelegramUser, step: int) -> Replies:
    """From /learn to step ``step``'s practice page, then "Write my answer"; every step of
    the shipped course has two cards before its practice page."""
    await person.send("/learn")
    await person.press(f"Step {step}")
    await person.press("Next")
    await person.press("Next")
    return await person.press("Write my answer")
