"""The cases as the figures read them (domain.figures.CaseStory), from a few grouped queries:
when each case first reached each status, its last closing, its last event, its phases and
the time it held a reserved home. Nothing here counts: domain.figures does."""

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, Row, Select, func, or_
from sqlmodel import Session, col, select

from domain.figures import (
    ALL_CASES,
    COUNTED_STEPS,
    CaseStory,
    Figures,
    Occurrence,
    Period,
    Selection,
    Stay,
    indicators,
    rules_for,
)
from domain.programme import Programme
from domain.vocabulary import AppointmentStatus, CaseKind, CaseStatus, ReminderStatus
from storage.database import session_scope
from storage.models import Appointment, Case, CaseEvent, CasePhase, Reminder, ReservedHome

# Events that say where a case stands: its creation, its moves, its reopening.
STATUS_EVENTS = ("created", "status", "reopened")
# An import's own event says when the history was read, not when anything happened.
NOT_NEWS = ("imported",)
HOME_EVENTS = ("home_assigned", "home_freed")
COUNTED_APPOINTMENTS = (AppointmentStatus.HELD, AppointmentStatus.MISSED)
COUNTED_REMINDERS = (ReminderStatus.SENT, ReminderStatus.FAILED)
STEPS = 8  # readings in figures_for: cases, five of their timelines, appointments, reminders


@dataclass(frozen=True)
class PeriodReading:
    """One reading of the database for a period: what its figures are counted from."""

    period: Period
    stories: list[CaseStory]
    appointments: list[Occurrence]
    reminders: list[Occurrence]
    # Each landlord's reserved homes by kind: a landlord's figures measure against them.
    landlords_homes: dict[int, dict[CaseKind, int]]

    def figures(
        self, programme: Programme, now: datetime, selection: Selection = ALL_CASES
    ) -> Figures:
        """Every indicator of the period for the cases `selection` covers."""
        return indicators(
            self.stories,
            self.period,
            rules_for(programme.figures, selection, self.landlords_homes),
            now=now,
            stale_days=programme.reminders.stale_case_days,
            appointments=self.appointments,
            reminders=self.reminders,
            selection=selection,
        )


def read_period(
    engine: Engine,
    period: Period,
    tick: Callable[[], object] = lambda: None,
    steps: Sequence[CaseStatus] = tuple(CaseStatus),
) -> PeriodReading:
    """The cases that can count in `period` (with the times they reached `steps`), its
    appointments and its reminders; `tick` is called after each of the STEPS readings."""
    with session_scope(engine) as session:
        stories = case_stories(session, period.end, tick, since=period.start, steps=steps)
        appointments = appointment_occurrences(session, period)
        tick()
        reminders = reminder_occurrences(session, period)
        tick()
        landlords_homes = _landlords_homes(session)
    return PeriodReading(period, stories, appointments, reminders, landlords_homes)


def figures_for(
    engine: Engine,
    period: Period,
    programme: Programme,
    now: datetime,
    selection: Selection = ALL_CASES,
    tick: Callable[[], object] = lambda: None,
) -> Figures:
    """Every indicator of `period` for the cases `selection` covers (a progress bar: `tick`)."""
    reading = read_period(engine, period, tick, steps=COUNTED_STEPS)
    return reading.figures(programme, now, selection)


def case_stories(
    session: Session,
    until: datetime,
    tick: Callable[[], object] = lambda: None,
    *,
    since: datetime | None = None,
    steps: Sequence[CaseStatus] = tuple(CaseStatus),
) -> list[CaseStory]:
    """Every case received before `until`, with the times it reached `steps`. With `since`,
    the cases closed before it are left out: they count in none of a period's figures
    (nothing of theirs happens in it, nor are they open at its end), and a year among
    twelve reads only its own cases."""
    relevant = select(Case.id).where(col(Case.created_at) < until)
    if since is not None:
        relevant = relevant.where(
            or_(col(Case.status) != CaseStatus.CLOSED, col(Case.status_changed_at) >= since)
        )
    cases = _rows(session, select(
        Case.id, Case.reference, Case.kind, Case.source_kind, Case.qpv, Case.created_at,
        Case.taken_at, Case.status, Case.intensity, Case.redirected_to,
        Case.decline_reason, Case.outcome, Case.commune, Case.landlord_id,
    ).where(col(Case.id).in_(relevant)))  # fmt: skip
    tick()
    reached = _first_reached(session, until, relevant, steps)
    tick()
    closings = _last_closings(session, relevant)
    tick()
    last_events = _last_events(session, relevant)
    tick()
    phases = _phases(session, relevant)
    tick()
    homes = _homes(session, relevant)
    tick()
    stories = []
    for row in cases:
        reasons = {
            CaseStatus.ACCEPTED: row.intensity,
            CaseStatus.REDIRECTED: row.redirected_to,
            CaseStatus.DECLINED: row.decline_reason,
        }
        steps = reached.get(row.id, {})
        decision = next((status for status in reasons if status in steps), None)
        closed_at = closings.get(row.id) if row.status is CaseStatus.CLOSED else None
        stories.append(
            CaseStory(
                reference=row.reference,
                kind=row.kind,
                source=row.source_kind,
                qpv=row.qpv,
                received_at=row.created_at,
                taken_at=row.taken_at,
                reached=steps,
                decision_reason=reasons[decision] if decision else None,
                outcome=row.outcome if closed_at else None,
                closed_at=closed_at,
                last_event_at=last_events.get(row.id, row.created_at),
                phases=tuple(phases.get(row.id, ())),
                homes=tuple(Stay(row.kind.value, start, end) for start, end in homes[row.id]),
                commune=row.commune,
                landlord=row.landlord_id,
            )
        )
    return stories


