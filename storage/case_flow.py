"""Moving a case along its path: status changes, phases, the people on it, its notes.

Each change and its timeline event are written in the same transaction, and the rules are
checked inside that transaction on a locked row: two people tapping at once cannot both
move the same case.
"""

from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from domain.access import Act, TakeOverReason, fits_landlord
from domain.programme import Phase, Programme
from domain.statuses import IllegalTransition, Move, check, check_move
from domain.vocabulary import CaseStatus, ReminderKind, Role
from storage.access import facts, reader
from storage.audit import record
from storage.cases import open_cases_query
from storage.database import session_scope
from storage.homes import release_in
from storage.models import Case, CaseEvent, CaseNote, CasePhase, Member
from storage.reminders import Planner, cancel_pending

NOTE_MAX = 2000


def _locked_case(session: Session, case_id: int) -> Case:
    case = session.exec(select(Case).where(Case.id == case_id).with_for_update()).first()
    if case is None:
        raise LookupError(f"no case {case_id}")
    return case


def move_case(
    engine: Engine,
    case_id: int,
    actor: Member,
    move: Move,
    programme: Programme,
    now: datetime,
    planner: Planner | None = None,
) -> Case:
    """Change the case's status as `move` says, or raise IllegalTransition (nothing written)."""
    with session_scope(engine) as session:
        case = _locked_case(session, case_id)
        check_move(reader(actor), facts(case), move, programme.redirection_services)
        previous = case.status
        _apply(session, case, move, programme, now, actor, planner)
        case.status, case.status_changed_at = move.target, now
        session.add(
            CaseEvent(
                case_id=case.id,
                at=now,
                actor_member_id=actor.id,
                kind="status",
                from_status=previous,
                to_status=move.target,
                reason=move.reason,
                note=move.note,
            )
        )
        return case


def _apply(
    session: Session,
    case: Case,
    move: Move,
    programme: Programme,
    now: datetime,
    actor: Member,
    planner: Planner | None,
) -> None:
    """What each status brings with it besides the status itself."""
    match move.target:
        case CaseStatus.ACCEPTED:
            case.intensity = move.reason
        case CaseStatus.REDIRECTED:
            case.redirected_to = move.reason
        case CaseStatus.DECLINED:
            case.decline_reason = move.reason
        case CaseStatus.CONTRACT_SIGNED:
            case.contract_meeting_at, case.beneficiary_consent = move.meeting_at, True
        case CaseStatus.IN_SUPPORT:
            first = programme.next_phase(case.kind, None)
            _start_phase(session, case, first, now, planner)
        case CaseStatus.SHARED_REVIEW:
            _end_open_phase(session, case.id, now)
            cancel_pending(session, case_id=case.id, kind=ReminderKind.PHASE_CHECKPOINT)
        case CaseStatus.CLOSED:
            case.outcome = move.reason
            _end_open_phase(session, case.id, now)
            release_in(session, case.id, now, actor_id=actor.id)
            cancel_pending(session, case_id=case.id)  # a closed case reminds nobody


def reopen_case(engine: Engine, case_id: int, actor: Member, now: datetime) -> Case:
    """An admin reopens a closed case, back to the status it was closed from."""
    with session_scope(engine) as session:
        case = _locked_case(session, case_id)
        check(reader(actor), facts(case), Act.REOPEN)
        if case.anonymised_at is not None:
            raise IllegalTransition("an anonymised case has nothing left to follow")
        closing = session.exec(
            select(CaseEvent)
            .where(CaseEvent.case_id == case_id, CaseEvent.to_status == CaseStatus.CLOSED)
            .order_by(col(CaseEvent.id).desc())
        ).first()
        back_to = closing.from_status if closing and closing.from_status else CaseStatus.RECEIVED
        session.add(
            CaseEvent(
                case_id=case_id,
                at=now,
                actor_member_id=actor.id,
                kind="reopened",
                from_status=case.status,
                to_status=back_to,
            )
        )
        case.status, case.status_changed_at, case.outcome = back_to, now, None
        if back_to is CaseStatus.IN_SUPPORT:
            _resume_last_phase(session, case_id)
        return case


