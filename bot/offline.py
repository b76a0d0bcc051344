"""A fake Telegram: a Bot API transport that answers like Telegram, with no network.

Used by the local demo and by the tests. `FakeTelegram` is a PTB request class
(hand it to `ApplicationBuilder().request(...)`); it records every call, keeps
the messages it "sent" so that buttons can be pressed later, and refuses what
Telegram would refuse (bad HTML, over-long text or callback data). Failures
can be injected to exercise retry paths.

`ChatUser` is a person in a private chat: it sends text and commands and
presses inline buttons by their label, through the Application's update processor.
"""

from __future__ import annotations

import asyncio

import itertools
import json
import re
import time
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser
from typing import Any

from telegram import Update
from telegram.ext import Application
from telegram.request import BaseRequest, RequestData

BOT_USER = {"id": 424242, "is_bot": True, "first_name": "ForBedring", "username": "forbedring_demo_bot",
            "can_join_groups": False, "can_read_all_group_messages": False, "supports_inline_queries": False}

_ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
                 "tg-spoiler", "span", "blockquote"}


class _EntityChecker(HTMLParser):
    """Telegram's HTML mode: only some tags, all closed, `<` and `&` escaped."""

    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.error: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag not in _ALLOWED_TAGS:
            self.error = f"Unsupported start tag \"{tag}\""
        self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.error = f"Unmatched end tag \"{tag}\""

    def handle_entityref(self, name):
        if name not in ("lt", "gt", "amp", "quot"):
            self.error = f"Unsupported entity \"{name}\""


def html_error(text: str) -> str | None:
    if re.search(r"&(?![a-zA-Z]+;|#\d+;|#x[0-9a-fA-F]+;)", text):
        return "Can't parse entities: unescaped '&'"
    if re.search(r"<(?![a-zA-Z/])", text):
        return "Can't parse entities: unescaped '<'"
    checker = _EntityChecker()
    checker.feed(text)
    checker.close()
    if checker.error or checker.stack:
        return f"Can't parse entities: {checker.error or 'unclosed tag'}"
    return None


