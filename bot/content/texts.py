"""Typed loader for ``texts.toml``.

The file is validated into pydantic models when the bot starts: a missing field, an unknown
field (usually a typo) or a broken ``{placeholder}`` stops the bot with a message that names the
file and the field, instead of failing later in front of a user.
"""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path
from typing import Annotated, TypeVar

from pydantic import AfterValidator, BaseModel, Field, ValidationError, model_validator

from bot.content.couple_texts import (
    MiniAppTexts,
    MomentTexts,
    PauseTexts,
    QuietTexts,
    SharedDayTexts,
    SharingTexts,
    WeekTexts,
)
from bot.content.formats import (
    ButtonLabel,
    DatePattern,
    LanguageCode,
    Plural,
    Section,
    Template,
    format_day,
    format_number,
    plurals_in,
)
from bot.timezones import InvalidClockTimeError, InvalidZoneError, parse_clock_time, parse_zone

CONTENT_DIR = Path(__file__).resolve().parent
TEXTS_FILE = CONTENT_DIR / "texts.toml"

ModelT = TypeVar("ModelT", bound=BaseModel)


class ContentError(Exception):
    """A content file is broken; the message names the file and the field."""


def _check_clock(value: str) -> str:
    try:
        parse_clock_time(value)
    except InvalidClockTimeError:
        raise ValueError(f"{value!r} is not a time of day") from None
    return value


class OnboardingTexts(Section):
    welcome: Template
    consent_question: Template
    consent_yes_button: ButtonLabel
    consent_no_button: ButtonLabel
    consent_accepted: Template
    consent_declined: Template
    ask_time_zone: Template
    share_location_button: ButtonLabel
    # City names in the file's language ("Москва"): checked against it in Texts.
    common_zones: list[list[str]] = Field(min_length=1)
    zone_invalid: Template
    zone_not_text: Template
    location_unresolved: Template
    zone_saved: Template
    ask_checkin_time: Template
    suggested_times: list[Annotated[str, AfterValidator(_check_clock)]] = Field(min_length=1)
    suggested_time_mark: ButtonLabel
    time_invalid: Template
    time_not_text: Template
    done: Template
    welcome_back: Template
    resume: Template


class RefusalTexts(Section):
    unknown: Template
    expired: Template
    used: Template
    own: Template
    already_paired: Template
    inviter_paired: Template
    inviter_unavailable: Template
    too_many_attempts: Template


class PairingTexts(Section):
    invited_newcomer: Template
    invite_created: Template
    hours: Plural
    invite_message: Template
    share_button: ButtonLabel
    share_text: Template
    confirm_question: Template
    confirm_button: ButtonLabel
    decline_button: ButtonLabel
    paired_you: Template
    paired_inviter: Template
    next_checkin: Template
    next_after_setup: Template
    declined_you: Template
    declined_inviter: Template
    join_usage: Template
    partner_status: Template
    since_format: DatePattern
    not_paired: Template
    pairing_ended: Template
    pairing_ended_unnamed: Template
    refused_newcomer: Template
    unpair_question: Template
    unpair_confirm_button: ButtonLabel
    unpair_cancel_button: ButtonLabel
    unpaired_you: Template
    unpaired_partner: Template
    unpair_kept: Template
    already_paired: Template
    minutes: Plural
    refusals: RefusalTexts


class LessonTexts(Section):
    overview: Template
    overview_section: Template
    visited_mark: str
    unvisited_mark: str
    choose_framework: Template
    partner_progress: Template
    partner_not_started: Template
    partner_finished: Template
    partner_reflection: Template
    partner_shared_button: ButtonLabel
    pace_this_week: Template
    pace_next_due: Template
    pace_next_button: ButtonLabel
    pace_last_step: Template
    card_header: Template
    practice: Template
    next_button: ButtonLabel
    back_button: ButtonLabel
    overview_button: ButtonLabel
    continue_button: ButtonLabel
    start_button: ButtonLabel
    reflect_button: ButtonLabel
    restart_button: ButtonLabel
    checklist_button: ButtonLabel
    reflection_prompt: Template
    reflection_not_text: Template
    checklist_title: Template
    checklist_done: Template
    checklist_open: Template


