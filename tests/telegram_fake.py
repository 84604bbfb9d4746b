"""A fake Telegram Bot API, faithful enough to catch what the real one would reject.

:class:`FakeBotApi` holds the state (messages in each chat, recorded calls, blocked chats,
injected failures) and answers Bot API methods. Two transports put it at PTB's HTTP boundary:
:class:`FakeRequest` (an in-process ``BaseRequest``) and, in ``tests/fake_server.py``, a real
HTTP server on 127.0.0.1 for end-to-end runs of ``python -m bot``.

Like Telegram, it refuses HTML that does not parse, texts over 4096 characters, callback data
over 64 bytes and edits that change nothing, so tests fail where production would.
"""

from __future__ import annotations

import html
import itertools
import json
import re
import time
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import httpx
from telegram.error import NetworkError
from telegram.request import BaseRequest, RequestData

from tests import updates

BOT_ID = 7000000001
BOT_USERNAME = "SecureBaseTestBot"
TEXT_LIMIT = 4096
CALLBACK_DATA_LIMIT = 64
# deleteMessages takes 1-100 message ids.
DELETE_LIMIT = 100
_ALLOWED_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a",
    "code", "pre", "blockquote", "tg-emoji",
}  # fmt: skip
_BAD_AMPERSAND = re.compile(r"&(?!(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)")
_BAD_LESS_THAN = re.compile(r"<(?![a-zA-Z/])")


CANONICAL_METHODS = {
    name.lower(): name
    for name in (
        "getMe", "setMyCommands", "deleteMyCommands", "deleteWebhook", "setWebhook", "getUpdates",
        "answerCallbackQuery", "sendMessage", "sendPhoto", "sendDocument", "editMessageText",
        "editMessageReplyMarkup", "leaveChat", "deleteMessage", "deleteMessages",
    )
}  # fmt: skip

# BotCommandScope types (https://core.telegram.org/bots/api#botcommandscope).
COMMAND_SCOPES = frozenset(
    {"default", "all_private_chats", "all_group_chats", "all_chat_administrators", "chat",
     "chat_administrators", "chat_member"}
)  # fmt: skip