def plain_text(html_text: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", html_text))


@dataclass
class SentMessage:
    """A message as the bot left it in a chat (edits update it in place)."""

    chat_id: int
    message_id: int
    text: str
    parse_mode: str | None
    reply_markup: dict | None
    date: int
    kind: str = "text"  # text, document, photo
    file: str | None = None  # the file id of a document or photo

    @property
    def plain(self) -> str:
        return plain_text(self.text) if self.parse_mode == "HTML" else self.text

    @property
    def buttons(self) -> list[dict]:
        if not self.reply_markup:
            return []
        return [b for row in self.reply_markup.get("inline_keyboard", []) for b in row]

    def as_api(self) -> dict:
        data: dict[str, Any] = {
            "message_id": self.message_id, "date": self.date, "from": BOT_USER,
            "chat": {"id": self.chat_id, "type": "private"},
        }
        if self.kind == "text":
            data["text"] = self.plain
        else:
            data["caption"] = self.plain
        if self.reply_markup:
            data["reply_markup"] = self.reply_markup
        return data


@dataclass
class Call:
    method: str
    params: dict
    at: float = 0.0  # FakeTelegram.clock() when the call arrived


@dataclass
class Failure:
    status: int
    description: str
    retry_after: int | None = None
    timeout: bool = False


class FakeTelegram(BaseRequest):
    def __init__(self):
        self.calls: list[Call] = []
        self.in_flight = self.most_in_flight = 0
        self.network_turns = 1  # event-loop turns one call takes; tests of concurrency raise it
        self.messages: dict[tuple[int, int], SentMessage] = {}
        # (chat_id, message_id, "sent"|"edited") in the order they happened.
        self.events: list[tuple[int, int, str]] = []
        self._message_ids = itertools.count(1000)
        self._failures: dict[str, list[Failure]] = {}
        self.clock = time.monotonic  # tests may put a fake clock here
        self.files: list[tuple[str, str, bytes]] = []  # (method, file name, content) of uploads
        self._answered: set[str] = set()
        self.double_answers: list[dict] = []  # a handler answered one press twice: a bug

    # --- PTB's request interface ---
    @property
    def read_timeout(self) -> float | None:
        return 5.0

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout=None, write_timeout=None, connect_timeout=None,
                         pool_timeout=None) -> tuple[int, bytes]:
        api_method = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data else {}
        if request_data is not None and request_data.contains_files:
            # Uploaded files (exports, charts) are kept so that tests can open them.
            for _, (filename, content, _mime) in request_data.multipart_data.items():
                self.files.append((api_method, filename, content))
        self.calls.append(Call(api_method, params, self.clock()))
        # A real call waits for the network: let other tasks run, and count how many overlap.
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            for _ in range(self.network_turns):
                await asyncio.sleep(0)
        finally:
            self.in_flight -= 1
        queued = self._failures.get(api_method)
        if queued:
            failure = queued.pop(0)
            if failure.timeout:
                from telegram.error import TimedOut

                raise TimedOut("injected timeout")
            return self._error(failure.status, failure.description, failure.retry_after)
        handler = getattr(self, f"_api_{api_method}", None)
        if handler is None:
            return self._ok(True)
        return handler(params)

    # --- test controls ---
    def fail_next(self, method: str, status: int = 400, description: str = "Bad Request: injected",
                  retry_after: int | None = None, timeout: bool = False, times: int = 1) -> None:
        self._failures.setdefault(method, []).extend(
            [Failure(status, description, retry_after, timeout)] * times
        )

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def chat(self, chat_id: int) -> list[SentMessage]:
        return [m for (c, _), m in sorted(self.messages.items()) if c == chat_id]

    # --- Bot API methods ---
    @staticmethod
    def _ok(result: Any) -> tuple[int, bytes]:
        return 200, json.dumps({"ok": True, "result": result}).encode()

    @staticmethod
    def _error(status: int, description: str, retry_after: int | None = None) -> tuple[int, bytes]:
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        return status, json.dumps(body).encode()

    def _check(self, text: str, parse_mode: str | None, reply_markup: dict | None) -> tuple[int, bytes] | None:
        if not text.strip():
            return self._error(400, "Bad Request: message text is empty")
        if len(plain_text(text) if parse_mode == "HTML" else text) > 4096:
            return self._error(400, "Bad Request: message is too long")
        if parse_mode == "HTML" and (problem := html_error(text)):
            return self._error(400, f"Bad Request: {problem}")
        for row in (reply_markup or {}).get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= 64:
                    return self._error(400, "Bad Request: BUTTON_DATA_INVALID")
        return None

    def _store(self, chat_id: int, text: str, params: dict, kind: str = "text") -> tuple[int, bytes]:
        message = SentMessage(chat_id=chat_id, message_id=next(self._message_ids), text=text,
                              parse_mode=params.get("parse_mode"), reply_markup=params.get("reply_markup"),
                              date=int(time.time()), kind=kind)
        self.messages[(chat_id, message.message_id)] = message
        self.events.append((chat_id, message.message_id, "sent"))
        return self._ok(message.as_api())

    def _api_answerCallbackQuery(self, params):
        # Telegram accepts one answer per button press.
        query_id = str(params.get("callback_query_id"))
        if query_id in self._answered:
            self.double_answers.append(params)
            return self._error(400, "Bad Request: query is too old and response timeout expired or query id is invalid")
        self._answered.add(query_id)
        return self._ok(True)

    def _api_getMe(self, params):
        return self._ok(BOT_USER)

    def _api_getUpdates(self, params):
        return self._ok([])

    def _api_sendMessage(self, params):
        text, markup = str(params.get("text", "")), params.get("reply_markup")
        if error := self._check(text, params.get("parse_mode"), markup):
            return error
        return self._store(int(params["chat_id"]), text, params)

    def _send_file(self, params, kind: str):
        caption = str(params.get("caption") or "")
        if len(plain_text(caption) if params.get("parse_mode") == "HTML" else caption) > 1024:
            return self._error(400, "Bad Request: message caption is too long")
        if caption and (error := self._check(caption, params.get("parse_mode"), params.get("reply_markup"))):
            return error
        result = self._store(int(params["chat_id"]), caption or f"[{kind}]", params, kind)
        self.messages[(int(params["chat_id"]), self.events[-1][1])].file = str(params.get(kind))
        return result

    def _api_sendDocument(self, params):
        return self._send_file(params, "document")

    def _api_sendPhoto(self, params):
        return self._send_file(params, "photo")

    def _edit(self, params, text: str | None):
        key = (int(params["chat_id"]), int(params["message_id"]))
        message = self.messages.get(key)
        if message is None:
            return self._error(400, "Bad Request: message to edit not found")
        new_text = message.text if text is None else text
        markup = params.get("reply_markup")
        if error := self._check(new_text, params.get("parse_mode", message.parse_mode), markup):
            return error
        if new_text == message.text and markup == message.reply_markup:
            return self._error(400, "Bad Request: message is not modified")
        message.text, message.reply_markup = new_text, markup
        if text is not None:
            message.parse_mode = params.get("parse_mode")
        self.events.append((key[0], key[1], "edited"))
        return self._ok(message.as_api())

    def _api_deleteMessage(self, params):
        key = (int(params["chat_id"]), int(params["message_id"]))
        if self.messages.pop(key, None) is None:
            return self._error(400, "Bad Request: message to delete not found")
        self.events.append((key[0], key[1], "deleted"))
        return self._ok(True)

    def _api_editMessageText(self, params):
        return self._edit(params, str(params.get("text", "")))

    def _api_editMessageReplyMarkup(self, params):
        return self._edit(params, None)


