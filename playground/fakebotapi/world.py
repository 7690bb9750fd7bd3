"""The in-memory Telegram that the fake Bot API serves, and the handles tests act through.

Pure state and rules, no I/O: tests (and later the offline playground) play Telegram users
with the methods here, while the transport in ``server.py`` only turns HTTP requests into
`TelegramWorld.handle` calls. Errors carry Telegram's own descriptions so a bot that would
fail in production fails the same way in tests, instead of passing against a lenient mock.
"""

import dataclasses
import itertools
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from playground.fakebotapi.formatting import Entity, EntityParseError, parse_html, trim, utf16_len
from playground.fakebotapi.limits import FloodLimits, FloodRules

Params = Mapping[str, Any]
JSON = dict[str, Any]

FILE_NAME = ":filename"  # an uploaded file's name travels as "<field>:filename"
MEDIA_KINDS = ("sticker", "photo", "voice", "video", "document", "location", "contact")
FAULT_KINDS = ("429", "500", "502", "403", "timeout")
DELETE_WINDOW = 48 * 3600
EPOCH = 1_750_000_000
_PARSE_MODES = ("html", "markdown", "markdownv2")
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_BUTTON_ACTIONS = frozenset(
    {
        "url",
        "callback_data",
        "web_app",
        "login_url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "copy_text",
        "callback_game",
        "pay",
    }
)
_COMMAND_PREFIX = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/<>])")
_FAULT_ERRORS = {
    "500": (500, "Internal Server Error"),
    "502": (502, "Bad Gateway"),
    "403": (403, "Forbidden: bot was blocked by the user"),
}

CHAT_NOT_FOUND = "Bad Request: chat not found"
BLOCKED = "Forbidden: bot was blocked by the user"
CANNOT_INITIATE = "Forbidden: bot can't initiate conversation with a user"
TEXT_EMPTY = "Bad Request: message text is empty"
TEXT_TOO_LONG = "Bad Request: message is too long"
CAPTION_TOO_LONG = "Bad Request: message caption is too long"
MARKUP_TOO_LONG = "Bad Request: reply markup is too long"
# Telegram's limits, in UTF-16 code units (the unit of its entity offsets) after entities
# parsing, for texts and captions; in bytes of UTF-8 for a button's data.
TEXT_MAX = 4096
CAPTION_MAX = 1024
CALLBACK_DATA_MAX = 64
BUTTONS_MAX = 100
EDIT_NOT_FOUND = "Bad Request: message to edit not found"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
DELETE_NOT_FOUND = "Bad Request: message to delete not found"
QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"
UPGRADED = "Bad Request: group chat was upgraded to a supergroup chat"
# A group the bot was removed from answers by how it left: "kicked" or "left".
REMOVED = {
    "kicked": "Forbidden: bot was kicked from the {type} chat",
    "left": "Forbidden: bot is not a member of the {type} chat",
}
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)


class ApiError(Exception):
    """A Bot API error response, raised inside method implementations."""

    def __init__(self, code: int, description: str, **parameters: int) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


@dataclass(frozen=True)
class Reply:
    """What the transport sends back: HTTP status (= error_code), JSON body, and a delay."""

    status: int
    body: JSON
    delay: float = 0.0

    @classmethod
    def ok(cls, result: Any) -> "Reply":
        return cls(200, {"ok": True, "result": result})

    @classmethod
    def error(cls, code: int, description: str, **parameters: int) -> "Reply":
        """`parameters`: Telegram's ResponseParameters (retry_after, migrate_to_chat_id)."""
        body: JSON = {"ok": False, "error_code": code, "description": description}
        if parameters:
            body["parameters"] = parameters
        return cls(code, body)


class Call(NamedTuple):
    """One Bot API request the bot made, with its decoded parameters."""

    method: str
    params: JSON


@dataclass
class User:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False

    def to_api(self) -> JSON:
        optional = {
            "last_name": self.last_name,
            "username": self.username,
            "language_code": self.language_code,
        }
        known = {key: value for key, value in optional.items() if value is not None}
        return {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name, **known}


# Who Telegram names as the author of what an anonymous group admin does.
ANONYMOUS_ADMIN = User(1087968824, "Group", username="GroupAnonymousBot", is_bot=True)