class BadRequestError(Exception):
    def __init__(self, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.description = description
        self.status = status


class _TelegramHtml(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open_tags: list[str] = []
        self.visible: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _ALLOWED_TAGS:
            raise BadRequestError(f"Bad Request: can't parse entities: unsupported start tag {tag}")
        self.open_tags.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open_tags or self.open_tags.pop() != tag:
            raise BadRequestError(f"Bad Request: can't parse entities: unexpected end tag {tag}")

    def handle_data(self, data: str) -> None:
        self.visible.append(data)


def visible_text(text: str, parse_mode: str | None) -> str:
    """What the user would see; raises :class:`BadRequestError` where Telegram would."""
    if parse_mode != "HTML":
        return text
    if _BAD_AMPERSAND.search(text) or _BAD_LESS_THAN.search(text):
        raise BadRequestError("Bad Request: can't parse entities: unescaped & or <")
    parser = _TelegramHtml()
    parser.feed(text)
    parser.close()
    if parser.open_tags:
        raise BadRequestError("Bad Request: can't parse entities: unclosed tag")
    return html.unescape("".join(parser.visible))


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class ApiCall:
    """One request the bot made."""

    method: str
    params: dict[str, Any]
    # The HTTP status the fake answered with (200, or the error it returned), and for an
    # error its description ("Bad Request: message is not modified", ...).
    status: int = 0
    description: str = ""

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def text(self) -> str | None:
        return self.params.get("text") or self.params.get("caption")

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """The inline buttons sent with the call, row by row flattened."""
        markup = self.params.get("reply_markup") or {}
        if isinstance(markup, str):
            markup = json.loads(markup)
        return [button for row in markup.get("inline_keyboard", []) for button in row]


@dataclass
class BotMessage:
    """A message the bot has in a chat, as it stands now (after edits)."""

    chat_id: int
    message_id: int
    text: str
    html: str
    reply_markup: dict[str, Any] | None
    kind: str = "text"
    # For a document or photo: (file name, content) of what was uploaded.
    file: tuple[str, bytes] | None = None
    # The person's message this one answers (sent with reply_parameters), as
    # (message id, text): a press on its buttons carries it as Telegram does.
    reply_to: tuple[int, str] | None = None

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """Inline buttons, row by row flattened; reply-keyboard buttons are not included."""
        if not self.reply_markup or "inline_keyboard" not in self.reply_markup:
            return []
        return [button for row in self.reply_markup["inline_keyboard"] for button in row]

    @property
    def keyboard(self) -> list[str]:
        """Labels of a reply keyboard (the one under the text field), if this message set one."""
        if not self.reply_markup or "keyboard" not in self.reply_markup:
            return []
        return [
            button if isinstance(button, str) else button["text"]
            for row in self.reply_markup["keyboard"]
            for button in row
        ]


@dataclass
class FakeBotApi:
    """State and behaviour of the fake Bot API."""

    bot_id: int = BOT_ID
    username: str = BOT_USERNAME
    calls: list[ApiCall] = field(default_factory=list)
    messages: dict[tuple[int, int], BotMessage] = field(default_factory=dict)
    blocked_chats: set[int] = field(default_factory=set)
    left_chats: set[int] = field(default_factory=set)
    # The default command menu; every menu by (scope type, chat id or None, language code).
    commands: list[dict[str, str]] = field(default_factory=list)
    command_menus: dict[tuple[str, int | None, str], list[dict[str, str]]] = field(
        default_factory=dict
    )
    # (method, http status, description, retry_after) answered once each, before anything else.
    failures: deque[tuple[str, int, str, int | None]] = field(default_factory=deque)
    updates: deque[dict[str, Any]] = field(default_factory=deque)
    # (method, "refuse" | "drop") once each: no connection at all (nothing arrives), or the
    # connection drops after the call was carried out (it arrived; the answer is lost).
    faults: deque[tuple[str, str, int | None]] = field(default_factory=deque)
    # The messages people sent in each chat (by (chat id, message id)), and every message
    # deleted through deleteMessage(s), the bot's or theirs, in the order deleted.
    incoming: set[tuple[int, int]] = field(default_factory=set)
    # What the people wrote, by (chat id, message id), for a bot message that quotes it.
    incoming_texts: dict[tuple[int, int], str] = field(default_factory=dict)
    deleted: list[tuple[int, int]] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def next_message_id(self) -> int:
        return next(self._ids)

    def incoming_message(self, chat_id: int) -> int:
        """The id of a message a person sends in ``chat_id``, remembered so that the bot can
        delete it (as it may in a private chat)."""
        message_id = self.next_message_id()
        self.incoming.add((chat_id, message_id))
        return message_id

    def bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Secure Base",
            "username": self.username,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def fail_next(
        self, method: str, status: int, description: str, retry_after: int | None = None
    ) -> None:
        self.failures.append((method, status, description, retry_after))

    def fault_next(self, method: str, kind: str, chat_id: int | None = None) -> None:
        """The next call of ``method`` (to ``chat_id``, if given) meets ``kind``."""
        assert kind in ("refuse", "drop")
        self.faults.append((method, kind, chat_id))

    def take_fault(self, method: str, chat_id: object = None) -> str | None:
        method = CANONICAL_METHODS.get(method.lower(), method)
        for index, (faulty, kind, chat) in enumerate(self.faults):
            if faulty == method and chat in (None, chat_id):
                del self.faults[index]
                return kind
        return None

    # --- the dispatcher --------------------------------------------------------------------

    def handle(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        # Bot API method names are case-insensitive; record them the way the docs spell them.
        method = CANONICAL_METHODS.get(method.lower(), method)
        call = ApiCall(method, params)
        self.calls.append(call)
        call.status, body = self._answer(method, params)
        if call.status != 200:
            call.description = str(body.get("description", ""))
        return call.status, body

    def _answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        for index, (failing_method, status, description, retry_after) in enumerate(self.failures):
            if failing_method == method:
                del self.failures[index]
                body: dict[str, Any] = {
                    "ok": False,
                    "error_code": status,
                    "description": description,
                }
                if retry_after is not None:
                    body["parameters"] = {"retry_after": retry_after}
                return status, body
        handler = getattr(self, f"_api_{method.lower()}", None)
        if handler is None:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        try:
            chat_id = params.get("chat_id")
            if chat_id is not None and int(chat_id) in self.blocked_chats:
                raise BadRequestError("Forbidden: bot was blocked by the user", 403)
            return 200, {"ok": True, "result": handler(params)}
        except BadRequestError as exc:
            return exc.status, {
                "ok": False,
                "error_code": exc.status,
                "description": exc.description,
            }

    # --- methods ---------------------------------------------------------------------------

    def _api_getme(self, params: dict[str, Any]) -> dict[str, Any]:
        return self.bot_user()

    def _api_setmycommands(self, params: dict[str, Any]) -> bool:
        """Telegram's rules: 1-100 commands; a scope of its known types (a chat scope names
        its chat); a language code of two letters or none."""
        commands = list(params["commands"])
        if not 0 < len(commands) <= 100:
            raise BadRequestError("Bad Request: commands list is invalid")
        scope = params.get("scope") or {"type": "default"}
        if scope["type"] not in COMMAND_SCOPES or (scope["type"] == "chat") != ("chat_id" in scope):
            raise BadRequestError("Bad Request: invalid scope")
        language = params.get("language_code") or ""
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise BadRequestError("Bad Request: invalid language code")
        chat = int(scope["chat_id"]) if "chat_id" in scope else None
        self.command_menus[(scope["type"], chat, language)] = commands
        if scope["type"] == "default" and not language:
            self.commands = commands
        return True

    def _api_deletemycommands(self, params: dict[str, Any]) -> bool:
        scope = params.get("scope") or {"type": "default"}
        chat = int(scope["chat_id"]) if "chat_id" in scope else None
        self.command_menus.pop((scope["type"], chat, params.get("language_code") or ""), None)
        return True

    def menu_of(self, chat_id: int, language_code: str | None) -> list[dict[str, str]]:
        """The menu Telegram shows in ``chat_id`` to an app in ``language_code``: the chat's
        own if set, else the one for the language, else the default."""
        for key in (("chat", chat_id, ""), ("default", None, language_code or "")):
            if key in self.command_menus:
                return self.command_menus[key]
        return self.commands

    def _api_deletewebhook(self, params: dict[str, Any]) -> bool:
        return True

    def _api_setwebhook(self, params: dict[str, Any]) -> bool:
        """Telegram's checks of the secret (1-256 of A-Z a-z 0-9 _ -); a URL is required."""
        if not params.get("url"):
            raise BadRequestError("Bad Request: bad webhook: URL must be provided")
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise BadRequestError(
                "Bad Request: bad webhook: secret token contains unallowed characters"
            )
        return True

    def _api_getupdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        while self.updates and self.updates[0]["update_id"] < offset:
            self.updates.popleft()
        return list(self.updates)

    def _api_answercallbackquery(self, params: dict[str, Any]) -> bool:
        if len(params.get("text") or "") > 200:
            raise BadRequestError("Bad Request: MESSAGE_TOO_LONG")
        return True

    def _check_markup(self, markup: Any) -> dict[str, Any] | None:
        if markup is None:
            return None
        if isinstance(markup, str):
            markup = json.loads(markup)
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and len(data.encode()) > CALLBACK_DATA_LIMIT:
                    raise BadRequestError("Bad Request: BUTTON_DATA_INVALID")
        return markup

    def _message_json(self, message: BotMessage) -> dict[str, Any]:
        """The message as the Bot API returns it (and as a press on its buttons carries it)."""
        content: dict[str, Any] = {"text" if message.kind == "text" else "caption": message.text}
        if message.reply_markup and "inline_keyboard" in message.reply_markup:
            content["reply_markup"] = message.reply_markup
        return updates.message(
            message.message_id,
            int(time.time()),
            updates.private_chat(message.chat_id),
            self.bot_user(),
            **content,
        )

    def _new_message(self, params: dict[str, Any], text_key: str, kind: str) -> dict[str, Any]:
        raw = str(params.get(text_key) or "")
        visible = visible_text(raw, params.get("parse_mode"))
        limit = TEXT_LIMIT if kind == "text" else 1024
        if kind == "text" and not visible.strip():
            raise BadRequestError("Bad Request: message text is empty")
        if utf16_length(visible) > limit:
            raise BadRequestError("Bad Request: message is too long")
        uploaded = params.get("_files", {}).get(kind)
        quoted = params.get("reply_parameters")
        if isinstance(quoted, str):
            quoted = json.loads(quoted)
        reply_to = None
        if quoted is not None:
            key = (int(params["chat_id"]), int(quoted["message_id"]))
            reply_to = (key[1], self.incoming_texts.get(key, ""))
        message = BotMessage(
            chat_id=int(params["chat_id"]),
            message_id=self.next_message_id(),
            text=visible,
            html=raw,
            reply_markup=self._check_markup(params.get("reply_markup")),
            kind=kind,
            file=uploaded,
            reply_to=reply_to,
        )
        self.messages[(message.chat_id, message.message_id)] = message
        return self._message_json(message)

    def _api_sendmessage(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._new_message(params, "text", "text")

    def _api_sendphoto(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._new_message(params, "caption", "photo")

    def _api_senddocument(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._new_message(params, "caption", "document")

    def _existing(self, params: dict[str, Any]) -> BotMessage:
        key = (int(params["chat_id"]), int(params["message_id"]))
        if key not in self.messages:
            raise BadRequestError("Bad Request: message to edit not found")
        return self.messages[key]

    def _api_editmessagetext(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._existing(params)
        raw = str(params["text"])
        visible = visible_text(raw, params.get("parse_mode"))
        if utf16_length(visible) > TEXT_LIMIT:
            raise BadRequestError("Bad Request: MESSAGE_TOO_LONG")
        markup = self._check_markup(params.get("reply_markup"))
        if visible == message.text and markup == message.reply_markup:
            raise BadRequestError("Bad Request: message is not modified")
        message.text, message.html, message.reply_markup = visible, raw, markup
        return self._message_json(message)

    def _api_editmessagereplymarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._existing(params)
        markup = self._check_markup(params.get("reply_markup"))
        if markup == message.reply_markup or (not markup and not message.buttons):
            raise BadRequestError("Bad Request: message is not modified")
        message.reply_markup = markup
        return self._message_json(message)

    def _api_leavechat(self, params: dict[str, Any]) -> bool:
        self.left_chats.add(int(params["chat_id"]))
        return True

    def _delete(self, chat_id: int, message_id: int) -> bool:
        """Delete one message of the chat, the bot's or the person's; ``False`` if there is
        none by that id in that chat (another chat's id included)."""
        key = (chat_id, message_id)
        if self.messages.pop(key, None) is None and key not in self.incoming:
            return False
        self.incoming.discard(key)
        self.deleted.append(key)
        return True

    def _api_deletemessage(self, params: dict[str, Any]) -> bool:
        if not self._delete(int(params["chat_id"]), int(params["message_id"])):
            raise BadRequestError("Bad Request: message to delete not found")
        return True

    def _api_deletemessages(self, params: dict[str, Any]) -> bool:
        """Telegram's rules: 1-100 ids; those it cannot find in the chat are skipped."""
        ids = params.get("message_ids")
        if isinstance(ids, str):
            ids = json.loads(ids)
        if not isinstance(ids, list) or not 0 < len(ids) <= DELETE_LIMIT:
            raise BadRequestError("Bad Request: message identifiers are not specified")
        chat_id = int(params["chat_id"])
        for message_id in ids:
            self._delete(chat_id, int(message_id))
        return True

    # --- reading what happened ---------------------------------------------------------------

    def chat(self, chat_id: int) -> list[BotMessage]:
        """The bot's messages in a chat, oldest first, as they stand now."""
        return sorted(
            (message for (chat, _), message in self.messages.items() if chat == chat_id),
            key=lambda message: message.message_id,
        )


class FakeRequest(BaseRequest):
    """PTB's HTTP layer replaced by a direct call into :class:`FakeBotApi`."""

    def __init__(self, api: FakeBotApi) -> None:
        self.api = api

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        api_method = url.rsplit("/", 1)[-1]
        chat_id = request_data.parameters.get("chat_id") if request_data is not None else None
        fault = self.api.take_fault(api_method, chat_id)
        if fault == "refuse":
            # As PTB's HTTPXRequest reports a refused connection.
            cause: httpx.TransportError = httpx.ConnectError("[Errno 111] Connection refused")
            raise NetworkError(f"httpx.ConnectError: {cause}") from cause
        params = dict(request_data.parameters) if request_data is not None else {}
        if request_data is not None and request_data.contains_files:
            params["_files"] = {
                name: (upload[0], upload[1])
                for name, upload in request_data.multipart_data.items()
                if isinstance(upload, tuple)
            }
        status, body = self.api.handle(api_method, params)
        if fault == "drop":
            cause = httpx.RemoteProtocolError("Server disconnected without sending a response.")
            raise NetworkError(f"httpx.RemoteProtocolError: {cause}") from cause
        return status, json.dumps(body).encode()
