"""The Mini App's "talk about it" as the chat's (review of #26): under the partner's ping
budget, crash-safe (a copy that did not arrive is sent by the together job, never lost), the
guided talk's day named for both, an open question's unrevealed answers shown again, and a
refusal while sharing is paused in the chat's neutral words. Through the real app, its web
server and the fake Bot API, with a planned fault in the fake's HTTP layer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from timezonefinder import TimezoneFinder

from bot.config import Settings
from bot.services.ping_budget import Kind
from bot.services.talk import GUIDED
from bot.storage.models import HeldPing, TalkAnswer, TalkQuestion
from bot.views.week_page import plain
from tests.harness import TEXTS, BotHarness, FakeClock, shipped_content
from tests.journeys import ask_talk, evening
from tests.mini_app import HOSTILE, TUESDAY, Served, page_settings, seed_couple, served
from tests.telegram_fake import FakeBotApi
from tests.test_replies_survive import Faults, with_faults
from tests.test_talk_depth import answer
from tests.test_together import together_run

ALEX, SAM = 1001, 2002
TALK = shipped_content().together.talk
GUIDED_TITLE = plain(TALK.guided_title)
TUESDAY_NAMED = TEXTS.date(TUESDAY, TEXTS.us.landed.guided_day_format)


@dataclass
class Page:
    app: Served
    faults: Faults

    @property
    def harness(self) -> BotHarness:
        return self.app.harness

    @property
    def api(self) -> FakeBotApi:
        return self.app.harness.api

    async def talk(self, telegram_id: int = ALEX) -> tuple[int, dict[str, object]]:
        status, body, _ = await self.app.call(
            "/app/api/talk", self.app.signed(telegram_id), method="POST"
        )
        return status, body

    def bot_texts(self, chat_id: int) -> list[str]:
        return [message.text for message in self.api.chat(chat_id)]


@pytest.fixture
async def page(
    settings: Settings, api: FakeBotApi, clock: FakeClock, zone_finder: TimezoneFinder
) -> AsyncIterator[Page]:
    config = page_settings(settings)
    async with BotHarness(config, api=api, clock=clock, zone_finder=zone_finder) as harness:
        faults = await with_faults(harness)
        await seed_couple(harness)
        async with served(harness) as serving:
            yield Page(serving, faults)


async def copies(harness: BotHarness) -> dict[int, TalkAnswer]:
    [question] = await harness.rows(TalkQuestion, TalkQuestion.trigger == GUIDED)
    rows = await harness.rows(TalkAnswer, TalkAnswer.question_id == question.id)
    users = {row.user_id: row for row in rows}
    return users


async def test_talk_about_it_is_held_when_the_partner_had_todays_extra_message(
    page: Page,
) -> None:
    """Sam already got today's one extra message (Alex's /talk question): the guided talk's
    question is held for Sam's check-in, as the chat's "talk about it" would, not sent now."""
    alex = page.harness.user(ALEX, "Alex")
    await ask_talk(alex)  # Sam's extra message today: a question
    sam_before = page.bot_texts(SAM)

    status, body = await page.talk()

    assert (status, body) == (200, {"started": True})
    assert GUIDED_TITLE in page.bot_texts(ALEX)[-1]  # Alex asked: Alex sees it at once
    assert page.bot_texts(SAM) == sam_before  # held, not a fourth unasked message
    [held] = await page.harness.rows(HeldPing, HeldPing.kind == Kind.QUESTION.value)
    assert GUIDED_TITLE in plain(held.text)
    assert all(row.sent_at is not None for row in (await copies(page.harness)).values())

    for day in (26, 27):  # today's extra went: it comes with tomorrow's check-in
        await evening(page.harness, datetime(2026, 11, day, 21, 0, tzinfo=UTC))

    assert any(GUIDED_TITLE in text for text in page.bot_texts(SAM)[len(sam_before) :])


async def test_a_partners_question_that_did_not_arrive_is_sent_by_the_job_not_lost(
    page: Page,
) -> None:
    """The send to Sam finds no connection (as after a crash between the commit and the
    send): Sam's copy stays unsent, and the together job delivers it once the claim lapsed
    — under Sam's budget, so before Sam's check-in at the latest."""
    page.faults.fault("sendMessage", SAM, "refuse")
    sam_before = page.bot_texts(SAM)

    status, _ = await page.talk()

    assert status == 200
    assert page.bot_texts(SAM) == sam_before
    rows = await copies(page.harness)
    [alex_id] = [uid for uid, row in rows.items() if row.sent_at is not None]
    [sam_copy] = [row for row in rows.values() if row.sent_at is None]
    assert sam_copy.claimed_at is not None

    page.harness.clock.now += timedelta(seconds=page.harness.settings.claim_lease_seconds + 1)
    await together_run(page.harness)
    for day in (26, 27):  # the extra went on the first try: with a check-in, at the latest
        await evening(page.harness, datetime(2026, 11, day, 21, 0, tzinfo=UTC))

    got = [text for text in page.bot_texts(SAM)[len(sam_before) :] if GUIDED_TITLE in text]
    assert len(got) == 1
    assert all(row.sent_at is not None for row in (await copies(page.harness)).values())
    assert sum(GUIDED_TITLE in text for text in page.bot_texts(ALEX)) == 1
    assert alex_id in rows


async def test_the_guided_talk_names_the_day_and_how_each_saw_it_for_both(page: Page) -> None:
    status, _ = await page.talk()

    assert status == 200
    alex_sees, sam_sees = page.bot_texts(ALEX)[-1], page.bot_texts(SAM)[-1]
    for text in (alex_sees, sam_sees):
        assert GUIDED_TITLE in text
        assert TUESDAY_NAMED in text
    assert "Alex" in sam_sees  # Sam reads how Alex saw it, Alex in the third person


async def test_an_open_talk_whose_answers_never_reached_both_shows_both_answers_again(
    page: Page,
) -> None:
    alex = page.harness.user(ALEX, "Alex")
    sam = page.harness.user(SAM, HOSTILE)
    await page.talk()
    await alex.press(TALK.answer_button)
    await alex.send("When you waited for me")
    await sam.press(TALK.answer_button)
    page.faults.fault("sendMessage", ALEX, "refuse")  # the reveal does not reach Alex
    await sam.send("When you asked me")
    assert not any("When you asked me" in text for text in page.bot_texts(ALEX))
    [question] = await page.harness.rows(TalkQuestion, TalkQuestion.trigger == GUIDED)
    assert question.revealed_at is None
    before = {chat: len(page.bot_texts(chat)) for chat in (ALEX, SAM)}

    status, _ = await page.talk()

    assert status == 200
    for chat in (ALEX, SAM):
        [both] = [text for text in page.bot_texts(chat)[before[chat] :] if "You wrote" in text]
        assert "When you asked me" in both
        assert "When you waited for me" in both
    [question] = await page.harness.rows(TalkQuestion, TalkQuestion.id == question.id)
    assert question.revealed_at is not None


async def test_talk_about_it_waits_while_the_partner_waits_on_a_question_set_aside(
    page: Page,
) -> None:
    """Sam answered Alex's question and Alex said "not tonight" to it: the Mini App's "talk
    about it" shows Alex the guided talk, and nothing of it reaches Sam — not now, not held
    for his check-in — until Alex answers that question; then it comes as any question."""
    alex = page.harness.user(ALEX, "Alex")
    sam = page.harness.user(SAM, HOSTILE)
    await ask_talk(alex)
    await answer(sam, "Sam's answer", "Alex")
    await alex.press(TALK.not_tonight_button)
    sam_before = page.bot_texts(SAM)

    status, body = await page.talk()

    assert (status, body) == (200, {"started": True})
    assert GUIDED_TITLE in page.bot_texts(ALEX)[-1]
    assert page.bot_texts(SAM) == sam_before
    assert await page.harness.rows(HeldPing) == []
    for day in (26, 27):  # Sam's check-ins come and go: still nothing of it
        await evening(page.harness, datetime(2026, 11, day, 21, 0, tzinfo=UTC))
        await together_run(page.harness)
    assert not any(GUIDED_TITLE in text for text in page.bot_texts(SAM))

    await alex.send("/talk")  # the question set aside comes first; Alex answers it
    await answer(alex, "Alex's answer", "Sam")
    await together_run(page.harness)

    arrived = page.bot_texts(SAM)[len(sam_before) :]
    assert any("Alex's answer" in text for text in arrived)  # both answers, to both
    assert sum(GUIDED_TITLE in text for text in arrived) == 1  # then the guided talk
