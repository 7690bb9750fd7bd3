"""Appointments on a case: scheduled, moved, cancelled with a reason, held or missed; the
supported person may say they cannot come."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, or_, update
from sqlmodel import Session, col, select

from domain.vocabulary import AppointmentKind, AppointmentStatus, CaseStatus, Role
from storage.database import session_scope
from storage.models import Appointment, Case, CaseEvent, Member
from storage.reminders import Planner, cancel_pending

CANCEL_REASONS = ("person_unavailable", "worker_unavailable", "not_needed", "other")


class AppointmentRefused(ValueError):
    """In the past, or not a change this appointment can take any more."""


def schedule(
    engine: Engine,
    case_id: int,
    actor: Member,
    *,
    kind: AppointmentKind,
    starts_at: datetime,
    place: str,
    attendees: list[str],
    now: datetime,
    planner: Planner | None = None,
) -> Appointment:
    if starts_at <= now:
        raise AppointmentRefused("an appointment is in the future")
    with session_scope(engine) as session:
        case = session.get(Case, case_id)
        if case is None or case.status is CaseStatus.CLOSED:
            raise AppointmentRefused("no appointment on a closed case")
        appointment = Appointment(
            case_id=case_id,
            kind=kind,
            starts_at=starts_at,
            place=place,
            attendees=attendees,
            created_by_id=actor.id,
            created_at=now,
        )
        session.add(appointment)
        session.flush()
        session.add(_event(appointment, actor, now, "appointment"))
        _replan(session, appointment, planner)
        return appointment


def reschedule(
    engine: Engine,
    appointment_id: int,
    actor: Member,
    starts_at: datetime,
    now: datetime,
    planner: Planner | None = None,
) -> Appointment:
    if starts_at <= now:
        raise AppointmentRefused("an appointment is in the future")
    with session_scope(engine) as session:
        appointment = _scheduled(session.get(Appointment, appointment_id))
        # A new time is a new question for the person: their « cannot come » was for the old.
        appointment.starts_at, appointment.cannot_come_at = starts_at, None
        session.add(_event(appointment, actor, now, "appointment_moved"))
        _replan(session, appointment, planner)
        return appointment


def cancel(
    engine: Engine,
    appointment_id: int,
    actor: Member,
    reason: str,
    now: datetime,
    planner: Planner | None = None,
) -> Appointment:
    if reason not in CANCEL_REASONS:
        raise AppointmentRefused("a cancellation has a reason from the list")
    with session_scope(engine) as session:
        appointment = _scheduled(session.get(Appointment, appointment_id))
        appointment.status = AppointmentStatus.CANCELLED
        session.add(_event(appointment, actor, now, "appointment_cancelled", reason=reason))
        _replan(session, appointment, planner)
        return appointment


def record_outcome(
    engine: Engine,
    appointment_id: int,
    actor: Member,
    held: bool,
    now: datetime,
    planner: Planner | None = None,
) -> Appointment:
    """Held or missed, once its time has come."""
    with session_scope(engine) as session:
        appointment = _scheduled(session.get(Appointment, appointment_id))
        if appointment.starts_at > now:
            raise AppointmentRefused("an appointment is held or missed once its time has come")
        appointment.status = AppointmentStatus.HELD if held else AppointmentStatus.MISSED
        session.add(
            _event(appointment, actor, now, "appointment_held" if held else "appointment_missed")
        )
        return appointment


def record_cannot_come(
    engine: Engine, appointment_id: int, person: Member, now: datetime
) -> Appointment | None:
    """The person answered « Je ne peux pas venir »: the appointment is marked, their pending
    reminders of it cancelled, the timeline told, in one transaction. None when there is
    nothing new to record (no longer scheduled, or already said)."""
    with session_scope(engine) as session:
        # One conditional UPDATE: two taps at once record it (and tell the worker) once.
        marked = session.execute(
            update(Appointment)
            .where(
                col(Appointment.id) == appointment_id,
                col(Appointment.status) == AppointmentStatus.SCHEDULED,
                col(Appointment.cannot_come_at).is_(None),
            )
            .values(cannot_come_at=now)
        )
        if marked.rowcount != 1:
            return None
        appointment = session.get(Appointment, appointment_id)
        cancel_pending(session, "cannot_come", appointment_id=appointment_id, member_id=person.id)
        session.add(_event(appointment, person, now, "appointment_cannot_come"))
        return appointment


def _replan(session: Session, appointment: Appointment, planner: Planner | None) -> None:
    """Reminders follow the appointment: planned, moved or cancelled in the same transaction."""
    if planner is not None:
        session.flush()
        planner.appointment(session, appointment)


def is_scheduled(appointment: Appointment) -> bool:
    """Still to be held, moved or cancelled (not yet held, missed or cancelled)."""
    return appointment.status is AppointmentStatus.SCHEDULED


def _scheduled(appointment: Appointment | None) -> Appointment:
    if appointment is None or not is_scheduled(appointment):
        raise AppointmentRefused("this appointment is no longer scheduled")
    return appointment


def _event(
    appointment: Appointment, actor: Member, now: datetime, kind: str, reason: str | None = None
) -> CaseEvent:
    return CaseEvent(
        case_id=appointment.case_id,
        at=now,
        actor_member_id=actor.id,
        kind=kind,
        reason=reason or appointment.kind.value,
        note=appointment.starts_at.isoformat(),
    )


def get_appointment(engine: Engine, appointment_id: int) -> Appointment | None:
    with session_scope(engine) as session:
        return session.get(Appointment, appointment_id)


def case_appointments(engine: Engine, case_id: int) -> list[Appointment]:
    """The case's scheduled appointments, coming ones and past ones whose outcome is not recorded."""
    with session_scope(engine) as session:
        query = select(Appointment).where(
            Appointment.case_id == case_id, Appointment.status == AppointmentStatus.SCHEDULED
        )
        return list(session.exec(query.order_by(col(Appointment.starts_at))))


def next_appointment(engine: Engine, case_id: int, now: datetime) -> Appointment | None:
    with session_scope(engine) as session:
        query = select(Appointment).where(
            Appointment.case_id == case_id,
            Appointment.status == AppointmentStatus.SCHEDULED,
            col(Appointment.starts_at) > now,
        )
        return session.exec(query.order_by(col(Appointment.starts_at))).first()


def upcoming_for(
    engine: Engine, member: Member, now: datetime, limit: int = 20
) -> list[tuple[Appointment, Case]]:
    """A worker's or a referent's coming appointments on the cases they follow."""
    if member.role not in (Role.WORKER, Role.LANDLORD_REFERENT):
        return []
    with session_scope(engine) as session:
        query = (
            select(Appointment, Case)
            .join(Case, col(Case.id) == Appointment.case_id)
            .where(
                Appointment.status == AppointmentStatus.SCHEDULED,
                col(Appointment.starts_at) > now,
                or_(
                    col(Case.assigned_worker_id) == member.id,
                    col(Case.landlord_referent_id) == member.id,
                ),
            )
            .order_by(col(Appointment.starts_at))
            .limit(limit)
        )
        return [(appointment, case) for appointment, case in session.exec(query)]


def appointments_on(
    engine: Engine, member: Member, day: str, zone: ZoneInfo
) -> list[tuple[Appointment, Case]]:
    """A worker's or referent's scheduled appointments on a local day ("2026-12-01")."""
    start = datetime.combine(date.fromisoformat(day), time(0), tzinfo=zone)
    end = start + timedelta(days=1)
    return [
        (appointment, case)
        for appointment, case in upcoming_for(engine, member, start, limit=100)
        if appointment.starts_at < end
    ]
