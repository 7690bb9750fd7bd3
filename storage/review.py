"""The quarterly review pack's one query: the open cases a member may see, with what the
pack shows of each (domain.review.OpenCase) and nothing personal.

Only the reference, kind, status, the open phase and its start, the times of the last event
and of the next appointment, and the worker's id and name are read: never the answers, the
notes, the places or the texts of the timeline.
"""

from datetime import datetime

from sqlalchemy import Engine, func
from sqlalchemy.orm import aliased
from sqlmodel import col, select

from domain.review import OpenCase
from domain.vocabulary import AppointmentStatus, CaseStatus
from storage.access import visible_to
from storage.database import session_scope
from storage.models import Appointment, Case, CaseEvent, CasePhase, Member


def review_cases(engine: Engine, reader: Member, now: datetime) -> list[OpenCase]:
    """Every open case `reader` may see (storage.access.visible_to), by reference."""
    worker, phase_row = aliased(Member), aliased(CasePhase)
    open_phase = (
        select(phase_row.id)
        .where(phase_row.case_id == Case.id, col(phase_row.ended_at).is_(None))
        .order_by(col(phase_row.id).desc())
        .limit(1)
        .correlate(Case)
        .scalar_subquery()
    )
    last_event = (
        select(func.max(CaseEvent.at))
        .where(CaseEvent.case_id == Case.id)
        .correlate(Case)
        .scalar_subquery()
    )
    next_appointment = (
        select(func.min(Appointment.starts_at))
        .where(
            Appointment.case_id == Case.id,
            Appointment.status == AppointmentStatus.SCHEDULED,
            col(Appointment.starts_at) > now,
        )
        .correlate(Case)
        .scalar_subquery()
    )
    query = (
        select(
            Case.reference,
            Case.kind,
            Case.status,
            Case.created_at,
            Case.assigned_worker_id,
            worker.display_name,
            CasePhase.phase,
            CasePhase.started_at,
            last_event,
            next_appointment,
        )
        .outerjoin(worker, col(worker.id) == Case.assigned_worker_id)
        .outerjoin(CasePhase, col(CasePhase.id) == open_phase)
        .where(col(Case.status) != CaseStatus.CLOSED, visible_to(reader))
        .order_by(col(Case.reference))
    )
    with session_scope(engine) as session:
        rows = session.exec(query).all()
    return [
        OpenCase(
            reference=reference,
            kind=kind,
            status=status,
            worker_id=worker_id,
            worker_name=worker_name,
            phase=phase,
            phase_started_at=phase_started_at,
            last_event_at=last_event_at or created_at,
            next_appointment_at=next_appointment_at,
        )
        for (
            reference,
            kind,
            status,
            created_at,
            worker_id,
            worker_name,
            phase,
            phase_started_at,
            last_event_at,
            next_appointment_at,
        ) in rows
    ]
