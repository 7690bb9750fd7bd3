"""Supported people who agreed to receive messages: their invitation, consent and choices,
and the messages the bot sent them (so that /effacer and auto-delete can find them).

Nothing is written about a person before they agree: the invitation link is checked
read-only (`look_up`), and the member, their `Beneficiary` row, the "consent_given" case
event and the claim of the invitation are written in one transaction (`give_consent`).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import Engine, insert, update
from sqlmodel import Session, col, select

from domain.vocabulary import CaseKind, CaseStatus, OrganisationKind, Role
from storage.database import session_scope
from storage.invitations import (
    ClaimedMeanwhile,
    NewInvitation,
    Redemption,
    add_invitation,
    claim,
    find_invitation,
    unusable,
)
from storage.models import (
    Beneficiary,
    Case,
    CaseEvent,
    Invitation,
    Member,
    Organisation,
    SentMessage,
)
from storage.reminders import Planner, cancel_pending

# Beneficiaries belong to an organisation of their own, not to their worker's: a message
# meant for "everyone at Montjoie" must never reach a supported person by accident.
ORGANISATION_NAME = "Personnes accompagnées"

# Telegram lets a bot delete its messages for 48 hours; the sweep runs every few minutes,
# so auto-delete is due a little before the limit (past it, the message is only blanked).
DELETE_WINDOW = timedelta(hours=48)
SWEEP_MARGIN = timedelta(minutes=15)


class Consent(StrEnum):
    OPEN = "open"  # the link may be answered
    GIVEN = "given"
    ALREADY = "already"  # this person already agreed (a double tap, an old link)
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"
    CLOSED = "closed"  # the case was closed, or someone else already agreed on it
    STAFF = "staff"  # this Telegram account is a staff member's


@dataclass(frozen=True)
class Enrollment:
    member: Member
    beneficiary: Beneficiary
    case: Case
    invited_by_id: int | None


def eligible(case: Case) -> bool:
    """A case whose person said at the report that they may be contacted, still open."""
    return case.consent == "yes" and case.status is not CaseStatus.CLOSED


def consenting(session: Session, case_id: int) -> Beneficiary | None:
    query = select(Beneficiary).where(
        Beneficiary.case_id == case_id,
        col(Beneficiary.consent_at).is_not(None),
        col(Beneficiary.withdrawn_at).is_(None),
    )
    return session.exec(query).first()


def has_consenting_beneficiary(engine: Engine, case_id: int) -> bool:
    with session_scope(engine) as session:
        return consenting(session, case_id) is not None


def beneficiary_of(engine: Engine, member_id: int) -> Beneficiary | None:
    with session_scope(engine) as session:
        return session.get(Beneficiary, member_id)


def invite(
    engine: Engine, case_id: int, worker_id: int, *, ttl: timedelta, now: datetime
) -> NewInvitation | None:
    """A one-time link for the person of the case; an older unused one stops working.

    None when the case may not (or no longer) be offered: no consent at the report,
    closed, or someone already agreed on it.
    """
    with session_scope(engine) as session:
        case = session.get(Case, case_id)
        if case is None or not eligible(case) or consenting(session, case_id) is not None:
            return None
        session.execute(
            update(Invitation)
            .where(
                col(Invitation.case_id) == case_id,
                col(Invitation.used_at).is_(None),
                col(Invitation.expires_at) > now,
            )
            .values(expires_at=now)
        )
        return add_invitation(
            session,
            role=Role.BENEFICIARY,
            organisation_id=_organisation_id(session),
            ttl=ttl,
            created_by_id=worker_id,
            now=now,
            case_id=case_id,
        )


def _organisation_id(session: Session) -> int:
    found = session.exec(
        select(Organisation).where(Organisation.name == ORGANISATION_NAME)
    ).first()
    if found is None:
        found = Organisation(name=ORGANISATION_NAME, kind=OrganisationKind.OTHER)
        session.add(found)
        session.flush()
    return found.id


def look_up(engine: Engine, token: str, now: datetime) -> tuple[Consent, CaseKind | None] | None:
    """What opening this link would offer, read-only; None when it is no beneficiary's link."""
    with session_scope(engine) as session:
        invitation = find_invitation(session, token)
        if invitation is None or invitation.case_id is None:
            return None
        refusal = unusable(invitation, now)
        if refusal is not None:
            return _REFUSALS[refusal], None
        case = session.get(Case, invitation.case_id)
        if case is None or not eligible(case) or consenting(session, case.id) is not None:
            return Consent.CLOSED, None
        return Consent.OPEN, case.kind


