"""A case moving along its path, and its appointments, on SQLite and on PostgreSQL."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from domain.programme import load_programme
from domain.referral import REVIEW
from domain.statuses import IllegalTransition, Intensity, Move
from domain.vocabulary import (
    AppointmentKind,
    AppointmentStatus,
    CaseKind,
    CaseStatus,
    OrganisationKind,
    Role,
)
from storage.access import sees
from storage.appointments import (
    CANCEL_REASONS,
    AppointmentRefused,
    cancel,
    case_appointments,
    get_appointment,
    next_appointment,
    record_outcome,
    reschedule,
    schedule,
    upcoming_for,
)
from storage.case_flow import (
    NOTE_MAX,
    add_note,
    advance_phase,
    current_phase,
    move_case,
    notes_of,
    put_on_case,
    reopen_case,
)
from storage.cases import case_events, get_case, list_cases, submit_report, take_case
from storage.database import session_scope
from storage.drafts import save_draft, start_draft
from storage.invitations import Redemption, create_invitation, redeem_invitation
from storage.members import ensure_organisation, get_member
from storage.models import Appointment, Case, CaseEvent, CasePhase, Member
from tests.stories import VIOLENCE_ANSWERS

S = CaseStatus
PARIS = ZoneInfo("Europe/Paris")
T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
LATER = T0 + timedelta(days=1)
WEEK = timedelta(days=7)
MEETING = datetime(2027, 3, 1, 14, 0, tzinfo=PARIS)
PROGRAMME = load_programme()

ANSWERS: dict[CaseKind, dict[str, object]] = {
    CaseKind.ADDICTION: {
        "kind": "addiction",
        "danger": "no",
        "who": "M. D.",
        "adults": 1,
        "children": 0,
        "site": "other",
        "commune": "Le Mans",
        "qpv": "yes",
        "consent": "yes",
        "contact": "via_referrer",
        "observed": ["neighbours"],
        "eviction": "no",
        "support": ["none"],
        "note": None,
    },
    CaseKind.VIOLENCE: VIOLENCE_ANSWERS,
}

# The steps of the main path, in order, each with what it needs.
ON_THE_WAY = (
    Move(S.DIAGNOSTIC),
    Move(S.COMMISSION),
    Move(S.ACCEPTED, reason=Intensity.MEDIUM),
    Move(S.CONTRACT_SIGNED, meeting_at=MEETING, consent=True),
    Move(S.IN_SUPPORT),
    Move(S.SHARED_REVIEW),
)


@dataclass(frozen=True)
class Team:
    referrer: Member  # a Sarthe Habitat correspondent who reports
    worker: Member  # a Montjoie worker
    colleague: Member  # another Montjoie worker
    referent: Member  # a Sarthe Habitat landlord referent
    admin: Member


def enrolled(
    engine: Engine,
    role: Role,
    telegram_id: int,
    name: str,
    organisation: str,
    kind: OrganisationKind = OrganisationKind.LANDLORD,
) -> Member:
    organisation_id = ensure_organisation(engine, organisation, kind).id
    invitation = create_invitation(engine, role=role, organisation_id=organisation_id, ttl=WEEK)
    outcome, member = redeem_invitation(
        engine, invitation.token, telegram_id=telegram_id, display_name=name
    )
    assert outcome is Redemption.ENROLLED
    assert member is not None
    return member


@pytest.fixture
def team(engine: Engine) -> Team:
    return Team(
        referrer=enrolled(engine, Role.CORRESPONDENT, 1001, "Karim", "Sarthe Habitat"),
        worker=enrolled(engine, Role.WORKER, 2001, "Inès", "Montjoie"),
        colleague=enrolled(engine, Role.WORKER, 2002, "Paul", "Montjoie"),
        referent=enrolled(engine, Role.LANDLORD_REFERENT, 3001, "Hélène", "Sarthe Habitat"),
        admin=enrolled(engine, Role.ADMIN, 4001, "Nadia", "Montjoie"),
    )


def reported(engine: Engine, team: Team, kind: CaseKind = CaseKind.ADDICTION) -> Case:
    """A case just received, nobody has taken it yet."""
    draft = start_draft(engine, team.referrer.id, "kind")
    draft.answers, draft.current = dict(ANSWERS[kind]), REVIEW
    save_draft(engine, draft, T0)
    case, created = submit_report(engine, draft, team.referrer, year=2027, now=T0)
    assert created
    return case


def taken(engine: Engine, team: Team, kind: CaseKind = CaseKind.ADDICTION) -> Case:
    """A received case the worker has taken."""
    was_taken, case = take_case(engine, reported(engine, team, kind).id, team.worker, now=T0)
    assert was_taken
    assert case is not None
    return case


def brought_to(
    engine: Engine, team: Team, status: CaseStatus, kind: CaseKind = CaseKind.ADDICTION
) -> Case:
    """A taken case the worker moved along the main path up to `status`."""
    case = taken(engine, team, kind)
    for step in ON_THE_WAY:
        if case.status is status:
            break
        case = move_case(engine, case.id, team.worker, step, PROGRAMME, T0)
    assert case.status is status
    return case


def closed(engine: Engine, team: Team, status: CaseStatus) -> Case:
    """A case the worker closed from `status`."""
    case = brought_to(engine, team, status)
    return move_case(engine, case.id, team.worker, Move(S.CLOSED, reason="other"), PROGRAMME, T0)


def stored(engine: Engine, case_id: int) -> Case:
    case = get_case(engine, case_id)
    assert case is not None
    return case


def status_events(engine: Engine, case_id: int) -> list[tuple[CaseStatus | None, ...]]:
    return [
        (event.from_status, event.to_status)
        for event in case_events(engine, case_id)
        if event.kind == "status"
    ]


def events_after(engine: Engine, case_id: int, earlier: list[CaseEvent]) -> list[CaseEvent]:
    """The case's events written since `earlier` was read."""
    return case_events(engine, case_id)[len(earlier) :]


