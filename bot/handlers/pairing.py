"""``/pair``, ``/join``, invite deep links, ``/partner`` and ``/unpair``.

An invite arrives as ``/start <code>`` (the deep link) or ``/join <code>``. Someone new
first sees who invites them and gives consent; then everyone confirms the pairing with a
button. The partner on the other side is told of every outcome, but a failure to tell them
(they blocked the bot) never undoes what happened.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.content import render
from bot.context import BotContext
from bot.handlers import callbacks, keyboards
from bot.handlers.common import answer_query, edit_in_place, find_sender
from bot.handlers.notify import notify
from bot.handlers.onboarding import PRIVATE_MESSAGES, ask_open_question
from bot.handlers.replies import answer_stale_button, known_sender
from bot.handlers.send import reply, send_text
from bot.services import accounts, pairing
from bot.services.invite_codes import (
    ALPHABET,
    ATTEMPT_WINDOW,
    CODE_LENGTH,
    Refusal,
    deep_link,
    display_code,
    normalize_code,
)
from bot.storage.models import User
from bot.timezones import local_now

CODE_PAYLOAD = rf"(?P<code>[{ALPHABET}]{{{CODE_LENGTH}}})"
# A double tap, or a code that never came from one of our buttons: no message, just a toast.
STALE_REFUSALS = frozenset({Refusal.ALREADY_DONE, Refusal.UNKNOWN})


def _refusal_text(
    context: BotContext, refusal: Refusal, inviter: User | None, wait: timedelta | None
) -> str:
    template = getattr(context.texts.pairing.refusals, refusal.value)
    wait = wait if wait is not None else ATTEMPT_WINDOW
    minutes = max(1, round(wait.total_seconds() / 60))
    return render(template, inviter=inviter.first_name if inviter else "", minutes=minutes)


def _confirm_keyboard(context: BotContext, code: str) -> InlineKeyboardMarkup:
    texts = context.texts.pairing
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    texts.confirm_button,
                    callback_data=callbacks.data(callbacks.PAIR, f"yes:{code}"),
                ),
                InlineKeyboardButton(
                    texts.decline_button, callback_data=callbacks.data(callbacks.PAIR, f"no:{code}")
                ),
            ]
        ]
    )


async def _continue_onboarding(update: Update, context: BotContext, user: User) -> None:
    """After an invite is settled, a newcomer goes on with setting up."""
    pending = accounts.pending_of(user)
    if pending in accounts.ONBOARDING_QUESTIONS:
        await ask_open_question(update, context, pending)


# --- making an invite ---------------------------------------------------------------------


async def make_invite(update: Update, context: BotContext) -> None:
    """``/pair`` and the menu's button."""
    texts = context.texts.pairing
    now = context.now()
    ttl_hours = context.services.settings.invite_ttl_hours
    async with context.session() as session:
        user = await known_sender(session, update, context)
        if user is None:
            return
        current = await pairing.partnership_of(session, user)
        if current is None:
            invite = await pairing.create_invite(session, user, now, timedelta(hours=ttl_hours))
            await session.commit()
    if update.callback_query is not None:
        await answer_query(update)
    chat_id = user.telegram_id
    if current is not None:
        await send_text(
            context.bot, chat_id, render(texts.already_paired, partner=current.partner.first_name)
        )
        return
    link = deep_link(context.bot.username, invite.code)
    share_url = "https://t.me/share/url?" + urlencode({"url": link, "text": texts.share_text})
    await send_text(context.bot, chat_id, render(texts.invite_created, hours=ttl_hours))
    await send_text(
        context.bot,
        chat_id,
        render(texts.invite_message, link=link, code=display_code(invite.code)),
        reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton(texts.share_button, url=share_url)]]
        ),
    )


# --- arriving with a code -------------------------------------------------------------------


