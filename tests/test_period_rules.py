"""The periods of the figures: whole local days, the last one included."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from domain.periods import Span, days, last_day, span

PARIS = ZoneInfo("Europe/Paris")


def paris(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, tzinfo=PARIS)


def test_a_report_from_one_day_to_another_counts_both_days():
    period = days(date(2015, 1, 1), date(2018, 12, 31), PARIS)
    assert (period.start, period.end) == (paris(2015, 1, 1), paris(2019, 1, 1))
    assert last_day(period, PARIS) == date(2018, 12, 31)


def test_a_period_that_ends_before_it_starts_is_refused():
    with pytest.raises(ValueError, match="ends before"):
        days(date(2018, 1, 2), date(2018, 1, 1), PARIS)


@pytest.mark.parametrize(
    ("which", "start", "end"),
    [
        # As of Wednesday 18 February 2027.
        (Span.THIS_QUARTER, paris(2027, 1, 1), paris(2027, 2, 19)),
        (Span.LAST_QUARTER, paris(2026, 10, 1), paris(2027, 1, 1)),
        (Span.THIS_YEAR, paris(2027, 1, 1), paris(2027, 2, 19)),
        (Span.LAST_YEAR, paris(2026, 1, 1), paris(2027, 1, 1)),
        (Span.SINCE_START, paris(2015, 3, 2), paris(2027, 2, 19)),
    ],
)
def test_the_periods_offered_in_the_chat(which: Span, start: datetime, end: datetime):
    period = span(which, date(2027, 2, 18), PARIS, first_case=date(2015, 3, 2))
    assert (period.start, period.end) == (start, end)


def test_the_last_quarter_of_a_summer_day_is_the_spring():
    period = span(Span.LAST_QUARTER, date(2027, 8, 31), PARIS)
    assert (period.start, period.end) == (paris(2027, 4, 1), paris(2027, 7, 1))


def test_since_the_start_of_an_empty_programme_is_today():
    period = span(Span.SINCE_START, date(2027, 8, 31), PARIS)
    assert (period.start, period.end) == (paris(2027, 8, 31), paris(2027, 9, 1))
