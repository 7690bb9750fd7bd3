"""The path of a case: which status may follow which, who may move it, and what it needs.

received → diagnostic → commission → accepted | redirected | declined;
accepted → contract signed → in support (phases) → shared review → closed.
A case can be closed from any open status with an outcome; redirected and declined cases
are closed that way. Only an admin reopens a closed case, back to the status it left.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from storage.models import CaseStatus, Role

S = CaseStatus

NEXT: dict[CaseStatus, tuple[CaseStatus, ...]] = {
    S.RECEIVED: (S.DIAGNOSTIC,),
    S.DIAGNOSTIC: (S.COMMISSION,),
    S.COMMISSION: (S.ACCEPTED, S.REDIRECTED, S.DECLINED),
    S.ACCEPTED: (S.CONTRACT_SIGNED,),
    S.REDIRECTED: (),
    S.DECLINED: (),
    S.CONTRACT_SIGNED: (S.IN_SUPPORT,),
    S.IN_SUPPORT: (S.SHARED_REVIEW,),
    S.SHARED_REVIEW: (),
    S.CLOSED: (),
}

_WORKER = frozenset({Role.WORKER})
_TEAM = frozenset({Role.WORKER, Role.LANDLORD_REFERENT})
_COMMISSION = frozenset({Role.WORKER, Role.LANDLORD_REFERENT, Role.ADMIN})

# Who may move a case into each status.
MOVERS: dict[CaseStatus, frozenset[Role]] = {
    S.DIAGNOSTIC: _WORKER,
    S.COMMISSION: _TEAM,
    S.ACCEPTED: _COMMISSION,
    S.REDIRECTED: _COMMISSION,
    S.DECLINED: _COMMISSION,
    S.CONTRACT_SIGNED: _WORKER,
    S.IN_SUPPORT: _WORKER,
    S.SHARED_REVIEW: _TEAM,
    S.CLOSED: frozenset({Role.WORKER, Role.LANDLORD_REFERENT, Role.ADMIN}),
}


class Intensity(StrEnum):
    LIGHT = "light"
    MEDIUM = "medium"
    STRONG = "strong"


class DeclineReason(StrEnum):
    NOT_ELIGIBLE = "not_eligible"
    REFUSED_BY_PERSON = "refused_by_person"
    NO_CAPACITY = "no_capacity"
    OTHER = "other"


class Outcome(StrEnum):
    POSITIVE_EXIT = "positive_exit"
    HANDOVER = "handover"
    REDIRECTED = "redirected"
    ENDED_BY_PERSON = "ended_by_person"
    EVICTION = "eviction"
    MOVED_AWAY = "moved_away"
    OTHER = "other"


class IllegalTransition(ValueError):
    """The move is not on the case's path, or not this role's to make."""


@dataclass(frozen=True)
class Move:
    """A requested change of status, with what that change must carry."""

    target: CaseStatus
    reason: str | None = None  # a value of the fixed list that goes with the target
    note: str | None = None  # an optional free note
    meeting_at: datetime | None = None  # contract signed: the tripartite meeting
    consent: bool = False  # contract signed: the beneficiary agreed and signed


def allowed_targets(status: CaseStatus, role: Role) -> list[CaseStatus]:
    """The statuses this role may move a case to from `status` (buttons on the case card)."""
    targets = list(NEXT[status])
    if status is not S.CLOSED:
        targets.append(S.CLOSED)
    return [target for target in targets if role in MOVERS[target]]


def check_move(
    status: CaseStatus, role: Role, move: Move, redirection_services: tuple[str, ...]
) -> None:
    """Raise IllegalTransition unless `role` may make `move` from `status`, with its reason."""
    if move.target not in allowed_targets(status, role):
        raise IllegalTransition(f"{status} → {move.target} is not allowed for {role}")
    reasons = {**REASONS, S.REDIRECTED: frozenset(redirection_services)}
    required = reasons.get(move.target)
    if required is not None and move.reason not in required:
        raise IllegalTransition(f"{move.target} needs a reason among {sorted(required)}")
    if move.target is S.CONTRACT_SIGNED and (move.meeting_at is None or not move.consent):
        raise IllegalTransition("a signed contract needs the meeting date and the consent")


def check_reopen(status: CaseStatus, role: Role) -> None:
    if status is not S.CLOSED or role is not Role.ADMIN:
        raise IllegalTransition("only an admin reopens, and only a closed case")


# The fixed lists a move must pick its reason from (figures are counted on them).
REASONS: dict[CaseStatus, frozenset[str]] = {
    S.ACCEPTED: frozenset(Intensity),
    S.DECLINED: frozenset(DeclineReason),
    S.CLOSED: frozenset(Outcome),
}


def is_open(status: CaseStatus) -> bool:
    return status is not S.CLOSED


def reason_choices(target: CaseStatus, redirection_services: tuple[str, ...]) -> list[str] | None:
    """The fixed list a move to `target` picks its reason from, in display order, or None."""
    lists = {
        S.ACCEPTED: list(Intensity),
        S.REDIRECTED: list(redirection_services),
        S.DECLINED: list(DeclineReason),
        S.CLOSED: list(Outcome),
    }
    choices = lists.get(target)
    return [str(choice) for choice in choices] if choices is not None else None