@dataclass
class MessageRecord:
    """A message as Telegram stores it; ``text`` is what people see (captions included)."""

    chat_id: int
    message_id: int
    sender: User
    date: int
    kind: str = "text"
    text: str = ""
    raw_text: str = ""
    parse_mode: str | None = None
    entities: list[Entity] = field(default_factory=list)
    reply_markup: JSON | None = None
    media: Any = None
    photo: bytes | None = None  # a photo's or a document's content
    reply_to: int | None = None
    edit_date: int | None = None
    edit_count: int = 0
    deleted: bool = False
    disable_notification: bool = False
    protect_content: bool = False

    @property
    def from_bot(self) -> bool:
        """Sent by the bot (Telegram's anonymous-admin account stands for a person)."""
        return self.sender.is_bot and self.sender.id != ANONYMOUS_ADMIN.id

    @property
    def buttons(self) -> list[JSON]:
        """The inline keyboard's buttons, row after row."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [button for row in rows for button in row]

    @property
    def button_labels(self) -> list[str]:
        return [button["text"] for button in self.buttons]


@dataclass
class Chat:
    id: int
    type: str
    title: str | None = None
    user: User | None = None
    members: set[int] = field(default_factory=set)
    opened: bool = False
    blocked: bool = False
    messages: dict[int, MessageRecord] = field(default_factory=dict)
    # A group's own: the bot's status in it (member, left, kicked), and the supergroup it
    # became, after which its id answers nothing but the new one.
    bot_status: str = "member"
    migrated_to: int | None = None

    def to_api(self) -> JSON:
        if self.user is None:
            return {"id": self.id, "type": self.type, "title": self.title}
        person = self.user.to_api()
        names = {
            key: person[key] for key in ("first_name", "last_name", "username") if key in person
        }
        return {"id": self.id, "type": self.type, **names}


@dataclass
class CallbackAnswer:
    query_id: str
    text: str | None
    show_alert: bool
    url: str | None


@dataclass
class CallbackQueryRecord:
    id: str
    update_id: int
    user_id: int
    chat_id: int
    message_id: int
    data: str
    answer: CallbackAnswer | None = None
    tapped_at: float = 0.0  # on the flood limits' clock, when they are enforced

    @property
    def answered(self) -> bool:
        return self.answer is not None


@dataclass
class Fault:
    """An injected failure for the next matching call(s) of `method`."""

    method: str
    kind: str
    chat_id: int | None
    times: int
    retry_after: int
    delay: float

    def matches(self, method: str, params: Params) -> bool:
        return self.method == method and self.chat_id in (None, params.get("chat_id"))

    def reply(self) -> Reply:
        if self.kind == "429":
            description = f"Too Many Requests: retry after {self.retry_after}"
            return Reply.error(429, description, retry_after=self.retry_after)
        return Reply.error(*_FAULT_ERRORS[self.kind])


@dataclass(frozen=True)
class QueuedUpdate:
    update_id: int
    kind: str
    payload: JSON

    def to_api(self) -> JSON:
        return {"update_id": self.update_id, self.kind: self.payload}


class _Formatted(NamedTuple):
    raw: str
    text: str
    entities: list[Entity]
    parse_mode: str | None


class TelegramWorld:
    """Telegram as one bot sees it: users, chats, messages, updates, commands, faults."""

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        bot_username: str = "relais_test_bot",
        first_name: str = "Relais",
        epoch: float = EPOCH,
        clock: Callable[[], float] | None = None,
    ) -> None:
        """`epoch`: the clock's start (message dates), fixed for repeatable tests; or `clock`,
        a clock to follow (Unix seconds): the playground's, which the bot reads too."""
        self.token = token
        self.bot = User(
            id=int(token.split(":")[0]), first_name=first_name, username=bot_username, is_bot=True
        )
        self.calls: list[Call] = []
        self.callback_answers: list[CallbackAnswer] = []
        self.callback_queries: dict[str, CallbackQueryRecord] = {}
        self.webhook_url = ""
        self.webhook_secret_token: str | None = None
        self.confirmed_offset = 0
        self.poll_generation = 0
        self._clock = clock or (lambda: float(epoch))
        self._advanced = 0.0
        self._chats: dict[int, Chat] = {}
        self._updates: list[QueuedUpdate] = []
        self._allowed_updates: list[str] = []
        self._commands: dict[tuple[str, str], list[JSON]] = {}
        self._faults: list[Fault] = []
        self.limits: FloodLimits | None = None  # Telegram's flood limits, when enforced
        self._files: dict[str, bytes | None] = {}
        self._listeners: list[Callable[[], None]] = []
        self._update_ids = itertools.count(1)
        self._user_ids = itertools.count(100_000_001)
        self._group_ids = itertools.count(1_000_001)
        self._serials = itertools.count(1)
        self._methods: dict[str, Callable[[Params], Any]] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "close": self._accept,
            "logOut": self._accept,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "sendChatAction": self._send_chat_action,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "deleteMessages": self._delete_messages,
            "answerCallbackQuery": self._answer_callback_query,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setChatMenuButton": self._accept,
        }
        self._canonical = {name.lower(): name for name in self._methods}

    @property
    def bot_username(self) -> str:
        return self.bot.username or ""

    # ----------------------------------------------------------------- the Bot API side

    def handle(self, method: str, params: Params) -> Reply:
        """Answer one Bot API request (method names are case-insensitive, as on Telegram)."""
        name = self._canonical.get(method.lower())
        if name is None:
            return Reply.error(404, "Not Found")
        self.calls.append(Call(name, dict(params)))
        fault = self._take_fault(name, params)
        if fault is not None and fault.kind != "timeout":
            return fault.reply()
        flooded = self._flooded(name, params)
        if flooded is not None:
            return flooded
        try:
            reply = Reply.ok(self._methods[name](params))
        except ApiError as error:
            reply = Reply.error(error.code, error.description, **error.parameters)
        self._notify()
        # A timeout fault lets the call take effect and only delays the answer: the nasty
        # case where the bot gives up, retries, and the first attempt did happen.
        return reply if fault is None else dataclasses.replace(reply, delay=fault.delay)

    def enforce_limits(
        self, rules: FloodRules | None = None, clock: Callable[[], float] = time.monotonic
    ) -> FloodLimits:
        """From now on, refuse what Telegram refuses a bot that goes too fast (limits.py): a
        message over a flood limit gets 429 with retry_after, an answer to a tap more than
        15 s old gets 400. Off by default: most tests go faster than any person."""
        self.limits = FloodLimits(rules or FloodRules(), clock)
        return self.limits

    def _flooded(self, method: str, params: Params) -> Reply | None:
        chat = self._chats.get(_int(params, "chat_id") or 0)
        if self.limits is None or chat is None:
            return None
        retry_after = self.limits.admit(method, chat.id, private=chat.user is not None)
        if retry_after is None:
            return None
        description = f"Too Many Requests: retry after {retry_after}"
        return Reply.error(429, description, retry_after=retry_after)

    def pending_updates(self, limit: Any = None) -> list[JSON]:
        """Updates a getUpdates call would return now (after its offset was applied)."""
        count = limit if isinstance(limit, int) and 1 <= limit <= 100 else 100
        wanted = [u for u in self._updates if self._allowed(u.kind)]
        return [update.to_api() for update in wanted[:count]]

    def subscribe(self, listener: Callable[[], None]) -> None:
        """Call `listener` after every change (new update, request handled...)."""
        self._listeners.append(listener)

    # ------------------------------------------------------------------- people and chats

    def add_user(
        self,
        first_name: str = "Alice",
        language_code: str | None = "fr",
        username: str | None = None,
        last_name: str | None = None,
    ) -> User:
        user = User(next(self._user_ids), first_name, last_name, username, language_code)
        self._chats[user.id] = Chat(id=user.id, type="private", user=user)
        return user

    def add_group(self, title: str) -> Chat:
        group = Chat(id=-next(self._group_ids), type="group", title=title)
        self._chats[group.id] = group
        return group

    def add_member(self, group: Chat, user: User) -> None:
        group.members.add(user.id)

    def upgrade_group(self, group: Chat, by: User | None = None) -> Chat:
        """The group becomes a supergroup, with a new id and the same members, as Telegram does
        (when history is made visible, or the group grows): the old id answers every call with
        the new one (400, migrate_to_chat_id), and each chat gets its service message.

        `by`: who upgraded it, else an anonymous admin."""
        if group.type != "group" or group.migrated_to is not None:
            raise ValueError(f"{group.title!r} is not a basic group that can be upgraded")
        supergroup = Chat(
            id=-(1_000_000_000_000 + next(self._group_ids)),
            type="supergroup",
            title=group.title,
            members=set(group.members),
            bot_status=group.bot_status,
        )
        self._chats[supergroup.id] = supergroup
        sender = by or ANONYMOUS_ADMIN
        group.migrated_to = supergroup.id
        for chat, kind, other in (
            (group, "migrate_to_chat_id", supergroup.id),
            (supergroup, "migrate_from_chat_id", group.id),
        ):
            record = self._post(chat, sender, kind=kind, media=other)
            self._queue("message", self._message_api(record))
        return supergroup

    def remove_bot(self, group: Chat, by: User | None = None, *, kicked: bool = True) -> int:
        """An admin removes the bot (`kicked`, else it just left): sends to the group are
        refused (403) and the bot gets a my_chat_member update; returns its update_id."""
        return self._set_bot_status(group, "kicked" if kicked else "left", by)

    def add_bot(self, group: Chat, by: User | None = None) -> int:
        """An admin adds the bot back to the group: the reverse of `remove_bot`."""
        return self._set_bot_status(group, "member", by)

    def start_chat(self, user: User) -> None:
        """Open the private chat without a message, as if the user had pressed Start."""
        self._chats[user.id].opened = True

    def block(self, user: User) -> None:
        self._chats[user.id].blocked = True

    def unblock(self, user: User) -> None:
        self._chats[user.id].blocked = False

    def now(self) -> int:
        return int(self._clock() + self._advanced)

    def advance(self, seconds: float) -> None:
        """Move the fake clock forward (message dates, the 48-hour deletion window)."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self._advanced += seconds

    def inject_fault(
        self,
        method: str,
        kind: str,
        *,
        chat_id: int | None = None,
        times: int = 1,
        retry_after: int = 1,
        delay: float = 6.0,
    ) -> None:
        """Make the next `times` calls of `method` (to `chat_id`, if given) fail.

        kind: "429" (flood wait of `retry_after` s), "500"/"502" (server errors), "403"
        (blocked by the user), "timeout" (the call happens but its answer is held `delay`
        seconds, more than PTB's default 5 s read timeout).
        """
        name = self._canonical.get(method.lower())
        if name is None or kind not in FAULT_KINDS:
            raise ValueError(f"unknown method {method!r} or fault kind {kind!r} {FAULT_KINDS}")
        self._faults.append(Fault(name, kind, chat_id, times, retry_after, delay))

    # --------------------------------------------------------------------- users acting

    def send_text(self, user: User, text: str, chat: Chat | None = None) -> int:
        """`user` writes `text` (a leading /command gets its entity); returns the update_id."""
        if not text.strip():
            raise ValueError("Telegram clients can't send an empty message")
        target = self._user_chat(user, chat)
        record = self._post(target, user, text=text, raw_text=text, entities=_command(text))
        return self._queue("message", self._message_api(record))

    def send_media(
        self, user: User, kind: str, chat: Chat | None = None, caption: str | None = None
    ) -> int:
        """`user` sends a sticker, photo, voice, video, document, location or contact."""
        if kind not in MEDIA_KINDS:
            raise ValueError(f"unknown media kind {kind!r}, expected one of {MEDIA_KINDS}")
        target = self._user_chat(user, chat)
        media = self._photo(None) if kind == "photo" else self._media(kind, user)
        record = self._post(target, user, kind=kind, media=media, text=caption or "")
        return self._queue("message", self._message_api(record))

    def edit_user_message(
        self, user: User, message_id: int, new_text: str, chat: Chat | None = None
    ) -> int:
        target = self._user_chat(user, chat)
        record = target.messages.get(message_id)
        if record is None or record.deleted or record.sender.id != user.id:
            raise LookupError(f"{user.first_name} has no message {message_id} in chat {target.id}")
        record.text = record.raw_text = new_text
        record.entities = _command(new_text)
        self._mark_edited(record)
        return self._queue("edited_message", self._message_api(record))

    def tap(
        self,
        user: User,
        message: MessageRecord | int,
        data: str | None = None,
        *,
        label: str | None = None,
        chat: Chat | None = None,
    ) -> int:
        """Tap a button of the message's current keyboard, chosen by `label` or `data`."""
        target = self._user_chat(user, chat)
        record = self._bot_message(target, message)
        button = _find_button(record, data, label)
        return self._callback(user, target, record, button["callback_data"])

    def forge_callback(
        self, user: User, message: MessageRecord | int, data: str, chat: Chat | None = None
    ) -> int:
        """A callback with any `data`, button or not: stale keyboards, tampered clients."""
        target = self._user_chat(user, chat)
        return self._callback(user, target, self._bot_message(target, message), data)

    # --------------------------------------------------------------------------- reading

    def messages(self, chat: Chat | User | int) -> list[MessageRecord]:
        """Every message of the chat in order, deleted ones included (``deleted=True``)."""
        found = self._chats.get(_chat_id(chat))
        return list(found.messages.values()) if found else []

    def bot_messages(
        self, chat: Chat | User | int, include_deleted: bool = False
    ) -> list[MessageRecord]:
        return [
            message
            for message in self.messages(chat)
            if message.from_bot and (include_deleted or not message.deleted)
        ]

    def last_bot_message(self, chat: Chat | User | int) -> MessageRecord | None:
        messages = self.bot_messages(chat)
        return messages[-1] if messages else None

    def callback_query(self, update_id: int) -> CallbackQueryRecord:
        """The callback query created by `tap`/`forge_callback` returning `update_id`."""
        for query in self.callback_queries.values():
            if query.update_id == update_id:
                return query
        raise LookupError(f"update {update_id} is not a callback query")

    def callback_answer_texts(self, user: User | int) -> list[str]:
        """Texts of the answers (toasts and alerts) to `user`'s button taps, in order."""
        user_id = user.id if isinstance(user, User) else user
        return [
            answer.text
            for answer in self.callback_answers
            if answer.text and self.callback_queries[answer.query_id].user_id == user_id
        ]

    def commands(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        """The menu set with setMyCommands for exactly this scope and language."""
        return self._commands.get((_scope_key(scope), language_code), [])

    # ------------------------------------------------------------------ world internals

    def _notify(self) -> None:
        for listener in self._listeners:
            listener()

    def _queue(self, kind: str, payload: JSON) -> int:
        update = QueuedUpdate(next(self._update_ids), kind, payload)
        self._updates.append(update)
        self._notify()
        return update.update_id

    def _allowed(self, kind: str) -> bool:
        return not self._allowed_updates or kind in self._allowed_updates

    def _take_fault(self, method: str, params: Params) -> Fault | None:
        for fault in self._faults:
            if fault.matches(method, params):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _new_file(self, content: bytes | None = None) -> str:
        file_id = f"AgACAgQAAxkBFake{next(self._serials):06d}"
        self._files[file_id] = content
        return file_id

    def _photo(self, content: bytes | None) -> list[JSON]:
        """Photo sizes for new content, each size's file_id usable in a later sendPhoto."""
        sizes = _photo_sizes(self._new_file(content), len(content) if content else 50_000)
        for size in sizes:
            self._files[size["file_id"]] = content
        return sizes

    def _media(self, kind: str, user: User) -> JSON:
        return _media_payload(kind, self._new_file(), user)

    def _user_chat(self, user: User, chat: Chat | None) -> Chat:
        if chat is not None:
            if user.id not in chat.members:
                raise ValueError(f"{user.first_name} is not a member of {chat.title!r}")
            if chat.migrated_to is not None or chat.bot_status in REMOVED:
                raise ValueError(f"the bot gets nothing from {chat.title!r} any more")
            return chat
        private = self._chats[user.id]
        if private.blocked:
            raise RuntimeError(f"{user.first_name} has blocked the bot: unblock() them first")
        private.opened = True
        return private

    def _post(self, chat: Chat, sender: User, **fields: Any) -> MessageRecord:
        message_id = len(chat.messages) + 1
        record = MessageRecord(chat.id, message_id, sender, self.now(), **fields)
        chat.messages[message_id] = record
        return record

    def _set_bot_status(self, group: Chat, status: str, by: User | None) -> int:
        if group.user is not None or group.migrated_to is not None:
            raise ValueError(f"{group.title or group.id!r} is not a group the bot can be in")
        if status == group.bot_status:
            raise ValueError(f"the bot's status in {group.title!r} is already {status!r}")
        old, group.bot_status = group.bot_status, status
        payload = {
            "chat": group.to_api(),
            "from": (by or ANONYMOUS_ADMIN).to_api(),
            "date": self.now(),
            "old_chat_member": self._bot_member(old),
            "new_chat_member": self._bot_member(status),
        }
        return self._queue("my_chat_member", payload)

    def _bot_member(self, status: str) -> JSON:
        """The bot as a ChatMember of a group (a kicked one's ban lasts for ever: until 0)."""
        member: JSON = {"user": self.bot.to_api(), "status": status}
        return member | {"until_date": 0} if status == "kicked" else member

    def _mark_edited(self, record: MessageRecord) -> None:
        record.edit_count += 1
        record.edit_date = self.now()

    def _bot_message(self, chat: Chat, message: MessageRecord | int) -> MessageRecord:
        message_id = message.message_id if isinstance(message, MessageRecord) else message
        record = chat.messages.get(message_id)
        if record is None or record.deleted or not record.from_bot:
            raise LookupError(f"no visible bot message {message_id} in chat {chat.id}")
        return record

    def _callback(self, user: User, chat: Chat, record: MessageRecord, data: str) -> int:
        query_id = str(4_000_000_000_000_000_000 + next(self._serials))
        payload = {
            "id": query_id,
            "from": user.to_api(),
            "message": self._message_api(record),
            "chat_instance": str(abs(chat.id) * 7919 + self.bot.id),
            "data": data,
        }
        update_id = self._queue("callback_query", payload)
        self.callback_queries[query_id] = CallbackQueryRecord(
            query_id, update_id, user.id, chat.id, record.message_id, data,
            tapped_at=self.limits.clock() if self.limits else 0.0,
        )  # fmt: skip
        return update_id

    def _message_api(self, record: MessageRecord, with_reply: bool = True) -> JSON:
        chat = self._chats[record.chat_id]
        data: JSON = {
            "message_id": record.message_id,
            "from": record.sender.to_api(),
            "chat": chat.to_api(),
            "date": record.date,
        }
        text_key, entities_key = ("text", "entities")
        if record.kind != "text":
            data[record.kind] = record.media
            text_key, entities_key = ("caption", "caption_entities")
        if record.text:
            data[text_key] = record.text
        if record.entities:
            data[entities_key] = record.entities
        if _inline(record.reply_markup):
            data["reply_markup"] = record.reply_markup
        if record.edit_date is not None:
            data["edit_date"] = record.edit_date
        if record.protect_content:
            data["has_protected_content"] = True
        if with_reply and record.reply_to is not None:
            data["reply_to_message"] = self._message_api(chat.messages[record.reply_to], False)
        return data

    # ------------------------------------------------------- Bot API method implementations

    def _accept(self, params: Params) -> bool:
        return True

    def _get_me(self, params: Params) -> JSON:
        return self.bot.to_api() | {
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _get_updates(self, params: Params) -> list[JSON]:
        if self.webhook_url:
            raise ApiError(409, WEBHOOK_CONFLICT)
        self.poll_generation += 1
        offset = _int(params, "offset")
        if offset is not None:
            self._confirm(offset)
        if isinstance(params.get("allowed_updates"), list):
            self._allowed_updates = list(params["allowed_updates"])
        return self.pending_updates(params.get("limit"))

    def _confirm(self, offset: int) -> None:
        """Forget the updates the client acknowledged (negative: keep the last -offset)."""
        if offset < 0:
            self._updates = self._updates[offset:]
            return
        self._updates = [update for update in self._updates if update.update_id >= offset]
        self.confirmed_offset = max(self.confirmed_offset, offset)

    def _set_webhook(self, params: Params) -> bool:
        url = params.get("url") or ""
        if url and not str(url).startswith("https://"):
            raise ApiError(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        self._drop_pending_if_asked(params)
        self.webhook_url = str(url)
        self.webhook_secret_token = params.get("secret_token") if url else None
        return True

    def _delete_webhook(self, params: Params) -> bool:
        self._drop_pending_if_asked(params)
        self.webhook_url = ""
        self.webhook_secret_token = None
        return True

    def _drop_pending_if_asked(self, params: Params) -> None:
        if params.get("drop_pending_updates"):
            self._updates.clear()

    def _get_webhook_info(self, params: Params) -> JSON:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    def _target_chat(self, params: Params) -> Chat:
        if params.get("chat_id") is None:
            raise ApiError(400, "Bad Request: chat_id is empty")
        chat = self._chats.get(_int(params, "chat_id") or 0)
        if chat is None:
            raise ApiError(400, CHAT_NOT_FOUND)
        if chat.blocked:
            raise ApiError(403, BLOCKED)
        if chat.user is not None and not chat.opened:
            raise ApiError(403, CANNOT_INITIATE)
        if chat.migrated_to is not None:
            raise ApiError(400, UPGRADED, migrate_to_chat_id=chat.migrated_to)
        if chat.bot_status in REMOVED:
            raise ApiError(403, REMOVED[chat.bot_status].format(type=chat.type))
        return chat

    def _send_message(self, params: Params) -> JSON:
        chat = self._target_chat(params)
        formatted = _formatted(params, "text")
        _check_text(formatted.text)
        return self._bot_post(chat, params, formatted)

    def _send_photo(self, params: Params) -> JSON:
        chat = self._target_chat(params)
        content = self._file_content(params.get("photo"), "photo")
        formatted = _caption(params)
        media = self._photo(content)
        return self._bot_post(chat, params, formatted, kind="photo", media=media, photo=content)

    def _send_document(self, params: Params) -> JSON:
        chat = self._target_chat(params)
        content = self._file_content(params.get("document"), "document")
        formatted = _caption(params)
        file_id = self._new_file(content)
        media = {
            "file_id": file_id,
            "file_unique_id": f"{file_id}u",
            "file_name": params.get(f"document{FILE_NAME}") or "document",
            "file_size": len(content or b""),
        }
        return self._bot_post(chat, params, formatted, kind="document", media=media, photo=content)

    def _file_content(self, value: Any, what: str) -> bytes | None:
        """Uploaded bytes, or a file_id we issued, or an http(s) URL (not fetched)."""
        if isinstance(value, bytes):
            if not value:
                raise ApiError(400, "Bad Request: file must be non-empty")
            return value
        if value is None:
            raise ApiError(400, f"Bad Request: there is no {what} in the request")
        if str(value) in self._files:
            return self._files[str(value)]
        if str(value).startswith(("http://", "https://")):
            return None
        raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    def _bot_post(self, chat: Chat, params: Params, formatted: _Formatted, **media: Any) -> JSON:
        markup = _checked_markup(params.get("reply_markup"))
        record = self._post(
            chat,
            self.bot,
            text=formatted.text,
            raw_text=formatted.raw,
            parse_mode=formatted.parse_mode,
            entities=formatted.entities,
            reply_markup=markup,
            reply_to=self._reply_target(chat, params),
            disable_notification=bool(params.get("disable_notification")),
            protect_content=bool(params.get("protect_content")),
            **media,
        )
        return self._message_api(record)

    def _reply_target(self, chat: Chat, params: Params) -> int | None:
        reply = params.get("reply_parameters")
        if not isinstance(reply, dict) or reply.get("message_id") is None:
            return None
        target = chat.messages.get(_int(reply, "message_id") or 0)
        if target is not None and not target.deleted:
            return target.message_id
        if reply.get("allow_sending_without_reply"):
            return None
        raise ApiError(400, "Bad Request: message to be replied not found")

    def _send_chat_action(self, params: Params) -> bool:
        self._target_chat(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        return True

    def _editable(self, params: Params) -> MessageRecord:
        chat = self._target_chat(params)
        record = chat.messages.get(_int(params, "message_id") or 0)
        if record is None or record.deleted:
            raise ApiError(400, EDIT_NOT_FOUND)
        if not record.from_bot:
            raise ApiError(400, "Bad Request: message can't be edited")
        return record

    def _edit_message_text(self, params: Params) -> JSON:
        record = self._editable(params)
        if record.kind != "text":
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        formatted = _formatted(params, "text")
        _check_text(formatted.text)
        return self._edit_formatted(record, formatted, params)

    def _edit_message_caption(self, params: Params) -> JSON:
        record = self._editable(params)
        if record.kind == "text":
            raise ApiError(400, "Bad Request: there is no caption in the message to edit")
        return self._edit_formatted(record, _caption(params), params)

    def _edit_formatted(
        self, record: MessageRecord, formatted: _Formatted, params: Params
    ) -> JSON:
        """A message's text or caption replaced; one that changes nothing is refused."""
        markup = _checked_markup(params.get("reply_markup"))
        before = (record.text, record.entities, _inline(record.reply_markup))
        if (formatted.text, formatted.entities, _inline(markup)) == before:
            raise ApiError(400, NOT_MODIFIED)
        record.raw_text, record.text, record.entities, record.parse_mode = formatted
        self._finish_edit(record, markup)
        return self._message_api(record)

    def _edit_message_reply_markup(self, params: Params) -> JSON:
        record = self._editable(params)
        markup = _checked_markup(params.get("reply_markup"))
        if _inline(markup) == _inline(record.reply_markup):
            raise ApiError(400, NOT_MODIFIED)
        self._finish_edit(record, markup)
        return self._message_api(record)

    def _finish_edit(self, record: MessageRecord, markup: JSON | None) -> None:
        """An edit without reply_markup removes the inline keyboard, as on Telegram."""
        if markup is not None or _inline(record.reply_markup):
            record.reply_markup = markup
        self._mark_edited(record)

    def _delete_message(self, params: Params) -> bool:
        chat = self._target_chat(params)
        record = chat.messages.get(_int(params, "message_id") or 0)
        if record is None or record.deleted:
            raise ApiError(400, DELETE_NOT_FOUND)
        self._check_deletable(chat, record)
        record.deleted = True
        return True

    def _delete_messages(self, params: Params) -> bool:
        """Like Telegram, messages that can't be found or deleted are skipped."""
        chat = self._target_chat(params)
        ids = params.get("message_ids")
        for message_id in ids if isinstance(ids, list) else []:
            record = chat.messages.get(message_id) if isinstance(message_id, int) else None
            if record is not None and not record.deleted and self._deletable(chat, record):
                record.deleted = True
        return True

    def _deletable(self, chat: Chat, record: MessageRecord) -> bool:
        try:
            self._check_deletable(chat, record)
        except ApiError:
            return False
        return True

    def _check_deletable(self, chat: Chat, record: MessageRecord) -> None:
        if self.now() - record.date > DELETE_WINDOW:
            raise ApiError(400, "Bad Request: message can't be deleted for everyone")
        if chat.user is None and not record.from_bot:
            raise ApiError(400, "Bad Request: message can't be deleted")

    def _answer_callback_query(self, params: Params) -> bool:
        query = self.callback_queries.get(str(params.get("callback_query_id")))
        if query is None or query.answered:
            raise ApiError(400, QUERY_INVALID)
        if self.limits is not None and self.limits.too_old(query.tapped_at):
            raise ApiError(400, QUERY_INVALID)
        text = params.get("text")
        if text is not None and utf16_len(str(text)) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        query.answer = CallbackAnswer(
            query.id, text, bool(params.get("show_alert")), params.get("url")
        )
        self.callback_answers.append(query.answer)
        return True

    def _commands_key(self, params: Params) -> tuple[str, str]:
        language = params.get("language_code") or ""
        if not re.fullmatch(r"(?:[a-z]{2})?", str(language)):
            raise ApiError(400, "Bad Request: Invalid language code specified")
        scope = params.get("scope")
        chat_id = _int(scope, "chat_id") if isinstance(scope, dict) else None
        if chat_id is not None and chat_id not in self._chats:
            raise ApiError(400, CHAT_NOT_FOUND)
        return _scope_key(scope), str(language)

    def _set_my_commands(self, params: Params) -> bool:
        key = self._commands_key(params)
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise ApiError(400, "Bad Request: can't parse commands JSON object")
        if len(commands) > 100:
            raise ApiError(400, "Bad Request: BOT_COMMANDS_TOO_MUCH")
        self._commands[key] = [_checked_command(command) for command in commands]
        return True

    def _get_my_commands(self, params: Params) -> list[JSON]:
        return self._commands.get(self._commands_key(params), [])

    def _delete_my_commands(self, params: Params) -> bool:
        self._commands.pop(self._commands_key(params), None)
        return True


# ------------------------------------------------------------------------- pure helpers


def _int(params: Params, name: str) -> int | None:
    value = params.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _chat_id(chat: Chat | User | int) -> int:
    return chat if isinstance(chat, int) else chat.id


def _scope_key(scope: JSON | None) -> str:
    return json.dumps(scope or {"type": "default"}, sort_keys=True)


def _inline(markup: JSON | None) -> JSON | None:
    """The markup if it is an inline keyboard (the only kind a message keeps)."""
    return markup if markup and "inline_keyboard" in markup else None


def _command(text: str) -> list[Entity]:
    match = _COMMAND_PREFIX.match(text)
    if match is None:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(match.group())}]


def _formatted(params: Params, name: str) -> _Formatted:
    raw = "" if params.get(name) is None else str(params[name])
    mode = params.get("parse_mode") or None
    if mode is not None and str(mode).lower() not in _PARSE_MODES:
        raise ApiError(400, "Bad Request: unsupported parse_mode")
    text, entities = raw, []
    if mode is not None and str(mode).lower() == "html":
        try:
            text, entities = parse_html(raw)
        except EntityParseError as error:
            raise ApiError(400, f"Bad Request: can't parse entities: {error}") from None
    return _Formatted(raw, *trim(text, entities), mode)


def _check_text(text: str) -> None:
    if not text:
        raise ApiError(400, TEXT_EMPTY)
    if utf16_len(text) > TEXT_MAX:
        raise ApiError(400, TEXT_TOO_LONG)


def _checked_markup(markup: Any) -> JSON | None:
    if markup is None:
        return None
    rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else None
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    for row in rows:
        for button in row:
            _check_button(button)
    if sum(len(row) for row in rows) > BUTTONS_MAX:
        raise ApiError(400, MARKUP_TOO_LONG)
    return markup


def _check_button(button: Any) -> None:
    if not isinstance(button, dict):
        raise ApiError(400, "Bad Request: can't parse inline keyboard button: must be an Object")
    if not button.get("text"):
        raise ApiError(400, "Bad Request: BUTTON_TEXT_EMPTY")
    if not _BUTTON_ACTIONS & button.keys():
        raise ApiError(
            400,
            "Bad Request: can't parse inline keyboard button: "
            "Text buttons are unallowed in the inline keyboard",
        )
    data = button.get("callback_data")
    if data is not None and not 1 <= len(str(data).encode()) <= CALLBACK_DATA_MAX:
        raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")


def _checked_command(command: Any) -> JSON:
    """Telegram trims and drops a leading slash, then enforces its rules."""
    if not isinstance(command, dict):
        raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
    name = str(command.get("command", "")).strip().removeprefix("/")
    description = str(command.get("description", "")).strip()
    if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
        raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
    if not 1 <= len(description) <= 256:
        raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
    return {"command": name, "description": description}


def _find_button(record: MessageRecord, data: str | None, label: str | None) -> JSON:
    if (data is None) == (label is None):
        raise ValueError("tap() needs exactly one of data or label=")
    for button in record.buttons:
        if button["text"] == label or (data is not None and button.get("callback_data") == data):
            if "callback_data" not in button:
                raise LookupError(f"button {button['text']!r} has no callback_data: {button}")
            return button
    wanted = f"label {label!r}" if label is not None else f"callback_data {data!r}"
    raise LookupError(
        f"no button with {wanted} on message {record.message_id}; "
        f"its buttons are {[(b['text'], b.get('callback_data')) for b in record.buttons]}"
    )


def _caption(params: Params) -> _Formatted:
    formatted = _formatted(params, "caption")
    if utf16_len(formatted.text) > CAPTION_MAX:
        raise ApiError(400, CAPTION_TOO_LONG)
    return formatted


def _photo_sizes(file_id: str, size: int) -> list[JSON]:
    return [
        {"file_id": f"{file_id}s", "file_unique_id": f"{file_id}us", "width": 90, "height": 90},
        {
            "file_id": file_id,
            "file_unique_id": f"{file_id}u",
            "width": 1280,
            "height": 960,
            "file_size": size,
        },
    ]


def _media_payload(kind: str, file_id: str, user: User) -> JSON:
    """Minimal but complete payloads, enough for PTB's parsing and filters."""
    file = {"file_id": file_id, "file_unique_id": f"{file_id}u"}
    payloads: dict[str, JSON] = {
        "sticker": file
        | {"type": "regular", "width": 512, "height": 512, "is_animated": False}
        | {"is_video": False, "emoji": "👍"},
        "voice": file | {"duration": 3, "mime_type": "audio/ogg", "file_size": 9_000},
        "video": file | {"width": 640, "height": 360, "duration": 5, "mime_type": "video/mp4"},
        "document": file
        | {"file_name": "document.pdf", "mime_type": "application/pdf", "file_size": 20_000},
        "location": {"latitude": 48.0061, "longitude": 0.1996},
        "contact": {"phone_number": "+33600000000", "first_name": user.first_name}
        | {"user_id": user.id},
    }
    return payloads[kind]
