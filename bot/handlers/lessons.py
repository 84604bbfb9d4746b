"""``/learn`` and ``/checklist``: the course as cards in one message that is edited as the
reader moves, each step's reflection question, and the checklist of steps.

Button data names the framework and the page by their ids in the content files, so a button
from before a content change either still finds its page or says it is out of date.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.content import Framework, Html, Page, render
from bot.content.course import ID_PATTERN
from bot.context import BotContext
from bot.handlers import callbacks, keyboards
from bot.handlers.common import answer_query, edit_in_place, shorten
from bot.handlers.input import InputRoute
from bot.handlers.notes import confirm_saved, refuse_if_too_long
from bot.handlers.onboarding import PRIVATE_MESSAGES, resume_setup
from bot.handlers.replies import answer_stale_button, known_sender
from bot.handlers.send import reply, send_text
from bot.services import accounts, lessons, pairing
from bot.services.accounts import PendingInput
from bot.storage.models import User

OVERVIEW = "@"
_ID = ID_PATTERN.strip("^$")
_PAGE = r"[a-z0-9][a-z0-9_~-]{0,30}|@end|@"


def _go(label: str, framework: Framework, key: str) -> InlineKeyboardButton:
    return keyboards.button(label, callbacks.LEARN, f"{framework.id}:{key}")


# --- rendering ----------------------------------------------------------------------------


def _page_view(
    context: BotContext, framework: Framework, page: Page
) -> tuple[str, InlineKeyboardMarkup]:
    texts = context.texts.lessons
    pages = framework.pages()
    rows: list[list[InlineKeyboardButton]] = []
    if page.is_closing:
        return framework.closing, InlineKeyboardMarkup(
            [
                [
                    _go(texts.overview_button, framework, OVERVIEW),
                    keyboards.button(texts.checklist_button, callbacks.CHECK, f"{framework.id}:0"),
                ],
                [_go(texts.restart_button, framework, pages[0].key)],
            ]
        )
    assert page.section is not None
    section_pages = [p for p in pages if p.section is page.section]
    header = render(
        texts.card_header,
        section=page.section.title,
        position=section_pages.index(page) + 1,
        total=len(section_pages),
    )
    if page.card is not None:
        body = page.card.text
    else:
        body = render(
            texts.practice,
            practice=Html(page.section.practice or ""),
            reflection=Html(page.section.reflection or ""),
        )
        rows.append(
            [
                keyboards.button(
                    texts.reflect_button, callbacks.REFLECT, f"{framework.id}:{page.section.step}"
                )
            ]
        )
    moves = []
    if page.index > 0:
        moves.append(_go(texts.back_button, framework, pages[page.index - 1].key))
    moves.append(_go(texts.next_button, framework, pages[page.index + 1].key))
    rows += [moves, [_go(texts.overview_button, framework, OVERVIEW)]]
    return f"{header}\n\n{body}", InlineKeyboardMarkup(rows)


async def _partner_line(
    context: BotContext, session: AsyncSession, user: User, framework: Framework
) -> str | None:
    """Which part of the course the partner is in: never anything they wrote."""
    texts = context.texts.lessons
    partnership = await pairing.partnership_of(session, user)
    if partnership is None:
        return None
    partner = partnership.partner.first_name
    where = await lessons.position_in(session, partnership.partner, framework)
    if where is None:
        line = render(texts.partner_not_started, partner=partner)
    elif where.finished or where.page.section is None:
        line = render(texts.partner_finished, partner=partner)
    else:
        line = render(texts.partner_progress, partner=partner, where=where.page.section.title)
    shared = await lessons.partner_shared_reflections(session, partnership.partner, framework)
    lines = [line] + [
        render(texts.partner_reflection, partner=partner, step=title, text=shorten(body, 200))
        for title, body in shared
    ]
    return "\n".join(lines)


async def _overview_view(
    context: BotContext, session: AsyncSession, user: User, framework: Framework
) -> tuple[str, InlineKeyboardMarkup]:
    texts = context.texts.lessons
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
    partner_line = await _partner_line(context, session, user, framework)
    if partner_line:
        text += "\n\n" + partner_line
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    resume = position.page if position else framework.pages()[0]
    label = texts.continue_button if position else texts.start_button
    rows.append([_go(label, framework, resume.key)])
    return text, InlineKeyboardMarkup(rows)


# --- /learn and moving ----------------------------------------------------------------------


async def learn(update: Update, context: BotContext) -> None:
    """Open the course where they left off (or its overview the first time)."""
    frameworks = context.services.frameworks
    async with context.session() as session:
        user = await known_sender(session, update, context)
        if user is None:
            return
        position = await lessons.latest_position(session, user, frameworks)
        if position is not None:
            text, markup = _page_view(context, position.framework, position.page)
        elif len(frameworks) == 1:
            [framework] = frameworks.values()
            text, markup = await _overview_view(context, session, user, framework)
        else:
            text = context.texts.lessons.choose_framework
            markup = InlineKeyboardMarkup(
                [[_go(framework.title, framework, OVERVIEW)] for framework in frameworks.values()]
            )
    if update.callback_query is not None:
        await answer_query(update)
    assert update.effective_chat is not None
    await send_text(context.bot, update.effective_chat.id, text, reply_markup=markup)


async def go_to(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    assert context.match is not None
    framework = context.services.frameworks.get(context.match["framework"])
    key = context.match["page"]
    page = framework.page(key) if framework is not None and key != OVERVIEW else None
    if framework is None or (page is None and key != OVERVIEW):
        await answer_stale_button(update, context)
        return
    async with context.session() as session:
        user = await known_sender(session, update, context)
        if user is None:
            return
        if page is None:
            text, markup = await _overview_view(context, session, user, framework)
        else:
            await lessons.move_to(session, user, framework, page, context.now())
            await session.commit()
            text, markup = _page_view(context, framework, page)
    await answer_query(update)
    await edit_in_place(update, text, markup)


# --- reflections ----------------------------------------------------------------------------


def _step_of(context: BotContext, argument: str | None) -> tuple[Framework, int] | None:
    """The (framework, step) a stored or pressed ``framework:step`` still points to."""
    if not argument or ":" not in argument:
        return None
    framework_id, _, step_text = argument.partition(":")
    framework = context.services.frameworks.get(framework_id)
    if framework is None or not step_text.isdigit():
        return None
    step = int(step_text)
    return (framework, step) if framework.step_section(step) is not None else None


async def ask_reflection(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    assert context.match is not None
    target = _step_of(context, f"{context.match['framework']}:{context.match['step']}")
    if target is None:
        await answer_stale_button(update, context)
        return
    framework, step = target
    section = framework.step_section(step)
    assert section is not None and section.reflection is not None
    now = context.now()
    async with context.session() as session:
        user = await known_sender(session, update, context)
        if user is None:
            return
        setup = await accounts.restore_setup(session, user, now)
        if setup is None:
            await accounts.open_question(
                session, user, PendingInput.REFLECTION, now, argument=f"{framework.id}:{step}"
            )
        await session.commit()
    await answer_query(update)
    if setup is not None:
        # The setup question must not be pushed aside: it is what schedules the evenings.
        await resume_setup(update, context, user, setup)
        return
    await send_text(
        context.bot,
        user.telegram_id,
        render(context.texts.lessons.reflection_prompt, reflection=Html(section.reflection)),
    )


async def reflection_answer(
    update: Update, context: BotContext, session: AsyncSession, user: User, text: str
) -> None:
    if await refuse_if_too_long(update, context, text):
        return
    # If the step left the content since the question was asked, the words are still kept.
    target = _step_of(context, accounts.pending_argument(user))
    framework, step = target if target is not None else (None, None)
    note = await lessons.save_reflection(session, user, framework, step, text, context.now())
    await accounts.open_question(session, user, None, context.now())
    await session.commit()
    await confirm_saved(update, context, note.id, text)


async def reflection_not_text(
    update: Update, context: BotContext, session: AsyncSession, user: User
) -> None:
    await reply(update, context.texts.lessons.reflection_not_text)


# --- the checklist --------------------------------------------------------------------------


def _checklist_view(
    context: BotContext, framework: Framework, ticked: set[int]
) -> tuple[str, InlineKeyboardMarkup]:
    texts = context.texts.lessons
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


async def _current_framework(context: BotContext, session: AsyncSession, user: User) -> Framework:
    frameworks = context.services.frameworks
    position = await lessons.latest_position(session, user, frameworks)
    return position.framework if position else next(iter(frameworks.values()))


async def show_checklist(update: Update, context: BotContext) -> None:
    async with context.session() as session:
        user = await known_sender(session, update, context)
        if user is None:
            return
        framework = await _current_framework(context, session, user)
        text, markup = _checklist_view(
            context, framework, await lessons.ticked_steps(session, user, framework)
        )
    await reply(update, text, reply_markup=markup)


async def tick(update: Update, context: BotContext) -> None:
    """A checklist button; step 0 (from the closing card) just opens the checklist."""
    query = update.callback_query
    assert query is not None
    assert context.match is not None
    framework = context.services.frameworks.get(context.match["framework"])
    step = int(context.match["step"])
    if framework is None or (step != 0 and framework.step_section(step) is None):
        await answer_stale_button(update, context)
        return
    async with context.session() as session:
        user = await known_sender(session, update, context)
        if user is None:
            return
        if step == 0:
            ticked = await lessons.ticked_steps(session, user, framework)
        else:
            ticked = await lessons.toggle_step(session, user, framework, step, context.now())
            await session.commit()
    await answer_query(update)
    text, markup = _checklist_view(context, framework, ticked)
    if step == 0:
        await send_text(context.bot, user.telegram_id, text, reply_markup=markup)
    else:
        await edit_in_place(update, text, markup)


REFLECTION_ROUTE = InputRoute(
    on_text=reflection_answer, on_other=reflection_not_text, keeps_words=True
)
INPUT_ROUTES = {PendingInput.REFLECTION: REFLECTION_ROUTE}

HANDLERS = [
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
    CallbackQueryHandler(
        tick,
        pattern=callbacks.pattern(callbacks.CHECK, rf"(?P<framework>{_ID}):(?P<step>\d{{1,2}})"),
    ),
]