class CheckinItemTexts(Section):
    question: Template
    short: Template
    options: dict[str, ButtonLabel] = Field(min_length=2)
    # The same answer shown to the partner, under this person's name: in the third person.
    partner_short: Template
    partner_options: dict[str, ButtonLabel] = Field(min_length=2)

    @model_validator(mode="after")
    def _partner_options_match(self) -> CheckinItemTexts:
        if self.partner_options.keys() != self.options.keys():
            raise ValueError("partner_options must have the same keys as options")
        return self


class CheckinTexts(Section):
    header: Template
    weekly_header: Template
    intro: Template
    answered_line: Template
    note_question: Template
    note_button: ButtonLabel
    done_button: ButtonLabel
    skip_button: ButtonLabel
    snooze_button: ButtonLabel
    finished: Template
    skipped: Template
    snoozed: Template
    closed: Annotated[str, Field(max_length=200)]  # a toast
    change_button: ButtonLabel
    change_question: Template
    change_back_button: ButtonLabel
    current_option: Template
    note_prompt: Template
    note_not_text: Template
    reminder: Template
    partner_nudge: Template
    practice_recall: Template
    appreciate_button: ButtonLabel
    day_format: DatePattern
    items: dict[str, CheckinItemTexts]
    # Typed words (or a sticker) while a check-in question waits: the question again.
    words_during_question: Template
    other_during_question: Template
    keep_words_button: ButtonLabel


class PrivacyTexts(Section):
    export_summary: Template
    checkins: Plural
    moments: Plural
    notes: Plural
    export_filename: Template
    delete_question: Template
    delete_confirm_button: ButtonLabel
    delete_cancel_button: ButtonLabel
    deleted: Template
    delete_kept: Template
    export_from_partner: Template
    export_nothing_from_partner: Template
    answers: Plural
    appreciations: Plural
    export_tips: Plural
    moment_kinds: dict[str, str]
    clear_chat: Template


class SupportTexts(Section):
    text: Template
    more_button: ButtonLabel
    more: Template


class CrisisTexts(Section):
    reply: Template


class HelplineTexts(Section):
    """The words around the helplines of ``helplines.toml`` (bot.views.helplines): the
    services' names and numbers stay as the services write them."""

    emergency: Template
    emergency_elsewhere: Template
    emergency_unknown: Template
    crisis: Template
    violence: Template
    directory: Template
    directory_for_country: Template
    line: Template
    link: Template
    qualified: Template
    women: str
    men: str
    # Between lines of one kind, and between the words in brackets (kept with their spaces).
    separator: str
    qualifier_separator: str
    more_country: Template
    more_emergency: Template
    more_crisis: Template
    more_violence: Template
    more_sexual_violence: Template


class GroupTexts(Section):
    joined: Template


class NoteTexts(Section):
    saved: Template
    shared: Template
    shared_unpaired: Template
    reflection_shared_with_you: Template
    note_shared_with_you: Template
    back_to_course_button: ButtonLabel
    share_button: ButtonLabel
    unshare_button: ButtonLabel
    too_long: Template


class JournalTexts(Section):
    title: Template
    empty: Template
    note_line: Template
    checkin_line: Template
    answer: Template
    answer_separator: str
    reflection_what: Template
    reflection_gone_what: str
    checkin_note_what: str
    note_what: str
    private_mark: str
    shared_mark: str
    open_button: ButtonLabel
    newer_button: ButtonLabel
    older_button: ButtonLabel
    note_view: Template
    edit_button: ButtonLabel
    delete_button: ButtonLabel
    back_button: ButtonLabel
    edit_prompt: Template
    edit_not_text: Template
    edited: Template
    edited_private: Template
    note_gone: Template
    delete_question: Template
    delete_confirm_button: ButtonLabel
    delete_cancel_button: ButtonLabel
    deleted: Template
    day_format: DatePattern
    draft_appreciation_what: str
    draft_reply_what: str
    draft_answer_what: str
    note_behind_tap: Template
    growing_up_waiting_what: str
    growing_up_kept_what: str


class QuestionTexts(Section):
    """When a command or a new question closes the open one; one name per question."""

    set_aside: Template
    reflection: str
    checkin_note: str
    note_edit: str
    settings_zone: str
    settings_time: str


class MenuTexts(Section):
    learn_button: ButtonLabel
    pair_button: ButtonLabel
    us_button: ButtonLabel
    journal_button: ButtonLabel
    settings_button: ButtonLabel
    help_button: ButtonLabel
    support_button: ButtonLabel
    thanks_button: ButtonLabel
    talk_button: ButtonLabel


