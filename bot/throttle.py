"""How many updates a person may send: a sliding one-minute window per Telegram user, in memory.

Nothing is written anywhere: a stranger flooding the bot leaves no row, and the windows are
forgotten a minute after the person's last accepted update, so the table cannot grow without
bound. A burst over the limit is told once (`Verdict.WARN`); what follows it in the same
window is dropped without a word (`Verdict.DROP`), so a flood cannot make the bot flood back.
"""

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum

from bot.context import RelaisApplication

WINDOW = timedelta(minutes=1)
_KEY = "relais.throttle"  # where the application keeps its throttle (bot_data is not persisted)


class Verdict(Enum):
    ALLOW = "allow"
    WARN = "warn"  # the first refused update of a burst: say it once
    DROP = "drop"  # refused again within the window: say nothing


@dataclass
class _Window:
    accepted: deque[datetime] = field(default_factory=deque)
    warned_at: datetime | None = None


class Throttle:
    """At most `limit` accepted updates per `window` for each key (a Telegram user id)."""

    def __init__(
        self, limit: int, clock: Callable[[], datetime], window: timedelta = WINDOW
    ) -> None:
        if limit < 1:
            raise ValueError("the limit must be at least 1")
        self.limit = limit
        self.window = window
        self.clock = clock
        self._windows: dict[int, _Window] = {}
        self._swept_at: datetime | None = None

    def __len__(self) -> int:
        """How many people the throttle remembers right now."""
        return len(self._windows)

    def __contains__(self, key: int) -> bool:
        return key in self._windows

    def hit(self, key: int) -> Verdict:
        """Count one update from `key` and say whether it may go on."""
        now = self.clock()
        self._sweep(now)
        window = self._windows.setdefault(key, _Window())
        self._forget_old(window, now)
        if len(window.accepted) < self.limit:
            window.accepted.append(now)
            return Verdict.ALLOW
        if window.warned_at is None or now - window.warned_at >= self.window:
            window.warned_at = now
            return Verdict.WARN
        return Verdict.DROP

    def _forget_old(self, window: _Window, now: datetime) -> None:
        while window.accepted and now - window.accepted[0] >= self.window:
            window.accepted.popleft()
        if window.warned_at is not None and now - window.warned_at >= self.window:
            window.warned_at = None

    def _sweep(self, now: datetime) -> None:
        """Drop the windows with nothing left in them, at most once per window length."""
        if self._swept_at is not None and now - self._swept_at < self.window:
            return
        self._swept_at = now
        for key in list(self._windows):
            window = self._windows[key]
            self._forget_old(window, now)
            if not window.accepted and window.warned_at is None:
                del self._windows[key]


def throttle_of(application: RelaisApplication) -> Throttle:
    """The application's throttle, made on first use from its settings and its clock."""
    throttle = application.bot_data.get(_KEY)
    if throttle is None:
        throttle = Throttle(application.settings.user_messages_per_minute, application.now)
        application.bot_data[_KEY] = throttle
    return throttle
