"""The settings screen and its buttons, as sent after a change or edited in place."""

from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardMarkup

from bot.content import Html, Texts, render
from bot.services import checkins
from bot.storage.models import User
from bot.timezones import local_now
from bot.views import keyboards
from bot.views.text import clock, local_clock


def settings_summary(all_texts: Texts, user: User, now: datetime) -> str:
    assert user.time_zone is not None
    assert user.checkin_time is not None
    texts = all_texts.settings
    if checkins.is_paused(user, now):
        assert user.paused_until is not None
        until = local_now(user.time_zone, user.paused_until)
        pause_line = render(
            texts.paused_line, until=all_texts.date(until, all_texts.checkin.day_format)
        )
    else:
        pause_line = texts.running_line
    return render(
        texts.summary,
        zone=user.time_zone,
        local_time=local_clock(user.time_zone, now),
        checkin_time=clock(user.checkin_time),
        weekly_day=texts.weekdays[user.weekly_day],
        pause_line=Html(pause_line),
        nudge=texts.nudge_on if user.partner_nudge else texts.nudge_off,
        language=all_texts.languages.name,
    )


def settings_view(texts: Texts, user: User, now: datetime) -> tuple[str, InlineKeyboardMarkup]:
    markup = keyboards.settings(
        texts,
        paused=checkins.is_paused(user, now),
        nudge=user.partner_nudge,
        sharing_paused=user.sharing_paused_at is not None,
    )
    return settings_summary(texts, user, now), markup
