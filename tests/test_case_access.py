"""Who may see, move and work on a case: the programme's path written out by hand, person by
person, and checked against the rules (domain.access, domain.statuses).

The people around one case reported by the landlord (organisation 10):
- `holder`: the Montjoie worker who took it; `colleague`: another Montjoie worker;
- `referent`: the landlord referent attached to it; `other_referent`: a referent of the same
  landlord, not on it; `far_referent`: a referent of another landlord, not on it;
- `admin`: the coordination; `correspondent` (who reported it), `gendarmerie`, `siao`,
  `beneficiary`.
Nothing here is computed from the rules: each set is what the README's table says.
"""

from datetime import UTC, datetime

import pytest

from domain.access import Act, CaseFacts, Reader, TakeOverReason, allowed_moves, can_see, may
from domain.statuses import (
    DeclineReason,
    IllegalTransition,
    Intensity,
    Move,
    Outcome,
    check,
    check_move,
    reason_choices,
)
from domain.vocabulary import CaseStatus, Role

S = CaseStatus
LANDLORD, OTHER_LANDLORD, MONTJOIE, BRIGADE = 10, 11, 20, 30
PEOPLE: dict[str, Reader] = {
    "holder": Reader(1, Role.WORKER, MONTJOIE),
    "colleague": Reader(2, Role.WORKER, MONTJOIE),
    "referent": Reader(3, Role.LANDLORD_REFERENT, LANDLORD),
    "other_referent": Reader(4, Role.LANDLORD_REFERENT, LANDLORD),
    "far_referent": Reader(5, Role.LANDLORD_REFERENT, OTHER_LANDLORD),
    "admin": Reader(6, Role.ADMIN, LANDLORD),
    "correspondent": Reader(7, Role.CORRESPONDENT, LANDLORD),
    "gendarmerie": Reader(8, Role.GENDARMERIE, BRIGADE),
    "siao": Reader(9, Role.SIAO, 40),
    "beneficiary": Reader(12, Role.BENEFICIARY, 50),
}
SERVICES = ("CCAS", "CHRS")
MEETING = datetime(2027, 3, 3, 14, 0, tzinfo=UTC)

HOLDER = {"holder", "admin"}
SHARED = {"holder", "referent", "admin"}
COMMISSION = {"holder", "colleague", "referent", "other_referent", "admin"}

# The path, step by step: from → to → who may make that move. Every pair not written here
# is nobody's move (nothing goes back to « reçu », nothing leaves « clos » but a reopening).
PATH: dict[tuple[CaseStatus, CaseStatus], set[str]] = {
    (S.RECEIVED, S.DIAGNOSTIC): HOLDER,
    (S.RECEIVED, S.CLOSED): HOLDER,
    (S.DIAGNOSTIC, S.COMMISSION): SHARED,
    (S.DIAGNOSTIC, S.CLOSED): HOLDER,
    (S.COMMISSION, S.ACCEPTED): COMMISSION,
    (S.COMMISSION, S.REDIRECTED): COMMISSION,
    (S.COMMISSION, S.DECLINED): COMMISSION,
    (S.COMMISSION, S.CLOSED): HOLDER,
    (S.ACCEPTED, S.CONTRACT_SIGNED): HOLDER,
    (S.ACCEPTED, S.CLOSED): HOLDER,
    (S.REDIRECTED, S.CLOSED): HOLDER,
    (S.DECLINED, S.CLOSED): HOLDER,
    (S.CONTRACT_SIGNED, S.IN_SUPPORT): HOLDER,
    (S.CONTRACT_SIGNED, S.CLOSED): HOLDER,
    (S.IN_SUPPORT, S.SHARED_REVIEW): SHARED,
    (S.IN_SUPPORT, S.CLOSED): HOLDER,
    (S.SHARED_REVIEW, S.CLOSED): SHARED,
}

