"""The periods the figures are asked for: whole local days, the end excluded.

`python -m bot report --from 2015-01-01 --to 2018-12-31` counts both days; /chiffres offers
this quarter, last quarter, this year, last year and since the start (the first case)."""

from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from domain.figures import Period


class Span(StrEnum):
    THIS_QUARTER = "this_quarter"
    LAST_QUARTER = "last_quarter"
    THIS_YEAR = "this_year"
    LAST_YEAR = "last_year"
    SINCE_START = "since_start"


def days(first: date, last: date, zone: ZoneInfo) -> Period:
    """From `first` to `last`, both included, in local time."""
    if last < first:
        raise ValueError("the period ends before it starts")
    return Period(_midnight(first, zone), _midnight(last + timedelta(days=1), zone))


def span(which: Span, today: date, zone: ZoneInfo, first_case: date | None = None) -> Period:
    """A period of /chiffres, as of `today` (a period still going on ends tomorrow at 00:00)."""
    quarter_start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    match which:
        case Span.THIS_QUARTER:
            return days(quarter_start, today, zone)
        case Span.LAST_QUARTER:
            last_day = quarter_start - timedelta(days=1)
            return days(
                date(last_day.year, 3 * ((last_day.month - 1) // 3) + 1, 1), last_day, zone
            )
        case Span.THIS_YEAR:
            return days(date(today.year, 1, 1), today, zone)
        case Span.LAST_YEAR:
            return days(date(today.year - 1, 1, 1), date(today.year - 1, 12, 31), zone)
        case Span.SINCE_START:
            return days(min(first_case or today, today), today, zone)


def last_day(period: Period, zone: ZoneInfo) -> date:
    """The period's last local day (its end is the midnight after it)."""
    return (period.end.astimezone(zone) - timedelta(days=1)).date()


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    """Local midnight, as the UTC instant the stored times are compared with (a comparison
    across two zones asks the local zone its offset each time: a year's figures make a
    hundred thousand)."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
