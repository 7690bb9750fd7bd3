"""The web chat page: act as several people side by side, on the playground's own Telegram.

Served by the same loopback server as the fake Bot API. The page polls `/api/state` (every
person's chat with the bot, buttons, edits, deletions, button answers) and posts what a
person does: `/api/send` (a text), `/api/tap` (a button), `/api/language`, and
`/api/clock` (move time forward by some minutes, or until the bot next writes by itself:
the next reminder, an escalation..., as if the bot had been running meanwhile).
"""

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tornado.web import HTTPError, RedirectHandler, RequestHandler, StaticFileHandler

from bot.i18n import format_datetime, use_language
from bot.labels import role_label
from playground.fakebotapi import Chat, MessageRecord, TelegramWorld, User

STATIC = Path(__file__).with_name("static")
LATEST_ANSWERS = 3  # the button answers (pop-ups) shown under a chat
LONGEST_MOVE = 7 * 24 * 60  # minutes: the clock buttons move by an hour or a day


@dataclass(frozen=True)
class Pane:
    """One column of the page: a person, their chat with the bot, and who they are."""

    user: User
    name: str
    role: str  # the role's name, as the page shows it
    chat: Chat | None = None  # a group chat instead of the person's private one


class Playground:
    """The page's side: its panes, and how to move the clock (set once the bot runs)."""

    def __init__(self, world: TelegramWorld, now: Callable[[], datetime], zone: ZoneInfo) -> None:
        self.world, self.now, self.zone = world, now, zone
        self.panes: list[Pane] = []
        self.fast_forward: Callable[[int | None], Awaitable[None]] | None = None

    def routes(self) -> list[tuple]:
        return [
            (r"/", _Page),
            (r"/static/(.*)", StaticFileHandler, {"path": STATIC}),
            (r"/favicon.ico", RedirectHandler, {"url": "/static/favicon.svg"}),
            (r"/api/state", _State, {"playground": self}),
            (r"/api/(send|tap|language|clock)", _Act, {"playground": self}),
            (r"/api/media/(-?[0-9]{1,15})/([0-9]{1,10})", _Media, {"playground": self}),
        ]

    def state(self) -> dict[str, Any]:
        now = self.now()
        with use_language("fr"):
            clock = format_datetime(now, self.zone)
        return {
            "clock": clock,
            "zone": self.zone.key,  # messages show Relais' times, whatever the browser's zone
            "today": now.astimezone(self.zone).date().isoformat(),  # older ones show their day
            "panes": [self._pane(index, pane) for index, pane in enumerate(self.panes)],
        }

    def written_by_bot(self) -> int:
        """How many messages the bot has written in the panes' chats (deleted ones too)."""
        return sum(
            len(self.world.bot_messages(pane.chat or pane.user, include_deleted=True))
            for pane in self.panes
        )

    def _pane(self, index: int, pane: Pane) -> dict[str, Any]:
        chat = pane.chat.id if pane.chat else pane.user.id
        return {
            "index": index,
            "name": pane.name,
            "role": pane.role,
            "language": pane.user.language_code or "fr",
            "group": pane.chat.title if pane.chat else None,
            "messages": [
                _message(record, self.zone, chat) for record in self.world.messages(chat)
            ],
            "answers": self.world.callback_answer_texts(pane.user)[-LATEST_ANSWERS:],
        }

    def media(self, chat: int, message: int) -> MessageRecord | None:
        """A photo or a file the bot sent in one of the panes' chats (a chart, a QR code)."""
        chats = {pane.chat.id if pane.chat else pane.user.id for pane in self.panes}
        if chat not in chats:
            return None
        return next(
            (
                record
                for record in self.world.messages(chat)
                if record.message_id == message and record.photo is not None
            ),
            None,
        )

    async def act(self, action: str, body: dict[str, Any]) -> None:
        if action == "clock":
            if self.fast_forward is not None:
                await self.fast_forward(_minutes(body.get("minutes")))
            return
        pane = self.panes[int(body["pane"])]
        if action == "send":
            text = str(body.get("text", "")).strip()
            if text:
                self.world.send_text(pane.user, text, pane.chat)
        elif action == "tap":
            self.world.tap(pane.user, int(body["message"]), str(body["data"]), chat=pane.chat)
        elif action == "language":
            pane.user.language_code = "en" if body.get("language") == "en" else "fr"


def pane_role(role: Any, language: str = "fr") -> str:
    with use_language(language):
        return role_label(role)


def _minutes(value: Any) -> int | None:
    """How far the clock moves (None: to the bot's next message of its own)."""
    if value is None:
        return None
    minutes = int(value)
    if not 0 < minutes <= LONGEST_MOVE:
        raise ValueError("the clock moves forward, by a week at most")
    return minutes


def _message(record: MessageRecord, zone: ZoneInfo, chat: int) -> dict[str, Any]:
    sent = datetime.fromtimestamp(record.date, UTC)
    return {
        "id": record.message_id,
        "from_bot": record.from_bot,
        "author": record.sender.first_name,
        "kind": record.kind,
        "text": record.text,
        "time": sent.isoformat(),
        "day": sent.astimezone(zone).date().isoformat(),
        "edited": record.edit_count > 0,
        "deleted": record.deleted,
        "buttons": [
            [
                {
                    "text": button["text"],
                    "data": button.get("callback_data"),
                    "url": button.get("url"),
                }
                for button in row
            ]
            for row in (record.reply_markup or {}).get("inline_keyboard", [])
        ],
        "photo": record.kind == "photo",
        # What the bot sent as a photo or a file, to show or to download.
        "media": f"/api/media/{chat}/{record.message_id}" if record.photo is not None else None,
        "file_name": (record.media or {}).get("file_name") if record.kind == "document" else None,
    }


class _Page(RequestHandler):
    def get(self) -> None:
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish((STATIC / "index.html").read_bytes())


class _State(RequestHandler):
    def initialize(self, playground: Playground) -> None:
        self.playground = playground

    def get(self) -> None:
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(self.playground.state(), ensure_ascii=False))


class _Media(RequestHandler):
    def initialize(self, playground: Playground) -> None:
        self.playground = playground

    def get(self, chat: str, message: str) -> None:
        record = self.playground.media(int(chat), int(message))
        if record is None or record.photo is None:
            raise HTTPError(404)
        if record.kind == "photo":
            png = record.photo.startswith(b"\x89PNG")
            self.set_header("Content-Type", "image/png" if png else "image/jpeg")
        else:
            name = (record.media or {}).get("file_name") or "document"
            self.set_header("Content-Type", "application/octet-stream")
            self.set_header("Content-Disposition", f'attachment; filename="{_safe_name(name)}"')
        self.set_header("Cache-Control", "no-store")
        self.finish(record.photo)


def _safe_name(name: str) -> str:
    """A file name fit for a header: letters, digits, dots, dashes and underscores."""
    return "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in name)


class _Act(RequestHandler):
    def initialize(self, playground: Playground) -> None:
        self.playground = playground

    async def post(self, action: str) -> None:
        try:
            body = json.loads(self.request.body or b"{}")
            await self.playground.act(action, body)
        except (ValueError, KeyError, IndexError, LookupError, TypeError) as error:
            self.set_status(400)
            self.finish({"error": type(error).__name__})
            return
        self.finish({"ok": True})