def phases_of(engine: Engine, case_id: int) -> list[tuple[str, datetime, datetime | None]]:
    with session_scope(engine) as session:
        query = select(CasePhase).where(CasePhase.case_id == case_id).order_by(col(CasePhase.id))
        return [(phase.phase, phase.started_at, phase.ended_at) for phase in session.exec(query)]


def deactivated(engine: Engine, member: Member) -> Member:
    with session_scope(engine) as session:
        row = session.get(Member, member.id)
        assert row is not None
        row.active = False
    again = get_member(engine, member.id)
    assert again is not None
    return again


# Status changes


@pytest.mark.parametrize(
    ("decision", "reason", "field"),
    [
        (S.ACCEPTED, "strong", "intensity"),
        (S.REDIRECTED, "CCAS", "redirected_to"),
        (S.DECLINED, "no_capacity", "decline_reason"),
    ],
)
def test_the_commission_decision_is_written_with_its_reason_and_one_status_event(
    engine: Engine, team: Team, decision: CaseStatus, reason: str, field: str
) -> None:
    case = brought_to(engine, team, S.COMMISSION)
    before = case_events(engine, case.id)

    move_case(engine, case.id, team.referent, Move(decision, reason=reason), PROGRAMME, LATER)

    decided = stored(engine, case.id)
    assert (decided.status, decided.status_changed_at, getattr(decided, field)) == (
        decision,
        LATER,
        reason,
    )
    [event] = events_after(engine, case.id, before)
    assert (event.kind, event.at, event.actor_member_id) == ("status", LATER, team.referent.id)
    assert (event.from_status, event.to_status, event.reason) == (S.COMMISSION, decision, reason)


def test_closing_writes_the_outcome_and_one_status_event(engine: Engine, team: Team) -> None:
    case = brought_to(engine, team, S.DIAGNOSTIC)
    before = case_events(engine, case.id)

    move_case(
        engine, case.id, team.admin, Move(S.CLOSED, reason="ended_by_person"), PROGRAMME, LATER
    )

    assert (stored(engine, case.id).status, stored(engine, case.id).outcome) == (
        S.CLOSED,
        "ended_by_person",
    )
    [event] = events_after(engine, case.id, before)
    assert (event.kind, event.from_status, event.to_status, event.reason) == (
        "status",
        S.DIAGNOSTIC,
        S.CLOSED,
        "ended_by_person",
    )


def test_signing_the_contract_records_the_meeting_and_the_consent(
    engine: Engine, team: Team
) -> None:
    case = brought_to(engine, team, S.ACCEPTED)
    before = case_events(engine, case.id)

    signed = Move(S.CONTRACT_SIGNED, meeting_at=MEETING, consent=True)
    move_case(engine, case.id, team.worker, signed, PROGRAMME, LATER)

    contract = stored(engine, case.id)
    assert (contract.status, contract.contract_meeting_at, contract.beneficiary_consent) == (
        S.CONTRACT_SIGNED,
        MEETING,
        True,
    )
    [event] = events_after(engine, case.id, before)
    assert (event.kind, event.from_status, event.to_status, event.reason) == (
        "status",
        S.ACCEPTED,
        S.CONTRACT_SIGNED,
        None,
    )


def test_the_free_note_of_a_move_goes_with_its_status_event(engine: Engine, team: Team) -> None:
    case = taken(engine, team)

    move_case(
        engine, case.id, team.worker, Move(S.DIAGNOSTIC, note="Vu au domicile."), PROGRAMME, LATER
    )

    assert case_events(engine, case.id)[-1].note == "Vu au domicile."


