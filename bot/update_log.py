"""One log line per update: its id, what it asked for, how long it took, how it ended.

Never what anyone typed: "what" is the command's name, or the button's flow and action, or
just "message". The outcome is set by whoever ends the update early (the gate refuses or
throttles, the error handler) in a context variable the update's task shares.
"""

import json
import logging
import time
from collections.abc import Awaitable
from contextvars import ContextVar

from telegram import Update

from bot import buttons, permissions

logger = logging.getLogger("relais.updates")

OK, REFUSED, THROTTLED, IGNORED, FAILED = "ok", "refused", "throttled", "ignored", "error"
_outcome: ContextVar[str] = ContextVar("update_outcome", default=OK)


def set_outcome(outcome: str) -> None:
    _outcome.set(outcome)


async def logged(update: object, handling: Awaitable[None]) -> None:
    """Handle the update, then log its line (even when handling raised)."""
    token = _outcome.set(OK)
    started = time.perf_counter()
    try:
        await handling
    finally:
        if isinstance(update, Update):
            milliseconds = (time.perf_counter() - started) * 1000
            fields = {
                "update_id": update.update_id,
                "handler": describe(update),
                "ms": round(milliseconds),
                "outcome": _outcome.get(),
            }
            logger.info(
                "update %(update_id)s %(handler)s %(ms)s ms %(outcome)s", fields, extra=fields
            )
        _outcome.reset(token)


def describe(update: Update) -> str:
    """The command, or the button by its declaration's name (bot.buttons), never the ids or
    values it carries; anything not ours is only "unknown"."""
    if update.callback_query is not None:
        button = buttons.find(update.callback_query.data)
        return f"button {type(button).__name__}" if button is not None else "unknown button"
    message = update.effective_message
    name = permissions.command_name(message.text if message else None)
    if name is None:
        return "edited message" if update.edited_message else "message"
    command = permissions.command_named(name)
    return f"command {command.fr}" if command is not None else "unknown command"


class JsonLines(logging.Formatter):
    """LOG_FORMAT=json: one JSON object per line, with the update's fields when there are."""

    FIELDS = ("update_id", "handler", "ms", "outcome")

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line |= {field: getattr(record, field) for field in self.FIELDS if hasattr(record, field)}
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)