# What the card offers besides moves, and who gets it (on a case where it makes sense).
ACTS: dict[Act, tuple[dict[str, object], set[str]]] = {
    Act.READ_NOTES: ({"status": S.IN_SUPPORT}, {"holder", "colleague", "referent"}),
    Act.WORK: ({"status": S.IN_SUPPORT}, {"holder"}),
    Act.PHASE: ({"status": S.IN_SUPPORT}, {"holder", "admin"}),
    Act.HAND_OVER: ({"status": S.IN_SUPPORT}, {"holder", "admin"}),
    Act.TAKE: ({"status": S.RECEIVED, "worker": None}, {"holder", "colleague"}),
    Act.TAKE_OVER: ({"status": S.IN_SUPPORT}, {"colleague"}),
    Act.REOPEN: ({"status": S.CLOSED}, {"admin"}),
}
SEE = {"holder", "colleague", "referent", "other_referent", "admin"}


def a_case(status: CaseStatus, *, worker: int | None = 1, referent: int | None = 3) -> CaseFacts:
    return CaseFacts(
        status=status,
        assigned_worker_id=worker,
        landlord_referent_id=referent,
        landlord_id=LANDLORD,
    )


def valid_move(target: CaseStatus) -> Move:
    """A move to `target` carrying everything that target needs."""
    choices = reason_choices(target, SERVICES)
    return Move(
        target,
        reason=choices[0] if choices else None,
        meeting_at=MEETING if target is S.CONTRACT_SIGNED else None,
        consent=target is S.CONTRACT_SIGNED,
    )


def accepted(person: str, case: CaseFacts, move: Move) -> bool:
    try:
        check_move(PEOPLE[person], case, move, SERVICES)
    except IllegalTransition:
        return False
    return True


# The path


@pytest.mark.parametrize("status", list(CaseStatus), ids=str)
def test_each_move_from_a_status_is_made_by_exactly_the_people_the_path_names(
    status: CaseStatus,
) -> None:
    case = a_case(status)
    expected = {
        (person, target)
        for (before, target), people in PATH.items()
        if before is status
        for person in people
    }

    moved = {
        (person, target)
        for person in PEOPLE
        for target in CaseStatus
        if accepted(person, case, valid_move(target))
    }

    assert moved == expected


@pytest.mark.parametrize("status", list(CaseStatus), ids=str)
def test_the_card_offers_each_person_exactly_their_moves_next_steps_first(
    status: CaseStatus,
) -> None:
    case = a_case(status)
    for person, reader in PEOPLE.items():
        offered = allowed_moves(reader, case)
        allowed = [t for (before, t), who in PATH.items() if before is status and person in who]
        assert offered == allowed, person


def test_a_case_nobody_took_can_only_be_closed_and_only_by_an_admin() -> None:
    untaken = a_case(S.RECEIVED, worker=None)

    moved = {
        (person, target)
        for person in PEOPLE
        for target in CaseStatus
        if accepted(person, untaken, valid_move(target))
    }

    assert moved == {("admin", S.CLOSED)}


def test_a_landlord_referent_who_is_not_on_the_case_moves_only_the_commissions_decisions() -> None:
    in_review = a_case(S.SHARED_REVIEW)
    in_commission = a_case(S.COMMISSION)

    assert allowed_moves(PEOPLE["other_referent"], in_review) == []
    assert allowed_moves(PEOPLE["other_referent"], in_commission) == [
        S.ACCEPTED,
        S.REDIRECTED,
        S.DECLINED,
    ]


def refusal(person: str, case: CaseFacts, target: CaseStatus) -> str:
    """Why `person` may not move `case` to `target` (the move carries all it needs)."""
    with pytest.raises(IllegalTransition) as refused:
        check_move(PEOPLE[person], case, valid_move(target), SERVICES)
    return str(refused.value)


def test_a_refused_move_says_whether_it_is_off_the_path_too_early_or_someone_elses() -> None:
    received, untaken = a_case(S.RECEIVED), a_case(S.RECEIVED, worker=None)

    assert refusal("holder", received, S.COMMISSION) == "received → commission is not on the path"
    assert refusal("admin", a_case(S.CLOSED), S.CLOSED) == "closed → closed is not on the path"
    assert refusal("admin", untaken, S.DIAGNOSTIC) == (
        "a case is taken by a worker before it moves on"
    )
    assert refusal("colleague", untaken, S.CLOSED) == "received → closed is not this member's move"
    assert refusal("colleague", received, S.DIAGNOSTIC) == (
        "received → diagnostic is not this member's move"
    )


