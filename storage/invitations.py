"""One-time invitations: the only way into Relais.

The token itself is shown once (deep link) and only its SHA-256 is stored. Redeeming is a
single conditional UPDATE, so two people opening the same link at once cannot both get in.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from domain.vocabulary import Role
from storage.audit import record
from storage.database import session_scope
from storage.models import Invitation, Member
from storage.types import utcnow


class Redemption(StrEnum):
    ENROLLED = "enrolled"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"
    ALREADY_MEMBER = "already_member"


@dataclass(frozen=True)
class NewInvitation:
    token: str
    role: Role
    organisation_id: int
    expires_at: datetime


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_invitation(
    engine: Engine,
    *,
    role: Role,
    organisation_id: int,
    ttl: timedelta,
    created_by_id: int | None = None,
    now: datetime | None = None,
    case_id: int | None = None,
) -> NewInvitation:
    """A new one-time invitation; one with a `case_id` is a beneficiary's (conversations.beneficiary)."""
    with session_scope(engine) as session:
        return add_invitation(
            session,
            role=role,
            organisation_id=organisation_id,
            ttl=ttl,
            created_by_id=created_by_id,
            now=now or utcnow(),
            case_id=case_id,
        )


def add_invitation(
    session: Session,
    *,
    role: Role,
    organisation_id: int,
    ttl: timedelta,
    created_by_id: int | None,
    now: datetime,
    case_id: int | None = None,
) -> NewInvitation:
    """`create_invitation` inside a transaction the caller holds."""
    # 24 random bytes: 32 URL-safe characters, within a deep link's 64-character start parameter.
    token = secrets.token_urlsafe(24)
    invitation = Invitation(
        token_hash=hash_token(token),
        role=role,
        organisation_id=organisation_id,
        created_by_id=created_by_id,
        created_at=now,
        expires_at=now + ttl,
        case_id=case_id,
    )
    session.add(invitation)
    record(
        session,
        "invite.created",
        now,
        member_id=created_by_id,
        case_id=case_id,
        detail=f"role={role}",
    )
    return NewInvitation(token, role, organisation_id, invitation.expires_at)


class ClaimedMeanwhile(Exception):
    """Another person redeemed the same invitation between our read and our write."""


def find_invitation(session: Session, token: str) -> Invitation | None:
    return session.exec(
        select(Invitation).where(Invitation.token_hash == hash_token(token))
    ).first()


def unusable(invitation: Invitation | None, now: datetime) -> Redemption | None:
    """Why this invitation cannot be redeemed now, or None when it can."""
    if invitation is None:
        return Redemption.UNKNOWN
    if invitation.used_at is not None:
        return Redemption.USED
    if invitation.expires_at <= now:
        return Redemption.EXPIRED
    return None


def claim(session: Session, invitation_id: int, member_id: int, now: datetime) -> None:
    """Mark the invitation used by `member_id`, or raise ClaimedMeanwhile (rolling back)."""
    claimed = session.execute(
        update(Invitation)
        .where(col(Invitation.id) == invitation_id, col(Invitation.used_at).is_(None))
        .values(used_at=now, used_by_id=member_id)
    )
    if claimed.rowcount != 1:
        raise ClaimedMeanwhile


def redeem_invitation(
    engine: Engine,
    token: str,
    *,
    telegram_id: int,
    display_name: str,
    now: datetime | None = None,
) -> tuple[Redemption, Member | None]:
    """Enroll the Telegram user with the invitation's role, or say why not."""
    now = now or utcnow()
    try:
        with session_scope(engine) as session:
            return _redeem(session, token, telegram_id, display_name, now)
    except ClaimedMeanwhile:
        return Redemption.USED, None


def _redeem(
    session: Session, token: str, telegram_id: int, display_name: str, now: datetime
) -> tuple[Redemption, Member | None]:
    existing = session.exec(select(Member).where(Member.telegram_id == telegram_id)).first()
    if existing is not None:
        return Redemption.ALREADY_MEMBER, existing
    invitation = find_invitation(session, token)
    if invitation is not None and invitation.case_id is not None:
        # A beneficiary's invitation enrolls nobody without their consent (storage.beneficiaries).
        return Redemption.UNKNOWN, None
    refusal = unusable(invitation, now)
    if refusal is not None:
        return refusal, None
    assert invitation is not None
    member = Member(
        telegram_id=telegram_id,
        display_name=display_name[:120],
        role=invitation.role,
        organisation_id=invitation.organisation_id,
    )
    session.add(member)
    session.flush()
    claim(session, invitation.id, member.id, now)  # rolls the new member back if it raises
    return Redemption.ENROLLED, member
