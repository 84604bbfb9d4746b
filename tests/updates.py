"""Telegram update JSON, as the Bot API delivers it: the one place the tests build it.

Every builder returns a plain JSON-able dict, the object Telegram would send, and takes its
ids and dates as arguments, so the harness, the HTTP fake and the fuzz test each bring their
own (a clock, a counter, a seeded random generator). An update is one object under its
kind, without ``update_id`` (whoever delivers it adds that)::

    alex = user(1001, "Alex")
    {"message": message(7, date, private_chat(1001, "Alex"), alex, **text("/start"))}
    {"edited_message": message(7, date, private_chat(1001), alex, **text("hi"), edit_date=date)}
    {"callback_query": callback_query("8", alex, "menu:help", the_bots_message)}
    {"my_chat_member": member_update(group_chat(-100), alex, date, bot, "left", "member")}

Content builders (:func:`text`, :func:`caption`) return the fields to spread into
:func:`message`; the others return the one object for a field (``sticker=sticker()``).
"""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]


# --- people and chats -----------------------------------------------------------------------


def user(
    user_id: int,
    first_name: str,
    *,
    language_code: str | None = "en",
    is_bot: bool = False,
    **extra: Any,
) -> Json:
    """A person (a message's or button press's ``from``); fields given as ``None`` are left
    out, as Telegram leaves out what a user has not set."""
    fields = {"language_code": language_code, **extra}
    return {
        "id": user_id,
        "is_bot": is_bot,
        "first_name": first_name,
        **{name: value for name, value in fields.items() if value is not None},
    }


def private_chat(user_id: int, first_name: str | None = None) -> Json:
    chat: Json = {"id": user_id, "type": "private"}
    if first_name is not None:
        chat["first_name"] = first_name
    return chat


def group_chat(chat_id: int, chat_type: str = "supergroup", title: str = "Friends") -> Json:
    """A group, supergroup or channel."""
    return {"id": chat_id, "type": chat_type, "title": title}


# --- messages -------------------------------------------------------------------------------


def message(message_id: int, date: int, chat: Json, sender: Json | None, **content: Any) -> Json:
    """A message in ``chat`` from ``sender`` (``None``: a channel post) with ``content``
    (``**text("hi")``, ``sticker=sticker()``, ``edit_date=...``, ``reply_markup=...``)."""
    value: Json = {"message_id": message_id, "date": date, "chat": chat}
    if sender is not None:
        value["from"] = sender
    value.update(content)
    return value


def inaccessible_message(message_id: int, chat: Json) -> Json:
    """What a button press carries for a message too old to be shown (date 0)."""
    return {"message_id": message_id, "date": 0, "chat": chat}


def _command_entity(value: str) -> list[Json]:
    """A leading ``/command`` marked as clients mark it (not a lone ``/`` or ``/ x``)."""
    if len(value) < 2 or not value.startswith("/") or value[1].isspace():
        return []
    return [{"type": "bot_command", "offset": 0, "length": len(value.split(maxsplit=1)[0])}]


def text(value: str) -> Json:
    """A message's ``text``, with the entity of a leading command."""
    content: Json = {"text": value}
    if entities := _command_entity(value):
        content["entities"] = entities
    return content


def caption(value: str | None) -> Json:
    """A media message's ``caption`` (none for ``None``), with the entity of a leading command."""
    if value is None:
        return {}
    content: Json = {"caption": value}
    if entities := _command_entity(value):
        content["caption_entities"] = entities
    return content


# --- what else a message can carry ----------------------------------------------------------


def file(file_id: str, unique_id: str, **fields: Any) -> Json:
    return {"file_id": file_id, "file_unique_id": unique_id, **fields}


def sticker(
    file_id: str = "CAACAgIAAxkBAAE",
    unique_id: str = "AgADsticker",
    *,
    emoji: str = "🐻",
    is_animated: bool = False,
) -> Json:
    return file(
        file_id,
        unique_id,
        type="regular",
        width=512,
        height=512,
        is_animated=is_animated,
        is_video=False,
        emoji=emoji,
    )


def photo(
    file_id: str = "AgACAgIAAxkBAAE", unique_id: str = "AQADphoto", widths: tuple[int, ...] = (90,)
) -> list[Json]:
    """The sizes of one photo, smallest first."""
    return [
        file(file_id, unique_id, width=width, height=width, file_size=width * 40)
        for width in widths
    ]


def voice(voice_file: Json, duration: int) -> Json:
    return {**voice_file, "duration": duration, "mime_type": "audio/ogg"}


def video_note(video_file: Json, duration: int) -> Json:
    return {**video_file, "length": 240, "duration": duration}


