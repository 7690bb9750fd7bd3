"""A person's right of access: everything Relais holds about the person of one case.

The export is what an admin hands over (or reads to answer a request): the report's
answers, the case's timeline, the workers' notes, the appointments, the person's account
and choices if they enrolled, the messages owed or sent to them, and who saw or changed
the case (the audit trail). Staff members are named by their role only.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from storage.audit import case_audit
from storage.database import session_scope
from storage.models import Appointment, Beneficiary, Case, CaseEvent, CaseNote, Member, Reminder

EXPORT_FORMAT = 1  # bumped when the shape of the file changes


def person_file(engine: Engine, case_id: int, now: datetime) -> dict[str, Any]:
    with session_scope(engine) as session:
        case = session.get(Case, case_id)
        if case is None:
            raise LookupError(case_id)
        beneficiaries = list(
            session.exec(select(Beneficiary).where(Beneficiary.case_id == case_id))
        )
        return {
            "format": EXPORT_FORMAT,
            "exported_at": _time(now),
            "case": _case(case),
            "timeline": [
                _event(session, event) for event in _of_case(session, CaseEvent, case_id)
            ],
            "notes": [_note(session, note) for note in _of_case(session, CaseNote, case_id)],
            "appointments": [
                _appointment(item) for item in _of_case(session, Appointment, case_id)
            ],
            "person": [_person(session, beneficiary) for beneficiary in beneficiaries],
            "audit": [
                {
                    "at": _time(entry.at),
                    "action": entry.action,
                    "by": _role(session, entry.member_id),
                }
                for entry in reversed(case_audit(engine, case_id, limit=10_000))
            ],
        }


def _case(case: Case) -> dict[str, Any]:
    return {
        "reference": case.reference,
        "kind": case.kind.value,
        "status": case.status.value,
        "urgent": case.urgent,
        "created_at": _time(case.created_at),
        "commune": case.commune,
        "qpv": case.qpv,
        "consent": case.consent,
        "answers": case.answers,
        "anonymised_at": _time(case.anonymised_at),
    }


def _event(session: Session, event: CaseEvent) -> dict[str, Any]:
    return {
        "at": _time(event.at),
        "what": event.kind,
        "from": event.from_status and event.from_status.value,
        "to": event.to_status and event.to_status.value,
        "reason": event.reason,
        "note": event.note,
        "by": _role(session, event.actor_member_id),
    }


def _note(session: Session, note: CaseNote) -> dict[str, Any]:
    return {"at": _time(note.created_at), "by": _role(session, note.author_id), "text": note.text}


def _appointment(appointment: Appointment) -> dict[str, Any]:
    return {
        "at": _time(appointment.starts_at),
        "kind": appointment.kind.value,
        "place": appointment.place,
        "status": appointment.status.value,
        "cannot_come_at": _time(appointment.cannot_come_at),
    }


def _person(session: Session, beneficiary: Beneficiary) -> dict[str, Any]:
    member = session.get(Member, beneficiary.member_id)
    reminders = session.exec(
        select(Reminder)
        .where(Reminder.member_id == beneficiary.member_id)
        .order_by(col(Reminder.due_at))
    )
    return {
        "name": member.display_name if member else None,
        "telegram_id": member.telegram_id if member else None,
        "language": member.language if member else None,
        "consent_at": _time(beneficiary.consent_at),
        "withdrawn_at": _time(beneficiary.withdrawn_at),
        "safe_hours": [beneficiary.safe_from, beneficiary.safe_until],
        "auto_delete_hours": beneficiary.auto_delete_hours,
        "messages": [
            {
                "kind": reminder.kind.value,
                "due_at": _time(reminder.due_at),
                "status": reminder.status.value,
                "sent_at": _time(reminder.sent_at),
            }
            for reminder in reminders
        ],
    }


def _of_case(session: Session, table: type, case_id: int) -> list[Any]:
    return list(session.exec(select(table).where(table.case_id == case_id).order_by(table.id)))


def _role(session: Session, member_id: int | None) -> str | None:
    member = session.get(Member, member_id) if member_id else None
    return member.role.value if member else None


def _time(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