_REFUSALS = {
    Redemption.UNKNOWN: Consent.UNKNOWN,
    Redemption.USED: Consent.USED,
    Redemption.EXPIRED: Consent.EXPIRED,
}


def give_consent(
    engine: Engine,
    token: str,
    *,
    telegram_id: int,
    display_name: str,
    message_id: int | None,
    now: datetime,
    planner: Planner | None = None,
) -> tuple[Consent, Enrollment | None]:
    """The person agreed: enroll them (or renew a withdrawn consent), in one transaction.

    `message_id` is the bot's message they answered, recorded so /effacer finds it. The
    case's coming appointments get their reminders at once.
    """
    try:
        with session_scope(engine) as session:
            outcome, enrollment = _give(session, token, telegram_id, display_name, message_id, now)
            if enrollment is not None and planner is not None:
                session.flush()
                planner.case(session, enrollment.case.id)
            return outcome, enrollment
    except ClaimedMeanwhile:
        return Consent.USED, None


def _give(
    session: Session,
    token: str,
    telegram_id: int,
    display_name: str,
    message_id: int | None,
    now: datetime,
) -> tuple[Consent, Enrollment | None]:
    invitation = find_invitation(session, token)
    if invitation is None or invitation.case_id is None:
        return Consent.UNKNOWN, None
    member = session.exec(select(Member).where(Member.telegram_id == telegram_id)).first()
    if member is not None and member.role is not Role.BENEFICIARY:
        return Consent.STAFF, None
    current = session.get(Beneficiary, member.id) if member is not None else None
    if current is not None and current.consent_at is not None and current.withdrawn_at is None:
        return Consent.ALREADY, None
    refusal = unusable(invitation, now)
    if refusal is not None:
        return _REFUSALS[refusal], None
    case = session.get(Case, invitation.case_id)
    if case is None or not eligible(case) or consenting(session, case.id) is not None:
        return Consent.CLOSED, None
    if member is None:
        member = Member(
            telegram_id=telegram_id,
            display_name=display_name[:120],
            role=Role.BENEFICIARY,
            organisation_id=invitation.organisation_id,
        )
        session.add(member)
        session.flush()
    beneficiary = current or Beneficiary(member_id=member.id, case_id=case.id)
    beneficiary.case_id, beneficiary.consent_at, beneficiary.withdrawn_at = case.id, now, None
    # Discreet mode is on by default for a violence victim: the phone may not be theirs alone.
    beneficiary.discreet = case.kind is CaseKind.VIOLENCE
    session.add(beneficiary)
    session.add(
        CaseEvent(case_id=case.id, at=now, actor_member_id=member.id, kind="consent_given")
    )
    if message_id is not None:
        session.add(SentMessage(chat_id=telegram_id, message_id=message_id, sent_at=now))
    claim(session, invitation.id, member.id, now)  # rolls everything back if it raises
    return Consent.GIVEN, Enrollment(member, beneficiary, case, invitation.created_by_id)


def withdraw_consent(engine: Engine, member_id: int, now: datetime) -> Case | None:
    """/arreter: no more messages, pending reminders cancelled, the case told; one transaction.

    Returns the case, or None when there was no consent to withdraw.
    """
    with session_scope(engine) as session:
        beneficiary = session.get(Beneficiary, member_id)
        if (
            beneficiary is None
            or beneficiary.consent_at is None
            or beneficiary.withdrawn_at is not None
        ):
            return None
        beneficiary.withdrawn_at = now
        cancel_pending(session, member_id=member_id)
        session.add(
            CaseEvent(
                case_id=beneficiary.case_id,
                at=now,
                actor_member_id=member_id,
                kind="consent_withdrawn",
            )
        )
        return session.get(Case, beneficiary.case_id)


