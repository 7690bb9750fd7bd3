"""The reminder rules on their own (domain.reminders): when a reminder goes out, how late it
may be, which one carries the message when two fall due together. Through the bot:
tests/test_reminders.py."""

from datetime import datetime
from zoneinfo import ZoneInfo

from domain.reminders import ReminderRules, appointment_sends, carrier, send_time
from domain.vocabulary import ReminderKind

PARIS = ZoneInfo("Europe/Paris")
RULES = ReminderRules()  # 18:00 the evening before, 2 h before; nothing from 21:00 to 08:00
ANY_TIME = (9 * 60, 20 * 60)
MORNINGS = (9 * 60, 12 * 60)
EVE, SOON = ReminderKind.APPOINTMENT_EVE, ReminderKind.APPOINTMENT_SOON


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def test_a_person_free_all_day_gets_both_reminders_on_time() -> None:
    assert appointment_sends(at(2026, 12, 1, 14, 0), PARIS, RULES, ANY_TIME) == {
        EVE: (at(2026, 11, 30, 18, 0), at(2026, 11, 30, 18, 0)),
        SOON: (at(2026, 12, 1, 12, 0), at(2026, 12, 1, 12, 0)),
    }


def test_a_send_moved_into_safe_hours_keeps_its_allowance_from_when_it_was_owed() -> None:
    sends = appointment_sends(at(2026, 12, 1, 10, 30), PARIS, RULES, MORNINGS)
    assert sends[SOON] == (at(2026, 12, 1, 8, 30), at(2026, 12, 1, 9, 0)), "30 min late"
    assert sends[EVE] == (at(2026, 11, 30, 18, 0), None), (
        "9:00 the next morning would be 15 h after 18:00: past the evening reminder's 12 h"
    )


def test_a_reminder_whose_whole_window_is_outside_the_safe_hours_cannot_fit() -> None:
    sends = appointment_sends(at(2026, 12, 1, 15, 0), PARIS, RULES, MORNINGS)
    assert sends[SOON] == (at(2026, 12, 1, 13, 0), None), "13:00–15:00 is outside 9–12"
    assert sends[EVE][1] is None


def test_a_late_dispatch_in_the_quiet_hours_cannot_wait_past_the_allowance() -> None:
    owed, appointment = at(2026, 11, 30, 18, 0), at(2026, 12, 1, 14, 0)
    evening, night = at(2026, 11, 30, 19, 30), at(2026, 11, 30, 22, 0)
    assert send_time(EVE, owed, evening, appointment, PARIS, RULES, ANY_TIME) == evening
    assert send_time(EVE, owed, night, appointment, PARIS, RULES, ANY_TIME) is None, (
        "held until 08:00 it would be 14 h late"
    )


def test_staff_have_no_quiet_hours_only_an_allowance() -> None:
    owed = at(2026, 12, 1, 8, 0)
    digest = ReminderKind.DAILY_DIGEST  # 4 h
    late, too_late = at(2026, 12, 1, 11, 0), at(2026, 12, 1, 12, 1)
    assert send_time(digest, owed, late, None, PARIS, RULES, None) == late
    assert send_time(digest, owed, too_late, None, PARIS, RULES, None) is None


def test_of_reminders_owed_together_the_later_one_carries_the_message() -> None:
    assert carrier({EVE, SOON}) is SOON
    assert carrier({SOON, EVE}) is SOON
    assert carrier({EVE}) is EVE
    assert carrier({SOON}) is SOON
