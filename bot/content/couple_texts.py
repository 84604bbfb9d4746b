"""The texts about the two of them, as typed sections of ``texts.toml``: the week (/us, its
details, the digest and what landed), the both-answered day, moments and pauses, days seen
differently, what is shared and the quiet way out, and the Mini App. Split from
:mod:`bot.content.texts`, which assembles every section into :class:`~bot.content.texts.Texts`."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from bot.content.formats import (
    ButtonLabel,
    DatePattern,
    Plural,
    Section,
    Template,
)


class SharedDayTexts(Section):
    """The both-answered moment: the day side by side, once both checked in."""

    title: Template
    you: Template
    partner: Template
    separator: str
    differ: Template
    talk_button: ButtonLabel


class MomentTexts(Section):
    bid_question: Template
    bid_made_button: ButtonLabel
    bid_noticed_button: ButtonLabel
    bid_made_outcome: Template
    bid_noticed_outcome: Template
    stress_question: Template
    stress_mine_button: ButtonLabel
    stress_partner_button: ButtonLabel
    stress_mine_outcome: Template
    stress_partner_outcome: Template
    logged: Template
    outcomes: dict[str, dict[str, ButtonLabel]]


class PauseTexts(Section):
    paused: Template
    resumed: Template
    not_paused: Template
    usage: Template
    before_setup: str


class DifferenceTexts(Section):
    """One line per area, direction of care, and who felt it landed (see texts.toml)."""

    bids_gave_you: Template
    bids_gave_partner: Template
    bids_got_you: Template
    bids_got_partner: Template
    harbor_gave_you: Template
    harbor_gave_partner: Template
    harbor_got_you: Template
    harbor_got_partner: Template
    encouragement_gave_you: Template
    encouragement_gave_partner: Template
    encouragement_got_you: Template
    encouragement_got_partner: Template


class LandedTexts(Section):
    """The first screen of /us and the digest: what landed, for the two of you together."""

    both_checked_in: Plural
    both_not_yet: Template
    solo_checked_in: Plural
    solo_not_yet: Template
    bids: Template
    harbor: Template
    solo_harbor: Template
    encouragement: Template
    solo_encouragement: Template
    times: Plural
    full_and_partly: Template
    only_partly: Template
    not_yet: Template
    gaps_title: Template
    gap_day: Template
    gap_separator: str
    more_gaps: Plural
    gap_note: Template
    bids_mark: str
    harbor_mark: str
    encouragement_mark: str
    # The details: a tally where the care landed only partly ("partly on 1 of 1 day").
    tally_only_partly: Plural
    # The day a guided talk ("talk about it") is about, at the start of its lines.
    guided_day_format: DatePattern


class WeekTexts(Section):
    title: Template
    solo_title: Template
    details_title: Template
    digest_intro: Template
    nothing_yet: Template
    differences_title: Template
    differences_hint: Template
    showing_up: Template
    solo_showing_up: Template
    streak: Plural
    moments: Plural
    matched_bids: Plural
    hidden: Plural
    invite_to_pair: Template
    bids_section: Template
    harbor_section: Template
    encouragement_section: Template
    consistency_section: Template
    notes_section: Template
    you_to_partner: Template
    partner_to_you: Template
    views: Template
    tally: Plural
    tally_partly: Plural
    no_answers: Template
    day_line: Template
    solo_day_line: Template
    marks_legend: Template
    mark_good: str
    mark_partly: str
    mark_missed: str
    mark_none: str
    streak_details: Template
    no_streak: Template
    my_note: Template
    partner_note: Template
    private_mark: str
    shared_mark: str
    more_notes: Plural
    earlier_button: ButtonLabel
    later_button: ButtonLabel
    details_button: ButtonLabel
    summary_button: ButtonLabel
    chart_button: ButtonLabel
    talk_button: ButtonLabel
    chart_already_sent: Annotated[str, Field(max_length=200)]  # a toast
    chart_caption: Template
    chart_you: str
    chart_partner: str
    chart_bids_title: str
    chart_bids_levels: list[str] = Field(min_length=4, max_length=4)
    chart_toward: str
    chart_not_toward: str
    chart_no_checkin: str
    chart_logged: str
    chart_appreciations: str
    chart_support_title: str
    chart_support_levels: list[str] = Field(min_length=3, max_length=3)
    day_format: DatePattern
    short_day_format: DatePattern
    differences: DifferenceTexts
    landed: LandedTexts


class MiniAppTexts(Section):
    """The Mini App's page: plain text, set as text (never as HTML) by its script."""

    open_button: ButtonLabel
    page_title: Template
    week_tab: Template
    journal_tab: Template
    landed_title: Template
    you: Template
    my_nothing: Template
    quiet_day: Template
    not_shared: Template
    after_yours: Template
    bids_area: Template
    harbor_area: Template
    encouragement_area: Template
    giving: Template
    receiving: Template
    seen_differently: Template
    talk_button: Template
    talk_started: Template
    swipe_hint: Template
    first_week: Template
    show_note_button: Template
    expired_title: Template
    expired_text: Template
    unknown_text: Template
    error_text: Template
    slow_down: Template
    checkin_what: Template
    kept_day: Template


class QuietTexts(Section):
    """A quiet way out: pausing sharing, ending quietly (bot.services.sharing)."""

    pause_button: ButtonLabel
    resume_button: ButtonLabel
    paused: Template
    resumed: Template
    not_paired: Annotated[str, Field(max_length=200)]  # a toast
    nothing_new: Template
    digest_intro: Template
    nothing_to_talk: Annotated[str, Field(max_length=200)]  # also a toast
    note_kept: Template
    sharing_ended: Template
    unpair_hint: Template
    unpair_quiet_button: ButtonLabel
    unpaired_quietly: Template
    delete_hint: Template
    delete_quiet_button: ButtonLabel


class SharingTexts(Section):
    """What a partner sees, said plainly; keeping a day to oneself."""

    first_checkin: Template
    checkin_kept: Template
    keep_button: ButtonLabel
    share_again_button: ButtonLabel
    kept: Template
    kept_already_sent: Template
    shared_again: Template
    not_paired: Template
    us_not_shared: Template
    day_separator: str
    journal_day: Template
    status_shared: Template
    status_kept: Template
    status_alone: Template
    settings_button: ButtonLabel
    settings_text: Template
    back_button: ButtonLabel
    open_day_button: ButtonLabel
