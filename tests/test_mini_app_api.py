"""The Mini App's API over real HTTP, on the bot's own server (polling with ``HTTP_PORT``), for a
couple seeded through the real bot: who may see what, and what every refusal looks like."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from timezonefinder import TimezoneFinder

from bot.config import Settings
from bot.content import render
from bot.services.talk import GUIDED
from bot.storage.models import TalkQuestion
from bot.views.week_page import plain
from bot.web.mini_app import STATIC
from tests.harness import TEXTS, BotHarness, FakeClock
from tests.journeys import evening, onboard, pair
from tests.mini_app import (
    HOSTILE,
    NOW,
    PAGE_URL,
    TUESDAY,
    Served,
    init_data,
    keep_day,
    page_settings,
    seed_couple,
    seed_other_couple,
    served,
)
from tests.telegram_fake import FakeBotApi
from tests.test_quiet_way_out import PAUSE_WORDS

ALEX, SAM, CAROL, STRANGER = 1001, 2002, 3003, 5005
WORDS = TEXTS.mini_app
LANDED = TEXTS.us.landed


@pytest.fixture
async def app(
    settings: Settings, api: FakeBotApi, clock: FakeClock, zone_finder: TimezoneFinder
) -> AsyncIterator[Served]:
    config = page_settings(settings)
    async with BotHarness(config, api=api, clock=clock, zone_finder=zone_finder) as harness:
        await seed_couple(harness)
        await seed_other_couple(harness)
        async with served(harness) as serving:
            yield serving


def everything(body: dict[str, Any]) -> str:
    return json.dumps(body, ensure_ascii=False)


async def test_the_week_leads_with_what_landed_under_the_reveal_rule(app: Served) -> None:
    status, body, headers = await app.call("/app/api/week", app.signed(ALEX))

    assert status == 200
    assert headers["Cache-Control"] == "no-store"
    week = body["week"]
    assert week["partner"] == HOSTILE  # as the characters it is; the page sets it as text
    # As /us leads: days both checked in, bids turned toward; no one's count beside the other's.
    assert week["landed"] == [
        plain(LANDED.both_checked_in.render("en", 1)),
        plain(render(LANDED.bids, times=LANDED.times.render("en", 1))),
    ]
    us = await app.harness.user(ALEX, "Alex").send("/us")
    assert all(line in us.text for line in week["landed"])
    assert week["gapNote"] == plain(LANDED.gap_note)  # the day seen differently, named so
    days = {day["label"]: day for day in week["days"]}
    tuesday, wednesday = days["Tue 24 Nov"], days["Wed 25 Nov"]
    assert "Thanks for the walk" in tuesday["partnerNotes"]
    assert tuesday["myNotes"] == ["private thought <b>bold?</b>"]
    assert wednesday["partner"] == [WORDS.after_yours.format(partner=HOSTILE)]
    assert days["Mon 23 Nov"]["partner"] == [plain(WORDS.not_shared)]
    assert len(week["differences"]) == 1
    text = everything(body)
    assert "wednesday secret" not in text  # Sam's note of a day Alex has not answered
    assert "carol and dan only" not in text


async def test_the_partner_never_sees_a_private_note(app: Served) -> None:
    status, body, _ = await app.call("/app/api/week", app.signed(SAM))

    assert status == 200
    assert "private thought" not in everything(body)
    assert body["week"]["partner"] == "Alex"


async def test_earlier_weeks_go_back_to_the_couples_first_week_only(app: Served) -> None:
    _, now, _ = await app.call("/app/api/week", app.signed(ALEX))
    _, earlier, _ = await app.call("/app/api/week?back=1", app.signed(ALEX))
    _, far, _ = await app.call("/app/api/week?back=40", app.signed(ALEX))

    assert now["week"]["oldest"] == 1
    assert earlier["week"]["weeksBack"] == 1
    assert earlier["week"]["firstWeek"] is True
    days = {day["label"]: day for day in earlier["week"]["days"]}
    assert days["Wed 18 Nov"]["myNotes"] == ["An early walk together"]
    assert days["Wed 18 Nov"]["partner"] == [plain(WORDS.quiet_day)]
    assert far["week"]["weeksBack"] == 1


async def test_the_journal_lists_the_persons_own_notes_newest_first(app: Served) -> None:
    status, body, headers = await app.call("/app/api/journal", app.signed(ALEX))

    assert status == 200
    assert headers["Cache-Control"] == "no-store"
    notes = [entry["body"] for entry in body["entries"] if entry["mark"] != "🌙"]
    assert notes == ["private thought <b>bold?</b>", "An early walk together"]
    assert "Thanks for the walk" not in everything(body)
    # Read-only here.
    status, _, _ = await app.call("/app/api/journal", app.signed(ALEX), method="POST")
    assert status == 405


async def test_the_person_comes_from_init_data_alone(app: Served) -> None:
    status, body, _ = await app.call(
        "/app/api/week?user=3003&user_id=3003&id=3003", app.signed(ALEX)
    )

    assert status == 200
    assert body["week"]["partner"] == HOSTILE
    assert "Carol" not in everything(body)


def _refusals(app: Served) -> dict[str, dict[str, str] | None]:
    now = app.harness.clock.now
    valid = init_data(ALEX, auth_date=now - timedelta(minutes=1))
    tampered = valid.replace("%22id%22%3A1001", "%22id%22%3A3003")
    assert tampered != valid
    return {
        "missing": None,
        "empty": {"Authorization": "tma "},
        "other scheme": {"Authorization": f"Bearer {valid}"},
        "forged": {"Authorization": f"tma {init_data(ALEX, auth_date=now, token='1:' + 'x' * 40)}"},
        "tampered": {"Authorization": f"tma {tampered}"},
        "expired": {"Authorization": f"tma {init_data(ALEX, auth_date=now - timedelta(hours=2))}"},
        "duplicate": {
            "Authorization": "tma "
            + init_data(ALEX, auth_date=now, extra=[("user", '{"id":3003,"first_name":"C"}')])
        },
        "garbage": {"Authorization": "tma %%%=&&=="},
    }


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/app/api/week"), ("GET", "/app/api/journal"), ("POST", "/app/api/talk")],
)
async def test_forged_expired_duplicate_or_missing_init_data_is_401_and_nothing_else(
    app: Served, api: FakeBotApi, method: str, path: str
) -> None:
    before = len(api.calls)
    for name, headers in _refusals(app).items():
        status, body, response_headers = await app.call(path, None, method=method, headers=headers)

        assert status == 401, name
        assert set(body) == {"error", "title", "text"}, name
        assert body["title"] == plain(WORDS.expired_title)
        assert response_headers["Cache-Control"] == "no-store"
    # in the URL instead of the header: refused too
    query = f"{path}?initData={app.signed(ALEX)}"
    assert (await app.call(query, None, method=method))[0] == 401
    assert api.calls[before:] == []


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/app/api/week"), ("GET", "/app/api/journal"), ("POST", "/app/api/talk")],
)
async def test_someone_the_bot_does_not_know_is_403_and_nothing_else(
    app: Served, method: str, path: str
) -> None:
    status, body, _ = await app.call(path, app.signed(STRANGER), method=method)

    assert status == 403
    assert set(body) == {"error", "title", "text"}
    assert body["text"] == plain(WORDS.unknown_text)


async def test_the_refusal_speaks_the_phones_language(app: Served) -> None:
    de = app.harness.app.bot_data.services.texts_for("de") if app.harness.app else None
    assert de is not None

    status, body, _ = await app.call("/app/api/week?lang=de-AT", None)

    assert status == 401
    assert body["title"] == plain(de.mini_app.expired_title)


async def test_talk_about_it_starts_the_guided_talk_once_in_the_chat(
    app: Served, api: FakeBotApi
) -> None:
    guided = plain(app.harness.app.bot_data.services.together.talk.guided_title)  # type: ignore[union-attr]
    alex_before, sam_before = len(api.chat(ALEX)), len(api.chat(SAM))

    status, body, headers = await app.call("/app/api/talk", app.signed(ALEX), method="POST")

    assert (status, body) == (200, {"started": True})
    assert headers["Cache-Control"] == "no-store"
    assert guided in api.chat(ALEX)[-1].text
    assert len(api.chat(SAM)) == sam_before + 1
    assert guided in api.chat(SAM)[-1].text

    again, _, _ = await app.call("/app/api/talk", app.signed(ALEX), method="POST")

    assert again == 200
    assert len(api.chat(SAM)) == sam_before + 1  # no second question for Sam
    assert len(api.chat(ALEX)) == alex_before + 2  # the open one, shown again


async def test_two_taps_on_two_instances_at_once_open_one_guided_talk(
    app: Served, api: FakeBotApi
) -> None:
    guided = app.harness.app.bot_data.services.together.talk.guided_title  # type: ignore[union-attr]
    alex_before, sam_before = len(api.chat(ALEX)), len(api.chat(SAM))
    async with served(app.harness) as other:  # a second server: its own in-process locks
        answers = await asyncio.gather(
            app.call("/app/api/talk", app.signed(ALEX), method="POST"),
            other.call("/app/api/talk", other.signed(SAM), method="POST"),
        )

    assert [status for status, _, _ in answers] == [200, 200]
    questions = await app.harness.rows(TalkQuestion, TalkQuestion.trigger == GUIDED)
    assert len(questions) == 1
    # Whoever came second was shown the open question again, and nobody got it twice more.
    assert len(api.chat(ALEX)) + len(api.chat(SAM)) == alex_before + sam_before + 3
    assert all(
        plain(guided) in m.text
        for m in [*api.chat(ALEX)[alex_before:], *api.chat(SAM)[sam_before:]]
    )


async def test_talk_about_it_is_403_for_someone_not_paired(app: Served, api: FakeBotApi) -> None:
    await onboard(app.harness, 6006, "Robin", "Berlin")
    before = len(api.calls)

    status, body, _ = await app.call("/app/api/talk", app.signed(6006), method="POST")

    assert status == 403
    assert set(body) == {"error", "title", "text"}
    assert api.calls[before:] == []


async def test_talk_about_it_is_rate_limited(app: Served) -> None:
    statuses = [
        (await app.call("/app/api/talk", app.signed(ALEX), method="POST"))[0] for _ in range(5)
    ]

    assert statuses[:3] == [200, 200, 200]
    assert statuses[3:] == [429, 429]


async def test_every_call_is_rate_limited_per_person(app: Served) -> None:
    statuses = [(await app.call("/app/api/week", app.signed(ALEX)))[0] for _ in range(22)]

    assert statuses[:20] == [200] * 20
    assert statuses[-1] == 429
    # Someone else is not slowed down by Alex.
    assert (await app.call("/app/api/week", app.signed(SAM)))[0] == 200


async def test_the_page_is_small_framed_only_by_telegram_and_allows_no_inline_script(
    app: Served,
) -> None:
    weight = 0
    for path in ("/app/", *(f"/app/{name}" for name in STATIC)):
        async with app.http.get(app.url + path) as response:
            assert response.status == 200
            weight += len(await response.read())
            policy = response.headers["Content-Security-Policy"]
            assert "X-Frame-Options" not in response.headers
    assert weight <= 60 * 1024
    assert "frame-ancestors https://web.telegram.org" in policy
    assert "script-src 'self' https://telegram.org;" in policy
    assert "unsafe-inline" not in policy
    async with app.http.get(app.url + "/app/") as response:
        page = await response.text()
    assert "<script>" not in page
    assert " on" not in page.replace("\n", " ").split("<body>")[1]  # no onclick= and such


async def test_the_log_names_no_one(app: Served, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.web")
    signed = app.signed(ALEX)
    await app.call("/app/api/week", signed)
    await app.call("/app/api/week", app.signed(ALEX, age=timedelta(hours=3)))
    await app.call("/app/api/week", app.signed(STRANGER))
    await app.call("/app/api/talk", signed, method="POST")

    logged = " ".join(r.getMessage() for r in caplog.records if r.name.startswith("bot.web"))
    assert logged  # the refusals are logged...
    for secret in ("1001", "5005", "Alex", "Sam", "Someone", signed[:20], "walk"):
        assert secret not in logged  # ...without who or what


async def test_us_and_the_menu_offer_the_page_only_when_it_is_set(
    settings: Settings, api: FakeBotApi, clock: FakeClock, zone_finder: TimezoneFinder
) -> None:
    clock.now = NOW
    for url in (PAGE_URL, None):
        config = settings.model_copy(update={"mini_app_url": url})
        async with BotHarness(config, api=api, clock=clock, zone_finder=zone_finder) as harness:
            alex = harness.user(ALEX + (0 if url else 1), "Alex")
            await alex.send("/start")
            await alex.press(TEXTS.onboarding.consent_yes_button)
            await alex.send("Berlin")
            await alex.send("21:00")
            menu = alex.last_message
            await alex.send("/us")
            week = alex.last_message
            for message in (menu, week):
                pages = [b for b in message.buttons if "web_app" in b]
                if url is None:
                    assert pages == []
                else:
                    assert pages == [{"text": WORDS.open_button, "web_app": {"url": PAGE_URL}}]


@pytest.mark.parametrize("language", ["de", "es", "ru"])
async def test_the_page_speaks_the_persons_language(app: Served, language: str) -> None:
    assert app.harness.app is not None
    texts = app.harness.app.bot_data.services.texts_for(language)
    alex = app.harness.user(ALEX, "Alex")
    await alex.send("/language")
    await alex.press(texts.languages.name)

    status, body, _ = await app.call("/app/api/week", app.signed(ALEX))
    _, journal, _ = await app.call("/app/api/journal", app.signed(ALEX))

    assert status == 200
    assert body["texts"]["weekTab"] == plain(texts.mini_app.week_tab)
    assert body["texts"]["language"] == language
    assert body["week"]["landed"][0] == plain(texts.us.landed.both_checked_in.render(language, 1))
    days = [day["label"] for day in body["week"]["days"]]
    assert texts.date(NOW.date(), texts.us.day_format) == days[0]
    assert plain(texts.mini_app.checkin_what) in [entry["what"] for entry in journal["entries"]]


async def test_someone_unpaired_sees_their_own_week_and_journal(app: Served) -> None:
    robin = await onboard(app.harness, 6006, "Robin", "Berlin")
    await robin.send("/journal")

    status, body, _ = await app.call("/app/api/week", app.signed(6006))

    assert status == 200
    week = body["week"]
    assert week["partner"] is None
    assert week["landed"] == [plain(TEXTS.us.nothing_yet)]
    assert week["note"] == plain(TEXTS.us.invite_to_pair)
    assert all("partner" not in day for day in week["days"])
    assert all(day["marks"] == {"me": False} for day in week["days"])
    assert (await app.call("/app/api/journal", app.signed(6006)))[0] == 200


async def test_the_weekly_digest_opens_the_page_too(app: Served, api: FakeBotApi) -> None:
    await evening(app.harness, datetime(2026, 11, 29, 12, 0, tzinfo=UTC))  # evenings missed
    await evening(app.harness, datetime(2026, 11, 29, 20, 0, tzinfo=UTC))  # Sunday, Berlin 21:00
    # Sunday's one extra message went to the week's question (the ping budget): the digest
    # comes with Monday's check-in.
    await evening(app.harness, datetime(2026, 11, 30, 20, 0, tzinfo=UTC))

    intro = plain(TEXTS.us.digest_intro)
    [digest] = [m for m in api.chat(ALEX) if intro in m.text]
    pages = [b for b in digest.buttons if "web_app" in b]
    assert pages == [{"text": WORDS.open_button, "web_app": {"url": PAGE_URL}}]


# --- a day kept to oneself, and paused sharing -------------------------------------------------


def _answers(day: dict[str, Any]) -> list[str]:
    """The lines of a day that tell an answer (giving or receiving, of either side)."""
    areas = (WORDS.bids_area, WORDS.harbor_area, WORDS.encouragement_area)
    return [
        line
        for line in [*day["me"], *day.get("partner", [])]
        if any(line.startswith(area) for area in areas)
    ]


async def test_a_kept_day_shows_not_shared_on_both_sides_for_both(app: Served) -> None:
    await keep_day(app.harness.user(SAM, HOSTILE), TUESDAY)
    label = TEXTS.date(TUESDAY, TEXTS.us.day_format)

    for viewer in (ALEX, SAM):
        status, body, _ = await app.call("/app/api/week", app.signed(viewer))

        assert status == 200
        week = body["week"]
        tuesday = next(day for day in week["days"] if day["label"] == label)
        kept = [plain(WORDS.kept_day)]
        assert (tuesday["me"], tuesday["partner"]) == (kept, kept), viewer
        assert tuesday["kept"] is True
        assert tuesday["marks"] == {"me": False, "partner": False}  # not even who checked in
        assert _answers(tuesday) == []
        assert week["differences"] == []  # Tuesday's difference is not shown either
        assert week["landed"][0] == plain(LANDED.both_not_yet)  # "not yet", never a zero
        text = everything(body)
        for secret in ("Thanks for the walk", "private thought"):
            assert secret not in text, viewer


async def test_paused_sharing_shows_neither_side_and_names_no_pause(
    app: Served, api: FakeBotApi
) -> None:
    sam = app.harness.user(SAM, HOSTILE)
    await sam.send("/settings")
    await sam.press(TEXTS.quiet.pause_button)

    for viewer, partner in ((ALEX, HOSTILE), (SAM, "Alex")):
        status, body, _ = await app.call("/app/api/week", app.signed(viewer))
        earlier = (await app.call("/app/api/week?back=1", app.signed(viewer)))[1]

        assert status == 200
        for week in (body["week"], earlier["week"]):
            assert week["partner"] is None
            assert all("partner" not in day for day in week["days"])
            assert week["note"] == plain(TEXTS.quiet.nothing_new)
            assert week["differences"] == []
        text = everything(body) + everything(earlier)
        assert partner not in text, viewer
        assert PAUSE_WORDS.search(text) is None, PAUSE_WORDS.search(text)
    alex_sees = everything((await app.call("/app/api/week", app.signed(ALEX)))[1])
    for sams in ("Thanks for the walk", "wednesday secret"):
        assert sams not in alex_sees
    # "Talk about it" starts nothing while paused, and its refusal names nothing either.
    before = len(api.calls)
    status, refused, _ = await app.call("/app/api/talk", app.signed(ALEX), method="POST")
    assert status == 409  # not "expired, open it again": the chat's neutral words
    assert refused["text"] == plain(TEXTS.quiet.nothing_to_talk)
    assert PAUSE_WORDS.search(everything(refused)) is None
    assert api.calls[before:] == []


async def test_paused_earlier_weeks_stop_at_the_couples_first_week(app: Served) -> None:
    """Robin and Kim began three weeks before they paired: the page still stops at the
    couple's first week, while sharing is paused too (never a week from before it)."""
    app.harness.clock.now = datetime(2026, 11, 3, 12, 0, tzinfo=UTC)
    robin = await onboard(app.harness, 6006, "Robin", "Berlin")
    kim = await onboard(app.harness, 7007, "Kim", "Berlin")
    app.harness.clock.now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    await pair(robin, kim)
    app.harness.clock.now = NOW
    _, paired, _ = await app.call("/app/api/week?back=3", app.signed(6006))
    await kim.send("/settings")
    await kim.press(TEXTS.quiet.pause_button)

    _, paused, _ = await app.call("/app/api/week?back=3", app.signed(6006))

    for body in (paired, paused):
        assert (body["week"]["oldest"], body["week"]["weeksBack"]) == (0, 0)
        assert body["week"]["firstWeek"] is True
