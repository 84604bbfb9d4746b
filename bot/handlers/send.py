"""Send and edit messages without building PTB's ``Message`` from Telegram's answer.

PTB turns every answer into a full ``Message`` (its chat, its sender, every button of its
keyboard), which cost about a tenth of the bot's CPU per update; the bot never looks at it
beyond, at most, the new message's id. These are the same Bot API calls with the same
parameters, and the rate limiter and the error mapping (403, 429, 400) apply as to any call.
The lower-case method names mark them as deliberate raw calls: PTB warns about raw calls to
methods it wraps when they are spelled its way.
"""

from __future__ import annotations

from telegram import Bot, InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.constants import ChatType, ParseMode

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove


async def send_text(bot: Bot, chat_id: int, text: str, reply_markup: Markup | None = None) -> int:
    """``sendMessage`` (HTML, like every text of ours); returns the new message's id."""
    api_kwargs: dict[str, object] = {"chat_id": chat_id, "text": text, "parse_mode": ParseMode.HTML}
    if reply_markup is not None:
        api_kwargs["reply_markup"] = reply_markup
    result = await bot.do_api_request("sendmessage", api_kwargs=api_kwargs)
    return int(result["message_id"])


async def reply(update: Update, text: str, reply_markup: Markup | None = None) -> int:
    """Answer in the chat the update came from.

    Outside a plain private chat (a group, where the answer should quote the command, or a
    topic, where it must stay in the topic) PTB's ``reply_text`` does what is needed.
    """
    chat = update.effective_chat
    assert chat is not None  # handlers that reply are registered for chats only
    message = update.effective_message
    if message is not None and (chat.type != ChatType.PRIVATE or message.is_topic_message):
        return (await message.reply_text(text, reply_markup=reply_markup)).message_id
    return await send_text(update.get_bot(), chat.id, text, reply_markup)


async def edit_text(
    bot: Bot, chat_id: int, message_id: int, text: str, reply_markup: InlineKeyboardMarkup | None
) -> None:
    """``editMessageText``: new text and buttons (``None``: none) for a message of ours."""
    api_kwargs: dict[str, object] = {
        "chat_id": chat_id,
        "message_id": message_id,
        "text": text,
        "parse_mode": ParseMode.HTML,
    }
    if reply_markup is not None:
        api_kwargs["reply_markup"] = reply_markup
    await bot.do_api_request("editmessagetext", api_kwargs=api_kwargs)
