"""Who may do what with one case: a case belongs to the people on it.

- Its worker (the one who took it) moves it along its path and its phases, works on it
  (notes, appointments, home, inviting the person) and hands it to a colleague.
- The commission's decisions are the commission's: any worker or landlord referent who sees
  the case, and the admins.
- The landlord referent on the case moves the steps the team shares with the landlord: into
  the commission after the joint diagnostic, into the shared review, and the handover that
  closes it.
- Admins (the coordination) move every step, reopen a closed case and hand a case over.
- Another worker reads the case and may take it over (absence, reorganisation...).
- A case belongs to one landlord (below): only that landlord's referents see it.

This is the one place these rules live. They read plain values (`Reader`, `CaseFacts`), never
database rows, and who may see a case is written as data (`Tie`) so that storage builds the
SQL listing visible cases from the same rule (storage.access.visible_to).
"""

from dataclasses import dataclass
from enum import StrEnum

from domain.vocabulary import CaseStatus, Role

S = CaseStatus


@dataclass(frozen=True)
class Reader:
    """The member asking, as the rules need them."""

    member_id: int
    role: Role
    organisation_id: int


@dataclass(frozen=True)
class CaseFacts:
    """What the rules need to know of a case (the field names are the case's columns)."""

    status: CaseStatus
    assigned_worker_id: int | None
    landlord_referent_id: int | None
    # The landlord organisation the case belongs to (None: none yet, see `landlord_at_intake`).
    landlord_id: int | None
    # Imported from the programme's history: it is read, never worked on (domain.history).
    imported: bool = False


# ------------------------------------------------------------------ seeing a case


@dataclass(frozen=True)
class Tie:
    """A way a reader is tied to a case: the case's field equals the reader's field.

    `EVERY_CASE` ties a reader to every case. Both fields are attribute names, so that the
    rule can be read against plain values here and turned into SQL by storage.access."""

    case_field: str | None
    reader_field: str | None


EVERY_CASE = Tie(None, None)
HOLDS = Tie("assigned_worker_id", "member_id")
REFERS = Tie("landlord_referent_id", "member_id")
OF_ITS_LANDLORD = Tie("landlord_id", "organisation_id")

# Who sees which cases. Referrers (correspondents, gendarmerie, SIAO) follow their own
# reports with /mes_signalements instead; a supported person sees no case.
SEES: dict[Role, frozenset[Tie]] = {
    Role.WORKER: frozenset({EVERY_CASE}),
    Role.ADMIN: frozenset({EVERY_CASE}),
    Role.LANDLORD_REFERENT: frozenset({OF_ITS_LANDLORD, REFERS}),
}


# "My cases": the ones a worker holds, the ones a landlord referent is attached to.
MINE: dict[Role, Tie] = {Role.WORKER: HOLDS, Role.LANDLORD_REFERENT: REFERS}


def is_tied(reader: Reader, case: CaseFacts, tie: Tie) -> bool:
    if tie.case_field is None or tie.reader_field is None:
        return True
    return getattr(case, tie.case_field) == getattr(reader, tie.reader_field)


def can_see(reader: Reader, case: CaseFacts) -> bool:
    return any(is_tied(reader, case, tie) for tie in SEES.get(reader.role, ()))


# ------------------------------------------------------------------ landlords
# Several landlords share one Relais; each has its residences (sites), its reserved homes and
# its referents, and a case belongs to one of them. A correspondent reports from their
# landlord's residences; a report naming a residence belongs to its landlord, else to the
# reporter's landlord when the reporter works for one. A victim of violence reported by the
# gendarmerie or the SIAO is usually nobody's tenant yet: the case belongs to no landlord,
# and no landlord's referent sees it (violence is among the most sensitive facts, seen only
# by the people on the case), until the team attaches a landlord referent or gives it a
# reserved home: it then belongs to that one's landlord, and takes only its homes and
# referents. Workers and admins see every landlord's cases, homes and figures.


def landlord_at_intake(site_landlord: int | None, reporters_landlord: int | None) -> int | None:
    """Whose case a new report is: its residence's landlord, else the reporter's (if any)."""
    return site_landlord if site_landlord is not None else reporters_landlord


def fits_landlord(case_landlord: int | None, landlord: int | None) -> bool:
    """May a home (or a referent) of `landlord` go to a case of `case_landlord`? A case of no
    landlord yet takes any, and then belongs to it; nothing of no landlord is held back."""
    return case_landlord is None or landlord is None or case_landlord == landlord


def offers_site(reader: Reader, site_landlord: int | None) -> bool:
    """A correspondent reports from their own landlord's residences; others from any."""
    return reader.role is not Role.CORRESPONDENT or site_landlord in (None, reader.organisation_id)


def landlord_of_reader(reader: Reader) -> int | None:
    """The one landlord whose homes and figures a reader keeps to (None: every landlord's)."""
    return reader.organisation_id if reader.role is Role.LANDLORD_REFERENT else None


# ------------------------------------------------------------------ acting on a case


class Party(StrEnum):
    """How a reader stands to a case, for acting on it."""

    HOLDER = "holder"  # the case's worker
    REFERENT = "referent"  # the landlord referent on the case
    COMMISSION = "commission"  # a worker or landlord referent who sees the case
    ADMIN = "admin"
    COLLEAGUE = "colleague"  # a worker who sees a case another worker holds