def test_the_main_path_leaves_one_status_event_per_step(engine: Engine, team: Team) -> None:
    case = brought_to(engine, team, S.SHARED_REVIEW)

    assert status_events(engine, case.id) == [
        (S.RECEIVED, S.DIAGNOSTIC),
        (S.DIAGNOSTIC, S.COMMISSION),
        (S.COMMISSION, S.ACCEPTED),
        (S.ACCEPTED, S.CONTRACT_SIGNED),
        (S.CONTRACT_SIGNED, S.IN_SUPPORT),
        (S.IN_SUPPORT, S.SHARED_REVIEW),
    ]


@pytest.mark.parametrize(
    ("status", "who", "move"),
    [
        (S.RECEIVED, "worker", Move(S.COMMISSION)),
        (S.RECEIVED, "referent", Move(S.DIAGNOSTIC)),
        (S.RECEIVED, "colleague", Move(S.DIAGNOSTIC)),
        (S.IN_SUPPORT, "colleague", Move(S.SHARED_REVIEW)),
        (S.IN_SUPPORT, "colleague", Move(S.CLOSED, reason="other")),
        (S.RECEIVED, "referrer", Move(S.CLOSED, reason="other")),
        (S.RECEIVED, "worker", Move(S.CLOSED)),
        (S.COMMISSION, "referent", Move(S.ACCEPTED)),
        (S.COMMISSION, "referent", Move(S.REDIRECTED, reason="Pôle emploi")),
        (S.ACCEPTED, "worker", Move(S.CONTRACT_SIGNED, meeting_at=MEETING)),
        (S.SHARED_REVIEW, "worker", Move(S.IN_SUPPORT)),
    ],
)
def test_an_illegal_move_is_refused_and_writes_nothing(
    engine: Engine, team: Team, status: CaseStatus, who: str, move: Move
) -> None:
    case = brought_to(engine, team, status)
    before = case_events(engine, case.id)

    with pytest.raises(IllegalTransition):
        move_case(engine, case.id, getattr(team, who), move, PROGRAMME, LATER)

    assert stored(engine, case.id) == case
    assert case_events(engine, case.id) == before


def test_a_case_nobody_has_taken_does_not_move_on(engine: Engine, team: Team) -> None:
    case = reported(engine, team)
    before = case_events(engine, case.id)

    with pytest.raises(IllegalTransition, match="taken by a worker"):
        move_case(engine, case.id, team.worker, Move(S.DIAGNOSTIC), PROGRAMME, LATER)

    assert stored(engine, case.id).status is S.RECEIVED
    assert case_events(engine, case.id) == before


def test_a_case_nobody_has_taken_can_still_be_closed(engine: Engine, team: Team) -> None:
    case = reported(engine, team)

    move_case(engine, case.id, team.admin, Move(S.CLOSED, reason="other"), PROGRAMME, LATER)

    assert (stored(engine, case.id).status, stored(engine, case.id).assigned_worker_id) == (
        S.CLOSED,
        None,
    )
    assert status_events(engine, case.id) == [(S.RECEIVED, S.CLOSED)]


# Support phases


@pytest.mark.parametrize(
    ("kind", "first"), [(CaseKind.ADDICTION, "urgence"), (CaseKind.VIOLENCE, "emmenagement")]
)
def test_starting_the_support_opens_the_first_phase_of_its_kind(
    engine: Engine, team: Team, kind: CaseKind, first: str
) -> None:
    case = brought_to(engine, team, S.CONTRACT_SIGNED, kind)

    move_case(engine, case.id, team.worker, Move(S.IN_SUPPORT), PROGRAMME, LATER)

    phase = current_phase(engine, case.id)
    assert phase is not None
    assert (phase.phase, phase.started_at, phase.ended_at) == (first, LATER, None)


def test_the_phases_follow_one_another_and_stop_after_the_last(engine: Engine, team: Team) -> None:
    case = brought_to(engine, team, S.IN_SUPPORT)
    month_2, month_9 = T0 + timedelta(days=60), T0 + timedelta(days=270)

    consolidation = advance_phase(engine, case.id, team.worker, PROGRAMME, month_2)
    orientation = advance_phase(engine, case.id, team.worker, PROGRAMME, month_9)
    with pytest.raises(IllegalTransition, match="last phase"):
        advance_phase(engine, case.id, team.worker, PROGRAMME, month_9 + WEEK)

    assert (consolidation.phase, orientation.phase) == ("consolidation", "orientation")
    assert phases_of(engine, case.id) == [
        ("urgence", T0, month_2),
        ("consolidation", month_2, month_9),
        ("orientation", month_9, None),
    ]
    phase_events = [e for e in case_events(engine, case.id) if e.kind == "phase"]
    assert [(e.reason, e.at, e.actor_member_id) for e in phase_events] == [
        ("consolidation", month_2, team.worker.id),
        ("orientation", month_9, team.worker.id),
    ]


