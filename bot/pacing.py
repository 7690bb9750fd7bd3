"""Sending within Telegram's flood limits, so that no message is ever refused with a 429.

PTB's AIORateLimiter paces the whole bot and each group; it has no limit per private chat,
where Telegram allows about one message a second (short bursts pass). An alert fan-out, a
day's digest or a burst of reminders to one worker would meet that limit: this limiter adds
it, and keeps a little under Telegram's figures so that requests bunched up on their way still
arrive within them. Only the methods that post a message are paced, as Telegram counts them.
"""

import asyncio
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.ext import AIORateLimiter

# Methods that post a new message in a chat (edits and answers to taps are not paced here).
SENDING = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendMediaGroup",
        "sendVideo",
        "sendAudio",
        "sendVoice",
        "sendAnimation",
        "sendSticker",
        "sendLocation",
        "sendContact",
        "sendPoll",
        "copyMessage",
        "forwardMessage",
    }
)
GROUP_PER_MINUTE = 18  # Telegram: 20
CHAT_BURST = 3  # messages one private chat may get at once, then one every 1/rate seconds
KEPT_LIMITERS = 512  # past this many chats, idle limiters are dropped
READY_POLL_SECONDS = 0.1  # how often `chat_ready` looks again (a chat's pace: ~1 s)


class PacedRateLimiter(AIORateLimiter):
    """AIORateLimiter, plus `chat_per_second` messages a second to one private chat (0: off)."""

    def __init__(
        self, chat_per_second: float = 1.0, bot_per_second: int = 28, max_retries: int = 3
    ) -> None:
        super().__init__(
            overall_max_rate=bot_per_second,  # 0: not paced
            overall_time_period=1,
            group_max_rate=GROUP_PER_MINUTE,
            group_time_period=60,
            max_retries=max_retries,
        )
        self._chat_per_second = chat_per_second
        self._chat_limiters: dict[int, AsyncLimiter] = {}

    async def process_request(
        self,
        callback: Any,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        if endpoint not in SENDING and _private_chat(data.get("chat_id")) is not None:
            # Telegram's limits count messages sent, not a person's screen being edited or a
            # tap answered: without its chat_id AIORateLimiter paces nothing (it still retries
            # after a 429). Paced, one person's form would wait on everyone else's taps (two
            # edits and a send each). Edits in groups (the team chat's alerts) stay paced.
            unpaced = {name: value for name, value in data.items() if name != "chat_id"}
            return await super().process_request(
                callback, args, kwargs, endpoint, unpaced, rate_limit_args
            )
        if endpoint not in SENDING:
            return await super().process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )
        chat = _private_chat(data.get("chat_id"))
        if chat is None or not self._chat_per_second:
            return await super().process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )
        limiter = self._chat_limiter(chat)

        async def paced(*call_args: Any, **call_kwargs: Any) -> Any:
            # The chat's turn is taken last, once the bot's own pace let the message go:
            # taken first, a wait for the bot's pace would bunch the chat's messages up.
            async with limiter:
                return await callback(*call_args, **call_kwargs)

        return await super().process_request(paced, args, kwargs, endpoint, data, rate_limit_args)

    async def chat_ready(self, chat_id: int) -> bool:
        """Wait until a message to this chat would go at once, counting none: a sender of
        many people's messages waits out one person's pace without holding the others.
        True when it had to wait."""
        chat = _private_chat(chat_id)
        if chat is None or not self._chat_per_second:
            return False
        limiter = self._chat_limiter(chat)
        waited = False
        while not limiter.has_capacity():  # aiolimiter signals no room: look again
            waited = True
            await asyncio.sleep(READY_POLL_SECONDS)
        return waited

    def _chat_limiter(self, chat: int) -> AsyncLimiter:
        if len(self._chat_limiters) > KEPT_LIMITERS:
            for key, limiter in list(self._chat_limiters.items()):
                if key != chat and limiter.has_capacity(limiter.max_rate):
                    del self._chat_limiters[key]
        if chat not in self._chat_limiters:
            # A bucket of CHAT_BURST messages that empties at chat_per_second.
            self._chat_limiters[chat] = AsyncLimiter(
                CHAT_BURST, CHAT_BURST / self._chat_per_second
            )
        return self._chat_limiters[chat]


def _private_chat(chat_id: object) -> int | None:
    """A private chat's id is a user's: positive (groups and channels are negative)."""
    try:
        number = int(chat_id)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None