def _resume_last_phase(session: Session, case_id: int) -> None:
    """A case reopened into its support goes on with the phase the closing ended."""
    last = session.exec(
        select(CasePhase).where(CasePhase.case_id == case_id).order_by(col(CasePhase.id).desc())
    ).first()
    if last is not None:
        last.ended_at = None


def advance_phase(
    engine: Engine,
    case_id: int,
    actor: Member,
    programme: Programme,
    now: datetime,
    planner: Planner | None = None,
) -> CasePhase:
    """End the current phase and start the next one; refused after the last phase."""
    with session_scope(engine) as session:
        case = _locked_case(session, case_id)
        check(reader(actor), facts(case), Act.PHASE)
        current = _end_open_phase(session, case_id, now)
        following = programme.next_phase(case.kind, current.phase if current else None)
        if following is None:
            raise IllegalTransition("this was the last phase: the next step is the shared review")
        phase = _start_phase(session, case, following, now, planner)
        session.add(
            CaseEvent(
                case_id=case_id,
                at=now,
                actor_member_id=actor.id,
                kind="phase",
                reason=following.key,
            )
        )
        return phase


def _start_phase(
    session: Session, case: Case, phase: Phase, now: datetime, planner: Planner | None
) -> CasePhase:
    row = CasePhase(case_id=case.id, phase=phase.key, started_at=now)
    session.add(row)
    session.flush()
    if planner is not None:
        planner.phase(session, case, row, phase.max_days)
    return row


def current_phase(engine: Engine, case_id: int) -> CasePhase | None:
    with session_scope(engine) as session:
        return _open_phase(session, case_id)


def _open_phase(session: Session, case_id: int) -> CasePhase | None:
    query = select(CasePhase).where(
        CasePhase.case_id == case_id, col(CasePhase.ended_at).is_(None)
    )
    return session.exec(query).first()


def _end_open_phase(session: Session, case_id: int, now: datetime) -> CasePhase | None:
    phase = _open_phase(session, case_id)
    if phase is not None:
        phase.ended_at = now
    return phase


# Who a case can be given to, the case field that holds them, and the event it writes.
_PEOPLE_ON_A_CASE = {
    Role.WORKER: ("assigned_worker_id", "reassigned"),
    Role.LANDLORD_REFERENT: ("landlord_referent_id", "referent"),
}


def put_on_case(
    engine: Engine,
    case_id: int,
    person: Member,
    role: Role,
    actor: Member,
    now: datetime,
    relais: tuple[Planner, Programme] | None = None,
) -> Case:
    """Hand the case to another worker, or attach its landlord referent (active, of that role).

    With `relais` (the planner and the programme), the people now on the case get its
    reminders: the day's digests of its appointments, its phase checkpoints."""
    _check_person(person, role)
    field, event = _PEOPLE_ON_A_CASE[role]
    with session_scope(engine) as session:
        case = _locked_case(session, case_id)
        check(reader(actor), facts(case), Act.HAND_OVER)
        if role is Role.LANDLORD_REFERENT:
            if not fits_landlord(case.landlord_id, person.organisation_id):
                raise IllegalTransition("a referent of another landlord than the case's")
            # A case of no landlord yet now belongs to its referent's.
            case.landlord_id = case.landlord_id or person.organisation_id
        setattr(case, field, person.id)
        session.add(
            CaseEvent(
                case_id=case_id,
                at=now,
                actor_member_id=actor.id,
                kind=event,
                reason=person.display_name,
            )
        )
        if relais is not None:
            _replan(session, case, *relais)
        return case


