"""Reminders as rows: planned once (a unique key), claimed atomically, sent, or failed loudly.

A dispatcher claims due rows with a conditional UPDATE (and, on PostgreSQL, a
`FOR UPDATE SKIP LOCKED` read), so two dispatchers sharing one database never take the same
row. A row left "sending" by a crash goes back to pending after a while: at most one
duplicate for a message that was in flight, never a loss.
"""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, Update, bindparam, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from domain.reminders import ReminderRules, appointment_sends, digest_time, phase_checkpoints
from domain.vocabulary import AppointmentStatus, ReminderKind, ReminderStatus
from storage.database import session_scope
from storage.models import Appointment, Beneficiary, Case, CasePhase, Member, Reminder

S = ReminderStatus


def plan(
    session: Session,
    key: str,
    kind: ReminderKind,
    member_id: int,
    due_at: datetime,
    *,
    case_id: int | None = None,
    appointment_id: int | None = None,
    payload: dict | None = None,
    send_at: datetime | None = None,
) -> None:
    """Create the reminder, or move a pending one to its new time (same key, same reminder).

    `due_at` is when it is owed; `send_at`, when it goes out if later (the person's allowed
    hours)."""
    send_at = send_at or due_at
    existing = session.exec(select(Reminder).where(Reminder.key == key)).first()
    if existing is None:
        session.add(
            Reminder(
                key=key,
                kind=kind,
                member_id=member_id,
                due_at=send_at,
                original_due_at=due_at,
                case_id=case_id,
                appointment_id=appointment_id,
                payload=payload or {},
            )
        )
    elif existing.status in (S.PENDING, S.CANCELLED):
        # Planned again: maybe for someone else (a case taken over keeps its checkpoints' keys).
        existing.due_at, existing.original_due_at = send_at, due_at
        existing.status, existing.attempts, existing.last_error = S.PENDING, 0, None
        existing.payload = payload or {}
        existing.member_id = member_id


def plan_now(
    engine: Engine, key: str, kind: ReminderKind, member_id: int, due_at: datetime, **links: object
) -> bool:
    """Plan in a transaction of its own; False when that key already exists (a sweep ran twice)."""
    try:
        with session_scope(engine) as session:
            if session.exec(select(Reminder.id).where(Reminder.key == key)).first() is not None:
                return False
            plan(session, key, kind, member_id, due_at, **links)
    except IntegrityError:  # another dispatcher planned it at the same moment
        return False
    return True


def cancel_pending(session: Session, why: str | None = None, **where: object) -> None:
    """Cancel the pending reminders of an appointment, a case or a member (and of a kind),
    saying why when the card should tell (bot.labels names the reasons)."""
    conditions = [getattr(Reminder, field) == value for field, value in where.items()]
    session.execute(
        update(Reminder)
        .where(col(Reminder.status) == S.PENDING, *conditions)
        .values(status=S.CANCELLED, last_error=why)
    )