def first_case_day(engine: Engine) -> datetime | None:
    """When the programme's first case was received (the start of "since the start")."""
    with session_scope(engine) as session:
        return _aware(session.exec(select(func.min(Case.created_at))).one())


def _rows(session: Session, query: Select) -> Sequence[Row]:
    """Plain rows, without the ORM's per-row bookkeeping (a year reads many thousands)."""
    return session.connection().execute(query).all()


def _first_reached(
    session: Session, until: datetime, relevant: Select, steps: Sequence[CaseStatus]
) -> dict[int, dict[CaseStatus, datetime]]:
    rows = _rows(session,
        select(CaseEvent.case_id, CaseEvent.to_status, func.min(CaseEvent.at))
        .where(col(CaseEvent.case_id).in_(relevant))
        .where(col(CaseEvent.kind).in_(STATUS_EVENTS), col(CaseEvent.to_status).in_(steps))
        .where(col(CaseEvent.at) < until)
        .group_by(CaseEvent.case_id, CaseEvent.to_status)
    )  # fmt: skip
    reached: dict[int, dict[CaseStatus, datetime]] = defaultdict(dict)
    for case_id, status, at in rows:
        reached[case_id][CaseStatus(status)] = _aware(at)
    return reached


def _last_closings(session: Session, relevant: Select) -> dict[int, datetime]:
    rows = _rows(session,
        select(CaseEvent.case_id, func.max(CaseEvent.at))
        .where(col(CaseEvent.case_id).in_(relevant))
        .where(col(CaseEvent.kind).in_(STATUS_EVENTS))
        .where(col(CaseEvent.to_status) == CaseStatus.CLOSED)
        .group_by(CaseEvent.case_id)
    )  # fmt: skip
    return {case_id: _aware(at) for case_id, at in rows}


def _last_events(session: Session, relevant: Select) -> dict[int, datetime]:
    rows = _rows(session,
        select(CaseEvent.case_id, func.max(CaseEvent.at))
        .where(col(CaseEvent.case_id).in_(relevant))
        .where(col(CaseEvent.kind).not_in(NOT_NEWS))
        .group_by(CaseEvent.case_id)
    )  # fmt: skip
    return {case_id: _aware(at) for case_id, at in rows}


def _phases(session: Session, relevant: Select) -> dict[int, list[Stay]]:
    rows = _rows(session,
        select(CasePhase.case_id, CasePhase.phase, CasePhase.started_at, CasePhase.ended_at)
        .where(col(CasePhase.case_id).in_(relevant))
        .order_by(col(CasePhase.case_id), col(CasePhase.started_at))
    )  # fmt: skip
    phases: dict[int, list[Stay]] = defaultdict(list)
    for case_id, phase, started_at, ended_at in rows:
        phases[case_id].append(Stay(phase, _aware(started_at), _aware(ended_at)))
    return phases


def _homes(
    session: Session, relevant: Select
) -> defaultdict[int, list[tuple[datetime, datetime | None]]]:
    """Each case's spans in a reserved home: from « logement attribué » to « libéré »."""
    rows = _rows(session,
        select(CaseEvent.case_id, CaseEvent.kind, CaseEvent.at)
        .where(col(CaseEvent.case_id).in_(relevant))
        .where(col(CaseEvent.kind).in_(HOME_EVENTS))
        .order_by(col(CaseEvent.case_id), col(CaseEvent.at), col(CaseEvent.id))
    )  # fmt: skip
    spans: defaultdict[int, list[tuple[datetime, datetime | None]]] = defaultdict(list)
    for case_id, kind, at in rows:
        if kind == "home_assigned":
            spans[case_id].append((_aware(at), None))
        elif spans[case_id] and spans[case_id][-1][1] is None:
            spans[case_id][-1] = (spans[case_id][-1][0], _aware(at))
    return spans


def _landlords_homes(session: Session) -> dict[int, dict[CaseKind, int]]:
    rows = _rows(session,
        select(ReservedHome.landlord_id, ReservedHome.kind, func.count())
        .where(col(ReservedHome.landlord_id).is_not(None))
        .group_by(ReservedHome.landlord_id, ReservedHome.kind)
    )  # fmt: skip
    found: dict[int, dict[CaseKind, int]] = defaultdict(dict)
    for landlord, kind, count in rows:
        found[landlord][CaseKind(kind)] = count
    return dict(found)


def appointment_occurrences(session: Session, period: Period) -> list[Occurrence]:
    rows = session.exec(
        select(Appointment.status, Appointment.starts_at, Case.reference)
        .join(Case, col(Case.id) == Appointment.case_id)
        .where(col(Appointment.status).in_(COUNTED_APPOINTMENTS))
        .where(col(Appointment.starts_at) >= period.start, col(Appointment.starts_at) < period.end)
    ).all()
    return [Occurrence(status, _aware(at), reference) for status, at, reference in rows]


def reminder_occurrences(session: Session, period: Period) -> list[Occurrence]:
    """Sent reminders count when they went out, failed ones when they were due."""
    moment = func.coalesce(Reminder.sent_at, Reminder.due_at)
    rows = session.exec(
        select(Reminder.status, moment, Case.reference)
        .join(Case, col(Case.id) == Reminder.case_id, isouter=True)
        .where(col(Reminder.status).in_(COUNTED_REMINDERS))
        .where(moment >= period.start, moment < period.end)
    ).all()
    return [Occurrence(status, _aware(at), reference) for status, at, reference in rows]


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite gives back naive UTC from aggregates (the column type is bypassed)."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)