@pytest.mark.parametrize("status", [S.CONTRACT_SIGNED, S.SHARED_REVIEW])
def test_the_phase_does_not_advance_outside_the_support(
    engine: Engine, team: Team, status: CaseStatus
) -> None:
    case = brought_to(engine, team, status)
    before = case_events(engine, case.id), phases_of(engine, case.id)

    with pytest.raises(IllegalTransition, match="only while in support"):
        advance_phase(engine, case.id, team.worker, PROGRAMME, LATER)

    assert (case_events(engine, case.id), phases_of(engine, case.id)) == before


def test_only_a_worker_advances_the_phase(engine: Engine, team: Team) -> None:
    case = brought_to(engine, team, S.IN_SUPPORT)

    with pytest.raises(IllegalTransition):
        advance_phase(engine, case.id, team.referent, PROGRAMME, LATER)

    assert phases_of(engine, case.id) == [("urgence", T0, None)]


@pytest.mark.parametrize(
    "move",
    [Move(S.SHARED_REVIEW), Move(S.CLOSED, reason="positive_exit")],
    ids=["shared_review", "closed"],
)
def test_the_shared_review_or_the_closure_ends_the_open_phase(
    engine: Engine, team: Team, move: Move
) -> None:
    case = brought_to(engine, team, S.IN_SUPPORT)

    move_case(engine, case.id, team.worker, move, PROGRAMME, LATER)

    assert current_phase(engine, case.id) is None
    assert phases_of(engine, case.id) == [("urgence", T0, LATER)]


# Reopening


@pytest.mark.parametrize("status", [S.RECEIVED, S.COMMISSION, S.ACCEPTED, S.SHARED_REVIEW])
def test_an_admin_reopens_a_closed_case_to_the_status_it_was_closed_from(
    engine: Engine, team: Team, status: CaseStatus
) -> None:
    case = closed(engine, team, status)

    reopen_case(engine, case.id, team.admin, LATER)

    reopened = stored(engine, case.id)
    assert (reopened.status, reopened.status_changed_at, reopened.outcome) == (status, LATER, None)
    last = case_events(engine, case.id)[-1]
    assert (last.kind, last.actor_member_id, last.from_status, last.to_status) == (
        "reopened",
        team.admin.id,
        S.CLOSED,
        status,
    )


def test_a_case_closed_a_second_time_reopens_to_where_it_was_last_closed_from(
    engine: Engine, team: Team
) -> None:
    case = closed(engine, team, S.DIAGNOSTIC)
    reopen_case(engine, case.id, team.admin, LATER)
    move_case(engine, case.id, team.worker, Move(S.COMMISSION), PROGRAMME, LATER)
    move_case(engine, case.id, team.worker, Move(S.CLOSED, reason="other"), PROGRAMME, LATER)

    reopen_case(engine, case.id, team.admin, LATER + WEEK)

    assert stored(engine, case.id).status is S.COMMISSION


def test_a_redirected_case_closed_and_reopened_is_redirected_again(
    engine: Engine, team: Team
) -> None:
    case = brought_to(engine, team, S.COMMISSION)
    move_case(engine, case.id, team.admin, Move(S.REDIRECTED, reason="CHRS"), PROGRAMME, T0)
    move_case(engine, case.id, team.admin, Move(S.CLOSED, reason="redirected"), PROGRAMME, T0)

    reopen_case(engine, case.id, team.admin, LATER)

    reopened = stored(engine, case.id)
    assert (reopened.status, reopened.redirected_to, reopened.outcome) == (
        S.REDIRECTED,
        "CHRS",
        None,
    )


def test_a_case_reopened_into_its_support_goes_on_with_the_phase_it_was_in(
    engine: Engine, team: Team
) -> None:
    case = brought_to(engine, team, S.IN_SUPPORT)
    advance_phase(engine, case.id, team.worker, PROGRAMME, T0 + WEEK)
    move_case(engine, case.id, team.worker, Move(S.CLOSED, reason="other"), PROGRAMME, LATER)

    reopen_case(engine, case.id, team.admin, LATER + WEEK)

    phase = current_phase(engine, case.id)
    assert phase is not None
    assert phase.phase == "consolidation"


@pytest.mark.parametrize("who", ["worker", "referent"])
def test_only_an_admin_reopens_a_closed_case(engine: Engine, team: Team, who: str) -> None:
    case = closed(engine, team, S.COMMISSION)
    before = case_events(engine, case.id)

    with pytest.raises(IllegalTransition, match="only an admin reopens"):
        reopen_case(engine, case.id, getattr(team, who), LATER)

    assert stored(engine, case.id).status is S.CLOSED
    assert case_events(engine, case.id) == before


def test_an_open_case_is_not_reopened(engine: Engine, team: Team) -> None:
    case = brought_to(engine, team, S.COMMISSION)

    with pytest.raises(IllegalTransition):
        reopen_case(engine, case.id, team.admin, LATER)

    assert stored(engine, case.id).status is S.COMMISSION


# The people on a case