# What else the card offers


@pytest.mark.parametrize("act", list(Act), ids=str)
def test_each_action_on_a_case_is_open_to_exactly_the_people_it_belongs_to(act: Act) -> None:
    where, expected = ACTS[act]
    case = a_case(**where)

    assert {person for person, reader in PEOPLE.items() if may(reader, case, act)} == expected


def test_a_refused_action_says_whose_it_is_and_an_allowed_one_goes_through() -> None:
    in_support, closed = a_case(S.IN_SUPPORT), a_case(S.CLOSED)

    check(PEOPLE["holder"], in_support, Act.PHASE)
    check(PEOPLE["admin"], closed, Act.REOPEN)
    with pytest.raises(IllegalTransition) as refused:
        check(PEOPLE["colleague"], in_support, Act.PHASE)
    assert str(refused.value) == (
        "phases move only while in support, by the case's worker or an admin"
    )
    with pytest.raises(IllegalTransition) as refused:
        check(PEOPLE["holder"], closed, Act.REOPEN)
    assert str(refused.value) == "only an admin reopens, and only a closed case"


@pytest.mark.parametrize("status", [s for s in CaseStatus if s is not S.IN_SUPPORT], ids=str)
def test_phases_move_only_while_in_support(status: CaseStatus) -> None:
    assert not may(PEOPLE["holder"], a_case(status), Act.PHASE)
    assert not may(PEOPLE["admin"], a_case(status), Act.PHASE)


@pytest.mark.parametrize("status", [s for s in CaseStatus if s is not S.CLOSED], ids=str)
def test_only_a_closed_case_is_reopened(status: CaseStatus) -> None:
    assert not may(PEOPLE["admin"], a_case(status), Act.REOPEN)


def test_a_colleague_takes_over_only_a_case_someone_holds_and_that_is_still_open() -> None:
    colleague = PEOPLE["colleague"]

    assert may(colleague, a_case(S.DIAGNOSTIC), Act.TAKE_OVER)
    assert not may(colleague, a_case(S.RECEIVED, worker=None), Act.TAKE_OVER)
    assert not may(colleague, a_case(S.CLOSED), Act.TAKE_OVER)
    assert not may(colleague, a_case(S.DIAGNOSTIC), Act.TAKE)
    assert not may(colleague, a_case(S.CLOSED, worker=None), Act.TAKE)
    assert [str(reason) for reason in TakeOverReason] == [
        "absence",
        "reorganisation",
        "persons_request",
        "other",
    ]


def test_once_a_colleague_took_it_over_the_former_worker_only_reads_the_case() -> None:
    taken_over = a_case(S.IN_SUPPORT, worker=2)
    former = PEOPLE["holder"]

    assert allowed_moves(former, taken_over) == []
    assert [act for act in Act if may(former, taken_over, act)] == [
        Act.READ_NOTES,
        Act.TAKE_OVER,
    ]


# Who sees a case


def test_the_team_sees_the_case_and_nobody_else() -> None:
    case = a_case(S.IN_SUPPORT)

    assert {person for person, reader in PEOPLE.items() if can_see(reader, case)} == SEE


def test_a_landlord_referent_of_another_landlord_sees_a_case_once_attached_to_it() -> None:
    attached = CaseFacts(S.DIAGNOSTIC, 1, 5, LANDLORD)

    assert can_see(PEOPLE["far_referent"], attached)
    assert may(PEOPLE["far_referent"], attached, Act.READ_NOTES)
    assert may(PEOPLE["far_referent"], attached, S.COMMISSION)


def test_people_outside_the_team_see_no_case_even_one_their_organisation_reported() -> None:
    reported = a_case(S.RECEIVED)

    for person in ("correspondent", "gendarmerie", "siao", "beneficiary"):
        assert not can_see(PEOPLE[person], reported), person
        assert [act for act in Act if may(PEOPLE[person], reported, act)] == [], person