class SettingsTexts(Section):
    summary: Template
    running_line: Template
    paused_line: Template
    nudge_on: str
    nudge_off: str
    nudge_button: ButtonLabel
    change_zone_button: ButtonLabel
    change_time_button: ButtonLabel
    weekly_day_button: ButtonLabel
    pause_button: ButtonLabel
    resume_button: ButtonLabel
    choose_weekly_day: Template
    weekdays: list[ButtonLabel] = Field(min_length=7, max_length=7)
    close_button: ButtonLabel
    closed: Template
    time_changed: Template
    weekly_day_set_together: Template
    weekly_day_changed_by_partner: Template
    question_day_aligned: Template
    together_button: ButtonLabel
    language_button: ButtonLabel
    weekly_day_set_quietly: Template


class LanguageTexts(Section):
    name: ButtonLabel
    choose: Template
    changed: Template
    offer: Template


class HelpTexts(Section):
    text: Template
    more_button: ButtonLabel
    more: Template


class BotCommandText(Section):
    command: Annotated[str, Field(pattern=r"^[a-z0-9_]{1,32}$")]
    description: Annotated[str, Field(min_length=1, max_length=256)]


class AdminTexts(Section):
    stats: Template


class ErrorTexts(Section):
    not_started: Template
    unknown_command: Template
    unexpected_text: Template
    unsupported_message: Template
    stale_button: Annotated[str, Field(max_length=200)]  # shown as a toast: short
    nothing_to_cancel: Template
    cancelled: Template
    group_chat: Template
    internal_error: Template
    database_unavailable: Annotated[str, Field(max_length=200)]  # also a toast


class Texts(Section):
    language: LanguageCode
    onboarding: OnboardingTexts
    pairing: PairingTexts
    lessons: LessonTexts
    checkin: CheckinTexts
    shared_day: SharedDayTexts
    moments: MomentTexts
    pause: PauseTexts
    us: WeekTexts
    privacy: PrivacyTexts
    support: SupportTexts
    crisis: CrisisTexts
    group: GroupTexts
    notes: NoteTexts
    journal: JournalTexts
    questions: QuestionTexts
    menu: MenuTexts
    settings: SettingsTexts
    languages: LanguageTexts
    help: HelpTexts
    commands: list[BotCommandText] = Field(min_length=1)
    admin: AdminTexts
    errors: ErrorTexts
    helplines: HelplineTexts
    quiet: QuietTexts
    sharing: SharingTexts
    mini_app: MiniAppTexts

    def date(self, day: date, pattern: str) -> str:
        """``day`` as this language writes it, by a CLDR pattern from these texts."""
        return format_day(day, pattern, self.language)

    def number(self, value: int) -> str:
        """``value`` with this language's digit grouping ("4.000", «4 000»)."""
        return format_number(value, self.language)

    @model_validator(mode="after")
    def _zone_buttons_understood(self) -> Texts:
        for zone in (zone for row in self.onboarding.common_zones for zone in row):
            try:
                parse_zone(zone, self.language)
            except InvalidZoneError:
                raise ValueError(
                    f"onboarding.common_zones: {zone!r} is not a time zone the bot understands"
                ) from None
        return self

    @model_validator(mode="after")
    def _every_plural_complete(self) -> Texts:
        for path, plural in plurals_in(self):
            if missing := plural.missing_forms(self.language):
                raise ValueError(f"{path} has no form for {', '.join(missing)} ({self.language})")
        return self


def _describe(error: dict[str, object]) -> str:
    location = ".".join(str(part) for part in error["loc"])  # type: ignore[attr-defined]
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "missing":
        message = "is missing"
    elif error["type"] == "extra_forbidden":
        message = "is not a known field (a typo?)"
    return f"{location} {message}".strip()


def load_toml_model(path: Path, model: type[ModelT]) -> ModelT:
    """Read a content file into ``model``; any problem is a :class:`ContentError` that names
    the file and the field, so an operator can fix it without reading a traceback."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ContentError(f"{path}: cannot be read ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ContentError(f"{path}: is not valid TOML ({exc})") from None
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise ContentError(f"{path}: {_describe(exc.errors()[0])}") from None  # type: ignore[arg-type]


def load_texts(path: Path = TEXTS_FILE) -> Texts:
    """Read and validate the texts; raises :class:`ContentError` naming file and field."""
    return load_toml_model(path, Texts)
