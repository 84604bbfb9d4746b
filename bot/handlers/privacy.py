"""``/export``, ``/delete``, and leaving group chats the bot is added to."""

from __future__ import annotations

import logging

from telegram import (
    ChatMemberUpdated,
    InlineKeyboardMarkup,
    Update,
)
from telegram.constants import ChatMemberStatus
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
    filename = render(texts.export_filename, day=day)
    # Written with the update like any reply: a crash before it went sends it at start.
    turn.send_file(
        user.telegram_id,
        filename,
        data.json_bytes.decode("utf-8"),
        export_caption(turn.texts, data),
    )


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
    await privacy.forget_updates(turn.session, user, turn.update.update_id)
    pressed = turn.query.message
    # The last words, then the chat cleared below them and its own menu removed (a language
    # chosen with /language gave it one): written with the update like any reply, so a
    # crash before they ran does them at start (see bot.delivery).
    turn.last_words(f"{texts.deleted}\n\n{texts.clear_chat}", pressed.message_id if pressed else 1)
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
    CallbackQueryHandler(
        answer_delete, pattern=callbacks.pattern(callbacks.DELETE, "yes|quiet|no")
    ),
    ChatMemberHandler(added_to_group, ChatMemberHandler.MY_CHAT_MEMBER),
]