def test_a_case_is_handed_to_another_worker(engine: Engine, team: Team) -> None:
    case = taken(engine, team)

    put_on_case(engine, case.id, team.colleague, Role.WORKER, team.admin, LATER)

    assert stored(engine, case.id).assigned_worker_id == team.colleague.id
    last = case_events(engine, case.id)[-1]
    assert (last.kind, last.actor_member_id, last.reason) == ("reassigned", team.admin.id, "Paul")


@pytest.mark.parametrize("who", ["referent", "admin"])
def test_a_case_is_not_handed_to_someone_who_is_not_a_worker(
    engine: Engine, team: Team, who: str
) -> None:
    case = taken(engine, team)
    before = case_events(engine, case.id)

    with pytest.raises(IllegalTransition, match="active worker"):
        put_on_case(engine, case.id, getattr(team, who), Role.WORKER, team.admin, LATER)

    assert stored(engine, case.id).assigned_worker_id == team.worker.id
    assert case_events(engine, case.id) == before


def test_a_case_is_not_handed_to_a_worker_who_has_left(engine: Engine, team: Team) -> None:
    case = taken(engine, team)
    gone = deactivated(engine, team.colleague)

    with pytest.raises(IllegalTransition, match="active worker"):
        put_on_case(engine, case.id, gone, Role.WORKER, team.admin, LATER)

    assert stored(engine, case.id).assigned_worker_id == team.worker.id


def test_a_landlord_referent_is_attached_to_a_case(engine: Engine, team: Team) -> None:
    case = taken(engine, team)

    put_on_case(engine, case.id, team.referent, Role.LANDLORD_REFERENT, team.worker, LATER)

    assert stored(engine, case.id).landlord_referent_id == team.referent.id
    last = case_events(engine, case.id)[-1]
    assert (last.kind, last.actor_member_id, last.reason) == ("referent", team.worker.id, "Hélène")


def test_a_worker_is_not_attached_as_the_landlord_referent(engine: Engine, team: Team) -> None:
    case = taken(engine, team)
    before = case_events(engine, case.id)

    with pytest.raises(IllegalTransition, match="active landlord referent"):
        put_on_case(engine, case.id, team.colleague, Role.LANDLORD_REFERENT, team.worker, LATER)

    assert stored(engine, case.id).landlord_referent_id is None
    assert case_events(engine, case.id) == before


def test_a_landlord_referent_who_has_left_is_not_attached(engine: Engine, team: Team) -> None:
    case = taken(engine, team)
    gone = deactivated(engine, team.referent)

    with pytest.raises(IllegalTransition, match="active landlord referent"):
        put_on_case(engine, case.id, gone, Role.LANDLORD_REFERENT, team.worker, LATER)

    assert stored(engine, case.id).landlord_referent_id is None


# Notes


def test_a_note_is_kept_trimmed_and_its_event_does_not_repeat_it(
    engine: Engine, team: Team
) -> None:
    case = taken(engine, team)
    before = case_events(engine, case.id)

    add_note(engine, case.id, team.worker, "  Rencontre prévue avec le CSAPA.\n", LATER)

    [note] = notes_of(engine, case.id)
    assert (note.text, note.author_id, note.created_at) == (
        "Rencontre prévue avec le CSAPA.",
        team.worker.id,
        LATER,
    )
    [event] = events_after(engine, case.id, before)
    assert (event.kind, event.actor_member_id, event.at) == ("note", team.worker.id, LATER)
    assert (event.reason, event.note, event.from_status, event.to_status) == (
        None,
        None,
        None,
        None,
    )


def test_a_note_of_exactly_the_longest_length_is_kept(engine: Engine, team: Team) -> None:
    case = taken(engine, team)

    add_note(engine, case.id, team.worker, "x" * NOTE_MAX, LATER)

    assert [len(note.text) for note in notes_of(engine, case.id)] == [2000]


@pytest.mark.parametrize(
    "text", ["", "   \n ", "x" * (NOTE_MAX + 1)], ids=["empty", "blank", "long"]
)
def test_an_empty_or_too_long_note_is_refused(engine: Engine, team: Team, text: str) -> None:
    case = taken(engine, team)
    before = case_events(engine, case.id)

    with pytest.raises(ValueError, match="1 to 2000 characters"):
        add_note(engine, case.id, team.worker, text, LATER)

    assert notes_of(engine, case.id) == []
    assert case_events(engine, case.id) == before


def test_notes_come_newest_first_five_at_a_time(engine: Engine, team: Team) -> None:
    case = taken(engine, team)
    for number in range(1, 7):
        add_note(engine, case.id, team.worker, f"Note {number}", T0 + timedelta(hours=number))

    assert [note.text for note in notes_of(engine, case.id)] == [
        "Note 6",
        "Note 5",
        "Note 4",
        "Note 3",
        "Note 2",
    ]
    assert len(notes_of(engine, case.id, limit=10)) == 6


# Appointments

DAY_3 = datetime(2027, 3, 3, 14, 0, tzinfo=PARIS)
DAY_5 = datetime(2027, 3, 5, 9, 30, tzinfo=PARIS)


