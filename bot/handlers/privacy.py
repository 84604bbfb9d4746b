"""``/export``, ``/delete``, and leaving group chats the bot is added to."""

from __future__ import annotations

from telegram import (
    ChatMemberUpdated,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Update,
)
from telegram.constants import ChatMemberStatus
from telegram.ext import CallbackQueryHandler, ChatMemberHandler, CommandHandler

from bot.content import render
from bot.context import BotContext
from bot.handlers import callbacks
from bot.handlers.common import answer_query, edit_in_place
from bot.handlers.notify import notify
from bot.handlers.onboarding import PRIVATE_MESSAGES
from bot.handlers.replies import known_sender
from bot.handlers.send import reply, send_text
from bot.services import privacy
from bot.timezones import local_now


async def export(update: Update, context: BotContext) -> None:
    texts = context.texts.privacy
    now = context.now()
    async with context.session() as session:
        user = await known_sender(session, update, context)
        if user is None:
            return
        data = await privacy.export_user(session, user, now)
    day = local_now(user.time_zone or "UTC", now).date().isoformat()
    await context.bot.send_document(
        user.telegram_id,
        InputFile(data.json_bytes, filename=render(texts.export_filename, day=day)),
        caption=render(
            texts.export_summary,
            checkins=data.count("checkins"),
            moments=data.count("moments"),
            notes=data.count("notes"),
        ),
    )


async def ask_delete(update: Update, context: BotContext) -> None:
    texts = context.texts.privacy
    async with context.session() as session:
        user = await known_sender(session, update, context)
    if user is None:
        return
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    texts.delete_confirm_button,
                    callback_data=callbacks.data(callbacks.DELETE, "yes"),
                ),
                InlineKeyboardButton(
                    texts.delete_cancel_button,
                    callback_data=callbacks.data(callbacks.DELETE, "no"),
                ),
            ]
        ]
    )
    await reply(update, texts.delete_question, reply_markup=keyboard)


async def answer_delete(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    assert context.match is not None
    texts = context.texts.privacy
    now = context.now()
    async with context.session() as session:
        user = await known_sender(session, update, context)
        if user is None:
            return
        if context.match["payload"] == "no":
            await answer_query(update)
            await edit_in_place(update, texts.delete_kept, None)
            return
        partner = await privacy.delete_user(session, user, now)
    await answer_query(update)
    await edit_in_place(update, texts.deleted, None)
    if partner is not None:
        # The partner hears that the couple ended, nothing about the deletion.
        await notify(
            context,
            partner,
            render(context.texts.pairing.unpaired_partner, partner=user.first_name),
        )


async def added_to_group(update: Update, context: BotContext) -> None:
    """Added to a group or channel: say why not, and leave."""
    change: ChatMemberUpdated | None = update.my_chat_member
    if change is None or change.chat.type == "private":
        return
    if change.new_chat_member.status not in (
        ChatMemberStatus.MEMBER,
        ChatMemberStatus.ADMINISTRATOR,
    ):
        return
    if change.chat.type != "channel":
        await send_text(context.bot, change.chat.id, context.texts.group.joined)
    await context.bot.leave_chat(change.chat.id)


HANDLERS = [
    CommandHandler("export", export, filters=PRIVATE_MESSAGES),
    CommandHandler("delete", ask_delete, filters=PRIVATE_MESSAGES),
    CallbackQueryHandler(answer_delete, pattern=callbacks.pattern(callbacks.DELETE, "yes|no")),
    ChatMemberHandler(added_to_group, ChatMemberHandler.MY_CHAT_MEMBER),
]
