"""Dates and times typed the French way: "12/03 14h30", "mardi 9h", "demain 10h".

dateparser reads the words; two habits of French writing are made explicit first, because
it misreads them ("9h" as the 9th, "10h" as ten hours from now). Times are local to the
programme's zone; a time that does not exist on a spring clock-change day is refused
rather than silently moved.
"""

import re
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

import dateparser

_HOUR = re.compile(r"\b(\d{1,2})\s*[hH:]\s*(\d{2})?\b")
_SETTINGS = {"PREFER_DATES_FROM": "future", "DATE_ORDER": "DMY", "RETURN_AS_TIMEZONE_AWARE": False}


class WhenProblem(StrEnum):
    UNREADABLE = "unreadable"
    NO_TIME = "no_time"
    PAST = "past"
    NONEXISTENT = "nonexistent"  # e.g. 02:30 on the last Sunday of March


class WhenError(ValueError):
    def __init__(self, problem: WhenProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def parse_when(text: str, now: datetime, zone: ZoneInfo) -> datetime:
    """A future local date and time from French words, as an aware datetime in `zone`."""
    if not _HOUR.search(text):
        raise WhenError(WhenProblem.NO_TIME if _parse(text, now, zone) else WhenProblem.UNREADABLE)
    normalised = _HOUR.sub(lambda m: f"{int(m.group(1)):02d}:{m.group(2) or '00'}", text)
    naive = _parse(normalised, now, zone)
    if naive is None:
        raise WhenError(WhenProblem.UNREADABLE)
    return future_local(naive.date(), naive.time(), now, zone)


def future_local(day: date, at: time, now: datetime, zone: ZoneInfo) -> datetime:
    """`day` at `at` in `zone`, refused when it is past or does not exist that day."""
    local = datetime.combine(day, at, tzinfo=zone)
    if not exists(local):
        raise WhenError(WhenProblem.NONEXISTENT)
    if local <= now:
        raise WhenError(WhenProblem.PAST)
    return local


def exists(local: datetime) -> bool:
    """False for a wall-clock time skipped when clocks go forward."""
    round_trip = local.astimezone(ZoneInfo("UTC")).astimezone(local.tzinfo)
    return round_trip.replace(tzinfo=None) == local.replace(tzinfo=None)


def parse_day(text: str, now: datetime, zone: ZoneInfo) -> date:
    """A day from French words ("hier", "12/03", "mardi dernier"), past days allowed."""
    parsed = dateparser.parse(
        text,
        languages=["fr", "en"],
        settings={
            **_SETTINGS,
            "PREFER_DATES_FROM": "past",
            "RELATIVE_BASE": now.astimezone(zone).replace(tzinfo=None),
        },
    )
    if parsed is None:
        raise WhenError(WhenProblem.UNREADABLE)
    return parsed.date()


def _parse(text: str, now: datetime, zone: ZoneInfo) -> datetime | None:
    base = now.astimezone(zone).replace(tzinfo=None)
    return dateparser.parse(
        text, languages=["fr", "en"], settings={**_SETTINGS, "RELATIVE_BASE": base}
    )


def days_ahead(now: datetime, zone: ZoneInfo, count: int) -> list[date]:
    today = now.astimezone(zone).date()
    return [today + timedelta(days=offset) for offset in range(count)]