def booked(
    engine: Engine,
    case: Case,
    actor: Member,
    starts_at: datetime,
    *,
    now: datetime = T0,
    kind: AppointmentKind = AppointmentKind.FOLLOW_UP,
) -> Appointment:
    return schedule(
        engine,
        case.id,
        actor,
        kind=kind,
        starts_at=starts_at,
        place="Au domicile",
        attendees=["Inès", "M. D."],
        now=now,
    )


def scheduled_appointment(engine: Engine, appointment_id: int) -> Appointment:
    appointment = get_appointment(engine, appointment_id)
    assert appointment is not None
    return appointment


def ended(engine: Engine, appointment: Appointment, actor: Member, how: AppointmentStatus) -> None:
    """Cancel the appointment, or record it held or missed, once its time has come."""
    after = appointment.starts_at + timedelta(hours=1)
    if how is AppointmentStatus.CANCELLED:
        cancel(engine, appointment.id, actor, "not_needed", after)
    else:
        record_outcome(engine, appointment.id, actor, how is AppointmentStatus.HELD, after)


def test_an_appointment_is_scheduled_with_one_case_event(engine: Engine, team: Team) -> None:
    case = taken(engine, team)
    before = case_events(engine, case.id)

    appointment = booked(engine, case, team.worker, DAY_3, kind=AppointmentKind.DIAGNOSTIC)

    kept = scheduled_appointment(engine, appointment.id)
    assert (kept.case_id, kept.kind, kept.starts_at, kept.status) == (
        case.id,
        AppointmentKind.DIAGNOSTIC,
        DAY_3,
        AppointmentStatus.SCHEDULED,
    )
    assert (kept.place, kept.attendees, kept.created_by_id, kept.created_at) == (
        "Au domicile",
        ["Inès", "M. D."],
        team.worker.id,
        T0,
    )
    [event] = events_after(engine, case.id, before)
    assert (event.kind, event.actor_member_id, event.at, event.reason, event.note) == (
        "appointment",
        team.worker.id,
        T0,
        "diagnostic",
        DAY_3.isoformat(),
    )


@pytest.mark.parametrize("starts_at", [T0, T0 - timedelta(minutes=1)], ids=["now", "before"])
def test_an_appointment_is_not_scheduled_in_the_past(
    engine: Engine, team: Team, starts_at: datetime
) -> None:
    case = taken(engine, team)
    before = case_events(engine, case.id)

    with pytest.raises(AppointmentRefused, match="in the future"):
        booked(engine, case, team.worker, starts_at)

    assert case_appointments(engine, case.id) == []
    assert case_events(engine, case.id) == before


def test_no_appointment_is_scheduled_on_a_closed_case(engine: Engine, team: Team) -> None:
    case = closed(engine, team, S.DIAGNOSTIC)
    before = case_events(engine, case.id)

    with pytest.raises(AppointmentRefused, match="closed case"):
        booked(engine, case, team.worker, DAY_3)

    assert case_appointments(engine, case.id) == []
    assert case_events(engine, case.id) == before


def test_an_appointment_is_moved_to_another_time_to_come(engine: Engine, team: Team) -> None:
    case = taken(engine, team)
    appointment = booked(engine, case, team.worker, DAY_3)
    before = case_events(engine, case.id)

    reschedule(engine, appointment.id, team.worker, DAY_5, LATER)

    assert scheduled_appointment(engine, appointment.id).starts_at == DAY_5
    [event] = events_after(engine, case.id, before)
    assert (event.kind, event.reason, event.note) == (
        "appointment_moved",
        "follow_up",
        DAY_5.isoformat(),
    )


def test_an_appointment_is_not_moved_into_the_past(engine: Engine, team: Team) -> None:
    case = taken(engine, team)
    appointment = booked(engine, case, team.worker, DAY_3)
    before = case_events(engine, case.id)

    with pytest.raises(AppointmentRefused, match="in the future"):
        reschedule(engine, appointment.id, team.worker, T0, LATER)

    assert scheduled_appointment(engine, appointment.id).starts_at == DAY_3
    assert case_events(engine, case.id) == before


@pytest.mark.parametrize("reason", CANCEL_REASONS)
def test_an_appointment_is_cancelled_with_a_reason_from_the_list(
    engine: Engine, team: Team, reason: str
) -> None:
    case = taken(engine, team)
    appointment = booked(engine, case, team.worker, DAY_3)
    before = case_events(engine, case.id)

    cancel(engine, appointment.id, team.worker, reason, LATER)

    assert scheduled_appointment(engine, appointment.id).status is AppointmentStatus.CANCELLED
    [event] = events_after(engine, case.id, before)
    assert (event.kind, event.reason, event.at) == ("appointment_cancelled", reason, LATER)


