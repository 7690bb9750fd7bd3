"""Dates and times typed the French way: "12/03 14h30", "mardi 9h", "demain 10h" (and the
English way: "tuesday 9am", "12/03 2:30 pm").

dateparser reads the words; two habits of French writing are made explicit first, because
it misreads them ("9h" as the 9th, "10h" as ten hours from now). Times are local to the
programme's zone; a time that does not exist on a spring clock-change day is refused
rather than silently moved.
"""

import re
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

import dateparser

_HOUR = re.compile(r"\b(\d{1,2})\s*[hH:]\s*(\d{2})?\b")
# English readers write "9am", "2:30 pm": made 24-hour before anything else.
_AM_PM = re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*([ap])\.?m\.?(?!\w)", re.IGNORECASE)
_SETTINGS = {"PREFER_DATES_FROM": "future", "DATE_ORDER": "DMY", "RETURN_AS_TIMEZONE_AWARE": False}


class WhenProblem(StrEnum):
    UNREADABLE = "unreadable"
    NO_TIME = "no_time"
    PAST = "past"
    NONEXISTENT = "nonexistent"  # e.g. 02:30 on the last Sunday of March
    TOO_FAR = "too_far"


# Nothing in the programme is planned further ahead (its whole support lasts 18 months);
# a date beyond is a typing slip or a forged button.
HORIZON = timedelta(days=2 * 365)


class WhenError(ValueError):
    def __init__(self, problem: WhenProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def parse_when(text: str, now: datetime, zone: ZoneInfo) -> datetime:
    """A future local date and time from French words, as an aware datetime in `zone`."""
    text = _AM_PM.sub(_twenty_four_hour, text)
    if not _HOUR.search(text):
        raise WhenError(WhenProblem.NO_TIME if _parse(text, now, zone) else WhenProblem.UNREADABLE)
    normalised = _HOUR.sub(lambda m: f"{int(m.group(1)):02d}:{m.group(2) or '00'}", text)
    naive = _parse(normalised, now, zone)
    if naive is None:
        raise WhenError(WhenProblem.UNREADABLE)
    return future_local(naive.date(), naive.time(), now, zone)


def _twenty_four_hour(match: re.Match[str]) -> str:
    hour, minutes, half = int(match.group(1)), match.group(2) or "00", match.group(3).lower()
    if not 1 <= hour <= 12:
        return match.group(0)  # "13pm" is no time: left for the reader to refuse
    return f"{hour % 12 + (12 if half == 'p' else 0)}:{minutes}"


def future_local(day: date, at: time, now: datetime, zone: ZoneInfo) -> datetime:
    """`day` at `at` in `zone`, refused when it is past or does not exist that day."""
    local = datetime.combine(day, at, tzinfo=zone)
    if not exists(local):
        raise WhenError(WhenProblem.NONEXISTENT)
    return _within_horizon(local, now)


def slot_at(minutes: int, now: datetime) -> datetime:
    """The moment a calendar button names (minutes since the epoch, UTC)."""
    if minutes * 60 > (now + HORIZON).timestamp():
        raise WhenError(WhenProblem.TOO_FAR)
    return _within_horizon(datetime.fromtimestamp(minutes * 60, tz=UTC), now)


def _within_horizon(moment: datetime, now: datetime) -> datetime:
    if moment <= now:
        raise WhenError(WhenProblem.PAST)
    if moment > now + HORIZON:
        raise WhenError(WhenProblem.TOO_FAR)
    return moment


def exists(local: datetime) -> bool:
    """False for a wall-clock time skipped when clocks go forward."""
    round_trip = local.astimezone(ZoneInfo("UTC")).astimezone(local.tzinfo)
    return round_trip.replace(tzinfo=None) == local.replace(tzinfo=None)


def parse_day(text: str, now: datetime, zone: ZoneInfo) -> date:
    """A day from French words ("hier", "12/03", "3 décembre"), past days allowed."""
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


QUICK_HOURS = (time(9), time(14))
SLOT_HOURS = (8, 19)  # the calendar offers 08:00 to 18:30
SLOT_MINUTES = 30


def quick_slots(now: datetime, zone: ZoneInfo, days: int = 2) -> list[datetime]:
    """The usual choices: the next working days (Monday to Saturday) at 9:00 and 14:00."""
    slots: list[datetime] = []
    day = now.astimezone(zone).date()
    while len(slots) < days * len(QUICK_HOURS):
        day += timedelta(days=1)
        if day.weekday() != 6:  # nobody meets on Sunday
            slots += [datetime.combine(day, at, tzinfo=zone) for at in QUICK_HOURS]
    return slots


def day_slots(day: date, now: datetime, zone: ZoneInfo) -> list[datetime]:
    """Every half hour of a working day that is still to come and exists on the wall clock."""
    slots = []
    for hour in range(*SLOT_HOURS):
        for minute in range(0, 60, SLOT_MINUTES):
            local = datetime.combine(day, time(hour, minute), tzinfo=zone)
            if exists(local) and local > now:
                slots.append(local)
    return slots
