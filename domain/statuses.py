"""The path of a case: what a move into each status must carry.

received → diagnostic → commission → accepted | redirected | declined;
accepted → contract signed → in support (phases) → shared review → closed.
A case can be closed from any open status with an outcome; redirected and declined cases
are closed that way. Only an admin reopens a closed case, back to the status it left.
Who may make each move is domain.access.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.access import Act, CaseFacts, Reader, may, movers
from domain.vocabulary import CaseStatus

S = CaseStatus


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
    """The move is not on the case's path, or not this reader's to make."""


@dataclass(frozen=True)
class Move:
    """A requested change of status, with what that change must carry."""

    target: CaseStatus
    reason: str | None = None  # a value of the fixed list that goes with the target
    note: str | None = None  # an optional free note
    meeting_at: datetime | None = None  # contract signed: the tripartite meeting
    consent: bool = False  # contract signed: the beneficiary agreed and signed


def check_move(
    reader: Reader, case: CaseFacts, move: Move, redirection_services: tuple[str, ...]
) -> None:
    """Raise IllegalTransition unless `reader` may make `move` on `case`, with its reason."""
    if not may(reader, case, move.target):
        raise IllegalTransition(_why_not(case, move.target))
    required = reason_choices(move.target, redirection_services)
    if required is not None and move.reason not in required:
        raise IllegalTransition(f"{move.target} needs a reason among {sorted(required)}")
    if move.target is S.CONTRACT_SIGNED and (move.meeting_at is None or not move.consent):
        raise IllegalTransition("a signed contract needs the meeting date and the consent")


def _why_not(case: CaseFacts, target: CaseStatus) -> str:
    if not movers(case.status, target):
        return f"{case.status} → {target} is not on the path"
    if case.assigned_worker_id is None and target is not S.CLOSED:
        return "a case is taken by a worker before it moves on"
    return f"{case.status} → {target} is not this member's move"


_REFUSED = {
    Act.READ_NOTES: "notes are for the workers and the case's landlord referent",
    Act.WORK: "only the case's worker works on it",
    Act.PHASE: "phases move only while in support, by the case's worker or an admin",
    Act.HAND_OVER: "only the case's worker or an admin hands it over",
    Act.TAKE: "a worker takes only an open case nobody holds",
    Act.TAKE_OVER: "a colleague takes over only an open case another worker holds",
    Act.REOPEN: "only an admin reopens, and only a closed case",
}


def check(reader: Reader, case: CaseFacts, act: Act) -> None:
    """Raise IllegalTransition unless `reader` may do `act` on `case` now."""
    if not may(reader, case, act):
        raise IllegalTransition(_REFUSED[act])


def reason_choices(target: CaseStatus, redirection_services: tuple[str, ...]) -> list[str] | None:
    """The fixed list a move to `target` picks its reason from, in display order, or None.

    Figures are counted on these lists."""
    lists = {
        S.ACCEPTED: list(Intensity),
        S.REDIRECTED: list(redirection_services),
        S.DECLINED: list(DeclineReason),
        S.CLOSED: list(Outcome),
    }
    choices = lists.get(target)
    return [str(choice) for choice in choices] if choices is not None else None