def due_query(now: datetime, limit: int) -> SelectOfScalar[int | None]:
    """The ids of the first `limit` pending reminders due by `now`, locked on PostgreSQL
    (rows another dispatcher holds are skipped): what `claim_due` takes."""
    return (
        select(Reminder.id)
        .where(col(Reminder.status) == S.PENDING, col(Reminder.due_at) <= now)
        .order_by(col(Reminder.due_at))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


def claim_due(engine: Engine, now: datetime, limit: int = 50) -> list[Reminder]:
    """Take up to `limit` due reminders for this dispatcher, and no one else's.

    One statement: UPDATE … WHERE id IN (due rows, FOR UPDATE SKIP LOCKED on PostgreSQL)
    AND still pending … RETURNING id. SQLite runs writers one at a time, which is as safe.
    """
    due = due_query(now, limit)
    with session_scope(engine) as session:
        claimed_ids = (
            session.execute(
                update(Reminder)
                .where(
                    col(Reminder.id).in_(due.scalar_subquery()), col(Reminder.status) == S.PENDING
                )
                .values(status=S.SENDING, claimed_at=now, attempts=Reminder.attempts + 1)
                .returning(Reminder.id)
            )
            .scalars()
            .all()
        )
        query = (
            select(Reminder)
            .where(col(Reminder.id).in_(claimed_ids))
            .order_by(col(Reminder.due_at))
        )
        return list(session.exec(query))


# How a claimed reminder's row ends, each statement built once: the dispatcher writes each
# end on its own as soon as its message went (a crash then repeats at most the one message in
# flight), so these short transactions are most of its own cost.
_ENDED = (
    update(Reminder)
    .where(col(Reminder.id) == bindparam("row"))
    .values(status=bindparam("status"), last_error=bindparam("error"))
)
_SENT = _ENDED.values(sent_at=bindparam("at"))
_DUE_AGAIN = _ENDED.values(due_at=bindparam("at"))


def finish(
    engine: Engine,
    reminder_id: int,
    status: ReminderStatus,
    now: datetime,
    error: str | None = None,
) -> None:
    statement = _SENT if status is S.SENT else _ENDED
    _end(engine, statement, reminder_id, status, error, now)


def retry_later(engine: Engine, reminder_id: int, due_at: datetime, error: str) -> None:
    _end(engine, _DUE_AGAIN, reminder_id, S.PENDING, error, due_at)


def _end(
    engine: Engine,
    statement: Update,
    reminder_id: int,
    status: ReminderStatus,
    error: str | None,
    at: datetime,
) -> None:
    with engine.begin() as connection:
        connection.execute(
            statement, {"row": reminder_id, "status": status, "error": error, "at": at}
        )


def note_payload(engine: Engine, reminder_id: int, **values: object) -> None:
    """Remember how far a reminder of several messages went (a retry goes on from there)."""
    with session_scope(engine) as session:
        reminder = session.get(Reminder, reminder_id)
        reminder.payload = {**reminder.payload, **values}


def keep_claim(engine: Engine, reminder: Reminder, now: datetime) -> bool:
    """Still this dispatcher's claim (no other took the row back since): renewed, True."""
    with engine.begin() as connection:
        renewed = connection.execute(
            update(Reminder)
            .where(
                col(Reminder.id) == reminder.id,
                col(Reminder.status) == S.SENDING,
                col(Reminder.attempts) == reminder.attempts,
            )
            .values(claimed_at=now)
        )
    return renewed.rowcount == 1


def release_stuck(engine: Engine, claimed_before: datetime) -> int:
    """Rows a crashed dispatcher left "sending" go back to pending; returns how many."""
    with session_scope(engine) as session:
        released = session.execute(
            update(Reminder)
            .where(col(Reminder.status) == S.SENDING, col(Reminder.claimed_at) < claimed_before)
            .values(status=S.PENDING)
        )
        return released.rowcount


@dataclass(frozen=True)
class Referred:
    """What a batch of claimed reminders refers to, read at once: one query a table for the
    batch rather than several for each reminder."""

    members: dict[int, Member]
    appointments: dict[int, Appointment]
    cases: dict[int, Case]  # the cases of the reminders whose message names the case
    profiles: dict[int, Beneficiary]  # by member id
    # (appointment, member) → the kinds owed by now that still go out (`owed_together`).
    owed: dict[tuple[int, int], set[ReminderKind]]


# Kinds whose message or handling needs the case itself.
_NAMING_THE_CASE = (
    ReminderKind.PHASE_CHECKPOINT,
    ReminderKind.STALE_CASE,
    ReminderKind.ESCALATION,
)


def referred(engine: Engine, reminders: list[Reminder], now: datetime) -> Referred:
    member_ids = {reminder.member_id for reminder in reminders}
    appointment_ids = {r.appointment_id for r in reminders if r.appointment_id is not None}
    case_ids = {r.case_id for r in reminders if r.case_id and r.kind in _NAMING_THE_CASE}
    with session_scope(engine) as session:
        members = session.exec(select(Member).where(col(Member.id).in_(member_ids)))
        profiles = session.exec(
            select(Beneficiary).where(col(Beneficiary.member_id).in_(member_ids))
        )
        appointments = session.exec(
            select(Appointment).where(col(Appointment.id).in_(appointment_ids))
        )
        cases = session.exec(select(Case).where(col(Case.id).in_(case_ids)))
        owed_rows = session.exec(
            select(Reminder.appointment_id, Reminder.member_id, Reminder.kind).where(
                col(Reminder.appointment_id).in_(appointment_ids),
                col(Reminder.member_id).in_(member_ids),
                col(Reminder.original_due_at) <= now,
                col(Reminder.status).not_in((S.CANCELLED, S.SKIPPED)),
            )
        )
        owed: dict[tuple[int, int], set[ReminderKind]] = {}
        for appointment_id, member_id, kind in owed_rows:
            owed.setdefault((appointment_id, member_id), set()).add(kind)
        return Referred(
            members={member.id: member for member in members},
            appointments={appointment.id: appointment for appointment in appointments},
            cases={case.id: case for case in cases},
            profiles={profile.member_id: profile for profile in profiles},
            owed=owed,
        )


def owed_together(referred: Referred, reminder: Reminder) -> set[ReminderKind]:
    """The kinds of the reminders of this one's appointment to the same person that are owed
    by now and still go out (this one included): together, they are sent as one."""
    return referred.owed.get((reminder.appointment_id, reminder.member_id), {reminder.kind})


def announces(reminder: Reminder, appointment: Appointment) -> bool:
    """Whether a reminder's message still tells this appointment as it stands: scheduled, at
    the time the reminder was planned for (a message sent before a move tells the old one)."""
    planned_for = reminder.payload.get("starts_at")
    return appointment.status is AppointmentStatus.SCHEDULED and (
        planned_for is None or datetime.fromisoformat(planned_for) == appointment.starts_at
    )


def unfit_reminders(
    engine: Engine, planner: "Planner", case_id: int, starts_at: datetime, attendees: list[str]
) -> list[ReminderKind]:
    """The person's reminders an appointment at `starts_at` cannot have (Planner.unfit)."""
    with session_scope(engine) as session:
        return planner.unfit(session, case_id, starts_at, attendees)


def reminders_of_case(engine: Engine, case_id: int, limit: int = 5) -> list[Reminder]:
    with session_scope(engine) as session:
        query = (
            select(Reminder)
            .where(Reminder.case_id == case_id)
            .order_by(col(Reminder.due_at).desc())
        )
        return list(session.exec(query.limit(limit)))


def next_pending_due(engine: Engine) -> datetime | None:
    """When the next pending reminder is due (the playground's "next reminder" control)."""
    with session_scope(engine) as session:
        query = select(Reminder.due_at).where(Reminder.status == S.PENDING)
        return session.exec(query.order_by(col(Reminder.due_at)).limit(1)).first()


def count_by_status(engine: Engine) -> dict[ReminderStatus, int]:
    with session_scope(engine) as session:
        return {
            status: len(session.exec(select(Reminder.id).where(Reminder.status == status)).all())
            for status in S
        }


@dataclass(frozen=True)
class Planner:
    """Plans the reminders that follow from a change, inside that change's transaction."""

    rules: ReminderRules
    zone: ZoneInfo

    def appointment(self, session: Session, appointment: Appointment) -> None:
        """The beneficiary's two reminders (if they agreed and attend) and the staff digest.

        A reminder that cannot fit (`unfit`) is not planned; once the person said they cannot
        come, none is."""
        cancel_pending(session, appointment_id=appointment.id)
        if appointment.status is not AppointmentStatus.SCHEDULED:
            return
        case = session.get(Case, appointment.case_id)
        if appointment.cannot_come_at is None:  # once they said so, nothing more for the person
            self._remind_person(session, appointment)
        day = appointment.starts_at.astimezone(self.zone).date()
        for member_id in self._staff_attending(case, appointment):
            plan(session, f"digest:{member_id}:{day}", ReminderKind.DAILY_DIGEST, member_id,
                 digest_time(day, self.zone, self.rules), payload={"day": day.isoformat()})  # fmt: skip

    def _remind_person(self, session: Session, appointment: Appointment) -> None:
        person = consenting_beneficiary(session, appointment.case_id)
        sends = self._sends(person, appointment.starts_at, appointment.attendees)
        for kind, (due, send_at) in sends.items():
            if send_at is not None:
                plan(session, f"{kind}:{appointment.id}", kind, person.member_id, due,
                     send_at=send_at, case_id=appointment.case_id, appointment_id=appointment.id,
                     payload={"starts_at": appointment.starts_at.isoformat()})  # fmt: skip

    def unfit(
        self, session: Session, case_id: int, starts_at: datetime, attendees: list[str]
    ) -> list[ReminderKind]:
        """The person's reminders an appointment at `starts_at` would not get: no moment
        within their grace, before it, falls in the hours the person can be contacted."""
        person = consenting_beneficiary(session, case_id)
        sends = self._sends(person, starts_at, attendees)
        return [kind for kind, (_due, send_at) in sends.items() if send_at is None]

    def _sends(
        self, person: Beneficiary | None, starts_at: datetime, attendees: list[str]
    ) -> dict[ReminderKind, tuple[datetime, datetime | None]]:
        if person is None or "beneficiary" not in attendees:
            return {}
        safe = (person.safe_from, person.safe_until)
        return appointment_sends(starts_at, self.zone, self.rules, safe)

    def case(self, session: Session, case_id: int) -> None:
        """Re-plan every coming appointment of a case (the person just agreed to reminders)."""
        query = select(Appointment).where(
            Appointment.case_id == case_id, Appointment.status == AppointmentStatus.SCHEDULED
        )
        for appointment in session.exec(query):
            self.appointment(session, appointment)

    @staticmethod
    def _staff_attending(case: Case, appointment: Appointment) -> list[int]:
        staff = [case.assigned_worker_id] if case.assigned_worker_id else []
        if "referent" in appointment.attendees and case.landlord_referent_id:
            staff.append(case.landlord_referent_id)
        return staff

    def phase(self, session: Session, case: Case, phase: CasePhase, max_days: int) -> None:
        """Tell the worker 14 days and 1 day before the phase reaches its maximum length."""
        cancel_pending(session, case_id=case.id, kind=ReminderKind.PHASE_CHECKPOINT)
        if case.assigned_worker_id is None:
            return
        for days, due in phase_checkpoints(phase.started_at, max_days, self.rules).items():
            plan(session, f"phase:{phase.id}:{days}", ReminderKind.PHASE_CHECKPOINT, case.assigned_worker_id,
                 due, case_id=case.id, payload={"phase": phase.phase, "days": days})  # fmt: skip


def consenting_beneficiary(session: Session, case_id: int) -> Beneficiary | None:
    query = select(Beneficiary).where(
        Beneficiary.case_id == case_id,
        col(Beneficiary.consent_at).is_not(None),
        col(Beneficiary.withdrawn_at).is_(None),
    )
    return session.exec(query).first()
