"""Pairing two partners through the real Application: invites, refusals, races, unpairing."""

from __future__ import annotations

import asyncio
from datetime import date

from sqlalchemy import select, update

from bot.storage.models import Couple, CoupleMember, Invite, User
from tests.harness import TEXTS, BotHarness, shown
from tests.journeys import STALE, invite_code, onboard, open_reflection, pair
from tests.telegram_fake import BOT_USERNAME

WORDS = TEXTS.pairing
YES_PAIR = WORDS.confirm_button
# The day everyone pairs (the harness clock's), as /partner shows it.
PAIRED_SINCE = TEXTS.date(date(2026, 11, 27), WORDS.since_format)
# What comes next for someone onboarded by journeys.onboard (21:00 in Berlin, on the clock's day).
FIRST_CHECKIN = shown(
    WORDS.next_checkin, day=TEXTS.date(date(2026, 11, 27), TEXTS.checkin.day_format), time="21:00"
)


def paired_you(partner: str, next_step: str = FIRST_CHECKIN) -> str:
    """The confirmation of a pairing, with what happens next."""
    return f"{shown(WORDS.paired_you, partner=partner)}\n\n{next_step}"


def refusal(kind: str, inviter: str = "", minutes: int = 0) -> list[str]:
    """The one message of a refused code (texts: pairing.refusals.<kind>)."""
    wait = WORDS.minutes.render(TEXTS.language, minutes)
    return [shown(getattr(WORDS.refusals, kind), inviter=inviter, minutes=wait)]


def offer(inviter: str) -> list[str]:
    return [shown(WORDS.confirm_question, inviter=inviter)]


async def active_couples(harness: BotHarness) -> list[set[int]]:
    """Each active couple as the set of its members' Telegram ids."""
    async with harness.session() as session:
        rows = await session.execute(
            select(CoupleMember.couple_id, User.telegram_id)
            .join(User, User.id == CoupleMember.user_id)
            .join(Couple, Couple.id == CoupleMember.couple_id)
            .where(Couple.ended_at.is_(None), CoupleMember.ended_at.is_(None))
        )
        couples: dict[int, set[int]] = {}
        for couple_id, telegram_id in rows:
            couples.setdefault(couple_id, set()).add(telegram_id)
        return list(couples.values())


async def test_newcomer_pairs_from_a_forwarded_link(harness: BotHarness) -> None:
    alex = await onboard(harness, 1001, "Alex")
    replies = await alex.send("/pair")
    code = invite_code(replies)
    assert replies.texts == [
        shown(WORDS.invite_created, hours=WORDS.hours.render(TEXTS.language, 48)),
        shown(
            WORDS.invite_message,
            link=f"https://t.me/{BOT_USERNAME}?start={code}",
            code=f"{code[:5]}-{code[5:]}",
        ),
    ]

    sam = harness.user(2002, "Sam")
    welcome = await sam.send(f"/start {code}")
    invited = shown(WORDS.invited_newcomer, inviter="Alex")
    assert welcome.texts == [
        f"{invited}\n\n{shown(TEXTS.onboarding.welcome, first_name='Sam')}",
        shown(TEXTS.onboarding.consent_question),
    ]

    consented = await sam.press(TEXTS.onboarding.consent_yes_button)
    assert consented.texts == [shown(TEXTS.onboarding.consent_accepted), *offer("Alex")]

    paired = await sam.press(YES_PAIR)
    # Sam's onboarding goes on.
    assert paired.texts == [
        paired_you("Alex", shown(WORDS.next_after_setup)),
        shown(TEXTS.onboarding.ask_time_zone),
    ]
    told = shown(WORDS.paired_inviter, partner="Sam")
    assert alex.last_message.text == f"{told}\n\n{FIRST_CHECKIN}"
    assert await active_couples(harness) == [{1001, 2002}]

    await sam.send("Lisbon")
    await sam.press("21:00")
    for person, partner in ((alex, "Sam"), (sam, "Alex")):
        status = shown(WORDS.partner_status, partner=partner, since=PAIRED_SINCE)
        assert (await person.send("/partner")).texts == [status]