def parties(reader: Reader, case: CaseFacts) -> frozenset[Party]:
    """Every way this reader stands to this case (none if they may not see it). A worker
    who does not hold the case is a colleague, whether another worker holds it or nobody."""
    if not can_see(reader, case):
        return frozenset()
    found = set()
    if reader.role is Role.ADMIN:
        found.add(Party.ADMIN)
    if reader.role in (Role.WORKER, Role.LANDLORD_REFERENT):
        found.add(Party.COMMISSION)
    if reader.role is Role.WORKER:
        held_by = case.assigned_worker_id
        found.add(Party.HOLDER if held_by == reader.member_id else Party.COLLEAGUE)
    if reader.role is Role.LANDLORD_REFERENT and case.landlord_referent_id == reader.member_id:
        found.add(Party.REFERENT)
    return frozenset(found)


class Act(StrEnum):
    """What can be done with a case besides moving its status."""

    READ_NOTES = "read_notes"
    WORK = "work"  # notes, appointments, the reserved home, inviting the person
    PHASE = "phase"  # the next support phase
    HAND_OVER = "hand_over"  # give the case to another worker, attach its landlord referent
    TAKE = "take"  # « Je prends »: a worker takes a case nobody holds yet
    TAKE_OVER = "take_over"  # a colleague takes a case over, with a reason
    REOPEN = "reopen"


_HOLDER = frozenset({Party.HOLDER, Party.ADMIN})
_SHARED = frozenset({Party.HOLDER, Party.REFERENT, Party.ADMIN})
_COMMISSION = frozenset({Party.COMMISSION, Party.ADMIN})

# Who moves a case along each step of its path.
STEPS: dict[tuple[CaseStatus, CaseStatus], frozenset[Party]] = {
    (S.RECEIVED, S.DIAGNOSTIC): _HOLDER,
    (S.DIAGNOSTIC, S.COMMISSION): _SHARED,
    (S.COMMISSION, S.ACCEPTED): _COMMISSION,
    (S.COMMISSION, S.REDIRECTED): _COMMISSION,
    (S.COMMISSION, S.DECLINED): _COMMISSION,
    (S.ACCEPTED, S.CONTRACT_SIGNED): _HOLDER,
    (S.CONTRACT_SIGNED, S.IN_SUPPORT): _HOLDER,
    (S.IN_SUPPORT, S.SHARED_REVIEW): _SHARED,
    (S.SHARED_REVIEW, S.CLOSED): _SHARED,  # the handover to the landlord
}
# Closing a case anywhere else on its path (with an outcome): its worker, or an admin.
CLOSING_ELSEWHERE = _HOLDER

ACTS: dict[Act, frozenset[Party]] = {
    Act.READ_NOTES: frozenset({Party.HOLDER, Party.COLLEAGUE, Party.REFERENT}),
    Act.WORK: frozenset({Party.HOLDER}),
    Act.PHASE: _HOLDER,
    Act.HAND_OVER: _HOLDER,
    Act.TAKE: frozenset({Party.COLLEAGUE}),
    Act.TAKE_OVER: frozenset({Party.COLLEAGUE}),
    Act.REOPEN: frozenset({Party.ADMIN}),
}


def next_statuses(status: CaseStatus) -> list[CaseStatus]:
    """Where a case may go from `status`: its path's next steps, then closing if open."""
    targets = [after for before, after in STEPS if before is status]
    if status is not S.CLOSED and S.CLOSED not in targets:
        targets.append(S.CLOSED)
    return targets


def movers(status: CaseStatus, target: CaseStatus) -> frozenset[Party]:
    """Who moves a case from `status` to `target` (nobody if it is not a step of the path)."""
    if (status, target) in STEPS:
        return STEPS[(status, target)]
    if target is S.CLOSED and status is not S.CLOSED:
        return CLOSING_ELSEWHERE
    return frozenset()


def may(reader: Reader, case: CaseFacts, act: Act | CaseStatus) -> bool:
    """May this reader do `act` to this case now? A status means moving the case into it.

    A case is taken by a worker before it moves on: until then it can only be closed.
    Phases move only while in support; only a closed case is reopened; a colleague takes
    over only a case someone holds (an untaken one is taken from its alert). A case of the
    programme's history is as the sheet says: nobody takes it, moves it or hands it over (it
    would then be reminded of, and no longer the row it was imported from)."""
    if case.imported:
        return False
    if isinstance(act, CaseStatus):
        if case.assigned_worker_id is None and act is not S.CLOSED:
            return False
        allowed = movers(case.status, act)
    else:
        if not _in_season(act, case):
            return False
        allowed = ACTS[act]
    return bool(allowed & parties(reader, case))


def _in_season(act: Act, case: CaseFacts) -> bool:
    match act:
        case Act.PHASE:
            return case.status is S.IN_SUPPORT
        case Act.REOPEN:
            return case.status is S.CLOSED
        case Act.TAKE:
            return case.status is not S.CLOSED and case.assigned_worker_id is None
        case Act.TAKE_OVER:
            return case.status is not S.CLOSED and case.assigned_worker_id is not None
        case _:
            return True


def allowed_moves(reader: Reader, case: CaseFacts) -> list[CaseStatus]:
    """The statuses this reader may move the case to now (the card's buttons)."""
    return [target for target in next_statuses(case.status) if may(reader, case, target)]


class TakeOverReason(StrEnum):
    """Why a colleague takes a case over (a fixed list, for the timeline and the figures)."""

    ABSENCE = "absence"
    REORGANISATION = "reorganisation"
    PERSONS_REQUEST = "persons_request"
    OTHER = "other"