def take_over(
    engine: Engine,
    case_id: int,
    worker: Member,
    reason: TakeOverReason,
    now: datetime,
    relais: tuple[Planner, Programme] | None = None,
) -> int:
    """A colleague takes the case over from the worker holding it, for a reason of the
    fixed list: returns the id of the worker it was taken from (to tell them)."""
    _check_person(worker, Role.WORKER)
    with session_scope(engine) as session:
        case = _locked_case(session, case_id)
        check(reader(worker), facts(case), Act.TAKE_OVER)
        previous, case.assigned_worker_id = case.assigned_worker_id, worker.id
        session.add(
            CaseEvent(
                case_id=case_id, at=now, actor_member_id=worker.id, kind="taken_over",
                reason=reason.value,
            )
        )  # fmt: skip
        if relais is not None:
            _replan(session, case, *relais)
        return previous


def _check_person(person: Member, role: Role) -> None:
    if person.role is not role or role not in _PEOPLE_ON_A_CASE or not person.active:
        raise IllegalTransition(
            f"only an active {role.replace('_', ' ')} can be put on a case as such"
        )


def _replan(session: Session, case: Case, planner: Planner, programme: Programme) -> None:
    """Reminders follow the people on the case (the last ones' were cancelled with them)."""
    session.flush()
    planner.case(session, case.id)
    phase = _open_phase(session, case.id)
    if phase is not None:
        planner.phase(session, case, phase, programme.phase(case.kind, phase.phase).max_days)


def add_note(engine: Engine, case_id: int, author: Member, text: str, now: datetime) -> CaseNote:
    text = text.strip()
    if not text or len(text) > NOTE_MAX:
        raise ValueError(f"a note has 1 to {NOTE_MAX} characters")
    with session_scope(engine) as session:
        note = CaseNote(case_id=case_id, author_id=author.id, text=text, created_at=now)
        session.add(note)
        # The timeline says a note was written, never what it says.
        session.add(CaseEvent(case_id=case_id, at=now, actor_member_id=author.id, kind="note"))
        return note


def notes_of(engine: Engine, case_id: int, limit: int | None = 5) -> list[CaseNote]:
    """The case's notes, newest first (`limit` None: all of them)."""
    with session_scope(engine) as session:
        query = (
            select(CaseNote).where(CaseNote.case_id == case_id).order_by(col(CaseNote.id).desc())
        )
        return list(session.exec(query.limit(limit)))


class HandOverRefused(ValueError):
    """A worker with open cases leaves only with an active colleague to take them."""


def deactivate_member(
    engine: Engine,
    leaving_id: int,
    successor: Member | None,
    actor: Member,
    now: datetime,
    relais: tuple[Planner, Programme] | None = None,
) -> list[Case]:
    """A member who leaves: their access closes, their cases stay and are handed over, in one
    transaction. A worker's open cases go to `successor`; a landlord referent's open cases
    keep going without a referent (one can be attached from the card). Returns the cases
    handed to the successor."""
    with session_scope(engine) as session:
        leaving = session.exec(
            select(Member).where(Member.id == leaving_id).with_for_update()
        ).one()
        held = list(session.exec(open_cases_query(leaving_id).with_for_update()))
        if held and (
            successor is None
            or successor.role is not Role.WORKER
            or not successor.active
            or successor.id == leaving_id
        ):
            raise HandOverRefused(leaving_id)
        for case in held:
            case.assigned_worker_id = successor.id
            session.add(CaseEvent(case_id=case.id, at=now, actor_member_id=actor.id,
                                  kind="reassigned", reason=successor.display_name))  # fmt: skip
        referred = session.exec(
            select(Case).where(
                Case.landlord_referent_id == leaving_id, Case.status != CaseStatus.CLOSED
            )
        )
        for case in referred:
            case.landlord_referent_id = None
            session.add(CaseEvent(case_id=case.id, at=now, actor_member_id=actor.id,
                                  kind="referent", reason="—"))  # fmt: skip
        leaving.active = False
        cancel_pending(session, member_id=leaving_id)
        for case in held if relais is not None else ():
            _replan(session, case, *relais)
        record(
            session, "member.deactivated", now, member_id=actor.id, detail=f"member {leaving_id}"
        )
        return held
