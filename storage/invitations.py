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

from storage.database import session_scope
from storage.models import Invitation, Member, Role
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
) -> NewInvitation:
    # 24 random bytes: 32 URL-safe characters, within a deep link's 64-character start parameter.
    token = secrets.token_urlsafe(24)
    created_at = now or utcnow()
    invitation = Invitation(
        token_hash=hash_token(token),
        role=role,
        organisation_id=organisation_id,
        created_by_id=created_by_id,
        created_at=created_at,
        expires_at=created_at + ttl,
    )
    with session_scope(engine) as session:
        session.add(invitation)
    return NewInvitation(token, role, organisation_id, invitation.expires_at)


class _ClaimedMeanwhile(Exception):
    """Another person redeemed the same invitation between our read and our write."""


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
    except _ClaimedMeanwhile:
        return Redemption.USED, None


def _redeem(
    session: Session, token: str, telegram_id: int, display_name: str, now: datetime
) -> tuple[Redemption, Member | None]:
    existing = session.exec(select(Member).where(Member.telegram_id == telegram_id)).first()
    if existing is not None:
        return Redemption.ALREADY_MEMBER, existing
    invitation = session.exec(
        select(Invitation).where(Invitation.token_hash == hash_token(token))
    ).first()
    if invitation is None:
        return Redemption.UNKNOWN, None
    if invitation.used_at is not None:
        return Redemption.USED, None
    if invitation.expires_at <= now:
        return Redemption.EXPIRED, None
    member = Member(
        telegram_id=telegram_id,
        display_name=display_name[:120],
        role=invitation.role,
        organisation_id=invitation.organisation_id,
    )
    session.add(member)
    session.flush()
    claimed = session.execute(
        update(Invitation)
        .where(col(Invitation.id) == invitation.id, col(Invitation.used_at).is_(None))
        .values(used_at=now, used_by_id=member.id)
    )
    if claimed.rowcount != 1:
        raise _ClaimedMeanwhile  # rolls the new member back with the transaction
    return Redemption.ENROLLED, member
