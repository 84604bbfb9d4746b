"""The reciprocity figures, computed on hand-built weeks (no database, no Telegram)."""

from __future__ import annotations

from datetime import date, timedelta

from bot.services.differences import MomentEntry, Tally
from bot.services.landed import AreaLanded, what_landed
from bot.services.reciprocity import (
    AppreciationEntry,
    NoteEntry,
    PersonDays,
    summarize,
    week_ending,
)
from bot.services.streak import couple_streak

TODAY = date(2026, 11, 29)  # a Sunday
WEEK = week_ending(TODAY)


def day(n: int) -> date:
    """Day n of the week, 0 = the oldest (Monday 23 Nov)."""
    return WEEK[n]


FULL = {
    "bids_noticed": "few",
    "bids_response": "toward",
    "bids_made": "met",
    "stressed_me": "no",
    "stressed_partner": "no",
}


def test_week_is_the_last_seven_local_days() -> None:
    assert tuple(date(2026, 11, d) for d in range(23, 30)) == WEEK


def test_empty_week() -> None:
    summary = summarize(WEEK, PersonDays({}), PersonDays({}), today=TODAY)

    assert summary.me.checked_in_days == 0
    assert summary.partner is not None
    assert summary.partner.checked_in_days == 0
    assert summary.bids_i_gave.as_giver_saw == Tally()
    assert summary.streak == 0
    assert summary.hidden_days == 0


def test_unpaired_sees_only_their_own_week() -> None:
    me = PersonDays({day(0): FULL, day(1): {**FULL, "bids_response": "missed"}})

    summary = summarize(WEEK, me, None, today=TODAY)

    assert not summary.paired
    assert (summary.me.checked_in_days, summary.me.bids_days, summary.me.toward_days) == (2, 2, 1)
    assert summary.bids_i_gave.as_giver_saw == Tally(good=1, missed=1)


def test_both_partners_side_by_side_and_the_gap_between_views() -> None:
    me = PersonDays({day(n): FULL for n in range(7)})
    # On days 2 and 4 my partner felt their bids were missed, though I say I turned toward.
    theirs = PersonDays(
        {day(n): {**FULL, "bids_made": "missed" if n in (2, 4) else "met"} for n in range(7)}
    )

    summary = summarize(WEEK, me, theirs, today=TODAY)

    assert summary.bids_i_gave.as_giver_saw == Tally(good=7)
    assert summary.bids_i_gave.as_receiver_felt == Tally(good=5, missed=2)
    assert summary.bids_i_gave.disagreed_days == (day(2), day(4))
    assert summary.bids_i_got.disagreed_days == ()
    assert (summary.me.toward_days, summary.me.bids_days) == (7, 7)


def test_partner_answers_are_revealed_only_for_days_i_answered() -> None:
    me = PersonDays({day(0): FULL, day(1): FULL})
    theirs = PersonDays({day(n): {**FULL, "bids_response": "away"} for n in range(5)})

    summary = summarize(WEEK, me, theirs, today=TODAY, answerable=day(2))

    assert summary.partner is not None
    # Shown up on five days; only the day I can still answer waits for my answer.
    assert summary.partner.checked_in_days == 5
    assert summary.hidden_days == 1
    assert summary.bids_i_got.as_giver_saw == Tally(missed=2)


def test_safe_harbor_both_directions() -> None:
    stressful = {"stressed_me": "yes", "stressed_partner": "yes"}
    me = PersonDays(
        {day(0): {**FULL, **stressful, "support_received": "no", "support_given": "yes"}}
    )
    theirs = PersonDays(
        {day(0): {**FULL, **stressful, "support_received": "somewhat", "support_given": "yes"}}
    )

    summary = summarize(WEEK, me, theirs, today=TODAY)

    # I say I was there when they were stressed; they felt "somewhat" supported.
    assert summary.harbor_i_gave.as_giver_saw == Tally(good=1)
    assert summary.harbor_i_gave.as_receiver_felt == Tally(partly=1)
    # They say they were there for me; I felt I was not supported: a gap worth a talk.
    assert summary.harbor_i_got.disagreed_days == (day(0),)


