"""Evening check-ins end to end: the dispatcher, answering, and every way a day can go."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from bot.jobs.checkin_sender import send_due_checkins
from bot.jobs.outbox import Report, SendLedger
from bot.services import checkins as checkin_service
from bot.storage.checkin_outbox import Sent
from bot.storage.models import Checkin, CheckinAnswer, Moment, Note, User
from tests.harness import TEXTS, BotHarness, shown
from tests.journeys import (
    QUIET_DAY,
    STALE,
    answer_button,
    answer_checkin,
    checkin_answered,
    checkin_day,
    checkin_header,
    checkin_message,
    checkin_question,
    is_checkin,
    onboard,
    settings_summary,
)
from tests.telegram_fake import visible_text

WORDS = TEXTS.checkin
FRIDAY = date(2026, 11, 27)


async def run_dispatch(harness: BotHarness) -> Report:
    assert harness.app is not None
    return await send_due_checkins(harness.app.bot, harness.app.bot_data.services)


def prompts_to(harness: BotHarness, chat_id: int) -> list[str]:
    """Check-in prompts Telegram accepted for this chat, as shown."""
    return [
        visible_text(call.text or "", call.params.get("parse_mode"))
        for call in harness.api.calls
        if call.method == "sendMessage" and call.chat_id == chat_id and call.status == 200
        and is_checkin(call.buttons)
    ]  # fmt: skip


async def test_the_evening_prompt_arrives_at_local_time_and_is_answered_in_one_message(
    harness: BotHarness,
) -> None:
    alex = await onboard(harness)  # Berlin, 21:00 = 20:00 UTC in November
    harness.clock.now = datetime(2026, 11, 27, 19, 59, tzinfo=UTC)
    assert (await run_dispatch(harness)).claimed["prompts"] == 0

    harness.clock.now = datetime(2026, 11, 27, 20, 0, 30, tzinfo=UTC)
    report = await run_dispatch(harness)

    assert (report.claimed["prompts"], report.sent) == (1, 1)
    prompt = alex.last_message
    first_question = [checkin_header(FRIDAY), shown(WORDS.intro), checkin_question("bids_noticed")]
    assert prompt.text == "\n\n".join(first_question)
    messages = len(alex.chat)
    answered = {
        "bids_noticed": "few",
        "bids_response": "toward",
        "bids_made": "partly",
        "stressed_me": "no",
        "stressed_partner": "yes",
        "support_given": "yes",
    }
    await answer_checkin(alex, answered, message=prompt)
    assert len(alex.chat) == messages  # the same message, edited as Alex went
    assert checkin_answered("bids_noticed", "few") in prompt.text
    assert checkin_answered("bids_response", "toward") in prompt.text
    assert prompt.text.endswith(shown(WORDS.note_question))

    await alex.press(WORDS.note_button, message=prompt)
    await alex.send("Sam made me tea when I was tired <3")
    await alex.press(WORDS.done_button, message=prompt)
    assert prompt.text.endswith(shown(WORDS.finished))

    [checkin] = await harness.rows(Checkin)
    assert checkin.local_date == date(2026, 11, 27)
    assert {a.item: a.value for a in await harness.rows(CheckinAnswer)} == answered
    [note] = await harness.rows(Note)
    assert (note.checkin_id, note.visibility) == (checkin.id, "private")
    assert note.body == "Sam made me tea when I was tired <3"


async def test_no_bids_noticed_skips_the_response_question(harness: BotHarness) -> None:
    alex = await onboard(harness)
    harness.clock.now = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
    await run_dispatch(harness)

    await answer_checkin(alex, {"bids_noticed": "none"})

    assert alex.last_message.text.endswith(checkin_question("bids_made"))


async def test_one_prompt_per_local_day_and_the_next_one_tomorrow(harness: BotHarness) -> None:
    await onboard(harness)
    harness.clock.now = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
    await run_dispatch(harness)
    await run_dispatch(harness)
    harness.clock.advance(hours=2)
    await run_dispatch(harness)
    assert len(prompts_to(harness, 1001)) == 1

    harness.clock.now = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
    await run_dispatch(harness)

    assert len(prompts_to(harness, 1001)) == 2
    assert [c.local_date for c in await harness.rows(Checkin)] == [
        date(2026, 11, 27),
        date(2026, 11, 28),
    ]


async def test_partners_in_different_zones_each_get_their_own_evening(harness: BotHarness) -> None:
    await onboard(harness, 1001, "Alex", "Berlin", "21:00")  # 20:00 UTC
    await onboard(harness, 2002, "Sam", "New York", "20:00")  # 01:00 UTC the next day

    harness.clock.now = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
    await run_dispatch(harness)
    assert (len(prompts_to(harness, 1001)), len(prompts_to(harness, 2002))) == (1, 0)

    harness.clock.now = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)
    await run_dispatch(harness)
    assert (len(prompts_to(harness, 1001)), len(prompts_to(harness, 2002))) == (1, 1)
    # Still Friday evening in New York.
    assert prompts_to(harness, 2002)[0].startswith(checkin_header(FRIDAY))


async def test_moving_west_after_todays_prompt_sends_no_second_one_today(
    harness: BotHarness,
) -> None:
    alex = await onboard(harness)
    harness.clock.now = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
    await run_dispatch(harness)
    await alex.send("/settings")
    await alex.press(TEXTS.settings.change_zone_button)
    await alex.send("New York")  # 21:00 in New York is still 27 November there

    harness.clock.now = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
    await run_dispatch(harness)
    assert len(prompts_to(harness, 1001)) == 1

    harness.clock.now = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
    await run_dispatch(harness)
    assert len(prompts_to(harness, 1001)) == 2
    assert prompts_to(harness, 1001)[1].startswith(checkin_header(date(2026, 11, 28)))


async def test_daylight_saving_keeps_the_wall_clock_time(harness: BotHarness) -> None:
    harness.clock.now = datetime(2026, 3, 27, 12, 0, tzinfo=UTC)
    await onboard(harness, at="20:00")
    sent_at = []
    for day in (27, 28, 29, 30):
        for hour in range(17, 21):
            harness.clock.now = datetime(2026, 3, day, hour, 0, tzinfo=UTC)
            if (await run_dispatch(harness)).claimed["prompts"]:
                sent_at.append(harness.clock.now)

    # CET (UTC+1) until the night to Sunday 29 March, CEST (UTC+2) after.
    assert [t.hour for t in sent_at] == [19, 19, 18, 18]


async def test_skip_today_ends_it_without_a_reminder(harness: BotHarness) -> None:
    alex = await onboard(harness)
    harness.clock.now = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
    await run_dispatch(harness)

    await alex.press(WORDS.skip_button)
    assert alex.last_message.text == shown(WORDS.skipped)
    harness.clock.advance(hours=3)

    assert (await run_dispatch(harness)).claimed["reminders"] == 0
    [checkin] = await harness.rows(Checkin)
    assert checkin.skipped_at is not None


async def test_snooze_asks_again_in_an_hour(harness: BotHarness) -> None:
    alex = await onboard(harness)
    harness.clock.now = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
    await run_dispatch(harness)
    await alex.press(WORDS.snooze_button)
    assert alex.last_message.text == shown(WORDS.snoozed)

    harness.clock.advance(minutes=59)
    assert (await run_dispatch(harness)).claimed["snoozed"] == 0
    harness.clock.advance(minutes=2)
    assert (await run_dispatch(harness)).claimed["snoozed"] == 1

    assert len(prompts_to(harness, 1001)) == 2
    await answer_checkin(alex, {"bids_noticed": "some"})
    assert alex.last_message.text.endswith(checkin_question("bids_response"))


async def test_one_reminder_and_none_once_answered(harness: BotHarness) -> None:
    alex = await onboard(harness)
    await onboard(harness, 2002, "Sam")
    harness.clock.now = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
    await run_dispatch(harness)
    await answer_checkin(alex, {"bids_noticed": "none"})  # Alex started answering; Sam did not

    harness.clock.advance(minutes=119)
    assert (await run_dispatch(harness)).claimed["reminders"] == 0
    harness.clock.advance(minutes=2)
    assert (await run_dispatch(harness)).claimed["reminders"] == 1
    harness.clock.advance(minutes=60)
    assert (await run_dispatch(harness)).claimed["reminders"] == 0

    reminders = [c for c in harness.api.calls if c.text == WORDS.reminder]
    assert [c.chat_id for c in reminders] == [2002]


async def test_late_answer_counts_for_the_day_it_was_asked_until_the_next_prompt(
    harness: BotHarness,
) -> None:
    alex = await onboard(harness)
    harness.clock.now = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
    await run_dispatch(harness)
    friday = alex.last_message

    harness.clock.now = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)  # Saturday morning
    await answer_checkin(alex, {"bids_noticed": "many"}, message=friday)
    [answer] = await harness.rows(CheckinAnswer)
    [checkin] = await harness.rows(Checkin)
    assert (checkin.local_date, answer.value) == (date(2026, 11, 27), "many")

    harness.clock.now = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
    await run_dispatch(harness)
    replies = await alex.press_data(
        answer_button(friday, "bids_response", "toward"), message=friday
    )
    assert replies.toasts == [WORDS.closed]
    assert len(await harness.rows(CheckinAnswer)) == 1


async def test_double_tap_and_replays_store_one_answer(harness: BotHarness) -> None:
    alex = await onboard(harness)
    harness.clock.now = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
    await run_dispatch(harness)
    prompt = checkin_message(alex)
    data = answer_button(prompt, "bids_noticed", "few")

    await alex.press_data(data, message=prompt)
    await alex.press_data(data, message=prompt)
    await asyncio.gather(*(alex.press_data(data, message=prompt) for _ in range(5)))

    assert len(await harness.rows(CheckinAnswer)) == 1


async def test_forged_checkin_buttons(harness: BotHarness) -> None:
    alex = await onboard(harness)
    sam = await onboard(harness, 2002, "Sam")
    harness.clock.now = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
    await run_dispatch(harness)
    [alex_checkin] = await harness.rows(Checkin, Checkin.user_id == 1)

    for data in [
        f"ci:{alex_checkin.id}:a:bids_noticed:few",  # Sam pressing Alex's check-in
        f"ci:{alex_checkin.id}:skip",
        "ci:99999:a:bids_noticed:few",
    ]:
        assert (await sam.press_data(data)).toasts == [STALE], data
    for data in [
        f"ci:{alex_checkin.id}:a:bids_noticed:lots",  # not an option
        f"ci:{alex_checkin.id}:a:encouraged_partner:yes",  # not asked on a Friday
        f"ci:{alex_checkin.id}:a:nonsense:yes",
    ]:
        assert (await alex.press_data(data)).toasts == [STALE], data
    assert await harness.rows(CheckinAnswer) == []
    assert all(c.skipped_at is None for c in await harness.rows(Checkin))


async def test_weekly_question_on_the_chosen_day(harness: BotHarness) -> None:
    harness.clock.now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # a week before: a digest
    alex = await onboard(harness)
    await alex.send("/settings")
    await alex.press(TEXTS.settings.weekly_day_button)
    await alex.press(TEXTS.settings.weekdays[5])
    saturdays = settings_summary("Europe/Berlin", "13:00", "21:00", weekly_day=5)
    assert alex.last_message.text == saturdays
    harness.clock.now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    await run_dispatch(harness)  # the missed evenings are not sent; the next is tonight

    harness.clock.now = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)  # Friday
    await run_dispatch(harness)
    await answer_checkin(alex, QUIET_DAY)
    assert alex.last_message.text.endswith(shown(WORDS.note_question))

    harness.clock.now = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)  # Saturday
    report = await run_dispatch(harness)
    assert report.claimed["prompts"] == 2  # the evening's check-in and the weekly digest
    saturday_header = checkin_header(date(2026, 11, 28), weekly=True)
    assert prompts_to(harness, 1001)[-1].startswith(saturday_header)
    digest = next(m for m in alex.chat if m.text.startswith(shown(TEXTS.us.digest_intro)))
    # The chart is drawn only on request.
    assert TEXTS.us.chart_button in [b["text"] for b in digest.buttons]
    assert (await run_dispatch(harness)).claimed["prompts"] == 0  # once
    harness.clock.advance(hours=3)
    # One reminder, for the unanswered evening; a digest is never "reminded".
    assert (await run_dispatch(harness)).claimed["reminders"] == 1
    prompt = await answer_checkin(alex, {**QUIET_DAY, "encouraged_partner": "yes"})
    assert prompt.text.endswith(checkin_question("felt_encouraged"))
    await answer_checkin(alex, {"felt_encouraged": "somewhat"})
    [saturday] = await harness.rows(
        Checkin, Checkin.local_date == date(2026, 11, 28), Checkin.kind == "evening"
    )
    assert saturday.includes_weekly
    answers = {
        a.item: a.value
        for a in await harness.rows(CheckinAnswer, CheckinAnswer.checkin_id == saturday.id)
    }
    assert (answers["encouraged_partner"], answers["felt_encouraged"]) == ("yes", "somewhat")


async def test_pause_and_resume(harness: BotHarness) -> None:
    alex = await onboard(harness)

    replies = await alex.send("/pause 3")
    monday = checkin_day(date(2026, 11, 30))
    assert replies.texts == [shown(TEXTS.pause.paused, until=monday)]
    for day in (27, 28, 29):
        harness.clock.now = datetime(2026, 11, day, 20, 0, tzinfo=UTC)
        await run_dispatch(harness)
    assert prompts_to(harness, 1001) == []
    paused = settings_summary("Europe/Berlin", "21:00", "21:00", paused_until=monday)
    assert (await alex.send("/settings")).texts == [paused]

    harness.clock.now = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)  # the pause is over
    await run_dispatch(harness)
    assert len(prompts_to(harness, 1001)) == 1

    await alex.send("/pause")
    resumed = await alex.send("/resume")
    tuesday = checkin_day(date(2026, 12, 1))
    assert resumed.texts == [shown(TEXTS.pause.resumed, day=tuesday, time="21:00")]
    harness.clock.now = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)
    await run_dispatch(harness)
    assert len(prompts_to(harness, 1001)) == 2
    assert (await alex.send("/resume")).texts == [shown(TEXTS.pause.not_paused)]
    assert (await alex.send("/pause forever")).texts == [shown(TEXTS.pause.usage)]


async def test_pause_and_resume_before_setup_is_done_lead_back_to_setup(
    harness: BotHarness,
) -> None:
    alex = harness.user(1001, "Alex")
    await alex.send("/start")
    await alex.press(TEXTS.onboarding.consent_yes_button)  # consented; no zone or time yet

    for command in ("/pause", "/resume"):
        replies = await alex.send(command)
        assert replies.texts == [
            shown(TEXTS.pause.before_setup),
            shown(TEXTS.onboarding.ask_time_zone),
        ]
    # The question is open: the next message is taken as the zone.
    assert shown(TEXTS.onboarding.ask_checkin_time) in (await alex.send("Berlin")).texts
    stranger = harness.user(3003, "Robin")
    assert (await stranger.send("/pause")).texts == [shown(TEXTS.errors.not_started)]


async def test_pause_from_the_settings_screen(harness: BotHarness) -> None:
    alex = await onboard(harness)
    await alex.send("/settings")

    await alex.press(TEXTS.settings.pause_button)
    until = checkin_day(date(2026, 12, 4))
    paused = settings_summary("Europe/Berlin", "13:00", "21:00", paused_until=until)
    assert alex.last_message.text == paused
    await alex.press(TEXTS.settings.resume_button)
    assert alex.last_message.text == settings_summary("Europe/Berlin", "13:00", "21:00")


async def test_after_downtime_recent_prompts_are_sent_and_stale_ones_skipped(
    harness: BotHarness,
) -> None:
    await onboard(harness, 1001, "Alex", "Berlin", "21:00")  # due 20:00 UTC
    await onboard(harness, 2002, "Sam", "Berlin", "17:00")  # due 16:00 UTC
    await harness.stop()  # the bot is down...
    harness.clock.now = datetime(2026, 11, 27, 22, 0, tzinfo=UTC)  # ...until 22:00 UTC
    await harness.start()

    report = await run_dispatch(harness)

    # Alex's is two hours late (inside the 3 h grace); Sam's six hours (skipped).
    assert report.claimed["prompts"] == 1
    assert (len(prompts_to(harness, 1001)), len(prompts_to(harness, 2002))) == (1, 0)
    [sam] = await harness.rows(User, User.telegram_id == 2002)
    assert sam.next_checkin_at == datetime(2026, 11, 28, 16, 0, tzinfo=UTC)


async def test_restart_in_the_middle_of_a_batch_sends_each_prompt_once(
    harness: BotHarness,
) -> None:
    for n in range(6):
        await onboard(harness, 3000 + n, f"P{n}")
    harness.clock.now = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
    # The process claims the batch, sends three, records them, and dies.
    async with harness.transaction() as session:
        claimed = await checkin_service.claim_due(
            session, harness.clock.now, owner="gone:1:abc", grace=timedelta(hours=3), batch=500
        )
    first = [
        Sent(row.checkin_id, 1_000_000 + i, harness.clock.now) for i, row in enumerate(claimed[:3])
    ]
    async with harness.transaction() as session:
        await checkin_service.record_sent(session, first)
    await harness.restart()

    assert (await run_dispatch(harness)).claimed["resent"] == 0  # not before the claim has lapsed
    harness.clock.advance(minutes=3)
    report = await run_dispatch(harness)

    assert (report.claimed["resent"], report.sent) == (3, 3)
    resent_chats = {c.chat_id for c in harness.api.calls if is_checkin(c.buttons)}
    assert resent_chats == {row.telegram_id for row in claimed[3:]}
    assert (await run_dispatch(harness)).claimed["resent"] == 0


async def test_429_is_waited_out(harness: BotHarness) -> None:
    await onboard(harness)
    harness.clock.now = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
    harness.api.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)

    report = await run_dispatch(harness)

    assert (report.sent, report.failed) == (1, 0)
    assert len(prompts_to(harness, 1001)) == 1


async def test_a_user_who_blocked_the_bot_stops_getting_prompts_and_their_partner_does_not(
    harness: BotHarness,
) -> None:
    alex = await onboard(harness)
    await onboard(harness, 2002, "Sam")
    harness.api.blocked_chats.add(1001)
    harness.clock.now = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)

    report = await run_dispatch(harness)

    assert (report.sent, report.blocked) == (1, 1)
    [alex_row] = await harness.rows(User, User.telegram_id == 1001)
    assert (alex_row.active, alex_row.next_checkin_at) == (False, None)
    harness.clock.now = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
    await run_dispatch(harness)
    assert len(prompts_to(harness, 2002)) == 2

    harness.api.blocked_chats.discard(1001)
    await alex.send("/settings")  # writing again: active again, evenings again
    harness.clock.now = datetime(2026, 11, 29, 20, 0, tzinfo=UTC)
    await run_dispatch(harness)
    assert len(prompts_to(harness, 1001)) == 1


async def test_a_refused_send_is_retried_a_few_times_then_given_up(harness: BotHarness) -> None:
    await onboard(harness)
    harness.clock.now = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
    harness.api.fail_next("sendMessage", 400, "Bad Request: chat not found")
    assert (await run_dispatch(harness)).failed == 1

    harness.clock.advance(minutes=3)
    report = await run_dispatch(harness)
    assert (report.claimed["resent"], report.sent) == (1, 1)

    for _ in range(3):
        harness.api.fail_next("sendMessage", 400, "Bad Request: chat not found")
    harness.clock.now = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
    for _ in range(5):
        await run_dispatch(harness)
        harness.clock.advance(minutes=3)
    saturday = await harness.rows(Checkin, Checkin.local_date == date(2026, 11, 28))
    assert saturday[0].send_attempts == 3
    assert saturday[0].sent_at is None
    assert saturday[0].skipped_at is not None  # given up, never sent twice


async def test_no_connection_is_retried_at_once_and_sent_once(harness: BotHarness) -> None:
    await onboard(harness)
    harness.clock.now = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
    harness.api.fault_next("sendMessage", "refuse")

    report = await run_dispatch(harness)

    assert (report.sent, report.failed) == (1, 0)
    assert len(prompts_to(harness, 1001)) == 1


async def test_a_send_that_may_have_arrived_is_sent_once_more_at_most_and_stays_answerable(
    harness: BotHarness,
) -> None:
    alex = await onboard(harness)
    harness.clock.now = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
    # Telegram delivers, then the connection drops before its answer: twice.
    harness.api.fault_next("sendMessage", "drop")
    harness.api.fault_next("sendMessage", "drop")

    report = await run_dispatch(harness)

    assert (report.sent, report.maybe_sent, report.failed) == (1, 1, 0)
    assert len(prompts_to(harness, 1001)) == 2  # one more copy, no third
    [checkin] = await harness.rows(Checkin)
    assert checkin.sent_at is not None
    assert checkin.skipped_at is None
    harness.clock.advance(minutes=10)
    assert (await run_dispatch(harness)).claimed["resent"] == 0  # never sent a third time
    replies = await alex.press(TEXTS.checkin.items["bids_noticed"].options["none"])
    assert checkin_answered("bids_noticed", "none") in replies.text


async def test_a_bad_gateway_means_one_more_copy_at_most(harness: BotHarness) -> None:
    await onboard(harness)
    harness.clock.now = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
    harness.api.fail_next("sendMessage", 502, "Bad Gateway")  # it may have arrived

    report = await run_dispatch(harness)

    assert (report.sent, report.maybe_sent) == (1, 0)
    assert len(prompts_to(harness, 1001)) == 1  # the copy, the one Telegram confirmed
    [checkin] = await harness.rows(Checkin)
    assert checkin.message_id is not None  # the copy's id: its buttons are the ones used


async def test_two_dispatchers_on_one_database_send_each_prompt_once(
    harness: BotHarness,
) -> None:
    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    async with harness.session() as session:
        session.add_all(
            User(
                telegram_id=10_000 + n,
                first_name=f"U{n}",
                time_zone="Europe/Berlin",
                checkin_time=time(21, 0),
                consented_at=now,
                onboarded_at=now,
                created_at=now,
                updated_at=now,
                next_checkin_at=datetime(2026, 11, 27, 20, 0, tzinfo=UTC),
            )
            for n in range(300)
        )
        await session.commit()
    async with BotHarness(
        harness.settings, api=harness.api, clock=harness.clock, zone_finder=harness.zone_finder
    ) as second:
        harness.clock.now = datetime(2026, 11, 27, 20, 0, 5, tzinfo=UTC)
        reports = await asyncio.gather(run_dispatch(harness), run_dispatch(second))

    assert sum(r.sent for r in reports) == 300
    sent_to = [c.chat_id or 0 for c in harness.api.calls if is_checkin(c.buttons)]
    assert sorted(sent_to) == [10_000 + n for n in range(300)]
    assert len(await harness.rows(Checkin)) == 300


async def test_log_a_bid_and_a_stressful_moment(harness: BotHarness) -> None:
    alex = await onboard(harness)

    moments = TEXTS.moments
    await alex.send("/bid")
    await alex.press(moments.bid_noticed_button)
    outcome, data = alex.find_button(moments.outcomes["bid_noticed"]["toward"])
    logged = await alex.press_data(data, message=outcome)
    again = await alex.press_data(data, message=outcome)  # a double tap

    assert logged.texts == [
        shown(
            moments.logged,
            time="13:00",
            question=moments.bid_noticed_outcome,
            answer=moments.outcomes["bid_noticed"]["toward"],
        )
    ]
    assert again.toasts == [STALE]
    await alex.send("/stress")
    await alex.press(moments.stress_mine_button)
    await alex.press(moments.outcomes["stress_mine"]["somewhat"])

    assert [(m.kind, m.outcome, m.local_date) for m in await harness.rows(Moment)] == [
        ("bid_noticed", "toward", date(2026, 11, 27)),
        ("stress_mine", "somewhat", date(2026, 11, 27)),
    ]
    assert (await alex.press_data("mo:bid_made:toward")).toasts == [STALE]  # not an outcome of it


async def test_a_note_written_after_the_next_prompt_is_kept(harness: BotHarness) -> None:
    alex = await onboard(harness)
    harness.clock.now = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
    await run_dispatch(harness)
    await answer_checkin(alex, QUIET_DAY)
    await alex.press(WORDS.note_button)
    harness.clock.now = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
    await run_dispatch(harness)  # Saturday's prompt arrives before Alex writes

    replies = await alex.send("Friday was lovely")

    assert replies.texts == [shown(TEXTS.notes.saved)]
    [note] = await harness.rows(Note)
    friday = (await harness.rows(Checkin, Checkin.local_date == date(2026, 11, 27)))[0]
    assert (note.body, note.checkin_id) == ("Friday was lovely", friday.id)


async def test_done_closes_the_note_question(harness: BotHarness) -> None:
    alex = await onboard(harness)
    harness.clock.now = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
    await run_dispatch(harness)
    prompt = await answer_checkin(alex, QUIET_DAY)
    await alex.press(WORDS.note_button, message=prompt)
    await alex.press(WORDS.done_button, message=prompt)

    replies = await alex.send("just chatting")

    assert replies.texts == [shown(TEXTS.errors.unexpected_text)]
    assert await harness.rows(Note) == []


async def test_a_blocked_users_prompt_is_not_retried(harness: BotHarness) -> None:
    await onboard(harness)
    harness.api.blocked_chats.add(1001)
    harness.clock.now = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
    await run_dispatch(harness)

    for _ in range(10):
        harness.clock.advance(minutes=5)
        await run_dispatch(harness)

    attempts = [c for c in harness.api.calls if c.method == "sendMessage" and c.chat_id == 1001]
    assert [c.status for c in attempts[-1:]] == [403]
    assert sum(c.status == 403 for c in attempts) == 1


async def test_a_press_answered_too_late_still_goes_on(harness: BotHarness) -> None:
    alex = await onboard(harness)
    harness.clock.now = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
    await run_dispatch(harness)
    # After a restart, Telegram refuses answers to presses queued while the bot was down.
    harness.api.fail_next(
        "answerCallbackQuery", 400, "Bad Request: query is too old and response timeout expired"
    )

    replies = await alex.press_data(answer_button(checkin_message(alex), "bids_noticed", "few"))

    assert alex.last_message.text.endswith(checkin_question("bids_response"))
    assert shown(TEXTS.errors.internal_error) not in replies.texts
    assert [a.value for a in await harness.rows(CheckinAnswer)] == ["few"]


async def test_a_tap_before_the_send_is_recorded_is_kept(harness: BotHarness) -> None:
    """Prompts are recorded as sent within a second of Telegram taking them; a tap in that
    second (or while the database was away) still counts."""
    alex = await onboard(harness)
    harness.clock.now = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
    async with harness.transaction() as session:
        [claimed] = await checkin_service.claim_due(
            session, harness.clock.now, owner="this:1:abc", grace=timedelta(hours=3), batch=9
        )

    replies = await alex.press_data(f"ci:{claimed.checkin_id}:a:bids_noticed:few")

    assert checkin_answered("bids_noticed", "few") in replies.text
    answers = await harness.rows(CheckinAnswer)
    assert [(a.checkin_id, a.value) for a in answers] == [(claimed.checkin_id, "few")]


async def test_a_prompt_sent_while_the_database_is_away_is_recorded_when_it_is_back(
    harness: BotHarness,
) -> None:
    """Telegram takes the prompt, then every statement fails: the job's ledger keeps the
    "sent", claims nothing new meanwhile, and writes it once the database is back; the
    prompt is not sent again."""
    await onboard(harness)
    harness.clock.now = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
    assert harness.app is not None
    services = harness.app.bot_data.services
    engine = services.engine.sync_engine
    ledger = SendLedger()

    def away_after_the_prompt(*_: object) -> None:
        if prompts_to(harness, 1001):
            raise OperationalError("UPDATE", {}, sqlite3.OperationalError("database is locked"))

    event.listen(engine, "before_cursor_execute", away_after_the_prompt)
    try:
        assert (await send_due_checkins(harness.app.bot, services, ledger)).sent == 1
    finally:
        event.remove(engine, "before_cursor_execute", away_after_the_prompt)
    [checkin] = await harness.rows(Checkin)
    assert checkin.sent_at is None
    assert ledger.pending  # kept in memory

    harness.clock.advance(minutes=10)  # long past the claim: it would be sent again
    report = await send_due_checkins(harness.app.bot, services, ledger)

    assert (report.claimed["resent"], report.sent) == (0, 0)
    assert len(prompts_to(harness, 1001)) == 1
    [checkin] = await harness.rows(Checkin)
    assert checkin.sent_at == datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