async def test_typed_code_in_any_case_with_spaces(harness: BotHarness) -> None:
    alex = await onboard(harness, 1001, "Alex")
    sam = await onboard(harness, 2002, "Sam")
    code = invite_code(await alex.send("/pair"))

    replies = await sam.send(f"/join {code[:5].lower()} {code[5:].lower()}")
    assert replies.texts == offer("Alex")
    await sam.press(YES_PAIR)

    assert await active_couples(harness) == [{1001, 2002}]


async def test_menu_button_gives_an_invite(harness: BotHarness) -> None:
    alex = await onboard(harness, 1001, "Alex")

    replies = await alex.press(TEXTS.menu.pair_button)

    invite_code(replies)
    assert any(button.get("url", "").startswith("https://t.me/share/url?") for button in
               alex.last_message.buttons)  # fmt: skip


async def test_decline_tells_the_inviter_kindly(harness: BotHarness) -> None:
    alex = await onboard(harness, 1001, "Alex")
    sam = await onboard(harness, 2002, "Sam")
    code = invite_code(await alex.send("/pair"))
    await sam.send(f"/join {code}")

    replies = await sam.press(WORDS.decline_button)

    assert replies.texts == [shown(WORDS.declined_you)]
    assert alex.last_message.text == shown(WORDS.declined_inviter, partner="Sam")
    assert await active_couples(harness) == []
    again = await sam.send(f"/join {code}")  # a declined invite is closed
    assert again.texts == refusal("used")


async def test_refusals(harness: BotHarness) -> None:
    alex = await onboard(harness, 1001, "Alex")
    sam = await onboard(harness, 2002, "Sam")
    kim = await onboard(harness, 3003, "Kim")
    code = invite_code(await alex.send("/pair"))

    assert (await alex.send(f"/join {code}")).texts == refusal("own")
    assert (await sam.send("/join ABCDE-FGHJK")).texts == refusal("unknown")
    assert (await sam.send("/join")).texts == [shown(WORDS.join_usage)]

    await sam.send(f"/join {code}")
    await sam.press(YES_PAIR)
    assert (await kim.send(f"/join {code}")).texts == refusal("used")

    kim_code = invite_code(await kim.send("/pair"))
    assert (await sam.send(f"/join {kim_code}")).texts == refusal("already_paired")
    already = shown(WORDS.already_paired, partner="Sam")
    assert (await alex.send("/pair")).texts == [already]
    assert await active_couples(harness) == [{1001, 2002}]


async def test_expired_invite(harness: BotHarness) -> None:
    alex = await onboard(harness, 1001, "Alex")
    sam = await onboard(harness, 2002, "Sam")
    code = invite_code(await alex.send("/pair"))

    harness.clock.advance(hours=48, seconds=1)
    replies = await sam.send(f"/join {code}")

    assert replies.texts == refusal("expired", inviter="Alex")


async def test_asking_again_replaces_the_invite(harness: BotHarness) -> None:
    alex = await onboard(harness, 1001, "Alex")
    sam = await onboard(harness, 2002, "Sam")
    first = invite_code(await alex.send("/pair"))
    second = invite_code(await alex.send("/pair"))

    assert first != second
    assert (await sam.send(f"/join {first}")).texts == refusal("used")
    assert (await sam.send(f"/join {second}")).texts == offer("Alex")


async def test_invite_whose_author_paired_with_someone_else(harness: BotHarness) -> None:
    alex = await onboard(harness, 1001, "Alex")
    sam = await onboard(harness, 2002, "Sam")
    kim = await onboard(harness, 3003, "Kim")
    code = invite_code(await alex.send("/pair"))
    await kim.send(f"/join {code}")  # Kim looks at it but does not confirm yet
    await pair(sam, alex)  # meanwhile Alex pairs with Sam through Sam's invite

    replies = await kim.press(YES_PAIR)

    assert replies.texts == refusal("inviter_paired", inviter="Alex")
    assert await active_couples(harness) == [{1001, 2002}]


