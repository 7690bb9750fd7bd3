"""The access rule (domain.access) applied to rows: a member and a case as the rule reads
them, and the SQL condition of the cases a member sees, built from the same rule."""

from sqlalchemy import ColumnElement, false, or_, true
from sqlmodel import col

from domain.access import MINE, SEES, Act, CaseFacts, Reader, Tie, allowed_moves, can_see, may
from domain.vocabulary import CaseStatus
from storage.models import Case, Member


def reader(member: Member) -> Reader:
    return Reader(member_id=member.id, role=member.role, organisation_id=member.organisation_id)


def facts(case: Case) -> CaseFacts:
    return CaseFacts(
        status=case.status,
        assigned_worker_id=case.assigned_worker_id,
        landlord_referent_id=case.landlord_referent_id,
        landlord_id=case.landlord_id,
        imported=case.imported,
    )


def visible_to(member: Member) -> ColumnElement[bool]:
    """The WHERE condition of the cases `member` may see (domain.access.SEES)."""
    who = reader(member)
    ties = SEES.get(who.role, frozenset())
    if not ties:
        return false()
    return or_(*(_condition(tie, who) for tie in ties))


def held_by(member: Member) -> ColumnElement[bool]:
    """The WHERE condition of "my cases" (domain.access.MINE): none for other roles."""
    tie = MINE.get(member.role)
    return _condition(tie, reader(member)) if tie is not None else false()


def _condition(tie: Tie, who: Reader) -> ColumnElement[bool]:
    if tie.case_field is None or tie.reader_field is None:
        return true()
    return col(getattr(Case, tie.case_field)) == getattr(who, tie.reader_field)


def sees(member: Member, case: Case) -> bool:
    return can_see(reader(member), facts(case))


def allows(member: Member, case: Case, act: Act | CaseStatus) -> bool:
    """domain.access.may, for a member and a case row."""
    return may(reader(member), facts(case), act)


def moves_for(member: Member, case: Case) -> list[CaseStatus]:
    return allowed_moves(reader(member), facts(case))