async def _offer(
    update: Update, context: BotContext, session: AsyncSession, user: User | None, code_text: str
) -> None:
    """Check a code someone brought and show them the invitation, or why it can't be used."""
    assert update.effective_user is not None
    code = normalize_code(code_text)
    preview = await pairing.preview_invite(
        session, code, telegram_id=update.effective_user.id, redeemer=user, now=context.now()
    )
    await session.commit()  # a wrong guess is recorded even though nothing else changes
    texts = context.texts
    chat_id = update.effective_user.id
    if user is None:
        # Nothing is stored before consent: the code rides along in the consent button.
        welcome = render(texts.onboarding.welcome, first_name=update.effective_user.first_name)
        consent = keyboards.consent(texts)
        if preview.refusal is None and preview.inviter is not None and code is not None:
            welcome = (
                render(texts.pairing.invited_newcomer, inviter=preview.inviter.first_name)
                + "\n\n"
                + welcome
            )
            consent = keyboards.consent(texts, invite_code=code)
        await send_text(context.bot, chat_id, welcome)
        if preview.refusal is not None:
            await send_text(
                context.bot,
                chat_id,
                _refusal_text(context, preview.refusal, preview.inviter, preview.retry_after),
            )
        await send_text(
            context.bot, chat_id, texts.onboarding.consent_question, reply_markup=consent
        )
        return
    if preview.refusal is not None or preview.inviter is None or code is None:
        refusal = preview.refusal or Refusal.UNKNOWN
        await send_text(
            context.bot,
            chat_id,
            _refusal_text(context, refusal, preview.inviter, preview.retry_after),
        )
        await _continue_onboarding(update, context, user)
        return
    await send_text(
        context.bot,
        chat_id,
        render(texts.pairing.confirm_question, inviter=preview.inviter.first_name),
        reply_markup=_confirm_keyboard(context, code),
    )


async def start_with_code(update: Update, context: BotContext) -> None:
    """``/start <code>``: the invite deep link."""
    assert context.args
    async with context.session() as session:
        user = await find_sender(session, update, context.now())
        await _offer(update, context, session, user, context.args[0])


async def join(update: Update, context: BotContext) -> None:
    """``/join <code>``: a code typed by hand."""
    if not context.args:
        await reply(update, context.texts.pairing.join_usage)
        return
    async with context.session() as session:
        user = await find_sender(session, update, context.now())
        await _offer(update, context, session, user, "".join(context.args))


async def consent_with_invite(update: Update, context: BotContext) -> None:
    """Consent given by someone who arrived through an invite: register, then offer it."""
    query = update.callback_query
    assert query is not None
    assert context.match is not None
    async with context.session() as session:
        if await find_sender(session, update, context.now()) is not None:
            await answer_stale_button(update, context)
            return
        user = await accounts.register_consenting_user(
            session,
            telegram_id=query.from_user.id,
            first_name=query.from_user.first_name,
            language_code=query.from_user.language_code,
            now=context.now(),
        )
        await session.commit()
        await answer_query(update)
        await edit_in_place(update, context.texts.onboarding.consent_accepted, None)
        await _offer(update, context, session, user, context.match["code"])


async def answer_invite(update: Update, context: BotContext) -> None:
    """The confirm / decline buttons under an invitation."""
    query = update.callback_query
    assert query is not None
    assert context.match is not None
    texts = context.texts.pairing
    agreed, code = context.match["answer"] == "yes", context.match["code"]
    now = context.now()
    async with context.session() as session:
        user = await known_sender(session, update, context)
        if user is None:
            return
        if not agreed:
            inviter = await pairing.decline_invite(session, code, user, now)
            if inviter is None:
                await answer_stale_button(update, context)
                return
            await answer_query(update)
            await edit_in_place(update, texts.declined_you, None)
            await notify(context, inviter, render(texts.declined_inviter, partner=user.first_name))
            await _continue_onboarding(update, context, user)
            return
        outcome = await pairing.redeem_invite(session, code, user, now)
    if isinstance(outcome, pairing.Refused) and outcome.refusal in STALE_REFUSALS:
        await answer_stale_button(update, context)
        return
    await answer_query(update)
    if isinstance(outcome, pairing.Refused):
        await edit_in_place(
            update, _refusal_text(context, outcome.refusal, outcome.inviter, None), None
        )
    else:
        await edit_in_place(
            update, render(texts.paired_you, partner=outcome.inviter.first_name), None
        )
        await notify(
            context, outcome.inviter, render(texts.paired_inviter, partner=user.first_name)
        )
    await _continue_onboarding(update, context, user)