def set_safe_hours(
    engine: Engine, member_id: int, start: int, end: int, planner: Planner | None = None
) -> None:
    """The person's safe hours; their coming reminders move into them at once."""
    with session_scope(engine) as session:
        beneficiary = _existing(session, member_id)
        beneficiary.safe_from, beneficiary.safe_until = start, end
        if planner is not None:
            session.flush()
            planner.case(session, beneficiary.case_id)


def set_auto_delete(engine: Engine, member_id: int, hours: int | None) -> None:
    """Choose auto-delete; messages already sent and kept get their deletion time too."""
    with session_scope(engine) as session:
        beneficiary = _existing(session, member_id)
        beneficiary.auto_delete_hours = hours
        if hours is None:
            return
        member = session.get(Member, member_id)
        kept = session.exec(
            select(SentMessage).where(
                SentMessage.chat_id == member.telegram_id,
                col(SentMessage.deleted).is_(False),
                col(SentMessage.delete_at).is_(None),
            )
        )
        for message in kept:
            message.delete_at = delete_time(hours, message.sent_at)


def _existing(session: Session, member_id: int) -> Beneficiary:
    beneficiary = session.get(Beneficiary, member_id)
    if beneficiary is None:
        raise LookupError(f"member {member_id} is no beneficiary")
    return beneficiary


def delete_time(auto_delete_hours: int | None, sent_at: datetime) -> datetime | None:
    """When a message sent at `sent_at` is deleted, under that choice (None: kept)."""
    if not auto_delete_hours:
        return None
    return sent_at + min(timedelta(hours=auto_delete_hours), DELETE_WINDOW - SWEEP_MARGIN)


def record_sent(
    engine: Engine,
    chat_id: int,
    message_id: int,
    sent_at: datetime,
    delete_at: datetime | None = None,
) -> None:
    """Remember a message the bot sent a supported person (no text: only where it is)."""
    # One INSERT without the ORM's unit of work: it follows each reminder sent to a person.
    with engine.begin() as connection:
        connection.execute(
            insert(SentMessage),
            {"chat_id": chat_id, "message_id": message_id, "sent_at": sent_at,
             "delete_at": delete_at, "deleted": False},
        )  # fmt: skip


def messages_in_chat(engine: Engine, chat_id: int) -> list[SentMessage]:
    """The bot's messages in this chat not yet deleted, newest first."""
    with session_scope(engine) as session:
        query = (
            select(SentMessage)
            .where(SentMessage.chat_id == chat_id, col(SentMessage.deleted).is_(False))
            .order_by(col(SentMessage.id).desc())
        )
        return list(session.exec(query))


def due_deletions(engine: Engine, now: datetime, limit: int = 200) -> list[SentMessage]:
    with session_scope(engine) as session:
        query = (
            select(SentMessage)
            .where(col(SentMessage.deleted).is_(False), col(SentMessage.delete_at) <= now)
            .order_by(col(SentMessage.delete_at))
            .limit(limit)
        )
        return list(session.exec(query))


def next_deletion_due(engine: Engine) -> datetime | None:
    """When the next message waiting for its auto-delete is due."""
    with session_scope(engine) as session:
        query = select(SentMessage.delete_at).where(
            col(SentMessage.deleted).is_(False), col(SentMessage.delete_at).is_not(None)
        )
        return session.exec(query.order_by(col(SentMessage.delete_at)).limit(1)).first()


def sent_message(engine: Engine, chat_id: int, message_id: int) -> SentMessage | None:
    with session_scope(engine) as session:
        return session.exec(
            select(SentMessage).where(
                SentMessage.chat_id == chat_id, SentMessage.message_id == message_id
            )
        ).first()


def mark_deleted(engine: Engine, ids: list[int]) -> None:
    if not ids:
        return
    with session_scope(engine) as session:
        session.execute(
            update(SentMessage).where(col(SentMessage.id).in_(ids)).values(deleted=True)
        )


def inviter_of(engine: Engine, member_id: int) -> int | None:
    """The worker who created the invitation this person last answered."""
    with session_scope(engine) as session:
        query = (
            select(Invitation.created_by_id)
            .where(Invitation.used_by_id == member_id)
            .order_by(col(Invitation.used_at).desc())
        )
        return session.exec(query).first()
