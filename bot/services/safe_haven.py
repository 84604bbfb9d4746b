"""The quiet safe-haven tip: when one partner says they were stressed today (the check-in or
``/stress``), the other gets one short idea from the framework's step 3 that same evening.

Both must have opted in. Like everything shown of a partner, the tip keeps the reveal rule: it
waits until the receiver has answered their own check-in of that day (or the day has closed),
and only a stressful moment of this couple's time together brings one. At most one tip per
receiver and local day; never in the receiver's
quiet hours (it waits for their morning); it never quotes what the stressed partner wrote,
and the stressed partner is not told of it: only the receiver is stored with a tip.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.content import render
from bot.content.together import TogetherContent
from bot.services.checkin_items import complete_by_counts, completion_rule
from bot.services.quiet_hours import awake_zones, in_quiet_hours, local_day
from bot.storage import pairing, safe_haven, users, week
from bot.storage.models import User
from bot.storage.safe_haven import TipToSend
from bot.storage.scope import sharing_paused

# A stressful moment is "today's" for this long: a late check-in's tip waits for the morning.
STRESS_WINDOW = timedelta(hours=18)
# A tip claimed by a process that died is sent again while this recent.
RESEND_WITHIN = timedelta(hours=6)
OFFERS_PER_RUN = 200


def tip_index(tips_so_far: int, tip_count: int) -> int:
    """The receiver's next tip: they go through all of them in order."""
    return tips_so_far % tip_count


async def claim_tips(
    session: AsyncSession,
    content_for: Callable[[str], TogetherContent],
    now: datetime,
    *,
    owner: str,
    lease: timedelta,
) -> list[TipToSend]:
    """Tips to send now, claimed for ``owner`` (each once: unique per receiver and day), each
    in its receiver's language (``content_for(user.language)``)."""
    lapsed = await safe_haven.lapsed_tips(
        session, lapsed_before=now - lease, since=now - RESEND_WITHIN
    )
    # One that waited into the receiver's night waits for their morning, as a new one does.
    claimed = [tip for tip, zone in lapsed if not in_quiet_hours(zone, now)]
    await safe_haven.claim_lapsed_tips(session, claimed, owner=owner, now=now)
    stressed = await safe_haven.stressed_since(session, now - STRESS_WINDOW)
    partnerships = await safe_haven.partners_of(session, list(stressed))
    people = await users.users_by_id(session, list(partnerships))
    # Only a stressful moment of this couple's time together (bot.storage.scope).
    partners = {
        stressed_id: partnership.partner
        for stressed_id, partnership in partnerships.items()
        if partnership.scope(people[stressed_id].time_zone).has_moment(
            local_day(people[stressed_id].time_zone, stressed[stressed_id]), stressed[stressed_id]
        )
    }
    history = await safe_haven.tip_history(session, [p.id for p in partners.values()])
    answered = await _own_day_done(session, partners, people, stressed, now)
    for stressed_id, receiver in partners.items():
        stressed_user = people[stressed_id]
        if not (stressed_user.safe_haven_tips and receiver.safe_haven_tips and receiver.active):
            continue
        if sharing_paused(stressed_user, receiver):
            continue  # a tip would tell of the other's day
        if in_quiet_hours(receiver.time_zone, now):
            continue  # the next run after their morning begins sends it
        if receiver.id not in answered:
            continue  # the reveal rule: their own day first (or it waits for the day to close)
        past = history.get(receiver.id)
        last = past.last_claimed_at if past is not None else None
        if last is not None and stressed[stressed_id] <= last:
            continue  # this stressful moment has had its tip
        texts = content_for(receiver.language).tips
        index = tip_index(past.count if past else 0, len(texts.items))
        body = render(texts.message, partner=stressed_user.first_name, tip=texts.items[index])
        tip_id = await safe_haven.claim_tip(
            session,
            receiver_id=receiver.id,
            local_date=local_day(receiver.time_zone, now),
            tip_index=index,
            body=body,
            owner=owner,
            now=now,
        )
        if tip_id is not None:
            day = local_day(stressed_user.time_zone, stressed[stressed_id])
            claimed.append(TipToSend(tip_id, receiver.id, receiver.telegram_id, body, day))
    return claimed


async def _own_day_done(
    session: AsyncSession,
    partners: dict[int, User],
    people: dict[int, User],
    stressed: dict[int, datetime],
    now: datetime,
) -> set[int]:
    """The receivers who may be told of their partner's day: the tip says something of it,
    and a partner's day shows only once you have answered yours (the reveal rule). "That
    day" is the stressed partner's local day of the moment: the receiver's check-in of the
    same date (or of their today, if their zone has not reached that date yet) must be
    answered in full, or that date must be over for them (the day closed)."""
    due: set[int] = set()
    waiting: dict[int, date] = {}
    for stressed_id, receiver in partners.items():
        day = local_day(people[stressed_id].time_zone, stressed[stressed_id])
        today = local_day(receiver.time_zone, now)
        if day < today:
            due.add(receiver.id)
        else:
            waiting[receiver.id] = min(day, today)
    if waiting:
        daily, skips = completion_rule()
        days = waiting.values()
        counted = await week.day_counts(session, list(waiting), min(days), max(days), daily, skips)
        for receiver_id, rows in counted.items():
            if any(
                row.day == waiting[receiver_id]
                and not row.skipped
                and complete_by_counts(row.answered, row.not_asked)
                for row in rows
            ):
                due.add(receiver_id)
    return due


async def record_sent(session: AsyncSession, tip_id: int, now: datetime) -> None:
    await safe_haven.mark_tip_sent(session, tip_id, now)


async def give_up(session: AsyncSession, tip_id: int) -> None:
    await safe_haven.give_up_tip(session, tip_id)


async def claim_offers(session: AsyncSession, now: datetime, *, lease: timedelta) -> list[User]:
    """Paired people never offered the tips and outside their quiet hours, claimed now; the
    caller marks each offered once it is sent (:func:`mark_offered`), so an offer that did
    not go is tried again once the claim lapses."""
    lapsed_before = now - lease
    zones = awake_zones(
        await safe_haven.zones_to_offer_tips(session, lapsed_before=lapsed_before), now
    )
    if not zones:
        return []
    offered = await safe_haven.users_to_offer_tips(
        session, zones=zones, lapsed_before=lapsed_before, limit=OFFERS_PER_RUN
    )
    for user in offered:
        user.tips_offer_claimed_at = now
    return offered


async def mark_offered(session: AsyncSession, user_id: int, now: datetime) -> None:
    """The offer went (or may have): it is made once."""
    await safe_haven.mark_tips_offered(session, user_id, now)


@dataclass(frozen=True)
class TipsChoice:
    enabled: bool
    # Both partners have said yes: tips can flow.
    both: bool


async def set_tips(session: AsyncSession, user: User, enabled: bool, now: datetime) -> TipsChoice:
    user.safe_haven_tips = enabled
    user.tips_offered_at = user.tips_offered_at or now
    user.updated_at = now
    partnership = await pairing.active_partnership(session, user.id)
    both = enabled and partnership is not None and partnership.partner.safe_haven_tips
    return TipsChoice(enabled, both)