_update_ids = itertools.count(1)


@dataclass
class ChatUser:
    """One person in a private chat with the bot."""

    application: Application
    telegram: FakeTelegram
    user_id: int
    first_name: str
    language_code: str | None = "nb"
    last_name: str | None = None
    _message_ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _query_ids: set = field(default_factory=set)

    def _user(self) -> dict:
        user = {"id": self.user_id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def _chat(self) -> dict:
        return {"id": self.user_id, "type": "private", "first_name": self.first_name}

    async def _process(self, data: dict) -> list[SentMessage]:
        seen = len(self.telegram.events)
        update = Update.de_json(data, self.application.bot)
        # As the Application's update fetcher does: through its update processor (bot/updates.py).
        await self.application.update_processor.process_update(update, self.application.process_update(update))
        # What the update started beside the updates (an export, a chart) is part of the answer.
        if (background := getattr(self.application, "background", None)) is not None:
            await background.settle(self.user_id)
        return self.since(seen)

    def since(self, seen: int) -> list[SentMessage]:
        """The messages sent or edited in this chat since event number `seen` (and not deleted)."""
        result, keys = [], set()
        for chat_id, message_id, _ in self.telegram.events[seen:]:
            if chat_id == self.user_id and (chat_id, message_id) not in keys \
                    and (chat_id, message_id) in self.telegram.messages:
                keys.add((chat_id, message_id))
                result.append(self.telegram.messages[(chat_id, message_id)])
        return result

    async def send(self, text: str, entities: list[dict] | None = None) -> list[SentMessage]:
        """Type a message. Text starting with '/' is a command, as Telegram marks it;
        `entities` are formatting (bold, italic, links) as the client would mark it."""
        message = {"message_id": next(self._message_ids), "date": int(time.time()),
                   "chat": self._chat(), "from": self._user(), "text": text}
        if text.startswith("/"):
            command_length = len(text.split()[0]) if text.split() else 1
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": command_length}]
        if entities:
            message["entities"] = entities
        return await self._process({"update_id": next(_update_ids), "message": message})

    async def send_file(self, kind: str, file_id: str, caption: str = "", mime_type: str = "application/pdf",
                        caption_entities: list[dict] | None = None) -> list[SentMessage]:
        """Send a photo or a document (with a caption), as from the attachment menu."""
        message = {"message_id": next(self._message_ids), "date": int(time.time()),
                   "chat": self._chat(), "from": self._user()}
        if kind == "photo":
            message["photo"] = [{"file_id": file_id, "file_unique_id": f"u{file_id}", "width": 800, "height": 600}]
        else:
            message["document"] = {"file_id": file_id, "file_unique_id": f"u{file_id}", "mime_type": mime_type,
                                   "file_name": "file"}
        if caption:
            message["caption"] = caption
        if caption_entities:
            message["caption_entities"] = caption_entities
        return await self._process({"update_id": next(_update_ids), "message": message})

    @property
    def messages(self) -> list[SentMessage]:
        return self.telegram.chat(self.user_id)

    @property
    def last(self) -> SentMessage:
        return self.messages[-1]

    def find_button(self, label: str, message: SentMessage | None = None) -> tuple[SentMessage, dict]:
        """A button whose label is or contains `label`, on `message` or else on the newest message
        that has buttons (as a person would press: an older message's button must be named)."""
        with_buttons = [m for m in reversed(self.messages) if m.buttons]
        candidates = [message] if message else with_buttons[:1]
        for candidate in candidates:
            for button in candidate.buttons:
                if button.get("text") == label:
                    return candidate, button
            for button in candidate.buttons:
                if label in button.get("text", ""):
                    return candidate, button
        raise LookupError(f"no button labelled {label!r} in chat {self.user_id}")

    async def press(self, label: str, message: SentMessage | None = None) -> list[SentMessage]:
        message, button = self.find_button(label, message)
        return await self.press_data(button["callback_data"], message)

    async def press_data(self, data: str, message: SentMessage | None = None) -> list[SentMessage]:
        """Press a button with the given callback data, as a forged or old client could."""
        # Pressing with no message in the chat stands for a forged or long-gone message.
        message = message or (self.last if self.messages else SentMessage(
            self.user_id, 1, "…", None, None, int(time.time())))
        query_id = str(next(_update_ids))
        self._query_ids.add(query_id)
        query = {"id": query_id, "from": self._user(), "chat_instance": str(self.user_id),
                 "data": data, "message": message.as_api()}
        return await self._process({"update_id": next(_update_ids), "callback_query": query})

    def callback_answers(self) -> list[dict]:
        """What the bot answered to this person's button presses (pop-ups and toasts)."""
        return [c.params for c in self.telegram.calls_to("answerCallbackQuery")
                if str(c.params.get("callback_query_id")) in self._query_ids]