@pytest.mark.parametrize("reason", ["", "weather", "Person Unavailable"])
def test_an_appointment_is_not_cancelled_without_a_reason_from_the_list(
    engine: Engine, team: Team, reason: str
) -> None:
    case = taken(engine, team)
    appointment = booked(engine, case, team.worker, DAY_3)
    before = case_events(engine, case.id)

    with pytest.raises(AppointmentRefused, match="reason from the list"):
        cancel(engine, appointment.id, team.worker, reason, LATER)

    assert scheduled_appointment(engine, appointment.id).status is AppointmentStatus.SCHEDULED
    assert case_events(engine, case.id) == before


@pytest.mark.parametrize(
    ("held", "status", "kind"),
    [
        (True, AppointmentStatus.HELD, "appointment_held"),
        (False, AppointmentStatus.MISSED, "appointment_missed"),
    ],
)
def test_an_appointment_is_held_or_missed_once_its_time_has_come(
    engine: Engine, team: Team, held: bool, status: AppointmentStatus, kind: str
) -> None:
    case = taken(engine, team)
    appointment = booked(engine, case, team.worker, DAY_3)
    before = case_events(engine, case.id)

    record_outcome(engine, appointment.id, team.worker, held, DAY_3)

    assert scheduled_appointment(engine, appointment.id).status is status
    [event] = events_after(engine, case.id, before)
    assert (event.kind, event.actor_member_id, event.at) == (kind, team.worker.id, DAY_3)


def test_an_appointment_is_not_held_before_it_starts(engine: Engine, team: Team) -> None:
    case = taken(engine, team)
    appointment = booked(engine, case, team.worker, DAY_3)
    before = case_events(engine, case.id)

    with pytest.raises(AppointmentRefused, match="once its time has come"):
        record_outcome(engine, appointment.id, team.worker, True, DAY_3 - timedelta(minutes=1))

    assert scheduled_appointment(engine, appointment.id).status is AppointmentStatus.SCHEDULED
    assert case_events(engine, case.id) == before


@pytest.mark.parametrize(
    "how", [AppointmentStatus.CANCELLED, AppointmentStatus.HELD, AppointmentStatus.MISSED]
)
def test_a_cancelled_held_or_missed_appointment_takes_no_more_change(
    engine: Engine, team: Team, how: AppointmentStatus
) -> None:
    case = taken(engine, team)
    appointment = booked(engine, case, team.worker, DAY_3)
    ended(engine, appointment, team.worker, how)
    before = case_events(engine, case.id)
    after = DAY_3 + timedelta(hours=2)

    with pytest.raises(AppointmentRefused, match="no longer scheduled"):
        reschedule(engine, appointment.id, team.worker, DAY_5, after)
    with pytest.raises(AppointmentRefused, match="no longer scheduled"):
        cancel(engine, appointment.id, team.worker, "other", after)
    with pytest.raises(AppointmentRefused, match="no longer scheduled"):
        record_outcome(engine, appointment.id, team.worker, True, after)

    kept = scheduled_appointment(engine, appointment.id)
    assert (kept.status, kept.starts_at) == (how, DAY_3)
    assert case_events(engine, case.id) == before


def test_a_change_to_an_appointment_that_does_not_exist_is_refused(
    engine: Engine, team: Team
) -> None:
    with pytest.raises(AppointmentRefused):
        reschedule(engine, 4242, team.worker, DAY_5, LATER)


def test_each_change_to_an_appointment_leaves_one_event_on_the_case_timeline(
    engine: Engine, team: Team
) -> None:
    case = taken(engine, team)
    appointment = booked(engine, case, team.worker, DAY_3)
    reschedule(engine, appointment.id, team.colleague, DAY_5, LATER)
    record_outcome(engine, appointment.id, team.worker, False, DAY_5 + timedelta(hours=1))

    timeline = [(e.kind, e.actor_member_id) for e in case_events(engine, case.id)]
    assert timeline == [
        ("created", team.referrer.id),
        ("taken", team.worker.id),
        ("appointment", team.worker.id),
        ("appointment_moved", team.colleague.id),
        ("appointment_missed", team.worker.id),
    ]


def test_the_next_appointment_skips_cancelled_and_past_ones(engine: Engine, team: Team) -> None:
    case = taken(engine, team)
    now = datetime(2027, 3, 4, 12, 0, tzinfo=PARIS)
    booked(engine, case, team.worker, DAY_3)  # gone by `now`, its outcome not recorded yet
    dropped = booked(engine, case, team.worker, DAY_5 - timedelta(hours=1))
    cancel(engine, dropped.id, team.worker, "worker_unavailable", LATER)
    later = booked(engine, case, team.worker, DAY_5 + WEEK)
    coming = booked(engine, case, team.worker, DAY_5)

    def next_id(at: datetime) -> int | None:
        upcoming = next_appointment(engine, case.id, at)
        return upcoming.id if upcoming else None

    assert next_id(now) == coming.id
    assert next_id(DAY_5) == later.id
    assert next_id(DAY_5 + WEEK) is None


