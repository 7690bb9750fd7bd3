"""Who may see a case: the people working on it, and nobody else."""

from storage.models import Case, Member, Role

CASE_READERS = frozenset({Role.WORKER, Role.ADMIN, Role.LANDLORD_REFERENT})


def can_see_case(member: Member, case: Case) -> bool:
    """Workers and admins see every case; a landlord referent, those of their organisation
    or attached to them. Referrers follow their reports with /mes_signalements instead."""
    if member.role in (Role.WORKER, Role.ADMIN):
        return True
    if member.role is Role.LANDLORD_REFERENT:
        return (
            case.source_organisation_id == member.organisation_id
            or case.landlord_referent_id == member.id
        )
    return False


def can_read_notes(member: Member, case: Case) -> bool:
    """Worker notes are for the workers and the case's own landlord referent only."""
    return member.role is Role.WORKER or case.landlord_referent_id == member.id