def video(video_file: Json) -> Json:
    return {**video_file, "width": 640, "height": 480, "duration": 5}


def animation(animation_file: Json) -> Json:
    return {**animation_file, "width": 320, "height": 240, "duration": 2}


def audio(audio_file: Json, title: str) -> Json:
    return {**audio_file, "duration": 180, "title": title}


def document(document_file: Json, file_name: str) -> Json:
    return {**document_file, "file_name": file_name, "mime_type": "application/octet-stream"}


def contact(user_id: int | None = None) -> Json:
    """A shared phone contact; with ``user_id``, one who uses Telegram (and a vCard)."""
    value: Json = {"phone_number": "+49 30 1234567", "first_name": "Sam"}
    if user_id is not None:
        value |= {"user_id": user_id, "vcard": "BEGIN:VCARD\nFN:<b>x</b>\nEND:VCARD"}
    return value


def location(latitude: float, longitude: float, **fields: Any) -> Json:
    return {"latitude": latitude, "longitude": longitude, **fields}


def venue(venue_location: Json, title: str, address: str) -> Json:
    return {"location": venue_location, "title": title, "address": address}


def dice(emoji: str, value: int) -> Json:
    return {"emoji": emoji, "value": value}


def poll(poll_id: str, question: str) -> Json:
    """An anonymous poll with the options ``a`` and ``b``, nobody has voted yet."""
    return {
        "id": poll_id,
        "question": question,
        "options": [
            {"text": "a", "voter_count": 0, "persistent_id": "0"},
            {"text": "b", "voter_count": 0, "persistent_id": "1"},
        ],
        "total_voter_count": 0,
        "is_closed": False,
        "is_anonymous": True,
        "type": "regular",
        "allows_multiple_answers": False,
        "allows_revoting": False,
        "members_only": False,
    }


def hidden_forward_origin(sender_name: str, date: int) -> Json:
    """The ``forward_origin`` of a message forwarded from someone who hides their account."""
    return {"type": "hidden_user", "sender_user_name": sender_name, "date": date}


# --- button presses -------------------------------------------------------------------------


def callback_query(
    query_id: str, sender: Json, data: str, message: Json, *, chat_instance: str | None = None
) -> Json:
    """A press on a button with ``data`` under ``message`` (the bot's message, as JSON)."""
    return {
        "id": query_id,
        "from": sender,
        "chat_instance": chat_instance or f"chat-{sender['id']}",
        "data": data,
        "message": message,
    }


# --- membership and the other update kinds ------------------------------------------------------


def chat_member(member: Json, status: str) -> Json:
    """``member`` (a user, or the bot) with ``status`` in a chat: "member", "left",
    "kicked" or "administrator"."""
    if status == "administrator":
        rights = ["can_manage_chat", "can_invite_users"]
        refused = [
            "can_be_edited", "is_anonymous", "can_delete_messages", "can_manage_video_chats",
            "can_restrict_members", "can_promote_members", "can_change_info",
            "can_post_stories", "can_edit_stories", "can_delete_stories",
        ]  # fmt: skip
        return {
            "user": member,
            "status": status,
            **dict.fromkeys(rights, True),
            **dict.fromkeys(refused, False),
        }
    if status == "kicked":
        return {"user": member, "status": status, "until_date": 0}
    return {"user": member, "status": status}


def member_update(
    chat: Json, sender: Json, date: int, member: Json, old_status: str, new_status: str
) -> Json:
    """``sender`` changed ``member``'s status in ``chat``: the body of a ``my_chat_member``
    update (``member`` is the bot: added to a group, blocked...) or of a ``chat_member`` one."""
    return {
        "chat": chat,
        "from": sender,
        "date": date,
        "old_chat_member": chat_member(member, old_status),
        "new_chat_member": chat_member(member, new_status),
    }


def message_reaction(chat: Json, message_id: int, sender: Json, date: int, emoji: str) -> Json:
    return {
        "chat": chat,
        "message_id": message_id,
        "user": sender,
        "date": date,
        "old_reaction": [],
        "new_reaction": [{"type": "emoji", "emoji": emoji}],
    }


def chat_join_request(chat: Json, sender: Json, date: int) -> Json:
    return {"chat": chat, "from": sender, "user_chat_id": sender["id"], "date": date}


def poll_answer(poll_id: str, sender: Json) -> Json:
    """A vote for the first option."""
    return {"poll_id": poll_id, "user": sender, "option_ids": [0], "option_persistent_ids": ["0"]}


def inline_query(query_id: str, sender: Json, query: str) -> Json:
    return {"id": query_id, "from": sender, "query": query, "offset": ""}
