"""The quarterly review pack, as plain rules: every open case, grouped by its worker, with
how long it has been in its phase against the phase's planned maximum, and whether it is
overdue for news.

The programme sheet's quarterly meeting gathers the landlord's two referents and two
Montjoie workers to review every case; the pack is what they read beforehand. It holds no
personal value: a case is its reference, kind, status and phase, and the dates of its last
event and next appointment. The worker's name is a member of the team's, shown to the team.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from domain.programme import Programme
from domain.vocabulary import CaseKind, CaseStatus


@dataclass(frozen=True)
class OpenCase:
    """One open case as the pack reads it (storage.review.review_cases gathers them)."""

    reference: str
    kind: CaseKind
    status: CaseStatus
    worker_id: int | None
    worker_name: str | None
    phase: str | None  # the phase open now, if the support has begun
    phase_started_at: datetime | None
    last_event_at: datetime
    next_appointment_at: datetime | None


@dataclass(frozen=True)
class PackLine:
    """One case in the pack, with what the rules say about it."""

    case: OpenCase
    day_in_phase: int | None  # 1 on the day the phase began
    phase_max_days: int | None  # the phase's planned maximum length
    days_without_news: int
    overdue_for_news: bool

    @property
    def past_planned_length(self) -> bool:
        return self.day_in_phase is not None and self.day_in_phase > (self.phase_max_days or 0)


@dataclass(frozen=True)
class WorkerGroup:
    """The cases of one worker, or of nobody yet (worker_name None: « Sans intervenant »)."""

    worker_name: str | None
    lines: tuple[PackLine, ...]


@dataclass(frozen=True)
class ReviewPack:
    review_day: date | None  # None: no review left in the programme file
    made_at: datetime
    stale_days: int
    groups: tuple[WorkerGroup, ...]

    @property
    def lines(self) -> list[PackLine]:
        return [line for group in self.groups for line in group.lines]

    @property
    def open_count(self) -> int:
        return len(self.lines)

    @property
    def overdue(self) -> list[PackLine]:
        """The cases overdue for news, in the pack's order."""
        return [line for line in self.lines if line.overdue_for_news]

    @property
    def past_length(self) -> list[PackLine]:
        return [line for line in self.lines if line.past_planned_length]


def day_in_phase(started_at: datetime, now: datetime) -> int:
    """The day of its phase a case is on, 1 the day it began (as the case card says it)."""
    return (now - started_at).days + 1


def days_without_news(last_event_at: datetime, now: datetime) -> int:
    """Whole days since the case's last event."""
    return (now - last_event_at) // timedelta(days=1)


def overdue_for_news(last_event_at: datetime, now: datetime, stale_days: int) -> bool:
    """An open case is overdue for news when nothing happened on it for `stale_days`
    (the programme's [reminders] stale_case_days, which also warns its worker)."""
    return days_without_news(last_event_at, now) >= stale_days


def next_review(reviews: Iterable[date], today: date) -> date | None:
    """The first quarterly review on or after `today`, or None when none is left."""
    return min((day for day in reviews if day >= today), default=None)


def review_pack(
    cases: Sequence[OpenCase],
    now: datetime,
    programme: Programme,
    review_day: date | None,
) -> ReviewPack:
    """The pack: one group per worker in the order of their names (the cases nobody holds
    last), each case once, by reference."""
    stale_days = programme.reminders.stale_case_days
    by_worker: dict[int | None, list[PackLine]] = {}
    names: dict[int | None, str | None] = {None: None}
    for case in sorted(cases, key=lambda case: case.reference):
        names[case.worker_id] = case.worker_name if case.worker_id is not None else None
        by_worker.setdefault(case.worker_id, []).append(_line(case, now, programme))
    order = sorted(
        by_worker,
        key=lambda worker: (worker is None, (names[worker] or "").casefold(), worker or 0),
    )
    groups = tuple(WorkerGroup(names[worker], tuple(by_worker[worker])) for worker in order)
    return ReviewPack(review_day, now, stale_days, groups)


def _line(case: OpenCase, now: datetime, programme: Programme) -> PackLine:
    day = max_days = None
    if case.phase is not None and case.phase_started_at is not None:
        day = day_in_phase(case.phase_started_at, now)
        max_days = programme.phase(case.kind, case.phase).max_days
    stale_days = programme.reminders.stale_case_days
    return PackLine(
        case,
        day,
        max_days,
        days_without_news(case.last_event_at, now),
        overdue_for_news(case.last_event_at, now, stale_days),
    )
