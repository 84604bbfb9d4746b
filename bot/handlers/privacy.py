"""``/export``, ``/delete``, and leaving group chats the bot is added to."""

from __future__ import annotations

import logging

from telegram import (
    Bot,
    BotCommandScopeChat,
    ChatMemberUpdated,
    InlineKeyboardMarkup,
    InputFile,
    Update,
)
from telegram.constants import ChatMemberStatus
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler, ChatMemberHandler, CommandHandler

from bot.content import Html, Texts, render
from bot.context import BotContext
from bot.handlers.turn import PRIVATE_MESSAGES, Handlers, Turn, for_known_sender
from bot.handlers.without_database import telegram_texts
from bot.services import privacy
from bot.timezones import local_now
from bot.views import callbacks, keyboards

logger = logging.getLogger(__name__)


@for_known_sender
async def export(turn: Turn) -> None:
    texts, user = turn.texts.privacy, turn.user
    data = await privacy.export_user(turn.session, user, turn.now, turn.texts, turn.together)
    day = local_now(user.time_zone or "UTC", turn.now).date().isoformat()
    document = InputFile(data.json_bytes, filename=render(texts.export_filename, day=day))
    bot = turn.context.bot
    caption = export_caption(turn.texts, data)
    turn.later(lambda: bot.send_document(user.telegram_id, document, caption=caption))


def export_caption(texts: Texts, data: privacy.Export) -> str:
    """What the file holds, exactly: the owner's own data, counted; of the partner's, only
    what they shared (counted), and what is not in it; the tips received, if any."""
    words, language = texts.privacy, texts.language
    parts = [
        render(
            words.export_summary,
            **{
                part: Html(plural.render(language, data.count(part)))
                for part, plural in (
                    ("checkins", words.checkins),
                    ("moments", words.moments),
                    ("notes", words.notes),
                )
            },
        )
    ]
    answers, appreciations = data.partner_answers, data.appreciations_received
    if answers or appreciations:
        parts.append(
            render(
                words.export_from_partner,
                answers=Html(words.answers.render(language, answers)),
                appreciations=Html(words.appreciations.render(language, appreciations)),
            )
        )
    else:
        parts.append(words.export_nothing_from_partner)
    if tips := data.count("safe_haven_tips_received"):
        parts.append(words.export_tips.render(language, tips))
    return "\n\n".join(parts)


@for_known_sender
async def ask_delete(turn: Turn) -> None:
    texts, quiet = turn.texts.privacy, turn.texts.quiet
    keyboard = InlineKeyboardMarkup(
        [
            [
                keyboards.button(texts.delete_confirm_button, callbacks.DELETE, "yes"),
                keyboards.button(quiet.delete_quiet_button, callbacks.DELETE, "quiet"),
            ],
            [keyboards.button(texts.delete_cancel_button, callbacks.DELETE, "no")],
        ]
    )
    turn.reply(f"{texts.delete_question}\n\n{quiet.delete_hint}", keyboard)


@for_known_sender
async def answer_delete(turn: Turn) -> None:
    texts, user = turn.texts.privacy, turn.user
    turn.answer()
    if turn.match["payload"] == "no":
        turn.edit(texts.delete_kept)
        return
    quietly = turn.match["payload"] == "quiet"
    # Quietly: the couple ends without a word to the partner (None comes back).
    partner = await privacy.delete_user(turn.session, user, turn.now, quietly=quietly)
    pressed = turn.query.message
    chat_id, bot = turn.chat_id, turn.context.bot
    last_words = f"{texts.deleted}\n\n{texts.clear_chat}"
    pressed_id = pressed.message_id if pressed is not None else None
    turn.later(lambda: clear_chat(bot, chat_id, last_words, pressed_id))
    # A language chosen with /language gave this chat a menu of its own; it goes too.
    scope = BotCommandScopeChat(chat_id)
    turn.later(lambda: bot.delete_my_commands(scope=scope))
    if partner is not None:
        # The partner hears that the couple ended, nothing about the deletion.
        turn.tell(
            partner,
            render(turn.texts_for(partner).pairing.unpaired_partner, partner=user.first_name),
        )


async def clear_chat(bot: Bot, chat_id: int, last_words: str, pressed_id: int | None) -> None:
    """After erasing (the commit is done): the last message, then every message below it that
    Telegram still lets the bot delete, the person's and the bot's (ids and their bound:
    :func:`bot.services.privacy.recent_message_batches`).

    The last message goes first because its id is the chat's newest: everything below it is
    the chat so far, including what the person typed after the question. Should it fail, the
    clearing still runs below the pressed question (inclusive), and the failure is logged.
    A batch Telegram refuses as a whole means what is left is older than it allows: stop."""
    newest = pressed_id + 1 if pressed_id is not None else None
    try:
        sent = await bot.send_message(chat_id, last_words)
        newest = sent.message_id
    finally:
        if newest is not None:
            for batch in privacy.recent_message_batches(newest):
                try:
                    await bot.delete_messages(chat_id, batch)
                except BadRequest as error:
                    logger.debug("clearing chat stopped: %s", error.message)
                    break


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
    CallbackQueryHandler(
        answer_delete, pattern=callbacks.pattern(callbacks.DELETE, "yes|quiet|no")
    ),
    ChatMemberHandler(added_to_group, ChatMemberHandler.MY_CHAT_MEMBER),
]
