"""When each reminder is due, and whether a late one is still worth sending.

Everything here is local time in the programme's zone, turned into aware datetimes: the
day-before reminder of a Monday appointment after the spring clock change is still at
18:00 on the Sunday, whatever UTC says.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.vocabulary import ReminderKind

K = ReminderKind


@dataclass(frozen=True)
class ReminderRules:
    appointment_eve_hour: int = 18
    appointment_soon_hours: int = 2
    digest_hour: int = 8
    phase_checkpoint_days: tuple[int, ...] = (14, 1)
    stale_case_days: int = 30
    quiet_start_hour: int = 21
    quiet_end_hour: int = 8
    review_notice_days: int = 7
    quarterly_reviews: tuple[date, ...] = ()


def appointment_reminders(
    starts_at: datetime, zone: ZoneInfo, rules: ReminderRules
) -> dict[ReminderKind, datetime]:
    """The beneficiary's two reminders of an appointment: the evening before, and soon before."""
    local_day = starts_at.astimezone(zone).date()
    eve = datetime.combine(
        local_day - timedelta(days=1), time(rules.appointment_eve_hour), tzinfo=zone
    )
    soon = starts_at - timedelta(hours=rules.appointment_soon_hours)
    return {K.APPOINTMENT_EVE: eve, K.APPOINTMENT_SOON: soon}


def digest_time(day: date, zone: ZoneInfo, rules: ReminderRules) -> datetime:
    return datetime.combine(day, time(rules.digest_hour), tzinfo=zone)


def phase_checkpoints(
    started_at: datetime, max_days: int, rules: ReminderRules
) -> dict[int, datetime]:
    """Days-before → when the worker is told that a phase nears its maximum length."""
    end = started_at + timedelta(days=max_days)
    return {
        days: end - timedelta(days=days) for days in rules.phase_checkpoint_days if days < max_days
    }


def review_notices(rules: ReminderRules, zone: ZoneInfo) -> dict[date, datetime]:
    """Each quarterly review → when it is announced (a week before, at the digest hour)."""
    return {
        review: datetime.combine(
            review - timedelta(days=rules.review_notice_days), time(rules.digest_hour), tzinfo=zone
        )
        for review in rules.quarterly_reviews
    }


def next_allowed(
    due: datetime, zone: ZoneInfo, rules: ReminderRules, safe: tuple[int, int] | None
) -> datetime:
    """The first moment at or after `due` outside the quiet hours and inside the person's
    safe hours (minutes after local midnight); `safe` None means staff, who have no limits."""
    if safe is None:
        return due
    start = max(rules.quiet_end_hour * 60, safe[0])
    end = min(rules.quiet_start_hour * 60, safe[1])
    if end <= start:  # no window left: the quiet hours rule alone
        start, end = rules.quiet_end_hour * 60, rules.quiet_start_hour * 60
    local = due.astimezone(zone)
    minutes = local.hour * 60 + local.minute
    if start <= minutes < end:
        return due
    day = local.date() if minutes < start else local.date() + timedelta(days=1)
    return datetime.combine(day, time(start // 60, start % 60), tzinfo=zone)


# How late a reminder may still be sent (after a restart, a retry or a shift into safe hours).
GRACE: dict[ReminderKind, timedelta] = {
    K.APPOINTMENT_EVE: timedelta(hours=12),
    K.APPOINTMENT_SOON: timedelta(hours=2),
    K.DAILY_DIGEST: timedelta(hours=4),
    K.PHASE_CHECKPOINT: timedelta(days=2),
    K.STALE_CASE: timedelta(days=7),
    K.QUARTERLY_REVIEW: timedelta(days=6),
    K.ESCALATION: timedelta(days=7),  # late is still better than never: nobody took the case
}


def still_useful(
    kind: ReminderKind, due_at: datetime, now: datetime, event_at: datetime | None
) -> bool:
    """A late reminder is sent if within its grace and before what it announces."""
    if event_at is not None and now >= event_at:
        return False
    return now - due_at <= GRACE[kind]


def send_time(
    kind: ReminderKind,
    due_at: datetime,
    earliest: datetime,
    event_at: datetime | None,
    zone: ZoneInfo,
    rules: ReminderRules,
    safe: tuple[int, int] | None,
) -> datetime | None:
    """When a reminder owed at `due_at` goes out: the first allowed moment from `earliest` on
    (its due time when it is planned, the present when it is dispatched late), provided that
    moment is still within its grace counted from `due_at`, the time it was owed, and before
    what it announces. None: no such moment, it can no longer be sent usefully."""
    moment = next_allowed(max(due_at, earliest), zone, rules, safe)
    return moment if still_useful(kind, due_at, moment, event_at) else None


def appointment_sends(
    starts_at: datetime, zone: ZoneInfo, rules: ReminderRules, safe: tuple[int, int]
) -> dict[ReminderKind, tuple[datetime, datetime | None]]:
    """The person's reminders of an appointment: when each is owed and when it goes out,
    None for one that cannot fit (no allowed moment within its grace before the appointment)."""
    return {
        kind: (due, send_time(kind, due, due, starts_at, zone, rules, safe))
        for kind, due in appointment_reminders(starts_at, zone, rules).items()
    }


# An appointment's reminders to the person, from the earliest to the latest.
APPOINTMENT_KINDS = (K.APPOINTMENT_EVE, K.APPOINTMENT_SOON)


def carrier(owed: Collection[ReminderKind]) -> ReminderKind:
    """Of an appointment's reminders owed together, the one sent: the latest (its wording and
    its buttons); the others go with it, so that the person gets one message, not two."""
    return max(owed, key=APPOINTMENT_KINDS.index)


RETRY_LIMIT = 5


def retry_delay(attempts: int) -> timedelta:
    """Back off after a network fault or a server error: 30 s, 1 min, 2 min, 4 min..."""
    return timedelta(seconds=30 * 2 ** max(attempts - 1, 0))