def test_the_coming_appointments_of_a_worker_or_a_referent_are_those_of_their_cases(
    engine: Engine, team: Team
) -> None:
    followed = taken(engine, team)  # the worker's, with the referent attached
    put_on_case(engine, followed.id, team.referent, Role.LANDLORD_REFERENT, team.worker, T0)
    own = taken(engine, team)  # the worker's alone
    elsewhere = reported(engine, team)  # the colleague's
    take_case(engine, elsewhere.id, team.colleague, now=T0)
    now = datetime(2027, 3, 4, 12, 0, tzinfo=PARIS)
    booked(engine, followed, team.worker, DAY_3)  # past by now
    cancelled = booked(engine, followed, team.worker, DAY_5)
    cancel(engine, cancelled.id, team.worker, "not_needed", LATER)
    third = booked(engine, followed, team.worker, DAY_5 + WEEK)
    second = booked(engine, own, team.worker, DAY_5 + timedelta(hours=3))
    first = booked(engine, own, team.worker, DAY_5)
    colleagues = booked(engine, elsewhere, team.colleague, DAY_5 + timedelta(hours=1))

    def seen_by(member: Member) -> list[tuple[int | None, int | None]]:
        return [(a.id, c.id) for a, c in upcoming_for(engine, member, now)]

    assert seen_by(team.worker) == [
        (first.id, own.id),
        (second.id, own.id),
        (third.id, followed.id),
    ]
    assert seen_by(team.referent) == [(third.id, followed.id)]
    assert seen_by(team.colleague) == [(colleagues.id, elsewhere.id)]
    assert seen_by(team.admin) == []
    assert seen_by(team.referrer) == []


# Who sees which cases in /dossiers: the SQL comes from domain.access's rule (storage.access)


def test_the_lists_show_each_member_exactly_the_cases_the_access_rule_lets_them_see(
    engine: Engine, team: Team
) -> None:
    gendarme = enrolled(
        engine, Role.GENDARMERIE, 5001, "Morel", "Gendarmerie de Mamers",
        OrganisationKind.GENDARMERIE,
    )  # fmt: skip
    landlords = taken(engine, team)  # reported by Sarthe Habitat, held by the worker
    draft = start_draft(engine, gendarme.id, "kind")
    draft.answers, draft.current = dict(ANSWERS[CaseKind.VIOLENCE]), REVIEW
    save_draft(engine, draft, T0)
    brigades, _created = submit_report(engine, draft, gendarme, year=2027, now=T0)
    take_case(engine, brigades.id, team.colleague, now=T0)
    put_on_case(engine, brigades.id, team.referent, Role.LANDLORD_REFERENT, team.colleague, T0)
    untaken = reported(engine, team)
    gone = closed(engine, team, S.DIAGNOSTIC)

    def listed(member: Member, *, mine: bool, status: CaseStatus | None = None) -> set[int]:
        cases, total = list_cases(engine, member, mine=mine, status=status, limit=50)
        assert total == len(cases)
        return {case.id for case in cases}

    # Written from the README's table: workers and admins see every open case; a landlord
    # referent, those of their landlord and those they are attached to (the brigade's, of no
    # landlord until then: it is now their landlord's).
    assert listed(team.worker, mine=False) == {landlords.id, brigades.id, untaken.id}
    assert listed(team.admin, mine=False) == {landlords.id, brigades.id, untaken.id}
    assert listed(team.referent, mine=False) == {landlords.id, brigades.id, untaken.id}
    assert listed(team.referrer, mine=False) == set()
    assert listed(gendarme, mine=False) == set()
    assert listed(team.worker, mine=True) == {landlords.id}
    assert listed(team.colleague, mine=True) == {brigades.id}
    assert listed(team.referent, mine=True) == {brigades.id}
    assert listed(team.admin, mine=True) == set()
    assert listed(team.worker, mine=False, status=S.CLOSED) == {gone.id}

    # And the SQL agrees with the rule read in Python, case by case.
    everyone = (team.worker, team.colleague, team.referent, team.admin, team.referrer, gendarme)
    for member in everyone:
        open_ones = listed(member, mine=False)
        for case in (landlords, brigades, untaken):
            assert (case.id in open_ones) is sees(member, stored(engine, case.id)), member.role


def test_a_referent_of_another_landlord_is_not_put_on_a_landlord_s_case_and_never_sees_it(
    engine: Engine, team: Team
) -> None:
    other = enrolled(engine, Role.LANDLORD_REFERENT, 3002, "Marc", "Podeliha")
    case = taken(engine, team)

    with pytest.raises(IllegalTransition):
        put_on_case(engine, case.id, other, Role.LANDLORD_REFERENT, team.worker, T0)

    assert stored(engine, case.id).landlord_referent_id is None
    assert list_cases(engine, other, mine=False) == ([], 0)
    assert not sees(other, stored(engine, case.id))
