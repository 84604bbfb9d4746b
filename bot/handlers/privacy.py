"""``/export``, ``/delete``, and leaving group chats the bot is added to."""

from __future__ import annotations

from telegram import BotCommandScopeChat, ChatMemberUpdated, InlineKeyboardMarkup, InputFile, Update
from telegram.constants import ChatMemberStatus
from telegram.ext import CallbackQueryHandler, ChatMemberHandler, CommandHandler

from bot.content import Html, render
from bot.context import BotContext
from bot.handlers.turn import PRIVATE_MESSAGES, Handlers, Turn, for_known_sender, telegram_texts
from bot.services import privacy
from bot.timezones import local_now
from bot.views import callbacks, keyboards


@for_known_sender
async def export(turn: Turn) -> None:
    texts, user = turn.texts.privacy, turn.user
    data = await privacy.export_user(turn.session, user, turn.now)
    day = local_now(user.time_zone or "UTC", turn.now).date().isoformat()
    document = InputFile(data.json_bytes, filename=render(texts.export_filename, day=day))
    language = turn.texts.language
    caption = render(
        texts.export_summary,
        **{
            part: Html(plural.render(language, data.count(part)))
            for part, plural in (
                ("checkins", texts.checkins),
                ("moments", texts.moments),
                ("notes", texts.notes),
            )
        },
    )
    bot = turn.context.bot
    turn.later(lambda: bot.send_document(user.telegram_id, document, caption=caption))


@for_known_sender
async def ask_delete(turn: Turn) -> None:
    texts = turn.texts.privacy
    keyboard = InlineKeyboardMarkup(
        [
            [
                keyboards.button(texts.delete_confirm_button, callbacks.DELETE, "yes"),
                keyboards.button(texts.delete_cancel_button, callbacks.DELETE, "no"),
            ]
        ]
    )
    turn.reply(texts.delete_question, keyboard)


@for_known_sender
async def answer_delete(turn: Turn) -> None:
    texts, user = turn.texts.privacy, turn.user
    turn.answer()
    if turn.match["payload"] == "no":
        turn.edit(texts.delete_kept)
        return
    partner = await privacy.delete_user(turn.session, user, turn.now)
    turn.edit(texts.deleted)
    # A language chosen with /language gave this chat a menu of its own; it goes too.
    scope, bot = BotCommandScopeChat(turn.chat_id), turn.context.bot
    turn.later(lambda: bot.delete_my_commands(scope=scope))
    if partner is not None:
        # The partner hears that the couple ended, nothing about the deletion.
        turn.tell(
            partner,
            render(turn.texts_for(partner).pairing.unpaired_partner, partner=user.first_name),
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
        await context.bot.send_message(change.chat.id, telegram_texts(update, context).group.joined)
    await context.bot.leave_chat(change.chat.id)


HANDLERS: Handlers = [
    CommandHandler("export", export, filters=PRIVATE_MESSAGES),
    CommandHandler("delete", ask_delete, filters=PRIVATE_MESSAGES),
    CallbackQueryHandler(answer_delete, pattern=callbacks.pattern(callbacks.DELETE, "yes|no")),
    ChatMemberHandler(added_to_group, ChatMemberHandler.MY_CHAT_MEMBER),
]
