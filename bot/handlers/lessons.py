"""``/learn`` and ``/checklist``: the course as cards in one message that is edited as the
reader moves, each step's reflection question, and the checklist of steps.

Button data names the framework and the page by their ids in the content files, so a button
from before a content change either still finds its page or says it is out of date.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.content import Framework, Html, Page, Texts, render
from bot.content.course import ID_PATTERN
from bot.handlers.notes import confirm_saved, refuse_if_too_long
from bot.handlers.onboarding import resume_setup
from bot.handlers.pending_input import InputRoute, open_question
from bot.handlers.turn import PRIVATE_MESSAGES, Handlers, Turn, for_known_sender
from bot.services import accounts, lessons, sharing
from bot.services.accounts import PendingInput
from bot.storage.models import User
from bot.timezones import local_now
from bot.views import callbacks, keyboards
from bot.views.text import shorten

OVERVIEW = "@"
_ID = ID_PATTERN.strip("^$")
_PAGE = r"[a-z0-9][a-z0-9_~-]{0,30}|@end|@"


def _go(label: str, framework: Framework, key: str) -> InlineKeyboardButton:
    return keyboards.button(label, callbacks.LEARN, f"{framework.id}:{key}")


# --- rendering ----------------------------------------------------------------------------


def _page_view(texts: Texts, framework: Framework, page: Page) -> tuple[str, InlineKeyboardMarkup]:
    words = texts.lessons
    pages = framework.pages()
    rows: list[list[InlineKeyboardButton]] = []
    if page.is_closing:
        return framework.closing, InlineKeyboardMarkup(
            [
                [
                    _go(words.overview_button, framework, OVERVIEW),
                    keyboards.button(words.checklist_button, callbacks.CHECK, f"{framework.id}:0"),
                ],
                [_go(words.restart_button, framework, pages[0].key)],
            ]
        )
    assert page.section is not None
    section_pages = [p for p in pages if p.section is page.section]
    header = render(
        words.card_header,
        section=page.section.title,
        position=section_pages.index(page) + 1,
        total=len(section_pages),
    )
    if page.card is not None:
        body = page.card.text
    else:
        body = render(
            words.practice,
            practice=Html(page.section.practice or ""),
            reflection=Html(page.section.reflection or ""),
        )
        rows.append(
            [
                keyboards.button(
                    words.reflect_button, callbacks.REFLECT, f"{framework.id}:{page.section.step}"
                )
            ]
        )
    moves = []
    if page.index > 0:
        moves.append(_go(words.back_button, framework, pages[page.index - 1].key))
    moves.append(_go(words.next_button, framework, pages[page.index + 1].key))
    rows += [moves, [_go(words.overview_button, framework, OVERVIEW)]]
    return f"{header}\n\n{body}", InlineKeyboardMarkup(rows)


async def _partner_line(
    texts: Texts, session: AsyncSession, user: User, framework: Framework
) -> tuple[str, bool] | None:
    """Which part of the course the partner is in, and the start of what they chose to share
    (never anything private); with whether there is something shared to read in full."""
    words = texts.lessons
    partnership = await sharing.sharing_partnership(session, user)
    if partnership is None:  # unpaired, or sharing paused: the course is one's own
        return None
    partner = partnership.partner.first_name
    where = await lessons.position_in(session, partnership.partner, framework)
    if where is None:
        line = render(words.partner_not_started, partner=partner)
    elif where.finished or where.page.section is None:
        line = render(words.partner_finished, partner=partner)
    else:
        line = render(words.partner_progress, partner=partner, where=where.page.section.title)
    shared = await lessons.partner_shared_reflections(session, partnership, framework)
    lines = [line] + [
        render(words.partner_reflection, partner=partner, step=title, text=shorten(body, 200))
        for title, body in shared
    ]
    return "\n".join(lines), bool(shared)


async def _overview_view(
    all_texts: Texts,
    session: AsyncSession,
    user: User,
    framework: Framework,
    pace: tuple[str, list[InlineKeyboardButton]] | None = None,
) -> tuple[str, InlineKeyboardMarkup]:
    texts = all_texts.lessons
    position = await lessons.position_in(session, user, framework)
    reached = position.page.index if position else -1
    lines, buttons = [], []
    for section in framework.sections:
        first = next(p for p in framework.pages() if p.section is section)
        done = position is not None and (position.finished or first.index < reached)
        mark = texts.visited_mark if done else texts.unvisited_mark
        lines.append(render(texts.overview_section, mark=mark, title=section.title))
        buttons.append(_go(section.title, framework, first.key))
    text = render(
        texts.overview,
        title=framework.title,
        tagline=framework.tagline,
        sections=Html("\n".join(lines)),
    )
    partner_line = await _partner_line(all_texts, session, user, framework)
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    if pace is not None:
        text += "\n\n" + pace[0]
        if pace[1]:
            rows.append(pace[1])
    if partner_line is not None:
        text += "\n\n" + partner_line[0]
        if partner_line[1]:
            rows.append(
                [keyboards.button(texts.partner_shared_button, callbacks.SHARED, framework.id)]
            )
    resume = position.page if position else framework.pages()[0]
    label = texts.continue_button if position else texts.start_button
    rows.append([_go(label, framework, resume.key)])
    return text, InlineKeyboardMarkup(rows)


def _pace(
    texts: Texts, practice: lessons.Practice | None, user: User, now: datetime
) -> tuple[str, list[InlineKeyboardButton]] | None:
    """A step a week: which step is this week's, and when the next is suggested (or that it
    is now, with a button to it). Reading ahead is never blocked."""
    if practice is None:
        return None
    words, framework = texts.lessons, practice.framework
    if practice.next_step is None:
        return render(words.pace_last_step, step=practice.step.title), []
    following = practice.next_step
    if practice.next_is_due(now):
        first = next(page for page in framework.pages() if page.section is following)
        button = _go(render(words.pace_next_button, step=following.title), framework, first.key)
        return render(words.pace_next_due, step=practice.step.title, next=following.title), [button]
    day = texts.date(local_now(user.time_zone or "UTC", practice.next_at), texts.checkin.day_format)
    return render(words.pace_this_week, step=practice.step.title, next=following.title, day=day), []


async def _practice(turn: Turn) -> lessons.Practice | None:
    return await lessons.current_practice(turn.session, turn.user, turn.frameworks, turn.now)


# --- /learn and moving ----------------------------------------------------------------------


@for_known_sender
async def learn(turn: Turn) -> None:
    """Open the course where they left off (or its overview the first time)."""
    frameworks, texts = turn.frameworks, turn.texts
    position, practice = await lessons.position_and_practice(
        turn.session, turn.user, frameworks, turn.now
    )
    pace = _pace(texts, practice, turn.user, turn.now)
    if position is not None:
        text, markup = _page_view(texts, position.framework, position.page)
        if pace is not None and pace[1]:  # a week has passed: the next step is suggested
            text = f"{pace[0]}\n\n{text}"
            markup = InlineKeyboardMarkup([pace[1], *markup.inline_keyboard])
    elif len(frameworks) == 1:
        [framework] = frameworks.values()
        text, markup = await _overview_view(texts, turn.session, turn.user, framework)
    else:
        text = texts.lessons.choose_framework
        markup = InlineKeyboardMarkup(
            [[_go(framework.title, framework, OVERVIEW)] for framework in frameworks.values()]
        )
    if turn.update.callback_query is not None:
        turn.answer()
    turn.send(turn.chat_id, text, markup)


@for_known_sender
async def go_to(turn: Turn) -> None:
    framework = turn.frameworks.get(turn.match["framework"])
    key = turn.match["page"]
    page = framework.page(key) if framework is not None and key != OVERVIEW else None
    if framework is None or (page is None and key != OVERVIEW):
        turn.stale()
        return
    if page is None:
        practice = await _practice(turn)
        pace = (
            _pace(turn.texts, practice, turn.user, turn.now)
            if practice is not None and practice.framework is framework
            else None
        )
        text, markup = await _overview_view(turn.texts, turn.session, turn.user, framework, pace)
    else:
        await lessons.move_to(turn.session, turn.user, framework, page, turn.now)
        text, markup = _page_view(turn.texts, framework, page)
    turn.answer()
    turn.edit(text, markup)


# --- reflections ----------------------------------------------------------------------------


def _step_of(turn: Turn, argument: str | None) -> tuple[Framework, int] | None:
    """The (framework, step) a stored or pressed ``framework:step`` still points to."""
    if not argument or ":" not in argument:
        return None
    framework_id, _, step_text = argument.partition(":")
    framework = turn.frameworks.get(framework_id)
    if framework is None or not step_text.isdigit():
        return None
    step = int(step_text)
    return (framework, step) if framework.step_section(step) is not None else None


@for_known_sender
async def ask_reflection(turn: Turn) -> None:
    target = _step_of(turn, f"{turn.match['framework']}:{turn.match['step']}")
    if target is None:
        turn.stale()
        return
    framework, step = target
    section = framework.step_section(step)
    assert section is not None and section.reflection is not None
    turn.answer()
    setup = await turn.unfinished_setup()
    if setup is not None:
        # The setup question must not be pushed aside: it is what schedules the evenings.
        resume_setup(turn, setup)
        return
    await open_question(turn, PendingInput.REFLECTION, argument=f"{framework.id}:{step}")
    turn.send(
        turn.user.telegram_id,
        render(turn.texts.lessons.reflection_prompt, reflection=Html(section.reflection)),
    )


async def reflection_answer(turn: Turn, text: str) -> None:
    if refuse_if_too_long(turn, text):
        return
    # If the step left the content since the question was asked, the words are still kept.
    target = _step_of(turn, accounts.pending_argument(turn.user))
    framework, step = target if target is not None else (None, None)
    note = await lessons.save_reflection(turn.session, turn.user, framework, step, text, turn.now)
    await accounts.open_question(turn.session, turn.user, None, turn.now)
    confirm_saved(turn, note, text)


async def reflection_not_text(turn: Turn) -> None:
    turn.reply(turn.texts.lessons.reflection_not_text)


@for_known_sender
async def read_partner_shared(turn: Turn) -> None:
    """What the partner shared in this course, in full (the overview shows its start)."""
    framework = turn.frameworks.get(turn.match["payload"])
    partnership = await sharing.sharing_partnership(turn.session, turn.user)
    if framework is None or partnership is None:
        turn.stale()
        return
    partner = partnership.partner
    shared = await lessons.partner_shared_reflections(turn.session, partnership, framework)
    if not shared:
        turn.stale()
        return
    turn.answer()
    for title, body in reversed(shared):  # oldest first, so the newest ends the chat
        turn.send(
            turn.chat_id,
            render(
                turn.texts.notes.reflection_shared_with_you,
                partner=partner.first_name,
                step=title,
                text=body,
            ),
        )


# --- the checklist --------------------------------------------------------------------------


def _checklist_view(
    all_texts: Texts, framework: Framework, ticked: set[int]
) -> tuple[str, InlineKeyboardMarkup]:
    texts = all_texts.lessons
    rows = []
    for section in framework.steps:
        template = texts.checklist_done if section.step in ticked else texts.checklist_open
        rows.append(
            [
                keyboards.button(
                    render(template, label=section.checklist),
                    callbacks.CHECK,
                    f"{framework.id}:{section.step}",
                )
            ]
        )
    rows.append([_go(texts.overview_button, framework, OVERVIEW)])
    return render(texts.checklist_title, title=framework.title), InlineKeyboardMarkup(rows)


async def _current_framework(turn: Turn) -> Framework:
    frameworks = turn.frameworks
    position = await lessons.latest_position(turn.session, turn.user, frameworks)
    return position.framework if position else next(iter(frameworks.values()))


@for_known_sender
async def show_checklist(turn: Turn) -> None:
    framework = await _current_framework(turn)
    ticked = await lessons.ticked_steps(turn.session, turn.user, framework)
    turn.reply(*_checklist_view(turn.texts, framework, ticked))


@for_known_sender
async def tick(turn: Turn) -> None:
    """A checklist button; step 0 (from the closing card) just opens the checklist."""
    framework = turn.frameworks.get(turn.match["framework"])
    step = int(turn.match["step"])
    if framework is None or (step != 0 and framework.step_section(step) is None):
        turn.stale()
        return
    if step == 0:
        ticked = await lessons.ticked_steps(turn.session, turn.user, framework)
    else:
        ticked = await lessons.toggle_step(turn.session, turn.user, framework, step, turn.now)
    turn.answer()
    text, markup = _checklist_view(turn.texts, framework, ticked)
    if step == 0:
        turn.send(turn.user.telegram_id, text, markup)
    else:
        turn.edit(text, markup)


REFLECTION_ROUTE = InputRoute(
    on_text=reflection_answer, on_other=reflection_not_text, keeps_words=True
)
INPUT_ROUTES = {PendingInput.REFLECTION: REFLECTION_ROUTE}

HANDLERS: Handlers = [
    CommandHandler("learn", learn, filters=PRIVATE_MESSAGES),
    CommandHandler("checklist", show_checklist, filters=PRIVATE_MESSAGES),
    CallbackQueryHandler(learn, pattern=callbacks.pattern(callbacks.MENU, "learn")),
    CallbackQueryHandler(
        go_to,
        pattern=callbacks.pattern(callbacks.LEARN, rf"(?P<framework>{_ID}):(?P<page>{_PAGE})"),
    ),
    CallbackQueryHandler(
        ask_reflection,
        pattern=callbacks.pattern(callbacks.REFLECT, rf"(?P<framework>{_ID}):(?P<step>\d{{1,2}})"),
    ),
    CallbackQueryHandler(read_partner_shared, pattern=callbacks.pattern(callbacks.SHARED, _ID)),
    CallbackQueryHandler(
        tick,
        pattern=callbacks.pattern(callbacks.CHECK, rf"(?P<framework>{_ID}):(?P<step>\d{{1,2}})"),
    ),
]