async def test_inviter_who_blocked_the_bot_or_left(harness: BotHarness) -> None:
    alex = await onboard(harness, 1001, "Alex")
    sam = await onboard(harness, 2002, "Sam")
    code = invite_code(await alex.send("/pair"))
    async with harness.session() as session:
        await session.execute(update(User).where(User.telegram_id == 1001).values(active=False))
        await session.commit()

    assert (await sam.send(f"/join {code}")).texts == refusal("inviter_unavailable", "Alex")
    async with harness.session() as session:
        await session.execute(update(User).where(User.telegram_id == 1001).values(active=True))
        await session.delete(await session.scalar(select(User).where(User.telegram_id == 1001)))
        await session.commit()
    assert (await sam.send(f"/join {code}")).texts == refusal("unknown")


async def test_guessing_is_slowed_down(harness: BotHarness) -> None:
    alex = await onboard(harness, 1001, "Alex")
    mallory = await onboard(harness, 6666, "Mallory")
    code = invite_code(await alex.send("/pair"))

    for guess in ["AAAAAAAAAA", "BBBBBBBBBB", "CCCCCCCCCC", "DDDDDDDDDD", "not-a-code"]:
        assert (await mallory.send(f"/join {guess}")).texts == refusal("unknown")
    blocked = await mallory.send(f"/join {code}")  # even the right code must wait now

    assert blocked.texts == refusal("too_many_attempts", minutes=10)
    harness.clock.advance(minutes=10, seconds=1)
    assert (await mallory.send(f"/join {code}")).texts == offer("Alex")


async def test_double_tap_and_forged_buttons_change_nothing(harness: BotHarness) -> None:
    alex = await onboard(harness, 1001, "Alex")
    sam = await onboard(harness, 2002, "Sam")
    code = invite_code(await alex.send("/pair"))
    await sam.send(f"/join {code}")
    question, data = sam.find_button(YES_PAIR)
    await sam.press_data(data, message=question)

    again = await sam.press_data(data, message=question)
    forged = await sam.press_data("pair:yes:ZZZZZZZZZZ")
    other_couple = await sam.press_data("unpair:yes:999")

    assert again.toasts == forged.toasts == other_couple.toasts == [STALE]
    assert await active_couples(harness) == [{1001, 2002}]


async def test_unpair_tells_the_other_and_allows_pairing_again(harness: BotHarness) -> None:
    alex = await onboard(harness, 1001, "Alex")
    sam = await onboard(harness, 2002, "Sam")
    kim = await onboard(harness, 3003, "Kim")
    await pair(alex, sam)

    question = await sam.send("/unpair")
    asked = f"{WORDS.unpair_question}\n\n{TEXTS.quiet.unpair_hint}"
    assert question.texts == [shown(asked, partner="Alex")]
    kept = await sam.press(WORDS.unpair_cancel_button)
    assert kept.texts == [shown(WORDS.unpair_kept)]
    assert await active_couples(harness) == [{1001, 2002}]

    await sam.send("/unpair")
    replies = await sam.press(WORDS.unpair_confirm_button)
    assert replies.texts == [shown(WORDS.unpaired_you, partner="Alex")]
    assert alex.last_message.text == shown(WORDS.unpaired_partner, partner="Sam")
    assert await active_couples(harness) == []
    # Not "not paired yet": it ended, and Alex is told so.
    ended = shown(WORDS.pairing_ended, partner="Sam", day=PAIRED_SINCE)
    assert (await alex.send("/partner")).texts == [ended]
    assert (await kim.send("/partner")).texts == [shown(WORDS.not_paired)]

    await pair(kim, alex)
    assert await active_couples(harness) == [{1001, 3003}]


async def test_old_unpair_button_after_repairing_does_nothing(harness: BotHarness) -> None:
    alex = await onboard(harness, 1001, "Alex")
    sam = await onboard(harness, 2002, "Sam")
    await pair(alex, sam)
    await sam.send("/unpair")
    question, data = sam.find_button(WORDS.unpair_confirm_button)
    await sam.press_data(data, message=question)
    await pair(alex, sam)

    replies = await sam.press_data(data, message=question)

    assert replies.toasts == [STALE]
    assert await active_couples(harness) == [{1001, 2002}]