def test_calm_days_and_no_bids_count_as_nothing_to_give() -> None:
    quiet = {
        "bids_noticed": "none",
        "bids_made": "none",
        "stressed_me": "no",
        "stressed_partner": "no",
    }
    summary = summarize(WEEK, PersonDays({day(0): quiet}), PersonDays({day(0): quiet}), today=TODAY)

    assert not summary.harbor_i_gave.has_data
    assert summary.bids_i_gave.as_receiver_felt == Tally()
    assert summary.me.bids_days == 0


def test_encouragement_from_the_weekly_item() -> None:
    me = PersonDays({day(6): {**FULL, "encouraged_partner": "yes", "felt_encouraged": "no"}})
    theirs = PersonDays({day(6): {**FULL, "encouraged_partner": "no", "felt_encouraged": "yes"}})

    summary = summarize(WEEK, me, theirs, today=TODAY)

    assert summary.encouragement_i_gave.as_giver_saw == Tally(good=1)
    assert summary.encouragement_i_gave.as_receiver_felt == Tally(good=1)
    assert summary.encouragement_i_got.disagreed_days == ()
    assert summary.encouragement_i_got.as_giver_saw == Tally(missed=1)


def test_private_notes_never_cross_and_shared_ones_need_a_revealed_day() -> None:
    me = PersonDays({day(0): FULL}, notes=[NoteEntry(day(0), "mine", shared=False)])
    theirs = PersonDays(
        {day(0): FULL, day(1): FULL},
        notes=[
            NoteEntry(day(0), "their secret", shared=False),
            NoteEntry(day(0), "for you", shared=True),
            NoteEntry(day(1), "for you, later", shared=True),  # I haven't answered day 1
        ],
    )

    summary = summarize(WEEK, me, theirs, today=TODAY)

    assert [n.body for n in summary.my_notes] == ["mine"]
    assert [n.body for n in summary.partner_notes] == ["for you"]


def test_nothing_from_before_the_couple_began() -> None:
    me = PersonDays({day(n): FULL for n in range(7)})
    theirs = PersonDays({day(n): FULL for n in range(7)})

    summary = summarize(WEEK, me, theirs, today=TODAY, partner_since=day(4))

    assert summary.partner is not None
    assert summary.partner.checked_in_days == 3
    assert summary.hidden_days == 0
    assert summary.streak == 3


def test_partners_in_different_time_zones_compare_their_own_local_days() -> None:
    # Each side is keyed by its own local date; the same calendar date is compared.
    me = PersonDays({date(2026, 11, 28): FULL})
    theirs = PersonDays({date(2026, 11, 28): {**FULL, "bids_made": "missed"}})

    summary = summarize(WEEK, me, theirs, today=TODAY)

    assert summary.bids_i_gave.disagreed_days == (date(2026, 11, 28),)


def test_a_week_across_a_dst_change_still_has_seven_days() -> None:
    last = date(2026, 3, 31)  # Europe moved its clocks on 29 March
    days = week_ending(last)
    me = PersonDays({d: FULL for d in days})

    summary = summarize(days, me, PersonDays({d: FULL for d in days}), today=last)

    assert len(days) == 7
    assert summary.me.checked_in_days == 7
    assert summary.streak == 7


def test_streak_forgives_one_missed_day_but_not_two() -> None:
    both = {TODAY - timedelta(days=n): FULL for n in range(10) if n not in (3,)}
    assert couple_streak(both, both, TODAY) == 9

    gap_of_two = {TODAY - timedelta(days=n): FULL for n in range(10) if n not in (3, 4)}
    assert couple_streak(gap_of_two, gap_of_two, TODAY) == 3

    only_one = {TODAY - timedelta(days=n): FULL for n in range(5)}
    assert couple_streak(only_one, {}, TODAY) == 0


def test_today_does_not_break_the_streak_before_the_evening() -> None:
    history = {TODAY - timedelta(days=n): FULL for n in range(1, 6)}

    assert couple_streak(history, history, TODAY) == 5
    assert couple_streak({**history, TODAY: FULL}, {**history, TODAY: FULL}, TODAY) == 6


