"""Pairing two partners through the real Application: invites, refusals, races, unpairing."""

from __future__ import annotations

import asyncio

from sqlalchemy import select, update

from bot.storage.models import Couple, CoupleMember, Invite, User
from tests.harness import BotHarness
from tests.journeys import STALE, invite_code, onboard, pair


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
    assert f"/join {code[:5]}-{code[5:]}" in replies.text
    assert "48 hours" in replies.text

    sam = harness.user(2002, "Sam")
    welcome = await sam.send(f"/start {code}")
    assert "Alex invited you to pair up" in welcome.text
    assert "Hi Sam" in welcome.text

    consented = await sam.press("Yes")
    assert "Alex invited you to pair up" in consented.text
    assert "Pair with Alex?" in consented.text

    paired = await sam.press("Yes, pair us")
    assert "You and Alex are now paired 💞" in paired.text
    assert "where are you in time" in paired.text  # Sam's onboarding goes on
    assert alex.last_message.text == "Sam accepted your invite: you're now paired 💞"
    assert await active_couples(harness) == [{1001, 2002}]

    await sam.send("Lisbon")
    await sam.press("21:00")
    assert "paired with Sam since 27 November 2026" in (await alex.send("/partner")).text
    assert "paired with Alex" in (await sam.send("/partner")).text


async def test_typed_code_in_any_case_with_spaces(harness: BotHarness) -> None:
    alex = await onboard(harness, 1001, "Alex")
    sam = await onboard(harness, 2002, "Sam")
    code = invite_code(await alex.send("/pair"))

    replies = await sam.send(f"/join {code[:5].lower()} {code[5:].lower()}")
    assert "Pair with Alex?" in replies.text
    await sam.press("Yes, pair us")

    assert await active_couples(harness) == [{1001, 2002}]


async def test_menu_button_gives_an_invite(harness: BotHarness) -> None:
    alex = await onboard(harness, 1001, "Alex")

    replies = await alex.press("Invite partner")

    invite_code(replies)
    assert any(button.get("url", "").startswith("https://t.me/share/url?") for button in
               alex.last_message.buttons)  # fmt: skip


async def test_decline_tells_the_inviter_kindly(harness: BotHarness) -> None:
    alex = await onboard(harness, 1001, "Alex")
    sam = await onboard(harness, 2002, "Sam")
    code = invite_code(await alex.send("/pair"))
    await sam.send(f"/join {code}")

    replies = await sam.press("No, thanks")

    assert "no pairing" in replies.text
    assert "Sam decided not to pair right now" in alex.last_message.text
    assert await active_couples(harness) == []
    again = await sam.send(f"/join {code}")  # a declined invite is closed
    assert "already been used" in again.text


async def test_refusals(harness: BotHarness) -> None:
    alex = await onboard(harness, 1001, "Alex")
    sam = await onboard(harness, 2002, "Sam")
    kim = await onboard(harness, 3003, "Kim")
    code = invite_code(await alex.send("/pair"))

    assert "your own invite" in (await alex.send(f"/join {code}")).text
    assert "don't know that code" in (await sam.send("/join ABCDE-FGHJK")).text
    assert "Send the code with the command" in (await sam.send("/join")).text

    await sam.send(f"/join {code}")
    await sam.press("Yes, pair us")
    assert "already been used" in (await kim.send(f"/join {code}")).text

    kim_code = invite_code(await kim.send("/pair"))
    assert "already paired" in (await sam.send(f"/join {kim_code}")).text
    assert "already paired with Sam" in (await alex.send("/pair")).text
    assert await active_couples(harness) == [{1001, 2002}]


async def test_expired_invite(harness: BotHarness) -> None:
    alex = await onboard(harness, 1001, "Alex")
    sam = await onboard(harness, 2002, "Sam")
    code = invite_code(await alex.send("/pair"))

    harness.clock.advance(hours=48, seconds=1)
    replies = await sam.send(f"/join {code}")

    assert "That invite has expired. Ask Alex to send a new one with /pair." in replies.text


async def test_asking_again_replaces_the_invite(harness: BotHarness) -> None:
    alex = await onboard(harness, 1001, "Alex")
    sam = await onboard(harness, 2002, "Sam")
    first = invite_code(await alex.send("/pair"))
    second = invite_code(await alex.send("/pair"))

    assert first != second
    assert "already been used" in (await sam.send(f"/join {first}")).text
    assert "Pair with Alex?" in (await sam.send(f"/join {second}")).text