async def test_partner_who_blocked_the_bot(harness: BotHarness) -> None:
    alex = await onboard(harness, 1001, "Alex")
    sam = await onboard(harness, 2002, "Sam")
    code = invite_code(await alex.send("/pair"))
    await sam.send(f"/join {code}")
    harness.api.blocked_chats.add(1001)

    replies = await sam.press(YES_PAIR)

    assert replies.texts == [paired_you("Alex")]
    assert await active_couples(harness) == [{1001, 2002}]
    async with harness.session() as session:
        assert await session.scalar(select(User.active).where(User.telegram_id == 1001)) is False

    await sam.send("/unpair")
    ended = await sam.press(WORDS.unpair_confirm_button)
    assert ended.texts == [shown(WORDS.unpaired_you, partner="Alex")]
    assert await active_couples(harness) == []

    harness.api.blocked_chats.discard(1001)
    await alex.send("/partner")  # writing again makes Alex active again
    async with harness.session() as session:
        assert await session.scalar(select(User.active).where(User.telegram_id == 1001)) is True


async def test_names_are_escaped_everywhere(harness: BotHarness) -> None:
    alex = await onboard(harness, 1001, "<i>Al & Co</i>")
    sam = await onboard(harness, 2002, "Sam </b>")
    code = invite_code(await alex.send("/pair"))

    offered = await sam.send(f"/join {code}")
    paired = await sam.press(YES_PAIR)

    assert offered.texts == offer("<i>Al & Co</i>")
    assert paired.texts == [paired_you("<i>Al & Co</i>")]
    told = shown(WORDS.paired_inviter, partner="Sam </b>")
    assert alex.last_message.text == f"{told}\n\n{FIRST_CHECKIN}"


async def test_fifty_simultaneous_redemptions_make_one_couple(harness: BotHarness) -> None:
    alex = await onboard(harness, 1001, "Alex")
    code = invite_code(await alex.send("/pair"))
    people = [await onboard(harness, 5000 + n, f"P{n}") for n in range(50)]
    buttons = []
    for person in people:
        await person.send(f"/join {code}")
        buttons.append(person.find_button(YES_PAIR))

    results = await asyncio.gather(
        *(
            person.press_data(data, message=msg)
            for person, (msg, data) in zip(people, buttons, strict=True)
        )
    )

    winners = [r for r in results if r.texts == [paired_you("Alex")]]
    assert len(winners) == 1
    # Depending on when each one looked, the invite was used or Alex was taken: both true.
    losing = (refusal("used"), refusal("inviter_paired", inviter="Alex"))
    assert all(r.texts in losing for r in results if r not in winners)
    couples = await active_couples(harness)
    assert len(couples) == 1
    assert 1001 in couples[0]
    assert len(await harness.rows(Invite, Invite.used_at.is_not(None))) == 1


async def test_forged_invite_buttons_count_as_wrong_guesses(harness: BotHarness) -> None:
    alex = await onboard(harness, 1001, "Alex")
    mallory = await onboard(harness, 6666, "Mallory")
    code = invite_code(await alex.send("/pair"))

    for guess in ["AAAAAAAAAA", "BBBBBBBBBB", "CCCCCCCCCC", "DDDDDDDDDD", "EEEEEEEEEE"]:
        assert (await mallory.press_data(f"pair:yes:{guess}")).toasts == [STALE]

    replies = await mallory.send(f"/join {code}")
    assert replies.texts == refusal("too_many_attempts", minutes=10)
    assert await active_couples(harness) == []


async def test_a_reflection_shared_while_unpaired_goes_to_the_next_partner_only(
    harness: BotHarness,
) -> None:
    """Shared before pairing means "for whoever I pair with": the first partner sees it; the
    one after never does, however the earlier pairing ended."""
    ivan = await onboard(harness, 1001, "Ivan")
    eve = await onboard(harness, 2002, "Eve")
    anna = await onboard(harness, 3003, "Anna")
    await open_reflection(ivan, 2)
    await ivan.send("Shared before I was paired")
    await ivan.press(TEXTS.notes.share_button)

    await pair(ivan, eve)
    assert "Shared before I was paired" in (await eve.send("/learn")).text
    await ivan.send("/unpair")
    await ivan.press(TEXTS.pairing.unpair_confirm_button)
    await pair(ivan, anna)

    assert "Shared before I was paired" not in (await anna.send("/learn")).text
