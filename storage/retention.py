"""Retention and erasure: what is kept, and for how long (the rules are domain.retention's).

A case is anonymised in one transaction: its personal values go (names, phone, typed texts,
notes, places, the supported person's account and messages), what the figures count stays
(kind, status, dates, commune, QPV, fixed-list reasons and answers). It is the same for the
daily retention job and for a person's erasure request.
"""

from datetime import datetime

from sqlalchemy import Engine, String, cast, delete, func, update
from sqlmodel import Session, col, select

from domain.referral import anonymous_answers
from domain.vocabulary import CaseStatus, ReminderStatus
from storage.audit import FIXED_LIST_REASONS, record
from storage.database import session_scope
from storage.models import (
    Appointment,
    Beneficiary,
    Case,
    CaseEvent,
    CaseNote,
    ConversationState,
    Member,
    Reminder,
    SentMessage,
    UserData,
)
from storage.persistence import stored_key
from storage.reminders import cancel_pending

ERASED = "—"  # what an erased name reads as


class StillOpen(ValueError):
    """A case in progress is closed first: erasing it would leave a support without a file."""


def anonymise_case(session: Session, case: Case, now: datetime, actor_id: int | None) -> None:
    """Erase the personal values of a closed case, keep what the figures count."""
    if case.status is not CaseStatus.CLOSED:
        raise StillOpen(case.reference)
    case.answers = anonymous_answers(case.answers)
    case.anonymised_at = now
    session.add(case)
    for event in session.exec(select(CaseEvent).where(CaseEvent.case_id == case.id)):
        event.note = None
        if event.kind not in FIXED_LIST_REASONS:
            event.reason = None
        session.add(event)
    session.execute(delete(CaseNote).where(col(CaseNote.case_id) == case.id))
    session.execute(
        update(Appointment).where(col(Appointment.case_id) == case.id).values(place="")
    )
    cancel_pending(session, case_id=case.id)
    for beneficiary in session.exec(select(Beneficiary).where(Beneficiary.case_id == case.id)):
        _forget_person(session, session.get(Member, beneficiary.member_id))
    record(session, "case.anonymised", now, member_id=actor_id, case_id=case.id)


def _forget_person(session: Session, member: Member | None) -> None:
    """The supported person's account: no name, no Telegram identity, nothing in their chat."""
    if member is None:
        return
    telegram_id = member.telegram_id
    session.execute(delete(SentMessage).where(col(SentMessage.chat_id) == telegram_id))
    session.execute(delete(UserData).where(col(UserData.user_id) == telegram_id))
    session.execute(
        delete(ConversationState).where(
            col(ConversationState.key).in_(
                [stored_key((telegram_id, telegram_id)), stored_key((telegram_id,))]
            )
        )
    )
    cancel_pending(session, member_id=member.id)
    member.display_name = ERASED
    member.telegram_id = -member.id  # an id no Telegram account has: the person is gone
    member.active = False
    member.language = member.app_language = None
    session.add(member)


def last_contact(session: Session, case: Case) -> datetime:
    """The latest thing that happened on the case (its last event)."""
    latest = session.exec(select(func.max(CaseEvent.at)).where(CaseEvent.case_id == case.id)).one()
    return max(filter(None, (latest, case.status_changed_at)))


def anonymise_closed_cases(engine: Engine, last_contact_before: datetime, now: datetime) -> int:
    """The retention job: closed cases whose last contact is older than the period."""
    count = 0
    with session_scope(engine) as session:
        closed = session.exec(
            select(Case).where(
                Case.status == CaseStatus.CLOSED,
                col(Case.anonymised_at).is_(None),
                Case.status_changed_at < last_contact_before,
            )
        ).all()
        for case in closed:
            if last_contact(session, case) < last_contact_before:
                anonymise_case(session, case, now, actor_id=None)
                count += 1
    return count


def drop_sent_reminder_payloads(engine: Engine, sent_before: datetime) -> int:
    """Reminders sent long ago keep their row (for the figures), not what they said."""
    with session_scope(engine) as session:
        result = session.execute(
            update(Reminder)
            .where(
                col(Reminder.status) == ReminderStatus.SENT,
                col(Reminder.sent_at) < sent_before,
                cast(Reminder.payload, String) != "{}",  # not yet dropped
            )
            .values(payload={}, last_error=None)
        )
        return result.rowcount