async def test_invite_whose_author_paired_with_someone_else(harness: BotHarness) -> None:
    alex = await onboard(harness, 1001, "Alex")
    sam = await onboard(harness, 2002, "Sam")
    kim = await onboard(harness, 3003, "Kim")
    code = invite_code(await alex.send("/pair"))
    await kim.send(f"/join {code}")  # Kim looks at it but does not confirm yet
    await pair(sam, alex)  # meanwhile Alex pairs with Sam through Sam's invite

    replies = await kim.press("Yes, pair us")

    assert "Alex has paired with someone else since" in replies.text
    assert await active_couples(harness) == [{1001, 2002}]


async def test_inviter_who_blocked_the_bot_or_left(harness: BotHarness) -> None:
    alex = await onboard(harness, 1001, "Alex")
    sam = await onboard(harness, 2002, "Sam")
    code = invite_code(await alex.send("/pair"))
    async with harness.session() as session:
        await session.execute(update(User).where(User.telegram_id == 1001).values(active=False))
        await session.commit()

    assert "Alex isn't reachable here right now" in (await sam.send(f"/join {code}")).text
    async with harness.session() as session:
        await session.execute(update(User).where(User.telegram_id == 1001).values(active=True))
        await session.delete(await session.scalar(select(User).where(User.telegram_id == 1001)))
        await session.commit()
    assert "don't know that code" in (await sam.send(f"/join {code}")).text


async def test_guessing_is_slowed_down(harness: BotHarness) -> None:
    alex = await onboard(harness, 1001, "Alex")
    mallory = await onboard(harness, 6666, "Mallory")
    code = invite_code(await alex.send("/pair"))

    for guess in ["AAAAAAAAAA", "BBBBBBBBBB", "CCCCCCCCCC", "DDDDDDDDDD", "not-a-code"]:
        assert "don't know that code" in (await mallory.send(f"/join {guess}")).text
    blocked = await mallory.send(f"/join {code}")  # even the right code must wait now

    assert "Please wait 10 minutes" in blocked.text
    harness.clock.advance(minutes=10, seconds=1)
    assert "Pair with Alex?" in (await mallory.send(f"/join {code}")).text


async def test_double_tap_and_forged_buttons_change_nothing(harness: BotHarness) -> None:
    alex = await onboard(harness, 1001, "Alex")
    sam = await onboard(harness, 2002, "Sam")
    code = invite_code(await alex.send("/pair"))
    await sam.send(f"/join {code}")
    question, data = sam.find_button("Yes, pair us")
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
    assert "End your pairing with Alex?" in question.text
    kept = await sam.press("Keep it")
    assert "nothing changed" in kept.text
    assert await active_couples(harness) == [{1001, 2002}]

    await sam.send("/unpair")
    replies = await sam.press("End pairing")
    assert "Your pairing with Alex has ended" in replies.text
    assert "Sam has ended your pairing" in alex.last_message.text
    assert await active_couples(harness) == []
    assert "not paired yet" in (await alex.send("/partner")).text

    await pair(kim, alex)
    assert await active_couples(harness) == [{1001, 3003}]


async def test_old_unpair_button_after_repairing_does_nothing(harness: BotHarness) -> None:
    alex = await onboard(harness, 1001, "Alex")
    sam = await onboard(harness, 2002, "Sam")
    await pair(alex, sam)
    await sam.send("/unpair")
    question, data = sam.find_button("End pairing")
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

    replies = await sam.press("Yes, pair us")

    assert "You and Alex are now paired" in replies.text
    assert await active_couples(harness) == [{1001, 2002}]
    async with harness.session() as session:
        assert await session.scalar(select(User.active).where(User.telegram_id == 1001)) is False

    await sam.send("/unpair")
    assert "has ended" in (await sam.press("End pairing")).text
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
    paired = await sam.press("Yes, pair us")

    assert "Pair with <i>Al & Co</i>?" in offered.text
    assert "You and <i>Al & Co</i> are now paired" in paired.text
    assert alex.last_message.text.startswith("Sam </b> accepted your invite")


async def test_fifty_simultaneous_redemptions_make_one_couple(harness: BotHarness) -> None:
    alex = await onboard(harness, 1001, "Alex")
    code = invite_code(await alex.send("/pair"))
    people = [await onboard(harness, 5000 + n, f"P{n}") for n in range(50)]
    buttons = []
    for person in people:
        await person.send(f"/join {code}")
        buttons.append(person.find_button("Yes, pair us"))

    results = await asyncio.gather(
        *(
            person.press_data(data, message=msg)
            for person, (msg, data) in zip(people, buttons, strict=True)
        )
    )

    winners = [r for r in results if "are now paired" in r.text]
    assert len(winners) == 1
    # Depending on when each one looked, the invite was used or Alex was taken: both true.
    assert all(
        "already been used" in r.text or "Alex has paired with someone else" in r.text
        for r in results
        if r not in winners
    )
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
    assert "Please wait" in replies.text
    assert await active_couples(harness) == []