def test_chart_names_keep_only_what_the_font_can_draw() -> None:
    from bot.charts import drawable

    assert drawable("🦄 Sam", "Partner") == "Sam"
    assert drawable("🦄", "Partner") == "Partner"
    assert drawable("Zoë", "Partner") == "Zoë"


def test_a_half_answered_day_reveals_nothing_yet() -> None:
    me = PersonDays({day(0): {"bids_noticed": "few"}})  # one tap, then stopped
    theirs = PersonDays({day(0): {**FULL, "bids_made": "missed"}})

    summary = summarize(WEEK, me, theirs, today=TODAY)

    assert summary.partner is not None
    assert summary.partner.checked_in_days == 1  # they showed up; their answers wait
    assert summary.hidden_days == 0  # not the day I can still answer
    assert summarize(WEEK, me, theirs, today=TODAY, answerable=day(0)).hidden_days == 1
    assert summary.bids_i_gave.as_receiver_felt == Tally()


def test_a_dollar_sign_in_a_name_is_drawn_as_typed() -> None:
    from bot.charts import drawable

    assert drawable("$\\frac$", "Partner") == "$\\frac$"


def test_moments_count_with_the_check_in_of_their_day() -> None:
    me = PersonDays(
        {day(0): FULL},
        moments=[
            MomentEntry(day(0), "bid_noticed", "away"),  # with "toward" that day: partly
            MomentEntry(day(1), "stress_partner", "yes"),  # no check-in that day
        ],
    )

    summary = summarize(WEEK, me, None, today=TODAY)

    assert summary.bids_i_gave.as_giver_saw == Tally(partly=1)
    assert summary.harbor_i_gave.as_giver_saw == Tally(good=1)
    assert summary.me.moments == 2
    assert summary.me.checked_in_days == 1


# --- what landed: the lead of /us and the digest (dataclass in, dataclass out) ---------------

STRESSED_ME = {**FULL, "stressed_me": "yes", "support_received": "somewhat"}
THERE_FOR_THEM = {**FULL, "stressed_partner": "yes", "support_given": "yes"}


def test_what_landed_counts_for_the_two_together_and_partly_as_partly() -> None:
    # Day 0: I was stressed and my partner was there "somewhat"; day 1: only I checked in;
    # day 2: my partner felt a bid missed that I say I turned toward (a difference in view).
    me = PersonDays({day(0): STRESSED_ME, day(1): FULL, day(2): FULL})
    theirs = PersonDays(
        {day(0): THERE_FOR_THEM, day(2): {**FULL, "bids_made": "missed"}, day(3): FULL}
    )
    answered = AppreciationEntry(day(1), by_me=False, answered=True)

    lead = what_landed(summarize(WEEK, me, theirs, today=TODAY, appreciations=[answered]))

    assert lead.paired
    assert lead.checked_in_days == 2  # days 0 and 2: both, as far as revealed to me
    # "Somewhat" there for me is partly, not a miss (the receiver's feeling counts).
    assert lead.area("harbor") == AreaLanded("harbor", landed=0, partly=1, asked=1)
    # Bids both ways on days 0 to 2 (day 1 as I alone saw and felt it), the one missed as my
    # partner felt it on day 2 left out, and the appreciation answered counted in.
    assert lead.area("bids") == AreaLanded("bids", landed=6, partly=0, asked=7)
    assert not lead.area("encouragement").has_data
    assert [(gap.day, gap.area, gap.i_gave) for gap in lead.gaps] == [(day(2), "bids", True)]
    assert lead.gaps[0].giver_saw_it_land


def test_what_landed_alone_is_your_own_view_and_an_empty_week_has_nothing() -> None:
    lead = what_landed(summarize(WEEK, PersonDays({day(0): THERE_FOR_THEM}), None, today=TODAY))

    assert not lead.paired
    assert lead.checked_in_days == 1
    assert lead.area("harbor") == AreaLanded("harbor", landed=1, asked=1)
    assert lead.gaps == ()
    assert not what_landed(summarize(WEEK, PersonDays({}), None, today=TODAY)).anything
