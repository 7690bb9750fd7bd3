"""Telegram's flood limits, as the fake Bot API enforces them when asked (`enforce_limits`).

Telegram answers a bot that sends too fast with 429 and `retry_after`; the limits are not
published exactly: about 30 messages a second for one bot, about one a second to one private
chat (short bursts pass), 20 a minute to one group. Each is modelled here as a leaky bucket
(what PTB's AIORateLimiter and aiolimiter use too): a bucket of `burst` messages that drains
at `per_second`; a message that would overflow it is refused, and `retry_after` says when one
more fits. Only messages sent count (edits, answers to taps and reads do not), as on Telegram.
Time is the real monotonic clock, the one the bot's own limiter runs on, never the world's
clock that tests move by hand.
"""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

# Methods that post a new message in a chat.
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
# An answer to a tap that comes later than this is refused (the app stopped waiting).
CALLBACK_ANSWER_SECONDS = 15.0


@dataclass(frozen=True)
class Rate:
    burst: float  # messages that may go at once
    per_second: float  # how fast the bucket drains


@dataclass(frozen=True)
class FloodRules:
    """Telegram's limits (the defaults), or others for a test."""

    bot: Rate = Rate(burst=30, per_second=30)
    private_chat: Rate = Rate(burst=5, per_second=1)
    group: Rate = Rate(burst=20, per_second=20 / 60)


@dataclass
class _Bucket:
    rate: Rate
    level: float = 0.0
    at: float = 0.0

    def drained(self, now: float) -> float:
        return max(0.0, self.level - (now - self.at) * self.rate.per_second)

    def wait_for_room(self, now: float) -> float:
        """Seconds until one more message fits (0: it fits now)."""
        overflow = self.drained(now) + 1 - self.rate.burst
        return max(0.0, overflow / self.rate.per_second)

    def take(self, now: float) -> None:
        self.level, self.at = self.drained(now) + 1, now


@dataclass
class FloodLimits:
    """The buckets of one bot, and what they refused (tests read `refused`)."""

    rules: FloodRules = field(default_factory=FloodRules)
    clock: Callable[[], float] = time.monotonic
    refused: list[tuple[str, int]] = field(default_factory=list)  # (method, chat id)
    _bot: _Bucket | None = None
    _chats: dict[int, _Bucket] = field(default_factory=dict)

    def admit(self, method: str, chat_id: int, private: bool) -> int | None:
        """None when a message of `method` to `chat_id` may go now (and count it), else the
        `retry_after` Telegram would answer, in whole seconds."""
        if method not in SENDING:
            return None
        now = self.clock()
        if self._bot is None:
            self._bot = _Bucket(self.rules.bot)
        rate = self.rules.private_chat if private else self.rules.group
        chat = self._chats.setdefault(chat_id, _Bucket(rate))
        wait = max(self._bot.wait_for_room(now), chat.wait_for_room(now))
        if wait > 0:
            self.refused.append((method, chat_id))
            return max(1, math.ceil(wait))
        self._bot.take(now)
        chat.take(now)
        return None

    def too_old(self, tapped_at: float) -> bool:
        """An answer to a tap made at `tapped_at` (this clock) comes too late."""
        return self.clock() - tapped_at > CALLBACK_ANSWER_SECONDS