# What a move carries


@pytest.mark.parametrize(
    ("status", "target", "reason"),
    [
        *[(S.COMMISSION, S.ACCEPTED, intensity) for intensity in Intensity],
        *[(S.COMMISSION, S.DECLINED, decline) for decline in DeclineReason],
        *[(S.COMMISSION, S.REDIRECTED, service) for service in SERVICES],
        *[(S.IN_SUPPORT, S.CLOSED, outcome) for outcome in Outcome],
    ],
)
def test_a_decision_or_a_closure_is_accepted_with_a_reason_from_its_list(
    status: CaseStatus, target: CaseStatus, reason: str
) -> None:
    assert accepted("holder", a_case(status), Move(target, reason=reason))


@pytest.mark.parametrize(
    ("status", "target", "reason"),
    [
        (S.COMMISSION, S.ACCEPTED, None),
        (S.COMMISSION, S.ACCEPTED, "very_strong"),
        (S.COMMISSION, S.ACCEPTED, DeclineReason.NO_CAPACITY),
        (S.COMMISSION, S.DECLINED, None),
        (S.COMMISSION, S.DECLINED, Intensity.LIGHT),
        (S.COMMISSION, S.REDIRECTED, None),
        (S.COMMISSION, S.REDIRECTED, "CSAPA"),
        (S.COMMISSION, S.REDIRECTED, "ccas"),
        (S.IN_SUPPORT, S.CLOSED, None),
        (S.IN_SUPPORT, S.CLOSED, "done"),
        (S.IN_SUPPORT, S.CLOSED, Intensity.STRONG),
    ],
)
def test_a_decision_or_a_closure_without_a_reason_from_its_list_is_refused(
    status: CaseStatus, target: CaseStatus, reason: str | None
) -> None:
    with pytest.raises(IllegalTransition, match="needs a reason"):
        check_move(PEOPLE["holder"], a_case(status), Move(target, reason=reason), SERVICES)


@pytest.mark.parametrize(
    ("meeting_at", "consent"), [(None, True), (MEETING, False), (None, False)]
)
def test_a_contract_is_signed_only_with_the_meeting_date_and_the_consent(
    meeting_at: datetime | None, consent: bool
) -> None:
    incomplete = Move(S.CONTRACT_SIGNED, meeting_at=meeting_at, consent=consent)
    accepted_case = a_case(S.ACCEPTED)

    with pytest.raises(
        IllegalTransition, match=r"^a signed contract needs the meeting date and the consent$"
    ):
        check_move(PEOPLE["holder"], accepted_case, incomplete, SERVICES)
    check_move(PEOPLE["holder"], accepted_case, valid_move(S.CONTRACT_SIGNED), SERVICES)


def test_a_step_without_a_reason_list_takes_an_optional_free_note() -> None:
    move = Move(S.DIAGNOSTIC, note="Vu au domicile.")

    check_move(PEOPLE["holder"], a_case(S.RECEIVED), move, SERVICES)


def test_each_decision_offers_its_own_list_of_reasons_in_display_order() -> None:
    assert reason_choices(S.ACCEPTED, SERVICES) == ["light", "medium", "strong"]
    assert reason_choices(S.REDIRECTED, SERVICES) == ["CCAS", "CHRS"]
    assert reason_choices(S.DECLINED, SERVICES) == [
        "not_eligible",
        "refused_by_person",
        "no_capacity",
        "other",
    ]
    assert reason_choices(S.CLOSED, SERVICES) == [
        "positive_exit",
        "handover",
        "redirected",
        "ended_by_person",
        "eviction",
        "moved_away",
        "other",
    ]


@pytest.mark.parametrize(
    "target", [S.DIAGNOSTIC, S.COMMISSION, S.CONTRACT_SIGNED, S.IN_SUPPORT, S.SHARED_REVIEW]
)
def test_a_plain_step_has_no_list_of_reasons(target: CaseStatus) -> None:
    assert reason_choices(target, SERVICES) is None