# --- the pairing afterwards -----------------------------------------------------------------


async def _sender_and_partnership(
    update: Update, context: BotContext
) -> tuple[User, pairing.Partnership] | None:
    """The sender and their couple; ``None`` (having said why) if not started or not paired."""
    async with context.session() as session:
        user = await known_sender(session, update, context)
        if user is None:
            return None
        current = await pairing.partnership_of(session, user)
    if current is None:
        await reply(update, context.texts.pairing.not_paired)
        return None
    return user, current


async def show_partner(update: Update, context: BotContext) -> None:
    texts = context.texts.pairing
    found = await _sender_and_partnership(update, context)
    if found is None:
        return
    user, current = found
    since = local_now(user.time_zone or "UTC", current.since).strftime(texts.since_format)
    await reply(
        update, render(texts.partner_status, partner=current.partner.first_name, since=since)
    )


async def ask_unpair(update: Update, context: BotContext) -> None:
    texts = context.texts.pairing
    found = await _sender_and_partnership(update, context)
    if found is None:
        return
    _, current = found
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    texts.unpair_confirm_button,
                    callback_data=callbacks.data(callbacks.UNPAIR, f"yes:{current.couple_id}"),
                ),
                InlineKeyboardButton(
                    texts.unpair_cancel_button,
                    callback_data=callbacks.data(callbacks.UNPAIR, "no:0"),
                ),
            ]
        ]
    )
    await reply(
        update,
        render(texts.unpair_question, partner=current.partner.first_name),
        reply_markup=keyboard,
    )


async def answer_unpair(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    assert context.match is not None
    texts = context.texts.pairing
    async with context.session() as session:
        user = await known_sender(session, update, context)
        if user is None:
            return
        if context.match["answer"] == "no":
            await answer_query(update)
            await edit_in_place(update, texts.unpair_kept, None)
            return
        partner = await pairing.unpair(session, user, int(context.match["couple"]), context.now())
    if partner is None:
        await answer_stale_button(update, context)
        return
    await answer_query(update)
    await edit_in_place(update, render(texts.unpaired_you, partner=partner.first_name), None)
    await notify(context, partner, render(texts.unpaired_partner, partner=user.first_name))


HANDLERS = [
    # Before onboarding's /start: a deep link carries an invite code as the argument.
    CommandHandler("start", start_with_code, filters=PRIVATE_MESSAGES, has_args=True),
    CommandHandler("pair", make_invite, filters=PRIVATE_MESSAGES),
    CommandHandler("join", join, filters=PRIVATE_MESSAGES),
    CommandHandler("partner", show_partner, filters=PRIVATE_MESSAGES),
    CommandHandler("unpair", ask_unpair, filters=PRIVATE_MESSAGES),
    CallbackQueryHandler(
        consent_with_invite, pattern=callbacks.pattern(callbacks.CONSENT, rf"yes:{CODE_PAYLOAD}")
    ),
    CallbackQueryHandler(
        answer_invite,
        pattern=callbacks.pattern(callbacks.PAIR, rf"(?P<answer>yes|no):{CODE_PAYLOAD}"),
    ),
    CallbackQueryHandler(
        answer_unpair,
        pattern=callbacks.pattern(
            callbacks.UNPAIR, rf"(?P<answer>yes|no):(?P<couple>{callbacks.ID})"
        ),
    ),
    CallbackQueryHandler(make_invite, pattern=callbacks.pattern(callbacks.MENU, "pair")),
]
