"""A fake Telegram Bot API owned by the tests: the real PTB application talks HTTP to it.

`FakeBotAPI` is both the server (``await fake.start()``, ``fake.base_url``) and the world
tests act on: add users, send texts/media, tap buttons, read what the bot sent, inject
faults. The world itself (`TelegramWorld`, pure state) is reusable without HTTP.
"""

from playground.fakebotapi.server import FakeBotAPI
from playground.fakebotapi.world import (
    Call,
    CallbackAnswer,
    CallbackQueryRecord,
    Chat,
    MessageRecord,
    TelegramWorld,
    User,
)

__all__ = [
    "Call",
    "CallbackAnswer",
    "CallbackQueryRecord",
    "Chat",
    "FakeBotAPI",
    "MessageRecord",
    "TelegramWorld",
    "User",
]
